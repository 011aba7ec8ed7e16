"""Client-side pacing: one token bucket per API operation (and per account).

Amazon Connect throttles each phone-number API at 2 requests per second with a
burst of 5 by default (Service Quotas, "Rate of ... API requests"). Pacing on
our side keeps throttling rare instead of relying on retries. The clock and the
sleep are injected so tests are deterministic; the buckets are thread-safe and
can be shared process-wide (the Pulumi provider serves calls from 4 threads).

AWS throttles each account on its own, so a ``scope`` (the account id) keys the
buckets too: targets in several accounts are read side by side, each account
paced to its own buckets, none waiting for another account's tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DEFAULT_BURST", "DEFAULT_RATE", "HEADROOM", "OPENING_TIMEOUT", "Pacer", "RateLimit"]

DEFAULT_RATE = 2.0
DEFAULT_BURST = 5
# Pace a little under the limit. AWS's bucket starts when our first request
# arrives, not when we send it, so at exactly the limit a request with a shorter
# transit than the first finds no token: a 429, and botocore then backs off for
# up to a second, which at 20/s costs ~8 release slots. Measured in
# bench/apply_rate.py: at 100% of a 20/s limit, 0.75-1.02 of the allowed rate
# with 429s; at 95%, 0.97 every run with none (bench/RESULTS.md).
HEADROOM = 0.95


@dataclass(frozen=True, kw_only=True, slots=True)
class RateLimit:
    """``rate`` requests per second sustained, ``burst`` at once. ``rate=None`` disables."""

    rate: float | None = DEFAULT_RATE
    burst: int = DEFAULT_BURST

    def __post_init__(self) -> None:
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive (or None to disable pacing)")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")


# How long a request waits for the first one of its operation to be answered
# (``Pacer.opened``) before it goes all the same.
OPENING_TIMEOUT = 10.0


class _Bucket:
    def __init__(self, limit: RateLimit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.stamp = now
        self.opener = threading.get_ident()
        self.opened = False

    def open(self, now: float) -> None:
        """The first request was answered: count the refill from now, not from its send."""
        if not self.opened:
            self.opened = True
            self.stamp = max(self.stamp, now)

    def reserve(self, now: float) -> float:
        """Take a token; return how long the caller must wait before using it."""
        rate = self.limit.rate
        assert rate is not None
        self.tokens = min(float(self.limit.burst), self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / rate


class Pacer:
    """Per-operation token buckets. ``acquire(op)`` blocks until ``op`` may be sent."""

    def __init__(
        self,
        default: RateLimit | None = None,
        overrides: dict[str, RateLimit] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        headroom: float = HEADROOM,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        self._default = default or RateLimit()
        self._overrides = dict(overrides or {})
        self._headroom = headroom
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self._opening = threading.Condition(self._lock)
        self._gated = False  # whether the first request of an operation goes alone
        self.waited = 0.0  # total seconds slept, for benchmarks and tests
        self.throttles = 0  # 429s reported by the caller

    def throttled(self, operation: str, scope: str = "") -> None:
        """AWS answered 429: the shared budget is spent (other clients use it too).

        Empty our bucket so the next request waits a full interval instead of
        spending a burst that AWS no longer has.
        """
        with self._lock:
            bucket = self._buckets.get((scope, operation))
            if bucket is not None:
                bucket.tokens = min(bucket.tokens, 0.0)
                self.throttles += 1

    def reports_answers(self) -> None:
        """The caller calls ``opened`` on every answer: from now on the first request
        of each operation goes alone, the others waiting for its answer."""
        with self._lock:
            self._gated = True

    def opened(self, operation: str, scope: str = "") -> None:
        """The first request of ``operation`` was answered (call it on every answer).

        AWS's bucket starts when our first request *arrives*, one transit after we
        sent it, and a new connection's transit can be longer than the 5% of
        headroom: a burst sent at once by several threads would then find the
        bucket one token short after it. So, for a caller that ``reports_answers``,
        the first request of an operation goes alone, the others wait for its
        answer, and the refill is counted from then. A caller that calls one
        request after the other needs none of it: its next ``acquire`` opens it.
        """
        with self._opening:
            bucket = self._buckets.get((scope, operation))
            if bucket is not None and not bucket.opened:
                bucket.open(self._clock())
                self._opening.notify_all()

    def acquire(self, operation: str, scope: str = "") -> None:
        """Block until ``operation`` may be sent in ``scope`` (an account; "" for one)."""
        limit = self._overrides.get(operation, self._default)
        if limit.rate is None:
            return
        with self._opening:
            now = self._clock()
            bucket = self._buckets.get((scope, operation))
            if bucket is None:
                paced = RateLimit(rate=limit.rate * self._headroom, burst=limit.burst)
                bucket = self._buckets[(scope, operation)] = _Bucket(paced, now)
            elif not bucket.opened:
                if bucket.opener == threading.get_ident():
                    bucket.open(now)  # one call after the other: the first was answered
                    self._opening.notify_all()
                elif not self._gated or not self._opening.wait_for(
                    lambda: bucket.opened, OPENING_TIMEOUT
                ):
                    bucket.open(self._clock())
                now = self._clock()
            delay = bucket.reserve(now)
            self.waited += delay
        # Sleep outside the lock: the reservation is already ours, so other
        # threads queue behind it in order without holding each other up.
        if delay > 0:
            self._sleep(delay)
