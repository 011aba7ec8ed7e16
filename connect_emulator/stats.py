"""Per-operation call counts, for benchmarks, tests and the admin endpoint."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["CallStats"]


class CallStats:
    """Per-operation counts of the calls a client made.

    ``calls`` counts every request routed to an operation, throttled or not;
    ``throttled`` the ones refused with 429 (by a bucket or an injected
    fault); ``errors`` the ones answered with any other error; ``faults`` the
    ones an injected fault hit (of any kind, dropped connections included).
    ``unknown`` counts requests no operation serves. Admin requests
    (``/_emulator/``) are not Connect calls and are not counted.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._unknown = 0

    def call(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def throttled(self, operation: str) -> None:
        with self._lock:
            self._throttled[operation] += 1

    def error(self, operation: str) -> None:
        with self._lock:
            self._errors[operation] += 1

    def fault(self, operation: str) -> None:
        with self._lock:
            self._faults[operation] += 1

    def unknown(self) -> None:
        with self._lock:
            self._unknown += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "throttled": dict(self._throttled),
                "errors": dict(self._errors),
                "faults": dict(self._faults),
                "unknown": self._unknown,
                "total_calls": sum(self._calls.values()),
            }

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._throttled.clear()
            self._errors.clear()
            self._faults.clear()
            self._unknown = 0
