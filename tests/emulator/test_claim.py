"""SearchAvailablePhoneNumbers and ClaimPhoneNumber: the pool, claims, cooldowns."""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers
import pytest

from connect_emulator import EmulatorServer
from connect_emulator.constants import PHONE_NUMBER_TYPES
from connect_emulator.countries import TEMPLATES, generated_entry, generated_number

from .support import (
    A_ARN,
    PREFIX,
    A,
    B,
    WallClock,
    client,
    failure,
    ids_by_number,
    search,
    seed_with,
)

Factory = Callable[..., EmulatorServer]

POOL = [
    "+12065550400",
    {"phone_number": "+12065550401"},
    {"phone_number": "+18005550400", "type": "TOLL_FREE"},
    {"phone_number": "+14165550400", "country": "CA"},
]


def test_search_serves_the_seeded_and_generated_pool_in_order(emulator_factory: Factory) -> None:
    emulator_factory(seed_with(available=POOL, available_generated=3))
    connect = client()
    assert search(connect) == [
        "+12065550400",
        "+12065550401",
        "+14255550000",
        "+14255550001",
        "+14255550002",
    ]
    assert search(connect, number_type="TOLL_FREE") == [
        "+18005550400",
        "+18885550000",
        "+18885550001",
        "+18885550002",
    ]
    assert search(connect, country="CA")[0] == "+14165550000"
    assert "+14165550400" in search(connect, country="CA")
    assert search(connect, country="BR") == []  # no template, nothing seeded
    response = connect.search_available_phone_numbers(
        TargetArn=A_ARN, PhoneNumberCountryCode="US", PhoneNumberType="DID", MaxResults=1
    )
    assert response["AvailableNumbersList"] == [
        {"PhoneNumber": "+12065550400", "PhoneNumberCountryCode": "US", "PhoneNumberType": "DID"}
    ]
    assert "NextToken" in response


def test_search_pages_and_filters_by_prefix(emulator_factory: Factory) -> None:
    emulator_factory(seed_with(available=POOL, available_generated=25))
    connect = client()
    everything = search(connect, MaxResults=4)
    assert len(everything) == 27 and everything == sorted(everything)
    assert search(connect, PhoneNumberPrefix="+1206") == ["+12065550400", "+12065550401"]
    assert search(connect, PhoneNumberPrefix="1425555001") == [
        f"+142555500{i}" for i in range(10, 20)
    ]
    first = connect.search_available_phone_numbers(
        InstanceId=A, PhoneNumberCountryCode="US", PhoneNumberType="DID", MaxResults=10
    )
    assert len(first["AvailableNumbersList"]) == 10
    code, status, _ = failure(
        lambda: connect.search_available_phone_numbers(
            InstanceId=A,
            PhoneNumberCountryCode="US",
            PhoneNumberType="TOLL_FREE",
            NextToken=first["NextToken"],
        )
    )
    assert (code, status) == ("InvalidParameterException", 400)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"PhoneNumberCountryCode": "US", "PhoneNumberType": "DID"},  # no target
        {
            "InstanceId": A,
            "TargetArn": A_ARN,
            "PhoneNumberCountryCode": "US",
            "PhoneNumberType": "DID",
        },
        {"InstanceId": "nope", "PhoneNumberCountryCode": "US", "PhoneNumberType": "DID"},
        {"InstanceId": A, "PhoneNumberCountryCode": "usa", "PhoneNumberType": "DID"},
        {"InstanceId": A, "PhoneNumberCountryCode": "US", "PhoneNumberType": "MOBILE"},
        {
            "InstanceId": A,
            "PhoneNumberCountryCode": "US",
            "PhoneNumberType": "DID",
            "MaxResults": 11,
        },
        {
            "InstanceId": A,
            "PhoneNumberCountryCode": "US",
            "PhoneNumberType": "DID",
            "PhoneNumberPrefix": "+1-206",
        },
    ],
)
def test_search_refuses_bad_requests_with_declared_errors(
    emulator_factory: Factory, kwargs: dict[str, object]
) -> None:
    """Only InvalidParameterException: the model declares no 404 for this operation."""
    emulator_factory(seed_with())
    connect = client(parameter_validation=False)
    code, status, _ = failure(lambda: connect.search_available_phone_numbers(**kwargs))
    assert (code, status) == ("InvalidParameterException", 400)


