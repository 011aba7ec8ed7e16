"""The history store behind ``--ledger``: a JSON Lines file of claims and releases.

One event per line: ``{"action": "release", "phone_number": "+12065550199",
"at": "2026-06-01T12:00:00Z", ...}``; more keys are allowed. A line whose
``status`` is present and is not ``done`` (an intent, a failure) is not a
completed action and is not counted. Every other bad line is an error naming
the file and the line: an undercounted history would let a plan breach the
quota, so nothing is silently dropped. The one exception is a torn last line
(a crash mid-write leaves no trailing newline): it is reported as a warning.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import LedgerFileError
from .model import E164_PATTERN, Action, HistoryEvent

__all__ = ["History", "parse_history", "parse_time", "read_history"]


@dataclass(frozen=True, kw_only=True, slots=True)
class History:
    events: tuple[HistoryEvent, ...]
    warnings: tuple[str, ...] = ()
    source: str | None = None


def parse_time(text: object) -> datetime:
    """ISO 8601 with a timezone (``Z`` or an offset), as UTC. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError("expected an ISO 8601 string")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("the time has no timezone; write it in UTC like 2026-06-01T12:00:00Z")
    return moment.astimezone(UTC)


def _event(record: object) -> tuple[HistoryEvent | None, str | None]:
    """The event of one record, or None if not a completed action; or an error text."""
    if not isinstance(record, dict):
        return None, "expected a JSON object"
    status = record.get("status")
    if status is not None and status != "done":
        return None, None
    try:
        action = Action(str(record.get("action")))
    except ValueError:
        return None, f"action {record.get('action')!r}: expected 'claim' or 'release'"
    number = record.get("phone_number")
    if not isinstance(number, str) or not E164_PATTERN.match(number):
        return None, f"phone_number {number!r}: expected an E.164 number like +12065550100"
    try:
        at = parse_time(record.get("at"))
    except ValueError as exc:
        return None, f"at {record.get('at')!r}: {exc}"
    return HistoryEvent(action=action, phone_number=number, at=at), None


def parse_history(lines: Iterable[str], source: str) -> History:
    """Parse JSON Lines text (each item one line, with its newline if it had one)."""
    text = list(lines)
    events: list[HistoryEvent] = []
    warnings: list[str] = []
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(text) and not line.endswith("\n"):
                warnings.append(
                    f"{source}:{number}: ignored a torn last line (no newline, not valid JSON: "
                    f"{exc.msg}), as a crash mid-write leaves; check it and remove it"
                )
                continue
            raise LedgerFileError(source, f"not valid JSON ({exc.msg})", line=number) from exc
        event, error = _event(record)
        if error is not None:
            raise LedgerFileError(source, error, line=number)
        if event is not None:
            events.append(event)
    return History(events=tuple(events), warnings=tuple(warnings), source=source)


def read_history(path: str | os.PathLike[str]) -> History:
    """Read a JSON Lines ledger file. A missing file is an error, not an empty history."""
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8", newline="\n") as handle:
            return parse_history(handle, source)
    except FileNotFoundError as exc:
        raise LedgerFileError(
            source,
            "does not exist; a missing history would undercount the quota. "
            f"To start a new history, create it empty (touch {source})",
        ) from exc
    except UnicodeDecodeError as exc:
        raise LedgerFileError(source, f"is not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise LedgerFileError(source, f"cannot read: {exc.strerror}") from exc
