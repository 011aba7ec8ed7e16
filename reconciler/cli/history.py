"""`connect-numbers ledger import-cloudtrail` and `ledger add`: completing the history.

The quota guard is only as good as the history it counts. CloudTrail has every
claim and release of the last 90 days, including those made by hand in the
console or the AWS CLI; what AWS does not log, the user adds.
"""

from __future__ import annotations

import sys

import click

from reconciler import desired, ledger
from reconciler.app import ledgers
from reconciler.app.history import TrailScope, read_trail, trail_scopes
from reconciler.cli import options
from reconciler.cli.common import _now
from reconciler.core.model import Action
from reconciler.core.trail import trail_imports
from reconciler.ledger import LedgerRecord

__all__ = ["add", "import_cloudtrail", "ledger_group", "unlock"]


@click.group("ledger")
def ledger_group() -> None:
    """Work with the history of claims and releases (the ledger)."""


def _scopes(numbers_file: str, region: str | None) -> list[TrailScope]:
    return trail_scopes(desired.load_desired(numbers_file), region)


def _open_started(spec: str) -> ledger.Ledger:
    """The ledger ``spec`` names, read once as plan and apply read it.

    A missing ledger is an error naming the command that starts one (adding to
    a mistyped path would start a second history the plans never count), and
    so is a line the product cannot read.
    """
    store = ledgers.open_ledger(spec)
    store.read()
    return store


@ledger_group.command("import-cloudtrail")
@options.ledger(
    "The ledger to add the events to; it must exist (start one empty).",
    required=True,
    dest="ledger_spec",
    path=False,
)
@options.numbers("Read the regions of its targets.")
@click.option("--region", help="Read this region only (default: the targets' regions).")
def import_cloudtrail(ledger_spec: str, numbers_file: str, region: str | None) -> None:
    """Add the claims and releases CloudTrail logged in the last 90 days.

    Reads ClaimPhoneNumber and ReleasePhoneNumber events with LookupEvents (50 per
    page, 2 requests/s), skips failed calls, events imported before and the
    ledger's own records, and appends the rest as `done` records. Needs
    cloudtrail:LookupEvents.

    \b
    Examples:
      connect-numbers ledger import-cloudtrail --ledger history.jsonl
      connect-numbers ledger import-cloudtrail --ledger s3://bucket/history.jsonl --region eu-west-2
    """
    from reconciler.aws.cloudtrail import RETENTION

    store = _open_started(ledger_spec)
    now = _now()
    trail = read_trail(_scopes(numbers_file, region), now)
    with store.lock(ledger.default_owner("import-cloudtrail")):
        added = trail_imports(trail, store.records())
        for e in added:
            store.append(
                LedgerRecord(
                    action=e.action,
                    phone_number=e.phone_number,
                    at=e.at,
                    status="done",
                    phone_number_id=e.phone_number_id,
                    target_arn=e.target_arn,
                    message="imported from CloudTrail",
                    extra={"event_id": e.event_id, "source": "cloudtrail", "scope": e.scope},
                )
            )
        store.mark_coverage(now - RETENTION, source="cloudtrail")
    claims = sum(1 for e in added if e.action is Action.CLAIM)
    failed = sum(1 for e in trail if e.error_code)
    click.echo(
        f"Imported {len(added)} event(s) from CloudTrail into {ledger_spec}: {claims} claim(s), "
        f"{len(added) - claims} release(s); {len(trail) - len(added) - failed} already recorded, "
        f"{failed} failed call(s) ignored. The history is now complete since "
        f"{(now - RETENTION).strftime('%Y-%m-%d')} at least."
    )
    unknown = [e for e in added if e.phone_number is None]
    if unknown:
        click.echo(
            f"note: {len(unknown)} release(s) are recorded by number id only (CloudTrail does "
            "not log the number); they count against the quota all the same",
            err=True,
        )


@ledger_group.command("add")
@click.argument("action", type=click.Choice(["claim", "release"]))
@click.argument("number")
@click.option(
    "--at",
    "at_text",
    required=True,
    help="When it happened, ISO 8601 with a timezone (2026-06-01T12:00:00Z).",
)
@click.option("--note", default="", help="Why this is recorded by hand (who, ticket).")
@options.ledger(
    "The ledger to add it to; it must exist (start one empty).",
    required=True,
    dest="ledger_spec",
    path=False,
)
def add(action: str, number: str, at_text: str, note: str, ledger_spec: str) -> None:
    """Record a claim or release that AWS did not log (a console action).

    \b
    Examples:
      connect-numbers ledger add release +12065550150 --at 2026-06-01T12:00:00Z \\
          --note "released in the console, ticket OPS-1234" --ledger history.jsonl
    """
    try:
        e164 = desired.normalize_number(number)
    except ValueError as exc:
        click.echo(f"error: NUMBER {number!r}: {exc}", err=True)
        sys.exit(1)
    try:
        at = ledger.parse_time(at_text)
    except ValueError as exc:
        click.echo(f"error: --at {at_text!r}: {exc}", err=True)
        sys.exit(1)
    if at > _now():
        click.echo(f"error: --at {at_text}: in the future; record what happened", err=True)
        sys.exit(1)
    store = _open_started(ledger_spec)
    with store.lock(ledger.default_owner("ledger add")):
        store.append(
            LedgerRecord(
                action=action,
                phone_number=e164,
                at=at,
                status="done",
                message=note or "added by hand",
                extra={"source": "manual"},
            )
        )
    click.echo(f"Recorded: {action} {e164} at {ledger.format_time(at)} in {ledger_spec}.")


@ledger_group.command("unlock")
@click.argument("lease_id")
@options.ledger(
    "The S3 ledger whose lease to break.", required=True, dest="ledger_spec", path=False
)
def unlock(lease_id: str, ledger_spec: str) -> None:
    """Break the lease of an apply that is gone (killed, its runner lost).

    An S3 ledger's lease is never broken implicitly, not even once expired:
    first make sure that no apply is still running. Only the lease named is
    broken. The next apply re-reads the history; a release the dead apply
    started but did not record counts against the quota until that apply's plan
    is run again, which confirms it.

    \b
    Examples:
      connect-numbers ledger unlock 5f0c2a9e41b7d3c8 --ledger s3://acme-connect/history.jsonl
    """
    from reconciler.aws.ledger_s3 import S3Ledger

    store = ledgers.open_ledger(ledger_spec)
    if not isinstance(store, S3Ledger):
        click.echo(
            f"error: {ledger_spec}: a ledger file's lock frees itself when the process holding "
            "it exits (the operating system releases it); there is nothing to unlock",
            err=True,
        )
        sys.exit(1)
    broken = store.unlock(lease_id)
    expires = ledger.format_time(broken.expires)
    click.echo(
        f"Broke lease {broken.lease_id} of {ledger_spec}, held by {broken.holder.describe()} "
        f"(valid until {expires}). The next apply can start."
    )
