"""Throttling like AWS: per-operation token buckets on an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from connect_emulator import EmulatorServer, RateLimit
from connect_emulator.ratelimit import RateLimiter, TokenBucket

Factory = Callable[..., EmulatorServer]
A = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SEED = {"instances": [{"id": A}], "numbers": [{"phone_number": "+12065550100", "instance": A}]}
NUMBER_ID = "fc018a49-80a1-5734-9a7c-c5ae8517c436"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def no_retry_client() -> Any:
    # ``total_max_attempts`` counts the first attempt; ``max_attempts`` would
    # count retries only, so max_attempts=1 still retries once.
    return boto3.client("connect", config=Config(retries={"total_max_attempts": 1}))


def outcome(call: Callable[[], Any]) -> str | tuple[str, int]:
    try:
        call()
    except ClientError as error:
        return (
            error.response["Error"]["Code"],
            error.response["ResponseMetadata"]["HTTPStatusCode"],
        )
    return "ok"


def test_the_sixth_immediate_call_is_throttled_and_a_refill_lets_one_through(
    emulator_factory: Factory,
) -> None:
    clock = FakeClock()
    server = emulator_factory(SEED, rate=2, burst=5, clock=clock)
    connect = no_retry_client()
    call = connect.list_phone_numbers_v2
    assert [outcome(call) for _ in range(5)] == ["ok"] * 5
    assert outcome(call) == ("ThrottlingException", 429)
    clock.advance(0.5)  # 2 tokens per second: one token
    assert outcome(call) == "ok"
    assert outcome(call) == ("ThrottlingException", 429)
    clock.advance(10)  # refills to the burst, not beyond
    assert [outcome(call) for _ in range(6)] == ["ok"] * 5 + [("ThrottlingException", 429)]
    stats = server.stats()
    assert stats["calls"] == {"ListPhoneNumbersV2": 14}
    assert stats["throttled"] == {"ListPhoneNumbersV2": 3}


def test_the_throttling_message_is_awss(emulator_factory: Factory) -> None:
    emulator_factory(SEED, rate=2, burst=1, clock=FakeClock())
    connect = no_retry_client()
    connect.list_phone_numbers_v2()
    with pytest.raises(connect.exceptions.ThrottlingException) as caught:
        connect.list_phone_numbers_v2()
    assert caught.value.response["Error"]["Message"] == "Rate exceeded"


def test_each_operation_has_its_own_bucket(emulator_factory: Factory) -> None:
    emulator_factory(SEED, rate=2, burst=5, clock=FakeClock())
    connect = no_retry_client()
    for _ in range(5):
        connect.list_phone_numbers_v2()
    assert outcome(connect.list_phone_numbers_v2) == ("ThrottlingException", 429)
    describe = lambda: connect.describe_phone_number(PhoneNumberId=NUMBER_ID)  # noqa: E731
    assert [outcome(describe) for _ in range(5)] == ["ok"] * 5
    assert outcome(describe) == ("ThrottlingException", 429)
    flows = lambda: connect.list_flow_associations(InstanceId=A)  # noqa: E731
    assert outcome(flows) == "ok"


def test_seed_rate_limits_set_per_operation_buckets(emulator_factory: Factory) -> None:
    seed = {
        **SEED,
        "rate_limits": {
            "default": {"rate": 1, "burst": 2},
            "DescribePhoneNumber": {"rate": 5, "burst": 10},
            "ListFlowAssociations": None,
        },
    }
    clock = FakeClock()
    emulator_factory(seed, rate=2, burst=5, clock=clock)
    connect = no_retry_client()
    describe = lambda: connect.describe_phone_number(PhoneNumberId=NUMBER_ID)  # noqa: E731
    assert [outcome(describe) for _ in range(11)] == ["ok"] * 10 + [("ThrottlingException", 429)]
    clock.advance(0.2)
    assert outcome(describe) == "ok"
    assert [outcome(connect.list_phone_numbers_v2) for _ in range(3)][-1] == (
        "ThrottlingException",
        429,
    )
    flows = lambda: connect.list_flow_associations(InstanceId=A)  # noqa: E731
    assert [outcome(flows) for _ in range(30)] == ["ok"] * 30


def test_constructor_rate_limits_override_the_seed(emulator_factory: Factory) -> None:
    seed = {**SEED, "rate_limits": {"ListPhoneNumbersV2": {"rate": 1, "burst": 1}}}
    emulator_factory(seed, rate_limits={"ListPhoneNumbersV2": None}, clock=FakeClock())
    connect = no_retry_client()
    assert [outcome(connect.list_phone_numbers_v2) for _ in range(20)] == ["ok"] * 20


@pytest.mark.parametrize("rate", [None, 0])
def test_rate_none_or_zero_disables_throttling(emulator_factory: Factory, rate: Any) -> None:
    emulator_factory(SEED, rate=rate, clock=FakeClock())
    connect = no_retry_client()
    assert [outcome(connect.list_phone_numbers_v2) for _ in range(20)] == ["ok"] * 20


def test_limits_can_change_while_serving(emulator_factory: Factory) -> None:
    server = emulator_factory(SEED, clock=FakeClock())
    connect = no_retry_client()
    server.set_rate_limit("ListPhoneNumbersV2", 1, burst=1)
    assert [outcome(connect.list_phone_numbers_v2) for _ in range(2)] == [
        "ok",
        ("ThrottlingException", 429),
    ]


def test_boto3_retries_throttling_on_its_own(emulator_factory: Factory) -> None:
    """botocore treats the emulator's 429 as throttling and retries it.

    Also pins a trap: ``retries={"max_attempts": 1}`` means one *retry*.
    """
    server = emulator_factory(SEED, rate=2, burst=1, clock=FakeClock())
    connect = boto3.client(
        "connect", config=Config(retries={"max_attempts": 1, "mode": "standard"})
    )
    connect.list_phone_numbers_v2()
    with pytest.raises(ClientError) as caught:
        connect.list_phone_numbers_v2()
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert server.stats()["calls"] == {"ListPhoneNumbersV2": 3}
    assert server.stats()["throttled"] == {"ListPhoneNumbersV2": 2}


def test_token_bucket_arithmetic() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=4, burst=2), clock)
    assert [bucket.try_take() for _ in range(3)] == [True, True, False]
    clock.advance(0.24)
    assert not bucket.try_take()
    clock.advance(0.01)
    assert bucket.try_take()
    clock.now -= 100  # a clock reset must not drain or overfill the bucket
    assert not bucket.try_take()


def test_limiter_defaults_and_overrides() -> None:
    limiter = RateLimiter(
        default=RateLimit(rate=1, burst=1),
        limits={"DescribePhoneNumber": None},
        clock=FakeClock(),
    )
    assert limiter.try_acquire("ListPhoneNumbersV2")
    assert not limiter.try_acquire("ListPhoneNumbersV2")
    assert all(limiter.try_acquire("DescribePhoneNumber") for _ in range(100))


@pytest.mark.parametrize(
    ("rate", "burst"), [(-1, 5), (float("inf"), 5), (2, 0), (2, 1.5), ("2", 5), (True, 5)]
)
def test_invalid_limits_are_refused(rate: Any, burst: Any) -> None:
    with pytest.raises(ValueError):
        RateLimit(rate=rate, burst=burst)


def test_unknown_operation_in_constructor_limits_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown operation 'ListEverything'"):
        EmulatorServer(None, rate_limits={"ListEverything": None})
