"""The provider's listing cache: an entry is as old as the end of its fetch."""

from __future__ import annotations

from reconciler.pulumi.shared import _Listing, _ListingCache

TARGET = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_listing_slower_than_the_ttl_still_serves_the_reads_after_it() -> None:
    # 40k numbers: 40 pages of ListPhoneNumbersV2 at 2 requests/s take about 38 s,
    # longer than the 30 s TTL. Stamped at its start, the entry would be stale on
    # arrival and every Read would list the whole target again.
    clock = Clock()
    cache = _ListingCache(clock)
    fetches: list[float] = []

    def slow_fetch() -> _Listing:
        fetches.append(clock.now)
        clock.now += 38.0
        return _Listing(by_id={}, by_number={})

    first = cache.get(TARGET, 30.0, slow_fetch)
    clock.now += 29.0
    assert cache.get(TARGET, 30.0, slow_fetch) is first
    assert len(fetches) == 1
    clock.now += 2.0  # 31 s after the fetch completed: listed again
    cache.get(TARGET, 30.0, slow_fetch)
    assert len(fetches) == 2


def test_a_zero_ttl_lists_every_time() -> None:
    clock = Clock()
    cache = _ListingCache(clock)
    count = 0

    def fetch() -> _Listing:
        nonlocal count
        count += 1
        return _Listing(by_id={}, by_number={})

    cache.get(TARGET, 0.0, fetch)
    cache.get(TARGET, 0.0, fetch)
    assert count == 2
