"""The ledger's line format, read strictly: what a record may hold, and what a cut line is.

The product writes one JSON object per line, always with the same layout::

    {"action": "release", "phone_number": "+12065550199", "at": "2026-06-01T12:00:00Z",
     "status": "done", "phone_number_id": "...", "target_arn": "...", "plan_id": "...",
     "client_token": "...", "message": "..."}

(``error`` and ``message`` only when set, then any extra keys), and a coverage
record ``{"status": "coverage", "since": ..., "source": ..., "at": ...}``.
Hand-written history may carry just ``action``, ``phone_number`` and ``at``
(no ``status``: a completed action) and any keys of its own.

Every value of a key the product knows is checked: a status, an action or a
time the product does not know is an error naming the file and the line, never
a record silently left uncounted (``"Done"`` is not ``"done"``). Times must lie
between 2000 and 2999: Amazon Connect numbers did not exist before, and near
the end of the calendar the window arithmetic would overflow.

A crash mid-append can leave the last line cut short (no newline). Such a
line is recognised by ``is_cut_record``: it must be a prefix of a line this
product writes, in its exact layout (key order, separators, escapes). Anything
else without a newline (a hand-written line with a trailing comma, say) is an
ordinary bad line, hence an error: repairing it would drop a record someone
meant to be counted.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from reconciler.core.model import E164_PATTERN, Action
from reconciler.core.times import format_time, parse_time

__all__ = [
    "ARCHIVE",
    "ARCHIVE_NAME",
    "COVERAGE",
    "OPTIONAL_TEXT",
    "RECORD_KEYS",
    "REPAIR",
    "RecordStatus",
    "RepeatedKeyError",
    "format_time",
    "is_cut_record",
    "once_each",
    "parse_time",
    "record_problem",
]


class RecordStatus(StrEnum):
    """The statuses of an action record. Only ``done`` (or no status) counts as done."""

    INTENT = "intent"  # written before the API call
    DONE = "done"  # the action happened
    FAILED = "failed"  # AWS refused it (with ``error``)
    SKIPPED = "skipped"  # not attempted after all: the number was no longer safe to release
    UNKNOWN = "unknown"  # the call's outcome is not known (the intent stays counted)


# Records that are not actions: the history's completeness, and (written by
# earlier versions) the record that closed a cut line.
COVERAGE = "coverage"
REPAIR = "repair"
# A record naming an immutable archive that holds older records of the ledger
# (``ledger_archive``): read in its place, never counted itself.
ARCHIVE = "archive"
# An archive's name: the times of its first and last record, and the start of
# its SHA-256 (so a name never points at other content).
ARCHIVE_NAME = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}\.jsonl")
_SHA256 = re.compile(r"[0-9a-f]{64}")

# The keys an action record writes itself, in the order it writes them.
RECORD_KEYS = (
    "action",
    "phone_number",
    "at",
    "status",
    "phone_number_id",
    "target_arn",
    "plan_id",
    "client_token",
    "error",
    "message",
)
OPTIONAL_TEXT = ("phone_number_id", "target_arn", "plan_id", "client_token", "error", "message")
_ALWAYS = RECORD_KEYS[:8]  # written on every record, null when unset
_COVERAGE_KEYS = ("status", "since", "source", "at")

_STATUSES = frozenset(s.value for s in RecordStatus)
_ACTIONS = tuple(a.value for a in Action)
_EXPECTED_STATUS = (
    ", ".join(sorted(_STATUSES))
    + " (exactly, in lower case), or no status at all for a completed action written by hand"
)


def _time_problem(key: str, value: object) -> str | None:
    try:
        parse_time(value)
    except ValueError as exc:
        return f"{key} {value!r}: {exc}"
    return None


def record_problem(record: Mapping[str, Any]) -> str | None:
    """What is wrong with one record of the ledger, or None if the product can read it."""
    status = record.get("status")
    if status == COVERAGE:
        problem = _time_problem("since", record.get("since")) or _time_problem(
            "at", record.get("at")
        )
        if problem is None and not isinstance(record.get("source"), str):
            problem = f"source {record.get('source')!r}: expected a string"
        return problem
    if status == REPAIR:
        return None  # closes a cut line (earlier versions); checked with that line
    if status == ARCHIVE:
        return _archive_problem(record)
    if "status" in record and (not isinstance(status, str) or status not in _STATUSES):
        return f"status {status!r}: not a status this tool knows; expected {_EXPECTED_STATUS}"
    action = record.get("action")
    if not isinstance(action, str) or action not in _ACTIONS:
        return f"action {action!r}: expected 'claim' or 'release'"
    number = record.get("phone_number")
    if number is None:
        # An imported release: CloudTrail logs only the number's id.
        if not isinstance(record.get("phone_number_id"), str) or not record["phone_number_id"]:
            return "phone_number None: expected an E.164 number like +12065550100"
    elif not isinstance(number, str) or not E164_PATTERN.match(number):
        return f"phone_number {number!r}: expected an E.164 number like +12065550100"
    problem = _time_problem("at", record.get("at"))
    if problem is not None:
        return problem
    for key in OPTIONAL_TEXT:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return f"{key} {value!r}: expected a string or null"
    scope = record.get("scope")
    if scope is not None and not _is_scope(scope):
        return f"scope {scope!r}: expected ACCOUNT/REGION like 111122223333/us-east-1, or null"
    return None


class RepeatedKeyError(ValueError):
    """A JSON object names one key twice (its args: the key)."""


def once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s ``object_pairs_hook`` for records: a key twice is an error.

    ``json.loads`` keeps the last: ``"status": "done", "status": "failed"`` would
    silently uncount a release.
    """
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise RepeatedKeyError(key)
        seen[key] = value
    return seen


