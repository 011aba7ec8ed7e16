"""ReleasePhoneNumber as boto3 sees it: effects, idempotency, refusals."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connect_emulator import EmulatorServer

from .support import (
    PREFIX,
    START,
    A,
    WallClock,
    client,
    failure,
    flows_by_number,
    ids_by_number,
    search,
    seed_with,
)

Factory = Callable[..., EmulatorServer]


def test_a_release_removes_the_number_everywhere_and_starts_its_cooldown(
    emulator_factory: Factory,
) -> None:
    clock = WallClock()
    server = emulator_factory(seed_with(available=[{"phone_number": "+12065550100"}]), now=clock)
    connect = client()
    ids = ids_by_number(connect)
    number_id = ids["+12065550100"]

    response = connect.release_phone_number(PhoneNumberId=number_id, ClientToken="t-1")

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(response) == {"ResponseMetadata"}  # no output shape
    assert "+12065550100" not in ids_by_number(connect)
    assert "+12065550100" not in {
        item["PhoneNumber"]
        for item in connect.list_phone_numbers(InstanceId=A)["PhoneNumberSummaryList"]
    }
    code, status, _ = failure(lambda: connect.describe_phone_number(PhoneNumberId=number_id))
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert flows_by_number(connect) == {"+12065550101": "support"}
    # In the pool (the seed lists it as available) but cooling down: not offered.
    assert "+12065550100" not in search(connect)
    assert server.history() == [
        {
            "action": "release",
            "phone_number": "+12065550100",
            "phone_number_id": number_id,
            "client_token": "t-1",
            "at": "2026-03-01T12:00:00Z",
            "instance": A,
            "type": "DID",
            "country": "US",
            "origin": "emulator",
        }
    ]
    (cooldown,) = server.state_summary()["cooldowns"]
    assert cooldown == {
        "phone_number": "+12065550100",
        "phone_number_id": number_id,
        "released_at": "2026-03-01T12:00:00Z",
        "until": "2026-08-28T12:00:00Z",  # 180 days
    }


def test_the_number_arn_is_accepted(emulator_factory: Factory) -> None:
    emulator_factory(seed_with())
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    connect.release_phone_number(PhoneNumberId=f"{PREFIX}:phone-number/{number_id}")
    assert "+12065550102" not in ids_by_number(connect)


def test_the_same_token_again_is_a_success_without_a_second_release(
    emulator_factory: Factory,
) -> None:
    server = emulator_factory(seed_with())
    connect = client()
    number_id = ids_by_number(connect)["+12065550100"]
    connect.release_phone_number(PhoneNumberId=number_id, ClientToken="t-1")
    again = connect.release_phone_number(PhoneNumberId=number_id, ClientToken="t-1")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(server.history()) == 1
    assert server.state_summary()["quota"]["used"] == 1
    # A new token for the number now gone is an ordinary miss.
    code, status, _ = failure(
        lambda: connect.release_phone_number(PhoneNumberId=number_id, ClientToken="t-2")
    )
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_a_token_reused_for_another_number_is_an_idempotency_exception(
    emulator_factory: Factory,
) -> None:
    server = emulator_factory(seed_with())
    connect = client()
    ids = ids_by_number(connect)
    connect.release_phone_number(PhoneNumberId=ids["+12065550100"], ClientToken="t-1")
    code, status, message = failure(
        lambda: connect.release_phone_number(PhoneNumberId=ids["+12065550102"], ClientToken="t-1")
    )
    assert (code, status) == ("IdempotencyException", 409)
    assert "'t-1' was already used" in message and "+12065550100" in message
    assert "+12065550102" in ids_by_number(connect)  # not released
    assert len(server.history()) == 1
    with pytest.raises(connect.exceptions.IdempotencyException):
        connect.release_phone_number(PhoneNumberId=ids["+12065550102"], ClientToken="t-1")


def test_a_claim_token_cannot_release(emulator_factory: Factory) -> None:
    emulator_factory(seed_with())
    connect = client()
    connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000", ClientToken="c-1")
    number_id = ids_by_number(connect)["+12065550100"]
    code, status, _ = failure(
        lambda: connect.release_phone_number(PhoneNumberId=number_id, ClientToken="c-1")
    )
    assert (code, status) == ("IdempotencyException", 409)


def test_an_in_progress_number_is_in_use(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    connect = client()
    number_id = ids_by_number(connect)["+12065550160"]
    with pytest.raises(connect.exceptions.ResourceInUseException) as caught:
        connect.release_phone_number(PhoneNumberId=number_id)
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert "IN_PROGRESS" in response["Error"]["Message"]
    # botocore copies the shape's other members to the top of the response.
    assert response["ResourceType"] == "PHONE_NUMBER"
    assert response["ResourceId"] == f"{PREFIX}:phone-number/{number_id}"
    assert server.history() == []


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("no-such-number", ("ResourceNotFoundException", 404)),
        (f"{PREFIX}:phone-number/no-such-number", ("ResourceNotFoundException", 404)),
        (
            "arn:aws:connect:us-east-1:999999999999:phone-number/x",
            ("InvalidParameterException", 400),
        ),
        ("has space", ("InvalidParameterException", 400)),
    ],
)
def test_unknown_and_malformed_ids(
    emulator_factory: Factory, reference: str, expected: tuple[str, int]
) -> None:
    emulator_factory(seed_with())
    code, status, _ = failure(lambda: client().release_phone_number(PhoneNumberId=reference))
    assert (code, status) == expected


def test_a_token_longer_than_500_characters_is_invalid(emulator_factory: Factory) -> None:
    emulator_factory(seed_with())
    connect = client(parameter_validation=False)
    number_id = ids_by_number(connect)["+12065550100"]
    code, status, _ = failure(
        lambda: connect.release_phone_number(PhoneNumberId=number_id, ClientToken="x" * 501)
    )
    assert (code, status) == ("InvalidParameterException", 400)


def test_a_release_without_a_token_still_counts_once(emulator_factory: Factory) -> None:
    """botocore fills in a token itself (``idempotencyToken``): the history shows it."""
    server = emulator_factory(seed_with())
    connect = client()
    connect.release_phone_number(PhoneNumberId=ids_by_number(connect)["+12065550100"])
    (event,) = server.history()
    assert event["client_token"] and len(event["client_token"]) == 36  # a uuid4


def test_the_cooldown_ends_and_the_number_can_be_found_again(emulator_factory: Factory) -> None:
    clock = WallClock()
    server = emulator_factory(seed_with(cooldown_days=30), now=clock)
    connect = client()
    connect.release_phone_number(PhoneNumberId=ids_by_number(connect)["+12065550102"])
    assert "+12065550102" not in search(connect)
    clock.advance(days=30)
    assert server.now() == START.replace(month=3, day=31)
    assert server.state_summary()["cooldowns"] == []
    # A released number rejoins the pool with the type and country it had.
    assert "+12065550102" in search(connect)
    connect.claim_phone_number(InstanceId=A, PhoneNumber="+12065550102")
    assert "+12065550102" in ids_by_number(connect)
