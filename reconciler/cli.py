"""The ``connect-numbers`` command: wiring, the choice of view, and exit codes.

Exit codes (DESIGN.md, "CLI contract"), as Terraform's ``-detailed-exitcode``:
0 success / no changes; 1 error (bad input, AWS failure, bad usage);
2 changes pending (only with ``--detailed-exitcode``); 3 plan refused by a rule;
130 / 143 apply interrupted by SIGINT / SIGTERM (``cli_signals``).
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NoReturn

import click

from reconciler.app import planfiles
from reconciler.app import ledgers
from reconciler import __version__, desired, ledger

from reconciler.core import planfile, render

from reconciler.app import service
from reconciler.core.errors import ConnectNumbersError
from reconciler.core.model import (
    ApplyReport,
    DesiredState,
    HistorySource,
    Plan,
    Policy,
    ReleaseOutcome,
)
from reconciler.core.pacing import DEFAULT_BURST, DEFAULT_RATE, Pacer, RateLimit

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "EXIT_REFUSED", "cli", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REFUSED = 3


# Colour only where a person reads a terminal: click strips styles when the
# output is not a TTY, and NO_COLOR (https://no-color.org) turns them off.
_STYLES = (
    ("REFUSED", {"fg": "red", "bold": True}),
    ("  [", {"fg": "red"}),
    ("  WARNING", {"fg": "yellow"}),
    ("    Import them", {"fg": "yellow"}),
    ("Release (", {"fg": "yellow", "bold": True}),
    ("  - +", {"fg": "yellow"}),
    ("  after:", {"bold": True}),
    ("Plan: ", {"bold": True}),
    ("Apply complete", {"fg": "green", "bold": True}),
    ("Apply stopped", {"fg": "red", "bold": True}),
    ("Apply refused", {"fg": "red", "bold": True}),
)


def _echo_text(text: str, *, err: bool = False) -> None:
    """Plain text, styled line by line on a terminal unless NO_COLOR is set."""
    import os

    if os.environ.get("NO_COLOR"):
        click.echo(text, nl=False, err=err, color=False)
        return
    lines = []
    for line in text.splitlines(keepends=True):
        style = next((st for prefix, st in _STYLES if line.startswith(prefix)), None)
        if style and "DEACTIVATED" not in line:
            line = click.style(line.rstrip("\n"), **style) + ("\n" if line.endswith("\n") else "")
        elif "DEACTIVATED" in line:
            line = line.replace("DEACTIVATED", click.style("DEACTIVATED", fg="red", bold=True))
        lines.append(line)
    click.echo("".join(lines), nl=False, err=err)


def _now() -> datetime:
    return datetime.now(UTC)


def _errors(message: str) -> None:
    """``error: ...`` on stderr, once per line (a numbers file can hold several problems)."""
    for line in message.splitlines() or [""]:
        click.echo(f"error: {line}", err=True)


def _fail(message: str) -> NoReturn:
    _errors(message)
    sys.exit(EXIT_ERROR)


def _history_of(store: ledger.Ledger) -> ledger.History:
    history = store.read()
    for warning in history.warnings:
        click.echo(f"warning: {warning}", err=True)
    return history


def _load_desired(path: str) -> DesiredState:
    state, warning = service.load_numbers(path)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    return state


def _reader(rate: float | None, burst: int, state: DesiredState | None = None):  # type: ignore[no-untyped-def]
    # Imported here so `validate` and `emulator` never import boto3.
    from reconciler.aws.connect import ConnectInventory

    # Each account's calls use its targets' role or profile (targets[].role_arn).
    access = state.access_by_account() if state is not None else None
    return ConnectInventory(pacer=Pacer(RateLimit(rate=rate, burst=burst)), access=access)


def _reading(reader: Any, state: DesiredState, rate: float | None, *, enabled: bool) -> Any:
    """Progress of the read on stderr while it lasts (``cli_progress``)."""
    from reconciler.cli.progress import ReadingProgress

    return ReadingProgress(reader.progress, expected=len(state.numbers), rate=rate, enabled=enabled)


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="connect-numbers")
def cli() -> None:
    """Keep Amazon Connect phone numbers equal to a reviewed numbers.yaml.

    Credentials, region and endpoint come from the standard AWS settings
    (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_CONNECT, ...).
    """


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check numbers files without touching AWS (default: numbers.yaml).

    Every file is checked and every problem of each reported, one line each with
    its file and line (pre-commit passes all staged files in one call); exit 1
    if any is invalid.

    \b
    Examples:
      connect-numbers validate
      connect-numbers validate prod/numbers.yaml staging/numbers.yaml
    """
    invalid = 0
    for file in files or ("numbers.yaml",):
        try:
            state = desired.load_desired(file)
        except ConnectNumbersError as exc:
            _errors(str(exc))
            invalid += 1
            continue
        click.echo(
            f"{file}: valid (version 1, {len(state.numbers)} number(s), "
            f"{len(state.targets)} target(s), quota limit {state.quota.limit} per "
            f"{state.quota.window_days} days)"
        )
    if invalid:
        sys.exit(EXIT_ERROR)


