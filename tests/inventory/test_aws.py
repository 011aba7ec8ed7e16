"""The boto3 inventory adapter against the emulator: real boto3, no mocks."""

from __future__ import annotations

import time
from typing import Any

import botocore
import botocore.exceptions
import botocore.session
import pytest

from reconciler.app import service
from reconciler.aws.clients import client_factory
from reconciler.aws.connect import ConnectInventory
from reconciler.aws.errors import map_error
from reconciler.core import errors
from reconciler.core.model import DesiredNumber, DesiredState, NumberStatus, QuotaPolicy, Target
from reconciler.core.pacing import Pacer, RateLimit

ACCOUNT = "111122223333"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE}"
FLOW = f"{TARGET}/contact-flow/"


def number(i: int) -> str:
    return f"+1206{2000000 + i:07d}"


def seed(count: int, *, in_progress: tuple[int, ...] = ()) -> dict[str, Any]:
    return {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "instances": [{"id": INSTANCE}, {"id": "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"}],
        "numbers": [
            {
                "phone_number": number(i),
                "instance": INSTANCE,
                "flow": f"{FLOW}f{i % 7}",
                **({"status": "IN_PROGRESS"} if i in in_progress else {}),
            }
            for i in range(count)
        ]
        + [{"phone_number": "+12065550300", "instance": "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"}],
    }


def desired(keep: range) -> DesiredState:
    return DesiredState(
        targets=(Target(arn=TARGET),),
        quota=QuotaPolicy(phone_numbers=10),
        numbers=tuple(DesiredNumber(phone_number=number(i)) for i in keep),
    )


def unpaced() -> ConnectInventory:
    return ConnectInventory(pacer=Pacer(RateLimit(rate=None)))


def test_listing_costs_one_call_per_thousand_numbers(emulator_factory: Any) -> None:
    server = emulator_factory(seed(2500))
    inventory = unpaced().list_numbers([Target(arn=TARGET)])
    assert len(inventory.numbers) == 2500  # the other instance's number is not listed
    calls = server.stats()["calls"]
    assert calls.get("ListPhoneNumbersV2") == 3
    assert calls.get("ListFlowAssociations") == 3
    assert not calls.get("DescribePhoneNumber")
    first = min(inventory.numbers, key=lambda n: n.phone_number)
    assert first.phone_number == number(0)
    assert first.flows == (f"{FLOW}f0",)
    assert first.target_arn == TARGET and first.instance_id == INSTANCE
    assert first.number_type == "DID" and first.country_code == "US"
    assert first.status is None  # the list has no status field


def test_reading_describes_only_the_numbers_the_plan_would_release(emulator_factory: Any) -> None:
    server = emulator_factory(seed(2500, in_progress=(3,)))
    inventory = service.read_inventory(unpaced(), desired(range(7, 2500)))
    calls = server.stats()["calls"]
    assert calls.get("DescribePhoneNumber") == 7
    assert calls.get("ListPhoneNumbersV2") == 3
    statuses = {n.phone_number: n.status for n in inventory.numbers if n.status}
    assert statuses == {
        **{number(i): NumberStatus.CLAIMED for i in range(7) if i != 3},
        number(3): NumberStatus.IN_PROGRESS,
    }


def test_a_number_gone_between_list_and_describe_is_dropped(emulator_factory: Any) -> None:
    server = emulator_factory(seed(5))
    reader = unpaced()
    listed = reader.list_numbers([Target(arn=TARGET)])
    gone = next(n for n in listed.numbers if n.phone_number == number(2))
    server.state.remove_phone_number(gone.phone_number_id)
    states = reader.describe([gone])
    assert states == {gone.phone_number_id: None}


