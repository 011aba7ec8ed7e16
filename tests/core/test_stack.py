"""reconciler.core.stack: which resources the Pulumi program registers for a plan.

The rules (module docstring of reconciler/core/stack.py): keeps and skipped numbers
are ``claimed``, this plan's releases are ``released`` and not settled, and a
number this ledger released (``done``) within the cooldown that is no longer
live nor desired is ``released`` and settled, so a previous ``pulumi up``'s
releases do not show up as delete steps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core import planner
from reconciler.core.model import Inventory, NumberStatus, Plan, Policy
from reconciler.core.stack import (
    COOLDOWN_DAYS,
    NumberState,
    StackResource,
    checked_state,
    other_stacks,
    phone_number_arn,
    release_scope,
    stack_resources,
)

from .builders import ACCOUNT, NOW, OTHER_TARGET, TARGET, desired, inventory, live
from .test_properties import NUMBER_POOL, TARGET_POOL, Scenario, scenarios

STACK = "connect-numbers/dev"

# The attributes of reconciler.pulumi.inputs.ManagedNumberArgs (the resource API).
ARGS_FIELDS = {
    "phone_number",
    "phone_number_id",
    "phone_number_arn",
    "target_arn",
    "state",
    "description",
    "stack",
    "numbers_file",
    "ledger",
    "settled",
    # Issue 15: the tags numbers.yaml names (to set; keys to remove), None when none.
    "tags",
    "tags_removed",
}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def released(
    number: str,
    *,
    days_ago: float,
    number_id: str | None = None,
    target: str | None = TARGET,
    status: str | None = "done",
    action: str = "release",
) -> dict[str, object]:
    """A ledger record as the executor writes it (ledger.LedgerRecord.to_dict)."""
    record: dict[str, object] = {
        "action": action,
        "phone_number": number,
        "at": iso(NOW - timedelta(days=days_ago)),
        "phone_number_id": number_id or f"id-{number[1:]}",
        "target_arn": target,
        "plan_id": "plan-0123456789abcdef0123",
        "client_token": "plan-0123456789abcdef0123/x",
    }
    if status is not None:
        record["status"] = status
    return record


def sample_plan(**kw: object) -> Plan:
    """Keeps 0100 and 0101, wants 0103 (missing), releases 0150 and 0151, skips 0160."""
    state = desired("+12065550100", "+12065550101", "+12065550103")
    live_numbers = inventory(
        live("+12065550100", description="Main line"),
        live("+12065550101"),
        live("+12065550150", description="Old promo", flows=("flow-a",)),
        live("+12065550151"),
        live("+12065550160", status=NumberStatus.IN_PROGRESS),
        live("+12065550300", target=OTHER_TARGET),  # not a target: invisible
    )
    return planner.plan(state, live_numbers, [], policy=Policy(), now=NOW)


def by_name(resources: Sequence[StackResource]) -> dict[str, StackResource]:
    return {r.name: r for r in resources}


# --- the plan's own numbers ------------------------------------------------------------------


def test_keeps_releases_and_skipped_numbers_become_resources_sorted_by_number() -> None:
    plan = sample_plan()
    resources = stack_resources(plan, [], now=NOW, stack=STACK, ledger="history.jsonl")
    assert [(r.name, r.state, r.settled) for r in resources] == [
        ("+12065550100", NumberState.CLAIMED, False),
        ("+12065550101", NumberState.CLAIMED, False),
        ("+12065550150", NumberState.RELEASED, False),
        ("+12065550151", NumberState.RELEASED, False),
        ("+12065550160", NumberState.CLAIMED, False),
    ]
    main, _, promo, _, busy = resources
    assert main.description == "Main line" and busy.description is None
    assert promo.description == "Old promo"
    assert promo.phone_number_arn == plan.releases[0].phone_number_arn
    for r in resources:
        assert r.phone_number_id == f"id-{r.phone_number[1:]}"
        assert r.target_arn == TARGET
        assert r.stack == STACK
        assert r.numbers_file == "numbers.yaml"
        assert r.ledger == "history.jsonl"
        # The ARN Connect gives the number (builders.live uses Connect's layout).
        assert r.phone_number_arn == live(r.phone_number).phone_number_arn


def test_missing_numbers_and_numbers_of_other_targets_are_not_registered() -> None:
    names = {r.name for r in stack_resources(sample_plan(), [], now=NOW, stack=STACK)}
    assert "+12065550103" not in names  # desired, not claimed: nothing to manage
    assert "+12065550300" not in names


def test_an_empty_plan_registers_nothing() -> None:
    plan = planner.plan(desired(), inventory(), [], policy=Policy(), now=NOW)
    assert stack_resources(plan, [], now=NOW, stack=STACK) == ()


def test_args_are_the_managed_number_args_fields_with_plain_json_values() -> None:
    for r in stack_resources(
        sample_plan(), [released("+12065550199", days_ago=3)], now=NOW, stack=STACK
    ):
        args = r.as_args()
        assert set(args) == ARGS_FIELDS
        assert type(args["state"]) is str and args["state"] in {"claimed", "released"}
        assert json.loads(json.dumps(args)) == args


def test_a_number_listed_twice_in_a_plan_is_an_error_not_two_resources() -> None:
    twice = inventory(
        live("+12065550100", number_id="id-a"),
        live("+12065550100", number_id="id-b", target=OTHER_TARGET),
        targets=(TARGET, OTHER_TARGET),
    )
    state = desired("+12065550100", targets=(TARGET, OTHER_TARGET))
    plan = planner.plan(state, twice, [], policy=Policy(), now=NOW)
    with pytest.raises(ValueError, match=r"\+12065550100 is listed twice in the plan"):
        stack_resources(plan, [], now=NOW, stack=STACK)


def test_now_must_be_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware UTC"):
        stack_resources(sample_plan(), [], now=NOW.replace(tzinfo=None), stack=STACK)


# --- numbers released earlier: settled during their cooldown -------------------------------


def test_a_number_released_10_days_ago_is_released_and_settled() -> None:
    records = [released("+12065550199", days_ago=10, number_id="pn-0199")]
    settled = by_name(stack_resources(sample_plan(), records, now=NOW, stack=STACK))["+12065550199"]
    assert settled.state is NumberState.RELEASED and settled.settled
    assert settled.phone_number_id == "pn-0199"
    assert settled.target_arn == TARGET
    assert settled.phone_number_arn == f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/pn-0199"
    assert settled.description is None


@pytest.mark.parametrize(
    ("days_ago", "kept"),
    [
        (200, False),
        (COOLDOWN_DAYS, False),  # the window is (now - cooldown, now]: exactly 180 days is out
        (COOLDOWN_DAYS - 1e-9, True),
        (0, True),
        (-1, True),  # dated ahead of our clock: the number is released all the same
    ],
)
def test_the_cooldown_window(days_ago: float, kept: bool) -> None:
    records = [released("+12065550199", days_ago=days_ago)]
    names = {r.name for r in stack_resources(sample_plan(), records, now=NOW, stack=STACK)}
    assert ("+12065550199" in names) is kept


def test_cooldown_days_is_a_parameter() -> None:
    records = [released("+12065550199", days_ago=10)]
    assert "+12065550199" not in by_name(
        stack_resources(sample_plan(), records, now=NOW, stack=STACK, cooldown_days=7)
    )
    with pytest.raises(ValueError, match="cooldown_days"):
        stack_resources(sample_plan(), records, now=NOW, stack=STACK, cooldown_days=-1)


@pytest.mark.parametrize(
    "record",
    [
        released("+12065550199", days_ago=1, status="intent"),  # not known to be done
        released("+12065550199", days_ago=1, status="failed"),
        released("+12065550199", days_ago=1, status="skipped"),
        released("+12065550199", days_ago=1, status=None),  # hand-written history
        released("+12065550199", days_ago=1, action="claim"),
        released("+12065550199", days_ago=1, target=OTHER_TARGET),  # another numbers file's
        released("+12065550199", days_ago=1, target=None),
        {**released("+12065550199", days_ago=1), "phone_number_id": None},
        {**released("+12065550199", days_ago=1), "phone_number_id": ""},
        {**released("+12065550199", days_ago=1), "at": "yesterday"},
        {**released("+12065550199", days_ago=1), "at": "2026-11-25T00:00:00"},  # no zone
        {**released("+12065550199", days_ago=1), "at": None},
        {**released("+12065550199", days_ago=1), "phone_number": "206-555-0199"},
        {**released("+12065550199", days_ago=1), "target_arn": [TARGET]},
    ],
)
def test_only_done_releases_of_this_stacks_targets_are_settled(
    record: Mapping[str, object],
) -> None:
    names = {r.name for r in stack_resources(sample_plan(), [record], now=NOW, stack=STACK)}
    assert "+12065550199" not in names


def test_a_released_number_that_is_live_again_is_not_settled() -> None:
    # Released before, claimed again since (kept) or to be released again now.
    records = [
        released("+12065550100", days_ago=5, number_id="old-0100"),
        released("+12065550150", days_ago=5, number_id="old-0150"),
        released("+12065550160", days_ago=5, number_id="old-0160"),
    ]
    found = by_name(stack_resources(sample_plan(), records, now=NOW, stack=STACK))
    assert found["+12065550100"].state is NumberState.CLAIMED
    assert found["+12065550150"].settled is False
    assert found["+12065550150"].phone_number_id == "id-12065550150"
    assert found["+12065550160"].state is NumberState.CLAIMED


def test_a_released_number_put_back_into_numbers_yaml_is_never_registered_as_released() -> None:
    # +12065550103 is desired (missing: it cannot be reclaimed during its cooldown).
    records = [released("+12065550103", days_ago=5)]
    assert "+12065550103" not in by_name(
        stack_resources(sample_plan(), records, now=NOW, stack=STACK)
    )


def test_the_latest_release_of_a_number_names_its_id() -> None:
    records = [
        released("+12065550199", days_ago=3, number_id="newer"),
        released("+12065550199", days_ago=9, number_id="older"),
    ]
    found = by_name(stack_resources(sample_plan(), records, now=NOW, stack=STACK))["+12065550199"]
    assert found.phone_number_id == "newer"
    assert [r.name for r in stack_resources(sample_plan(), records, now=NOW, stack=STACK)].count(
        "+12065550199"
    ) == 1


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "arn"),
    [
        (TARGET, f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/pn-1"),
        (
            f"arn:aws-cn:connect:cn-north-1:{ACCOUNT}:instance/abc",
            f"arn:aws-cn:connect:cn-north-1:{ACCOUNT}:phone-number/pn-1",
        ),
        (
            f"arn:aws-us-gov:connect:us-gov-west-1:{ACCOUNT}:traffic-distribution-group/tdg-1",
            f"arn:aws-us-gov:connect:us-gov-west-1:{ACCOUNT}:phone-number/pn-1",
        ),
    ],
)
def test_phone_number_arn_follows_connects_layout(target: str, arn: str) -> None:
    assert phone_number_arn(target, "pn-1") == arn


def test_phone_number_arn_rejects_a_non_target() -> None:
    with pytest.raises(ValueError, match="not a Connect instance"):
        phone_number_arn("arn:aws:s3:::bucket", "pn-1")


def test_stack_resource_validates_itself() -> None:
    good = stack_resources(sample_plan(), [], now=NOW, stack=STACK)[0]
    fields = good.as_args()
    with pytest.raises(ValueError, match="only a released number can be settled"):
        StackResource(**{**fields, "settled": True})
    with pytest.raises(ValueError, match=r"E\.164"):
        StackResource(**{**fields, "phone_number": "2065550100"})
    with pytest.raises(ValueError, match="phone_number_id is empty"):
        StackResource(**{**fields, "phone_number_id": ""})
    with pytest.raises(ValueError):
        StackResource(**{**fields, "state": "gone"})
    assert StackResource(**fields) == good  # "claimed" becomes NumberState.CLAIMED


# --- a release is never a create; inputs are stable ------------------------------------------


@pytest.mark.parametrize(
    ("requested", "held", "settled", "expected"),
    [
        ("released", False, False, NumberState.CLAIMED),  # not held yet: adopted first
        ("released", True, False, NumberState.RELEASED),  # held: the update releases it
        ("released", False, True, NumberState.RELEASED),  # settled: nothing to do either way
        ("released", True, True, NumberState.RELEASED),
        ("claimed", False, False, NumberState.CLAIMED),
        ("claimed", True, False, NumberState.CLAIMED),
    ],
)
def test_checked_state_turns_the_release_of_a_number_not_held_into_an_adoption(
    requested: str, held: bool, settled: bool, expected: NumberState
) -> None:
    assert checked_state(requested, held=held, settled=settled) is expected


def test_checked_state_rejects_an_unknown_state() -> None:
    with pytest.raises(ValueError):
        checked_state("gone", held=True, settled=False)


def test_release_scope_is_the_stack_and_never_empty() -> None:
    assert release_scope("connect-numbers/dev") == "pulumi:connect-numbers/dev"
    with pytest.raises(ValueError, match="stack"):
        release_scope(" ")


def test_inputs_do_not_change_between_two_plans_of_the_same_account() -> None:
    # Two plans made a day apart (different plan ids and creation times) register
    # exactly the same inputs: nothing for a preview to show, a saved plan still matches.
    first = sample_plan()
    later = planner.plan(
        desired("+12065550100", "+12065550101", "+12065550103"),
        inventory(
            live("+12065550100", description="Main line"),
            live("+12065550101"),
            live("+12065550150", description="Old promo", flows=("flow-a",)),
            live("+12065550151"),
            live("+12065550160", status=NumberStatus.IN_PROGRESS),
        ),
        [],
        policy=Policy(),
        now=NOW + timedelta(days=1),
    )
    assert first.created_at != later.created_at
    a = [r.as_args() for r in stack_resources(first, [], now=NOW, stack=STACK)]
    b = [r.as_args() for r in stack_resources(later, [], now=NOW, stack=STACK)]
    assert a == b


def test_other_stacks_are_those_that_released_on_our_targets_through_this_ledger() -> None:
    def record(scope: str, target: str = TARGET) -> dict[str, object]:
        return {**released("+12065550199", days_ago=3, target=target), "plan_id": scope}

    records = [
        record("pulumi:connect-numbers/dev"),  # ours
        record("plan-0123456789abcdef0123"),  # connect-numbers apply: no stack
        record("pulumi:connect-numbers/other", target=OTHER_TARGET),  # not our target
        record("pulumi:connect-numbers/prod"),
        record("pulumi:team-b/prod"),
        record("pulumi:connect-numbers/prod"),
    ]
    assert other_stacks(records, [TARGET], STACK) == {
        TARGET: ("connect-numbers/prod", "team-b/prod")
    }
    assert other_stacks(records[:3], [TARGET], STACK) == {}
    assert other_stacks(records, [], STACK) == {}


# --- properties over the whole input space --------------------------------------------------

_DAYS = st.sampled_from((-1.0, 0.0, 10.0, 179.9, 180.0, 180.1, 400.0)) | st.floats(-5, 400)
_RECORDS = st.lists(
    st.fixed_dictionaries(
        {
            "action": st.sampled_from(("release", "release", "claim")),
            "status": st.sampled_from(("done", "done", "intent", "failed")),
            "phone_number": st.sampled_from(NUMBER_POOL),
            "phone_number_id": st.sampled_from(("pn-a", "pn-b", "pn-c")),
            "target_arn": st.sampled_from(TARGET_POOL),
            "at": _DAYS.map(lambda d: iso(NOW - timedelta(days=d))),
        }
    ),
    max_size=10,
)


def one_per_number(s: Scenario) -> Inventory:
    """Connect claims an E.164 number to one target at a time: keep the first of each."""
    seen: set[str] = set()
    numbers = []
    for n in s.inventory.numbers:
        if n.phone_number not in seen:
            seen.add(n.phone_number)
            numbers.append(n)
    return Inventory(targets=s.inventory.targets, numbers=tuple(numbers))


def qualifies(record: Mapping[str, object], plan: Plan, cooldown: timedelta) -> bool:
    at = datetime.fromisoformat(str(record["at"]))
    return (
        record["action"] == "release"
        and record["status"] == "done"
        and record["target_arn"] in plan.targets
        and at > NOW - cooldown
    )


@settings(max_examples=200, deadline=None)
@given(scenarios(), _RECORDS, st.integers(0, 200))
def test_stack_resource_properties(
    s: Scenario, records: list[dict[str, object]], cooldown_days: int
) -> None:
    plan = planner.plan(s.desired, one_per_number(s), s.history, policy=s.policy, now=NOW)
    resources = stack_resources(plan, records, now=NOW, stack=STACK, cooldown_days=cooldown_days)
    names = [r.name for r in resources]

    # Names are unique (two resources of one name would fail the update) and sorted.
    assert len(names) == len(set(names))
    assert names == sorted(names)

    # No desired number is ever state released.
    wanted = {d.phone_number for d in s.desired.numbers}
    assert not [r for r in resources if r.name in wanted and r.state is NumberState.RELEASED]

    # Every plan release appears exactly once, released and not settled, as planned.
    for release in plan.releases:
        mine = [r for r in resources if r.name == release.phone_number]
        assert len(mine) == 1
        assert mine[0].state is NumberState.RELEASED and not mine[0].settled
        assert mine[0].phone_number_id == release.phone_number_id
        assert mine[0].phone_number_arn == release.phone_number_arn

    # Keeps and skipped numbers are claimed; nothing else of the plan is released.
    found = by_name(resources)
    for entry in (*plan.keeps, *plan.skipped):
        assert found[entry.phone_number].state is NumberState.CLAIMED
        assert not found[entry.phone_number].settled

    # The rest are exactly the settled ones: a qualifying ledger record, not live, not wanted.
    live_names = {e.phone_number for e in (*plan.keeps, *plan.releases, *plan.skipped)}
    cooldown = timedelta(days=cooldown_days)
    expected_settled = {
        str(r["phone_number"])
        for r in records
        if qualifies(r, plan, cooldown) and r["phone_number"] not in live_names | wanted
    }
    assert {r.name for r in resources if r.settled} == expected_settled
    assert set(names) == live_names | expected_settled
    assert all(r.state is NumberState.RELEASED for r in resources if r.settled)


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_a_plan_with_a_number_twice_is_refused_whole(s: Scenario) -> None:
    plan = s.plan()
    live_names = [e.phone_number for e in (*plan.keeps, *plan.releases, *plan.skipped)]
    if len(live_names) == len(set(live_names)):
        assert len(stack_resources(plan, [], now=NOW, stack=STACK)) == len(live_names)
    else:
        with pytest.raises(ValueError, match="listed twice"):
            stack_resources(plan, [], now=NOW, stack=STACK)
