"""Rolling-window arithmetic (quota.py), including the AWS page's worked example."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reconciler.core import quota
from reconciler.core.model import Action, HistoryEvent, QuotaPolicy

from .builders import NOW, events

POLICY = QuotaPolicy(phone_numbers=10)  # limit 20 in 180 days


def test_limit_is_the_floor_of_the_percentage() -> None:
    assert QuotaPolicy(phone_numbers=10).limit == 20
    assert QuotaPolicy(phone_numbers=99).limit == 198
    assert QuotaPolicy(phone_numbers=5, limit_percent=150).limit == 7  # 7.5 rounds down
    assert QuotaPolicy(phone_numbers=1, limit_percent=50).limit == 0


@pytest.mark.parametrize(
    ("age", "counted"),
    [
        (timedelta(0), True),  # at == now counts
        (timedelta(days=180) - timedelta(microseconds=1), True),
        (timedelta(days=180), False),  # now - window < at is strict
        (timedelta(days=200), False),
        # A future-dated event happened (the recorder's clock runs ahead): it counts.
        (-timedelta(seconds=1), True),
    ],
)
def test_window_bounds(age: timedelta, counted: bool) -> None:
    event = HistoryEvent(action=Action.CLAIM, phone_number="+12065550100", at=NOW - age)
    report = quota.assess([event], POLICY, now=NOW, planned=0)
    assert report.used == (1 if counted else 0)


def test_seed_worked_example_release_claim_then_any_release_is_refused() -> None:
    """AWS: quota 99; in one 180-day window release 99, claim 99, then release 99: exceeded."""
    policy = QuotaPolicy(phone_numbers=99)
    history = events(99, action=Action.RELEASE, days_ago=100) + events(
        99, action=Action.CLAIM, days_ago=50
    )
    assert policy.limit == 198
    at_limit = quota.assess(history, policy, now=NOW, planned=0)
    assert at_limit.used == 198 and at_limit.allowed  # exactly 200% is not over
    assert not quota.assess(history, policy, now=NOW, planned=99).allowed
    assert not quota.assess(history, policy, now=NOW, planned=1).allowed
    # And the first two steps were each allowed when they happened.
    first = events(99, action=Action.RELEASE, days_ago=100)
    assert quota.assess([], policy, now=NOW, planned=99).allowed
    assert quota.assess(first, policy, now=NOW, planned=99).allowed


def test_fits_now_and_the_date_the_whole_plan_fits() -> None:
    # 18 events, one a day from 170 days ago: the oldest expires in 10 days.
    history = events(18, days_ago=170, step_days=1)
    report = quota.assess(history, POLICY, now=NOW, planned=5)
    assert report.used == 18
    assert report.fits_now == 2
    assert not report.allowed
    # 18 + 5 - 20 = 3 events must expire: the 3rd oldest (168 days ago) + 180 days.
    assert report.whole_plan_fits_at == NOW + timedelta(days=12)
    assert report.next_frees_at == NOW + timedelta(days=10)
    assert not report.plan_never_fits


def test_a_plan_larger_than_the_limit_never_fits() -> None:
    report = quota.assess([], POLICY, now=NOW, planned=21)
    assert not report.allowed and report.plan_never_fits and report.whole_plan_fits_at is None


def test_reserve_counts_against_the_plan() -> None:
    policy = QuotaPolicy(phone_numbers=10, reserve=3)
    history = events(15)
    report = quota.assess(history, policy, now=NOW, planned=3)
    assert report.fits_now == 2
    assert not report.allowed
    assert quota.assess(history, policy, now=NOW, planned=2).allowed


def test_claims_blocked_until_now_and_after_the_plan() -> None:
    full = events(20, days_ago=100, step_days=1)
    report = quota.assess(full, POLICY, now=NOW, planned=0)
    assert report.claims_blocked_until == NOW + timedelta(days=80)
    assert report.fits_now == 0

    report = quota.assess(events(17, days_ago=100, step_days=1), POLICY, now=NOW, planned=3)
    assert report.claims_blocked_until is None
    # After 3 more actions the window is full; the oldest frees in 80 days.
    assert report.claims_blocked_after_plan_until == NOW + timedelta(days=80)

    # When the planned actions themselves fill the window, they free last.
    report = quota.assess([], QuotaPolicy(phone_numbers=1), now=NOW, planned=2)
    assert report.claims_blocked_after_plan_until == NOW + timedelta(days=180)


def test_history_since_spans_the_whole_history_not_just_the_window() -> None:
    history = events(3, days_ago=400, step_days=150)  # 400, 250, 100 days ago
    report = quota.assess(history, POLICY, now=NOW, planned=0)
    assert report.history_since == NOW - timedelta(days=400)
    assert report.history_events == 3
    assert report.used == 1
    assert quota.assess([], POLICY, now=NOW, planned=0).history_since is None


def test_negative_planned_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        quota.assess([], POLICY, now=NOW, planned=-1)


def test_coverage_gap_is_the_uncovered_part_of_the_window() -> None:
    start = NOW - timedelta(days=180)
    assert quota.coverage_gap(POLICY, now=NOW, covered_since=None) == (start, NOW)
    since = NOW - timedelta(days=30)
    assert quota.coverage_gap(POLICY, now=NOW, covered_since=since) == (start, since)
    assert quota.coverage_gap(POLICY, now=NOW, covered_since=start) is None
    assert quota.coverage_gap(POLICY, now=NOW, covered_since=NOW - timedelta(days=400)) is None


def test_assume_prior_counts_at_the_end_of_the_uncovered_span() -> None:
    policy = QuotaPolicy(phone_numbers=10, assume_prior=3)
    since = NOW - timedelta(days=30)
    report = quota.assess(events(2), policy, now=NOW, planned=0, covered_since=since)
    assert report.used == 5 and report.assumed_prior == 3
    assert (report.uncovered_from, report.uncovered_until) == (NOW - timedelta(days=180), since)
    # The assumed actions free 180 days after the end of the gap: held longest.
    full = quota.assess(events(17), policy, now=NOW, planned=1, covered_since=since)
    assert not full.allowed and full.whole_plan_fits_at == NOW + timedelta(days=150)
    # Fully covered: nothing is assumed.
    covered = quota.assess(
        events(2), policy, now=NOW, planned=0, covered_since=NOW - timedelta(days=365)
    )
    assert covered.used == 2 and covered.assumed_prior == 0 and covered.fully_covered
