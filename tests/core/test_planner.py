"""The planner's rules, one test per rule (planner.py)."""

from __future__ import annotations

from reconciler.core import planner
from reconciler.core.model import NumberStatus, Policy, RefusalCode

from .builders import NOW, OTHER_TARGET, TARGET, desired, events, flow, inventory, live

ALLOW = Policy()


def test_keeps_desired_and_releases_the_rest_of_the_targets() -> None:
    plan = planner.plan(
        desired("+12065550100", "+12065550101"),
        inventory(live("+12065550100"), live("+12065550101"), live("+12065550150")),
        [],
        policy=ALLOW,
        now=NOW,
    )
    assert [k.phone_number for k in plan.keeps] == ["+12065550100", "+12065550101"]
    assert [r.phone_number for r in plan.releases] == ["+12065550150"]
    assert plan.releases[0].phone_number_id == "id-12065550150"
    assert plan.releases[0].target_arn == TARGET
    assert not plan.refused and plan.has_changes
    assert plan.quota.planned == 1 and plan.quota.after == 1


def test_numbers_outside_the_targets_are_invisible() -> None:
    plan = planner.plan(
        desired("+12065550100"),
        inventory(live("+12065550100"), live("+12065550300", target=OTHER_TARGET)),
        [],
        policy=ALLOW,
        now=NOW,
    )
    assert not plan.releases and not plan.skipped
    assert [k.phone_number for k in plan.keeps] == ["+12065550100"]


def test_missing_desired_numbers_are_drift_not_changes() -> None:
    plan = planner.plan(
        desired("+12065550100", "+12065550102"),
        inventory(live("+12065550100"), live("+12065550102", target=OTHER_TARGET)),
        [],
        policy=ALLOW,
        now=NOW,
    )
    assert [m.phone_number for m in plan.missing] == ["+12065550102"]
    assert not plan.has_changes and not plan.refused


def test_numbers_not_claimed_are_skipped_with_their_status() -> None:
    plan = planner.plan(
        desired("+12065550100"),
        inventory(
            live("+12065550100"),
            live("+12065550160", status=NumberStatus.IN_PROGRESS),
            live("+12065550161", status=NumberStatus.FAILED),
            live("+12065550162", status=None),
        ),
        [],
        policy=ALLOW,
        now=NOW,
    )
    assert not plan.releases
    reasons = {s.phone_number: s.reason for s in plan.skipped}
    assert reasons["+12065550160"] == "status IN_PROGRESS"
    assert reasons["+12065550161"] == "status FAILED"
    assert reasons["+12065550162"].startswith("status unknown")


def test_flow_losing_its_last_number_is_flagged_deactivated() -> None:
    plan = planner.plan(
        desired("+12065550101"),
        inventory(
            live("+12065550101", flows=(flow("support"),)),
            live("+12065550152", flows=(flow("support"),)),
            live("+12065550150", flows=(flow("promo"),)),
            live("+12065550151", flows=(flow("sales"),)),
            live("+12065550153", flows=(flow("sales"),)),
        ),
        [],
        policy=ALLOW,
        now=NOW,
    )
    by_number = {r.phone_number: r for r in plan.releases}
    assert by_number["+12065550152"].flows == (flow("support"),)
    assert by_number["+12065550152"].deactivated_flows == ()  # support keeps +...0101
    assert by_number["+12065550150"].deactivated_flows == (flow("promo"),)
    # Both sales numbers go: the flow is deactivated, named on each release.
    assert by_number["+12065550151"].deactivated_flows == (flow("sales"),)
    assert by_number["+12065550153"].deactivated_flows == (flow("sales"),)


def test_a_skipped_number_keeps_its_flow_alive() -> None:
    plan = planner.plan(
        desired("+12065550100"),
        inventory(
            live("+12065550100"),
            live("+12065550150", flows=(flow("promo"),)),
            live("+12065550160", flows=(flow("promo"),), status=NumberStatus.IN_PROGRESS),
        ),
        [],
        policy=ALLOW,
        now=NOW,
    )
    assert plan.releases[0].deactivated_flows == ()


