"""The ``connect-numbers`` command: wiring, the choice of view, and exit codes.

Exit codes (DESIGN.md, "CLI contract"), as Terraform's ``-detailed-exitcode``:
0 success / no changes; 1 error (bad input, AWS failure, bad usage);
2 changes pending (only with ``--detailed-exitcode``); 3 plan refused by a rule.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import NoReturn

import click

from . import __version__, desired, ledger, render, service
from .errors import ConnectNumbersError
from .model import HistoryEvent, Plan, Policy
from .pacing import DEFAULT_BURST, DEFAULT_RATE, Pacer, RateLimit

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "EXIT_REFUSED", "cli", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REFUSED = 3


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _load_history(path: str | None) -> list[HistoryEvent]:
    if path is None:
        return []
    history = ledger.read_history(path)
    for warning in history.warnings:
        click.echo(f"warning: {warning}", err=True)
    return list(history.events)


def _reader(rate: float | None, burst: int):  # type: ignore[no-untyped-def]
    # Imported here so `validate` and `emulator` never import boto3.
    from .inventory.aws import ConnectInventory

    return ConnectInventory(pacer=Pacer(RateLimit(rate=rate, burst=burst)))


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
@click.argument("file", default="numbers.yaml", type=click.Path(dir_okay=False))
def validate(file: str) -> None:
    """Check a numbers file without touching AWS.

    \b
    Examples:
      connect-numbers validate
      connect-numbers validate prod/numbers.yaml
    """
    state = desired.load_desired(file)
    click.echo(
        f"{file}: valid (version 1, {len(state.numbers)} number(s), "
        f"{len(state.targets)} target(s), quota limit {state.quota.limit} per "
        f"{state.quota.window_days} days)"
    )


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
    help="JSON Lines history of claims and releases, counted against the quota.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when the plan has releases (0 when none, 3 when refused).",
)
@click.option(
    "--allow-mass-release",
    is_flag=True,
    help="Allow more releases than safety.max_releases for this run.",
)
@click.option(
    "--rate",
    type=float,
    default=DEFAULT_RATE,
    show_default=True,
    help="API requests per second per operation (raise only with a raised AWS limit).",
)
@click.option(
    "--burst",
    type=int,
    default=DEFAULT_BURST,
    show_default=True,
    help="API request burst per operation.",
)
def plan(
    numbers_file: str,
    ledger_path: str | None,
    fmt: str,
    detailed_exitcode: bool,
    allow_mass_release: bool,
    rate: float,
    burst: int,
) -> None:
    """Show what apply would release, and refuse what breaks a rule.

    Reads numbers.yaml, the live inventory of its targets and the history, and
    prints the plan. Nothing is changed.
    """
    state = desired.load_desired(numbers_file)
    history = _load_history(ledger_path)
    result = service.make_plan(
        state,
        _reader(rate, burst),
        history,
        policy=Policy(allow_mass_release=allow_mass_release),
        now=datetime.now(UTC),
    )
    click.echo(
        render.render_json(result) if fmt == "json" else render.render_text(result), nl=False
    )
    sys.exit(_exit_code(result, detailed_exitcode))


@cli.command()
@click.option("--port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--seed",
    type=click.Path(dir_okay=False, exists=True),
    help="YAML seed inventory (see examples/emulator-seed.yaml).",
)
@click.option(
    "--rate",
    type=float,
    default=DEFAULT_RATE,
    show_default=True,
    help="Requests per second per operation before 429 (0 disables).",
)
@click.option("--burst", type=int, default=DEFAULT_BURST, show_default=True)
def emulator(port: int, seed: str | None, rate: float, burst: int) -> None:
    """Serve the bundled Connect emulator on 127.0.0.1.

    Prints the endpoint URL on the first line, then serves until stopped.

    \b
    Examples:
      connect-numbers emulator --seed examples/emulator-seed.yaml
      AWS_ENDPOINT_URL_CONNECT=http://127.0.0.1:PORT connect-numbers plan
    """
    from .emulator import serve

    serve(port=port, seed=seed, rate=rate or None, burst=burst)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; every expected error is one line on stderr and exit code 1."""
    try:
        code = cli.main(args=argv, prog_name="connect-numbers", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted")
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: 2 means "changes pending" here.
        exc.show()
        sys.exit(EXIT_ERROR)
    except ConnectNumbersError as exc:
        _fail(str(exc))
    sys.exit(code if isinstance(code, int) else EXIT_OK)
