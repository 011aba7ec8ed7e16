"""The rolling claim/release quota, as the emulator enforces it. Pure: ``now`` is a parameter.

AWS (ReleasePhoneNumber, ClaimPhoneNumber): "By default you can claim and
release up to 200% of your maximum number of active phone numbers. If you
claim and release phone numbers using the UI or API during a rolling 180 day
cycle that exceeds 200% of your phone number service level quota, you will be
blocked from claiming any more numbers until 180 days past the oldest number
released has expired."

So ``limit = floor(phone_numbers * limit_percent / 100)``, and an event at
``at`` counts at ``now`` while ``now - window < at`` (an event dated ahead of
``now`` counts too: it happened, whatever the clock says). A claim or release
is refused when it would make the count exceed the limit.

This module is the emulator's own copy of the arithmetic, written from AWS's
text and not imported from the product, so a bug in the product's quota code
cannot also hide in the server that tests it.

The default quota (a seed without ``quota``): AWS's default service quota of
"Phone numbers per instance" is 5 for a new instance, so ``5 * instances``;
but an account cannot hold more numbers than its quota, so never less than the
numbers the seed has claimed (and at least 5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "DEFAULT_LIMIT_PERCENT",
    "DEFAULT_NUMBERS_PER_INSTANCE",
    "DEFAULT_WINDOW_DAYS",
    "QuotaPolicy",
    "QuotaUsage",
    "default_phone_numbers",
    "usage",
]

DEFAULT_NUMBERS_PER_INSTANCE = 5
DEFAULT_WINDOW_DAYS = 180
DEFAULT_LIMIT_PERCENT = 200


@dataclass(frozen=True, kw_only=True)
class QuotaPolicy:
    phone_numbers: int
    window_days: int = DEFAULT_WINDOW_DAYS
    limit_percent: int = DEFAULT_LIMIT_PERCENT

    def __post_init__(self) -> None:
        for name in ("phone_numbers", "window_days", "limit_percent"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer of at least 1, not {value!r}")

    @property
    def limit(self) -> int:
        """Claims plus releases allowed in one window."""
        return self.phone_numbers * self.limit_percent // 100

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    def to_json(self) -> dict[str, int]:
        return {
            "phone_numbers": self.phone_numbers,
            "window_days": self.window_days,
            "limit_percent": self.limit_percent,
        }


@dataclass(frozen=True, kw_only=True)
class QuotaUsage:
    """The window at one instant: ``used`` of ``limit``, and when the oldest leaves."""

    policy: QuotaPolicy
    used: int
    next_frees_at: datetime | None
    #: When one more action fits again (later than ``next_frees_at`` when the
    #: history already exceeds the limit); ``None`` if it fits now or never.
    allowed_at: datetime | None

    @property
    def limit(self) -> int:
        return self.policy.limit

    @property
    def exhausted(self) -> bool:
        """True when one more claim or release would exceed the limit."""
        return self.used + 1 > self.limit

    def refusal(self, verb: str, phone_number: str) -> str:
        """The message of a refused claim or release: the rule, the state, the way out."""
        if self.next_frees_at is None:
            frees = "no action in the window will ever free one (the limit is 0)"
        else:
            frees = f"the next frees on {_day(self.next_frees_at)}"
            if self.allowed_at is not None and self.allowed_at != self.next_frees_at:
                frees += f"; the next {verb} is possible on {_day(self.allowed_at)}"
        return (
            f"cannot {verb} {phone_number}: {self.used} of {self.limit} claim/release actions "
            f"used in the rolling {self.policy.window_days}-day window "
            f"({self.policy.limit_percent}% of a quota of {self.policy.phone_numbers} phone "
            f"numbers); {frees}"
        )


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d at %H:%M:%S} UTC"


def default_phone_numbers(instances: int, claimed: int) -> int:
    return max(DEFAULT_NUMBERS_PER_INSTANCE * instances, claimed, DEFAULT_NUMBERS_PER_INSTANCE)


def usage(times: Iterable[datetime], policy: QuotaPolicy, *, now: datetime) -> QuotaUsage:
    """Count the events of ``times`` that are in the window at ``now``."""
    start = now - policy.window
    counted = sorted(at for at in times if start < at)
    # One more action fits once `excess` of the counted events have expired.
    excess = len(counted) + 1 - policy.limit
    allowed_at = None
    if 0 < excess <= len(counted):
        allowed_at = counted[excess - 1] + policy.window
    return QuotaUsage(
        policy=policy,
        used=len(counted),
        next_frees_at=counted[0] + policy.window if counted else None,
        allowed_at=allowed_at,
    )
