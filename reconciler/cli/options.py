"""The options several commands take, one decorator each, used as ``@options.fit(...)``.

The same flag means the same thing in every command: the same destination,
type and default; each command gives its own help text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from reconciler.core.pacing import DEFAULT_BURST, DEFAULT_RATE

F = TypeVar("F", bound=Callable[..., Any])


def numbers(help: str, *, default: str | None = "numbers.yaml") -> Callable[[F], F]:
    """``--numbers FILE`` (``numbers_file``): the numbers file the command reads."""
    shown: dict[str, Any] = (
        {"default": default, "show_default": True} if default is not None else {}
    )
    return click.option(
        "--numbers", "numbers_file", type=click.Path(dir_okay=False), help=help, **shown
    )


def ledger(
    help: str, *, required: bool = False, dest: str = "ledger_path", path: bool = True
) -> Callable[[F], F]:
    """``--ledger``: the history of claims and releases, a JSON Lines file or
    ``s3://BUCKET/KEY`` (``path=False``: shown as TEXT, as the ``ledger`` commands do)."""
    kind = click.Path(dir_okay=False) if path else None
    return click.option("--ledger", dest, required=required, type=kind, help=help)


def output_format(choices: Sequence[str], help: str) -> Callable[[F], F]:
    """``--format`` (``fmt``), text by default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default="text",
        show_default=True,
        help=help,
    )


def quiet(help: str) -> Callable[[F], F]:
    """``--quiet``, ``-q``."""
    return click.option("--quiet", "-q", is_flag=True, help=help)


def allow_mass_release(help: str) -> Callable[[F], F]:
    """``--allow-mass-release``: more releases than safety.max_releases."""
    return click.option("--allow-mass-release", is_flag=True, help=help)


def fit(help: str) -> Callable[[F], F]:
    """``--fit``: release what fits the rolling quota now, defer the rest."""
    return click.option("--fit", is_flag=True, help=help)


def pacing(rate_help: str) -> Callable[[F], F]:
    """``--rate`` and ``--burst``: the pace of the calls to AWS (``reconciler.core.pacing``)."""
    rate = click.option(
        "--rate",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_RATE,
        show_default=True,
        help=rate_help,
    )
    burst = click.option(
        "--burst",
        type=click.IntRange(min=1),
        default=DEFAULT_BURST,
        show_default=True,
        help="API request burst per operation.",
    )

    def both(f: F) -> F:
        return rate(burst(f))

    return both
