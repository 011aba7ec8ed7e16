"""What the commands share: exit codes, error and warning lines, styled text, the
clock, and the inputs they read (numbers file, ledger, the paced Connect reader).

The options several commands take are in ``reconciler.cli.options``.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NoReturn

import click

from reconciler import ledger
from reconciler.app import service
from reconciler.core.model import DesiredState
from reconciler.core.pacing import Pacer, RateLimit

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
    # What the file becomes lives as long as the command: out of the cyclic
    # collector's sight (frozen), so that reading and planning 100,000 numbers does
    # not walk it again at every collection (about 1 s of a 100k plan;
    # bench/RESULTS.md 5.2), nor at the first collection after the load.
    with _collector_paused():
        state, warning = service.load_numbers(path)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    return state


_end_at_once = False


def end_at_once() -> None:
    """This command may end the process without freeing what it built (``cli.run``):
    it holds no file, lock, temporary file or thread that needs a clean exit."""
    global _end_at_once
    _end_at_once = True


def may_end_at_once() -> bool:
    """Whether the command said ``end_at_once`` and nothing since needs a clean exit:
    no thread but daemons (the reads') is still running."""
    import threading

    alive = [t for t in threading.enumerate() if t is not threading.main_thread()]
    return _end_at_once and all(t.daemon for t in alive)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic collector off while a command loads numbers.yaml, or reads and plans
    (issue 12): 100,000 numbers make hundreds of thousands of objects that live as long
    as the command and hold no cycle, and every collection would walk them all (0.3 s
    of a 100k plan after the listing, 0.06 s after the load). Reference counting frees
    as usual; what is left at the end is frozen (``gc.freeze``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was read and planned lives as long as the command: frozen, so that the
        # first collection once enabled does not walk it all (0.08 s for 100k).
        gc.freeze()
        if enabled:
            gc.enable()


def _reader(rate: float | None, burst: int, state: DesiredState | None = None):  # type: ignore[no-untyped-def]
    # Imported here so `validate` and `emulator` never import boto3.
    from reconciler.aws.connect import ConnectInventory

    # Each account's calls use its targets' role or profile (targets[].role_arn).
    access = state.access_by_account() if state is not None else None
    return ConnectInventory(pacer=Pacer(RateLimit(rate=rate, burst=burst)), access=access)


def _reading(reader: Any, state: DesiredState, rate: float | None, *, enabled: bool) -> Any:
    """Progress of the read on stderr while it lasts (``reconciler.cli.progress``)."""
    from reconciler.cli.progress import ReadingProgress

    return ReadingProgress(reader.progress, expected=len(state.numbers), rate=rate, enabled=enabled)
