"""Per-operation token buckets, the way AWS throttles Connect API calls.

AWS documents the Connect API quotas as a steady rate plus a burst per
operation and per account (2 requests per second with a burst of 5 for the
phone-number operations by default). A token bucket is the model behind those
two numbers: the bucket holds at most ``burst`` tokens, refills at ``rate``
tokens per second, and each call takes one; a call that finds the bucket empty
is answered ``ThrottlingException`` (HTTP 429).

Each operation has its own bucket, as in AWS, so a burst of
``DescribePhoneNumber`` calls does not throttle ``ListPhoneNumbersV2``.

The clock is injected (``time.monotonic`` by default) so tests can step time by
hand instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Clock = Callable[[], float]

#: AWS's default for the phone-number operations.
DEFAULT_RATE = 2.0
DEFAULT_BURST = 5


@dataclass(frozen=True, kw_only=True)
class RateLimit:
    """A steady ``rate`` (requests per second) and a ``burst`` (bucket size)."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if isinstance(self.rate, bool) or not (
            isinstance(self.rate, (int, float)) and math.isfinite(self.rate) and self.rate > 0
        ):
            raise ValueError(
                f"rate must be a positive number of requests per second: {self.rate!r}"
            )
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ValueError(f"burst must be an integer of at least 1: {self.burst!r}")

    @classmethod
    def of(cls, rate: float | None, burst: int) -> RateLimit | None:
        """A limit, or ``None`` (unlimited) when ``rate`` is ``None`` or 0."""
        if rate is None or (not isinstance(rate, bool) and rate == 0):
            return None
        return cls(rate=rate, burst=burst)


class TokenBucket:
    """One operation's bucket. Not thread-safe on its own: ``RateLimiter`` locks."""

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self._limit = limit
        self._clock = clock
        # A fresh account starts with a full bucket: the first ``burst`` calls pass.
        self._tokens = float(limit.burst)
        self._updated = clock()

    @property
    def limit(self) -> RateLimit:
        return self._limit

    def try_take(self) -> bool:
        now = self._clock()
        # A clock that goes backwards (a test resetting it) must not drain tokens.
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self._limit.burst), self._tokens + elapsed * self._limit.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class RateLimiter:
    """Buckets keyed by operation name, with a default for unlisted operations.

    ``limits`` maps an operation name to its ``RateLimit``, or to ``None`` to
    leave that operation unlimited; operations not in it use ``default``
    (``None``: unlimited).
    """

    def __init__(
        self,
        *,
        default: RateLimit | None,
        limits: Mapping[str, RateLimit | None] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._default = default
        self._limits: dict[str, RateLimit | None] = dict(limits or {})
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def limit_for(self, operation: str) -> RateLimit | None:
        return self._limits.get(operation, self._default)

    def set_limit(self, operation: str, limit: RateLimit | None) -> None:
        """Change one operation's limit at run time; its bucket starts full again."""
        with self._lock:
            self._limits[operation] = limit
            self._buckets.pop(operation, None)

    def try_acquire(self, operation: str) -> bool:
        """Take a token for one call of ``operation``; ``False`` means throttle it."""
        with self._lock:
            limit = self._limits.get(operation, self._default)
            if limit is None:
                return True
            bucket = self._buckets.get(operation)
            if bucket is None:
                bucket = self._buckets[operation] = TokenBucket(limit, self._clock)
            return bucket.try_take()
