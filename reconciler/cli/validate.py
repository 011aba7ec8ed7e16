"""`connect-numbers validate`: check numbers files without touching AWS."""

from __future__ import annotations

import sys

import click

from reconciler import desired
from reconciler.cli.common import EXIT_ERROR, _errors
from reconciler.core.errors import ConnectNumbersError


@click.command()
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
