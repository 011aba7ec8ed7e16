"""Views of an apply report: its JSON, its text and the progress line of each release."""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.model import ApplyReport, OutcomeStatus, ReleaseOutcome, iso


def apply_to_dict(report: ApplyReport, next_step: str | None = None) -> dict[str, Any]:
    """The apply report; ``next_step``: the command that continues a stopped apply."""
    return {
        "plan_id": report.plan_id,
        "ok": report.ok,
        "stopped": report.stopped,
        "counts": {s.value: report.count(s) for s in OutcomeStatus},
        "outcomes": [
            {
                "phone_number": o.phone_number,
                "phone_number_id": o.phone_number_id,
                "status": o.status.value,
                "message": o.message,
                "at": iso(o.at),
                "client_token": o.client_token,
            }
            for o in report.outcomes
        ],
        "refusals": [{"code": r.code.value, "message": r.message} for r in report.refusals],
        "confirmed": [
            {
                "phone_number": o.phone_number,
                "phone_number_id": o.phone_number_id,
                "message": o.message,
                "client_token": o.client_token,
            }
            for o in report.confirmed
        ],
        "next": next_step,
    }


def render_apply_json(report: ApplyReport, next_step: str | None = None) -> str:
    return json.dumps(apply_to_dict(report, next_step), indent=2) + "\n"


def outcome_line(outcome: ReleaseOutcome) -> str:
    """One progress line per release, as apply goes."""
    note = "" if outcome.message == outcome.status.value else f"  {outcome.message}"
    return f"{outcome.status.value:>13}  {outcome.phone_number}{note}"


def render_apply_text(report: ApplyReport, next_step: str | None = None) -> str:
    counts = ", ".join(
        f"{report.count(s)} {s.value.replace('_', ' ')}" for s in OutcomeStatus if report.count(s)
    )
    lines = []
    if report.refusals:
        # One short block: the broken rules, never a line per number not attempted.
        lines.append(
            f"Apply refused ({report.plan_id}): {report.stopped or 'the plan is refused'}; "
            f"nothing was released ({len(report.refusals)} rule(s) broken):"
        )
        lines.extend(f"  [{r.code.value}] {r.message}" for r in report.refusals)
        done = report.count(OutcomeStatus.ALREADY_DONE)
        if done:
            lines.append(f"  {done} number(s) were released by an earlier run of this plan.")
        return "\n".join(lines) + "\n"
    if report.ok:
        lines.append(f"Apply complete ({report.plan_id}): {counts or 'nothing to do'}.")
    else:
        lines.append(
            f"Apply stopped ({report.plan_id}): {report.stopped or 'some releases failed'}."
        )
        lines.append(f"  {counts}.")
        for o in report.outcomes:
            if o.status in (OutcomeStatus.FAILED, OutcomeStatus.NOT_ATTEMPTED):
                lines.append(f"  {o.status.value}: {o.phone_number}: {o.message}")
        if next_step:
            lines.append(
                f"  Next: run `{next_step}` to continue "
                "(what is recorded done is never released again)."
            )
    for refusal in report.refusals:
        lines.append(f"  [{refusal.code.value}] {refusal.message}")
    return "\n".join(lines) + "\n"
