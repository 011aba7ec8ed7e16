"""Rolling-window quota arithmetic. Pure: no I/O, no clock (``now`` is a parameter).

AWS (Release a phone number, "Avoid being blocked"): "By default you can claim
and release up to 200% of your maximum number of active phone numbers. If you
claim and release phone numbers ... during a rolling 180 day cycle that exceeds
200% of your phone number service level quota, you will be blocked from
claiming any more numbers until 180 days past the oldest number released has
expired."

So: ``limit = floor(phone_numbers * limit_percent / 100)``; an event at time
``at`` counts at ``now`` when ``now - window < at``; it stops counting at
``at + window`` exactly. A plan of ``r`` releases is allowed when
``used + r + reserve <= limit``.

An event dated after ``now`` is counted too. DESIGN.md writes the window as
``now - window < at <= now``, but a history event is a claim or release that
already happened; a date ahead of our clock means the recording machine's clock
runs ahead, not that AWS has not counted it yet. Leaving it out would let a plan
spend headroom AWS no longer has, so we count it (the conservative reading).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from reconciler.core.model import HistoryEvent, QuotaPolicy, QuotaReport

__all__ = [
    "assess",
    "counted_times",
    "coverage_gap",
    "outlook",
    "schedule",
    "window_times",
]


def window_times(
    history: Iterable[HistoryEvent], policy: QuotaPolicy, *, now: datetime
) -> list[datetime]:
    """The times of the events that count at ``now`` (future-dated included), oldest first."""
    start = now - policy.window
    return sorted(e.at for e in history if start < e.at)


def _frees_at(times: Sequence[datetime], k: int, policy: QuotaPolicy) -> datetime:
    """When ``k`` actions have left the window: the k-th oldest event's expiry."""
    return times[k - 1] + policy.window


def _blocked_until(
    times: Sequence[datetime], planned: int, policy: QuotaPolicy, *, now: datetime
) -> datetime | None:
    """Until when a claim is refused if ``planned`` actions happen at ``now``.

    ``None`` when a claim is possible. The planned actions are the newest events,
    so once the window's own events are exhausted the answer is ``now + window``.
    """
    excess = len(times) + planned + 1 - policy.limit
    if excess <= 0:
        return None
    if excess <= len(times):
        return _frees_at(times, excess, policy)
    return now + policy.window


def coverage_gap(
    policy: QuotaPolicy, *, now: datetime, covered_since: datetime | None
) -> tuple[datetime, datetime] | None:
    """The part of the window at ``now`` that the history does not cover, if any.

    ``covered_since`` None means the history's completeness is unknown: the
    whole window is uncovered.
    """
    start = now - policy.window
    if covered_since is None:
        return (start, now)
    if covered_since <= start:
        return None
    return (start, min(covered_since, now))


def counted_times(
    history: Iterable[HistoryEvent],
    policy: QuotaPolicy,
    *,
    now: datetime,
    covered_since: datetime | None = None,
) -> list[datetime]:
    """The moments of the actions counted at ``now``, oldest first: the window's events,
    plus ``policy.assume_prior`` at the end of the span the history does not cover
    (the latest they can have happened, so they are held longest: conservative)."""
    times = window_times(history, policy, now=now)
    gap = coverage_gap(policy, now=now, covered_since=covered_since)
    if policy.assume_prior and gap is not None:
        times = sorted([*times, *[gap[1]] * policy.assume_prior])
    return times


def schedule(
    times: Sequence[datetime], policy: QuotaPolicy, *, now: datetime, count: int
) -> list[datetime | None]:
    """When each of ``count`` releases, made one after another, first fits the quota.

    ``times``: the actions counted at ``now`` (``counted_times``). Each release is
    made at the earliest moment ``t >= now`` at which the window then holds room for
    it and the reserve (``used(t) + 1 + reserve <= limit``), counting every release
    before it at its own date: ``now`` for those that fit now, in the order given.
    None for every one when the reserve leaves no room at all (it never fits).

    With ``k = limit - reserve - 1`` actions allowed beside it, a release fits at
    ``t`` when at most ``k`` counted actions are later than ``t - window``: when the
    ``(len - k)``-th oldest has left the window (it counts until ``at + window``).
    """
    room = policy.limit - policy.reserve - 1
    if room < 0:
        return [None] * count
    counted = sorted(times)
    found: list[datetime | None] = []
    for _ in range(count):
        at = now
        if len(counted) > room:
            at = max(now, counted[len(counted) - room - 1] + policy.window)
        bisect.insort(counted, at)
        found.append(at)
    return found


def outlook(times: Sequence[datetime], policy: QuotaPolicy, *, now: datetime) -> tuple[int, ...]:
    """The actions counted in the window at ``now + d`` days, for d = 0 .. window_days.

    ``times``: the actions counted at ``now`` (``counted_times``); no new action is
    assumed, so the count only falls as the events leave the window.
    """
    counted = sorted(times)
    days = range(policy.window_days + 1)
    return tuple(
        len(counted) - bisect.bisect_right(counted, now + timedelta(days=d) - policy.window)
        for d in days
    )


def assess(
    history: Iterable[HistoryEvent],
    policy: QuotaPolicy,
    *,
    now: datetime,
    planned: int,
    covered_since: datetime | None = None,
) -> QuotaReport:
    """Measure the window at ``now`` and judge a plan of ``planned`` actions.

    For a window the history does not fully cover, ``policy.assume_prior``
    events are counted as if they happened at the end of the uncovered span
    (the latest they can have happened, so they are held longest: conservative).
    """
    if planned < 0:
        raise ValueError("planned must not be negative")
    events = history if isinstance(history, Sequence) else list(history)
    gap = coverage_gap(policy, now=now, covered_since=covered_since)
    assumed = policy.assume_prior if gap is not None else 0
    times = counted_times(events, policy, now=now, covered_since=covered_since)
    used = len(times)
    limit = policy.limit
    fits_now = max(0, limit - policy.reserve - used)

    excess = used + planned + policy.reserve - limit
    never = planned + policy.reserve > limit
    fits_at: datetime | None = None
    if excess > 0 and not never:
        # The whole plan fits once the `excess` oldest events in the window expire.
        fits_at = _frees_at(times, excess, policy)

    since: datetime | None = min((e.at for e in events), default=None)
    return QuotaReport(
        limit=limit,
        used=used,
        planned=planned,
        reserve=policy.reserve,
        window_days=policy.window_days,
        phone_numbers=policy.phone_numbers,
        limit_percent=policy.limit_percent,
        fits_now=fits_now,
        history_since=since,
        history_events=len(events),
        next_frees_at=_frees_at(times, 1, policy) if times else None,
        whole_plan_fits_at=fits_at,
        plan_never_fits=never,
        claims_blocked_until=_blocked_until(times, 0, policy, now=now),
        claims_blocked_after_plan_until=_blocked_until(times, planned, policy, now=now),
        covered_since=covered_since,
        uncovered_from=gap[0] if gap else None,
        uncovered_until=gap[1] if gap else None,
        assumed_prior=assumed,
        outlook=outlook(times, policy, now=now),
    )