@cli.command(epilog=_EPILOG_PLAN)
@click.option(
    "--numbers",
    "numbers_file",
    default="numbers.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The numbers file to plan from.",
)
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False),
    help="The history of claims and releases, counted against the quota: a JSON Lines "
    "file, or s3://BUCKET/KEY shared by every pipeline.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format (markdown: a pull-request comment).",
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
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print only the summary and any refusals, and no progress on stderr.",
)
@click.option(
    "--allow-mass-release",
    is_flag=True,
    help="Allow more releases than safety.max_releases for this run; "
    "`apply PLAN.json` needs it too (two explicit acts).",
)
@click.option(
    "--fit",
    is_flag=True,
    help="When the releases do not fit the rolling quota, release those that fit now "
    "(keeping quota.reserve) and defer the rest, each with the date it fits; a scheduled "
    "run with --fit finishes them. Order: releases that deactivate no flow first, then "
    "the others, each by number.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_RATE,
    show_default=True,
    help="API requests per second per operation (raise only with a raised AWS limit).",
)
@click.option(
    "--burst",
    type=click.IntRange(min=1),
    default=DEFAULT_BURST,
    show_default=True,
    help="API request burst per operation.",
)
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
    with _reading(reader, state, rate, enabled=not quiet):
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


@cli.command()
@click.option(
    "--target",
    "targets",
    multiple=True,
    required=True,
    help="A Connect instance (or traffic distribution group) ARN; repeatable.",
)
@click.option(
    "--out",
    default="numbers.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the numbers file.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--fallback",
    type=click.IntRange(min=1),
    help="quota.fallback (default: the number of claimed numbers, a safe lower "
    "bound of the quota).",
)
def init(targets: tuple[str, ...], out: str, force: bool, fallback: int | None) -> None:
    """Write a numbers.yaml that keeps every number claimed to the targets today.

    Adopting the product on an existing account then plans zero releases.

    \b
    Examples:
      connect-numbers init --target arn:aws:connect:us-east-1:111122223333:instance/ID
      connect-numbers init --target ARN1 --target ARN2 --out prod/numbers.yaml --force
    """
    import os

    from reconciler.core.model import Target

    if os.path.exists(out) and not force:
        _fail(f"{out} exists; nothing written. Use --force to overwrite it")
    # Even with --force: a regular file only (no link, device, folder, read-only file),
    # and never JSON, which is a ledger or a saved plan, not a numbers file.
    planfiles.check_output(out, what="numbers file", example="numbers.yaml")
    if os.path.exists(out):
        with open(out, "rb") as existing:
            if existing.read(4096).lstrip().startswith(b"{"):
                _fail(
                    f"--out {out}: holds JSON (a ledger or a saved plan?), not a numbers file; "
                    "nothing written, even with --force. Name another file, such as numbers.yaml"
                )
    try:
        parsed = tuple(Target(arn=arn) for arn in targets)
    except ValueError as exc:
        _fail(f"--target: {exc}")
    reader = _reader(DEFAULT_RATE, DEFAULT_BURST)
    # The traffic distribution groups of the instances (a replica instance has a
    # default one): ListPhoneNumbersV2 by an instance ARN does not return their
    # numbers, so they are offered as targets of their own, their numbers kept.
    listed = {t.arn for t in parsed}
    found = reader.traffic_distribution_groups(parsed)
    extra = [(arn, name) for arn, name in dict(found).items() if arn not in listed]
    parsed += tuple(Target(arn=arn) for arn, _ in extra)
    inventory = reader.list_numbers(parsed, with_flows=False)
    for arn, name in extra:
        count = sum(1 for n in inventory.numbers if n.target_arn == arn)
        click.echo(
            f"Found traffic distribution group {name or arn} ({arn}): added as a target, "
            f"its {count} number(s) kept."
        )
    text = render.render_numbers_file(
        tuple(t.arn for t in parsed),
        inventory.numbers,
        fallback=fallback or max(1, len(inventory.numbers)),
        descriptions={arn: f"traffic distribution group {name}" for arn, name in extra},
    )
    desired.parse_desired(text.encode(), out)  # what we write must load back
    try:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        _fail(
            f"--out {out}: cannot write ({exc.strerror}); nothing written. Create its folder "
            "or name another file"
        )
    click.echo(f"Wrote {out}: {len(inventory.numbers)} number(s) kept on {len(parsed)} target(s).")


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


