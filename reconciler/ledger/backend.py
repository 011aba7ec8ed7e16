"""What every ledger backend shares: the ``Ledger`` protocol and the ``JsonLinesLedger`` base.

Also what a backend takes, yields and raises: the ``Guard`` an append asks
(``check_guard``), the lock values (``LockHolder``, ``LedgerLock``) and the
ledger's errors. The backends: ``reconciler.ledger.file.FileLedger`` and
``reconciler.aws.ledger_s3.S3Ledger``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from reconciler.core.errors import ConnectNumbersError, InputError
from reconciler.ledger import archive as ledger_archive
from reconciler.ledger.history import (
    Archived,
    History,
    LedgerRecord,
    coverage_record,
    history_of,
    parse_history,
    records_of,
)
from reconciler.ledger.records import RecordStatus, format_time, parse_time

__all__ = [
    "Guard",
    "JsonLinesLedger",
    "Ledger",
    "LedgerLock",
    "LedgerLockedError",
    "LedgerWriteError",
    "LockHolder",
    "QuotaRaceError",
    "UnsupportedLedgerError",
    "check_guard",
]


# -- errors (kept here until the lead moves them into errors.py) -----------------


class LedgerLockedError(ConnectNumbersError):
    """Another apply holds the ledger's lock: wait for it to finish, then run again.

    Nobody's fault and no input to fix. ``holder`` is what the holder wrote into
    the lock file (None if it had not written it yet).
    """

    def __init__(
        self,
        path: str,
        lock_path: str,
        holder: LockHolder | None,
        *,
        same_process: bool = False,
        text: str | None = None,
    ) -> None:
        self.path = path
        self.lock_path = lock_path
        self.holder = holder
        self.same_process = same_process
        if text is None:  # a backend may word it itself (the S3 lease)
            text = _locked_text(path, lock_path, holder, same_process)
        super().__init__(text)


def _locked_text(path: str, lock_path: str, holder: LockHolder | None, same_process: bool) -> str:
    if same_process:
        assert holder is not None
        thread = f", thread {holder.thread}" if holder.thread else ""
        return (
            f"{path}: the ledger is locked by {holder.describe()} in this same process"
            f"{thread}; one process runs one apply on a ledger at a time. "
            "Wait for it to finish"
        )
    who = (
        holder.describe()
        if holder is not None
        else f"a process that has not written its name into {lock_path} yet"
    )
    return (
        f"{path}: the ledger is locked by another apply: {who}. "
        "Wait for it to finish; if that process is gone, the lock frees itself "
        "(the operating system releases it when the process exits), so just run "
        f"again. Lock file: {lock_path}"
    )


class LedgerWriteError(ConnectNumbersError):
    """A record could not be made durable (disk full, I/O error): it is NOT recorded.

    Stop the apply: an action whose record is not on disk must not be reported
    done. Fix the disk, then run again; the executor resumes from the records.
    """


class QuotaRaceError(LedgerWriteError):
    """A guarded record is refused on the history as it is now: another writer got in first.

    Not written, so nothing was started: plan again.
    """


class UnsupportedLedgerError(InputError):
    """``--ledger`` names a kind of store this version cannot use."""


# Asked, on the history exactly as it is when a record is written, whether the
# record may go on top of it: None if so, else why not (the record is then not
# written). A release's intent asks "does the quota still have room?".
Guard = Callable[["History"], "str | None"]


def check_guard(guard: Guard, history: History, what: str) -> None:
    """Raise QuotaRaceError if ``guard`` refuses ``history`` (the whole history, archives too)."""
    refusal = guard(history)
    if refusal is not None:
        raise QuotaRaceError(
            f"{history.source}: on the history as it is now (another writer may have added to it "
            f"while this apply ran), {what} is refused: {refusal}. It is NOT recorded and "
            "nothing was released; plan again"
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class LockHolder:
    """Who holds a ledger lock, as written into the lock file."""

    owner: str
    pid: int | None = None
    host: str | None = None
    since: datetime | None = None
    thread: str | None = None

    def describe(self) -> str:
        facts = []
        if self.pid is not None:
            facts.append(f"pid {self.pid}")
        if self.host:
            facts.append(f"on {self.host}")
        if self.since is not None:
            facts.append(f"since {format_time(self.since)}")
        return f"{self.owner!r} ({' '.join(facts)})" if facts else repr(self.owner)

    def to_text(self) -> str:
        holder = {
            "owner": self.owner,
            "pid": self.pid,
            "host": self.host,
            "since": format_time(self.since) if self.since else None,
            "thread": self.thread,
        }
        return json.dumps(holder) + "\n"

    @classmethod
    def parse(cls, text: str) -> LockHolder | None:
        """The holder named by a lock file's text; None if it is empty or unreadable."""
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            # Someone wrote the lock file by hand: show it as it is.
            return cls(owner=text.strip()[:200])
        if not isinstance(data, dict):
            return cls(owner=text.strip()[:200])
        pid = data.get("pid")
        try:
            since = parse_time(data.get("since"))
        except ValueError:
            since = None
        return cls(
            owner=str(data.get("owner") or "unknown"),
            pid=pid if isinstance(pid, int) else None,
            host=data.get("host") if isinstance(data.get("host"), str) else None,
            since=since,
            thread=data.get("thread") if isinstance(data.get("thread"), str) else None,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class LedgerLock:
    """A held ledger lock (what ``Ledger.lock()`` yields)."""

    path: str
    lock_path: str | None
    holder: LockHolder


# -- the protocol --------------------------------------------------------------------


@runtime_checkable
class Ledger(Protocol):
    """A durable history of claims and releases.

    Backends: ``FileLedger`` (a JSON Lines file) and ``reconciler.aws.ledger_s3.S3Ledger``
    (one S3 object, conditional writes and a lease).
    """

    @property
    def source(self) -> str:
        """Where the history lives, for messages and the plan (a path, a URL)."""
        ...

    def exists(self) -> bool:
        """Whether the history has been started (``read`` of a missing one may raise)."""
        ...

    def read(self) -> History:
        """Completed events (``done`` or no status), in order, and warnings."""
        ...

    def records(self) -> list[dict[str, Any]]:
        """Every raw record, including intents, failures and repairs, in order."""
        ...

    def append(self, record: LedgerRecord, *, guard: Guard | None = None) -> None:
        """Add a record; it is durable when this returns. Raises LedgerWriteError.

        With ``guard``, the record is written only if the guard allows it on the
        history exactly as it is at the moment of writing (QuotaRaceError if not).
        """
        ...

    def mark_coverage(self, since: datetime, *, source: str) -> None:
        """Record that the history is complete from ``since`` on; durable on return."""
        ...

    def lock(self, owner: str) -> AbstractContextManager[LedgerLock]:
        """Hold the ledger exclusively for a whole apply; fail fast if it is held."""
        ...


class JsonLinesLedger:
    """What every JSON Lines backend shares: reading, records, appends, coverage.

    A backend provides ``source``, ``_clock``, ``_lines()`` (None: not started)
    and ``_append_line(line, what, guard=..., starts=...)``, where ``starts``
    says the record starts an action (an ``intent``).
    """

    _clock: Callable[[], datetime]

    @property
    def source(self) -> str:
        raise NotImplementedError

    def _lines(self) -> list[str] | None:
        raise NotImplementedError

    def _append_line(
        self, line: bytes, what: str, *, guard: Guard | None = None, starts: bool = False
    ) -> None:
        raise NotImplementedError

    def _archive_data(self, name: str) -> bytes | None:
        """The bytes of the archive ``name``; None if it is missing."""
        raise NotImplementedError

    def _archive_source(self, name: str) -> str:
        """The archive ``name``, for messages."""
        raise NotImplementedError

    def _archived(self, lines: list[str]) -> list[Archived]:
        """The archives ``lines`` name, read back and checked (each once: they never change)."""
        memo: dict[str, Archived] = self.__dict__.setdefault("_archives_read", {})
        found = []
        for number, pointer in ledger_archive.pointers(lines, self.source):
            name = pointer["archive"]
            if name not in memo:
                where = self._archive_source(name)
                text = ledger_archive.check_archive(
                    pointer, self._archive_data(name), where, self.source, number
                )
                memo[name] = Archived.read(text, where)
            found.append(memo[name])
        return found

    def _history(self, lines: list[str]) -> History:
        return parse_history(lines, self.source, self._archived(lines))

    def read(self) -> History:
        lines = self._lines()
        return history_of(None, self.source) if lines is None else self._history(lines)

    def records(self) -> list[dict[str, Any]]:
        lines = self._lines()
        return records_of(lines, self.source, self._archived(lines or []))

    def append(self, record: LedgerRecord, *, guard: Guard | None = None) -> None:
        if not isinstance(record, LedgerRecord):
            raise TypeError(f"expected a LedgerRecord, got {type(record).__name__}")
        number = record.phone_number or record.phone_number_id
        what = f"the {record.status} record of the {record.action} of {number}"
        starts = record.status == RecordStatus.INTENT
        self._append_line(record.to_line(), what, guard=guard, starts=starts)

    def mark_coverage(self, since: datetime, *, source: str) -> None:
        """Record that the history is complete from ``since`` on (creation, an import)."""
        record = coverage_record(since, source=source, at=self._clock())
        line = (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")
        self._append_line(line, f"the coverage record ({source})")
