"""Markdown plans for pull-request comments: snapshot tests (render.render_markdown).

Set UPDATE_SNAPSHOTS=1 to rewrite the snapshots after an intended change, then
review the diff of tests/core/snapshots/ like any other change.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.core import apply_rules, planner, render
from reconciler.core.model import HistorySource, NumberStatus, Plan, Policy

from .builders import NOW, desired, events, flow, inventory, live

SNAPSHOTS = Path(__file__).parent / "snapshots"
COVERED = NOW - timedelta(days=400)
# The history every case but one counted: a ledger, as `plan --ledger history.jsonl`.
LEDGER = HistorySource(ledger="history.jsonl")


def _numbers(*extra: object) -> object:
    return inventory(
        live("+12065550100", flows=(flow("main"),), description="Main line"),
        live("+12065550101", flows=(flow("support"),), description="Support"),
        *extra,  # type: ignore[arg-type]
    )


def no_change() -> Plan:
    return planner.plan(
        desired("+12065550100", "+12065550101"),
        _numbers(),
        [],
        policy=Policy(),
        now=NOW,
        covered_since=COVERED,
    )


def releases() -> Plan:
    return planner.plan(
        desired("+12065550100", "+12065550101"),
        _numbers(
            live("+12065550152", flows=(flow("support"),), description="Legacy | support"),
            live("+18005550199", description="Old toll-free"),
            live("+12065550160", status=NumberStatus.IN_PROGRESS),
        ),
        events(3, days_ago=100, step_days=1),
        policy=Policy(),
        now=NOW,
        covered_since=COVERED,
    )


def flow_loses_last_number() -> Plan:
    return planner.plan(
        desired("+12065550100", "+12065550101"),
        _numbers(live("+12065550150", flows=(flow("promo"),), description="Old promo line")),
        [],
        policy=Policy(),
        now=NOW,
        covered_since=NOW - timedelta(days=20),
    )


def refused_by_quota() -> Plan:
    return planner.plan(
        desired("+12065550100", "+12065550101"),
        _numbers(*(live(f"+120655502{i:02d}") for i in range(4))),
        events(18, days_ago=170, step_days=1),
        policy=Policy(),
        now=NOW,
        covered_since=COVERED,
    )


def fitted_to_quota() -> Plan:
    """`plan --fit`: room for 2 of 5; the one whose flow loses its last number goes last."""
    return planner.plan(
        desired("+12065550100", "+12065550101"),
        _numbers(
            live("+12065550200", flows=(flow("promo"),)),
            *(live(f"+120655502{i:02d}") for i in range(1, 5)),
        ),
        events(18, days_ago=170, step_days=1),
        policy=Policy(fit=True),
        now=NOW,
        covered_since=COVERED,
    )


def refused_mass_release() -> Plan:
    return planner.plan(
        desired("+12065550100", max_releases=2),
        _numbers(*(live(f"+120655502{i:02d}") for i in range(3))),
        [],
        policy=Policy(),
        now=NOW,
        covered_since=COVERED,
    )


def refused_from_the_listing() -> Plan:
    """A mass release refused from the listing alone: no status, no flow read."""
    return planner.plan(
        desired("+12065550100", "+12065550101", max_releases=2),
        apply_rules.assume_claimed(
            _numbers(*(live(f"+120655502{i:02d}", status=None) for i in range(3))),
            [f"id-120655502{i:02d}" for i in range(3)],
        ),
        [],
        policy=Policy(),
        now=NOW,
        covered_since=COVERED,
        described=False,
    )


def no_history_source() -> Plan:
    """`plan` with no --ledger: the used count is unknown, never "0 used"."""
    made = planner.plan(
        desired("+12065550100", "+12065550101"),
        _numbers(live("+12065550150", description="Old promo line")),
        [],
        policy=Policy(),
        now=NOW,
    )
    return replace(made, history=HistorySource())


def imported_cloudtrail() -> Plan:
    """An import covered CloudTrail's 90 days: the warning does not suggest it again."""
    return planner.plan(
        desired("+12065550100", "+12065550101"),
        _numbers(live("+12065550150", description="Old promo line")),
        events(2, days_ago=30, step_days=1),
        policy=Policy(),
        now=NOW,
        covered_since=NOW - timedelta(days=90),
    )


def _from_ledger(case: Callable[[], Plan]) -> Callable[[], Plan]:
    def made() -> Plan:
        plan = case()
        return plan if plan.history is not None else replace(plan, history=LEDGER)

    made.__name__ = case.__name__
    return made


CASES = {
    f.__name__: _from_ledger(f)
    for f in (
        no_change,
        releases,
        flow_loses_last_number,
        refused_by_quota,
        fitted_to_quota,
        refused_mass_release,
        refused_from_the_listing,
        no_history_source,
        imported_cloudtrail,
    )
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_markdown_snapshot(name: str) -> None:
    text = render.render_markdown(CASES[name]())
    path = SNAPSHOTS / f"{name}.md"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text)
    assert text == path.read_text()


def test_the_verdict_is_the_first_line_a_reviewer_reads() -> None:
    assert render.verdict(no_change()) == "**No changes**: nothing to release"
    assert render.verdict(releases()) == "**2 release(s)**"  # the IN_PROGRESS one is skipped
    assert render.verdict(flow_loses_last_number()) == (
        "**1 release(s)**, 1 flow(s) lose their last number"
    )
    assert render.verdict(refused_by_quota()) == (
        "**REFUSED** (`quota_exceeded`): nothing will be released"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_markdown_has_no_timestamp_or_plan_id(name: str) -> None:
    """Re-runs update the PR comment only when the plan itself changes."""
    plan = CASES[name]()
    text = render.render_markdown(plan)
    assert render.plan_id(plan) not in text
    assert render.iso(plan.created_at) not in text
    assert "made 2026" not in text  # the text header with its timestamp is left out
