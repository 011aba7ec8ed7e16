"""Reading the live inventory: the ``InventoryReader`` protocol and an in-memory fake.

The boto3 adapter lives in ``inventory.aws`` (the only module that imports
boto3). Reading is two-phase because ListPhoneNumbersV2 has no status field
and no flows: ``list_numbers`` reads every target with paginated list calls,
then, for just the numbers the plan would release, ``describe`` reads their
status and ``flows`` their flows (and, when one has a flow, which kept numbers
share it: flow impact). ``ReadProgress`` counts what a read has done so far,
for a front door to show.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar, cast

from reconciler.core.model import Inventory, LiveNumber, NumberStatus, Target

__all__ = [
    "FakeInventory",
    "InventoryReader",
    "NumberState",
    "ReadProgress",
    "ReadStopped",
    "both",
    "parallel",
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
    def list_numbers(self, targets: Sequence[Target], *, with_flows: bool = True) -> Inventory:
        """Every number claimed to the targets, statuses unknown; with every number's
        flows, or (``with_flows=False``) none read: each number's ``flows`` empty."""
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


class ReadProgress:
    """What a read has done so far: written by the reader's threads, read by a front door."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.targets = 0  # targets to list
        self.targets_done = 0
        self.pages = 0  # ListPhoneNumbersV2 pages read
        self.numbers = 0  # numbers those pages listed
        self.lookups = 0  # numbers to describe (known once the listing is done)
        self.looked_up = 0
        self.flow_calls = 0  # BatchGetFlowAssociation and ListFlowAssociations calls

    def count(self, **increments: int) -> None:
        with self._lock:
            for name, value in increments.items():
                setattr(self, name, getattr(self, name) + value)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                name: getattr(self, name)
                for name in (
                    "targets",
                    "targets_done",
                    "pages",
                    "numbers",
                    "lookups",
                    "looked_up",
                    "flow_calls",
                )
            }


_T = TypeVar("_T")
_A = TypeVar("_A")
_B = TypeVar("_B")


def parallel(
    calls: Sequence[Callable[[], _T]], *, workers: int, stop: threading.Event | None = None
) -> list[_T]:
    """Run ``calls`` on up to ``workers`` threads; their results, in the order of ``calls``.

    On an error ``stop`` (made here if not given) is set: the workers take no
    further call, and a call that loops over pages checks it and ends at its next
    page. The calls in flight end, and the error of the first call (in the order
    of ``calls``) that failed is raised: the same error whichever thread was
    faster. The threads are daemons: one still waiting on AWS never holds up the
    process's exit (Ctrl-C).
    """
    stop = stop if stop is not None else threading.Event()
    if not calls:
        return []
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(calls)):
        pending.put(index)
    done: queue.SimpleQueue[tuple[int, bool, Any]] = queue.SimpleQueue()

    def work() -> None:
        while not stop.is_set():
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((index, True, calls[index]()))
            except BaseException as exc:  # handed to the caller's thread, raised there
                stop.set()
                done.put((index, False, exc))
                return

    threads = [
        threading.Thread(target=work, name=f"connect-numbers-read-{number}", daemon=True)
        for number in range(max(1, min(workers, len(calls))))
    ]
    for thread in threads:
        thread.start()
    results: list[Any] = [None] * len(calls)
    errors: dict[int, BaseException] = {}
    received = 0
    while received < len(calls):
        try:
            index, ok, value = done.get(timeout=0.2)
        except queue.Empty:
            if stop.is_set() and not any(t.is_alive() for t in threads) and done.empty():
                break  # stopped: nothing more will come
            continue
        except BaseException:
            stop.set()  # Ctrl-C: the workers stop at their next call
            raise
        received += 1
        if ok:
            results[index] = value
        else:
            errors[index] = value
    if errors:
        first = min(errors, key=lambda i: (isinstance(errors[i], ReadStopped), i))
        raise errors[first]
    if stop.is_set():
        # Set by someone else (a sibling read that failed): what remains was not read.
        raise ReadStopped("the read was stopped by an error elsewhere")
    return cast(list[_T], results)


class ReadStopped(Exception):
    """A concurrent read gave up because another part of it failed (that error is raised)."""


def both(first: Callable[[], _A], second: Callable[[], _B]) -> tuple[_A, _B]:
    """``first()`` and ``second()`` at once (operations with separate rate buckets)."""
    a, b = parallel([first, second], workers=2)
    return cast(_A, a), cast(_B, b)


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

    def list_numbers(self, targets: Sequence[Target], *, with_flows: bool = True) -> Inventory:
        arns = {t.arn for t in targets}
        self.list_calls += len(arns)
        found = tuple(
            replace(
                n, status=None, status_message=None, tags=None, flows=n.flows if with_flows else ()
            )
            for n in self.numbers
            if n.target_arn in arns
        )
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

    def lookup(self, phone_number_id: str, *, region: str) -> LiveNumber | None:
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
        self, phone_number_id: str, *, region: str, description: str, client_token: str
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

    def tag(self, phone_number_arn: str, tags: Mapping[str, str], *, region: str) -> None:
        self.tag_calls += 1
        number = next((n for n in self.numbers if n.phone_number_arn == phone_number_arn), None)
        current = dict(number.tags or ()) if number is not None else {}
        merged = tuple(sorted({**current, **tags}.items()))
        self._replace_number(number.phone_number_id if number else "", tags=merged)

    def untag(self, phone_number_arn: str, keys: Sequence[str], *, region: str) -> None:
        self.tag_calls += 1
        number = next((n for n in self.numbers if n.phone_number_arn == phone_number_arn), None)
        current = dict(number.tags or ()) if number is not None else {}
        kept = tuple(sorted((k, v) for k, v in current.items() if k not in keys))
        self._replace_number(number.phone_number_id if number else "", tags=kept)

    def release(self, phone_number_id: str, *, region: str, client_token: str) -> None:
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
