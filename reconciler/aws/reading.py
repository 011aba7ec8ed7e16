"""Concurrent reads and their progress: the threads of the AWS adapters.

``parallel`` runs a read's calls on a bounded pool and stops the rest at the
first error; ``both`` runs two reads with separate rate buckets at once;
``ReadProgress`` counts what a read has done so far, for a front door to show.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

__all__ = ["ReadProgress", "ReadStopped", "both", "parallel"]


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
