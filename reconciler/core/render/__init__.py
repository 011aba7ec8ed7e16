"""Views of a Plan: a dict for JSON (the plan JSON contract) and plain text.

Rendering never prints and never reads the clock: it returns strings and dicts
made from the Plan value alone, so the same plan always renders the same way.

A facade: the names below live in the package's modules, and callers import
them from here (``from reconciler.core import render``; ``render.render_text``).

- ``data``: the plan JSON (``plan_to_dict``), ``plan_id`` and ``render_json``.
- ``text``: the plan as plain text, with its quota, history and coverage lines.
- ``markdown``: the plan as a pull-request comment.
- ``charts``: the rolling window over the next days (Mermaid and terminal).
- ``apply``: the apply report as JSON and text, and its progress lines.
- ``window``: ``connect-numbers quota``, the window now.
- ``numbers_file``: numbers.yaml from a live inventory (``connect-numbers init``).
- ``common``: the private helpers several of these share.
"""

from __future__ import annotations

from reconciler.core.model import iso
from reconciler.core.render.apply import (
    apply_to_dict,
    outcome_line,
    render_apply_json,
    render_apply_text,
)
from reconciler.core.render.charts import mermaid_chart, outlook, terminal_chart
from reconciler.core.render.data import plan_id, plan_to_dict, render_json
from reconciler.core.render.markdown import MARKDOWN_MARKER, render_markdown, verdict
from reconciler.core.render.numbers_file import render_numbers_file
from reconciler.core.render.text import (
    coverage_lines,
    deferred_lines,
    history_line,
    over_limit_lines,
    render_text,
    tag_changes,
    update_lines,
)
from reconciler.core.render.window import (
    render_window_json,
    render_window_markdown,
    render_window_text,
    window_to_dict,
)

# The names the module exported before the split, plus MARKDOWN_MARKER (a
# module-level constant of it, not listed).
__all__ = [
    "MARKDOWN_MARKER",
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