def _archive_problem(record: Mapping[str, Any]) -> str | None:
    name, count, digest = record.get("archive"), record.get("records"), record.get("sha256")
    if not isinstance(name, str) or ARCHIVE_NAME.fullmatch(name) is None:
        return (
            f"archive {name!r}: expected an archive name like "
            "20250101T000000Z-20250301T000000Z-0123456789abcdef.jsonl"
        )
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return f"records {count!r}: expected the number of records in the archive"
    if not isinstance(digest, str) or _SHA256.fullmatch(digest) is None:
        return f"sha256 {digest!r}: expected the archive's SHA-256 in hex"
    if not name.removesuffix(".jsonl").endswith(digest[:16]):
        return f"sha256 {digest[:16]}...: does not match the archive name {name}"
    for key in ("first_at", "last_at", "at"):
        problem = _time_problem(key, record.get(key))
        if problem is not None:
            return problem
    return None


def _is_scope(value: object) -> bool:
    if not isinstance(value, str):
        return False
    account, slash, region = value.partition("/")
    return bool(slash and account and region and "/" not in region)


# -- lines cut short ----------------------------------------------------------------


class _Cut(Exception):
    """The text ended here, and everything up to here fits the product's layout."""


class _Scanner:
    """Reads a JSON text laid out as ``json.dumps(value, ensure_ascii=True)`` writes it.

    Raises _Cut where the text ends, ValueError where it leaves that layout.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def peek(self) -> str:
        if self.at >= len(self.text):
            raise _Cut
        return self.text[self.at]

    def literal(self, word: str) -> None:
        chunk = self.text[self.at : self.at + len(word)]
        if not word.startswith(chunk):
            raise ValueError(f"expected {word!r}")
        self.at += len(chunk)
        if len(chunk) < len(word):
            raise _Cut

    def string(self) -> str:
        start = self.at
        self.literal('"')
        while (char := self.peek()) != '"':
            self.at += 1
            if char == "\\":
                escape = self.peek()
                self.at += 1
                if escape == "u":
                    for _ in range(4):
                        if self.peek() not in string.hexdigits:
                            raise ValueError("bad \\u escape")
                        self.at += 1
                elif escape not in '"\\nrtbf':
                    raise ValueError("an escape json.dumps does not write")
            elif not " " <= char <= "~":
                raise ValueError("a character json.dumps escapes")
        self.at += 1
        decoded: str = json.loads(self.text[start : self.at])
        return decoded

    def value(self) -> object:
        char = self.peek()
        if char == '"':
            return self.string()
        if char in "{[":
            return self.container()
        if char in "-0123456789":
            start = self.at
            while self.peek() in "-+.eE0123456789":
                self.at += 1
            parsed: object = json.loads(self.text[start : self.at])
            return parsed
        for word in ("true", "false", "null"):
            if word.startswith(char):
                self.literal(word)
                return json.loads(word)
        raise ValueError("not a JSON value")

    def container(self) -> object:
        if self.peek() == "[":
            self.at += 1
            items: list[object] = []
            while self.peek() != "]":
                if items:
                    self.literal(", ")
                items.append(self.value())
            self.at += 1
            return items
        return self.members(top=False)

    def members(self, *, top: bool) -> dict[str, object]:
        """An object; at the ``top`` of a line, with the product's keys, order and values."""
        self.literal("{")
        found: dict[str, object] = {}
        while self.peek() != "}":
            if found:
                self.literal(", ")
            start = self.at
            try:
                key = self.string()
            except _Cut:
                if top and not _key_could_be(list(found), self.text[start:]):
                    raise ValueError("a key the product does not write here") from None
                raise
            if key in found or (top and not _allowed(list(found), key)):
                raise ValueError(f"key {key!r} out of the product's order")
            self.literal(": ")
            start = self.at
            try:
                value = self.value()
            except _Cut:
                if top and not _value_could_be(list(found), key, self.text[start:]):
                    raise ValueError(f"{key}: a value the product does not write") from None
                raise
            if top and not _value_ok(list(found), key, value):
                raise ValueError(f"{key}: {value!r}")
            found[key] = value
        self.at += 1
        return found


