"""Nothing to release is never refused: history alone over the limit is reported, not refused.

DESIGN.md, "The rolling quota": "A plan with no release is never refused by the
quota, even when history alone is over the limit: it says the account is over
and claiming is blocked until a date." The quota refusal applies to plans with
at least one release.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from reconciler.core import planfile, planner, render
from reconciler.core.model import Policy, RefusalCode

from .builders import ACCOUNT, NOW, TARGET, desired, events, inventory, live

WEST = f"arn:aws:connect:us-west-2:{ACCOUNT}:instance/cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee"

# 25 events one a day from 170 days ago, limit 20: 6 must leave the window before one
# more action fits, so claiming is blocked until the 6th oldest expires:
# NOW - 165 days + 180 days = NOW + 15 days.
HISTORY = events(25, days_ago=170, step_days=1)
BLOCKED_UNTIL = NOW + timedelta(days=15)


def keep_everything():  # type: ignore[no-untyped-def]
    return planner.plan(
        desired("+12065550100", "+12065550150"),
        inventory(live("+12065550100"), live("+12065550150")),
        HISTORY,
        policy=Policy(),
        now=NOW,
    )


def test_a_plan_releasing_nothing_is_not_refused_when_history_is_over_the_limit() -> None:
    plan = keep_everything()
    assert plan.releases == () and not plan.refused
    q = plan.quota
    assert (q.used, q.limit, q.planned) == (25, 20, 0)
    assert q.over_limit and q.allowed
    assert q.claims_blocked_until == BLOCKED_UNTIL


def test_one_release_over_the_limit_is_still_refused() -> None:
    plan = planner.plan(
        desired("+12065550100"),
        inventory(live("+12065550100"), live("+12065550150")),
        HISTORY,
        policy=Policy(),
        now=NOW,
    )
    assert [r.code for r in plan.refusals] == [RefusalCode.QUOTA_EXCEEDED]
    assert "releasing 1 number(s)" in plan.refusals[0].message


def test_at_the_limit_is_not_over_it() -> None:
    plan = planner.plan(
        desired("+12065550100"),
        inventory(live("+12065550100")),
        events(20, days_ago=170, step_days=1),
        policy=Policy(),
        now=NOW,
    )
    assert not plan.quota.over_limit and not plan.refused
    assert render.over_limit_lines(plan) == []
    assert "claims are blocked now, until" in render.render_text(plan)


def test_text_says_over_the_limit_and_until_when_claiming_is_blocked() -> None:
    text = render.render_text(keep_everything())
    assert "Release: nothing." in text
    assert "before: 25 of 20 used  <- over the limit" in text
    assert "after:  25 of 20 used  <- over the limit" in text
    assert "WARNING: the account is over its limit: claiming is blocked until 2026-12-11" in text
    summary = text[text.index("Plan: ") :]  # what --quiet prints
    assert (
        "Quota: the account is over its limit (25 of 20 claim/release actions in the rolling "
        "180-day window); claiming is blocked until 2026-12-11." in summary
    )
    assert "REFUSED" not in text


def test_markdown_says_no_changes_and_over_the_limit() -> None:
    md = render.render_markdown(keep_everything())
    assert "### connect-numbers plan: **No changes**: nothing to release" in md
    assert (
        "> :warning: **Quota**: the account is over its limit (25 of 20 claim/release actions "
        "in the rolling 180-day window); claiming is blocked until 2026-12-11." in md
    )
    assert "25 used → **25** after this plan" in md and "over the limit" in md
    assert "REFUSED" not in md


def test_json_has_over_limit_and_the_date_and_reads_back() -> None:
    plan = keep_everything()
    data = json.loads(render.render_json(plan))
    assert data["refused"] is False and data["refusals"] == []
    assert data["quota"]["over_limit"] is True and data["quota"]["allowed"] is True
    assert data["quota"]["claims_blocked_until"] == "2026-12-11T12:00:00Z"
    assert planfile.plan_from_dict(data) == plan  # a saved plan keeps it


def test_a_group_over_its_limit_with_no_release_there_does_not_refuse_the_others() -> None:
    state = desired("+12065550100", targets=(TARGET, WEST), phone_numbers=10)
    east_only = [replace(e, scope=f"{ACCOUNT}/us-east-1") for e in HISTORY]
    plan = planner.plan(
        state,
        inventory(
            live("+12065550100"),
            live("+15035550160", target=WEST),
            targets=(TARGET, WEST),
        ),
        east_only,
        policy=Policy(),
        now=NOW,
    )
    east, west = plan.quota_groups
    assert east.quota.over_limit and east.quota.planned == 0
    assert not west.quota.over_limit and west.quota.planned == 1
    assert not plan.refused and len(plan.releases) == 1
    assert render.over_limit_lines(plan) == [
        f"Quota: account {ACCOUNT}, us-east-1 is over its limit (25 of 20 claim/release actions "
        "in the rolling 180-day window); claiming is blocked until 2026-12-11."
    ]
