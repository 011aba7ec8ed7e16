"""The rolling claim/release quota, enforced by the emulator itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connect_emulator import EmulatorServer, load_seed
from connect_emulator.clock import WallClock as EmulatorWallClock
from connect_emulator.errors import ApiError
from connect_emulator.operations import HANDLERS, ApiRequest
from connect_emulator.quota import QuotaPolicy, usage
from connect_emulator.state import ConnectState

from .support import START, A, WallClock, client, failure, ids_by_number, seed_with

Factory = Callable[..., EmulatorServer]
QUOTA = {"phone_numbers": 10, "window_days": 180, "limit_percent": 200}


def prior_history(count: int, *, oldest: datetime, step: timedelta) -> list[dict[str, Any]]:
    """``count`` alternating claims and releases of other numbers, oldest first."""
    return [
        {
            "action": "release" if i % 2 else "claim",
            "phone_number": f"+1206555{1000 + i}",
            "at": (oldest + i * step).isoformat(),
        }
        for i in range(count)
    ]


def test_a_release_over_the_limit_is_refused_until_the_oldest_event_expires(
    emulator_factory: Factory,
) -> None:
    clock = WallClock()
    oldest = START - timedelta(days=170)
    history = prior_history(20, oldest=oldest, step=timedelta(days=1))
    server = emulator_factory(seed_with(quota=QUOTA, history=history), now=clock)
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]

    code, status, message = failure(lambda: connect.release_phone_number(PhoneNumberId=number_id))

    assert (code, status) == ("ServiceQuotaExceededException", 402)
    assert message == (
        "cannot release +12065550102: 20 of 20 claim/release actions used in the rolling "
        "180-day window (200% of a quota of 10 phone numbers); the next frees on 2026-03-11 at "
        "12:00:00 UTC"
    )
    # Not declared for this operation, but botocore's modeled exceptions are per service.
    with pytest.raises(connect.exceptions.ServiceQuotaExceededException):
        connect.release_phone_number(PhoneNumberId=number_id)
    assert "+12065550102" in ids_by_number(connect)
    assert server.history(origin="emulator") == []
    assert server.state_summary()["quota"] == {
        **QUOTA,
        "limit": 20,
        "used": 20,
        "remaining": 0,
        "next_frees_at": "2026-03-11T12:00:00Z",
    }

    clock.advance(days=10, seconds=-1)  # one second before the oldest leaves the window
    assert failure(lambda: connect.release_phone_number(PhoneNumberId=number_id))[0] == (
        "ServiceQuotaExceededException"
    )
    clock.advance(seconds=1)  # now - window == at: no longer counted
    connect.release_phone_number(PhoneNumberId=number_id)
    assert [event["phone_number"] for event in server.history(origin="emulator")] == [
        "+12065550102"
    ]
    assert server.state_summary()["quota"]["used"] == 20


def test_claims_are_refused_too_and_the_message_says_when_one_fits_again(
    emulator_factory: Factory,
) -> None:
    """25 events against a limit of 20: six must expire before one more fits."""
    clock = WallClock()
    history = prior_history(25, oldest=START - timedelta(days=100), step=timedelta(days=2))
    emulator_factory(seed_with(quota=QUOTA, history=history), now=clock)
    connect = client()
    code, status, message = failure(
        lambda: connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000")
    )
    assert (code, status) == ("ServiceQuotaExceededException", 402)
    assert message.startswith("cannot claim +14255550000: 25 of 20 claim/release actions")
    assert message.endswith(
        "the next frees on 2026-05-20 at 12:00:00 UTC; the next claim is possible on "
        "2026-05-30 at 12:00:00 UTC"
    )
    clock.now = START + timedelta(days=90, seconds=-1)
    assert (
        failure(lambda: connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000"))[0]
        == "ServiceQuotaExceededException"
    )
    clock.advance(seconds=1)
    connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000")


def test_an_idempotent_replay_does_not_count(emulator_factory: Factory) -> None:
    history = prior_history(19, oldest=START - timedelta(days=10), step=timedelta(hours=1))
    server = emulator_factory(seed_with(quota=QUOTA, history=history), now=WallClock())
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    connect.release_phone_number(PhoneNumberId=number_id, ClientToken="last")  # 20 of 20
    connect.release_phone_number(PhoneNumberId=number_id, ClientToken="last")  # replay: fine
    assert server.state_summary()["quota"]["used"] == 20
    code, _, _ = failure(
        lambda: connect.release_phone_number(PhoneNumberId=ids_by_number(connect)["+12065550100"])
    )
    assert code == "ServiceQuotaExceededException"


def test_the_default_quota_is_five_per_instance_or_the_numbers_held() -> None:
    two_instances = load_seed(seed_with())
    assert two_instances.quota == QuotaPolicy(phone_numbers=10)
    assert two_instances.quota.limit == 20
    many = load_seed(
        {
            "instances": [{"id": A}],
            "numbers": [{"phone_number": f"+1206555{2000 + i}", "instance": A} for i in range(7)],
        }
    )
    assert many.quota == QuotaPolicy(phone_numbers=7, window_days=180, limit_percent=200)
    assert load_seed(None).quota.phone_numbers == 5
    partial = load_seed(seed_with(quota={"limit_percent": 100}))
    assert (partial.quota.phone_numbers, partial.quota.limit) == (10, 10)


def test_future_dated_events_count() -> None:
    policy = QuotaPolicy(phone_numbers=1, window_days=1, limit_percent=100)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert usage([now + timedelta(days=30)], policy, now=now).used == 1
    assert usage([now - timedelta(days=1)], policy, now=now).used == 0
    assert usage([now - timedelta(days=1) + timedelta(microseconds=1)], policy, now=now).used == 1


# --- a property over the whole input space ------------------------------------

NUMBERS = [f"+1206555{2000 + i}" for i in range(6)]
Step = tuple[str, int, int]  # (action, number index, hours to wait first)


def _call(state: ConnectState, operation: str, **kwargs: Any) -> None:
    path = {"PhoneNumberId": kwargs.pop("PhoneNumberId")} if "PhoneNumberId" in kwargs else {}
    query = {"clientToken": [kwargs.pop("clientToken")]} if "clientToken" in kwargs else {}
    HANDLERS[operation](state, ApiRequest(operation=operation, path=path, query=query, body=kwargs))


@settings(max_examples=60, deadline=None)
@given(
    limit_numbers=st.integers(min_value=1, max_value=4),
    window_days=st.integers(min_value=1, max_value=5),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["claim", "release", "replay"]),
            st.integers(min_value=0, max_value=len(NUMBERS) - 1),
            st.integers(min_value=0, max_value=60),
        ),
        max_size=40,
    ),
)
def test_no_sequence_of_requests_exceeds_the_limit_in_any_window(
    limit_numbers: int, window_days: int, steps: list[Step]
) -> None:
    """Whatever clients send, in whatever order, at whatever pace, no window of the
    emulator's own history holds more claims and releases than the limit, a refusal
    changes nothing, and a replayed token never adds an event."""
    clock = WallClock(START)
    seed = load_seed(
        {
            "instances": [{"id": A}],
            "available": NUMBERS,
            "available_generated": 0,
            "cooldown_days": 0,
            "quota": {"phone_numbers": limit_numbers, "window_days": window_days},
        }
    )
    state = ConnectState(seed, clock=EmulatorWallClock(clock))
    policy = seed.quota
    last_token: str | None = None
    for index, (action, number_index, wait_hours) in enumerate(steps):
        clock.advance(hours=wait_hours)
        phone_number = NUMBERS[number_index]
        before = len(state.history())
        try:
            if action == "claim":
                _call(
                    state,
                    "ClaimPhoneNumber",
                    InstanceId=A,
                    PhoneNumber=phone_number,
                    ClientToken=f"t{index}",
                )
            elif action == "release":
                number = state.phone_number_by_e164(phone_number)
                number_id = number.id if number is not None else "gone"
                last_token = f"t{index}"
                _call(state, "ReleasePhoneNumber", PhoneNumberId=number_id, clientToken=last_token)
            elif last_token is not None:
                event = state.event_for_token(last_token)
                if event is not None:
                    _call(
                        state,
                        "ReleasePhoneNumber",
                        PhoneNumberId=str(event.phone_number_id),
                        clientToken=last_token,
                    )
                    assert len(state.history()) == before
        except ApiError as error:
            assert error.code in {
                "ServiceQuotaExceededException",
                "InvalidParameterException",
                "ResourceNotFoundException",
            }
            assert len(state.history()) == before
    times = sorted(event.at for event in state.history())
    for end in times:
        in_window = [at for at in times if end - policy.window < at <= end]
        assert len(in_window) <= policy.limit
