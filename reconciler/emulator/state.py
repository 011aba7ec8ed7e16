"""The emulated account: its instances and claimed phone numbers, behind a lock.

Records are frozen values. Readers get consistent snapshots; writers (the
claim and release operations of a later issue) take ``state.lock``, check,
and replace records with ``put_phone_number`` / ``remove_phone_number``. The
lock is re-entrant so a writer can hold it across several of these calls and
make a check-then-act sequence atomic, as AWS makes a single API call.

The state knows nothing about HTTP; operations translate between the two.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .arns import instance_arn, phone_number_arn
from .seed import Seed

__all__ = ["ConnectState", "Instance", "PhoneNumber"]


@dataclass(frozen=True, kw_only=True)
class Instance:
    id: str
    arn: str
    alias: str | None = None


@dataclass(frozen=True, kw_only=True)
class PhoneNumber:
    """A claimed phone number, as ``DescribePhoneNumber`` sees it."""

    id: str
    arn: str
    phone_number: str
    instance_id: str
    target_arn: str
    type: str
    country: str
    status: str
    status_message: str | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    flow_arn: str | None = None

    @property
    def sort_key(self) -> tuple[str, str]:
        """List order, and the position a page token resumes after.

        Ordering by number (then id) rather than by position means a number
        released between two pages neither shifts nor repeats later numbers.
        """
        return (self.phone_number, self.id)


class ConnectState:
    """One AWS account in one region, as seeded."""

    def __init__(self, seed: Seed) -> None:
        self.lock = threading.RLock()
        self.account_id = seed.account_id
        self.region = seed.region
        self._instances: dict[str, Instance] = {
            item.id: Instance(
                id=item.id,
                arn=instance_arn(seed.region, seed.account_id, item.id),
                alias=item.alias,
            )
            for item in seed.instances
        }
        self._numbers: dict[str, PhoneNumber] = {}
        # Sorted view, rebuilt on the first read after a write: listing 100,000
        # numbers page by page must not sort them once per page.
        self._sorted: tuple[PhoneNumber, ...] | None = None
        for number in seed.numbers:
            self.put_phone_number(
                PhoneNumber(
                    id=number.id,
                    arn=phone_number_arn(seed.region, seed.account_id, number.id),
                    phone_number=number.phone_number,
                    instance_id=number.instance_id,
                    target_arn=self._instances[number.instance_id].arn,
                    type=number.type,
                    country=number.country,
                    status=number.status,
                    status_message=number.status_message,
                    description=number.description,
                    tags=MappingProxyType(dict(number.tags)),
                    flow_arn=number.flow_arn,
                )
            )

    def instance(self, instance_id: str) -> Instance | None:
        with self.lock:
            return self._instances.get(instance_id)

    def instances(self) -> tuple[Instance, ...]:
        with self.lock:
            return tuple(sorted(self._instances.values(), key=lambda item: item.id))

    def phone_number(self, phone_number_id: str) -> PhoneNumber | None:
        with self.lock:
            return self._numbers.get(phone_number_id)

    def phone_numbers(self) -> tuple[PhoneNumber, ...]:
        """Every claimed number of the account, in ``sort_key`` order."""
        with self.lock:
            if self._sorted is None:
                self._sorted = tuple(sorted(self._numbers.values(), key=lambda n: n.sort_key))
            return self._sorted

    def put_phone_number(self, number: PhoneNumber) -> None:
        """Add or replace a number (by id). Callers check invariants under ``lock``."""
        with self.lock:
            if number.instance_id not in self._instances:
                raise ValueError(f"unknown instance {number.instance_id!r}")
            self._numbers[number.id] = number
            self._sorted = None

    def remove_phone_number(self, phone_number_id: str) -> PhoneNumber | None:
        with self.lock:
            removed = self._numbers.pop(phone_number_id, None)
            if removed is not None:
                self._sorted = None
            return removed
