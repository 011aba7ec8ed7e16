"""The account's claim/release history: what the quota counts and cooldowns derive from.

One ``HistoryEvent`` per claim or release, from the seed's ``history`` (what
happened before the emulator started, ``origin="seed"``) or performed by the
emulator itself (``origin="emulator"``). Everything else the emulator needs to
remember about past writes is derived from this one list, so a state file only
has to keep it:

- the rolling window (``quota``) counts the events;
- a released number is in cooldown until its latest release plus
  ``cooldown_days``, unless it has been claimed again since;
- an idempotency token maps to the event its request produced;
- CloudTrail's LookupEvents serves the events (``trail``, ``cloudtrail``).

Each event carries a ``TrailInfo`` (the caller, the CloudTrail event id, and
whether AWS logged it); calls that changed nothing are ``trail.TrailCall``s,
kept apart so nothing counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .clock import format_time
from .trail import TrailInfo

__all__ = ["Action", "HistoryEvent", "Origin"]


class Action(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"


class Origin(StrEnum):
    SEED = "seed"
    EMULATOR = "emulator"


@dataclass(frozen=True, kw_only=True)
class HistoryEvent:
    """One claim or release. ``type``/``country`` say what the number was, so a
    number whose cooldown ended can be offered again by SearchAvailablePhoneNumbers."""

    action: Action
    phone_number: str
    at: datetime
    phone_number_id: str | None = None
    client_token: str | None = None
    instance_id: str | None = None
    type: str = "DID"
    country: str = "US"
    origin: Origin = Origin.SEED
    trail: TrailInfo = field(default_factory=TrailInfo)

    def to_json(self) -> dict[str, Any]:
        """What the admin endpoint serves (``to_document`` adds the CloudTrail part)."""
        return {
            "action": self.action.value,
            "phone_number": self.phone_number,
            "phone_number_id": self.phone_number_id,
            "client_token": self.client_token,
            "at": format_time(self.at),
            "instance": self.instance_id,
            "type": self.type,
            "country": self.country,
            "origin": self.origin.value,
        }

    def to_document(self) -> dict[str, Any]:
        """The seed/state-file form: ``to_json`` without empty values, plus ``cloudtrail``."""
        document = {key: value for key, value in self.to_json().items() if value is not None}
        trail = self.trail.to_json()
        if trail:
            document["cloudtrail"] = trail
        return document
