"""Targets in several accounts and regions: the rolling quota is counted per account and region.

AWS's allowance ("claim and release up to 200% of your maximum number of active
phone numbers ... during a rolling 180 day cycle") is an account's, in a region.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.app.service import resolve_quota
from reconciler.core import apply_rules, planfile, planner, render
from reconciler.core.errors import AccessDeniedError
from reconciler.core.model import Action, HistoryEvent, Policy, RefusalCode, scope_of
from reconciler.ledger import parse_history

from .builders import ACCOUNT, NOW, TARGET, desired, events, inventory, live

WEST = f"arn:aws:connect:us-west-2:{ACCOUNT}:instance/cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee"
OTHER_ACCOUNT = "444455556666"
ELSEWHERE = f"arn:aws:connect:us-east-1:{OTHER_ACCOUNT}:instance/dddddddd-bbbb-cccc-dddd-eeee"
EAST_SCOPE, WEST_SCOPE = f"{ACCOUNT}/us-east-1", f"{ACCOUNT}/us-west-2"


def scoped(count: int, scope: str | None) -> list[HistoryEvent]:
    return [replace(e, scope=scope) for e in events(count)]


def two_region_plan(history: list[HistoryEvent], *, quota: int = 10) -> planner.Plan:
    state = desired("+12065550100", targets=(TARGET, WEST), phone_numbers=quota)
    live_numbers = inventory(
        live("+12065550100"),
        live("+12065550150"),
        live("+12065550151"),
        live("+15035550160", target=WEST),
        targets=(TARGET, WEST),
    )
    return planner.plan(state, live_numbers, history, policy=Policy(), now=NOW)


def test_scope_of_reads_account_and_region_from_any_connect_arn() -> None:
    assert scope_of(TARGET) == EAST_SCOPE
    assert scope_of(f"{WEST}/contact-flow/f1") == WEST_SCOPE
    assert scope_of("arn:aws:s3:::bucket") is None
    assert scope_of(None) is None


def test_one_group_per_account_and_region_with_its_releases() -> None:
    plan = two_region_plan([])
    assert [(g.account_id, g.region) for g in plan.quota_groups] == [
        (ACCOUNT, "us-east-1"),
        (ACCOUNT, "us-west-2"),
    ]
    assert [g.quota.planned for g in plan.quota_groups] == [2, 1]
    assert len(plan.releases) == 3


def test_history_counts_only_against_its_own_account_and_region() -> None:
    plan = two_region_plan(scoped(19, WEST_SCOPE))
    east, west = plan.quota_groups
    assert (east.quota.used, west.quota.used) == (0, 19)
    # The west region has 1 action left and its plan needs 1: allowed.
    assert not plan.refused
    assert plan.quota is west.quota  # the binding group: least room left after the plan


def test_a_group_over_its_limit_refuses_the_plan_naming_account_and_region() -> None:
    plan = two_region_plan(scoped(19, EAST_SCOPE))
    assert [r.code for r in plan.refusals] == [RefusalCode.QUOTA_EXCEEDED]
    message = plan.refusals[0].message
    assert message.startswith(f"account {ACCOUNT}, us-east-1: releasing 2 number(s)")
    assert "to 21 of 20" in message


def test_history_of_unknown_scope_counts_against_every_group() -> None:
    plan = two_region_plan(scoped(19, None))
    assert [g.quota.used for g in plan.quota_groups] == [19, 19]
    assert len(plan.refusals) == 1  # east: 19 + 2 > 20; west: 19 + 1 fits


def test_a_single_target_plan_has_one_group_and_ignores_other_accounts_history() -> None:
    state = desired("+12065550100")
    live_numbers = inventory(live("+12065550100"), live("+12065550150"))
    history = scoped(15, f"{OTHER_ACCOUNT}/us-east-1") + scoped(2, EAST_SCOPE)
    plan = planner.plan(state, live_numbers, history, policy=Policy(), now=NOW)
    assert len(plan.quota_groups) == 1
    assert plan.quota.used == 2
    assert plan.quota is plan.quota_groups[0].quota


def test_accounts_are_separate_groups_too() -> None:
    state = desired("+12065550100", targets=(TARGET, ELSEWHERE))
    plan = planner.plan(state, inventory(targets=(TARGET, ELSEWHERE)), [], policy=Policy(), now=NOW)
    assert [g.account_id for g in plan.quota_groups] == [ACCOUNT, OTHER_ACCOUNT]


def test_apply_time_gates_use_the_release_s_group() -> None:
    plan = two_region_plan(scoped(19, WEST_SCOPE))
    state = desired("+12065550100", targets=(TARGET, WEST))
    history = scoped(19, WEST_SCOPE)
    assert apply_rules.releases_gate(history, state, now=NOW, releases=plan.releases) is None
    more = history + scoped(1, WEST_SCOPE)
    gate = apply_rules.releases_gate(more, state, now=NOW, releases=plan.releases)
    assert gate is not None and gate.message.startswith(f"account {ACCOUNT}, us-west-2:")
    assert apply_rules.quota_gate(more, state, now=NOW, planned=1, scope=EAST_SCOPE) is None
    assert apply_rules.quota_gate(more, state, now=NOW, planned=1, scope=WEST_SCOPE) is not None


def test_every_view_shows_each_group_and_a_saved_plan_keeps_them() -> None:
    plan = two_region_plan(scoped(18, WEST_SCOPE))
    text = render.render_text(plan)
    assert "The rolling quota is per account and region: the targets are in 2." in text
    assert f"Quota of account {ACCOUNT}, us-east-1, 2 release(s) there" in text
    assert f"Quota of account {ACCOUNT}, us-west-2, 1 release(s) there" in text
    assert "before: 18 of 20 used" in text
    east_at = text.index(f"  account {ACCOUNT}, us-east-1 (2):")
    west_at = text.index(f"  account {ACCOUNT}, us-west-2 (1):")
    assert east_at < text.index("+12065550150") < west_at < text.index("+15035550160")
    data = json.loads(render.render_json(plan))
    assert [(g["region"], g["quota"]["used"]) for g in data["quota_groups"]] == [
        ("us-east-1", 0),
        ("us-west-2", 18),
    ]
    assert data["quota"]["used"] == 18  # the binding group
    markdown = render.render_markdown(plan)
    assert f"**Quota of {ACCOUNT}, us-east-1**" in markdown
    assert f"**Quota of {ACCOUNT}, us-west-2**" in markdown
    assert "| Account, region | Release |" in markdown
    assert f"| {ACCOUNT}, us-west-2 | `+15035550160` |" in markdown
    again = planfile.plan_from_dict(json.loads(render.render_json(plan)))
    assert again.quota_groups == plan.quota_groups
    assert render.plan_id(again) == render.plan_id(plan)


def test_ledger_records_carry_their_scope() -> None:
    lines = [
        json.dumps(r) + "\n"
        for r in (
            {
                "action": "release",
                "phone_number": "+12065550150",
                "at": "2026-11-01T00:00:00Z",
                "status": "done",
                "target_arn": WEST,
            },
            {
                "action": "release",
                "phone_number": None,
                "phone_number_id": "pn-9",
                "at": "2026-11-01T00:00:00Z",
                "status": "done",
                "scope": f"{OTHER_ACCOUNT}/eu-west-2",
            },
            {"action": "claim", "phone_number": "+12065550151", "at": "2026-11-01T00:00:00Z"},
        )
    ]
    history = parse_history(lines, "history.jsonl")
    assert [e.scope for e in history.events] == [WEST_SCOPE, f"{OTHER_ACCOUNT}/eu-west-2", None]


def test_auto_quota_reads_every_region_and_counts_with_the_smallest() -> None:
    state = desired("+12065550100", targets=(TARGET, WEST))
    state = replace(state, quota=replace(state.quota, auto=True))
    applied = {"us-east-1": 40, "us-west-2": 25}
    resolved, warning = resolve_quota(state, lambda region, account: applied[region])
    assert resolved.quota.phone_numbers == 25 and not resolved.quota.auto
    assert warning is not None and "differ by region (us-east-1 40, us-west-2 25)" in warning


def test_auto_quota_falls_back_when_any_region_cannot_be_read() -> None:
    state = desired("+12065550100", targets=(TARGET, WEST))
    state = replace(state, quota=replace(state.quota, auto=True))

    def read(region: str, account: str) -> int:
        if region == "us-west-2":
            raise AccessDeniedError("GetServiceQuota failed: AccessDenied", operation="x")
        return 40

    resolved, warning = resolve_quota(state, read)
    assert resolved.quota.phone_numbers == 10 and resolved.quota.auto
    assert warning is not None and "in us-west-2" in warning and "fallback = 10" in warning


@pytest.mark.parametrize("days", [1, 179])
def test_group_windows_still_roll(days: int) -> None:
    history = [replace(e, at=NOW - timedelta(days=days), scope=EAST_SCOPE) for e in events(19)]
    plan = two_region_plan(history)
    assert plan.quota_groups[0].quota.used == 19


# -- property: every group is judged on exactly its own history -----------------------

SCOPES = (EAST_SCOPE, WEST_SCOPE, f"{OTHER_ACCOUNT}/us-east-1", None)
POOL = {TARGET: "+1206555", WEST: "+1503555"}


@settings(max_examples=200, deadline=None)
@given(
    scopes=st.lists(st.sampled_from(SCOPES), max_size=40),
    ages=st.lists(st.integers(min_value=0, max_value=400), min_size=40, max_size=40),
    east=st.integers(min_value=0, max_value=8),
    west=st.integers(min_value=0, max_value=8),
    quota=st.integers(min_value=1, max_value=12),
)
def test_each_group_counts_its_own_and_unknown_history_and_refuses_alone(
    scopes: list[str | None], ages: list[int], east: int, west: int, quota: int
) -> None:
    history = [
        HistoryEvent(
            action=Action.CLAIM,
            phone_number=f"+1206556{i:04d}",
            at=NOW - timedelta(days=ages[i], hours=1),
            scope=scope,
        )
        for i, scope in enumerate(scopes)
    ]
    live_numbers = [live(f"{POOL[TARGET]}{1000 + i}") for i in range(east)] + [
        live(f"{POOL[WEST]}{1000 + i}", target=WEST) for i in range(west)
    ]
    state = desired(targets=(TARGET, WEST), phone_numbers=quota, max_releases=None)
    state = replace(state, allow_empty=True)
    plan = planner.plan(
        state, inventory(*live_numbers, targets=(TARGET, WEST)), history, policy=Policy(), now=NOW
    )
    over = []
    for group, planned in zip(plan.quota_groups, (east, west), strict=True):
        mine = [
            e
            for e in history
            if e.scope in (None, group.scope) and NOW - timedelta(days=180) < e.at
        ]
        assert group.quota.used == len(mine)
        assert group.quota.planned == planned
        # A group the plan releases nothing in is never refused, even when over the limit.
        if planned and len(mine) + planned > 2 * quota:
            over.append(group.region)
        assert group.quota.over_limit == (len(mine) > 2 * quota)
    refused = [r.message for r in plan.refusals if r.code is RefusalCode.QUOTA_EXCEEDED]
    assert [m.split(":")[0].split(", ")[1] for m in refused] == over
    binding = min(g.quota.limit - g.quota.after for g in plan.quota_groups)
    assert plan.quota.limit - plan.quota.after == binding