def test_a_claim_adds_the_number_and_search_stops_offering_it(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with(available=POOL), now=WallClock())
    connect = client()
    response = connect.claim_phone_number(
        TargetArn=A_ARN,
        PhoneNumber="+18005550400",
        PhoneNumberDescription="New toll-free",
        Tags={"team": "sales"},
        ClientToken="c-1",
    )
    number_id = response["PhoneNumberId"]
    assert response["PhoneNumberArn"] == f"{PREFIX}:phone-number/{number_id}"
    summary = connect.describe_phone_number(PhoneNumberId=number_id)["ClaimedPhoneNumberSummary"]
    assert summary == {
        "PhoneNumberId": number_id,
        "PhoneNumberArn": f"{PREFIX}:phone-number/{number_id}",
        "PhoneNumber": "+18005550400",
        "PhoneNumberCountryCode": "US",
        "PhoneNumberType": "TOLL_FREE",
        "PhoneNumberDescription": "New toll-free",
        "TargetArn": A_ARN,
        "InstanceId": A,
        "Tags": {"team": "sales"},
        "PhoneNumberStatus": {"Status": "CLAIMED"},
    }
    assert "+18005550400" not in search(connect, number_type="TOLL_FREE")
    assert ids_by_number(connect)["+18005550400"] == number_id
    (event,) = server.history()
    assert (event["action"], event["phone_number"], event["phone_number_id"]) == (
        "claim",
        "+18005550400",
        number_id,
    )
    assert (event["client_token"], event["instance"], event["at"]) == (
        "c-1",
        A,
        "2026-03-01T12:00:00Z",
    )


def test_a_claim_can_stay_in_progress_for_a_number_of_describes(
    emulator_factory: Factory,
) -> None:
    emulator_factory(seed_with(claim_in_progress_describes=2))
    connect = client()
    number_id = connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000")[
        "PhoneNumberId"
    ]

    def status() -> str:
        summary = connect.describe_phone_number(PhoneNumberId=number_id)
        return str(summary["ClaimedPhoneNumberSummary"]["PhoneNumberStatus"]["Status"])

    code, status_code, _ = failure(lambda: connect.release_phone_number(PhoneNumberId=number_id))
    assert (code, status_code) == ("ResourceInUseException", 409)
    assert [status(), status(), status(), status()] == [
        "IN_PROGRESS",
        "IN_PROGRESS",
        "CLAIMED",
        "CLAIMED",
    ]
    connect.release_phone_number(PhoneNumberId=number_id)


