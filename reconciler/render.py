"""Views of a Plan: a dict for JSON (the plan JSON contract) and plain text.

Rendering never prints and never reads the clock: it returns strings and dicts
made from the Plan value alone, so the same plan always renders the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from reconciler.core.model import (
    CLOUDTRAIL_RETENTION,
    ApplyReport,
    HistorySource,
    LiveNumber,
    OutcomeStatus,
    Plan,
    QuotaGroup,
    QuotaReport,
    Release,
    ReleaseOutcome,
    Target,
    Update,
    Window,
    iso,
    scope_of,
)

__all__ = [
    "apply_to_dict",
    "coverage_lines",
    "deferred_lines",
    "history_line",
    "iso",
    "mermaid_chart",
    "outcome_line",
    "outlook",
    "over_limit_lines",
    "plan_id",
    "plan_to_dict",
    "render_apply_json",
    "render_apply_text",
    "render_json",
    "render_markdown",
    "render_numbers_file",
    "render_text",
    "render_window_json",
    "render_window_markdown",
    "render_window_text",
    "tag_changes",
    "terminal_chart",
    "update_lines",
    "verdict",
    "window_to_dict",
]


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _quota_dict(q: QuotaReport, known: bool = True) -> dict[str, Any]:
    # With no history source the used count is unknown: null, never a 0 stated as
    # a fact; so are the figures made from it (after, fits_now).
    return {
        "limit": q.limit,
        "used": q.used if known else None,
        "used_known": known,
        "planned": q.planned,
        "after": q.after if known else None,
        "reserve": q.reserve,
        "window_days": q.window_days,
        "phone_numbers": q.phone_numbers,
        "limit_percent": q.limit_percent,
        "fits_now": q.fits_now if known else None,
        "allowed": q.allowed,
        "over_limit": q.over_limit,
        "history_since": iso(q.history_since),
        "history_events": q.history_events,
        "next_frees_at": iso(q.next_frees_at),
        "whole_plan_fits_at": iso(q.whole_plan_fits_at),
        "plan_never_fits": q.plan_never_fits,
        "claims_blocked_until": iso(q.claims_blocked_until),
        "claims_blocked_after_plan_until": iso(q.claims_blocked_after_plan_until),
        "coverage": {
            "complete": q.fully_covered,
            "covered_since": iso(q.covered_since),
            "uncovered_from": iso(q.uncovered_from),
            "uncovered_until": iso(q.uncovered_until),
            "assumed_prior": q.assumed_prior,
        },
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan JSON of DESIGN.md ("Plan JSON"), with the extra keys a saved plan needs."""
    return {
        "format_version": plan.format_version,
        "created_at": iso(plan.created_at),
        "numbers_file": plan.numbers_file,
        "numbers_fingerprint": plan.numbers_fingerprint,
        "inventory_fingerprint": plan.inventory_fingerprint,
        "targets": list(plan.targets),
        # Each target's kind and the account and region whose quota its actions count
        # against (issue 14: instances and traffic distribution groups).
        "target_details": [_target_detail(arn) for arn in plan.targets],
        "policy": {
            "allow_mass_release": plan.policy.allow_mass_release,
            "fit": plan.policy.fit,
            "max_releases": plan.max_releases,
            "allow_empty": plan.allow_empty,
            "release_types": list(plan.release_types),
            "release_imported": plan.release_imported,
        },
        "summary": {
            "releases": len(plan.releases),
            "keeps": len(plan.keeps),
            "missing": len(plan.missing),
            "skipped": len(plan.skipped),
            "deferred": len(plan.deferred),
            "updates": len(plan.updates),
            "deactivated_flows": sorted({f for r in plan.releases for f in r.deactivated_flows}),
        },
        "releases": [
            {
                "phone_number": r.phone_number,
                "phone_number_id": r.phone_number_id,
                "phone_number_arn": r.phone_number_arn,
                "target_arn": r.target_arn,
                "description": r.description,
                "type": r.number_type,
                "flows": list(r.flows),
                "deactivated_flows": list(r.deactivated_flows),
            }
            for r in plan.releases
        ],
        "keeps": [
            {
                "phone_number": k.phone_number,
                "phone_number_id": k.phone_number_id,
                "target_arn": k.target_arn,
                "description": k.description,
                # The tags numbers.yaml names (null: removed), only when it names any.
                **({"tags": dict(k.tags)} if k.tags else {}),
            }
            for k in plan.keeps
        ],
        "missing": [
            {"phone_number": m.phone_number, "description": m.description} for m in plan.missing
        ],
        "skipped": [
            {
                "phone_number": s.phone_number,
                "phone_number_id": s.phone_number_id,
                "target_arn": s.target_arn,
                "type": s.number_type,
                "reason": s.reason,
                # The numbers.yaml settings that protect it (issue 14); [] for a status.
                "protected_by": list(s.protected_by),
            }
            for s in plan.skipped
        ],
        # `--fit`: the releases left for later, in the order they are to be made.
        "deferred": [
            {
                "phone_number": d.phone_number,
                "phone_number_id": d.phone_number_id,
                "target_arn": d.target_arn,
                "fits_at": iso(d.fits_at),
                "flows": list(d.flows),
            }
            for d in plan.deferred
        ],
        # Metadata changed in place (no release, no quota cost), after the releases.
        "updates": [
            {
                "phone_number": u.phone_number,
                "phone_number_id": u.phone_number_id,
                "phone_number_arn": u.phone_number_arn,
                "target_arn": u.target_arn,
                "description": {"from": u.description_from, "to": u.description_to},
                # `from`: the live values of the keys set or removed (beyond the issue's
                # {set, remove}: what a reviewer compares with).
                "tags": {
                    "set": dict(u.tags_set),
                    "remove": list(u.tags_remove),
                    "from": dict(u.tags_from),
                },
            }
            for u in plan.updates
        ],
        "quota": _quota_dict(plan.quota, plan.used_known),
        "history": None
        if plan.history is None
        else {"ledger": plan.history.ledger, "cloudtrail": plan.history.cloudtrail},
        "refused": plan.refused,
        "refusals": [{"code": r.code.value, "message": r.message} for r in plan.refusals],
        **_groups_dict(plan),
        # Only when false, so that the id of every other plan is what it was.
        **({} if plan.described else {"described": False}),
    }


