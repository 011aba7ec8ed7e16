"""Text and JSON views of a plan (render.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from reconciler.core import planner, render
from reconciler.core.model import HistorySource, NumberStatus, Policy

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


def _history_plan(
    source: HistorySource | None,
    *,
    count: int = 0,
    covered_days: float | None = None,
    numbers: int = 1,
    assume_prior: int = 0,
):  # type: ignore[no-untyped-def]
    return planner.plan(
        desired("+12065550100", assume_prior=assume_prior),
        inventory(live("+12065550100"), *(live(f"+120655502{i:02d}") for i in range(numbers))),
        events(count, days_ago=30, step_days=1),
        policy=Policy(allow_mass_release=True),
        now=NOW,
        covered_since=None if covered_days is None else NOW - timedelta(days=covered_days),
        history_source=source,
    )


def test_with_no_history_source_every_view_says_the_used_count_is_unknown() -> None:
    plan = _history_plan(HistorySource())
    text = render.render_text(plan)
    assert "before: unknown of 20 (no history read)" in text
    assert "after:  unknown + 1 planned, of 20" in text
    assert "history: none read: no ledger was given (--ledger PATH" in text
    assert " used" not in text.split("Quota (")[1].split("Plan:")[0]  # never "0 used"
    markdown = render.render_markdown(plan)
    assert "**used: unknown** → unknown + 1 after this plan" in markdown
    assert "0 used" not in markdown and "none read: no ledger was given" in markdown
    data = json.loads(render.render_json(plan))
    quota = data["quota"]
    assert (quota["used"], quota["after"], quota["fits_now"]) == (None, None, None)
    assert quota["used_known"] is False and quota["planned"] == 1
    assert data["history"] == {"ledger": None, "cloudtrail": False}
    assumed = render.render_text(_history_plan(HistorySource(), assume_prior=4))
    assert "before: unknown of 20 (no history read; 4 assumed by quota.assume_prior)" in assumed


def test_a_quota_refusal_with_no_history_source_states_bounds_not_a_used_count() -> None:
    plan = _history_plan(HistorySource(), numbers=21)
    assert plan.refused
    message = plan.refusals[0].message
    assert "to at least 21 of 20 claim/release actions" in message
    assert (
        "(used unknown: no history read;" in message and "at most 20 release(s) fit now" in message
    )
    assert "0 used" not in message
    known = _history_plan(HistorySource(ledger="h.jsonl"), numbers=21).refusals[0].message
    assert "(0 used;" in known and "at least" not in known


def test_an_empty_ledger_says_it_is_empty_and_none_read_only_without_a_ledger() -> None:
    empty = render.render_text(_history_plan(HistorySource(ledger="h.jsonl"), covered_days=400))
    assert "history: the ledger h.jsonl is empty: no claims or releases recorded" in empty
    assert "none read" not in empty and "--ledger" not in empty
    assert "before: 0 of 20 used" in empty  # known: the ledger was read, and it is empty
    counted = render.render_text(_history_plan(HistorySource(ledger="h.jsonl"), count=2))
    assert "history: 2 event(s) since 2026-10-27 (the ledger h.jsonl)" in counted
    markdown = render.render_markdown(
        _history_plan(HistorySource(ledger="h.jsonl"), covered_days=400)
    )
    assert "**History**: the ledger h.jsonl is empty: no claims or releases recorded;" in markdown
    trail = render.render_text(_history_plan(HistorySource(cloudtrail=True), covered_days=90))
    assert "history: no claims or releases in CloudTrail's last 90 days" in trail


@pytest.mark.parametrize(
    ("source", "covered_days", "suggests_import"),
    [
        (HistorySource(ledger="h.jsonl"), None, True),  # no coverage record at all
        (HistorySource(ledger="h.jsonl"), 30, True),  # created 30 days ago: CloudTrail has more
        (HistorySource(ledger="h.jsonl"), 90, False),  # import-cloudtrail already ran
        (HistorySource(ledger="h.jsonl"), 120, False),
        (HistorySource(ledger="h.jsonl", cloudtrail=True), 90, False),  # --history cloudtrail
    ],
)
def test_the_coverage_warning_suggests_an_import_only_where_it_can_reach(
    source: HistorySource, covered_days: float | None, suggests_import: bool
) -> None:
    plan = _history_plan(source, covered_days=covered_days)
    for view in (render.render_text(plan), render.render_markdown(plan)):
        assert "are not counted" in view  # the window is 180 days: a gap remains either way
        assert ("import-cloudtrail" in view) == suggests_import
        if not suggests_import:
            assert "CloudTrail keeps 90 days and the history already reaches that far" in view
            assert "connect-numbers ledger add" in view
