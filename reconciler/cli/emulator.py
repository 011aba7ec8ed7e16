"""`connect-numbers emulator`: serve the bundled Connect emulator (``connect_emulator``)."""

from __future__ import annotations

import click

from reconciler.cli.common import _fail
from reconciler.core.pacing import DEFAULT_BURST, DEFAULT_RATE


@click.command()
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
