"""`connect-numbers plan`: the plan, its views, `--out` and the exit code."""

from __future__ import annotations

import sys

import click

from reconciler import ledger
from reconciler.app import ledgers, planfiles, service
from reconciler.cli import options
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    EXIT_REFUSED,
    _collector_paused,
    _echo_text,
    _history_of,
    _load_desired,
    _now,
    _reader,
    _reading,
    end_at_once,
)
from reconciler.core import render
from reconciler.core.model import HistorySource, Plan, Policy


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _exit_code(plan: Plan, detailed: bool) -> int:
    if plan.refused:
        return EXIT_REFUSED
    if detailed and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


_EPILOG_PLAN = """\b
Examples:
  connect-numbers plan
  connect-numbers plan --numbers prod/numbers.yaml --ledger history.jsonl
  connect-numbers plan --format json --detailed-exitcode > plan.json
"""


@click.command(epilog=_EPILOG_PLAN)
@options.numbers("The numbers file to plan from.")
@options.ledger(
    "The history of claims and releases, counted against the quota: a JSON Lines "
    "file, or s3://BUCKET/KEY shared by every pipeline."
)
@options.output_format(
    ["text", "json", "markdown"], "Output format (markdown: a pull-request comment)."
)
@click.option(
    "--history",
    "history_source",
    type=click.Choice(["ledger", "cloudtrail"]),
    default="ledger",
    show_default=True,
    help="cloudtrail: also count the last 90 days of CloudTrail (needs cloudtrail:LookupEvents).",
)
@click.option(
    "--out",
    # Not click.Path(dir_okay=False): check_output says what every kind of path is.
    type=str,
    help="Save the complete plan here, for `connect-numbers apply PLAN.json`: a new or "
    "existing regular file, never the ledger, the numbers file, a link or a device.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when the plan has releases (0 when none, 3 when refused).",
)
@options.quiet("Print only the summary and any refusals, and no progress on stderr.")
@options.allow_mass_release(
    "Allow more releases than safety.max_releases for this run; "
    "`apply PLAN.json` needs it too (two explicit acts)."
)
@options.fit(
    "When the releases do not fit the rolling quota, release those that fit now "
    "(keeping quota.reserve) and defer the rest, each with the date it fits; a scheduled "
    "run with --fit finishes them. Order: releases that deactivate no flow first, then "
    "the others, each by number."
)
@options.pacing("API requests per second per operation (raise only with a raised AWS limit).")
def plan(
    numbers_file: str,
    ledger_path: str | None,
    fmt: str,
    history_source: str,
    out: str | None,
    detailed_exitcode: bool,
    quiet: bool,
    allow_mass_release: bool,
    fit: bool,
    rate: float,
    burst: int,
) -> None:
    """Show what apply would release, and refuse what breaks a rule.

    Reads numbers.yaml, the live inventory of its targets and the history, and
    prints the plan. Nothing is changed.
    """
    state = _load_desired(numbers_file)
    store = ledgers.open_ledger(ledger_path) if ledger_path else None
    inputs = _inputs(numbers_file, store)
    if out is not None:
        planfiles.check_output(out, inputs)  # before any AWS call
    history = _history_of(store) if store is not None else ledger.History(events=())
    if history_source == "cloudtrail":
        from reconciler.app.history import trail_history, trail_scopes

        history = trail_history(history, store, trail_scopes(state), _now())
    reader = _reader(rate, burst, state)
    with _collector_paused(), _reading(reader, state, rate, enabled=not quiet):
        result = service.make_plan(
            state,
            reader,
            history.events,
            policy=Policy(allow_mass_release=allow_mass_release, fit=fit),
            now=_now(),
            covered_since=history.tracking_since,
            history_source=HistorySource(
                ledger=ledger_path, cloudtrail=history_source == "cloudtrail"
            ),
        )
    if out is not None:
        planfiles.write_plan(result, out, protected=inputs)
    if quiet and fmt == "text":
        text = render.render_text(result)
        _echo_text(text[text.index("Plan: ") :])  # the summary and any refusals
    elif fmt == "text":
        _echo_text(render.render_text(result))
        if _stdout_is_terminal():  # a person reads it: the window as a picture
            click.echo("\n" + render.terminal_chart(result), nl=False)
    else:
        views = {"json": render.render_json, "markdown": render.render_markdown}
        click.echo(views[fmt](result), nl=False)
    if out is not None:
        # After text on stdout; on stderr when stdout is JSON or Markdown for a machine.
        hint = _saved_hint(result, out, numbers_file, ledger_path, allow_mass_release)
        click.echo(("\n" if fmt == "text" else "") + hint, err=fmt != "text")
    end_at_once()  # everything is written: the process need not free the plan (cli.run)
    sys.exit(_exit_code(result, detailed_exitcode))


def _inputs(numbers_file: str, store: ledger.Ledger | None) -> list[tuple[str, str]]:
    """The files a plan is made from: `--out` must never overwrite one of them."""
    files = [(numbers_file, "the numbers file")]
    if isinstance(store, ledger.FileLedger):
        files.append((store.path, "the ledger"))
        files.append((store.lock_path, "the ledger's lock file"))
        torn = getattr(store, "torn_path", None)
        if torn:
            files.append((torn, "the ledger's file of set-aside lines"))
    return files


def _saved_hint(
    plan: Plan, out: str, numbers_file: str, ledger_path: str | None, allow_mass_release: bool
) -> str:
    """Where the plan went, and the exact command that applies it."""
    import shlex

    if plan.refused:
        return (
            f"Saved the refused plan to {out}, for the record: apply refuses it (exit 3). "
            "Fix what it breaks, then plan again."
        )
    command = ["connect-numbers", "apply", out]
    if numbers_file != "numbers.yaml":
        command += ["--numbers", numbers_file]
    command += ["--ledger", ledger_path or "HISTORY.jsonl"]
    cap = plan.max_releases
    if allow_mass_release and cap is not None and len(plan.releases) > cap:
        command.append("--allow-mass-release")  # apply re-decides the rule: say it again
    text = f"Saved the plan to {out}. Apply exactly it with:\n  {shlex.join(command)}"
    if ledger_path is None:
        text += (
            "\n(apply records every release in a ledger: `touch HISTORY.jsonl` starts one; "
            "plan with --ledger too, so the plan counts the same history)"
        )
    return text
