"""A picture of the rolling window (issue 15, part 3): the actions counted over the
next ``window_days`` days before and after a plan, as a Mermaid chart (Markdown) or a
compact terminal chart.
"""

from __future__ import annotations

from datetime import timedelta

from reconciler.core.model import Plan, QuotaGroup, QuotaReport, scope_of


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
