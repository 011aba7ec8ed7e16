"""The client factory per target credentials (aws.sessions, ConnectInventory):
a session per role or profile, AssumeRole's parameters, refresh before expiry, and
one clean error for a role that cannot be assumed. No network: STS is a fake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.credentials
import botocore.exceptions
import pytest

from reconciler.aws.connect import ConnectInventory
from reconciler.aws.sessions import MAX_SESSION_NAME, Sessions, session_name
from reconciler.core.errors import AccessDeniedError, CredentialsError, TransientAwsError
from reconciler.core.model import Target, TargetAccess
from reconciler.core.pacing import Pacer, RateLimit

ROLE = "arn:aws:iam::444455556666:role/connect-numbers"
TARGET = "arn:aws:connect:us-east-1:444455556666:instance/bbbb"


class FakeSts:
    """AssumeRole's answers, each with new keys, expiring ``lifetime`` from now."""

    def __init__(self, lifetime: timedelta = timedelta(hours=1), error: Exception | None = None):
        self.calls: list[dict[str, Any]] = []
        self.lifetime = lifetime
        self.error = error

    def assume_role(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        if self.error is not None:
            raise self.error
        n = len(self.calls)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA444455556666{n:04d}",
                "SecretAccessKey": "s" * 40,
                "SessionToken": f"token-{n}",
                "Expiration": datetime.now(UTC) + self.lifetime,
            }
        }


def sessions_with(sts: FakeSts, made: list[tuple[str, str]] | None = None) -> Sessions:
    def make_client(service: str, region: str, *, session: Any = None) -> Any:
        if made is not None:
            made.append((service, region))
        return sts

    return Sessions(make_client, name="connect-numbers-test")


def test_the_session_name_names_the_tool_within_stss_rules() -> None:
    assert session_name("alice") == "connect-numbers-alice"
    assert session_name("Jane Doe/ops") == "connect-numbers-Jane-Doe-ops"  # [\w+=,.@-] only
    assert len(session_name("x" * 200)) == MAX_SESSION_NAME
    assert session_name("", pid=4242) == "connect-numbers-4242"


def test_a_role_is_assumed_once_with_the_tools_session_name_and_external_id() -> None:
    sts = FakeSts()
    made: list[tuple[str, str]] = []
    sessions = sessions_with(sts, made)
    access = TargetAccess(role_arn=ROLE, external_id="tenant-42")
    first = sessions.session(access, target=TARGET, region="us-east-1")
    again = sessions.session(access, target=TARGET, region="us-west-2")
    assert first is again and made == [("sts", "us-east-1")]
    assert sts.calls == [
        {"RoleArn": ROLE, "RoleSessionName": "connect-numbers-test", "ExternalId": "tenant-42"}
    ]
    credentials = first.get_credentials()
    assert isinstance(credentials, botocore.credentials.RefreshableCredentials)
    assert credentials.get_frozen_credentials().access_key == "ASIA4444555566660001"


def test_credentials_are_refreshed_before_they_expire() -> None:
    # Five minutes left: inside botocore's mandatory refresh window (10 minutes), so
    # the next use assumes the role again instead of signing with expiring keys.
    sts = FakeSts(lifetime=timedelta(minutes=5))
    session = sessions_with(sts).session(TargetAccess(role_arn=ROLE), target=TARGET, region="r")
    frozen = session.get_credentials().get_frozen_credentials()
    assert frozen.access_key == "ASIA4444555566660002" and frozen.token == "token-2"
    assert len(sts.calls) == 2 and "ExternalId" not in sts.calls[0]


def test_a_role_that_cannot_be_assumed_names_the_target_and_the_role() -> None:
    denied = botocore.exceptions.ClientError(
        {
            "Error": {"Code": "AccessDenied", "Message": "not authorized to perform"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "AssumeRole",
    )
    sessions = sessions_with(FakeSts(error=denied))
    with pytest.raises(AccessDeniedError) as caught:
        sessions.session(TargetAccess(role_arn=ROLE), target=TARGET, region="us-east-1")
    message = str(caught.value)
    assert message.startswith(f"target {TARGET}: cannot assume role {ROLE}: AccessDenied")
    assert "trust policy" in message and "set targets[].external_id" in message
    assert caught.value.operation == "AssumeRole"


def test_an_unknown_profile_names_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(CredentialsError, match=f"target {TARGET}: AWS profile 'ops' not found"):
        sessions_with(FakeSts()).session(TargetAccess(profile="ops"), target=TARGET, region="r")


def test_connect_clients_are_built_per_account_region_and_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An account with a profile gets clients from that profile's session, one per
    region; an account without gets the default credentials' client."""
    config = tmp_path / "config"
    config.write_text("[profile ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    built: list[tuple[str, str | None]] = []

    class Client:
        class meta:
            class events:
                @staticmethod
                def register(*_: Any) -> None:
                    pass

    def clients(region: str, session: Any = None) -> Any:
        key = None if session is None else session.get_credentials().access_key
        built.append((region, key))
        return Client()

    reader = ConnectInventory(
        pacer=Pacer(RateLimit(rate=None)),
        clients=clients,
        access={"444455556666": TargetAccess(profile="ops")},
    )
    other = Target(arn="arn:aws:connect:us-east-1:111122223333:instance/aaaa")
    for region, account in [
        ("us-east-1", "444455556666"),
        ("us-east-1", "444455556666"),
        ("us-west-2", "444455556666"),
        ("us-east-1", other.account_id),
    ]:
        reader._client(region, account)
    assert built == [("us-east-1", "AKIAOPS"), ("us-west-2", "AKIAOPS"), ("us-east-1", None)]


def test_an_unreachable_sts_names_the_target_without_policy_advice() -> None:
    down = botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
    with pytest.raises(TransientAwsError) as caught:
        sessions_with(FakeSts(error=down)).session(
            TargetAccess(role_arn=ROLE), target=TARGET, region="us-east-1"
        )
    message = str(caught.value)
    assert message.startswith(f"target {TARGET}: cannot assume role {ROLE}: cannot reach")
    assert "trust policy" not in message
