"""apply_rules.confirm: a saved plan is a record, not an authority.

Apply of a saved plan re-decides every rule on a fresh plan, and releases only
what is a release in both. No edit of a saved plan (refusals removed, releases
added, numbers changed) can release more than the fresh plan, or drop a rule
the fresh plan breaks.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core import apply_rules, planner
from reconciler.core.model import NumberStatus, Plan, Policy, Refusal, RefusalCode, Release

from .builders import NOW, desired, inventory, live, release_of
from .test_properties import PROPERTY, Scenario, scenarios

KEEP = "+12065550100"


def make(*keep: str, max_releases: int | None = 10, in_progress: str | None = None) -> Plan:
    """KEEP and three numbers to release; ``in_progress``: one of them not CLAIMED now."""
    numbers = [KEEP, "+12065550150", "+12065550151", "+12065550152"]
    claimed, busy = NumberStatus.CLAIMED, NumberStatus.IN_PROGRESS
    return planner.plan(
        desired(*keep, max_releases=max_releases),
        inventory(*(live(n, status=busy if n == in_progress else claimed) for n in numbers)),
        [],
        policy=Policy(),
        now=NOW,
    )


def as_release(plan: Plan, number: str) -> Release:
    return release_of(next(k for k in plan.keeps if k.phone_number == number))


def test_the_same_plan_confirms_every_release_and_no_refusal() -> None:
    saved = make(KEEP)
    result = apply_rules.confirm(saved, make(KEEP))
    assert result.releases == saved.releases and result.dropped == () and result.refusals == ()


def test_without_a_fresh_plan_the_plan_is_its_own() -> None:
    saved = make(KEEP, max_releases=1)
    result = apply_rules.confirm(saved, None)
    assert result.releases == saved.releases and result.refusals == saved.refusals


def test_a_release_added_to_the_saved_plan_is_dropped_because_the_fresh_plan_keeps_it() -> None:
    fresh = make(KEEP)
    edited = replace(fresh, releases=(as_release(fresh, KEEP), *fresh.releases))
    result = apply_rules.confirm(edited, fresh)
    assert [r.phone_number for r in result.releases] == [r.phone_number for r in fresh.releases]
    assert [(d.phone_number, d.reason) for d in result.dropped] == [
        (KEEP, "not released: a fresh plan keeps it (numbers.yaml lists it)")
    ]


def test_a_release_the_fresh_plan_skips_is_dropped_with_its_reason() -> None:
    saved = make(KEEP)
    fresh = make(KEEP, in_progress="+12065550151")
    result = apply_rules.confirm(saved, fresh)
    assert "+12065550151" not in [r.phone_number for r in result.releases]
    assert [d.reason for d in result.dropped] == [
        "not released: a fresh plan skips it (status IN_PROGRESS)"
    ]


def test_an_id_given_another_number_in_the_saved_plan_is_dropped() -> None:
    fresh = make(KEEP)
    forged = replace(fresh.releases[0], phone_number="+12065559999")
    result = apply_rules.confirm(replace(fresh, releases=(forged, *fresh.releases[1:])), fresh)
    assert forged not in result.releases
    assert "as +12065550150" in result.dropped[0].reason


def test_settled_ids_stay_for_the_executor_to_report_or_settle() -> None:
    saved = make(KEEP)
    gone = saved.releases[0]
    fresh = make(KEEP, in_progress="+12065550150")  # the fresh plan does not release it
    result = apply_rules.confirm(saved, fresh, frozenset({gone.phone_number_id}))
    assert result.releases == saved.releases and result.dropped == ()


def test_the_refusals_are_the_saved_and_the_fresh_plan_s_each_once() -> None:
    saved = make(KEEP, max_releases=1)  # refused: mass_release
    fresh = make(KEEP, max_releases=1)
    assert [r.code for r in apply_rules.confirm(saved, fresh).refusals] == [
        RefusalCode.MASS_RELEASE
    ]
    # An edited plan (refused: false, no refusals) is refused by the fresh plan.
    edited = replace(saved, refusals=())
    assert [r.code for r in apply_rules.confirm(edited, fresh).refusals] == [
        RefusalCode.MASS_RELEASE
    ]
    # A refusal the fresh plan no longer has still stands: the reviewer saw REFUSED.
    assert apply_rules.confirm(saved, make(KEEP)).refusals == saved.refusals


@PROPERTY
@given(scenarios(), st.data())
def test_no_edit_of_a_saved_plan_releases_more_or_skips_a_rule(
    s: Scenario, data: st.DataObject
) -> None:
    """Whatever a saved plan says (releases drawn from every managed number, any
    refusals), what apply may release is a subset of the fresh plan's releases, and
    every refusal of the fresh plan stands."""
    fresh = s.plan()
    candidates = [
        Release(
            phone_number=n.phone_number,
            phone_number_id=n.phone_number_id,
            phone_number_arn=n.phone_number_arn,
            target_arn=n.target_arn,
        )
        for n in s.inventory.numbers
    ]
    releases = data.draw(
        st.lists(st.sampled_from(candidates), unique=True) if candidates else st.just([])
    )
    refusals = data.draw(
        st.lists(st.builds(Refusal, code=st.sampled_from(RefusalCode), message=st.text(max_size=5)))
    )
    saved = replace(fresh, releases=tuple(releases), refusals=tuple(refusals))
    result = apply_rules.confirm(saved, fresh)
    allowed = {(r.phone_number_id, r.phone_number, r.target_arn) for r in fresh.releases}
    assert all(
        (r.phone_number_id, r.phone_number, r.target_arn) in allowed for r in result.releases
    )
    assert set(fresh.refusals) <= set(result.refusals)
    assert set(saved.refusals) <= set(result.refusals)
    assert len(result.releases) + len(result.dropped) == len(saved.releases)


def test_assume_claimed_takes_only_the_given_ids_as_claimed() -> None:
    listed = inventory(live(KEEP, status=None), live("+12065550150", status=None))
    assumed = apply_rules.assume_claimed(listed, ["id-12065550150"])
    assert [n.status for n in assumed.numbers] == [None, NumberStatus.CLAIMED]
    # The fresh plan of apply: the saved release is a release, the rest undescribed.
    fresh = planner.plan(desired(), assumed, [], policy=Policy(), now=NOW)
    assert [r.phone_number for r in fresh.releases] == ["+12065550150"]
    assert [s.phone_number for s in fresh.skipped] == [KEEP]
