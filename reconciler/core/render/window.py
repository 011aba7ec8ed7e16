"""``connect-numbers quota``: the rolling window now, per account and region, as JSON,
text or Markdown.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from reconciler.core.model import Window, iso
from reconciler.core.render.common import _cell, _quota_bar


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
