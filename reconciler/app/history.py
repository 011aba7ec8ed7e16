"""The history a plan counts: the ledger, and with ``--history cloudtrail`` CloudTrail too."""

from __future__ import annotations

from datetime import datetime

from reconciler import ledger
from reconciler.core.model import HistoryEvent, TrailEvent
from reconciler.core.trail import trail_imports

__all__ = ["read_trail", "trail_history"]


def read_trail(regions: list[str], now: datetime) -> list[TrailEvent]:
    """CloudTrail's claims and releases of the last 90 days in ``regions``."""
    from reconciler.aws.cloudtrail import read_trail as read_region  # boto3 only when asked for

    return [e for region in regions for e in read_region(region, now=now)]


def trail_history(
    history: ledger.History, store: ledger.Ledger | None, regions: list[str], now: datetime
) -> ledger.History:
    """The history plus CloudTrail's events not in it, in memory (`plan --history cloudtrail`)."""
    from reconciler.aws.cloudtrail import RETENTION

    records = store.records() if store is not None else []
    added = trail_imports(read_trail(regions, now), records)
    events = history.events + tuple(
        HistoryEvent(action=e.action, phone_number=e.phone_number, at=e.at, scope=e.scope)
        for e in added
    )
    window = now - RETENTION
    since = window if history.tracking_since is None else min(history.tracking_since, window)
    return ledger.History(
        events=events, warnings=history.warnings, source=history.source, tracking_since=since
    )
