"""Claims and releases made outside this tool, from CloudTrail's LookupEvents.

One of the AWS adapters allowed to import boto3. CloudTrail keeps management
events for 90 days and serves them 50 per page at 2 requests per second per
account and region ("LookupEvents ... 2 requests per second"); this reads
``ClaimPhoneNumber`` and ``ReleasePhoneNumber`` events of that window, paced,
and turns them into ``TrailEvent`` values. Deciding which of them to add to the
ledger is the core's job (``core.trail.trail_imports``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from reconciler.aws.clients import make_client
from reconciler.aws.errors import map_error
from reconciler.core.errors import AwsError
from reconciler.core.model import CLOUDTRAIL_RETENTION, Action, TrailEvent, scope_of
from reconciler.core.pacing import Pacer, RateLimit

__all__ = ["RETENTION", "read_trail"]

RETENTION = CLOUDTRAIL_RETENTION  # LookupEvents reaches back 90 days
PAGE_SIZE = 50
_ACTIONS = {"ClaimPhoneNumber": Action.CLAIM, "ReleasePhoneNumber": Action.RELEASE}
# CloudTrail's LookupEvents limit, shared by every caller in the account and region.
_PACER = Pacer(RateLimit(rate=2.0, burst=2))


def read_trail(
    region: str, *, now: datetime, client: Any = None, pacer: Pacer | None = None
) -> list[TrailEvent]:
    """Every claim and release CloudTrail logged in ``region`` in the last 90 days."""
    if client is None:
        client = make_client("cloudtrail", region)
    pace = pacer or _PACER
    events: list[TrailEvent] = []
    for name, action in _ACTIONS.items():
        for raw in _pages(client, pace, name, start=now - RETENTION, end=now):
            events.append(_event(raw, action))
    return sorted(events, key=lambda e: (e.at, e.event_id))


def _pages(
    client: Any, pacer: Pacer, name: str, *, start: datetime, end: datetime
) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        params: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
            "StartTime": start,
            "EndTime": end,
            "MaxResults": PAGE_SIZE,
        }
        if token:
            params["NextToken"] = token
        pacer.acquire("LookupEvents")
        try:
            page = client.lookup_events(**params)
        except AwsError:
            raise
        except Exception as exc:
            raise map_error(exc, "LookupEvents", service="cloudtrail") from exc
        yield from page.get("Events", [])
        token = page.get("NextToken")
        if not token:
            return


def _event(raw: dict[str, Any], action: Action) -> TrailEvent:
    detail: dict[str, Any] = {}
    with contextlib.suppress(json.JSONDecodeError):
        detail = json.loads(raw.get("CloudTrailEvent") or "{}")
    request = detail.get("requestParameters") or {}
    response = detail.get("responseElements") or {}
    at = raw.get("EventTime")
    if isinstance(at, datetime):
        at = at.astimezone(UTC)
    else:
        at = datetime.fromisoformat(str(detail.get("eventTime"))).astimezone(UTC)
    return TrailEvent(
        event_id=str(raw.get("EventId") or detail.get("eventID")),
        action=action,
        at=at,
        phone_number=request.get("phoneNumber"),
        phone_number_id=request.get("phoneNumberId") or response.get("phoneNumberId"),
        target_arn=request.get("targetArn"),
        client_token=request.get("clientToken"),
        error_code=detail.get("errorCode"),
        scope=scope_of(request.get("targetArn")) or _scope(detail),
    )


def _scope(detail: dict[str, Any]) -> str | None:
    account, region = detail.get("recipientAccountId"), detail.get("awsRegion")
    if isinstance(account, str) and isinstance(region, str) and account and region:
        return f"{account}/{region}"
    return None
