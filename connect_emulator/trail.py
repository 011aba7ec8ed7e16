"""What CloudTrail keeps of a claim or release: the caller, the event id, whether it was logged.

CloudTrail logs every ClaimPhoneNumber and ReleasePhoneNumber call, including
the ones that failed ("CloudTrail captures ... API calls", with ``errorCode``
and ``errorMessage`` on a failure) and a repeat of a call with a client token
already used (a second call, a second event). The emulator therefore keeps:

- on each ``HistoryEvent`` (a claim or release that happened) a ``TrailInfo``:
  who made the call and how (``request_id``, the access key of its SigV4
  signature, the user name, user agent and source address), the CloudTrail
  ``event_id``, and ``logged``: ``False`` for an action AWS did not log (a
  console action, say), which still counts against the quota;
- ``TrailCall``: a call that changed nothing (refused with an error, or a
  replay answered from an earlier call) but that CloudTrail logged. Nothing
  counts these: not the quota, not the cooldowns, not the idempotency tokens.

``CloudTrailConfig`` is the seed's ``cloudtrail:`` block; the constants are
CloudTrail's documented limits for LookupEvents.

Pure values: no clock, no I/O.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from .clock import format_time

__all__ = [
    "DEFAULT_ACCESS_KEY_ID",
    "DEFAULT_USERNAME",
    "EVENT_SOURCE",
    "LOOKUP_MAX_RESULTS",
    "RETENTION_DAYS",
    "CloudTrailConfig",
    "TrailCall",
    "TrailInfo",
    "derived_event_id",
]

#: LookupEvents: "You can look up events that occurred in a Region within the last 90 days."
RETENTION_DAYS: Final = 90
#: LookupEvents ``MaxResults``: "Possible values are 1 through 50. The default is 50."
LOOKUP_MAX_RESULTS: Final = 50
#: ``eventSource`` of every Connect API call.
EVENT_SOURCE: Final = "connect.amazonaws.com"
#: The user a call is attributed to when the seed maps no name to its access key.
DEFAULT_USERNAME: Final = "emulator-user"
#: The access key of an event whose call the emulator did not see (a seed
#: event): AWS's documentation example key, so it can never be mistaken for a real one.
DEFAULT_ACCESS_KEY_ID: Final = "AKIAIOSFODNN7EXAMPLE"

_EVENT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "cloudtrail.emulator.connect-numbers.invalid")


@dataclass(frozen=True, kw_only=True)
class TrailInfo:
    """CloudTrail's view of one call. Every field is optional: a seed event has none."""

    event_id: str | None = None
    logged: bool = True
    request_id: str | None = None
    access_key_id: str | None = None
    username: str | None = None
    user_agent: str | None = None
    source_ip: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The seed/state-file form: only what is set (``logged`` only when false)."""
        result: dict[str, Any] = {
            key: getattr(self, key)
            for key in (
                "event_id",
                "request_id",
                "access_key_id",
                "username",
                "user_agent",
                "source_ip",
            )
            if getattr(self, key) is not None
        }
        if not self.logged:
            result["logged"] = False
        return result


@dataclass(frozen=True, kw_only=True)
class TrailCall:
    """A logged call that changed nothing: refused (``error_code``) or a replay.

    ``request_parameters`` and ``response_elements`` are kept as CloudTrail
    writes them (camelCase members of the request as sent, e.g.
    ``{"phoneNumberId": ..., "clientToken": ...}``), since a refused request
    may name things that do not exist.
    """

    event_name: str
    at: datetime
    request_parameters: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    response_elements: Mapping[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    trail: TrailInfo = field(default_factory=TrailInfo)

    def to_json(self) -> dict[str, Any]:
        """The seed/state-file form (``cloudtrail.calls[]``)."""
        result: dict[str, Any] = {
            "event_name": self.event_name,
            "at": format_time(self.at),
            "request_parameters": dict(self.request_parameters),
        }
        if self.response_elements is not None:
            result["response_elements"] = dict(self.response_elements)
        if self.error_code is not None:
            result["error_code"] = self.error_code
        if self.error_message is not None:
            result["error_message"] = self.error_message
        result.update(self.trail.to_json())
        return result


@dataclass(frozen=True, kw_only=True)
class CloudTrailConfig:
    """The seed's ``cloudtrail:`` block (everything but ``calls``)."""

    #: The Username of calls whose access key ``users`` does not name.
    username: str = DEFAULT_USERNAME
    #: Access key id -> user name, e.g. ``{AKIAHUMAN: alice, AKIAPIPELINE: deploy}``.
    users: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: CloudTrail delivers an event "within an average of about 5 minutes of an
    #: API call"; LookupEvents shows an event only this long after it happened.
    delivery_delay: timedelta = timedelta(0)

    def username_for(self, access_key_id: str | None) -> str:
        if access_key_id is None:
            return self.username
        return self.users.get(access_key_id, self.username)

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.username != DEFAULT_USERNAME:
            result["username"] = self.username
        if self.users:
            result["users"] = dict(self.users)
        if self.delivery_delay:
            result["delivery_delay_seconds"] = self.delivery_delay.total_seconds()
        return result


def derived_event_id(account_id: str, region: str, *parts: object) -> str:
    """A deterministic CloudTrail event id for a record without one.

    The same record (same account, region and content) always gets the same
    id, across calls and restarts, so an importer can deduplicate by it.
    """
    content = json.dumps([account_id, region, *parts], sort_keys=True, default=str)
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, content))
