"""Fault injection: the failures a client of Connect must survive, on demand.

A ``FaultRule`` says what goes wrong (``kind``), for which requests
(``operation``, or every served operation) and how often: ``count`` fires on
the next N matching requests, ``rate`` with that probability per matching
request, drawn from one RNG seeded with ``fault_seed`` so a run replays
exactly. Kinds, and what a boto3 client sees:

- ``throttle``: 429 ``ThrottlingException`` (botocore retries it as throttling);
- ``error``: 500 ``InternalServiceException`` (CloudTrail: ``InternalFailure``,
  Service Quotas: ``ServiceException``), or the error named by ``code`` (an
  error of the operation's service when the rule names an operation);
- ``delay``: the answer comes ``delay`` seconds late (a read timeout, if the
  client's is shorter);
- ``drop``: the connection is closed without an answer (botocore raises
  ``ConnectionClosedError``).

``after_effect: true`` applies an ``error``, ``delay`` or ``drop`` *after* the
operation succeeded: the release (or claim) happened, but the client cannot
know. That is the case idempotency tokens exist for: a retry with the same
``clientToken`` must then succeed without releasing twice. An after-effect rule
only fires on a request that succeeded, and a failed request does not use up
its ``count``.

Rules are checked in order; the first that fires decides the request's fate.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .constants import RATE_LIMITED_OPERATIONS
from .errors import FRONT_DOOR_ERRORS
from .services import SERVICES, service_of

__all__ = ["FaultInjector", "FaultKind", "FaultRule"]

_KEYS = ("kind", "operation", "rate", "count", "delay", "code", "after_effect")
_DEFAULT_CODE = "InternalServiceException"
#: Codes an error fault may name: any error of a served service that an
#: operation could answer (not the front door's routing and parsing errors).
_FAULT_CODES = frozenset(
    code for service in SERVICES for code in service.errors if code not in FRONT_DOOR_ERRORS
)


class FaultKind(StrEnum):
    THROTTLE = "throttle"
    ERROR = "error"
    DELAY = "delay"
    DROP = "drop"


@dataclass(frozen=True, kw_only=True)
class FaultRule:
    """One fault. Invalid combinations raise ``ValueError`` naming the key."""

    kind: FaultKind
    operation: str | None = None
    rate: float | None = None
    count: int | None = None
    delay: float | None = None
    code: str | None = None
    after_effect: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.kind, FaultKind):
            raise ValueError(f"kind must be a FaultKind, not {self.kind!r}")
        if self.operation is not None and self.operation not in RATE_LIMITED_OPERATIONS:
            raise ValueError(
                f"operation {self.operation!r} is not one of {', '.join(RATE_LIMITED_OPERATIONS)}"
            )
        if (self.rate is None) == (self.count is None):
            raise ValueError(
                "give exactly one of 'rate' (a probability) or 'count' (the next N requests)"
            )
        if self.rate is not None and (
            isinstance(self.rate, bool)
            or not isinstance(self.rate, (int, float))
            or not 0 < self.rate <= 1
        ):
            raise ValueError(f"rate must be a probability in (0, 1], not {self.rate!r}")
        if self.count is not None and (
            isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1
        ):
            raise ValueError(f"count must be an integer of at least 1, not {self.count!r}")
        if self.kind is FaultKind.DELAY:
            if (
                self.delay is None
                or isinstance(self.delay, bool)
                or not isinstance(self.delay, (int, float))
                or not math.isfinite(self.delay)
                or self.delay <= 0
            ):
                raise ValueError(
                    f"a delay fault needs 'delay', a positive number of seconds, not {self.delay!r}"
                )
        elif self.delay is not None:
            raise ValueError(f"'delay' applies to delay faults only, not to {self.kind.value}")
        if self.code is not None:
            if self.kind is not FaultKind.ERROR:
                raise ValueError(f"'code' applies to error faults only, not to {self.kind.value}")
            known = (
                _FAULT_CODES
                if self.operation is None
                else frozenset(service_of(self.operation).errors) - FRONT_DOOR_ERRORS
            )
            if self.code not in known:
                raise ValueError(f"code {self.code!r} is not one of {', '.join(sorted(known))}")
        if not isinstance(self.after_effect, bool):
            raise ValueError(f"after_effect must be true or false, not {self.after_effect!r}")
        if self.after_effect and self.kind is FaultKind.THROTTLE:
            raise ValueError("a throttled request never runs: after_effect does not apply")

    @property
    def error_code(self) -> str:
        """The code of an error fault on a Connect operation (``app`` picks other
        services' internal error when the rule names no code)."""
        return self.code or _DEFAULT_CODE

    @classmethod
    def from_json(cls, data: object) -> FaultRule:
        """A rule from its seed / admin-endpoint form; ``ValueError`` says what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a fault must be a mapping with 'kind', not {data!r}")
        unknown = [key for key in data if key not in _KEYS]
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r}; expected one of {', '.join(_KEYS)}")
        kind = data.get("kind")
        try:
            fault_kind = FaultKind(kind if isinstance(kind, str) else "")
        except ValueError:
            kinds = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"kind {kind!r} is not one of {kinds}") from None
        return cls(
            kind=fault_kind,
            operation=data.get("operation"),
            rate=data.get("rate"),
            count=data.get("count"),
            delay=data.get("delay"),
            code=data.get("code"),
            after_effect=data.get("after_effect", False),
        )

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"kind": self.kind.value}
        for key in ("operation", "rate", "count", "delay", "code"):
            value = getattr(self, key)
            if value is not None:
                result[key] = value
        if self.after_effect:
            result["after_effect"] = True
        return result


class FaultInjector:
    """The active rules, their remaining counts, and the seeded RNG. Thread-safe."""

    def __init__(self, rules: Iterable[FaultRule] = (), *, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)
        self._rules: list[tuple[FaultRule, list[int]]] = []
        self.set(rules)

    def set(self, rules: Iterable[FaultRule], *, seed: int | None = None) -> None:
        """Replace every rule; a ``seed`` also restarts the RNG."""
        fresh = [(rule, [rule.count or 0]) for rule in rules]
        with self._lock:
            self._rules = fresh
            if seed is not None:
                self._seed = seed
                self._random = random.Random(seed)

    def reseed(self, seed: int) -> None:
        """Restart the RNG from ``seed``: the same requests then meet the same faults."""
        with self._lock:
            self._seed = seed
            self._random = random.Random(seed)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append((rule, [rule.count or 0]))

    def clear(self) -> None:
        self.set(())

    def snapshot(self) -> dict[str, Any]:
        """The rules with the count each has left (``remaining``), and the RNG seed."""
        with self._lock:
            rules = [
                {**rule.to_json(), **({"remaining": left[0]} if rule.count is not None else {})}
                for rule, left in self._rules
            ]
            return {"seed": self._seed, "rules": rules}

    def draw(self, operation: str, *, after_effect: bool) -> FaultRule | None:
        """The fault for one request of ``operation`` at one phase, if any fires."""
        with self._lock:
            for rule, left in self._rules:
                if rule.after_effect != after_effect:
                    continue
                if rule.operation is not None and rule.operation != operation:
                    continue
                if rule.count is not None:
                    if left[0] > 0:
                        left[0] -= 1
                        return rule
                elif rule.rate is not None and self._random.random() < rule.rate:
                    return rule
            return None
