"""The ``connect-numbers`` command: the group, its commands, and exit codes.

Exit codes (DESIGN.md, "CLI contract"), as Terraform's ``-detailed-exitcode``:
0 success / no changes; 1 error (bad input, AWS failure, bad usage);
2 changes pending (only with ``--detailed-exitcode``); 3 plan refused by a rule;
130 / 143 apply interrupted by SIGINT / SIGTERM (``reconciler.cli.signals``).

One module per command (``validate``, ``plan``, ``init``, ``apply``, ``emulator``,
``quota``) or command group (``history``: ``ledger``); what they share is in
``common``. They never import this module: it adds them to the group.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click

from reconciler import __version__
from reconciler.cli import apply, common, emulator, history, init, plan, quota, validate
from reconciler.cli.common import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, EXIT_REFUSED, _fail
from reconciler.core.errors import ConnectNumbersError

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "EXIT_REFUSED", "cli", "main", "run"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="connect-numbers")
def cli() -> None:
    """Keep Amazon Connect phone numbers equal to a reviewed numbers.yaml.

    Credentials, region and endpoint come from the standard AWS settings
    (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_CONNECT, ...).
    """


for _command in (
    validate.validate,
    plan.plan,
    init.init,
    apply.apply,
    emulator.emulator,
    quota.quota_command,
    history.ledger_group,
):
    cli.add_command(_command)


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
    from reconciler.aws import forget_sessions

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


def run() -> NoReturn:
    """The ``connect-numbers`` process (and ``python -m reconciler``): :func:`main`, then,
    after a command that allows it (``common.end_at_once``: ``plan``), the process ends
    as soon as its output is flushed, without freeing one by one what the command built:
    0.2 s of a 100k-number plan (bench/RESULTS.md 5.4). Callers inside another program
    (tests) call :func:`main`, which raises SystemExit as usual.
    """
    import os

    try:
        main()
    except SystemExit as exc:
        code = exc.code
        if not common.may_end_at_once() or not (code is None or isinstance(code, int)):
            raise  # Python's own exit (a message as the code is printed there)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise exc from None  # a closed pipe: let Python report it as usual
        os._exit(EXIT_OK if code is None else code)
