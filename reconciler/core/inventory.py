"""Reading the live inventory: the ``InventoryReader`` protocol and an in-memory fake.

Reading is two-phase because ListPhoneNumbersV2 has no status field and no
flows: ``list_numbers`` reads every target with paginated list calls, then, for
just the numbers the plan would release, ``describe`` reads their status and
``flows`` their flows (and, when one has a flow, which kept numbers share it:
flow impact). The boto3 adapter is ``reconciler.aws.connect``; its concurrent
reads and their progress (``ReadProgress``) are ``reconciler.aws.reading``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from reconciler.core.model import Inventory, LiveNumber, NumberStatus, Target

__all__ = [
    "FakeInventory",
    "InventoryReader",
    "NumberState",
    "with_flows",
    "with_states",
    "with_tags",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class NumberState:
    """DescribePhoneNumber's answer for one number; ``None`` from describe = gone."""

    status: NumberStatus
    message: str | None = None
    # The number's tags, sorted by key (DescribePhoneNumber answers them; the listing does not).
    tags: tuple[tuple[str, str], ...] = ()


class InventoryReader(Protocol):
    def list_numbers(
        self,
        targets: Sequence[Target],
        *,
        with_flows: bool = True,
        on_page: Callable[[Sequence[LiveNumber]], None] | None = None,
    ) -> Inventory:
        """Every number claimed to the targets, statuses unknown; with every number's
        flows, or (``with_flows=False``) none read: each number's ``flows`` empty.
        ``on_page`` is given the numbers of each page as soon as it is read (the very
        objects of the inventory returned, when ``with_flows`` is False), from any
        reading thread: for work that need not wait for the last page."""
        ...

    def describe(self, numbers: Sequence[LiveNumber]) -> Mapping[str, NumberState | None]:
        """Status per phone_number_id; ``None`` if the number no longer exists."""
        ...

    def flows(
        self, candidates: Sequence[LiveNumber], kept: frozenset[str]
    ) -> Mapping[str, tuple[str, ...]]:
        """Flow ARNs by phone-number ARN: of every candidate, and of the ``kept``
        numbers (ARNs) as far as flow impact needs them: for each flow of a
        candidate, every number that has it, or at least one of ``kept`` that
        has it. A number absent from the answer has no flow, or none that matters.
        """
        ...


def with_flows(inventory: Inventory, flows: Mapping[str, Iterable[str]]) -> Inventory:
    """The inventory with the flows read (by phone-number ARN) filled in."""
    if not flows:
        return inventory
    return replace(
        inventory,
        numbers=tuple(
            replace(n, flows=tuple(sorted(flows[n.phone_number_arn])))
            if n.phone_number_arn in flows
            else n
            for n in inventory.numbers
        ),
    )


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


def with_tags(inventory: Inventory, states: Mapping[str, NumberState | None]) -> Inventory:
    """The inventory with the described tags filled in (statuses left unread: these are
    kept numbers, read only for the tags their numbers.yaml entry names)."""
    if not states:
        return inventory
    return replace(
        inventory,
        numbers=tuple(
            replace(n, tags=state.tags)
            if (state := states.get(n.phone_number_id)) is not None
            else n
            for n in inventory.numbers
        ),
    )


class FakeInventory:
    """An in-memory ``InventoryReader`` for logic tests; counts its calls like an API would."""

    def __init__(self, numbers: Sequence[LiveNumber]) -> None:
        self.numbers = list(numbers)
        self.list_calls = 0
        self.describe_calls = 0
        self.flow_calls = 0
        self.released: dict[str, str] = {}  # client token -> phone_number_id
        self.metadata_tokens: dict[str, tuple[str, str]] = {}  # token -> (id, description)
        self.tag_calls = 0

    def list_numbers(
        self,
        targets: Sequence[Target],
        *,
        with_flows: bool = True,
        on_page: Callable[[Sequence[LiveNumber]], None] | None = None,
    ) -> Inventory:
        arns = {t.arn for t in targets}
        self.list_calls += len(arns)
        found = tuple(
            replace(
                n, status=None, status_message=None, tags=None, flows=n.flows if with_flows else ()
            )
            for n in self.numbers
            if n.target_arn in arns
        )
        if on_page is not None:
            on_page(found)  # one page: the fake has no pages
        return Inventory(targets=tuple(sorted(arns)), numbers=found)

    def flows(
        self, candidates: Sequence[LiveNumber], kept: frozenset[str]
    ) -> Mapping[str, tuple[str, ...]]:
        """The candidates' flows, and when one has a flow, every live number's (as a
        whole ListFlowAssociations listing would give them)."""
        by_arn = {n.phone_number_arn: n.flows for n in self.numbers if n.flows}
        self.flow_calls += 1
        has_flow = any(n.phone_number_arn in by_arn for n in candidates)
        return by_arn if has_flow else {}

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
                    status=live.status or NumberStatus.CLAIMED,
                    message=live.status_message,
                    tags=live.tags or (),
                )
            )
        return result

    def lookup(
        self, phone_number_id: str, *, region: str, account: str | None = None
    ) -> LiveNumber | None:
        self.describe_calls += 1
        for n in self.numbers:
            if n.phone_number_id == phone_number_id:
                return replace(n, status=n.status or NumberStatus.CLAIMED, tags=n.tags or ())
        return None

    def _replace_number(self, phone_number_id: str, **changes: Any) -> None:
        from reconciler.core.errors import NotFoundError

        for index, n in enumerate(self.numbers):
            if n.phone_number_id == phone_number_id:
                self.numbers[index] = replace(n, **changes)
                return
        raise NotFoundError("ResourceNotFoundException", code="ResourceNotFoundException")

    def update_metadata(
        self,
        phone_number_id: str,
        *,
        region: str,
        description: str,
        client_token: str,
        account: str | None = None,
    ) -> None:
        """A new description; the same token and request again is a success, as in AWS."""
        from reconciler.core.errors import ConflictError

        previous = self.metadata_tokens.get(client_token)
        if previous is not None:
            if previous != (phone_number_id, description):
                raise ConflictError("IdempotencyException", code="IdempotencyException")
            return
        self._replace_number(phone_number_id, description=description)
        self.metadata_tokens[client_token] = (phone_number_id, description)

    def _retag(
        self, phone_number_arn: str, change: Callable[[dict[str, str]], dict[str, str]]
    ) -> None:
        """TagResource and UntagResource: the number's tags become ``change(current)``."""
        self.tag_calls += 1
        number = next((n for n in self.numbers if n.phone_number_arn == phone_number_arn), None)
        current = dict(number.tags or ()) if number is not None else {}
        tags = tuple(sorted(change(current).items()))
        self._replace_number(number.phone_number_id if number else "", tags=tags)

    def tag(
        self,
        phone_number_arn: str,
        tags: Mapping[str, str],
        *,
        region: str,
        account: str | None = None,
    ) -> None:
        self._retag(phone_number_arn, lambda current: {**current, **tags})

    def untag(
        self,
        phone_number_arn: str,
        keys: Sequence[str],
        *,
        region: str,
        account: str | None = None,
    ) -> None:
        self._retag(
            phone_number_arn, lambda current: {k: v for k, v in current.items() if k not in keys}
        )

    def release(
        self, phone_number_id: str, *, region: str, client_token: str, account: str | None = None
    ) -> None:
        """Remove the number; the same token again is a success, as in AWS."""
        from reconciler.core.errors import ConflictError, NotFoundError

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