def _groups_dict(plan: Plan) -> dict[str, Any]:
    # The rolling quota per account and region; `quota` above is the binding one.
    if not plan.quota_groups:
        return {}
    return {
        "quota_groups": [
            {
                "account_id": g.account_id,
                "region": g.region,
                "quota": _quota_dict(g.quota, plan.used_known),
            }
            for g in plan.quota_groups
        ]
    }


def plan_id(plan: Plan) -> str:
    """A stable id of the plan's whole JSON form (what was reviewed, byte for byte).

    Release client tokens derive from it, so a retried or resumed apply of the
    same plan can never release a number twice (AWS treats the same token as the
    same request), and a saved plan edited after review no longer matches its id.
    """
    canonical = json.dumps(plan_to_dict(plan), sort_keys=True, separators=(",", ":"))
    return "plan-" + hashlib.sha256(canonical.encode()).hexdigest()[:20]


def render_json(plan: Plan) -> str:
    """The plan JSON with its id: also the format of saved plan files."""
    data = plan_to_dict(plan)
    data["plan_id"] = plan_id(plan)
    return json.dumps(data, indent=2) + "\n"


def _flow_name(arn: str) -> str:
    """``.../contact-flow/main`` -> ``main``; full ARNs stay in the JSON."""
    return arn.rsplit("/", 1)[-1]


def _plan_quota_lines(plan: Plan) -> list[str]:
    """The quota section: one block, or one per account and region of the targets."""
    if len(plan.quota_groups) <= 1:
        return _quota_lines(plan.quota, history=plan.history)
    lines = [
        f"The rolling quota is per account and region: the targets are in "
        f"{len(plan.quota_groups)}.",
    ]
    for group in plan.quota_groups:
        where = f"account {group.account_id}, {group.region}"
        lines.extend(_quota_lines(group.quota, where, history=plan.history))
    return lines


_NO_SOURCE = (
    "no ledger was given (--ledger PATH; Pulumi: connect-numbers:ledger), so the claims "
    "and releases already in the window are unknown"
)


