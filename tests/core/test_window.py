"""A picture of the rolling window (issue 15, part 3): the outlook of the window, the
Mermaid chart of a Markdown plan, the terminal chart, and `connect-numbers quota`'s views.

Set UPDATE_SNAPSHOTS=1 to rewrite the snapshots after an intended change.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.app import planfiles
from reconciler.core import quota, render
from reconciler.core.model import Action, HistoryEvent, QuotaPolicy

from .builders import NOW, desired, events
from .test_markdown import CASES, fitted_to_quota, refused_by_quota

SNAPSHOTS = Path(__file__).parent / "snapshots"
POLICY = QuotaPolicy(phone_numbers=10)


def snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text)
    assert text == path.read_text()


def test_the_outlook_counts_each_event_until_it_leaves_the_window() -> None:
    times = [NOW - timedelta(days=179, hours=12), NOW - timedelta(days=10), NOW]
    counts = quota.outlook(times, POLICY, now=NOW)
    assert len(counts) == 181
    assert counts[0] == 3  # all three count now
    assert counts[1] == 2  # the oldest left the window half a day from now
    assert counts[169] == 2 and counts[170] == 1  # at + 180 days: no longer counted
    assert counts[179] == 1 and counts[180] == 0


def test_after_the_plan_adds_its_releases_now_and_the_deferred_at_their_dates() -> None:
    plan = fitted_to_quota()
    before, after = render.outlook(plan)
    assert before[0] == 18 and after[0] == 20  # 2 released now
    first = plan.deferred[0].fits_at
    assert first is not None
    day = (first - NOW).days  # exactly 10 days: the deferred one counts from that day
    assert before[day] == 17 and after[day] == 17 + 2 + 1
    assert after[180] == before[180] + 3  # the now-releases left; the deferred still count


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_markdown_plan_with_a_known_history_has_the_chart(name: str) -> None:
    plan = CASES[name]()
    text = render.render_markdown(plan)
    assert ("```mermaid\nxychart-beta" in text) == plan.used_known
    if plan.used_known:
        before, after = render.outlook(plan)
        assert f"    line [{', '.join(map(str, before))}]" in text
        assert f"    line [{', '.join(map(str, after))}]" in text
        assert f"    line [{', '.join([str(plan.quota.limit)] * 181)}]" in text


def test_terminal_chart_snapshots() -> None:
    snapshot("terminal_chart_fitted.txt", render.terminal_chart(fitted_to_quota()))
    snapshot("terminal_chart_refused.txt", render.terminal_chart(refused_by_quota()))


def test_the_terminal_chart_is_compact_and_marks_what_the_plan_adds() -> None:
    chart = render.terminal_chart(refused_by_quota()).splitlines()
    assert len(chart) == 1 + 6 + 2 and all(len(line) <= 80 for line in chart)
    assert chart[1].startswith("22 │▒") and chart[2].startswith("20 │█")  # over the limit now


def windows_of(history: list[HistoryEvent], **kw: object):  # type: ignore[no-untyped-def]
    return quota.windows(
        history,
        desired("+12065550100", **kw),  # type: ignore[arg-type]
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )


def test_the_window_now_with_room() -> None:
    (window,) = windows_of(events(3, days_ago=100, step_days=1))
    assert (window.quota.used, window.quota.limit, window.room_returns_at) == (3, 20, None)
    assert [e.at for e in window.events] == sorted(e.at for e in window.events)
    data = json.loads(render.render_window_json((window,), NOW))["windows"][0]
    assert (data["used"], data["free"], data["reserve"]) == (3, 17, 0)
    assert data["events"][0]["leaves_window_at"] == "2027-02-14T12:00:00Z"  # + 80 days


def test_the_window_now_full_says_when_room_returns() -> None:
    full = [*events(18, days_ago=170, step_days=1), *events(2, days_ago=5)]
    (window,) = windows_of(full, reserve=1)
    assert window.room_returns_at == NOW + timedelta(days=11)  # 2 must leave: used 20 + 1 + 1
    text = render.render_window_text((window,), NOW)
    assert "used: 20 of 20, 1 reserved" in text
    assert "no room now; room for one release returns on 2026-12-07T12:00:00Z" in text


def test_the_window_views_snapshots() -> None:
    history = [
        *events(2, days_ago=170, step_days=3),
        HistoryEvent(action=Action.CLAIM, phone_number=None, at=NOW - timedelta(days=1)),
    ]
    windows = windows_of(history)
    snapshot("quota_window.txt", render.render_window_text(windows, NOW))
    snapshot("quota_window.md", render.render_window_markdown(windows, NOW))
    snapshot("quota_window.json", render.render_window_json(windows, NOW))


def test_a_saved_plan_read_back_draws_no_chart(tmp_path: Path) -> None:
    """The outlook moves with the clock: it is not in the plan JSON (nor its id), so a
    plan read back from a file has none, and no chart is drawn from stale figures."""
    path = tmp_path / "plan.json"
    planfiles.write_plan(fitted_to_quota(), str(path))
    loaded = planfiles.load_plan(str(path))
    assert loaded == fitted_to_quota()  # equality ignores the outlook
    assert loaded.quota.outlook == () and "outlook" not in path.read_text()
    assert render.terminal_chart(loaded) == "" and render.mermaid_chart(loaded) == []
