"""Old records of a ledger move into immutable archives, so an append rewrites only the window.

An S3 ledger is one object, and S3 has no append: each record rewrites the
object. Left alone, an append in year five rewrites five years of history.
So once enough records are older than the window (plus a margin), the next
append first moves them into an **archive**, an object of its own that is
never written again, and the live object keeps a one-line **archive record**
naming it, with its record count and SHA-256::

    {"status": "archive", "archive": "20250101T000000Z-20250301T000000Z-0123456789abcdef.jsonl",
     "records": 2611, "first_at": "...", "last_at": "...", "sha256": "...", "at": "..."}

Pure: this module plans the move (:func:`plan_compaction`) and checks what
is read back (:func:`pointers`, :func:`check_archive`); the backend writes.

What moves, and what never does
-------------------------------
Records move in ledger order, from the first line, while they are older than
``keep`` (180 days, AWS's window, plus a 30-day margin by default). The first
newer record ends the move: everything after it stays. Reading puts an
archive's records where its archive record stands, before every live record.
An intent that still counts (``intents.unsettled``) never moves, whatever its
age, and neither does any record that shares a client token or a number id
with it, directly or through other records: whatever a later outcome must
answer stays in the live object, in its order. Every move is checked before
it is written: the same records, the same intents still counting, and for
each token and number id the same records in the same order. A move that
fails the check is not made (the append goes in unmoved).

A reader of the live object and its archives therefore sees exactly the
history it would have seen without any move: the same events, the same
coverage (``tracking_since``), the same counting intents.

Why a crash loses nothing
-------------------------
The archive is written first (create-only: ``If-None-Match: *``), read back
and compared, and only then is the live object rewritten, with the
conditional write every append uses (``If-Match``). A crash or a lost race in
between leaves an archive no archive record names: readers never open it, the
live object still holds its records, and a later move of the same records
writes the same name (the name ends with the content's digest) and finds it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reconciler.core import intents
from reconciler.core.errors import LedgerFileError
from reconciler.ledger.records import (
    ARCHIVE,
    REPAIR,
    format_time,
    once_each,
    parse_time,
    record_problem,
)

__all__ = [
    "KEEP",
    "MIN_BYTES",
    "Compaction",
    "archive_location",
    "check_archive",
    "plan_compaction",
    "pointers",
]

#: Records younger than this stay in the live object: AWS's 180-day window
#: and a 30-day margin (a longer ``window_days`` is still counted in full: a
#: reader reads the archives too).
KEEP = timedelta(days=180 + 30)
#: Records move only once this much is due, so archives stay few and large
#: (about 2,700 release records each) and the live object holds at most the
#: window's records, the intents still counting, and less than this besides.
MIN_BYTES = 1 << 20


def archive_location(ledger: str, name: str) -> str:
    """Where the archive ``name`` of the ledger at ``ledger`` (a key, a path) lives."""
    return f"{ledger}.archive/{name}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Compaction:
    """A planned move: the archive to write first, then the live text that names it."""

    name: str
    archive: bytes  # the moved lines, exactly as they were
    live: bytes  # the archive records first (the earlier ones, then this one), then the rest
    moved: int
    first_at: datetime
    last_at: datetime
    records: tuple[dict[str, Any], ...]  # the moved records, parsed and checked


def _record(line: str) -> dict[str, Any] | None:
    """The record of a line the reader accepts, else None (blank lines too)."""
    try:
        record = json.loads(line, object_pairs_hook=once_each)
    except ValueError:
        return None
    if not isinstance(record, dict) or record_problem(record) is not None:
        return None
    return record


def pointers(lines: Sequence[str], source: str) -> list[tuple[int, dict[str, Any]]]:
    """The archive records of a live text, with their line numbers, in order.

    A line naming an archive that the reader cannot read is an error here, so an
    archive is never left unread (the strict reader reports other bad lines).
    """
    found = []
    for index, line in enumerate(lines):
        if ARCHIVE not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue  # not JSON: the reader reports it
        if isinstance(record, dict) and record.get("status") == ARCHIVE:
            problem = record_problem(record)
            if problem is not None:
                raise LedgerFileError(
                    source,
                    f"{problem}. The archive this line names holds older records, which "
                    "would go uncounted; correct the line, then run again",
                    line=index + 1,
                )
            found.append((index + 1, record))
    return found


def check_archive(
    pointer: dict[str, Any], data: bytes | None, where: str, source: str, line: int
) -> list[str]:
    """The lines of an archive read back, once it is shown to be what ``pointer`` names.

    ``where`` names the archive, ``source`` and ``line`` its archive record. A
    missing or altered archive is an error: its records would go uncounted.
    """
    named = f"the archive named on line {line} of {source}"
    if data is None:
        raise LedgerFileError(
            where,
            f"is missing; {named} holds {pointer['records']} older records of the history, "
            "which must not go uncounted. Restore it (from S3 versioning or a copy), then "
            "run again",
        )
    if hashlib.sha256(data).hexdigest() != pointer["sha256"]:
        raise LedgerFileError(
            where,
            f"is not {named}: its SHA-256 differs from the archive record's. Archives are "
            "never rewritten; restore the original (from S3 versioning or a copy), then run "
            "again",
        )
    text = data.decode("utf-8")
    lines = text.splitlines(keepends=True)
    count = sum(1 for each in lines if each.strip())
    if count != pointer["records"] or not text.endswith("\n"):
        raise LedgerFileError(
            where, f"holds {count} records, but {named} says {pointer['records']}"
        )
    return lines


# -- planning a move ------------------------------------------------------------------


class _Groups:
    """Records tied by a client token or a number id, directly or through others."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(self, key: tuple[str, str]) -> tuple[str, str]:
        parent = self.parent.setdefault(key, key)
        while parent != key:
            self.parent[key] = self.parent.setdefault(parent, parent)
            key, parent = parent, self.parent[parent]
        return key

    def join(self, keys: list[tuple[str, str]]) -> None:
        roots = [self.root(key) for key in keys]
        for other in roots[1:]:
            self.parent[other] = roots[0]


