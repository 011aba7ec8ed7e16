"""The past of a seed: ``history`` (claims and releases before the emulator
started) and ``cloudtrail`` (how LookupEvents serves them, and calls that
changed nothing), with the check that an event id names one event."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..clock import parse_time
from ..constants import (
    LOGGED_OPERATIONS,
    MAX_CLIENT_TOKEN_LENGTH,
    PHONE_NUMBER_TYPES,
    RESOURCE_ID_PATTERN,
)
from ..history import Action, HistoryEvent, Origin
from ..trail import DEFAULT_USERNAME, CloudTrailConfig, TrailCall, TrailInfo
from .checks import SeedChecks, describe

_CLOUDTRAIL_KEYS = ("username", "users", "delivery_delay_seconds", "calls")
_TRAIL_KEYS = (
    "event_id",
    "logged",
    "request_id",
    "access_key_id",
    "username",
    "user_agent",
    "source_ip",
)
_CALL_KEYS = (
    "event_name",
    "at",
    "request_parameters",
    "response_elements",
    "error_code",
    "error_message",
    *_TRAIL_KEYS,
)
_HISTORY_KEYS = (
    "action",
    "phone_number",
    "at",
    "phone_number_id",
    "client_token",
    "instance",
    "type",
    "country",
    "origin",
    "cloudtrail",
)


class ActivitySections(SeedChecks):
    """Parses ``history`` and ``cloudtrail``."""

    def _history(self, document: Mapping[str, Any]) -> tuple[HistoryEvent, ...]:
        tokens: dict[str, str] = {}
        result: list[HistoryEvent] = []
        what = "a history event must be a mapping with 'action', 'phone_number' and 'at'"
        for entry, item in self._entries(document, "history", what, _HISTORY_KEYS):
            action = self._enum(item, "action", [a.value for a in Action], "", entry=entry)
            if not action:
                self._fail("'action' is required (claim or release)", entry=entry, mapping=item)
            phone_number, country = self._e164_and_country(item, entry)
            entry = f"{entry} ({action} {phone_number})"
            at = self._at(item, "'at' is required: when it happened", entry=entry)
            number_id = self._resource_id(item, "phone_number_id", "phone number id", entry=entry)
            instance_id = self._resource_id(item, "instance", "instance id", entry=entry)
            token = self._string(item, "client_token", entry=entry)
            if token is not None:
                if not 1 <= len(token) <= MAX_CLIENT_TOKEN_LENGTH:
                    self._fail(
                        f"client_token must be 1 to {MAX_CLIENT_TOKEN_LENGTH} characters",
                        entry=entry,
                        mapping=item,
                        key="client_token",
                    )
                if token in tokens:
                    self._fail(
                        f"client_token {token!r} is used twice (also at {tokens[token]}); a "
                        "token names one request",
                        entry=entry,
                        mapping=item,
                        key="client_token",
                    )
                tokens[token] = entry
            origin = self._enum(item, "origin", [o.value for o in Origin], "seed", entry=entry)
            result.append(
                HistoryEvent(
                    action=Action(action),
                    phone_number=phone_number,
                    at=at,
                    phone_number_id=number_id,
                    client_token=token,
                    instance_id=instance_id,
                    type=self._enum(item, "type", PHONE_NUMBER_TYPES, "DID", entry=entry),
                    country=country,
                    origin=Origin(origin),
                    trail=self._history_trail(item, entry),
                )
            )
        return tuple(result)

    def _at(self, item: Mapping[str, Any], required: str, *, entry: str) -> datetime:
        """The required time ``at`` (ISO 8601 with a zone); ``required`` starts the problem
        when it is missing."""
        if item.get("at") is None:
            self._fail(f"{required}, e.g. 2026-01-31T12:00:00Z", entry=entry, mapping=item)
        try:
            return parse_time(item["at"], "at")
        except ValueError as exc:
            self._fail(str(exc), entry=entry, mapping=item, key="at")

    def _resource_id(
        self, item: Mapping[str, Any], key: str, what: str, *, entry: str
    ) -> str | None:
        """An optional ``key`` that must be a resource id (letters, digits, '-', '_', '.')."""
        value = self._string(item, key, entry=entry)
        if value is not None and not RESOURCE_ID_PATTERN.fullmatch(value):
            self._fail(f"{key} {value!r} is not a valid {what}", entry=entry, mapping=item, key=key)
        return value

    def _trail(self, item: Mapping[str, Any], entry: str) -> TrailInfo:
        """The ``TrailInfo`` keys of a mapping (a history entry's ``cloudtrail``, a call)."""
        strings = {
            key: self._string(item, key, entry=entry) for key in _TRAIL_KEYS if key != "logged"
        }
        event_id = strings["event_id"]
        if event_id is not None and not RESOURCE_ID_PATTERN.fullmatch(event_id):
            self._fail(
                f"event_id {event_id!r} is not a valid event id (letters, digits, '-', '_', "
                "'.', at most 100 characters)",
                entry=entry,
                mapping=item,
                key="event_id",
            )
        logged = item.get("logged", True)
        if not isinstance(logged, bool):
            self._fail(
                f"'logged' must be true or false, not {describe(logged)}",
                entry=entry,
                mapping=item,
                key="logged",
            )
        return TrailInfo(logged=logged, **strings)

    def _history_trail(self, item: Mapping[str, Any], entry: str) -> TrailInfo:
        value = item.get("cloudtrail")
        if value is None or value is True:
            return TrailInfo()
        if value is False:
            return TrailInfo(logged=False)
        if not isinstance(value, Mapping):
            self._fail(
                "'cloudtrail' must be false (AWS did not log it) or a mapping of "
                f"{', '.join(_TRAIL_KEYS)}, not {describe(value)}",
                entry=entry,
                mapping=item,
                key="cloudtrail",
            )
        entry = f"{entry}.cloudtrail"
        self._check_keys(value, _TRAIL_KEYS, entry=entry)
        return self._trail(value, entry)

    def _cloudtrail(
        self, document: Mapping[str, Any]
    ) -> tuple[CloudTrailConfig, tuple[TrailCall, ...]]:
        block = self._mapping(
            document, "cloudtrail", f"{{{', '.join(_CLOUDTRAIL_KEYS)}}}", entry=None
        )
        self._check_keys(block, _CLOUDTRAIL_KEYS, entry="cloudtrail")
        username = self._string(block, "username", entry="cloudtrail") or DEFAULT_USERNAME
        users = self._mapping(block, "users", "of access key ids to user names", entry="cloudtrail")
        for key, name in users.items():
            if not isinstance(key, str) or not isinstance(name, str) or not key or not name:
                self._fail(
                    f"cloudtrail.users maps access key ids to user names (strings), not "
                    f"{key!r}: {name!r}",
                    entry="cloudtrail.users",
                    mapping=users,
                    key=key if isinstance(key, str) else None,
                )
        delay = block.get("delivery_delay_seconds", 0)
        if (
            isinstance(delay, bool)
            or not isinstance(delay, (int, float))
            or not math.isfinite(delay)
            or delay < 0
        ):
            self._fail(
                "'delivery_delay_seconds' must be a number of seconds of at least 0, not "
                f"{describe(delay)}",
                entry="cloudtrail",
                mapping=block,
                key="delivery_delay_seconds",
            )
        config = CloudTrailConfig(
            username=username, users=dict(users), delivery_delay=timedelta(seconds=delay)
        )
        calls = tuple(
            self._call(item, index, block) for index, item in enumerate(self._list(block, "calls"))
        )
        return config, calls

    def _call(self, item: object, index: int, block: Mapping[str, Any]) -> TrailCall:
        entry = f"cloudtrail.calls[{index}]"
        item = self._item_mapping(
            item,
            "a call must be a mapping with 'event_name' and 'at'",
            entry=entry,
            mapping=block,
            key="calls",
        )
        self._check_keys(item, _CALL_KEYS, entry=entry)
        event_name = self._enum(item, "event_name", LOGGED_OPERATIONS, "", entry=entry)
        if not event_name:
            self._fail(
                f"'event_name' is required ({' or '.join(LOGGED_OPERATIONS)})",
                entry=entry,
                mapping=item,
            )
        at = self._at(item, "'at' is required", entry=entry)
        parameters = self._mapping(
            item, "request_parameters", "(CloudTrail's requestParameters)", entry=entry
        )
        response = item.get("response_elements")
        if response is not None and not isinstance(response, Mapping):
            self._fail(
                "'response_elements' must be a mapping or null (CloudTrail's "
                f"responseElements), not {describe(response)}",
                entry=entry,
                mapping=item,
                key="response_elements",
            )
        return TrailCall(
            event_name=event_name,
            at=at,
            request_parameters=dict(parameters),
            response_elements=None if response is None else dict(response),
            error_code=self._string(item, "error_code", entry=entry),
            error_message=self._string(item, "error_message", entry=entry),
            trail=self._trail(item, entry),
        )

    def _check_event_ids(self, history: Sequence[HistoryEvent], calls: Sequence[TrailCall]) -> None:
        seen: dict[str, str] = {}
        entries = [(f"history[{i}]", e.trail.event_id) for i, e in enumerate(history)]
        entries += [(f"cloudtrail.calls[{i}]", c.trail.event_id) for i, c in enumerate(calls)]
        for entry, event_id in entries:
            if event_id is None:
                continue
            if event_id in seen:
                self._fail(
                    f"event_id {event_id!r} is used twice (also at {seen[event_id]}); an event "
                    "id names one event",
                    entry=entry,
                )
            seen[event_id] = entry
