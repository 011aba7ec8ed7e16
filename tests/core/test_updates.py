"""Descriptions in place (issue 15, part 1): a kept number whose description numbers.yaml
changes is an update, never a release, at no quota cost."""

from __future__ import annotations

import json
from datetime import timedelta

from reconciler.app import planfiles
from reconciler.core import apply_rules, planner, render
from reconciler.core.model import DesiredNumber, Plan, Policy

from .builders import NOW, desired, events, inventory, live


def plan_with(description: str | None, live_description: str | None = "Old", **kw: object) -> Plan:
    state = desired("+12065550100", **kw)  # type: ignore[arg-type]
    state = type(state)(
        **{
            **{f: getattr(state, f) for f in state.__dataclass_fields__},
            "numbers": (DesiredNumber(phone_number="+12065550100", description=description),),
        }
    )
    return planner.plan(
        state,
        inventory(live("+12065550100", description=live_description)),
        events(20, days_ago=10),  # the window is full: an update must still be planned
        policy=Policy(),
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )


def test_a_changed_description_is_an_update_in_place_with_no_quota_cost() -> None:
    plan = plan_with("Support line")
    assert plan.releases == () and not plan.refused and plan.has_changes
    (update,) = plan.updates
    assert (update.description_from, update.description_to) == ("Old", "Support line")
    assert plan.quota.planned == 0


def test_no_description_in_the_file_leaves_the_live_one_alone() -> None:
    assert plan_with(None).updates == ()
    assert plan_with("Old").updates == ()
    assert not plan_with(None).has_changes


def test_a_description_where_there_was_none() -> None:
    (update,) = plan_with("New", live_description=None).updates
    assert update.description_from is None


def test_every_format_shows_the_update() -> None:
    plan = plan_with("Support line")
    data = json.loads(render.render_json(plan))
    assert data["updates"] == [
        {
            "phone_number": "+12065550100",
            "phone_number_id": "id-12065550100",
            "phone_number_arn": plan.updates[0].phone_number_arn,
            "target_arn": plan.updates[0].target_arn,
            "description": {"from": "Old", "to": "Support line"},
            "tags": {"set": {}, "remove": [], "from": {}},
        }
    ]
    text = render.render_text(plan)
    assert '      ~ description "Old" -> "Support line"' in text
    assert "Plan: 0 to release, 1 to keep, 0 missing, 0 skipped, 1 to update in place." in text
    markdown = render.render_markdown(plan)
    assert "**1 update(s) in place**" in markdown
    assert '| `+12065550100` | ~ "Old" → "Support line" |' in markdown


def test_a_saved_plan_with_updates_reads_back_and_confirms_only_the_same_update(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plan = plan_with("Support line")
    path = tmp_path / "plan.json"
    planfiles.write_plan(plan, str(path))
    assert planfiles.load_plan(str(path)) == plan
    assert apply_rules.confirm(plan, plan).updates == plan.updates
    assert apply_rules.confirm(plan, plan_with("Something else")).updates == ()
