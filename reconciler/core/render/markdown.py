"""A plan as a pull-request comment (``--format markdown``): the verdict, tables of
the releases, updates, deferred and protected numbers, the quota bar and chart, and
the full text plan folded under it.
"""

from __future__ import annotations

from reconciler.core.model import Plan, iso, scope_of
from reconciler.core.render.charts import mermaid_chart
from reconciler.core.render.common import (
    _NO_SOURCE,
    _NOT_DESCRIBED,
    _cell,
    _flow_name,
    _next_steps,
    _quota_bar,
    _quoted,
)
from reconciler.core.render.text import (
    coverage_lines,
    history_line,
    over_limit_lines,
    render_text,
    tag_changes,
)

# Stable by construction: sorted rows, no timestamps and no plan id in the body
# (both change on every run), so a re-run updates a comment instead of adding noise.

MARKDOWN_MARKER = "<!-- connect-numbers plan -->"


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