@cli.command(epilog=_EPILOG_APPLY)
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--numbers",
    "numbers_file",
    type=click.Path(dir_okay=False),
    help="The numbers file (default: the one the saved plan names, else numbers.yaml).",
)
@click.option(
    "--ledger",
    "ledger_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The history (a JSON Lines file, or s3://BUCKET/KEY): every release is recorded "
    "here before it is reported. It must exist (start one empty).",
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for 'yes' (pipelines).")
@click.option("--quiet", "-q", is_flag=True, help="No plan and no progress lines: the report only.")
@click.option(
    "--allow-mass-release",
    is_flag=True,
    help="Allow more releases than safety.max_releases. A saved plan made with "
    "`plan --allow-mass-release` needs it here too: apply decides every rule again.",
)
@click.option(
    "--fit",
    is_flag=True,
    help="Without PLAN_FILE: when the releases do not fit the rolling quota, release "
    "those that fit now (keeping quota.reserve) and defer the rest, each with the date it "
    "fits; a scheduled `apply --fit --auto-approve` finishes them. A saved plan made "
    "with --fit is re-decided with it.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format of the apply report.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_RATE,
    show_default=True,
    help="API requests per second per operation.",
)
@click.option(
    "--burst",
    type=click.IntRange(min=1),
    default=DEFAULT_BURST,
    show_default=True,
    help="API request burst per operation.",
)
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
    from reconciler.cli.signals import Interrupts
    from reconciler.app.executor import Executor

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
    # defer what no longer fits, not refuse the whole (``planner.confirm``).
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


@cli.command()
@click.option("--port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--seed",
    type=click.Path(dir_okay=False, exists=True),
    help="YAML seed inventory (see examples/emulator-seed.yaml).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0),
    default=DEFAULT_RATE,
    show_default=True,
    help="Requests per second per operation before 429 (0 disables).",
)
@click.option("--burst", type=click.IntRange(min=1), default=DEFAULT_BURST, show_default=True)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False),
    help="Persist the account here (numbers, cooldowns, history) and resume from it.",
)
@click.option("--quiet", is_flag=True, help="Do not log requests to stderr.")
def emulator(
    port: int, seed: str | None, rate: float, burst: int, state_file: str | None, quiet: bool
) -> None:
    """Serve the bundled Connect emulator on 127.0.0.1.

    Prints the endpoint URL on the first line, then serves until stopped.
    Serves the phone-number operations with botocore's shapes, AWS's default
    rate limits, the rolling claim/release quota and release cooldowns.

    \b
    Examples:
      connect-numbers emulator --seed examples/emulator-seed.yaml
      connect-numbers emulator --seed examples/emulator-seed.yaml --state account.json
      AWS_ENDPOINT_URL_CONNECT=http://127.0.0.1:PORT connect-numbers plan
    """
    from connect_emulator import SeedError, ServeError, StateFileError, serve

    try:
        serve(
            port=port, seed=seed, rate=rate or None, burst=burst, state_file=state_file, quiet=quiet
        )
    except ServeError as exc:
        _fail(f"{exc}; choose another port with --port N, or --port 0 for a free one")
    except SeedError as exc:
        _fail(f"{exc}. A seed is a YAML file like examples/emulator-seed.yaml")
    except StateFileError as exc:
        _fail(str(exc))


