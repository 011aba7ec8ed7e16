"""The ownership policy (issue 14, part 2): whose number is it to give away?

By default a plan releases only DID and TOLL_FREE numbers that were not imported
(botocore's ``ListPhoneNumbersSummary``: ``PhoneNumberType``, and
``SourcePhoneNumberArn`` for a number imported from AWS End User Messaging SMS).
Any other managed number numbers.yaml does not keep is skipped with its reason;
``safety.release_types`` and ``safety.release_imported`` widen the policy, and
only they do: no saved plan, fresh plan, apply-time describe or Pulumi stack
releases a protected number.
"""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core import apply_rules, planner, render
from reconciler.core.model import (
    DEFAULT_RELEASE_TYPES,
    Inventory,
    NumberStatus,
    NumberType,
    Plan,
    Policy,
    RefusalCode,
    Release,
)
from reconciler.core.planfile import plan_from_dict
from reconciler.core.stack import NumberState, stack_resources

from .builders import NOW, desired, inventory, live, release_of
from .test_properties import PROPERTY, Scenario, scenarios

SMS = "arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-0123456789abcdef"
PROTECTED_TYPES = ("UIFN", "SHARED", "THIRD_PARTY_DID", "THIRD_PARTY_TF", "SHORT_CODE")


def mixed() -> Inventory:
    """One number of each type, an imported DID, and one whose type is unknown."""
    return inventory(
        live("+12065550100"),  # kept
        live("+12065550150", number_type="DID"),
        live("+18005550151", number_type="TOLL_FREE"),
        *(live(f"+1206555016{i}", number_type=kind) for i, kind in enumerate(PROTECTED_TYPES)),
        live("+12065550170", number_type="DID", source=SMS),
        live("+12065550171", number_type=None),
    )


def make(**policy: object) -> Plan:
    return planner.plan(
        desired("+12065550100", max_releases=None, **policy),  # type: ignore[arg-type]
        mixed(),
        [],
        policy=Policy(),
        now=NOW,
    )


def test_by_default_only_did_and_toll_free_numbers_not_imported_are_released() -> None:
    plan = make()
    assert [r.phone_number for r in plan.releases] == ["+12065550150", "+18005550151"]
    skipped = {s.phone_number: s for s in plan.skipped}
    assert set(skipped) == {
        *(f"+1206555016{i}" for i in range(len(PROTECTED_TYPES))),
        "+12065550170",
        "+12065550171",
    }
    for i, kind in enumerate(PROTECTED_TYPES):
        row = skipped[f"+1206555016{i}"]
        assert row.protected_by == ("safety.release_types",)
        assert row.number_type == kind
        assert f"type {kind} is not in safety.release_types (DID, TOLL_FREE)" in row.reason
        assert f"add {kind} to safety.release_types" in row.reason
    assert "takes a support case and several countries" in skipped["+12065550160"].reason
    assert "not the account's to give away" in skipped["+12065550161"].reason
    imported = skipped["+12065550170"]
    assert imported.protected_by == ("safety.release_imported",)
    assert f"imported from {SMS}" in imported.reason
    assert "safety.release_imported: true" in imported.reason
    assert skipped["+12065550171"].reason.startswith("protected: type unknown")
    assert plan.release_types == ("DID", "TOLL_FREE") and plan.release_imported is False


def test_protected_numbers_are_no_candidates_so_they_are_never_described() -> None:
    d = desired("+12065550100")
    assert [n.phone_number for n in planner.release_candidates(d, mixed())] == [
        "+12065550150",
        "+18005550151",
    ]


def test_protected_numbers_do_not_count_as_releases_for_the_mass_release_rule() -> None:
    d = desired("+12065550100", max_releases=2)
    assert planner.listing_refusals(d, mixed(), Policy()) == ()
    plan = planner.plan(d, mixed(), [], policy=Policy(), now=NOW)
    assert not plan.refused and plan.quota.planned == 2


def test_release_types_widens_the_policy_type_by_type() -> None:
    plan = make(release_types=frozenset({"DID", "TOLL_FREE", "UIFN"}))
    assert "+12065550160" in {r.phone_number for r in plan.releases}
    assert "+12065550161" in {s.phone_number for s in plan.skipped}  # SHARED still protected
    assert plan.release_types == ("DID", "TOLL_FREE", "UIFN")


