"""What a ledger holds, read strictly: its records, and the history they count.

``LedgerRecord`` is one line the product writes; ``parse_history`` turns JSON
Lines text (and the archives it names) into the ``History`` the quota counts;
``records_of`` gives the raw records the executor resumes from; ``cut_tail``
finds a record cut short at the end of a ledger. No I/O: the backends
(``reconciler.ledger.backend``, ``.file``, ``reconciler.aws.ledger_s3``) read
and write.

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
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from reconciler.core import intents
from reconciler.core.errors import LedgerFileError
from reconciler.core.model import E164_PATTERN, Action, HistoryEvent, scope_of
from reconciler.ledger.records import (
    ARCHIVE,
    COVERAGE,
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
    "Archived",
    "History",
    "LedgerRecord",
    "coverage_record",
    "cut_tail",
    "history_of",
    "parse_history",
    "records_of",
]


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