def _quota_lines(
    q: QuotaReport, where: str | None = None, *, history: HistorySource | None = None
) -> list[str]:
    reserve = f", {q.reserve} reserved" if q.reserve else ""
    of = f" of {where}, {q.planned} release(s) there" if where else ""
    lines = [
        f"Quota{of} (rolling {q.window_days}-day window; limit {q.limit} = "
        f"{q.limit_percent}% of {q.phone_numbers} phone numbers):",
    ]
    if history is not None and not history.known:
        assumed = f"; {q.used} assumed by quota.assume_prior" if q.used else ""
        lines += [
            f"  before: unknown of {q.limit} (no history read{assumed}){reserve}",
            f"  after:  unknown + {q.planned} planned, of {q.limit}{reserve}",
            f"  WARNING: history: none read: {_NO_SOURCE}.",
            f"    {_next_steps(q, history)}",
        ]
    else:
        lines += [
            f"  before: {q.used} of {q.limit} used{reserve}"
            + ("  <- over the limit" if q.over_limit else ""),
            f"  after:  {q.after} of {q.limit} used{reserve}"
            + ("" if q.allowed and not q.over_limit else "  <- over the limit"),
            f"  history: {history_line(q, history)}",
            *coverage_lines(q, history),
        ]
    if q.next_frees_at is not None:
        lines.append(f"  next action frees on {_day(q.next_frees_at)}")
    if q.over_limit and q.claims_blocked_until is not None:
        lines.append(
            f"  WARNING: the account is over its limit: claiming is blocked until "
            f"{_day(q.claims_blocked_until)}"
        )
    elif q.claims_blocked_until is not None:
        lines.append(f"  claims are blocked now, until {_day(q.claims_blocked_until)}")
    elif q.allowed and q.planned and q.claims_blocked_after_plan_until is not None:
        lines.append(
            f"  after this plan, claims are blocked until {_day(q.claims_blocked_after_plan_until)}"
        )
    return lines


def over_limit_lines(plan: Plan) -> list[str]:
    """One sentence per account and region whose history alone is over the limit.

    Such a plan is not refused when it releases nothing there (DESIGN.md, "The
    rolling quota"), but the reviewer must learn that claiming is blocked, and until when.
    """
    several = len(plan.quota_groups) > 1
    groups = [(f"account {g.account_id}, {g.region}", g.quota) for g in plan.quota_groups]
    lines = []
    for where, q in groups if several else [("the account", plan.quota)]:
        if not q.over_limit or q.claims_blocked_until is None:
            continue
        lines.append(
            f"Quota: {where} is over its limit ({q.used} of {q.limit} claim/release actions "
            f"in the rolling {q.window_days}-day window); claiming is blocked until "
            f"{_day(q.claims_blocked_until)}."
        )
    return lines


def history_line(q: QuotaReport, history: HistorySource | None) -> str:
    """What history was counted: its events, or that the source holds none."""
    source = f" ({history.describe()})" if history is not None else ""
    if q.history_since is not None:
        return f"{q.history_events} event(s) since {_day(q.history_since)}{source}"
    if history is None:
        return "no claims or releases recorded"
    if history.ledger is not None and not history.cloudtrail:
        return f"the ledger {history.ledger} is empty: no claims or releases recorded"
    return f"no claims or releases in {history.describe()}"


def _next_steps(q: QuotaReport, history: HistorySource | None) -> str:
    """What completes the uncovered part of the window: an import only where it can reach."""
    if history is not None and not history.known:
        return (
            "Start a ledger and import CloudTrail's last 90 days into it (touch history.jsonl; "
            "connect-numbers ledger import-cloudtrail --ledger history.jsonl), or set "
            "quota.assume_prior: N in the numbers file."
        )
    assert q.uncovered_from is not None
    now = q.uncovered_from + timedelta(days=q.window_days)
    if q.covered_since is None or q.covered_since > now - CLOUDTRAIL_RETENTION:
        return (
            "Import them (connect-numbers ledger import-cloudtrail), add what you know "
            "(connect-numbers ledger add), or set quota.assume_prior: N in the numbers file."
        )
    # An import (or --history cloudtrail) already reached as far back as CloudTrail keeps.
    return (
        f"CloudTrail keeps {CLOUDTRAIL_RETENTION.days} days and the history already reaches "
        "that far: add what you know of the earlier span (connect-numbers ledger add), or set "
        "quota.assume_prior: N in the numbers file."
    )


def coverage_lines(q: QuotaReport, history: HistorySource | None = None) -> list[str]:
    """How complete the history is; a warning naming the dates it does not cover."""
    if q.fully_covered:
        since = f" (tracked since {_day(q.covered_since)})" if q.covered_since else ""
        return [f"  coverage: the history covers the whole {q.window_days}-day window{since}"]
    assert q.uncovered_from is not None and q.uncovered_until is not None
    known = (
        "its completeness is unknown (no coverage record)"
        if q.covered_since is None
        else f"it is complete only since {_day(q.covered_since)}"
    )
    assumed = (
        f"; {q.assumed_prior} action(s) assumed for that span (quota.assume_prior)"
        if q.assumed_prior
        else ""
    )
    return [
        f"  WARNING: history coverage: {known}; claims and releases from "
        f"{_day(q.uncovered_from)} to {_day(q.uncovered_until)} are not counted{assumed}.",
        f"    {_next_steps(q, history)}",
    ]


