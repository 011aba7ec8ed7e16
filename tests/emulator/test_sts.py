"""The emulator's STS AssumeRole (real boto3) and its record of who signed each call."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from connect_emulator import EmulatorServer
from connect_emulator.seed import SeedError, parse_seed

from .support import A_ARN, ACCOUNT, admin, failure, seed_with

OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/connect-numbers"


def sts() -> Any:
    return boto3.client("sts", config=Config(retries={"total_max_attempts": 1}))


def assume(role: str, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = sts().assume_role(
        RoleArn=role, RoleSessionName="connect-numbers-test", **extra
    )
    return answer


def test_a_role_of_the_account_is_assumed_with_botocores_shape(emulator_factory: Any) -> None:
    emulator_factory(seed_with())
    answer = assume(ROLE)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA" + ACCOUNT)
    assert len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40 and credentials["SessionToken"]
    assert credentials["Expiration"].tzinfo is not None  # botocore parsed a timestamp
    user = answer["AssumedRoleUser"]
    assert (
        user["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/connect-numbers/connect-numbers-test"
    )
    assert user["AssumedRoleId"].endswith(":connect-numbers-test")
    assert assume(ROLE)["Credentials"]["AccessKeyId"] != credentials["AccessKeyId"]


def test_refusals_are_access_denied(emulator_factory: Any) -> None:
    audited = f"arn:aws:iam::{ACCOUNT}:role/audited"
    locked = f"arn:aws:iam::{ACCOUNT}:role/locked"
    emulator_factory(
        seed_with(
            roles=[{"arn": audited, "external_id": "secret-42"}, {"arn": locked, "refuse": True}]
        )
    )
    for call in (
        lambda: assume(f"arn:aws:iam::{OTHER}:role/connect-numbers"),  # another account
        lambda: assume(audited),  # no external id
        lambda: assume(audited, ExternalId="wrong-id"),
        lambda: assume(locked),
    ):
        code, status, message = failure(call)
        assert (code, status) == ("AccessDenied", 403)
        assert "is not authorized to perform: sts:AssumeRole" in message
    assert assume(audited, ExternalId="secret-42")["Credentials"]["AccessKeyId"]


def test_an_invalid_session_name_is_a_validation_error(emulator_factory: Any) -> None:
    emulator_factory(seed_with())
    code, status, _ = failure(lambda: sts().assume_role(RoleArn=ROLE, RoleSessionName="has space"))
    assert (code, status) == ("ValidationError", 400)


def test_each_connect_call_records_its_access_key_and_account(
    emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server: EmulatorServer = emulator_factory(seed_with())
    credentials = assume(ROLE)["Credentials"]
    assumed = boto3.client(
        "connect",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assumed.list_phone_numbers_v2(TargetArn=A_ARN)
    boto3.client("connect").list_phone_numbers_v2(TargetArn=A_ARN)  # default credentials
    status, body = admin(server, "GET", "/_emulator/calls")
    assert status == 200
    assert body["calls"] == [
        {
            "operation": "ListPhoneNumbersV2",
            "access_key_id": credentials["AccessKeyId"],
            "account": ACCOUNT,
            "role_arn": ROLE,
            "session_name": "connect-numbers-test",
        },
        {
            "operation": "ListPhoneNumbersV2",
            "access_key_id": "testing",
            "account": None,
            "role_arn": None,
            "session_name": None,
        },
    ]
    assert admin(server, "DELETE", "/_emulator/calls") == (200, {"calls": []})
    assert admin(server, "GET", "/_emulator/calls")[1] == {"calls": []}


def test_the_seed_validates_roles() -> None:
    parsed = parse_seed({"roles": [{"arn": ROLE, "external_id": "x1"}]}, source="s.yaml")
    assert parsed.roles[0].external_id == "x1"
    for bad in ([{"arn": "not-an-arn"}], [{"arn": ROLE, "refuse": "yes"}], [{"arn": ROLE, "x": 1}]):
        with pytest.raises(SeedError):
            parse_seed({"roles": bad}, source="s.yaml")