def test_quota_exceeded_says_what_fits_and_when() -> None:
    history = events(18, days_ago=170, step_days=1)
    plan = planner.plan(
        desired("+12065550100"),
        inventory(live("+12065550100"), *(live(f"+1206555016{i}") for i in range(5))),
        history,
        policy=ALLOW,
        now=NOW,
    )
    assert plan.refused
    assert [r.code for r in plan.refusals] == [RefusalCode.QUOTA_EXCEEDED]
    message = plan.refusals[0].message
    assert "2 release(s) fit now" in message
    assert "23 of 20" in message
    assert "the whole plan fits on 2026-12-08T12:00:00Z" in message
    # The releases are still listed so the reviewer sees what was asked for.
    assert len(plan.releases) == 5


def test_empty_desired_state_is_refused_unless_allowed() -> None:
    live_numbers = inventory(live("+12065550100"), live("+12065550101"))
    refused = planner.plan(desired(), live_numbers, [], policy=ALLOW, now=NOW)
    assert [r.code for r in refused.refusals] == [RefusalCode.EMPTY_DESIRED_STATE]
    assert "allow_empty: true" in refused.refusals[0].message
    allowed = planner.plan(desired(allow_empty=True), live_numbers, [], policy=ALLOW, now=NOW)
    assert not allowed.refused and len(allowed.releases) == 2
    # An empty file against an empty inventory is simply converged.
    assert not planner.plan(desired(), inventory(), [], policy=ALLOW, now=NOW).refused


def test_mass_release_is_refused_unless_the_run_allows_it() -> None:
    numbers = inventory(live("+12065550100"), *(live(f"+120655502{i:02d}") for i in range(4)))
    state = desired("+12065550100", max_releases=3)
    refused = planner.plan(state, numbers, [], policy=ALLOW, now=NOW)
    assert [r.code for r in refused.refusals] == [RefusalCode.MASS_RELEASE]
    assert "--allow-mass-release" in refused.refusals[0].message
    allowed = planner.plan(state, numbers, [], policy=Policy(allow_mass_release=True), now=NOW)
    assert not allowed.refused
    unlimited = planner.plan(
        desired("+12065550100", max_releases=None), numbers, [], policy=ALLOW, now=NOW
    )
    assert not unlimited.refused


def test_every_broken_rule_is_listed_in_one_plan() -> None:
    numbers = inventory(*(live(f"+120655502{i:02d}") for i in range(6)))
    plan = planner.plan(
        desired(max_releases=2, phone_numbers=2),  # limit 4 < 6 releases
        numbers,
        [],
        policy=ALLOW,
        now=NOW,
    )
    assert [r.code for r in plan.refusals] == [
        RefusalCode.QUOTA_EXCEEDED,
        RefusalCode.EMPTY_DESIRED_STATE,
        RefusalCode.MASS_RELEASE,
    ]
    assert "never fits one window" in plan.refusals[0].message


def test_release_candidates_are_managed_and_undesired_only() -> None:
    state = desired("+12065550100")
    inv = inventory(
        live("+12065550100"),
        live("+12065550150", status=None),
        live("+12065550300", target=OTHER_TARGET, status=None),
    )
    assert [n.phone_number for n in planner.release_candidates(state, inv)] == ["+12065550150"]


def test_plan_records_its_inputs() -> None:
    inv = inventory(live("+12065550100"))
    plan = planner.plan(desired("+12065550100"), inv, [], policy=ALLOW, now=NOW)
    assert plan.created_at == NOW
    assert plan.inventory_fingerprint == inv.fingerprint()
    assert plan.numbers_fingerprint == "sha256:test"
    assert plan.targets == (TARGET,)
    assert plan.max_releases == 10
