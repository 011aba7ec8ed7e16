"""Injected faults as boto3 sees them, including the release that happened unseen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from connect_emulator import EmulatorServer, SeedError, load_seed
from connect_emulator.faults import FaultInjector, FaultKind, FaultRule

from .support import client, failure, ids_by_number, seed_with

Factory = Callable[..., EmulatorServer]


def outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    except ConnectionClosedError:
        return "dropped"
    return "ok"


def test_a_throttling_storm_answers_429(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    server.add_fault("throttle", count=3)
    connect = client()
    with pytest.raises(connect.exceptions.ThrottlingException) as caught:
        connect.list_phone_numbers_v2()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert [outcome(connect.list_phone_numbers_v2) for _ in range(3)] == [
        "ThrottlingException",
        "ThrottlingException",
        "ok",
    ]
    stats = server.stats()
    assert stats["throttled"] == stats["faults"] == {"ListPhoneNumbersV2": 3}
    assert server.faults()["rules"] == [{"kind": "throttle", "count": 3, "remaining": 0}]


def test_an_internal_error_is_500(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    server.add_fault("error", operation="DescribePhoneNumber", count=1)
    connect = client()
    number_id = ids_by_number(connect)["+12065550100"]  # ListPhoneNumbersV2: not hit
    code, status, message = failure(lambda: connect.describe_phone_number(PhoneNumberId=number_id))
    assert (code, status) == ("InternalServiceException", 500)
    assert "fault injected by the emulator" in message
    assert outcome(lambda: connect.describe_phone_number(PhoneNumberId=number_id)) == "ok"
    assert server.stats()["errors"] == {"DescribePhoneNumber": 1}


def test_an_error_fault_can_name_another_code(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    server.add_fault("error", code="AccessDeniedException", count=1)
    code, status, _ = failure(client().list_phone_numbers_v2)
    assert (code, status) == ("AccessDeniedException", 403)


def test_a_slow_response_times_out_a_short_read_timeout(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    server.add_fault("delay", delay=0.4, count=2)
    impatient = client(read_timeout=0.1)
    with pytest.raises(ReadTimeoutError):
        impatient.list_phone_numbers_v2()
    started = time.monotonic()
    client().list_phone_numbers_v2()  # a patient client just waits
    assert time.monotonic() - started >= 0.4
    assert server.stats()["faults"] == {"ListPhoneNumbersV2": 2}


def test_a_dropped_connection_is_a_connection_error(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    server.add_fault("drop", operation="ListPhoneNumbersV2", count=1)
    connect = client()
    with pytest.raises(ConnectionClosedError):
        connect.list_phone_numbers_v2()
    assert outcome(connect.list_phone_numbers_v2) == "ok"
    assert server.stats()["faults"] == {"ListPhoneNumbersV2": 1}


def test_a_release_dropped_after_it_happened_succeeds_on_a_retry_with_its_token(
    emulator_factory: Factory,
) -> None:
    """The nastiest real case: the number is gone, the client saw only a broken
    connection. Retrying with the same clientToken succeeds and releases nothing more."""
    server = emulator_factory(seed_with())
    server.add_fault("drop", operation="ReleasePhoneNumber", count=1, after_effect=True)
    connect = client()
    number_id = ids_by_number(connect)["+12065550100"]
    with pytest.raises(ConnectionClosedError):
        connect.release_phone_number(PhoneNumberId=number_id, ClientToken="r-1")
    assert "+12065550100" not in ids_by_number(connect)  # it happened
    retry = connect.release_phone_number(PhoneNumberId=number_id, ClientToken="r-1")
    assert retry["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [(e["phone_number"], e["client_token"]) for e in server.history()] == [
        ("+12065550100", "r-1")
    ]
    # A retry with a new token (a client that lost its token) sees the number gone.
    code, _, _ = failure(lambda: connect.release_phone_number(PhoneNumberId=number_id))
    assert code == "ResourceNotFoundException"


def test_a_release_answered_500_after_it_happened(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    server.add_fault("error", operation="ReleasePhoneNumber", count=1, after_effect=True)
    connect = client()
    number_id = ids_by_number(connect)["+12065550101"]
    code, status, _ = failure(
        lambda: connect.release_phone_number(PhoneNumberId=number_id, ClientToken="r-2")
    )
    assert (code, status) == ("InternalServiceException", 500)
    assert "+12065550101" not in ids_by_number(connect)
    connect.release_phone_number(PhoneNumberId=number_id, ClientToken="r-2")
    assert len(server.history()) == 1


def test_botocore_own_retry_reuses_its_token_after_a_drop(emulator_factory: Factory) -> None:
    """With standard retries, botocore retries the dropped DELETE itself with the token
    it generated: the caller sees one success, the account one release."""
    server = emulator_factory(seed_with())
    server.add_fault("drop", operation="ReleasePhoneNumber", count=1, after_effect=True)
    connect = boto3.client(
        "connect", config=Config(retries={"mode": "standard", "total_max_attempts": 3})
    )
    number_id = ids_by_number(connect)["+12065550102"]
    response = connect.release_phone_number(PhoneNumberId=number_id)
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(server.history()) == 1
    assert server.stats()["calls"]["ReleasePhoneNumber"] == 2


def test_an_after_effect_fault_waits_for_a_request_that_succeeds(
    emulator_factory: Factory,
) -> None:
    server = emulator_factory(seed_with())
    server.add_fault("drop", operation="ReleasePhoneNumber", count=1, after_effect=True)
    connect = client()
    assert outcome(lambda: connect.release_phone_number(PhoneNumberId="nope")) == (
        "ResourceNotFoundException"
    )
    assert server.faults()["rules"][0]["remaining"] == 1
    number_id = ids_by_number(connect)["+12065550100"]
    assert outcome(lambda: connect.release_phone_number(PhoneNumberId=number_id)) == "dropped"


def test_rate_faults_are_deterministic_for_a_seed(emulator_factory: Factory) -> None:
    def run(seed: int) -> list[str]:
        server = emulator_factory(
            seed_with(faults=[{"kind": "throttle", "rate": 0.5}], fault_seed=seed)
        )
        connect = client()
        results = [outcome(connect.list_phone_numbers_v2) for _ in range(16)]
        server.stop()
        return results

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other
    assert 2 <= first.count("ThrottlingException") <= 14


def test_rules_apply_in_order_and_only_to_their_operation() -> None:
    injector = FaultInjector(
        [
            FaultRule(kind=FaultKind.DROP, operation="ClaimPhoneNumber", count=1),
            FaultRule(kind=FaultKind.ERROR, count=2),
            FaultRule(kind=FaultKind.THROTTLE, rate=1.0),
        ]
    )
    kinds = [
        (rule.kind.value if rule else None)
        for rule in (
            injector.draw("ListPhoneNumbersV2", after_effect=False),
            injector.draw("ClaimPhoneNumber", after_effect=False),
            injector.draw("ClaimPhoneNumber", after_effect=False),
            injector.draw("ClaimPhoneNumber", after_effect=False),
            injector.draw("ClaimPhoneNumber", after_effect=True),
        )
    ]
    assert kinds == ["error", "drop", "error", "throttle", None]


def test_faults_come_from_the_seed_and_the_constructor(emulator_factory: Factory) -> None:
    server = emulator_factory(
        seed_with(faults=[{"kind": "error", "operation": "ListPhoneNumbersV2", "count": 1}]),
        faults=[{"kind": "throttle", "count": 1}],
    )
    connect = client()
    assert [outcome(connect.list_phone_numbers_v2) for _ in range(3)] == [
        "InternalServiceException",
        "ThrottlingException",
        "ok",
    ]
    server.clear_faults()
    assert server.faults()["rules"] == []


BAD_FAULTS: list[tuple[dict[str, Any], str]] = [
    ({"kind": "explode", "count": 1}, "kind 'explode' is not one of"),
    ({"kind": "drop"}, "exactly one of 'rate'"),
    ({"kind": "drop", "rate": 0.5, "count": 1}, "exactly one of 'rate'"),
    ({"kind": "drop", "rate": 1.5}, "rate must be a probability"),
    ({"kind": "drop", "count": 0}, "count must be an integer"),
    ({"kind": "delay", "count": 1}, "needs 'delay'"),
    ({"kind": "drop", "count": 1, "delay": 2}, "'delay' applies to delay faults only"),
    ({"kind": "drop", "count": 1, "code": "ThrottlingException"}, "'code' applies to error"),
    ({"kind": "error", "count": 1, "code": "Nope"}, "code 'Nope' is not one of"),
    ({"kind": "throttle", "count": 1, "after_effect": True}, "never runs"),
    ({"kind": "drop", "count": 1, "operation": "DeleteInstance"}, "operation 'DeleteInstance'"),
    ({"kind": "drop", "count": 1, "when": "later"}, "unknown key 'when'"),
]


@pytest.mark.parametrize(("rule", "problem"), BAD_FAULTS)
def test_bad_fault_rules_are_refused(rule: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        FaultRule.from_json(rule)
    with pytest.raises(SeedError) as caught:
        load_seed(seed_with(faults=[rule]))
    assert caught.value.entry == "faults[0]" and problem.split("'")[0] in caught.value.problem
