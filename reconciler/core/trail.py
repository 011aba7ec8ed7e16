"""CloudTrail imports: which of CloudTrail's claim and release events the ledger gains.

Pure: ``reconciler.aws.cloudtrail`` reads the events; ``plan --history cloudtrail``
(``reconciler.app.history``) and ``connect-numbers ledger import-cloudtrail`` add
what ``trail_imports`` decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from reconciler.core.model import TrailEvent

__all__ = ["TRAIL_TOLERANCE", "trail_imports"]


# How far apart our own record and CloudTrail's event of the same call may be.
TRAIL_TOLERANCE = timedelta(minutes=10)


def trail_imports(
    trail: Iterable[TrailEvent],
    records: Iterable[Mapping[str, object]],
    *,
    tolerance: timedelta = TRAIL_TOLERANCE,
) -> list[TrailEvent]:
    """The CloudTrail events to add to the ledger: new, successful, not already ours.

    An event is skipped when it failed (``errorCode``: nothing happened), when its
    event id was imported before, when it repeats a client token already counted
    (a retried call is logged again), or when one of our own ``done`` records is the
    same action on the same number within ``tolerance``. A release logged only by
    its number id gets its E.164 number from our records or from the claim event
    of the same id, when either is known.
    """
    known = list(records)
    imported = {r.get("event_id") for r in known if r.get("event_id")}
    # A call repeated with its client token is logged again but happened once.
    tokens = {
        (str(r.get("action")), str(r.get("client_token")))
        for r in known
        if r.get("client_token") and r.get("status", "done") == "done"
    }
    numbers = {
        str(r["phone_number_id"]): str(r["phone_number"])
        for r in known
        if r.get("phone_number_id") and r.get("phone_number")
    }
    events = sorted(trail, key=lambda e: (e.at, e.event_id))
    for e in events:
        if e.phone_number_id and e.phone_number:
            numbers.setdefault(e.phone_number_id, e.phone_number)
    ours: list[tuple[str, str | None, str | None, datetime]] = []
    for r in known:
        if r.get("status", "done") != "done" or r.get("event_id"):
            continue
        at = r.get("at")
        if isinstance(at, str):
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                continue
            ours.append(
                (
                    str(r.get("action")),
                    _text(r.get("phone_number")),
                    _text(r.get("phone_number_id")),
                    moment,
                )
            )
    added: list[TrailEvent] = []
    for e in events:
        if e.error_code or e.event_id in imported:
            continue
        if e.client_token and (e.action.value, e.client_token) in tokens:
            continue
        number = e.phone_number or (numbers.get(e.phone_number_id) if e.phone_number_id else None)
        if any(
            action == e.action.value
            and ((pid and pid == e.phone_number_id) or (num and num == number))
            and abs(at - e.at) <= tolerance
            for action, num, pid, at in ours
        ):
            continue
        imported.add(e.event_id)
        if e.client_token:
            tokens.add((e.action.value, e.client_token))
        added.append(replace(e, phone_number=number))
    return added


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
