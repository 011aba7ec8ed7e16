"""Reading the live inventory: the ``InventoryReader`` protocol and an in-memory fake.

The boto3 adapter lives in ``inventory.aws`` (the only module that imports
boto3). Reading is two-phase because ListPhoneNumbersV2 has no status field:
``list_numbers`` reads every target with paginated list calls, then
``describe`` reads the status of just the numbers the plan would release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ..model import Inventory, LiveNumber, NumberStatus, Target

__all__ = ["FakeInventory", "InventoryReader", "NumberState", "with_states"]


@dataclass(frozen=True, kw_only=True, slots=True)
class NumberState:
    """DescribePhoneNumber's answer for one number; ``None`` from describe = gone."""

    status: NumberStatus
    message: str | None = None


class InventoryReader(Protocol):
    def list_numbers(self, targets: Sequence[Target]) -> Inventory:
        """Every number claimed to the targets, with flows; statuses unknown."""
        ...

    def describe(self, numbers: Sequence[LiveNumber]) -> Mapping[str, NumberState | None]:
        """Status per phone_number_id; ``None`` if the number no longer exists."""
        ...


def with_states(inventory: Inventory, states: Mapping[str, NumberState | None]) -> Inventory:
    """The inventory with described statuses filled in and vanished numbers dropped."""
    numbers = []
    for n in inventory.numbers:
        if n.phone_number_id not in states:
            numbers.append(n)
            continue
        state = states[n.phone_number_id]
        if state is not None:
            numbers.append(replace(n, status=state.status, status_message=state.message))
    return replace(inventory, numbers=tuple(numbers))


class FakeInventory:
    """An in-memory ``InventoryReader`` for logic tests; counts its calls like an API would."""

    def __init__(self, numbers: Sequence[LiveNumber]) -> None:
        self.numbers = list(numbers)
        self.list_calls = 0
        self.describe_calls = 0
        self.released: dict[str, str] = {}  # client token -> phone_number_id

    def list_numbers(self, targets: Sequence[Target]) -> Inventory:
        arns = {t.arn for t in targets}
        self.list_calls += len(arns)
        found = tuple(
            replace(n, status=None, status_message=None)
            for n in self.numbers
            if n.target_arn in arns
        )
        return Inventory(targets=tuple(sorted(arns)), numbers=found)

    def describe(self, numbers: Sequence[LiveNumber]) -> Mapping[str, NumberState | None]:
        by_id = {n.phone_number_id: n for n in self.numbers}
        result: dict[str, NumberState | None] = {}
        for n in numbers:
            self.describe_calls += 1
            live = by_id.get(n.phone_number_id)
            result[n.phone_number_id] = (
                None
                if live is None
                else NumberState(
                    status=live.status or NumberStatus.CLAIMED, message=live.status_message
                )
            )
        return result

    def lookup(self, phone_number_id: str, *, region: str) -> LiveNumber | None:
        self.describe_calls += 1
        for n in self.numbers:
            if n.phone_number_id == phone_number_id:
                return replace(n, status=n.status or NumberStatus.CLAIMED)
        return None

    def release(self, phone_number_id: str, *, region: str, client_token: str) -> None:
        """Remove the number; the same token again is a success, as in AWS."""
        from ..errors import ConflictError, NotFoundError

        if client_token in self.released:
            if self.released[client_token] != phone_number_id:
                raise ConflictError("IdempotencyException", code="IdempotencyException")
            return
        found = [n for n in self.numbers if n.phone_number_id == phone_number_id]
        if not found:
            raise NotFoundError("ResourceNotFoundException", code="ResourceNotFoundException")
        if found[0].status not in (None, NumberStatus.CLAIMED):
            raise ConflictError("ResourceInUseException", code="ResourceInUseException")
        self.numbers.remove(found[0])
        self.released[client_token] = phone_number_id