def test_release_types_can_protect_a_did_too() -> None:
    plan = make(release_types=frozenset({"TOLL_FREE"}))
    assert [r.phone_number for r in plan.releases] == ["+18005550151"]
    assert "+12065550150" in {s.phone_number for s in plan.skipped}


def test_release_imported_widens_the_policy_for_imported_numbers_of_released_types() -> None:
    plan = make(release_imported=True)
    assert "+12065550170" in {r.phone_number for r in plan.releases}
    assert plan.release_imported is True


def test_an_imported_number_of_a_protected_type_names_both_settings() -> None:
    number = live("+12065550180", number_type="UIFN", source=SMS)
    d = desired("+12065550100")
    plan = planner.plan(d, inventory(number), [], policy=Policy(), now=NOW)
    (row,) = plan.skipped
    assert row.protected_by == ("safety.release_types", "safety.release_imported")
    assert "type UIFN" in row.reason and "imported from" in row.reason
    # Widening only one of them is not enough.
    only = desired("+12065550100", release_imported=True)
    plan = planner.plan(only, inventory(number), [], policy=Policy(), now=NOW)
    assert not plan.releases and plan.skipped[0].protected_by == ("safety.release_types",)


def test_the_policy_is_decided_before_the_status() -> None:
    number = live("+12065550180", number_type="SHARED", status=NumberStatus.IN_PROGRESS)
    plan = planner.plan(desired("+12065550100"), inventory(number), [], policy=Policy(), now=NOW)
    assert plan.skipped[0].protected_by == ("safety.release_types",)


def test_an_empty_file_against_only_protected_numbers_is_still_refused() -> None:
    """The empty-file rule counts every managed number: a truncated file is never fine."""
    number = live("+12065550180", number_type="UIFN")
    plan = planner.plan(desired(), inventory(number), [], policy=Policy(), now=NOW)
    assert [r.code for r in plan.refusals] == [RefusalCode.EMPTY_DESIRED_STATE]
    assert not plan.releases


def test_every_format_lists_the_skipped_numbers_with_their_reason() -> None:
    plan = make()
    data = json.loads(render.render_json(plan))
    rows = {row["phone_number"]: row for row in data["skipped"]}
    assert rows["+12065550160"]["type"] == "UIFN"
    assert rows["+12065550160"]["protected_by"] == ["safety.release_types"]
    assert rows["+12065550170"]["protected_by"] == ["safety.release_imported"]
    assert data["policy"]["release_types"] == ["DID", "TOLL_FREE"]
    assert data["policy"]["release_imported"] is False
    text = render.render_text(plan)
    assert "Skipped: +12065550160 [UIFN] never released by policy: protected: type UIFN" in text
    markdown = render.render_markdown(plan)
    assert "**Not released by policy** (7)" in markdown
    assert "| `+12065550161` | SHARED | protected: type SHARED" in markdown


def test_a_saved_plan_reads_back_with_its_policy_and_its_protected_rows() -> None:
    plan = make(release_types=frozenset({"DID", "UIFN"}), release_imported=True)
    data = json.loads(render.render_json(plan))
    again = plan_from_dict(data)
    assert again.skipped == plan.skipped
    assert (again.release_types, again.release_imported) == (("DID", "UIFN"), True)
    assert render.plan_id(again) == data["plan_id"]


def _as_release(plan: Plan, number: str) -> Release:
    return release_of(next(s for s in plan.skipped if s.phone_number == number))


def test_a_saved_plan_edited_to_release_a_protected_number_releases_nothing_of_it() -> None:
    """apply re-decides on a fresh plan (apply_rules.confirm): the UIFN stays claimed."""
    fresh = make()
    uifn = _as_release(fresh, "+12065550160")
    edited = replace(fresh, releases=(*fresh.releases, uifn))
    result = apply_rules.confirm(edited, fresh)
    assert uifn not in result.releases
    (dropped,) = result.dropped
    assert dropped.phone_number == "+12065550160"
    assert "a fresh plan skips it (protected: type UIFN" in dropped.reason