def test_the_same_claim_token_returns_the_same_number_once(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    connect = client()
    first = connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000", ClientToken="c")
    again = connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000", ClientToken="c")
    assert (first["PhoneNumberId"], first["PhoneNumberArn"]) == (
        again["PhoneNumberId"],
        again["PhoneNumberArn"],
    )
    assert len(server.history()) == 1
    for other in (
        {"InstanceId": A, "PhoneNumber": "+14255550001"},
        {"InstanceId": B, "PhoneNumber": "+14255550000"},
    ):
        code, status, _ = failure(lambda o=other: connect.claim_phone_number(**o, ClientToken="c"))
        assert (code, status) == ("IdempotencyException", 409)


@pytest.mark.parametrize(
    ("phone_number", "fragment"),
    [
        ("+12065550100", "already claimed"),
        ("+12065550300", "already claimed"),  # claimed to the other instance
        ("+12065559999", "not in the pool"),
        ("+14255550020", "not in the pool"),  # beyond available_generated (20)
    ],
)
def test_a_number_that_is_not_available_cannot_be_claimed(
    emulator_factory: Factory, phone_number: str, fragment: str
) -> None:
    server = emulator_factory(seed_with())
    code, status, message = failure(
        lambda: client().claim_phone_number(InstanceId=A, PhoneNumber=phone_number)
    )
    assert (code, status) == ("InvalidParameterException", 400)
    assert message.startswith("Phone number not available: ") and fragment in message
    assert server.history() == []


def test_a_number_in_cooldown_cannot_be_claimed_until_it_ends(emulator_factory: Factory) -> None:
    clock = WallClock()
    emulator_factory(seed_with(), now=clock)
    connect = client()
    connect.release_phone_number(PhoneNumberId=ids_by_number(connect)["+12065550102"])
    code, status, message = failure(
        lambda: connect.claim_phone_number(InstanceId=A, PhoneNumber="+12065550102")
    )
    assert (code, status) == ("InvalidParameterException", 400)
    assert message == (
        "Phone number not available: +12065550102 was released on 2026-03-01T12:00:00Z and is "
        "in its 180-day cooldown until 2026-08-28T12:00:00Z."
    )
    clock.advance(days=179, hours=23)
    code, _, _ = failure(
        lambda: connect.claim_phone_number(InstanceId=A, PhoneNumber="+12065550102")
    )
    assert code == "InvalidParameterException"
    clock.advance(hours=1)
    connect.claim_phone_number(InstanceId=A, PhoneNumber="+12065550102")
    assert "+12065550102" in ids_by_number(connect)


def test_a_released_then_reclaimed_number_gets_a_new_id(emulator_factory: Factory) -> None:
    """As in AWS, every claim has its own id; a deterministic one, so runs repeat."""
    clock = WallClock()
    emulator_factory(seed_with(cooldown_days=1), now=clock)
    connect = client()
    old_id = ids_by_number(connect)["+12065550102"]
    connect.release_phone_number(PhoneNumberId=old_id)
    clock.advance(days=1)
    new_id = connect.claim_phone_number(InstanceId=A, PhoneNumber="+12065550102")["PhoneNumberId"]
    assert new_id != old_id
    code, _, _ = failure(lambda: connect.describe_phone_number(PhoneNumberId=old_id))
    assert code == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"PhoneNumber": "+14255550000"},  # no target
        {"InstanceId": A, "TargetArn": A_ARN, "PhoneNumber": "+14255550000"},
        {"InstanceId": A, "PhoneNumber": "14255550000"},
        {"InstanceId": A, "PhoneNumber": "+14255550000", "PhoneNumberDescription": "x" * 501},
        {"InstanceId": A, "PhoneNumber": "+14255550000", "Tags": {"aws:owner": "me"}},
        {"InstanceId": A, "PhoneNumber": "+14255550000", "Tags": {"k": 5}},
        {"InstanceId": A, "PhoneNumber": "+14255550000", "ClientToken": "x" * 501},
        {"TargetArn": "not-an-arn", "PhoneNumber": "+14255550000"},
    ],
)
def test_claim_refuses_bad_requests(emulator_factory: Factory, kwargs: dict[str, object]) -> None:
    emulator_factory(seed_with())
    connect = client(parameter_validation=False)
    code, status, _ = failure(lambda: connect.claim_phone_number(**kwargs))
    assert (code, status) == ("InvalidParameterException", 400)


def test_claim_to_an_unknown_instance_is_not_found(emulator_factory: Factory) -> None:
    emulator_factory(seed_with())
    code, status, _ = failure(
        lambda: client().claim_phone_number(InstanceId="nope", PhoneNumber="+14255550000")
    )
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_generated_numbers_are_valid_and_recognised() -> None:
    """Every template makes numbers libphonenumber accepts (the product validates with it)."""
    for (country, number_type), (_, digits) in TEMPLATES.items():
        assert number_type in PHONE_NUMBER_TYPES
        for index in (0, 1, 19, 999, 10**digits - 1):
            number = generated_number(country, number_type, index)
            assert number is not None
            parsed = phonenumbers.parse(number)
            assert phonenumbers.is_valid_number(parsed), number
            assert generated_entry(number, index + 1) == (country, number_type)
            assert generated_entry(number, index) is None
        assert generated_number(country, number_type, 10**digits) is None
    assert generated_number("BR", "DID", 0) is None