def _by_group(plan: Plan) -> list[tuple[str | None, list[Release]]]:
    """The releases, under a heading per account and region when there are several."""
    if len(plan.quota_groups) <= 1:
        return [(None, list(plan.releases))]
    return [
        (
            f"account {g.account_id}, {g.region} ({g.quota.planned})",
            [r for r in plan.releases if scope_of(r.target_arn) == g.scope],
        )
        for g in plan.quota_groups
        if g.quota.planned
    ]


_NOT_DESCRIBED = (
    "refused from the listing alone: statuses and flows not read; "
    "every claimed number the file does not list is shown"
)


def _release_lines(r: Release, described: bool = True) -> list[str]:
    desc = f"  {r.description}" if r.description else ""
    kind = f"  [{r.number_type}]" if r.number_type else ""
    lines = [f"  - {r.phone_number}{desc}{kind}  id {r.phone_number_id}"]
    if not described:
        return lines
    for flow in r.flows:
        lost = "  <- loses its last number: DEACTIVATED" if flow in r.deactivated_flows else ""
        lines.append(f"      flow {_flow_name(flow)} ({flow}){lost}")
    if not r.flows:
        lines.append("      no flow associated")
    return lines


def _target_detail(arn: str) -> dict[str, str]:
    target = Target(arn=arn)
    return {
        "arn": arn,
        "kind": target.kind,
        "id": target.resource_id,
        "account_id": target.account_id,
        "region": target.region,
    }


def _target_lines(plan: Plan) -> list[str]:
    """One line per target, when a target is a traffic distribution group or the
    targets span accounts or regions (a single instance needs no such list)."""
    details = [_target_detail(arn) for arn in plan.targets]
    scopes = {(d["account_id"], d["region"]) for d in details}
    if len(scopes) <= 1 and all(d["kind"] == "instance" for d in details):
        return []
    names = {"instance": "instance", "traffic-distribution-group": "traffic distribution group"}
    return [
        f"Target: {names[d['kind']]} {d['id']} (account {d['account_id']}, {d['region']})"
        for d in details
    ] + [""]


def render_text(plan: Plan) -> str:
    """A plan as a reviewer reads it: each release with its flows, then the quota."""
    out: list[str] = [
        f"connect-numbers plan for {plan.numbers_file} ({len(plan.targets)} target(s)), "
        f"made {iso(plan.created_at)}",
        "",
        *_target_lines(plan),
    ]
    if plan.releases:
        out.append(
            f"Release ({len(plan.releases)}), irreversible: each enters a cooldown "
            "of up to 180 days:"
        )
        if not plan.described:
            out.append(f"  ({_NOT_DESCRIBED})")
        for heading, releases in _by_group(plan):
            if heading:
                out.append(f"  {heading}:")
            for r in releases:
                out.extend(_release_lines(r, plan.described))
    else:
        out.append("Release: nothing.")
    out.extend(deferred_lines(plan))
    out.extend(update_lines(plan))
    if plan.keeps:
        out.append(f"Keep ({len(plan.keeps)}): " + ", ".join(k.phone_number for k in plan.keeps))
    for m in plan.missing:
        desc = f" ({m.description})" if m.description else ""
        out.append(
            f"Missing: {m.phone_number}{desc} is in {plan.numbers_file} but not claimed "
            "to any target (drift; not claimed by this tool)"
        )
    for s in plan.skipped:
        if s.protected_by:
            kind = f" [{s.number_type}]" if s.number_type else ""
            out.append(f"Skipped: {s.phone_number}{kind} never released by policy: {s.reason}")
        else:
            out.append(f"Skipped: {s.phone_number} not released in this run: {s.reason}")
    out.append("")
    out.extend(_plan_quota_lines(plan))
    out.append("")
    deferred = f", {len(plan.deferred)} deferred" if plan.deferred else ""
    deferred += f", {len(plan.updates)} to update in place" if plan.updates else ""
    out.append(
        f"Plan: {len(plan.releases)} to release, {len(plan.keeps)} to keep, "
        f"{len(plan.missing)} missing, {len(plan.skipped)} skipped{deferred}."
    )
    out.extend(over_limit_lines(plan))
    if plan.refused:
        out.append("")
        out.append(f"REFUSED ({len(plan.refusals)} rule(s) broken); nothing will be released:")
        for refusal in plan.refusals:
            out.append(f"  [{refusal.code.value}] {refusal.message}")
    return "\n".join(out) + "\n"


