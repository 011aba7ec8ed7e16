"""Saved plans read back to exactly the plan that was written (planfile.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings

from reconciler.app import planfiles
from reconciler.core import planfile, planner, render
from reconciler.core.model import HistorySource, NumberStatus, Policy

from .builders import NOW, desired, events, flow, inventory, live
from .test_properties import Scenario, scenarios


def _plan(covered_days: float | None):  # type: ignore[no-untyped-def]
    return planner.plan(
        desired("+12065550100", "+12065550103", max_releases=1, assume_prior=2),
        inventory(
            live("+12065550100", flows=(flow("main"),)),
            live("+12065550150", flows=(flow("promo"),), description="Old promo"),
            live("+12065550151"),
            live("+12065550160", status=NumberStatus.IN_PROGRESS),
        ),
        events(19, days_ago=100, step_days=1),
        policy=Policy(),
        now=NOW,
        covered_since=None if covered_days is None else NOW - timedelta(days=covered_days),
    )


@pytest.mark.parametrize("covered_days", [None, 30, 400])
def test_a_saved_plan_reads_back_identically(tmp_path: Path, covered_days: float | None) -> None:
    plan = _plan(covered_days)
    path = tmp_path / "plan.json"
    planfiles.write_plan(plan, str(path))
    again = planfiles.load_plan(str(path))
    assert render.plan_to_dict(again) == render.plan_to_dict(plan)
    assert render.plan_id(again) == render.plan_id(plan)
    assert json.loads(path.read_text())["plan_id"] == render.plan_id(plan)


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_every_plan_round_trips_through_its_json(s: Scenario) -> None:
    """Any field added to the plan but not to the reader breaks the plan id: caught here."""
    plan = s.plan()
    data = render.plan_to_dict(plan)
    assert render.plan_to_dict(planfile.plan_from_dict(json.loads(json.dumps(data)))) == data


def test_edited_and_foreign_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    planfiles.write_plan(_plan(30), str(path))
    data = json.loads(path.read_text())
    data["refusals"] = []
    path.write_text(json.dumps(data))
    with pytest.raises(planfile.PlanFileError, match="does not match its content"):
        planfiles.load_plan(str(path))
    path.write_text("[]")
    with pytest.raises(planfile.PlanFileError, match="not a connect-numbers plan"):
        planfiles.load_plan(str(path))
    path.write_text("{")
    with pytest.raises(planfile.PlanFileError, match="invalid JSON"):
        planfiles.load_plan(str(path))
    with pytest.raises(planfile.PlanFileError, match="cannot read"):
        planfiles.load_plan(str(tmp_path / "missing.json"))


@pytest.mark.parametrize(
    "source",
    [
        None,
        HistorySource(),
        HistorySource(ledger="history.jsonl"),
        HistorySource(ledger="s3://b/k", cloudtrail=True),
        HistorySource(cloudtrail=True),
    ],
)
@pytest.mark.parametrize("assume_prior", [0, 3])
def test_the_history_source_and_an_unknown_used_count_read_back_identically(
    tmp_path: Path, source: HistorySource | None, assume_prior: int
) -> None:
    plan = planner.plan(
        desired("+12065550100", assume_prior=assume_prior),
        inventory(live("+12065550100"), live("+12065550150")),
        [],
        policy=Policy(),
        now=NOW,
        history_source=source,
    )
    path = tmp_path / "plan.json"
    planfiles.write_plan(plan, str(path))
    again = planfiles.load_plan(str(path))
    assert again.history == source and again.used_known == plan.used_known
    assert render.plan_id(again) == render.plan_id(plan)
    quota = json.loads(path.read_text())["quota"]
    if source is not None and not source.known:
        assert (quota["used"], quota["after"], quota["fits_now"]) == (None, None, None)
        assert quota["used_known"] is False
    else:
        assert quota["used"] == assume_prior and quota["used_known"] is True


def test_a_plan_refused_from_the_listing_reads_back_as_not_described() -> None:
    """`described: false` round-trips; every other plan has no such key (ids unchanged)."""
    plan = planner.plan(
        desired("+12065550100", max_releases=0),
        inventory(live("+12065550100"), live("+12065550150")),
        [],
        policy=Policy(),
        now=NOW,
        described=False,
    )
    data = json.loads(render.render_json(plan))
    assert data["described"] is False
    again = planfile.plan_from_dict(data)
    assert again.described is False and render.plan_id(again) == data["plan_id"]
    assert "described" not in render.plan_to_dict(_plan(30))
