"""Reading the JSON Lines history (ledger.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.core.errors import LedgerFileError
from reconciler.core.model import Action
from reconciler.ledger import parse_history, read_history

GOOD = '{"action": "release", "phone_number": "+12065550199", "at": "2026-06-01T12:00:00Z"}\n'


def test_reads_events_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_text(
        GOOD
        + "\n"
        + '{"action": "claim", "phone_number": "+12065550100", "at": "2026-06-02T14:00:00+02:00",'
        ' "status": "done", "plan_id": "p1"}\n'
    )
    history = read_history(path)
    assert [(e.action, e.phone_number, e.at) for e in history.events] == [
        (Action.RELEASE, "+12065550199", datetime(2026, 6, 1, 12, tzinfo=UTC)),
        (Action.CLAIM, "+12065550100", datetime(2026, 6, 2, 12, tzinfo=UTC)),
    ]
    assert history.warnings == ()


def test_records_that_are_not_done_are_not_counted() -> None:
    intent = (
        '{"action": "release", "phone_number": "+12065550199", "at": "2026-06-01T12:00:00Z",'
        ' "status": "intent"}\n'
    )
    assert parse_history([intent, GOOD], "l").events[0].phone_number == "+12065550199"
    assert len(parse_history([intent], "l").events) == 0


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("not json\n", "ledger.jsonl:2: not valid JSON"),
        ("[1, 2]\n", "ledger.jsonl:2: expected a JSON object"),
        (
            '{"action": "port", "phone_number": "+12065550100", "at": "2026-06-01T00:00:00Z"}\n',
            "ledger.jsonl:2: action 'port': expected 'claim' or 'release'",
        ),
        (
            '{"action": "claim", "phone_number": "2065550100", "at": "2026-06-01T00:00:00Z"}\n',
            "ledger.jsonl:2: phone_number '2065550100': expected an E.164 number",
        ),
        (
            '{"action": "claim", "phone_number": "+12065550100", "at": "2026-06-01T00:00:00"}\n',
            "the time has no timezone",
        ),
        (
            '{"action": "claim", "phone_number": "+12065550100", "at": 17}\n',
            "expected an ISO 8601 string",
        ),
        ('{"action": "claim", "phone_number": "+12065550100"}\n', "at None"),
    ],
)
def test_bad_lines_are_errors_with_file_and_line(line: str, fragment: str) -> None:
    with pytest.raises(LedgerFileError) as info:
        parse_history([GOOD, line, GOOD], "ledger.jsonl")
    assert fragment in str(info.value)


def test_a_torn_last_line_is_reported_not_dropped_silently(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_text(GOOD + '{"action": "release", "phone_nu')
    history = read_history(path)
    assert len(history.events) == 1
    assert len(history.warnings) == 1
    assert f"{path}:2: the last line is a record cut short" in history.warnings[0]


def test_a_torn_line_in_the_middle_is_an_error() -> None:
    with pytest.raises(LedgerFileError, match=":2: not valid JSON"):
        parse_history([GOOD, '{"action": "rel\n', GOOD], "l")


def test_a_missing_ledger_is_an_error_not_an_empty_history(tmp_path: Path) -> None:
    with pytest.raises(LedgerFileError, match="does not exist; a missing history would undercount"):
        read_history(tmp_path / "nope.jsonl")


def test_non_utf8_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b"\xff\xfe\n")
    with pytest.raises(LedgerFileError, match="is not UTF-8"):
        read_history(path)