def _fits(moment: datetime | None) -> str:
    return f"fits from {iso(moment)}" if moment is not None else "never fits (quota.reserve)"


def deferred_lines(plan: Plan) -> list[str]:
    """A `--fit` plan's deferred releases: the quota has no room for them now."""
    if not plan.deferred:
        return []
    lines = [
        f"Deferred ({len(plan.deferred)}), no room in the rolling quota now (--fit): a "
        "later run releases each once it fits, in this order:"
    ]
    lines += [
        f"  > {d.phone_number}  id {d.phone_number_id}  {_fits(d.fits_at)}" for d in plan.deferred
    ]
    return lines


def _quoted(text: str | None) -> str:
    return json.dumps(text, ensure_ascii=False) if text is not None else "(none)"


def update_lines(plan: Plan) -> list[str]:
    """Metadata changed in place: no release, no quota cost (UpdatePhoneNumberMetadata)."""
    if not plan.updates:
        return []
    lines = [f"Update in place ({len(plan.updates)}), no release and no quota cost:"]
    for u in plan.updates:
        lines.append(f"  ~ {u.phone_number}  id {u.phone_number_id}")
        if u.description_to is not None:
            lines.append(
                f"      ~ description {_quoted(u.description_from)} -> {_quoted(u.description_to)}"
            )
        lines.extend(f"      {change}" for change in tag_changes(u))
    return lines


def tag_changes(update: Update) -> list[str]:
    """One line per tag key an update changes, by key: ``~ tags team: "a" -> "b"`` (set;
    ``(none)`` where the number had no such tag) or ``- tags team: "a" -> (removed)``."""
    before = dict(update.tags_from)
    changes = [
        (k, f"~ tags {k}: {_quoted(before.get(k))} -> {_quoted(v)}") for k, v in update.tags_set
    ]
    changes += [
        (k, f"- tags {k}: {_quoted(before.get(k))} -> (removed)") for k in update.tags_remove
    ]
    return [line for _, line in sorted(changes)]


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


# --- Markdown (pull-request comments) -----------------------------------------------
# Stable by construction: sorted rows, no timestamps and no plan id in the body
# (both change on every run), so a re-run updates a comment instead of adding noise.

MARKDOWN_MARKER = "<!-- connect-numbers plan -->"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ") or "-"


def _quota_bar(q: QuotaReport, width: int = 20) -> str:
    """``used`` dark, ``planned`` medium, free light, over the limit marked."""
    limit = max(q.limit, 1)
    used = min(width, round(width * q.used / limit))
    planned = min(width - used, round(width * q.planned / limit))
    free = width - used - planned
    over = " over the limit" if not q.allowed or q.over_limit else ""
    return f"`{'█' * used}{'▒' * planned}{'░' * free}`{over}"


def verdict(plan: Plan) -> str:
    if plan.refused:
        codes = ", ".join(f"`{r.code.value}`" for r in plan.refusals)
        return f"**REFUSED** ({codes}): nothing will be released"
    later = f", {len(plan.deferred)} deferred (--fit)" if plan.deferred else ""
    if not plan.releases and plan.updates:
        return f"**{len(plan.updates)} update(s) in place**, nothing to release{later}"
    if not plan.releases:
        return f"**No changes**: nothing to release{later}"
    lost = sorted({f for r in plan.releases for f in r.deactivated_flows})
    flows = f", {len(lost)} flow(s) lose their last number" if lost else ""
    return f"**{len(plan.releases)} release(s)**{flows}{later}"


