"""The history a plan counts: the ledger, and with ``--history cloudtrail`` CloudTrail too."""

from __future__ import annotations

from datetime import datetime

from reconciler import ledger
from reconciler.core.model import DesiredState, HistoryEvent, TargetAccess, TrailEvent
from reconciler.core.trail import trail_imports

__all__ = ["TrailScope", "read_trail", "trail_history", "trail_scopes"]

# Where CloudTrail is read: (region, the credentials, the first target they serve).
# CloudTrail answers for the account whose credentials call it, so each account
# with its own role or profile is read with them; the others share the default ones.
TrailScope = tuple[str, TargetAccess | None, str]


def trail_scopes(state: DesiredState, region: str | None = None) -> list[TrailScope]:
    """One scope per region and credentials of the targets (``region``: that one only)."""
    access = state.access_by_account()
    found: dict[tuple[str, TargetAccess | None], str] = {}
    for t in state.targets:
        if region is None or t.region == region:
            found.setdefault((t.region, access.get(t.account_id)), t.arn)
    if region is not None and not found:
        return [(region, None, "")]  # a region no target is in: the default credentials
    return sorted(((r, a, arn) for (r, a), arn in found.items()), key=lambda s: (s[0], s[2]))


def read_trail(scopes: list[TrailScope], now: datetime) -> list[TrailEvent]:
    """CloudTrail's claims and releases of the last 90 days, each scope with its credentials."""
    from reconciler.aws.clients import account_client
    from reconciler.aws.cloudtrail import read_trail as read_region  # boto3 only when asked for

    events: list[TrailEvent] = []
    for region, access, target in scopes:
        client = (
            None if access is None else account_client("cloudtrail", region, access, target=target)
        )
        events.extend(read_region(region, now=now, client=client))
    return events


def trail_history(
    history: ledger.History, store: ledger.Ledger | None, scopes: list[TrailScope], now: datetime
) -> ledger.History:
    """The history plus CloudTrail's events not in it, in memory (`plan --history cloudtrail`)."""
    from reconciler.aws.cloudtrail import RETENTION

    records = store.records() if store is not None else []
    added = trail_imports(read_trail(scopes, now), records)
    events = history.events + tuple(
        HistoryEvent(action=e.action, phone_number=e.phone_number, at=e.at, scope=e.scope)
        for e in added
    )
    window = now - RETENTION
    since = window if history.tracking_since is None else min(history.tracking_since, window)
    return ledger.History(
        events=events, warnings=history.warnings, source=history.source, tracking_since=since
    )
