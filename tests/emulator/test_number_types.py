"""Number types and imported numbers (issue 14): the seed carries them, boto3 sees them.

botocore's Connect model: ``ListPhoneNumbersSummary`` and ``ClaimedPhoneNumberSummary``
have ``PhoneNumberType`` (DID, TOLL_FREE, UIFN, SHARED, THIRD_PARTY_DID,
THIRD_PARTY_TF, SHORT_CODE) and, for a number imported from AWS End User Messaging
SMS, ``SourcePhoneNumberArn``. The raw bodies are checked against those shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connect_emulator import EmulatorServer
from connect_emulator.seed import SeedError, parse_seed

from .support import A, client, conformance_problems, record_raw

Factory = Callable[..., EmulatorServer]

SMS = "arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-0123456789abcdef"
TYPES = ("DID", "TOLL_FREE", "UIFN", "SHARED", "THIRD_PARTY_DID", "THIRD_PARTY_TF", "SHORT_CODE")


def typed_seed() -> dict[str, Any]:
    numbers: list[dict[str, Any]] = [
        {"phone_number": f"+1206555010{i}", "instance": A, "type": kind}
        for i, kind in enumerate(TYPES)
    ]
    numbers.append({"phone_number": "+12065550190", "instance": A, "source_phone_number_arn": SMS})
    return {"instances": [{"id": A}], "numbers": numbers}


def test_every_type_and_the_source_arn_are_listed_and_described(
    emulator_factory: Factory,
) -> None:
    emulator_factory(typed_seed())
    connect = client()
    raw = record_raw(connect)
    listed = connect.list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
    by_number = {item["PhoneNumber"]: item for item in listed}
    for i, kind in enumerate(TYPES):
        assert by_number[f"+1206555010{i}"]["PhoneNumberType"] == kind
        assert "SourcePhoneNumberArn" not in by_number[f"+1206555010{i}"]
    imported = by_number["+12065550190"]
    assert imported["SourcePhoneNumberArn"] == SMS and imported["PhoneNumberType"] == "DID"
    described = connect.describe_phone_number(PhoneNumberId=imported["PhoneNumberId"])
    assert described["ClaimedPhoneNumberSummary"]["SourcePhoneNumberArn"] == SMS
    # Only UIFN numbers, with the model's PhoneNumberTypes filter.
    only = connect.list_phone_numbers_v2(PhoneNumberTypes=["UIFN"])
    assert [n["PhoneNumber"] for n in only["ListPhoneNumbersSummaryList"]] == ["+12065550102"]
    model = connect.meta.service_model
    for operation, _, body in raw:
        shape = model.operation_model(operation).output_shape
        assert conformance_problems(shape, body, operation) == []


def test_a_state_file_keeps_the_source_arn(emulator_factory: Factory, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    server = emulator_factory(typed_seed(), state_file=state)
    client().update_phone_number_metadata(
        PhoneNumberId=next(
            n["PhoneNumberId"]
            for n in client().list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
            if n["PhoneNumber"] == "+12065550190"
        ),
        PhoneNumberDescription="imported line",
    )
    server.stop()
    restarted = emulator_factory({"instances": [{"id": A}]}, state_file=state)
    assert restarted.restored
    listed = client().list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
    imported = next(n for n in listed if n["PhoneNumber"] == "+12065550190")
    assert imported["SourcePhoneNumberArn"] == SMS
    assert imported["PhoneNumberDescription"] == "imported line"


def test_a_source_arn_that_is_no_arn_is_refused_naming_the_entry() -> None:
    seed = typed_seed()
    seed["numbers"][-1]["source_phone_number_arn"] = "phone-0123"
    with pytest.raises(SeedError) as caught:
        parse_seed(seed, source="seed.yaml")
    assert "numbers[7]" in str(caught.value)
    assert "source_phone_number_arn 'phone-0123' is not an ARN" in str(caught.value)
