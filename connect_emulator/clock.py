"""The emulator's wall time: an injected source plus an adjustable offset.

Cooldowns and the rolling claim/release window are measured in days, so tests
cannot wait for them: the server takes ``now=`` (a callable returning an aware
UTC datetime) and the admin endpoint moves time on by adding an offset to that
source. The offset is part of the run, not of the account: a state file does
not keep it, and a restarted emulator starts again from its source.

The token buckets of ``ratelimit`` keep their own monotonic clock: moving the
wall clock by 180 days must not refill every bucket.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["WallClock", "WallTimeSource", "as_utc", "format_time", "parse_time", "utc_now"]

WallTimeSource = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime, what: str = "time") -> datetime:
    """``moment`` in UTC; a naive datetime is refused, because its zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} {moment.isoformat()} has no time zone; give one, e.g. Z")
    return moment.astimezone(UTC)


def parse_time(value: object, what: str = "time") -> datetime:
    """An aware datetime from ISO 8601 text (``Z`` accepted) or a datetime (YAML)."""
    if isinstance(value, datetime):
        return as_utc(value, what)
    if not isinstance(value, str):
        raise ValueError(f"{what} must be an ISO 8601 time such as 2026-01-31T12:00:00Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{what} {value!r} is not an ISO 8601 time such as 2026-01-31T12:00:00Z"
        ) from None
    return as_utc(moment, what)


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second unless there are microseconds."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


class WallClock:
    """``source()`` plus an offset that ``advance`` and ``set`` change. Thread-safe."""

    def __init__(self, source: WallTimeSource | None = None) -> None:
        self._source = source or utc_now
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            offset = self._offset
        return as_utc(self._source(), "the emulator's clock") + offset

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move time on by ``delta`` (negative moves it back); returns the new now."""
        with self._lock:
            self._offset += delta
        return self()

    def set(self, moment: datetime) -> datetime:
        """Make ``now`` be ``moment``; time then keeps flowing from there with the source."""
        target = as_utc(moment, "the new time")
        with self._lock:
            self._offset = target - as_utc(self._source(), "the emulator's clock")
        return self()