@cli.command(name="quota")
@click.option(
    "--numbers",
    "numbers_file",
    default="numbers.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The numbers file: its targets (accounts and regions) and quota settings.",
)
@click.option(
    "--ledger",
    "ledger_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The history of claims and releases: a JSON Lines file, or s3://BUCKET/KEY.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def quota_command(numbers_file: str, ledger_path: str, fmt: str) -> None:
    """Show the rolling quota now: used, limit, reserve, the events in the window and
    when room returns, per account and region. Reads no Connect API.

    \b
    Examples:
      connect-numbers quota --ledger history.jsonl
      connect-numbers quota --numbers prod/numbers.yaml --ledger history.jsonl --format json
    """
    from reconciler.core import planner

    state = _load_desired(numbers_file)
    history = _history_of(ledgers.open_ledger(ledger_path))
    now = _now()
    windows = planner.windows(history.events, state, now=now, covered_since=history.tracking_since)
    views = {
        "text": render.render_window_text,
        "json": render.render_window_json,
        "markdown": render.render_window_markdown,
    }
    click.echo(views[fmt](windows, now), nl=False)


def _register_subgroups() -> None:
    from reconciler.cli.history import ledger_group

    cli.add_command(ledger_group)


_register_subgroups()


class _WarningLines(logging.Handler):
    """The library's logged warnings (a ledger's cut line set aside, say) as the CLI's
    own `warning:` lines, not Python's bare last-resort output."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; every expected error is one line on stderr and exit code 1."""
    library = logging.getLogger("reconciler")
    if not any(isinstance(h, _WarningLines) for h in library.handlers):
        library.addHandler(_WarningLines(logging.WARNING))
    from reconciler.core.inventory import forget_sessions

    forget_sessions()  # each run assumes its roles afresh (in-process runs too)
    try:
        code = cli.main(args=argv, prog_name="connect-numbers", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted")
    except click.exceptions.NoArgsIsHelpError as exc:
        # `connect-numbers` (or a group) alone: its help, as -h shows it; not an error.
        click.echo(exc.ctx.get_help())
        sys.exit(EXIT_OK)
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: 2 means "changes pending" here. They
        # take the one prefix every error has (`error:`), not click's `Error:`.
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            click.echo(ctx.get_usage(), err=True)
            click.echo(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.", err=True)
        _fail(" ".join(exc.format_message().split()))  # one line (click wraps choices)
    except ConnectNumbersError as exc:
        _fail(str(exc))
    except Exception as exc:
        # A bug, not a user's mistake: still one line, never a traceback, unless asked.
        import os

        if os.environ.get("CONNECT_NUMBERS_DEBUG"):
            raise
        _fail(
            f"unexpected {type(exc).__name__}: {exc}. This is a bug in connect-numbers: rerun "
            "with CONNECT_NUMBERS_DEBUG=1 for the traceback and report it"
        )
    sys.exit(code if isinstance(code, int) else EXIT_OK)
