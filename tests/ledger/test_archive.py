"""Moving old records into archives changes nothing a reader sees (ledger_archive).

Over random ledgers (intents, outcomes of every kind, hand-written and
imported lines out of time order, coverage records, intents left unsettled by
a crash) and random windows: after one or several moves, the live text and its
archives read as the original text reads: the same events, the same coverage,
the same intents still counting, and for each client token and number id the
same records in the same order. An intent that still counts never moves.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.core import intents
from reconciler.core.errors import LedgerFileError
from reconciler.ledger import Archived, History, coverage_record, parse_history, records_of
from reconciler.ledger import archive as ledger_archive
from reconciler.ledger.archive import check_archive, plan_compaction, pointers
from reconciler.ledger.records import format_time

T0 = datetime(2024, 1, 1, tzinfo=UTC)
TARGET = "arn:aws:connect:us-east-1:111122223333:instance/i-1"


def line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=True) + "\n"


def action(status: str | None, at: datetime, number: int, token: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "action": "release",
        "phone_number": f"+1206555{number:04d}",
        "at": format_time(at),
    }
    if status is None:  # hand-written or imported history: a completed action
        record["phone_number_id"] = f"pn-{number}"
        return record
    record.update(
        status=status,
        phone_number_id=f"pn-{number}",
        target_arn=TARGET,
        plan_id=f"plan-{token}",
        client_token=token,
    )
    return record


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[str], datetime]:
    """A ledger's lines as applies, imports and hand edits write them, and the time now."""
    lines = [line(coverage_record(T0, source="created", at=T0))]
    now = T0
    for _ in range(draw(st.integers(1, 40))):
        now += timedelta(hours=draw(st.integers(0, 24 * 40)))
        number = draw(st.integers(0, 12))
        token = f"tok-{draw(st.integers(0, 8))}"
        kind = draw(
            st.sampled_from(
                ["release", "release", "crash", "failed", "skipped", "unknown", "hand", "import"]
            )
        )
        if kind == "release":
            lines.append(line(action("intent", now, number, token)))
            lines.append(line(action("done", now, number, token)))
        elif kind == "crash":  # an intent whose outcome never came
            lines.append(line(action("intent", now, number, token)))
        elif kind in ("failed", "skipped", "unknown"):
            lines.append(line(action("intent", now, number, token)))
            lines.append(line(action(kind, now, number, token)))
        elif kind == "hand":
            lines.append(line(action(None, now, number, None)))
        else:  # CloudTrail: up to 90 days back, appended now; with a coverage record
            back = now - timedelta(days=draw(st.integers(0, 90)))
            lines.append(line(action("done", back, number, f"ct-{draw(st.integers(0, 3))}")))
            lines.append(line(coverage_record(back, source="cloudtrail", at=now)))
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append("\n")  # a blank line, as hand edits leave
    return lines, now + timedelta(days=draw(st.integers(0, 400)))


def _read(live: list[str], archives: dict[str, bytes]) -> tuple[History, list[dict[str, Any]]]:
    """The history and records of a live text and its archives, as a ledger reads them."""
    read = []
    for number, pointer in pointers(live, "live"):
        data = archives.get(pointer["archive"])
        read.append(Archived.read(check_archive(pointer, data, "a", "live", number), "a"))
    return parse_history(live, "live", read), records_of(live, "live", read)


def _events(history: History) -> Counter[tuple[Any, ...]]:
    return Counter((e.action, e.phone_number, e.at, e.scope) for e in history.events)


