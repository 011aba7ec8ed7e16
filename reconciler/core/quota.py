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

AWS counts per account and region: ``quota_groups`` and ``windows`` measure the
window of each account and region of the targets (an event of unknown scope
counts in every one, ``in_scope``), and ``quota_refusal`` words a refusal.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from reconciler.core.model import (
    DesiredState,
    HistoryEvent,
    QuotaGroup,
    QuotaPolicy,
    QuotaReport,
    Refusal,
    RefusalCode,
    Release,
    Window,
    iso,
    scope_of,
)

__all__ = [
    "assess",
    "counted_times",
    "coverage_gap",
    "in_scope",
    "outlook",
    "quota_groups",
    "quota_refusal",
    "quota_refusals",
    "schedule",
    "window_times",
    "windows",
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


def quota_refusal(report: QuotaReport, known: bool = True) -> str:
    """The message of a quota refusal of ``report``'s plan, with the ways out (``known``
    False: no history was read, so the figures are bounds)."""
    window = f"rolling {report.window_days}-day window"
    # With no history source, the actions already in the window are unknown: the
    # figures are bounds, never "0 used" stated as a fact.
    used = f"{report.used} used" if known else "used unknown: no history read"
    text = (
        f"releasing {report.planned} number(s) would take the account to "
        f"{'' if known else 'at least '}{report.after + report.reserve} of {report.limit} "
        f"claim/release actions in the {window} ({used}"
        + (f", {report.reserve} reserved" if report.reserve else "")
        + f"; limit {report.limit_percent}% of a quota of {report.phone_numbers}); "
        f"{'' if known else 'at most '}{report.fits_now} release(s) fit now"
    )
    if report.plan_never_fits:
        need = report.planned + report.reserve
        text += (
            f"; the whole plan never fits one window "
            f"({need} actions > limit {report.limit}): split it across windows or raise the quota"
        )
    elif report.whole_plan_fits_at is not None:
        text += f"; the whole plan fits on {iso(report.whole_plan_fits_at)}"
    if report.limit > report.reserve:
        # The way out that needs no one to wait: release what fits, defer the rest.
        text += (
            f". Or plan with `--fit` (Pulumi: connect-numbers:fitToQuota): it releases the "
            f"{report.fits_now} that fit now and defers the other "
            f"{max(0, report.planned - report.fits_now)}, each with the date it fits"
        )
    return text


def in_scope(history: Iterable[HistoryEvent], scope: str) -> list[HistoryEvent]:
    """The events that count against ``scope``'s quota (unknown scope: every quota)."""
    return [e for e in history if e.scope is None or e.scope == scope]


def quota_groups(
    history: Iterable[HistoryEvent],
    desired: DesiredState,
    *,
    now: datetime,
    releases: Sequence[Release],
    covered_since: datetime | None = None,
) -> tuple[QuotaGroup, ...]:
    """The rolling quota of each account and region of the targets, with its releases.

    AWS counts claims and releases per account and region; an event whose scope
    is unknown is counted in every group.
    """
    events = list(history)
    planned = Counter(scope_of(r.target_arn) for r in releases)
    groups = []
    for target in dict.fromkeys(t.scope for t in desired.targets):
        account_id, region = target.split("/")
        report = assess(
            in_scope(events, target),
            desired.quota,
            now=now,
            planned=planned[target],
            covered_since=covered_since,
        )
        groups.append(QuotaGroup(account_id=account_id, region=region, quota=report))
    return tuple(groups)


def windows(
    history: Iterable[HistoryEvent],
    desired: DesiredState,
    *,
    now: datetime,
    covered_since: datetime | None = None,
) -> tuple[Window, ...]:
    """The rolling window now of each account and region of the targets
    (``connect-numbers quota``): its figures, the events it counts, when room returns."""
    events = list(history)
    policy = desired.quota
    found = []
    for group in quota_groups(events, desired, now=now, releases=(), covered_since=covered_since):
        scoped = in_scope(events, group.scope)
        start = now - policy.window
        counted = sorted((e for e in scoped if start < e.at), key=lambda e: e.at)
        times = counted_times(scoped, policy, now=now, covered_since=covered_since)
        first = schedule(times, policy, now=now, count=1)[0]
        found.append(
            Window(
                account_id=group.account_id,
                region=group.region,
                quota=group.quota,
                events=tuple(counted),
                room_returns_at=first if first != now else None,
            )
        )
    return tuple(found)


def quota_refusals(groups: Sequence[QuotaGroup], known: bool = True) -> Iterator[Refusal]:
    """A QUOTA_EXCEEDED refusal for each account and region the plan does not fit."""
    for group in groups:
        if not group.quota.allowed:
            where = f"account {group.account_id}, {group.region}: " if len(groups) > 1 else ""
            message = where + quota_refusal(group.quota, known)
            yield Refusal(code=RefusalCode.QUOTA_EXCEEDED, message=message)
