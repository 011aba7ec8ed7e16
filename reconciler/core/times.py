"""Times in files: ISO 8601 in UTC, years 2000 to 2999 (the ledger, saved plans)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["EARLIEST", "LATEST", "check_range", "format_time", "parse_time"]

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def format_time(moment: datetime) -> str:
    """ISO 8601 UTC with a ``Z``; microseconds only when not zero. Raises ValueError."""
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise ValueError(f"expected a timezone-aware UTC datetime, got {moment!r}")
    # isoformat, not strftime: strftime does not pad years before 1000 on glibc.
    return moment.replace(tzinfo=None).isoformat() + "Z"


def check_range(moment: datetime) -> None:
    """Raise ValueError unless ``moment`` lies in the years 2000 to 2999."""
    if not EARLIEST <= moment < LATEST:
        raise ValueError(
            f"{format_time(moment.astimezone(UTC))} is out of range; expected a time between "
            "2000-01-01 and 2999-12-31 (is the year mistyped?)"
        )


def parse_time(text: object) -> datetime:
    """ISO 8601 with a timezone (``Z`` or an offset), as UTC, years 2000-2999. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError("expected an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("the time has no timezone; write it in UTC like 2026-06-01T12:00:00Z")
        moment = moment.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00:00+01:00 is before the first representable UTC time.
        raise ValueError(
            "out of range; expected a time between 2000-01-01 and 2999-12-31"
        ) from None
    check_range(moment)
    return moment
