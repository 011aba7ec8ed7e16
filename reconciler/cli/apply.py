"""`connect-numbers apply`: release what a reviewed plan says, with its progress and report."""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import replace

import click

from reconciler.app import ledgers, planfiles, service
from reconciler.cli import options
from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_REFUSED,
    _echo_text,
    _fail,
    _history_of,
    _load_desired,
    _now,
    _reader,
    _reading,
)
from reconciler.core import render
from reconciler.core.model import (
    ApplyReport,
    DesiredState,
    HistorySource,
    Plan,
    Policy,
    ReleaseOutcome,
)

_EPILOG_APPLY = """\b
Examples:
  connect-numbers plan --ledger history.jsonl --out plan.json   # review plan.json
  connect-numbers apply plan.json --ledger history.jsonl        # apply exactly that
  connect-numbers apply --ledger history.jsonl                  # plan, show, ask 'yes'
"""


def _owner() -> str:
    import getpass
    import os
    import socket

    return f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}"


class _Progress:
    """A progress bar on a terminal; one plain line per release otherwise (CI logs)."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = max(total, 1)
        self.count = 0
        self.enabled = enabled
        self.bar = enabled and sys.stderr.isatty()

    def __call__(self, outcome: ReleaseOutcome) -> None:
        self.count += 1
        if not self.enabled:
            return
        if not self.bar:
            click.echo(render.outcome_line(outcome), err=True)
            return
        filled = 30 * self.count // self.total
        click.echo(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.count}/{self.total} "
            f"{outcome.status.value} {outcome.phone_number}\033[K",
            err=True,
            nl=False,
        )

    def finish(self) -> None:
        if self.bar and self.count:
            click.echo("", err=True)


@click.command(epilog=_EPILOG_APPLY)
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@options.numbers(
    "The numbers file (default: the one the saved plan names, else numbers.yaml).", default=None
)
@options.ledger(
    "The history (a JSON Lines file, or s3://BUCKET/KEY): every release is recorded "
    "here before it is reported. It must exist (start one empty).",
    required=True,
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for 'yes' (pipelines).")
@options.quiet("No plan and no progress lines: the report only.")
@options.allow_mass_release(
    "Allow more releases than safety.max_releases. A saved plan made with "
    "`plan --allow-mass-release` needs it here too: apply decides every rule again."
)
@options.fit(
    "Without PLAN_FILE: when the releases do not fit the rolling quota, release "
    "those that fit now (keeping quota.reserve) and defer the rest, each with the date it "
    "fits; a scheduled `apply --fit --auto-approve` finishes them. A saved plan made "
    "with --fit is re-decided with it."
)
@options.output_format(["text", "json"], "Output format of the apply report.")
@options.pacing("API requests per second per operation.")
def apply(
    plan_file: str | None,
    numbers_file: str | None,
    ledger_path: str,
    auto_approve: bool,
    quiet: bool,
    allow_mass_release: bool,
    fit: bool,
    fmt: str,
    rate: float,
    burst: int,
) -> None:
    """Release what a reviewed plan says, recording each release.

    With PLAN_FILE (from `plan --out`), applies that reviewed plan: it is refused
    if it was refused, or if the live inventory or the numbers file changed
    since; every rule is decided again now (quota, empty file, mass release) and
    only numbers that both the saved plan and a fresh plan release are released.
    Without it, plans now, shows the plan and asks for `yes` (or --auto-approve).

    Ctrl-C (or SIGTERM) during the releases lets the release in flight finish
    and be recorded, then stops with the usual report (exit 130, or 143).
    """
    from reconciler.app.executor import Executor
    from reconciler.cli.signals import Interrupts

    # What continues a stopped apply (interrupted, or a failure whose cause is fixed).
    rerun = ["connect-numbers", "apply", *([plan_file] if plan_file else [])]
    rerun += [*(["--numbers", numbers_file] if numbers_file else []), "--ledger", ledger_path]
    saved: Plan | None = None

    def stopped_early(reason: str) -> str | None:
        """The JSON report of an apply a signal stopped before any release."""
        if fmt != "json":
            return None  # text: the error line says it
        data = render.apply_to_dict(
            ApplyReport(plan_id="", outcomes=(), stopped=reason), shlex.join(rerun)
        )
        data["plan_id"] = None if saved is None else render.plan_id(saved)
        return json.dumps(data, indent=2) + "\n"

    # SIGINT/SIGTERM: at once before the releases start, else after the call in flight.
    stop = click.get_current_context().with_resource(Interrupts(stopped_early))
    store = ledgers.open_ledger(ledger_path)
    if plan_file is not None:
        saved = planfiles.load_plan(plan_file)
        state = _load_desired(numbers_file or saved.numbers_file)
    else:
        state = _load_desired(numbers_file or "numbers.yaml")
    connect = _reader(rate, burst, state)
    # Releases interrupted applies left unrecorded, first (the input is valid by
    # now): the plan then counts them as done. A missing ledger is an error here.
    sweep = Executor(connect=connect, ledger=store, clock=_now, owner=_owner())
    confirmed = sweep.confirm_interrupted()
    for done in confirmed:
        click.echo(f"note: recorded the release of {done.phone_number}: {done.message}", err=True)
    history = _history_of(store)
    # A plan that counted CloudTrail (`plan --history cloudtrail`) is re-decided on no
    # less: with the ledger alone, its quota refusal could be edited away and pass.
    trail = saved is not None and saved.history is not None and saved.history.cloudtrail
    if trail:
        from reconciler.app.history import trail_history, trail_scopes

        history = trail_history(history, store, trail_scopes(state), _now())

    # A saved `--fit` plan is re-decided with --fit: the fresh plan that bounds it must
    # defer what no longer fits, not refuse the whole (``apply_rules.confirm``).
    fitting = fit or (saved is not None and saved.policy.fit)

    def plan_now(state: DesiredState, confirming: Plan | None = None) -> Plan:
        # A mass release takes two explicit acts: the reviewed plan's (`plan
        # --allow-mass-release`, recorded in its policy) and this run's flag.
        reviewed = confirming is None or confirming.policy.allow_mass_release
        with _reading(connect, state, rate, enabled=not quiet):
            return service.make_plan(
                state,
                connect,
                history.events,
                policy=Policy(allow_mass_release=allow_mass_release and reviewed, fit=fitting),
                now=_now(),
                covered_since=history.tracking_since,
                confirming=confirming,
                history_source=HistorySource(ledger=ledger_path, cloudtrail=trail),
            )

    fresh: Plan | None = None
    if saved is not None:
        if not saved.refused:  # a refused plan is refused with no AWS call
            # A saved plan is a record, not an authority (its id is an unkeyed digest
            # anyone can recompute): every rule is decided again on the world as it is,
            # with this run's flags, and only what both plans release is released.
            fresh = plan_now(state, confirming=saved)
    else:
        saved = plan_now(state)
        if not quiet:
            _echo_text(render.render_text(saved), err=fmt == "json")
        if saved.refused:
            sys.exit(EXIT_REFUSED)
        if not saved.has_changes:
            click.echo("No changes: nothing to release.", err=fmt == "json")
            sys.exit(EXIT_OK)
        if not auto_approve:
            click.echo(
                f"\nRelease {len(saved.releases)} number(s)? This cannot be undone. "
                "Only 'yes' will be accepted.",
                err=True,
            )
            try:
                answer = click.prompt("Enter a value", default="", show_default=False, err=True)
            except click.exceptions.Abort:  # end of input: no one to answer
                click.echo("", err=True)
                _fail(
                    "no answer: the input ended before 'yes'; nothing was released. "
                    "Without a terminal (a pipeline), pass --auto-approve"
                )
            if answer != "yes":
                _fail("apply cancelled; nothing was released")
    progress = _Progress(
        len(saved.releases) + len(saved.updates), enabled=fmt == "text" and not quiet
    )
    executor = Executor(
        connect=connect,
        ledger=store,
        clock=_now,
        owner=_owner(),
        on_outcome=progress,
        should_stop=stop.reason,
    )
    try:
        stop.releases_begin()
        report = replace(executor.apply(saved, state, fresh=fresh), confirmed=confirmed)
    finally:
        progress.finish()
    next_step = None if report.ok or report.refusals else shlex.join(rerun)
    if fmt == "json":
        click.echo(render.render_apply_json(report, next_step), nl=False)
    else:
        _echo_text(render.render_apply_text(report, next_step))
    if stop.exit_code is not None:
        sys.exit(stop.exit_code)  # 130 (SIGINT), 143 (SIGTERM): the report says what was done
    if report.refusals:
        sys.exit(EXIT_REFUSED)
    sys.exit(EXIT_OK if report.ok else EXIT_ERROR)
