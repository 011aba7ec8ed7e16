"""`plan --fit` (issue 15, part 2): release what fits the rolling quota now, defer the rest.

The planner plans the largest set that fits now keeping the reserve, in a documented
order (releases that deactivate no flow first, then the others, each by number), and
defers the rest with ``fits_at``; the other rules still judge the whole plan.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.app import planfiles
from reconciler.core import apply_rules, planner, quota, render
from reconciler.core.model import (
    Action,
    HistoryEvent,
    Inventory,
    Plan,
    Policy,
    RefusalCode,
    scope_of,
)

from .builders import NOW, TARGET, desired, events, flow, inventory, live

FIT = Policy(fit=True)
WINDOW = timedelta(days=180)
OTHER_REGION = (
    "arn:aws:connect:eu-west-2:111122223333:instance/cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee"
)


def five_to_release(**extra: object) -> Inventory:
    return inventory(
        live("+12065550100"),
        live("+12065550200", flows=(flow("promo"),)),
        *(live(f"+120655502{i:02d}") for i in range(1, 5)),
        **extra,  # type: ignore[arg-type]
    )


def fit_plan(history: list[HistoryEvent], *, reserve: int = 0, **kw: object) -> Plan:
    return planner.plan(
        desired("+12065550100", reserve=reserve, **kw),  # type: ignore[arg-type]
        five_to_release(),
        history,
        policy=FIT,
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )


def test_room_for_two_of_five_releases_two_and_defers_three_with_their_dates() -> None:
    history = events(18, days_ago=170, step_days=1)  # expire at NOW + 10, 11, 12, ... days
    plan = fit_plan(history)
    assert not plan.refused
    assert [r.phone_number for r in plan.releases] == ["+12065550201", "+12065550202"]
    # The one whose flow would lose its last number goes last; the others by number.
    assert [d.phone_number for d in plan.deferred] == [
        "+12065550203",
        "+12065550204",
        "+12065550200",
    ]
    # Each fits once one more of the oldest events has left the window.
    assert [d.fits_at for d in plan.deferred] == [NOW + timedelta(days=d) for d in (10, 11, 12)]
    assert plan.deferred[2].flows == (flow("promo"),)
    assert (plan.quota.used, plan.quota.planned, plan.quota.after) == (18, 2, 20)


def test_the_reserve_is_kept() -> None:
    plan = fit_plan(events(16, days_ago=170, step_days=1), reserve=2)
    assert len(plan.releases) == 2 and len(plan.deferred) == 3
    assert plan.quota.after + plan.quota.reserve == plan.quota.limit


def test_a_plan_that_fits_whole_is_the_plain_plan() -> None:
    fitted = fit_plan([])
    plain = planner.plan(
        desired("+12065550100"),
        five_to_release(),
        [],
        policy=Policy(),
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )
    assert fitted.deferred == () and fitted.releases == plain.releases


def test_no_room_now_defers_every_release_and_is_not_refused() -> None:
    plan = fit_plan(events(20, days_ago=100, step_days=1))
    assert plan.releases == () and not plan.refused and not plan.has_changes
    assert plan.deferred[0].fits_at == NOW + timedelta(days=80)


def test_a_release_fits_given_the_releases_before_it_made_at_their_own_dates() -> None:
    """A limit of 2 with 5 releases: each window takes two, the next two wait a window."""
    plan = fit_plan([], phone_numbers=1)
    assert len(plan.releases) == 2
    assert [d.fits_at for d in plan.deferred] == [NOW + WINDOW, NOW + WINDOW, NOW + 2 * WINDOW]


def test_the_mass_release_rule_still_counts_the_whole_plan() -> None:
    plan = fit_plan(events(18, days_ago=170, step_days=1), max_releases=3)
    assert [r.code for r in plan.refusals] == [RefusalCode.MASS_RELEASE]
    assert "releases 5 numbers" in plan.refusals[0].message


def test_the_empty_file_rule_still_applies() -> None:
    plan = planner.plan(
        desired(), five_to_release(), [], policy=FIT, now=NOW, covered_since=NOW - WINDOW
    )
    assert RefusalCode.EMPTY_DESIRED_STATE in {r.code for r in plan.refusals}


def test_a_reserve_that_leaves_no_room_is_refused_even_with_fit() -> None:
    plan = fit_plan([], reserve=20)
    assert plan.releases == ()
    assert [r.code for r in plan.refusals] == [RefusalCode.QUOTA_EXCEEDED]
    assert "5 release(s) never fit, even with --fit" in plan.refusals[0].message
    assert all(d.fits_at is None for d in plan.deferred)


def test_a_flow_is_deactivated_now_only_if_all_its_numbers_go_now() -> None:
    shared = flow("shared")
    plan = planner.plan(
        desired("+12065550100"),
        inventory(
            live("+12065550100"),
            live("+12065550201"),
            live("+12065550202", flows=(shared,)),
            live("+12065550203", flows=(shared,)),
        ),
        events(19, days_ago=170, step_days=1),
        policy=FIT,
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )
    # The whole plan deactivates `shared`: those two go last; one release fits now.
    assert [r.phone_number for r in plan.releases] == ["+12065550201"]
    assert [d.phone_number for d in plan.deferred] == ["+12065550202", "+12065550203"]


def test_each_account_and_region_has_its_own_room() -> None:
    other = [
        HistoryEvent(
            action=Action.CLAIM,
            phone_number=None,
            at=NOW - timedelta(days=1),
            scope=scope_of(OTHER_REGION),
        )
        for _ in range(19)
    ]
    plan = planner.plan(
        desired("+12065550100", targets=(TARGET, OTHER_REGION)),
        inventory(
            live("+12065550201"),
            live("+12065550202"),
            live("+442055500001", target=OTHER_REGION),
            live("+442055500002", target=OTHER_REGION),
            targets=(TARGET, OTHER_REGION),
        ),
        other,
        policy=FIT,
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )
    assert not plan.refused
    assert [r.phone_number for r in plan.releases] == [
        "+12065550201",
        "+12065550202",
        "+442055500001",
    ]
    assert [d.phone_number for d in plan.deferred] == ["+442055500002"]
    assert plan.deferred[0].fits_at == NOW - timedelta(days=1) + WINDOW


def test_the_plan_json_lists_the_deferred_and_a_saved_fit_plan_reads_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plan = fit_plan(events(18, days_ago=170, step_days=1))
    data = json.loads(render.render_json(plan))
    assert data["policy"]["fit"] is True and data["summary"]["deferred"] == 3
    assert data["deferred"][0] == {
        "phone_number": "+12065550203",
        "phone_number_id": "id-12065550203",
        "target_arn": TARGET,
        "fits_at": "2026-12-06T12:00:00Z",
        "flows": [],
    }
    path = tmp_path / "plan.json"
    planfiles.write_plan(plan, str(path))
    assert planfiles.load_plan(str(path)) == plan


def test_text_lists_the_deferred_with_their_dates() -> None:
    text = render.render_text(fit_plan(events(18, days_ago=170, step_days=1)))
    assert "Deferred (3), no room in the rolling quota now (--fit)" in text
    assert "  > +12065550203  id id-12065550203  fits from 2026-12-06T12:00:00Z" in text
    assert "Plan: 2 to release, 1 to keep, 0 missing, 0 skipped, 3 deferred." in text


def test_a_quota_refusal_suggests_fit_with_how_many_would_be_released_now() -> None:
    refused = planner.plan(
        desired("+12065550100"),
        five_to_release(),
        events(18, days_ago=170, step_days=1),
        policy=Policy(),
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )
    assert refused.refused and len(refused.releases) == 5
    message = refused.refusals[0].message
    assert (
        "Or plan with `--fit` (Pulumi: connect-numbers:fitToQuota): it releases the 2 "
        "that fit now and defers the other 3" in message
    )


def test_a_saved_fit_plan_is_not_stale_for_its_deferred_numbers() -> None:
    saved = fit_plan(events(18, days_ago=170, step_days=1))
    listed = replace(
        five_to_release(), numbers=tuple(replace(n, status=None) for n in five_to_release().numbers)
    )
    assert apply_rules.staleness(saved, desired("+12065550100"), listed, frozenset()) == ()


def test_a_fresh_fit_plan_made_after_more_history_confirms_fewer() -> None:
    """Apply bounds a saved --fit plan by a fresh --fit plan: a release that no longer
    fits is dropped, never refused whole and never released."""
    history = events(18, days_ago=170, step_days=1)
    saved = fit_plan(history)
    grown = [*history, HistoryEvent(action=Action.CLAIM, phone_number=None, at=NOW)]
    assumed = apply_rules.assume_claimed(
        replace(
            five_to_release(),
            numbers=tuple(replace(n, status=None) for n in five_to_release().numbers),
        ),
        (r.phone_number_id for r in saved.releases),
    )
    fresh = planner.plan(
        desired("+12065550100"),
        assumed,
        grown,
        policy=FIT,
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )
    confirmed = apply_rules.confirm(saved, fresh)
    assert confirmed.refusals == ()
    assert [r.phone_number for r in confirmed.releases] == ["+12065550201"]


# --- a scheduled pipeline with --fit converges, never refused, never over the quota --------


@settings(max_examples=150, deadline=None)
@given(
    releases=st.integers(min_value=0, max_value=30),
    phone_numbers=st.integers(min_value=1, max_value=8),
    reserve=st.integers(min_value=0, max_value=3),
    prior=st.lists(st.integers(min_value=0, max_value=179 * 24), max_size=25),
    steps=st.lists(st.integers(min_value=1, max_value=40 * 24), max_size=30),
)
def test_a_scheduled_fit_pipeline_converges_without_refusal_or_breach(
    releases: int, phone_numbers: int, reserve: int, prior: list[int], steps: list[int]
) -> None:
    """Runs at arbitrary moments, then each at the next promised date: every run is
    accepted, none takes the window over the limit minus the reserve, nothing deferred
    is promised for a moment already past, and once runs follow the promised dates
    each number is released exactly on the date promised, until none is left."""
    limit = phone_numbers * 2
    reserve = min(reserve, limit - 1)
    state = desired("+12065550100", phone_numbers=phone_numbers, reserve=reserve, max_releases=None)
    numbers = {f"+1206555{3000 + i:04d}": live(f"+1206555{3000 + i:04d}") for i in range(releases)}
    history = [  # prior history within the limit and the reserve
        HistoryEvent(action=Action.CLAIM, phone_number=None, at=NOW - timedelta(hours=h))
        for h in sorted(prior)[: limit - reserve]
    ]
    released_at = {}

    def run(now: datetime) -> Plan:
        plan = planner.plan(
            state,
            inventory(*numbers.values()),
            history,
            policy=FIT,
            now=now,
            covered_since=NOW - 3 * WINDOW,
        )
        assert not plan.refused, plan.refusals
        assert all(d.fits_at is not None and d.fits_at > now for d in plan.deferred)
        for r in plan.releases:
            history.append(HistoryEvent(action=Action.RELEASE, phone_number=r.phone_number, at=now))
            released_at[r.phone_number] = now
            del numbers[r.phone_number]
        used = len(quota.window_times(history, state.quota, now=now))
        assert used + (reserve if plan.releases else 0) <= limit
        return plan

    now = NOW
    plan = run(now)
    for hours in steps:
        now += timedelta(hours=hours)
        plan = run(now)
    promised = {d.phone_number: d.fits_at for d in plan.deferred}
    for _ in range(releases + 1):
        if not plan.deferred:
            break
        now = min(d.fits_at for d in plan.deferred if d.fits_at is not None)
        plan = run(now)
    assert not numbers and not plan.deferred
    assert {n: released_at[n] for n in promised} == promised