def _by_key(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for record in records:
        for key in ("client_token", "phone_number_id"):
            if record.get(key):
                found.setdefault((key, record[key]), []).append(json.dumps(record))
    return found


def _assert_reads_alike(original: list[str], live: list[str], archives: dict[str, bytes]) -> None:
    expected = parse_history(original, "live")
    expected_records = records_of(original, "live")
    history, records = _read(live, archives)
    assert _events(history) == _events(expected)
    assert history.tracking_since == expected.tracking_since
    # The same intents still count: each says so in one warning.
    assert len(history.warnings) == len(expected.warnings)
    assert Counter(map(json.dumps, records)) == Counter(map(json.dumps, expected_records))
    assert _by_key(records) == _by_key(expected_records)
    counting = [records[i] for i in intents.unsettled(records)]
    assert Counter(map(json.dumps, counting)) == Counter(
        json.dumps(expected_records[i]) for i in intents.unsettled(expected_records)
    )


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(ledgers(), st.integers(1, 400), st.integers(0, 4000))
def test_a_move_changes_nothing_a_reader_sees(
    drawn: tuple[list[str], datetime], keep_days: int, min_bytes: int
) -> None:
    original, now = drawn
    body = "".join(original).encode()
    move = plan_compaction(body, now=now, keep=timedelta(days=keep_days), min_bytes=min_bytes)
    if move is None:
        return
    live = move.live.decode().splitlines(keepends=True)
    archives = {move.name: move.archive}
    _assert_reads_alike(original, live, archives)
    # What moved is older than the window kept, and no intent that counts moved.
    moved = [json.loads(each) for each in move.archive.decode().splitlines()]
    assert len(moved) == move.moved and sum(map(len, move.archive.splitlines())) > 0
    cutoff = now - timedelta(days=keep_days)
    assert all(datetime.fromisoformat(r["at"]) < cutoff for r in moved)
    # Read back, the moved records come first: none of them is an intent that counts.
    merged = _read(live, archives)[1]
    assert all(index >= move.moved for index in intents.unsettled(merged))
    assert move.name.endswith(hashlib.sha256(move.archive).hexdigest()[:16] + ".jsonl")
    assert json.loads(live[0])["status"] == "archive"


@PROPERTY
@given(st.lists(ledgers(), min_size=2, max_size=4), st.integers(20, 200))
def test_moves_after_moves_change_nothing_a_reader_sees(
    parts: list[tuple[list[str], datetime]], keep_days: int
) -> None:
    """A ledger grows, moves, grows on: every reading equals the whole text's."""
    original: list[str] = []
    live: list[str] = []
    archives: dict[str, bytes] = {}
    offset = timedelta(0)
    for lines, now in parts:
        shifted = [_shift(each, offset) for each in lines]
        offset += now - T0 + timedelta(days=1)
        original += shifted
        live += shifted
        move = plan_compaction(
            "".join(live).encode(), now=T0 + offset, keep=timedelta(days=keep_days), min_bytes=0
        )
        if move is not None:
            archives[move.name] = move.archive
            live = move.live.decode().splitlines(keepends=True)
        _assert_reads_alike(original, live, archives)


def _shift(text: str, by: timedelta) -> str:
    if not text.strip():
        return text
    record = json.loads(text)
    for key in ("at", "since"):
        if key in record:
            moved = datetime.fromisoformat(record[key]) + by
            record[key] = format_time(moved.astimezone(UTC))
    return line(record)


def test_an_intent_that_still_counts_stays_with_everything_tied_to_it() -> None:
    old = T0
    lines = [
        line(action("intent", old, 1, "tok-a")),  # crashed: still counts
        line(action("unknown", old, 1, "tok-a")),  # answers it without settling it
        line(action("intent", old, 2, "tok-b")),
        line(action("done", old, 2, "tok-b")),  # settled: moves
        line(action(None, old, 3, None)),
    ]
    now = T0 + timedelta(days=400)
    move = plan_compaction("".join(lines).encode(), now=now, min_bytes=0)
    assert move is not None and move.moved == 3
    live = move.live.decode().splitlines(keepends=True)
    assert live[1:] == lines[:2]
    history, _ = _read(live, {move.name: move.archive})
    assert len(history.warnings) == 1 and "was started but its outcome" in history.warnings[0]


def test_nothing_moves_before_enough_is_due() -> None:
    lines = [line(action(None, T0 + timedelta(minutes=i), i % 9000, None)) for i in range(100)]
    body = "".join(lines).encode()
    now = T0 + timedelta(days=365)
    assert plan_compaction(body, now=now, min_bytes=len(body) + 1) is None
    assert plan_compaction(body, now=now, min_bytes=len(body)) is not None
    assert plan_compaction(body, now=T0 + timedelta(days=100), min_bytes=0) is None  # all recent


@pytest.mark.parametrize(
    "bad",
    ["{not json\n", '{"action": "release", "status": "done", "status": "failed"}\n', "[1]\n"],
)
def test_a_text_the_reader_refuses_is_never_moved(bad: str) -> None:
    lines = [line(action(None, T0, 1, None)), bad, line(action(None, T0, 2, None))]
    assert (
        plan_compaction("".join(lines).encode(), now=T0 + timedelta(days=999), min_bytes=0) is None
    )
    assert plan_compaction(b'{"a": 1}', now=T0, min_bytes=0) is None  # no final newline


def test_a_missing_or_altered_archive_is_an_error_naming_the_line_that_names_it() -> None:
    lines = [line(action(None, T0, i, None)) for i in range(5)]
    move = plan_compaction("".join(lines).encode(), now=T0 + timedelta(days=999), min_bytes=0)
    assert move is not None
    live = move.live.decode().splitlines(keepends=True)
    with pytest.raises(LedgerFileError, match="is missing; the archive named on line 1 of live"):
        _read(live, {})
    with pytest.raises(LedgerFileError, match="SHA-256 differs"):
        _read(live, {move.name: move.archive.replace(b"5550001", b"5550009")})
    # A reader that does not open archives refuses the text, never undercounts it.
    with pytest.raises(LedgerFileError, match="names an archive of older records"):
        parse_history(live, "live")


def test_an_archive_record_the_reader_cannot_read_is_an_error() -> None:
    pointer = {
        "status": "archive",
        "archive": "../../etc/passwd",
        "records": 1,
        "sha256": "0" * 64,
        "first_at": format_time(T0),
        "last_at": format_time(T0),
        "at": format_time(T0),
    }
    with pytest.raises(LedgerFileError, match="expected an archive name"):
        pointers([line(pointer)], "live")


def test_the_archive_location_is_beside_the_ledger() -> None:
    assert (
        ledger_archive.archive_location("team/h.jsonl", "x.jsonl") == "team/h.jsonl.archive/x.jsonl"
    )


def test_when_nothing_is_due_only_the_first_lines_are_looked_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every append asks; a window full of recent records must not be parsed each time."""
    now = T0 + timedelta(days=1)
    recent = [line(action(None, now, i % 9000, None)) for i in range(3000)]
    monkeypatch.setattr(ledger_archive, "_record", lambda text: pytest.fail("parsed"))
    assert plan_compaction("".join(recent).encode(), now=now, min_bytes=0) is None
    # Old lines, but fewer bytes than due: the look stops at the first recent line.
    old = [line(action(None, T0 - timedelta(days=999), 1, None))] * 3
    body = "".join(old + recent).encode()
    assert plan_compaction(body, now=now, min_bytes=10_000) is None
