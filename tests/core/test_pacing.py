"""Client-side pacing (pacing.py) with a fake clock."""

from __future__ import annotations

import threading

import pytest

from reconciler.core.pacing import Pacer, RateLimit


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_burst_then_the_sustained_rate() -> None:
    t = FakeTime()
    pacer = Pacer(RateLimit(rate=2.0, burst=5), clock=t.clock, sleep=t.sleep, headroom=1.0)
    for _ in range(5):
        pacer.acquire("ListPhoneNumbersV2")
    assert t.sleeps == []
    for _ in range(4):
        pacer.acquire("ListPhoneNumbersV2")
    assert t.sleeps == pytest.approx([0.5, 0.5, 0.5, 0.5])
    assert t.now == pytest.approx(2.0)  # 9 calls: 5 at once, then 2 per second


def test_buckets_are_per_operation_and_overridable() -> None:
    t = FakeTime()
    pacer = Pacer(
        RateLimit(rate=2.0, burst=1),
        {"DescribePhoneNumber": RateLimit(rate=10.0, burst=1)},
        clock=t.clock,
        sleep=t.sleep,
        headroom=1.0,
    )
    pacer.acquire("ListPhoneNumbersV2")
    pacer.acquire("DescribePhoneNumber")
    assert t.sleeps == []  # separate buckets
    pacer.acquire("DescribePhoneNumber")
    assert t.sleeps == pytest.approx([0.1])


def test_disabled_pacing_never_sleeps() -> None:
    t = FakeTime()
    pacer = Pacer(RateLimit(rate=None), clock=t.clock, sleep=t.sleep, headroom=1.0)
    for _ in range(100):
        pacer.acquire("X")
    assert t.sleeps == []


def test_threads_share_the_budget() -> None:
    """20 calls from 4 threads at 2/s burst 5 wait 7.5 s in total, in order."""
    t = FakeTime()
    lock = threading.Lock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        with lock:
            waits.append(seconds)

    pacer = Pacer(RateLimit(rate=2.0, burst=5), clock=t.clock, sleep=sleep, headroom=1.0)
    threads = [
        threading.Thread(target=lambda: [pacer.acquire("Op") for _ in range(5)]) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The clock never moves, so reservations queue: waits 0.5, 1.0, ... 7.5.
    assert sorted(waits) == pytest.approx([0.5 * i for i in range(1, 16)])


def test_invalid_limits() -> None:
    with pytest.raises(ValueError):
        RateLimit(rate=0)
    with pytest.raises(ValueError):
        RateLimit(burst=0)


def test_the_default_paces_a_little_under_the_limit() -> None:
    """5% under: a request never beats AWS's token by network jitter alone."""
    t = FakeTime()
    pacer = Pacer(RateLimit(rate=20.0, burst=1), clock=t.clock, sleep=t.sleep)
    pacer.acquire("ReleasePhoneNumber")
    pacer.acquire("ReleasePhoneNumber")
    assert t.sleeps == pytest.approx([1 / 19])
    with pytest.raises(ValueError):
        Pacer(headroom=0)


def test_the_first_request_of_an_operation_opens_its_bucket() -> None:
    """AWS's bucket starts when our first request arrives: other threads wait for its
    answer (``opened``), and the refill is counted from then, not from its send."""
    t = FakeTime()
    pacer = Pacer(RateLimit(rate=2.0, burst=2), clock=t.clock, sleep=t.sleep, headroom=1.0)
    pacer.reports_answers()  # as ConnectInventory does
    pacer.acquire("DescribePhoneNumber")  # sent alone at 0
    gone: list[float] = []
    other = threading.Thread(
        target=lambda: (pacer.acquire("DescribePhoneNumber"), gone.append(t.now))
    )
    other.start()
    other.join(timeout=0.3)
    assert other.is_alive() and gone == []  # waits for the first answer
    t.now = 0.4  # the first request was slow to arrive and be answered
    pacer.opened("DescribePhoneNumber")
    other.join(timeout=5)
    assert gone == [0.4]  # the second token of the burst
    pacer.acquire("DescribePhoneNumber")
    # The refill counts from 0.4 (the answer), not from 0 (the send): 0.5 s for a token.
    assert t.sleeps == pytest.approx([0.5])
    pacer.acquire("ListPhoneNumbersV2")
    pacer.acquire("ListPhoneNumbersV2")  # one caller, one call after the other: no wait
    assert t.sleeps == pytest.approx([0.5])


def test_a_caller_that_reports_no_answer_is_never_held_up() -> None:
    """CloudTrail's reader paces one call after the other and reports nothing: a
    request from another thread does not wait for an answer nobody will report."""
    t = FakeTime()
    pacer = Pacer(RateLimit(rate=2.0, burst=2), clock=t.clock, sleep=t.sleep, headroom=1.0)
    pacer.acquire("LookupEvents")
    other = threading.Thread(target=pacer.acquire, args=("LookupEvents",))
    other.start()
    other.join(timeout=2)
    assert not other.is_alive() and t.sleeps == []


def test_each_account_has_its_own_buckets() -> None:
    """AWS throttles each account on its own: a scope (the account id) keys the bucket,
    so one account's burst never waits for another's tokens; a 429 empties only the
    bucket of the account that was throttled."""
    t = FakeTime()
    pacer = Pacer(RateLimit(rate=2.0, burst=2), clock=t.clock, sleep=t.sleep, headroom=1.0)
    for account in ("111122223333", "444455556666"):
        pacer.acquire("ListPhoneNumbersV2", account)
        pacer.acquire("ListPhoneNumbersV2", account)
    assert t.sleeps == []  # 2 + 2: each account's burst
    pacer.throttled("ListPhoneNumbersV2", "111122223333")
    pacer.acquire("ListPhoneNumbersV2", "111122223333")
    assert t.sleeps == pytest.approx([0.5])  # that account waits a full interval
    pacer.acquire("DescribePhoneNumber", "444455556666")
    assert t.sleeps == pytest.approx([0.5])  # the other account's other bucket: no wait
