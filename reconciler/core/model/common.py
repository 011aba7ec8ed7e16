"""Helpers of the value types: E.164 and ARN checks, ``scope_of`` and ``iso``.

Used by both ``inputs`` and ``results`` (and, through the package, by every layer).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

# E.164: a plus sign and at most 15 digits, the first not zero (ITU-T E.164 §6).
E164_PATTERN = re.compile(r"^\+[1-9][0-9]{1,14}$")

# Any Connect ARN: its region and account say which rolling quota it counts against.
_CONNECT_ARN = re.compile(
    r"^arn:aws[a-z-]*:connect:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+):(?P<account>[0-9]{12}):"
)


def scope_of(arn: str | None) -> str | None:
    """``ACCOUNT/REGION`` of a Connect ARN: the rolling quota it counts against.

    None when the ARN is missing or not a Connect one: such history is counted
    against every account and region (never undercount).
    """
    match = _CONNECT_ARN.match(arn) if isinstance(arn, str) else None
    return f"{match.group('account')}/{match.group('region')}" if match else None


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, second precision (``2026-06-01T00:00:00Z``)."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _require_utc(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be a timezone-aware UTC datetime, got {value!r}")


def _require_e164(value: str) -> None:
    if not E164_PATTERN.match(value):
        raise ValueError(f"not an E.164 phone number: {value!r}")