_Key = tuple[str, str]  # ("client_token", value) or ("phone_number_id", value)


def _keys(record: dict[str, Any]) -> list[_Key]:
    keys = []
    for name in ("client_token", "phone_number_id"):
        value = record.get(name)
        if isinstance(value, str) and value:
            keys.append((name, value))
    return keys


_AT = re.compile(rb'"at": "([^"]*)"')
_ARCHIVE_LINE = b'{"status": "' + ARCHIVE.encode() + b'"'


def _due(body: bytes, cutoff: datetime, enough: int) -> bool:
    """Whether ``enough`` bytes of lines older than ``cutoff`` may lead the text.

    A quick look before the full plan, made on every append: reads only the
    times of the first lines, and stops at the first newer line or once enough
    is found. It may say yes where the plan then finds less (old intents that
    still count stay); it says no only where no move is due, but for a newer
    intent that still counts among the old lines, which a later move takes
    past once it is old too.
    """
    found = 0
    start = 0
    while found < enough:
        end = body.find(b"\n", start)
        if end < 0:
            return False
        line = body[start : end + 1]
        start = end + 1
        if not line.strip() or line.startswith(_ARCHIVE_LINE):
            continue
        match = _AT.search(line)
        try:
            if match is None or parse_time(match.group(1).decode("ascii")) >= cutoff:
                return False
        except (ValueError, UnicodeDecodeError):
            return False
        found += len(line)
    return True


def plan_compaction(
    body: bytes, *, now: datetime, keep: timedelta = KEEP, min_bytes: int = MIN_BYTES
) -> Compaction | None:
    """The move due in the live text ``body``, or None (too little is due, or not safe).

    None as well for a text with a line the reader would refuse, or a last line
    without its newline: those are the reader's and the appender's to report.
    Cheap when nothing is due (most appends): only the first lines are looked at.
    """
    if not body.endswith(b"\n") or not _due(body, now - keep, max(min_bytes, 1)):
        return None
    try:
        lines = body.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None
    records: list[dict[str, Any]] = []
    for line in lines:
        record = _record(line) if line.strip() else {}
        if record is None:
            return None
        records.append(record)
    keys = [_keys(record) for record in records]
    groups = _Groups()
    for tied in keys:
        groups.join(tied)
    counting = set(intents.unsettled(records))
    held = {groups.root(key) for index in counting for key in keys[index]}

    heads: list[int] = []  # the archive records already there: they stay first
    moved: list[int] = []
    kept: list[int] = []
    cutoff = now - keep
    ended = False
    for index, record in enumerate(records):
        status = record.get("status")
        if status == ARCHIVE:
            heads.append(index)
        elif not record:
            if ended:
                kept.append(index)  # a blank line among the moved ones is dropped
        elif ended or any(groups.root(key) in held for key in keys[index]):
            kept.append(index)
        elif status == REPAIR or parse_time(record.get("at")) >= cutoff:
            ended = True
            kept.append(index)
        else:
            moved.append(index)
    size = sum(len(lines[index].encode("utf-8")) for index in moved)
    if not moved or size < min_bytes:
        return None
    if not _same_history(records, keys, counting, moved, kept):
        return None
    archive = "".join(lines[index] for index in moved).encode("utf-8")
    digest = hashlib.sha256(archive).hexdigest()
    times = [parse_time(records[index]["at"]) for index in moved]
    first, last = min(times), max(times)
    name = f"{first:%Y%m%dT%H%M%SZ}-{last:%Y%m%dT%H%M%SZ}-{digest[:16]}.jsonl"
    pointer = {
        "status": ARCHIVE,
        "archive": name,
        "records": len(moved),
        "first_at": format_time(first),
        "last_at": format_time(last),
        "sha256": digest,
        "at": format_time(now),
    }
    assert record_problem(pointer) is None
    live = "".join(
        [
            *(lines[index] for index in heads),
            json.dumps(pointer, ensure_ascii=True) + "\n",
            *(lines[index] for index in kept),
        ]
    )
    return Compaction(
        name=name,
        archive=archive,
        live=live.encode("utf-8"),
        moved=len(moved),
        first_at=first,
        last_at=last,
        records=tuple(records[index] for index in moved),
    )


def _same_history(
    records: list[dict[str, Any]],
    keys: list[list[_Key]],
    counting: set[int],
    moved: list[int],
    kept: list[int],
) -> bool:
    """Whether reading ``moved`` then ``kept`` is reading ``records`` as they are.

    The same records; the same intents still counting (``counting``, as the
    records stand); and, for each client token and number id, its records in
    the same order.
    """
    before = [i for i, record in enumerate(records) if record and record.get("status") != ARCHIVE]
    after = [index for index in (*moved, *kept) if records[index]]
    if sorted(after) != before:
        return False
    counting_after = {after[i] for i in intents.unsettled([records[j] for j in after])}
    if counting != counting_after or counting & set(moved):
        return False
    return _by_key(keys, before) == _by_key(keys, after)


def _by_key(
    keys: list[list[tuple[str, str]]], order: list[int]
) -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for index in order:
        for key in keys[index]:
            found.setdefault(key, []).append(index)
    return found