def test_pacing_keeps_a_rate_limited_emulator_from_throttling(emulator_factory: Any) -> None:
    """12 describes paced at 18/s against a 20/s burst-5 limit: no 429, about 0.4 s.

    The client paces a little under the server's rate: at exactly the same rate,
    network jitter alone can land a request a millisecond before its token.
    """
    server = emulator_factory(seed(12), rate=20.0, burst=5)
    reader = ConnectInventory(pacer=Pacer(RateLimit(rate=18.0, burst=5)))
    listed = reader.list_numbers([Target(arn=TARGET)])
    start = time.monotonic()
    states = reader.describe(list(listed.numbers))
    elapsed = time.monotonic() - start
    assert len(states) == 12
    assert not any(server.stats()["throttled"].values())
    assert elapsed >= 0.35  # (12 - 5) / 18 s: it really waited


def test_unpaced_reads_are_throttled_and_mapped_when_retries_run_out(
    emulator_factory: Any,
) -> None:
    emulator_factory(seed(12), rate=0.5, burst=2)
    reader = ConnectInventory(
        pacer=Pacer(RateLimit(rate=None)), clients=client_factory(max_attempts=1)
    )
    listed = reader.list_numbers([Target(arn=TARGET)])
    with pytest.raises(errors.TransientAwsError) as info:
        reader.describe(list(listed.numbers))
    assert info.value.code == "ThrottlingException"
    assert info.value.operation == "DescribePhoneNumber"
    assert "try again later" in str(info.value)


def test_unknown_target_is_not_found(emulator_factory: Any) -> None:
    emulator_factory(seed(1))
    missing = Target(arn=TARGET.replace("aaaaaaaa", "cccccccc"))
    with pytest.raises(errors.NotFoundError, match="ListPhoneNumbersV2 failed: Resource"):
        unpaced().list_numbers([missing])


def _model_error_codes() -> set[str]:
    model = botocore.session.get_session().get_service_model("connect")
    used = ["ListPhoneNumbersV2", "ListFlowAssociations", "DescribePhoneNumber"]
    return {e.name for op in used for e in model.operation_model(op).error_shapes}


@pytest.mark.parametrize("code", sorted(_model_error_codes()))
def test_every_modelled_error_of_the_operations_we_call_is_mapped(code: str) -> None:
    status = 500 if code == "InternalServiceException" else 400
    exc = botocore.exceptions.ClientError(
        {
            "Error": {"Code": code, "Message": "boom"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "ListPhoneNumbersV2",
    )
    mapped = map_error(exc, "ListPhoneNumbersV2")
    assert type(mapped) is not errors.PermanentAwsError  # a specific class, not the fallback
    assert mapped.code == code and "boom" in str(mapped)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (botocore.exceptions.NoCredentialsError(), errors.CredentialsError),
        (botocore.exceptions.NoRegionError(), errors.CredentialsError),
        (botocore.exceptions.ProfileNotFound(profile="x"), errors.CredentialsError),
        (
            botocore.exceptions.EndpointConnectionError(endpoint_url="http://x"),
            errors.TransientAwsError,
        ),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="http://x"), errors.TransientAwsError),
        (
            botocore.exceptions.ConnectionClosedError(endpoint_url="http://x"),
            errors.TransientAwsError,
        ),
        (botocore.exceptions.ParamValidationError(report="bad"), errors.InvalidRequestError),
        (botocore.exceptions.DataNotFoundError(data_path="x"), errors.PermanentAwsError),
        (ValueError("odd"), errors.PermanentAwsError),
    ],
)
def test_botocore_errors_map_into_our_tree(exc: Exception, expected: type[Exception]) -> None:
    mapped = map_error(exc, "DescribePhoneNumber")
    assert isinstance(mapped, expected)
    assert str(mapped).startswith("DescribePhoneNumber failed:")


def test_every_botocore_exception_class_maps_into_our_tree() -> None:
    """No botocore error can escape the boundary as a foreign type."""
    classes = [
        c
        for c in vars(botocore.exceptions).values()
        if isinstance(c, type) and issubclass(c, botocore.exceptions.BotoCoreError)
    ]
    assert len(classes) > 30
    for cls in classes:
        exc = cls.__new__(cls)
        Exception.__init__(exc, "x")
        assert isinstance(map_error(exc, "Op"), errors.AwsError)
