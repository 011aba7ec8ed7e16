"""`connect-numbers quota`: the rolling quota now, from the ledger alone."""

from __future__ import annotations

import click

from reconciler.app import ledgers
from reconciler.cli import options
from reconciler.cli.common import _history_of, _load_desired, _now
from reconciler.core import render


@click.command(name="quota")
@options.numbers("The numbers file: its targets (accounts and regions) and quota settings.")
@options.ledger(
    "The history of claims and releases: a JSON Lines file, or s3://BUCKET/KEY.", required=True
)
@options.output_format(["text", "json", "markdown"], "Output format.")
def quota_command(numbers_file: str, ledger_path: str, fmt: str) -> None:
    """Show the rolling quota now: used, limit, reserve, the events in the window and
    when room returns, per account and region. Reads no Connect API.

    \b
    Examples:
      connect-numbers quota --ledger history.jsonl
      connect-numbers quota --numbers prod/numbers.yaml --ledger history.jsonl --format json
    """
    from reconciler.core import quota

    state = _load_desired(numbers_file)
    history = _history_of(ledgers.open_ledger(ledger_path))
    now = _now()
    windows = quota.windows(history.events, state, now=now, covered_since=history.tracking_since)
    views = {
        "text": render.render_window_text,
        "json": render.render_window_json,
        "markdown": render.render_window_markdown,
    }
    click.echo(views[fmt](windows, now), nl=False)