def render_markdown(plan: Plan) -> str:
    """A pull-request comment a reviewer reads in ten seconds."""
    q = plan.quota
    out = [MARKDOWN_MARKER, f"### connect-numbers plan: {verdict(plan)}", ""]
    for refusal in plan.refusals:
        out.append(f"> **`{refusal.code.value}`**: {refusal.message}")
    over = over_limit_lines(plan)
    for line in over:
        out.append(f"> :warning: **Quota**: {line.removeprefix('Quota: ')}")
    if plan.refusals or over:
        out.append("")
    if plan.releases:
        several = len(plan.quota_groups) > 1
        column = ("Account, region | ", "---|") if several else ("", "")
        if not plan.described:
            out += [f"_{_NOT_DESCRIBED[0].upper()}{_NOT_DESCRIBED[1:]}._", ""]
        out += [
            f"| {column[0]}Release | Description | Type | Flow | Loses its last number |",
            f"|{column[1]}---|---|---|---|---|",
        ]
        for r in plan.releases:
            flows = ", ".join(f"`{_flow_name(f)}`" for f in r.flows) or "-"
            lost = ", ".join(f"**yes: `{_flow_name(f)}` deactivated**" for f in r.deactivated_flows)
            if not plan.described:
                flows = lost = "not read"
            scope = (scope_of(r.target_arn) or "?").replace("/", ", ")
            first = f"{scope} | " if several else ""
            out.append(
                f"| {first}`{r.phone_number}` | {_cell(r.description)} | "
                f"{_cell(r.number_type)} | {flows} | {lost or 'no'} |"
            )
        out.append("")
    if plan.updates:
        out += [
            f"**Update in place** ({len(plan.updates)}): no release, no quota cost.",
            "",
            "| Number | Description | Tags |",
            "|---|---|---|",
        ]
        for u in plan.updates:
            described = "-"
            if u.description_to is not None:
                described = (
                    f"~ {_cell(_quoted(u.description_from))} → {_cell(_quoted(u.description_to))}"
                )
            tags = "<br>".join(_cell(line).replace(" -> ", " → ") for line in tag_changes(u))
            out.append(f"| `{u.phone_number}` | {described} | {tags or '-'} |")
        out.append("")
    if plan.deferred:
        out += [
            f"**Deferred** ({len(plan.deferred)}): no room in the rolling quota now (`--fit`); "
            "a later run releases each once it fits, in this order.",
            "",
            "| Deferred | Fits from |",
            "|---|---|",
        ]
        for d in plan.deferred:
            when = iso(d.fits_at) if d.fits_at is not None else "never (quota.reserve)"
            out.append(f"| `{d.phone_number}` | {when} |")
        out.append("")
    protected = [s for s in plan.skipped if s.protected_by]
    if protected:
        out += [
            f"**Not released by policy** ({len(protected)}): the ownership policy of "
            f"{plan.numbers_file} (`safety.release_types`, `safety.release_imported`).",
            "",
            "| Number | Type | Why |",
            "|---|---|---|",
        ]
        out += [
            f"| `{s.phone_number}` | {_cell(s.number_type)} | {_cell(s.reason)} |"
            for s in protected
        ]
        out.append("")
    groups = [(f" of {g.account_id}, {g.region}", g.quota) for g in plan.quota_groups]
    for where, report in groups if len(groups) > 1 else [("", q)]:
        reserve = f", {report.reserve} reserved" if report.reserve else ""
        head = (
            f"**Quota{where}** (rolling {report.window_days}-day window, limit {report.limit} "
            f"= {report.limit_percent}% of {report.phone_numbers}): "
        )
        if plan.used_known:
            figures = (
                f"{report.used} used → **{report.after}** after this plan{reserve} "
                f"{_quota_bar(report)}"
            )
        else:
            figures = f"**used: unknown** → unknown + {report.planned} after this plan{reserve}"
        out += [head + figures, ""]
    coverage = [line.strip() for line in coverage_lines(q, plan.history)]
    if not plan.used_known:
        steps = _next_steps(q, plan.history)
        out += [f"> :warning: **History**: none read: {_NO_SOURCE}.", f"> {steps}", ""]
    elif q.fully_covered:
        covers = coverage[0].removeprefix("coverage: ")
        out += [f"**History**: {history_line(q, plan.history)}; {covers}", ""]
    else:
        gap = coverage[0].removeprefix("WARNING: history coverage: ")
        out += [
            f"> :warning: **History**: {history_line(q, plan.history)}; {gap}",
            f"> {coverage[1]}",
            "",
        ]
    out += mermaid_chart(plan)
    details = render_text(plan).splitlines()[2:]  # without the header and its timestamp
    out += [
        "<details><summary>Full plan</summary>",
        "",
        "```text",
        *details,
        "```",
        "</details>",
        "",
    ]
    return "\n".join(out)


# --- A picture of the rolling window (issue 15, part 3) ------------------------------


def outlook(plan: Plan, group: QuotaGroup | None = None) -> tuple[list[int], list[int]]:
    """The actions counted in the window at each of the next ``window_days`` days (day 0:
    the plan's time), before and after the plan: its releases made now, and a ``--fit``
    plan's deferred releases each at the date it fits."""
    q = group.quota if group is not None else plan.quota
    before = list(q.outlook)
    window = timedelta(days=q.window_days)
    deferred = [
        d.fits_at
        for d in plan.deferred
        if d.fits_at is not None and (group is None or scope_of(d.target_arn) == group.scope)
    ]
    after = []
    for day, count in enumerate(before):
        moment = plan.created_at + timedelta(days=day)
        later = sum(1 for at in deferred if at <= moment < at + window)
        after.append(count + (q.planned if day < q.window_days else 0) + later)
    return before, after