def _next_keys(found: list[str]) -> tuple[str, ...] | None:
    """The keys the product may write next after ``found``; None: optional or extra keys."""
    if not found:
        return ("action", "status")
    if found[0] == "status":
        return _COVERAGE_KEYS[len(found) : len(found) + 1]
    if len(found) < len(_ALWAYS):
        return (_ALWAYS[len(found)],)
    return None


def _allowed(found: list[str], key: str) -> bool:
    keys = _next_keys(found)
    if keys is not None:
        return key in keys
    # After the keys every record has: error, message (each only when set, in this
    # order), then the extra keys.
    if key == "error":
        return found[-1] == _ALWAYS[-1]
    if key == "message":
        return found[-1] in (_ALWAYS[-1], "error")
    return key not in RECORD_KEYS


def _key_could_be(found: list[str], cut: str) -> bool:
    keys = _next_keys(found)
    if keys is None:
        return True  # an extra key may be any string
    return any(json.dumps(key).startswith(cut) for key in keys)


def _value_could_be(found: list[str], key: str, cut: str) -> bool:
    """Whether ``cut`` (a value cut short) can start what the product writes for ``key``."""
    if not cut:
        return True
    if key == "action":
        choices: tuple[str, ...] = _ACTIONS
    elif key == "status":
        choices = tuple(_STATUSES) if found else (COVERAGE,)
    elif key in ("at", "since"):
        return cut.startswith('"') and all(c in "0123456789-T:.Z" for c in cut[1:])
    elif key == "phone_number":
        return "null".startswith(cut) or (
            cut.startswith('"') and all(c in "+0123456789" for c in cut[1:])
        )
    else:
        return True  # any JSON value cut short; the scanner checked its layout
    return any(json.dumps(choice).startswith(cut) for choice in choices)


def _value_ok(found: list[str], key: str, value: object) -> bool:
    """Whether a complete value is one the product writes for ``key``."""
    if key == "action":
        return value in _ACTIONS
    if key == "status":
        return value in _STATUSES if found else value == COVERAGE
    if key in ("at", "since"):
        return _time_problem(key, value) is None
    if key == "phone_number":
        return value is None or (isinstance(value, str) and bool(E164_PATTERN.match(value)))
    if key in OPTIONAL_TEXT or key == "source":
        return value is None or isinstance(value, str)
    if key == "scope":
        return value is None or _is_scope(value)
    return True


def is_cut_record(fragment: str) -> bool:
    """Whether ``fragment`` is the start, cut short, of a line this product writes.

    Only an append cut short by a crash may be set aside; a complete line, or
    anything that leaves the product's layout, is not cut.
    """
    scanner = _Scanner(fragment)
    try:
        scanner.members(top=True)
    except _Cut:
        return True
    except ValueError:
        return False
    return False
