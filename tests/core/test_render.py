"""Text and JSON views of a plan (render.py)."""

from __future__ import annotations

import json

from reconciler import planner, render
from reconciler.model import NumberStatus, Policy

from .builders import NOW, desired, events, flow, inventory, live


def _sample_plan(history_count: int = 3):  # type: ignore[no-untyped-def]
    return planner.plan(
        desired("+12065550100", "+12065550103"),
        inventory(
            live("+12065550100", flows=(flow("main"),), description="Main line"),
            live("+12065550150", flows=(flow("promo"),), description="Old promo line"),
            live("+12065550151", description="Spare"),
            live("+12065550160", status=NumberStatus.IN_PROGRESS),
        ),
        events(history_count, days_ago=100, step_days=1),
        policy=Policy(),
        now=NOW,
    )


def test_text_shows_each_release_its_flows_and_the_quota_before_and_after() -> None:
    text = render.render_text(_sample_plan())
    assert "Release (2), irreversible" in text
    assert "- +12065550150  Old promo line  [DID]" in text
    assert "flow promo (" + flow("promo") + ")  <- loses its last number: DEACTIVATED" in text
    assert "- +12065550151  Spare  [DID]" in text and "no flow associated" in text
    assert "Keep (1): +12065550100" in text
    assert "Missing: +12065550103" in text
    assert "Skipped: +12065550160 not released in this run: status IN_PROGRESS" in text
    assert "before: 3 of 20 used" in text
    assert "after:  5 of 20 used" in text
    assert "history: 3 event(s) since 2026-08-18" in text
    assert "Plan: 2 to release, 1 to keep, 1 missing, 1 skipped." in text
    assert "REFUSED" not in text


def test_text_of_a_refused_plan_lists_every_refusal() -> None:
    text = render.render_text(_sample_plan(history_count=19))
    assert "after:  21 of 20 used  <- over the limit" in text
    assert "REFUSED (1 rule(s) broken); nothing will be released:" in text
    assert "[quota_exceeded]" in text and "1 release(s) fit now" in text


def test_json_has_the_contract_keys() -> None:
    data = json.loads(render.render_json(_sample_plan()))
    assert data["format_version"] == 1
    assert data["refused"] is False and data["refusals"] == []
    assert data["releases"][0] == {
        "phone_number": "+12065550150",
        "phone_number_id": "id-12065550150",
        "phone_number_arn": "arn:aws:connect:us-east-1:111122223333:phone-number/id-12065550150",
        "target_arn": desired().targets[0].arn,
        "description": "Old promo line",
        "type": "DID",
        "flows": [flow("promo")],
        "deactivated_flows": [flow("promo")],
    }
    assert data["keeps"] == [
        {
            "phone_number": "+12065550100",
            "phone_number_id": "id-12065550100",
            "target_arn": desired().targets[0].arn,
            "description": "Main line",
        }
    ]
    assert data["missing"] == [{"phone_number": "+12065550103", "description": None}]
    assert data["skipped"][0]["reason"] == "status IN_PROGRESS"
    q = data["quota"]
    assert {k: q[k] for k in ("limit", "used", "planned", "after", "reserve", "window_days")} == {
        "limit": 20,
        "used": 3,
        "planned": 2,
        "after": 5,
        "reserve": 0,
        "window_days": 180,
    }
    assert q["history_since"] == "2026-08-18T12:00:00Z"
    assert data["created_at"] == "2026-11-26T12:00:00Z"


def test_json_of_a_refused_plan() -> None:
    data = json.loads(render.render_json(_sample_plan(history_count=19)))
    assert data["refused"] is True
    assert [r["code"] for r in data["refusals"]] == ["quota_exceeded"]
    assert data["quota"]["fits_now"] == 1
    assert data["quota"]["whole_plan_fits_at"] is not None


def test_rendering_is_deterministic() -> None:
    plan = _sample_plan()
    assert render.render_text(plan) == render.render_text(plan)
    assert render.render_json(plan) == render.render_json(plan)


def test_text_and_json_warn_about_uncovered_history() -> None:
    from datetime import timedelta

    plan = planner.plan(
        desired("+12065550100", assume_prior=2),
        inventory(live("+12065550100"), live("+12065550150")),
        [],
        policy=Policy(),
        now=NOW,
        covered_since=NOW - timedelta(days=30),
    )
    text = render.render_text(plan)
    assert (
        "WARNING: history coverage: it is complete only since 2026-10-27; claims and releases "
        "from 2026-05-30 to 2026-10-27 are not counted; 2 action(s) assumed for that span"
    ) in text
    assert "ledger import-cloudtrail" in text
    coverage = json.loads(render.render_json(plan))["quota"]["coverage"]
    assert coverage == {
        "complete": False,
        "covered_since": "2026-10-27T12:00:00Z",
        "uncovered_from": "2026-05-30T12:00:00Z",
        "uncovered_until": "2026-10-27T12:00:00Z",
        "assumed_prior": 2,
    }
    unknown = render.render_text(_sample_plan())
    assert "its completeness is unknown (no coverage record)" in unknown
    covered = planner.plan(
        desired("+12065550100"),
        inventory(live("+12065550100")),
        [],
        policy=Policy(),
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )
    assert "coverage: the history covers the whole 180-day window (tracked since 2025-10-22)" in (
        render.render_text(covered)
    )