def _charts(plan: Plan) -> list[tuple[str, QuotaReport, list[int], list[int]]]:
    """The windows to draw (where, quota, before, after), one per account and region;
    none when the history is unknown (no history source): a chart of zeros would state
    "0 used" as a fact; none from a plan read back from a file (no outlook)."""
    if not plan.used_known:
        return []
    groups: list[tuple[str, QuotaGroup | None]] = [("", None)]
    if len(plan.quota_groups) > 1:
        groups = [(f" of {g.account_id}, {g.region}", g) for g in plan.quota_groups]
    found = []
    for where, group in groups:
        before, after = outlook(plan, group)
        if before:
            found.append((where, group.quota if group else plan.quota, before, after))
    return found


def mermaid_chart(plan: Plan) -> list[str]:
    """A Mermaid ``xychart-beta`` (GitHub renders it) of the window over the next
    ``window_days`` days: before the plan, after it, and the limit as a line."""
    out: list[str] = []
    for where, q, before, after in _charts(plan):
        top = max([q.limit, *after]) + 1
        out += [
            "```mermaid",
            "xychart-beta",
            f'    title "Actions counted in the rolling {q.window_days}-day window{where}"',
            f'    x-axis "days from this plan" 0 --> {len(before) - 1}',
            f'    y-axis "claims + releases" 0 --> {top}',
            f"    line [{', '.join(map(str, before))}]",
            f"    line [{', '.join(map(str, after))}]",
            f"    line [{', '.join([str(q.limit)] * len(before))}]",
            "```",
            "_Lines: counted before the plan; after it"
            + (" (releases now, deferred ones at their dates)" if plan.deferred else "")
            + f"; the limit, {q.limit}"
            + (f" ({q.reserve} of it reserved)" if q.reserve else "")
            + "._",
            "",
        ]
    return out


