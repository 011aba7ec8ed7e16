"""A plan as plain text (``connect-numbers plan``): releases with their flows, the
deferred and in-place updates, then the quota section (its history and coverage).
"""

from __future__ import annotations

from datetime import datetime

from reconciler.core.model import HistorySource, Plan, QuotaReport, Release, Update, iso, scope_of
from reconciler.core.render.common import (
    _NO_SOURCE,
    _NOT_DESCRIBED,
    _flow_name,
    _next_steps,
    _quoted,
    _target_detail,
)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


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
