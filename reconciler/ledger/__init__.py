"""The history store behind ``--ledger``: the ``Ledger`` protocol and its JSON Lines file.

The file format
---------------
One JSON object per line. The product writes::

    {"action": "release", "phone_number": "+12065550199", "at": "2026-06-01T12:00:00Z",
     "status": "done", "phone_number_id": "...", "target_arn": "...", "plan_id": "...",
     "client_token": "..."}

plus ``error`` and ``message`` when set, plus any ``extra`` keys. ``at`` is UTC
with a ``Z`` (microseconds only when not zero). Hand-written history may carry
just ``action``, ``phone_number`` and ``at``.

Completed actions count against the rolling quota: a line whose ``status``
is ``done``, or that has no ``status`` at all (hand-written history). An
``intent`` also counts until a later record settles it (``intents.py``: a
``done`` on its number, or a ``failed``/``skipped`` answering that very call),
with a warning: a release once started is never forgotten. The executor reads
the raw records through ``Ledger.records()`` to resume after a crash. Every
other bad line is an error naming the file and the line: an undercounted
history would let a plan breach the quota, so nothing is silently dropped.

Crashes
-------
A record is one ``os.write`` of the whole line on a descriptor opened with
``O_APPEND``, then ``os.fsync``: ``append`` returns only once the line is on
disk, and concurrent appenders never interleave inside a line. A crash mid-write
can still leave the last line cut short, with no newline. Reading reports it as
a warning, and only when it is the start of a line this product writes
(``records.is_cut_record``); any other line the product cannot read
is an error. The next append moves the cut line to the sidecar ``PATH.torn``
(appended there, never deleted), so the new record never glues onto it.
A release cut short loses nothing: its ``intent`` was written whole before the
release started, and counts until a later record settles it.

Two applies at once
-------------------
``FileLedger.lock(owner)`` holds ``flock(LOCK_EX)`` on the sidecar ``PATH.lock``
for the whole apply, and fails fast, naming the holder, when another apply holds
it. The operating system drops a flock when its process dies, so a crashed
apply never leaves a stale lock behind. An apply takes the lock, *then* reads
the history and re-checks the quota, so two applies cannot spend the same
headroom. Keep the ledger on a local disk (or NFS with working locks).
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import json
import logging
import os
import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from reconciler.core import intents
from reconciler.core.errors import ConnectNumbersError, InputError, LedgerFileError
from reconciler.core.model import E164_PATTERN, Action, HistoryEvent, scope_of
from reconciler.ledger import archive as ledger_archive
from reconciler.ledger.records import (
    ARCHIVE,
    OPTIONAL_TEXT,
    RECORD_KEYS,
    REPAIR,
    RecordStatus,
    RepeatedKeyError,
    format_time,
    is_cut_record,
    once_each,
    parse_time,
    record_problem,
)

__all__ = [
    "FileLedger",
    "Guard",
    "History",
    "JsonLinesLedger",
    "Ledger",
    "LedgerLock",
    "LedgerLockedError",
    "LedgerRecord",
    "LedgerWriteError",
    "LockHolder",
    "QuotaRaceError",
    "RecordStatus",
    "UnsupportedLedgerError",
    "default_owner",
    "format_time",
    "parse_history",
    "parse_time",
    "read_history",
]

_log = logging.getLogger(__name__)


# How long a lock attempt waits for a holder that has just taken the lock to
# write its name (or for one that is releasing it to finish) before giving up.
_LOCK_SETTLE_SECONDS = 0.2


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


# -- values ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class LedgerRecord:
    """One line of the ledger: a claim or release and how far it got.

    ``status`` is one of ``RecordStatus``: ``intent`` (written before the API
    call), ``done`` (after it succeeded), ``failed`` (with ``error``),
    ``skipped`` or ``unknown``. Any other value is refused here, as the reader
    refuses it: what the product writes, it can read back.
    ``action`` may be given as ``"claim"``/``"release"``; it is stored as an
    ``Action``. ``extra`` holds more JSON keys; it is copied and frozen.
    """

    action: Action | str
    phone_number: str | None
    at: datetime
    status: str
    phone_number_id: str | None = None
    target_arn: str | None = None
    plan_id: str | None = None
    client_token: str | None = None
    error: str | None = None
    message: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            action = Action(self.action)
        except ValueError:
            raise ValueError(f"action {self.action!r}: expected 'claim' or 'release'") from None
        object.__setattr__(self, "action", action)
        if self.phone_number is None:
            # An imported release (CloudTrail logs only the number's id) whose
            # E.164 form is not known: it still counts against the quota.
            if not self.phone_number_id:
                raise ValueError("phone_number None needs a phone_number_id")
        elif not isinstance(self.phone_number, str) or not E164_PATTERN.match(self.phone_number):
            raise ValueError(f"phone_number {self.phone_number!r}: expected E.164, +12065550100")
        if not isinstance(self.at, datetime):
            raise ValueError(f"at {self.at!r}: expected a datetime")
        format_time(self.at)
        object.__setattr__(self, "at", self.at.replace(tzinfo=UTC))
        if not isinstance(self.status, str) or not self.status:
            raise ValueError(f"status {self.status!r}: expected a non-empty string")
        if self.status == REPAIR:
            raise ValueError(f"status {REPAIR!r} is reserved for torn-line repair records")
        if self.status not in set(RecordStatus):
            known = ", ".join(RecordStatus)
            raise ValueError(f"status {self.status!r}: expected one of {known}")
        for name in OPTIONAL_TEXT:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} {value!r}: expected a string or None")
        clash = sorted(k for k in self.extra if not isinstance(k, str) or k in RECORD_KEYS)
        if clash:
            raise ValueError(f"extra keys {clash!r} are not strings or clash with record keys")
        try:
            # A JSON round trip both proves the values serialize and detaches
            # them from the caller's (mutable) objects.
            copied = json.loads(json.dumps(dict(self.extra), allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"extra is not JSON: {exc}") from None
        object.__setattr__(self, "extra", MappingProxyType(copied))
        problem = record_problem(self.to_dict())  # the reader's own check: it reads back
        if problem is not None:
            raise ValueError(problem)

    @property
    def counted(self) -> bool:
        """Whether this record is a completed action that counts against the quota."""
        return self.status == RecordStatus.DONE

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to disk, keys in their documented order."""
        record: dict[str, Any] = {
            "action": str(self.action),
            "phone_number": self.phone_number,
            "at": format_time(self.at),
            "status": str(self.status),
            "phone_number_id": self.phone_number_id,
            "target_arn": self.target_arn,
            "plan_id": self.plan_id,
            "client_token": self.client_token,
        }
        if self.error is not None:
            record["error"] = self.error
        if self.message is not None:
            record["message"] = self.message
        record.update(self.extra)
        return record

    def to_line(self) -> bytes:
        """One line of ASCII (a torn write can then never split a UTF-8 character)."""
        return (json.dumps(self.to_dict(), ensure_ascii=True) + "\n").encode("ascii")

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> LedgerRecord:
        """Parse a raw record (as ``Ledger.records()`` returns). Raises ValueError.

        A record with no ``status`` is hand-written history of completed
        actions, so it becomes ``done``, as the reader counts it.
        """
        try:
            at = parse_time(record.get("at"))
        except ValueError as exc:
            raise ValueError(f"at {record.get('at')!r}: {exc}") from None
        status = record.get("status", RecordStatus.DONE.value)
        fields: dict[str, Any] = {name: record.get(name) for name in OPTIONAL_TEXT}
        return cls(
            action=str(record.get("action")),
            phone_number=record.get("phone_number"),  # validated by __post_init__
            at=at,
            status=status,
            extra={k: v for k, v in record.items() if k not in RECORD_KEYS},
            **fields,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class History:
    events: tuple[HistoryEvent, ...]
    warnings: tuple[str, ...] = ()
    source: str | None = None
    # Since when this history is complete: the earliest `coverage` record (the
    # ledger's creation, or the oldest window an import read). None: unknown.
    tracking_since: datetime | None = None


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


# -- reading -------------------------------------------------------------------------


def _is_repair(line: str) -> bool:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(record, dict) and record.get("status") == REPAIR


def _cut_warning(text: list[str], index: int, source: str) -> str | None:
    """The warning for line ``index`` if it is a record cut short by a crash, else None.

    Only the last line (no newline), or a line an earlier version closed with a
    repair record, and only if it starts a line this product writes: anything
    else may be a record someone meant to be counted, so it is an error.
    """
    line, number = text[index], index + 1
    if number == len(text) and not line.endswith("\n"):
        if is_cut_record(line):
            return (
                f"{source}:{number}: the last line is a record cut short (no newline), as a "
                "crash mid-append leaves; it never completed and is not counted (a release's "
                "intent is written whole before the release starts, and that intent counts). "
                f"The next append of this tool sets it aside (a file ledger: into {source}.torn)"
            )
        return None
    if index + 1 < len(text) and _is_repair(text[index + 1]) and is_cut_record(line.rstrip("\n")):
        return (
            f"{source}:{number}: a record cut short by a crash, closed by the repair record on "
            f"line {number + 1}; it never completed and is not counted. Check whether the action "
            "it recorded happened, then remove both lines"
        )
    return None


def _scan(
    text: list[str], source: str, warnings: list[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each record with its line number, checked strictly; a cut line is a warning.

    Every other line the product cannot read is an error naming the file and the
    line: a record left uncounted would let a plan breach the quota.
    """
    for index, line in enumerate(text):
        number = index + 1
        if not line.strip():
            continue
        try:
            record = json.loads(line, object_pairs_hook=once_each)
        except RepeatedKeyError as exc:
            # json.loads keeps the last: `"status": "done", "status": "failed"` would
            # silently uncount a release.
            raise LedgerFileError(
                source,
                f"the key {exc.args[0]!r} appears more than once in the record (keep one). "
                "Nothing is counted from a line this tool cannot read; correct the line, "
                "then run again",
                line=number,
            ) from None
        except json.JSONDecodeError as exc:
            warning = _cut_warning(text, index, source)
            if warning is None:
                raise LedgerFileError(
                    source,
                    f"not valid JSON ({exc.msg}, column {exc.colno}) and not a record this tool "
                    "writes cut short by a crash; correct the line, then run again",
                    line=number,
                ) from exc
            warnings.append(warning)
            continue
        if not isinstance(record, dict):
            raise LedgerFileError(source, "expected a JSON object", line=number)
        problem = record_problem(record)
        if problem is not None:
            raise LedgerFileError(
                source,
                f"{problem}. Nothing is counted from a line this tool cannot read; correct "
                "the line, then run again",
                line=number,
            )
        yield number, record


def _event(record: dict[str, Any]) -> tuple[HistoryEvent | None, str | None]:
    """The event of one record, or None if not a completed action; or an error text."""
    status = record.get("status")
    if status is not None and status != RecordStatus.DONE:
        return None, None
    try:
        action = Action(str(record.get("action")))
    except ValueError:
        return None, f"action {record.get('action')!r}: expected 'claim' or 'release'"
    number = record.get("phone_number")
    unknown = number is None and isinstance(record.get("phone_number_id"), str)
    if not unknown and (not isinstance(number, str) or not E164_PATTERN.match(number)):
        return None, f"phone_number {number!r}: expected an E.164 number like +12065550100"
    try:
        at = parse_time(record.get("at"))
    except ValueError as exc:
        return None, f"at {record.get('at')!r}: {exc}"
    # The account and region whose quota it counts against: its target's, or as
    # imported (CloudTrail logs no target for a release); unknown counts everywhere.
    scope = scope_of(record.get("target_arn"))
    if scope is None and isinstance(record.get("scope"), str) and record["scope"].count("/") == 1:
        scope = record["scope"]
    return HistoryEvent(action=action, phone_number=number, at=at, scope=scope), None


def coverage_record(since: datetime, *, source: str, at: datetime) -> dict[str, Any]:
    """A record saying the history is complete from ``since`` on (never counted)."""
    return {
        "status": COVERAGE,
        "since": format_time(since),
        "source": source,
        "at": format_time(at),
    }


@dataclass(frozen=True, slots=True)
class Archived:
    """An archive of the ledger read back and checked: its records and what they count.

    Its intents never count (an intent still counting is never archived), so
    the events are its completed actions, in order.
    """

    records: tuple[dict[str, Any], ...]
    events: tuple[HistoryEvent, ...]
    since: tuple[datetime, ...]

    @classmethod
    def read(cls, lines: list[str], source: str) -> Archived:
        """Parse an archive's lines as strictly as the ledger's; ``source`` names it."""
        return cls._of(list(_scan(lines, source, [])), source)

    @classmethod
    def of(cls, records: Iterable[dict[str, Any]], source: str) -> Archived:
        """An archive from records already read and checked (as the move that wrote it has)."""
        return cls._of(list(enumerate(records, start=1)), source)

    @classmethod
    def _of(cls, scanned: list[tuple[int, dict[str, Any]]], source: str) -> Archived:
        for number, record in scanned:
            if record.get("status") == ARCHIVE:
                raise LedgerFileError(source, "an archive names another archive", line=number)
        events: list[HistoryEvent] = []
        since: list[datetime] = []
        _completed(scanned, source, events, since)
        records = tuple(record for _, record in scanned)
        return cls(records=records, events=tuple(events), since=tuple(since))


def _completed(
    scanned: Iterable[tuple[int, dict[str, Any]]],
    source: str,
    events: list[HistoryEvent],
    since: list[datetime],
) -> None:
    """Add the completed actions of ``scanned`` to ``events``, its coverage to ``since``."""
    for number, record in scanned:
        if record.get("status") == COVERAGE:
            try:
                since.append(parse_time(record.get("since")))
            except ValueError as exc:
                raise LedgerFileError(source, f"coverage since: {exc}", line=number) from exc
            continue
        event, error = _event(record)
        if error is not None:
            raise LedgerFileError(source, error, line=number)
        if event is not None:
            events.append(event)


def _unread_archive(source: str, number: int) -> LedgerFileError:
    return LedgerFileError(
        source,
        "names an archive of older records, which this reader does not open; read the "
        "ledger as --ledger does (connect-numbers reads its archives too)",
        line=number,
    )


def parse_history(
    lines: Iterable[str], source: str, archived: Iterable[Archived] | None = None
) -> History:
    """Parse JSON Lines text (each item one line, with its newline if it had one).

    ``archived``: the archives the text's archive records name, read back
    (``JsonLinesLedger`` does); their records come first. Without it, a text
    naming an archive is an error: its records would go uncounted.
    """
    events: list[HistoryEvent] = []
    warnings: list[str] = []
    since: list[datetime] = []
    for archive in archived or ():
        events.extend(archive.events)
        since.extend(archive.since)
    scanned = [
        (number, record)
        for number, record in _scan(list(lines), source, warnings)
        if not _is_archive_record(record, archived, source, number)
    ]
    _completed(scanned, source, events, since)
    # Intents no record settles (a crash, a lost answer): the action may have
    # happened, so it counts until a later record settles it (intents.py).
    pending = [scanned[i] for i in intents.unsettled([record for _, record in scanned])]
    for number, record in pending:
        event, error = _event({**record, "status": RecordStatus.DONE.value})
        if event is None or error is not None:
            continue
        events.append(event)
        warnings.append(
            f"{source}:{number}: the {record.get('action')} of "
            f"{record.get('phone_number') or record.get('phone_number_id')} was started but its "
            "outcome is not recorded (a crash or a lost answer); it counts against the quota "
            "until settled: run the same apply again to confirm it"
        )
    return History(
        events=tuple(events),
        warnings=tuple(warnings),
        source=source,
        tracking_since=min(since, default=None),
    )


COVERAGE = "coverage"


def _missing(source: str) -> LedgerFileError:
    folder = os.path.dirname(os.path.abspath(source))
    start = f"touch {shlex.quote(source)}"
    if not os.path.isdir(folder):
        start = f"mkdir -p {shlex.quote(folder)} && {start}"
    return LedgerFileError(
        source,
        "does not exist; a missing history would undercount the quota. "
        f"To start a new history, create it empty: {start}",
    )


def _read_lines(source: str) -> list[str]:
    try:
        with open(source, encoding="utf-8", newline="\n") as handle:
            return list(handle)
    except FileNotFoundError as exc:
        raise _missing(source) from exc
    except UnicodeDecodeError as exc:
        raise LedgerFileError(source, f"is not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise LedgerFileError(source, f"cannot read: {exc.strerror}") from exc


def history_of(lines: list[str] | None, source: str) -> History:
    """The history ``lines`` hold; None (a ledger not started yet): a new, empty one."""
    if lines is None:
        return History(
            events=(),
            warnings=(f"{source}: does not exist yet; starting a new, empty history",),
            source=source,
        )
    return parse_history(lines, source)


def records_of(
    lines: list[str] | None, source: str, archived: Iterable[Archived] | None = None
) -> list[dict[str, Any]]:
    """Every raw record ``lines`` hold (torn lines aside), archived ones first; None: none.

    Archive records are read in place of what they name, never returned.
    """
    if lines is None:
        return []
    found = [record for archive in archived or () for record in archive.records]
    for number, record in _scan(lines, source, []):
        if not _is_archive_record(record, archived, source, number):
            found.append(record)
    return found


def _is_archive_record(
    record: dict[str, Any], archived: Iterable[Archived] | None, source: str, number: int
) -> bool:
    if record.get("status") != ARCHIVE:
        return False
    if archived is None:
        raise _unread_archive(source, number)
    return True


def read_history(path: str | os.PathLike[str]) -> History:
    """Read a JSON Lines ledger file. A missing file is an error, not an empty history."""
    source = os.fspath(path)
    return parse_history(_read_lines(source), source)


def cut_tail(data: bytes, source: str, what: str) -> tuple[int, int] | None:
    """Where the record cut short at the end of ``data`` starts, and its line number.

    None when ``data`` ends with a complete record that only lacks its newline.
    Raises LedgerFileError, saying ``what`` is not recorded, when the last line
    is neither complete nor the start of a line this product writes. Call it
    only when ``data`` does not end with a newline.
    """
    start = data.rfind(b"\n") + 1
    number = data.count(b"\n") + 1
    fragment = data[start:]
    try:
        record = json.loads(fragment)
    except ValueError:  # not JSON, or not UTF-8
        if fragment.isascii() and is_cut_record(fragment.decode("ascii")):
            return start, number
        problem: str | None = (
            "the last line is neither a complete record nor one this tool writes cut short"
        )
    else:
        problem = record_problem(record) if isinstance(record, dict) else "not a JSON object"
        if problem is None:
            return None
    raise LedgerFileError(
        source, f"{problem}; {what} is NOT recorded. Correct the line, then run again", line=number
    )


# -- the JSON Lines backend ------------------------------------------------------------

# Locks this process holds, by the real path of their lock file. flock already
# refuses a second open file description, but some filesystems (NFS) emulate
# flock with per-process POSIX locks, which a second thread would get again.
_HELD: dict[str, LockHolder] = {}
_HELD_GUARD = threading.Lock()
# Appends of this process, for the same reason: one at a time through the
# ledger file's short flock.
_APPEND_GUARD = threading.Lock()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def default_owner(what: str) -> str:
    """A lock owner naming the person and machine: ``"apply plan-1 by ana@ci-7"``."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{what} by {user}@{socket.gethostname()}"


def _fsync_directory(path: str) -> None:
    # A new file's name lives in its directory: without this, a crash right
    # after creating the ledger could lose the file with its first records.
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


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


class FileLedger(JsonLinesLedger):
    """The ledger as a local JSON Lines file (``--ledger PATH``).

    A missing file: ``read`` and ``records`` raise LedgerFileError ("does not
    exist ... create it empty") when ``must_exist`` is true (the default, the
    rule for plans: a mistyped path must not read as an empty history and
    undercount the quota); with ``must_exist=False`` they return an empty
    history (with a warning) and ``[]``. ``lock`` and ``append`` always create
    the file (an apply starts a new history), fsync its directory, and say so in
    ``notices``.

    Holds no open file between calls; ``clock`` stamps lock files and the lines
    set aside into ``PATH.torn`` (tests pass a fixed one).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        must_exist: bool = True,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.path = os.fspath(path)
        self.lock_path = self.path + ".lock"
        self.torn_path = self.path + ".torn"
        self.must_exist = must_exist
        self._clock = clock
        self._notices: list[str] = []

    def __repr__(self) -> str:
        return f"FileLedger({self.path!r}, must_exist={self.must_exist})"

    @property
    def source(self) -> str:
        return self.path

    @property
    def notices(self) -> tuple[str, ...]:
        """What writing did besides appending (created the file, set a cut line aside)."""
        return tuple(self._notices)

    def exists(self) -> bool:
        return os.path.exists(self.path)

    # reading

    def _lines(self) -> list[str] | None:
        if not self.must_exist and not os.path.exists(self.path):
            return None
        return _read_lines(self.path)

    # A file ledger never archives (an append is one O_APPEND write, whatever the
    # size), but it reads the archives of a copied S3 ledger (KEY and KEY.archive/).

    def _archive_source(self, name: str) -> str:
        return ledger_archive.archive_location(self.path, name)

    def _archive_data(self, name: str) -> bytes | None:
        try:
            with open(self._archive_source(name), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise LedgerFileError(
                self._archive_source(name), f"cannot read: {exc.strerror}"
            ) from exc

    # writing

    def _append_line(
        self, line: bytes, what: str, *, guard: Guard | None = None, starts: bool = False
    ) -> None:
        # `starts` needs nothing here: the flock lock cannot be lost while held.
        fd = self._open()
        try:
            # The write itself needs no lock (one O_APPEND write). The tail check
            # does: while another appender's write is in flight, the file can
            # briefly end mid-line, and we must not "repair" that. So check and
            # write under a short flock of the ledger file itself (not the
            # apply's PATH.lock), and fsync after it, so fsyncs still overlap.
            with _APPEND_GUARD:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    if guard is not None and not self._lock_held():
                        # Every appender takes this flock: the guard sees exactly
                        # the history the record lands on. Under this process's
                        # apply lock nobody else can append (every writer takes
                        # it), so the history is the one the caller checked.
                        text = _read_all(fd).decode("utf-8", "replace")
                        history = self._history(text.splitlines(keepends=True))
                        check_guard(guard, history, what)
                    closing = self._settle_tail(fd, what)
                    self._write(fd, closing + line, what)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            os.fsync(fd)
        except OSError as exc:
            raise LedgerWriteError(
                f"{self.path}: cannot append {what} ({exc.strerror}); it is NOT recorded. "
                "Stop, fix the disk, then run again"
            ) from exc
        finally:
            os.close(fd)

    def _lock_held(self) -> bool:
        with _HELD_GUARD:
            return os.path.realpath(self.lock_path) in _HELD

    def _open(self) -> int:
        """A read-write O_APPEND descriptor; creates the file (and says so) if missing."""
        flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC
        for _ in range(2):
            try:
                return os.open(self.path, flags)
            except FileNotFoundError:
                pass  # created below
            except OSError as exc:
                raise LedgerFileError(
                    self.path, f"cannot open for writing: {exc.strerror}"
                ) from exc
            try:
                fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                continue  # another process created it just now: open that one
            except FileNotFoundError as exc:
                folder = os.path.dirname(os.path.abspath(self.path))
                raise LedgerFileError(
                    self.path, f"cannot create: the directory {folder} does not exist"
                ) from exc
            except OSError as exc:
                raise LedgerFileError(self.path, f"cannot create: {exc.strerror}") from exc
        else:
            raise LedgerFileError(self.path, "cannot open: it keeps appearing and disappearing")
        try:
            os.fsync(fd)
            _fsync_directory(self.path)
        except OSError as exc:
            os.close(fd)
            raise LedgerWriteError(
                f"{self.path}: created, but cannot make it durable ({exc.strerror})"
            ) from exc
        notice = f"{self.path}: did not exist; created it, starting a new, empty history"
        self._notices.append(notice)
        _log.warning("%s", notice)
        return fd

    def _write(self, fd: int, data: bytes, what: str) -> None:
        # One write of the whole line: with O_APPEND the kernel places it at the
        # end atomically, so concurrent appenders never interleave. Writing the
        # rest of a short write would land after someone else's line, so a short
        # write is an error; the next append sets aside the cut line it leaves.
        written = os.write(fd, data)
        if written != len(data):
            raise LedgerWriteError(
                f"{self.path}: wrote only {written} of {len(data)} bytes of {what}; it is NOT "
                "recorded. Stop, fix the disk (is it full?), then run again"
            )

    def _settle_tail(self, fd: int, what: str) -> bytes:
        """Make room for an append after the last line; returns what to write first.

        A complete last line without its newline (cut just before it, or saved so
        by an editor) gets one, in the same write as the record. A record cut
        short by a crash is moved to ``PATH.torn`` (appended there, never
        deleted) and cut off the ledger. Anything else is refused: it may be a
        record someone meant to be counted.
        """
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return b""
        # Rare (after a crash mid-write): read it all to name the line.
        data = _read_all(fd)
        cut = cut_tail(data, self.path, what)
        if cut is None:
            return b"\n"  # a complete record that only lacks its newline
        start, number = cut
        fragment = data[start:]
        text = fragment.decode("ascii")
        self._set_aside(number, text)
        os.ftruncate(fd, start)
        notice = (
            f"{self.path}:{number}: the last line was a record cut short ({len(fragment)} bytes, "
            f"as a crash mid-append leaves; never counted); moved it to {self.torn_path} "
            "before appending"
        )
        self._notices.append(notice)
        _log.warning("%s", notice)
        return b""

    def _set_aside(self, number: int, fragment: str) -> None:
        """Append a cut line to ``PATH.torn``, durably, before it leaves the ledger."""
        entry = {
            "ledger": self.path,
            "line": number,
            "moved_at": format_time(self._clock()),
            "text": fragment,
            "why": "a record cut short by a crash mid-append (no newline); never counted",
        }
        data = (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        fd = os.open(self.torn_path, flags, 0o666)
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, f"short write to {self.torn_path}")
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_directory(self.torn_path)

    # locking

    @contextmanager
    def lock(self, owner: str) -> Iterator[LedgerLock]:
        """Hold ``PATH.lock`` exclusively until the block ends; fail fast if held.

        Creates the ledger file if it does not exist (once the lock is held).
        Raises LedgerLockedError naming the holder; LedgerFileError if the lock
        file cannot be opened or locked.
        """
        if not isinstance(owner, str) or not owner.strip():
            raise ValueError("the lock owner must be a non-empty string")
        holder = LockHolder(
            owner=owner,
            pid=os.getpid(),
            host=socket.gethostname(),
            since=self._clock(),
            thread=threading.current_thread().name,
        )
        key = os.path.realpath(self.lock_path)
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is not None:
                raise LedgerLockedError(self.path, self.lock_path, held, same_process=True)
            _HELD[key] = holder
        try:
            fd = self._flock(holder)
            try:
                if not os.path.exists(self.path):
                    os.close(self._open())  # an apply starts a new history
                yield LedgerLock(path=self.path, lock_path=self.lock_path, holder=holder)
            finally:
                # Emptied so a stale name never misleads; the file itself stays,
                # because unlinking a lock file races with the next locker.
                try:
                    os.ftruncate(fd, 0)
                finally:
                    os.close(fd)  # releases the flock
        finally:
            with _HELD_GUARD:
                _HELD.pop(key, None)

    def _flock(self, holder: LockHolder) -> int:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise LedgerFileError(
                self.lock_path, f"cannot open the ledger's lock file: {exc.strerror}"
            ) from exc
        try:
            deadline = time.monotonic() + _LOCK_SETTLE_SECONDS
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    other = LockHolder.parse(_read_all(fd).decode("utf-8", "replace"))
                    # An empty lock file means the holder has just taken the lock
                    # and not yet named itself, or is releasing it: look again.
                    if other is not None or time.monotonic() >= deadline:
                        raise LedgerLockedError(self.path, self.lock_path, other) from None
                    time.sleep(0.01)
            os.ftruncate(fd, 0)
            os.pwrite(fd, holder.to_text().encode("utf-8"), 0)
        except OSError as exc:
            os.close(fd)
            raise LedgerFileError(
                self.lock_path,
                f"cannot lock ({exc.strerror}); keep the ledger on a local disk or a "
                "filesystem with working locks",
            ) from exc
        except BaseException:
            os.close(fd)
            raise
        return fd