def terminal_chart(plan: Plan, *, width: int = 60, height: int = 6) -> str:
    """A compact chart of the same for a terminal: each column the most counted over
    its days, ``█`` counted before the plan, ``▒`` added by it, ``┄`` the limit."""
    lines: list[str] = []
    for where, q, before, after in _charts(plan):
        days = len(before)
        columns = min(width, days)
        spans = [range(c * days // columns, (c + 1) * days // columns) for c in range(columns)]
        low = [max(before[d] for d in span) for span in spans]
        high = [max(after[d] for d in span) for span in spans]
        top = max([q.limit, *high, 1])

        def level(value: int, top: int = top) -> int:
            return round(value * height / top)

        limit_row = level(q.limit)
        label = len(str(top))
        lines.append(
            f"Rolling {q.window_days}-day window{where}, next {days - 1} days: "
            f"█ counted ▒ added by this plan ┄ limit {q.limit}"
        )
        for row in range(height, 0, -1):
            cells = "".join(
                "█"
                if level(lo) >= row
                else "▒"
                if level(hi) >= row
                else "┄"
                if row == limit_row
                else " "
                for lo, hi in zip(low, high, strict=True)
            )
            name = str(top) if row == height else str(q.limit) if row == limit_row else ""
            lines.append(f"{name:>{label}} │{cells}")
        lines.append(f"{'0':>{label}} └{'─' * columns}")
        end = f"+{days - 1}d"
        lines.append(f"{'':>{label}}  today{end:>{columns - 5}}")
    return "\n".join(lines) + "\n" if lines else ""


# --- `connect-numbers quota`: the window now ------------------------------------------


def window_to_dict(windows: tuple[Window, ...], now: datetime) -> dict[str, Any]:
    """The rolling window now, per account and region (``connect-numbers quota --format json``)."""
    return {
        "at": iso(now),
        "windows": [
            {
                "account_id": w.account_id,
                "region": w.region,
                "limit": w.quota.limit,
                "used": w.quota.used,
                "reserve": w.quota.reserve,
                "free": max(0, w.quota.limit - w.quota.used - w.quota.reserve),
                "window_days": w.quota.window_days,
                "over_limit": w.quota.over_limit,
                "claims_blocked_until": iso(w.quota.claims_blocked_until),
                "room_returns_at": iso(w.room_returns_at),
                "next_frees_at": iso(w.quota.next_frees_at),
                "assumed_prior": w.quota.assumed_prior,
                "events": [
                    {
                        "action": e.action.value,
                        "phone_number": e.phone_number,
                        "at": iso(e.at),
                        "leaves_window_at": iso(e.at + timedelta(days=w.quota.window_days)),
                    }
                    for e in w.events
                ],
            }
            for w in windows
        ],
    }


def render_window_json(windows: tuple[Window, ...], now: datetime) -> str:
    return json.dumps(window_to_dict(windows, now), indent=2) + "\n"


def _room(w: Window) -> str:
    q = w.quota
    free = max(0, q.limit - q.used - q.reserve)
    if free:
        return f"room now for {free} more action(s)"
    if w.room_returns_at is not None:
        return f"no room now; room for one release returns on {iso(w.room_returns_at)}"
    return "no room: quota.reserve takes the whole limit"


def render_window_text(windows: tuple[Window, ...], now: datetime) -> str:
    out = [f"The rolling quota at {iso(now)}:"]
    for w in windows:
        q = w.quota
        reserve = f", {q.reserve} reserved" if q.reserve else ""
        out += [
            "",
            f"account {w.account_id}, {w.region} (rolling {q.window_days}-day window; limit "
            f"{q.limit} = {q.limit_percent}% of {q.phone_numbers} phone numbers):",
            f"  used: {q.used} of {q.limit}{reserve}"
            + ("  <- over the limit" if q.over_limit else ""),
            f"  {_room(w)}",
        ]
        if q.claims_blocked_until is not None:
            out.append(f"  claims are blocked until {iso(q.claims_blocked_until)}")
        if q.assumed_prior:
            out.append(
                f"  {q.assumed_prior} action(s) assumed for an uncovered span (quota.assume_prior)"
            )
        out.append(
            f"  events in the window ({len(w.events)}):"
            if w.events
            else "  no events in the window"
        )
        window = timedelta(days=q.window_days)
        out += [
            f"    {iso(e.at)}  {e.action.value:<7}  {e.phone_number or '(number not logged)'}"
            f"  leaves the window {iso(e.at + window)}"
            for e in w.events
        ]
    return "\n".join(out) + "\n"


def render_window_markdown(windows: tuple[Window, ...], now: datetime) -> str:
    out = [f"### connect-numbers quota at {iso(now)}", ""]
    for w in windows:
        q = w.quota
        reserve = f", {q.reserve} reserved" if q.reserve else ""
        out += [
            f"**account {w.account_id}, {w.region}** (rolling {q.window_days}-day window, limit "
            f"{q.limit} = {q.limit_percent}% of {q.phone_numbers}): {q.used} used{reserve} "
            f"{_quota_bar(q)}; {_room(w)}",
            "",
        ]
        if w.events:
            window = timedelta(days=q.window_days)
            out += ["| When | Action | Number | Leaves the window |", "|---|---|---|---|"]
            out += [
                f"| {iso(e.at)} | {e.action.value} | {_cell(e.phone_number)} | "
                f"{iso(e.at + window)} |"
                for e in w.events
            ]
            out.append("")
    return "\n".join(out)


# --- numbers.yaml from a live inventory (`connect-numbers init`) --------------------


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def render_numbers_file(
    targets: tuple[str, ...],
    numbers: tuple[LiveNumber, ...],
    *,
    fallback: int,
    descriptions: Mapping[str, str] | None = None,
) -> str:
    """A numbers.yaml that keeps every number claimed to ``targets`` today.

    Adopting the product on an existing account must plan zero releases, so every
    listed number is kept, whatever its status; descriptions are carried over.
    ``descriptions``: targets[].description of some targets (init names the traffic
    distribution groups it adds).
    """
    descs = descriptions or {}
    out = [
        "# yaml-language-server: $schema=./numbers.schema.json",
        "# Written by `connect-numbers init` from the live inventory: it keeps every",
        "# number claimed to the targets below, so the first plan releases nothing.",
        "# Remove a number to release it (irreversible: a cooldown of up to 180 days).",
        "version: 1",
        "targets:",
        *(
            f"  - arn: {arn}"
            + (f"\n    description: {_yaml_string(descs[arn])}" if arn in descs else "")
            for arn in targets
        ),
        "quota:",
        "  phone_numbers: auto      # the applied Service Quotas value (L-8F812903)",
        f"  fallback: {fallback:<14} # used, with a warning, when it cannot be read",
        "  window_days: 180",
        "  limit_percent: 200",
        "  reserve: 0",
        "safety:",
        "  max_releases: 10",
        "numbers:" if numbers else "numbers: []",
    ]
    for n in sorted(numbers, key=lambda n: n.phone_number):
        out.append(f"  - number: {_yaml_string(n.phone_number)}")
        if n.description:
            out.append(f"    description: {_yaml_string(n.description)}")
    return "\n".join(out) + "\n"