def test_a_saved_plan_releasing_a_protected_number_is_stale_naming_the_protection() -> None:
    """apply PLAN.json first checks the plan still holds (apply_rules.staleness)."""
    fresh = make()
    uifn = _as_release(fresh, "+12065550160")
    edited = replace(fresh, releases=(*fresh.releases, uifn))
    changes = apply_rules.staleness(
        edited, desired("+12065550100", max_releases=None), mixed(), frozenset()
    )
    assert any(
        c.startswith("+12065550160 (")
        and "is not released by a fresh plan: protected: type UIFN" in c
        for c in changes
    )


def test_apply_does_not_release_a_number_described_as_protected_just_before() -> None:
    """The describe just before each release (executor) re-checks the policy."""
    release = _as_release(make(), "+12065550161")
    current = live("+12065550161", number_type="SHARED")
    blocker = apply_rules.release_blocker(release, current, desired("+12065550100"))
    assert blocker is not None and "type SHARED" in blocker
    imported = live("+12065550161", number_type="DID", source=SMS)
    blocker = apply_rules.release_blocker(release, imported, desired("+12065550100"))
    assert blocker is not None and "imported from" in blocker


def test_the_pulumi_stack_keeps_a_protected_number_claimed() -> None:
    resources = {r.phone_number: r for r in stack_resources(make(), [], now=NOW, stack="p/s")}
    for number in ("+12065550160", "+12065550170", "+12065550171"):
        assert resources[number].state is NumberState.CLAIMED
    assert resources["+12065550150"].state is NumberState.RELEASED


# --- properties -------------------------------------------------------------------------------

_ANY_TYPE = st.sampled_from((*(t.value for t in NumberType), None))
_SOURCE = st.none() | st.just(SMS)
_RELEASE_TYPES = st.frozensets(st.sampled_from(NumberType)) | st.just(DEFAULT_RELEASE_TYPES)


@st.composite
def owned_scenarios(draw: st.DrawFn) -> Scenario:
    """The core scenarios, with numbers of every type, some imported, any policy."""
    s = draw(scenarios())
    numbers = tuple(
        replace(n, number_type=draw(_ANY_TYPE), source_phone_number_arn=draw(_SOURCE))
        for n in s.inventory.numbers
    )
    widened = replace(
        s.desired, release_types=draw(_RELEASE_TYPES), release_imported=draw(st.booleans())
    )
    return replace(s, desired=widened, inventory=replace(s.inventory, numbers=numbers))


def _allowed(s: Scenario, number_type: str | None, source: str | None) -> bool:
    in_types = number_type is not None and number_type in s.desired.release_types
    return in_types and (source is None or s.desired.release_imported)


@PROPERTY
@given(owned_scenarios(), st.booleans())
def test_a_protected_number_is_never_released_whatever_the_file_says(
    s: Scenario, fit: bool
) -> None:
    """Whatever numbers.yaml keeps and whatever the run allows, a number whose type is
    not in safety.release_types, or that was imported without safety.release_imported,
    is never released nor deferred: it is skipped, naming the setting that protects it."""
    plan = planner.plan(
        s.desired, s.inventory, s.history, policy=replace(s.policy, fit=fit), now=NOW
    )
    by_id = {n.phone_number_id: n for n in s.inventory.numbers}
    acted = [r.phone_number_id for r in plan.releases] + [d.phone_number_id for d in plan.deferred]
    for pid in acted:
        n = by_id[pid]
        assert _allowed(s, n.number_type, n.source_phone_number_arn)
    keep = {d.phone_number for d in s.desired.numbers}
    targets = s.desired.target_arns
    skipped = {x.phone_number_id: x for x in plan.skipped}
    for n in s.inventory.numbers:
        if n.target_arn not in targets or n.phone_number in keep:
            continue
        if not _allowed(s, n.number_type, n.source_phone_number_arn):
            assert skipped[n.phone_number_id].protected_by
            assert skipped[n.phone_number_id].reason.startswith("protected: ")
    candidates = {n.phone_number_id for n in planner.release_candidates(s.desired, s.inventory)}
    assert all(
        _allowed(s, by_id[i].number_type, by_id[i].source_phone_number_arn) for i in candidates
    )
