"""What the provider process shares across its threads and resources: the pacer and
the listing cache.

Module-level objects, created at import: never pickled with the provider (which
holds nothing, see ``provider.py``), and created again when the provider process
(``python -m pulumi.dynamic``) imports this module. No configuration is read at
import: the refresh TTL is read per call.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.aws.connect import ConnectInventory
from reconciler.core.model import Target, TargetAccess
from reconciler.core.pacing import Pacer

__all__ = ["REFRESH_TTL_ENV"]

#: Seconds a target's listing serves refreshes (env; read per call, not at import).
REFRESH_TTL_ENV = "CONNECT_NUMBERS_REFRESH_TTL"
_DEFAULT_REFRESH_TTL = 30.0

# -- process-wide state (module level: never pickled, created again on import) ------

# Every Connect call of the provider process shares one budget (AWS's 2 requests/s
# per operation is per account): one pacer for all threads and resources.
_PACER = Pacer()


@dataclass(frozen=True, slots=True)
class _Listing:
    """One target's numbers as ListPhoneNumbersV2 listed them, by id and by number."""

    by_id: Mapping[str, Any]
    by_number: Mapping[str, Any]


class _ListingCache:
    """Target ARN -> its listing, for ``ttl`` seconds; one fetch per target at a time.

    A refresh reads every resource at once from 4 threads: the per-target lock
    makes the first reader list the target while the others wait for its answer,
    instead of all listing it together.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._entries: dict[str, tuple[float, _Listing]] = {}

    def get(self, target_arn: str, ttl: float, fetch: Callable[[], _Listing]) -> _Listing:
        with self._guard:
            lock = self._locks.setdefault(target_arn, threading.Lock())
        with lock:
            with self._guard:
                entry = self._entries.get(target_arn)
            if entry is not None and self._clock() - entry[0] < ttl:
                return entry[1]
            listing = fetch()
            # Stamped when the fetch completes: a listing of tens of thousands of
            # numbers takes longer than the TTL, and stamped at its start it would
            # be stale on arrival, so every Read would list the whole target again.
            with self._guard:
                self._entries[target_arn] = (self._clock(), listing)
            return listing


_LISTINGS = _ListingCache()


def _ttl() -> float:
    raw = os.environ.get(REFRESH_TTL_ENV, "")
    try:
        ttl = float(raw) if raw.strip() else _DEFAULT_REFRESH_TTL
    except ValueError:
        return _DEFAULT_REFRESH_TTL
    return max(ttl, 0.0)


def _listing(
    target_arn: str, access: Callable[[], Mapping[str, TargetAccess] | None] = lambda: None
) -> _Listing:
    """The target's numbers, listed with its account's credentials: ``access()`` gives
    them by account (numbers.yaml's ``targets[].role_arn``/``profile``; None: the
    default ones), asked only when the cache lists, not on every hit."""

    def fetch() -> _Listing:
        # Read uses neither flows nor descriptions of flows: no ListFlowAssociations.
        inventory = ConnectInventory(pacer=_PACER, access=access()).list_numbers(
            [Target(arn=target_arn)], with_flows=False
        )
        return _Listing(
            by_id={n.phone_number_id: n for n in inventory.numbers},
            by_number={n.phone_number: n for n in inventory.numbers},
        )

    return _LISTINGS.get(target_arn, _ttl(), fetch)
