"""`connect-numbers init`: write a numbers.yaml that keeps what the targets hold today."""

from __future__ import annotations

import click

from reconciler import desired
from reconciler.app import planfiles
from reconciler.cli.common import _fail, _reader
from reconciler.core import render
from reconciler.core.pacing import DEFAULT_BURST, DEFAULT_RATE


@click.command()
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
