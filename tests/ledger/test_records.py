"""LedgerRecord, the file format, what is counted, and open_ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reconciler.app.ledgers import open_ledger
from reconciler.core.errors import InputError, LedgerFileError
from reconciler.core.model import Action, HistoryEvent
from reconciler.ledger import (
    FileLedger,
    History,
    Ledger,
    LedgerRecord,
    QuotaRaceError,
    UnsupportedLedgerError,
    format_time,
)

from .conftest import T0, record
from .lines import HAND, UNREADABLE

KEYS = [
    "action",
    "phone_number",
    "at",
    "status",
    "phone_number_id",
    "target_arn",
    "plan_id",
    "client_token",
]


def test_the_line_on_disk_has_the_documented_keys_in_order() -> None:
    line = record("intent").to_line()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    data = json.loads(line)
    assert list(data) == KEYS
    assert data["at"] == "2026-06-01T12:00:00Z"
    assert data["action"] == "release" and data["status"] == "intent"


def test_a_failure_carries_its_error_and_extra_keys_follow() -> None:
    failed = record("failed", error="ResourceInUseException", message="in use", extra={"try": 3})
    assert list(failed.to_dict()) == [*KEYS, "error", "message", "try"]


def test_lines_are_ascii_so_a_torn_write_cannot_split_a_character() -> None:
    line = record("failed", error="refusé ☎", extra={"note": "ünïcode"}).to_line()
    assert line.isascii()
    assert json.loads(line)["error"] == "refusé ☎"


def test_time_keeps_microseconds_only_when_set() -> None:
    assert format_time(T0) == "2026-06-01T12:00:00Z"
    assert format_time(T0 + timedelta(microseconds=5)) == "2026-06-01T12:00:00.000005Z"
    assert format_time(datetime(7, 1, 2, tzinfo=UTC)) == "0007-01-02T00:00:00Z"


def test_action_may_be_given_as_text() -> None:
    assert LedgerRecord(
        action="claim", phone_number="+12065550100", at=T0, status="done"
    ).action is (Action.CLAIM)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"action": "port"}, "action 'port': expected 'claim' or 'release'"),
        ({"phone_number": "2065550100"}, "phone_number '2065550100'"),
        ({"at": datetime(2026, 6, 1)}, "timezone-aware UTC"),
        ({"at": datetime(2026, 6, 1, tzinfo=timezone(timedelta(hours=2)))}, "UTC"),
        ({"status": ""}, "non-empty string"),
        ({"status": "repair"}, "reserved"),
        ({"plan_id": 7}, "plan_id 7: expected a string"),
        ({"extra": {"status": "done"}}, "clash with record keys"),
        ({"extra": {"x": object()}}, "extra is not JSON"),
        ({"extra": {"x": float("nan")}}, "extra is not JSON"),
    ],
)
def test_records_validate_themselves(change: dict[str, object], fragment: str) -> None:
    fields: dict[str, object] = {
        "action": "release",
        "phone_number": "+12065550100",
        "at": T0,
        "status": "done",
        **change,
    }
    with pytest.raises(ValueError, match=fragment):
        LedgerRecord(**fields)  # type: ignore[arg-type]


def test_extra_is_copied_and_frozen() -> None:
    extra: dict[str, object] = {"flows": ["a"]}
    done = record(extra=extra)
    extra["flows"] = ["b"]
    assert done.extra == {"flows": ["a"]}
    with pytest.raises(TypeError):
        done.extra["x"] = 1  # type: ignore[index]


def test_from_dict_reads_hand_written_history_as_done() -> None:
    parsed = LedgerRecord.from_dict(
        {"action": "claim", "phone_number": "+12065550100", "at": "2026-06-01T14:00:00+02:00"}
    )
    assert parsed.status == "done" and parsed.counted
    assert parsed.at == T0
    with pytest.raises(ValueError, match="at None"):
        LedgerRecord.from_dict({"action": "claim", "phone_number": "+12065550100"})


def test_round_trip_of_records(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "h.jsonl", must_exist=False)
    written = [
        record("intent"),
        record("done", extra={"flows": ["arn:flow/1"]}),
        record("failed", number="+12065550100", error="Throttled", message="gave up"),
        record("skipped", number="+12065550101", message="status IN_PROGRESS"),
    ]
    for item in written:
        ledger.append(item)
    raw = ledger.records()
    assert raw == [item.to_dict() for item in written]
    assert [LedgerRecord.from_dict(item) for item in raw] == written


def test_only_done_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(
        '{"action": "claim", "phone_number": "+12065550100", "at": "2026-05-01T12:00:00Z"}\n'
    )
    ledger = FileLedger(path)
    for status in ("failed", "skipped", "done"):
        ledger.append(record(status, number="+12065550199"))
    assert ledger.read().events == (
        HistoryEvent(action=Action.CLAIM, phone_number="+12065550100", at=T0 - timedelta(days=31)),
        # The record names its target: it counts against that account and region.
        HistoryEvent(
            action=Action.RELEASE,
            phone_number="+12065550199",
            at=T0,
            scope="111122223333/us-east-1",
        ),
    )
    assert len(ledger.records()) == 4


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        *UNREADABLE,
        (HAND + ', "status": null}', "status None: not a status this tool knows"),
        (HAND + ', "status": "repaired"}', "status 'repaired'"),
        (HAND.replace('"release"', '"Release"') + "}", "action 'Release': expected"),
        (HAND.replace('"release"', "1") + "}", "action 1: expected 'claim' or 'release'"),
        (
            HAND.replace("2026-05-01T12:00:00Z", "0001-01-01T00:00:00+01:00") + "}",
            "out of range; expected a time between 2000-01-01 and 2999-12-31",
        ),
        (HAND.replace("2026-05-01T12:00:00Z", "1926-05-01T12:00:00Z") + "}", "out of range"),
        (HAND + ', "plan_id": 7}', "plan_id 7: expected a string or null"),
        (HAND + ', "scope": "us-east-1"}', "scope 'us-east-1': expected ACCOUNT/REGION"),
        (
            '{"status": "coverage", "since": "soon", "source": "x", "at": "2026-05-01T12:00:00Z"}',
            "since 'soon'",
        ),
    ],
)
def test_a_value_the_product_does_not_know_is_an_error_naming_file_and_line(
    tmp_path: Path, line: str, fragment: str
) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(HAND + "}\n" + line + "\n" + HAND + "}\n")
    ledger = FileLedger(path)
    for call in (ledger.read, ledger.records):
        with pytest.raises(LedgerFileError) as info:
            call()
        assert str(info.value).startswith(f"{path}:2: ")
        assert fragment in str(info.value)
        assert str(info.value).endswith(
            "Nothing is counted from a line this tool cannot read; correct the line, then run again"
        )


def test_the_product_writes_only_what_it_reads_back() -> None:
    with pytest.raises(ValueError, match="status 'Done': expected one of intent, done"):
        record("Done")
    with pytest.raises(ValueError, match="out of range"):
        LedgerRecord(
            action="release",
            phone_number="+12065550100",
            at=datetime.max.replace(tzinfo=UTC),
            status="done",
        )
    with pytest.raises(ValueError, match="scope 5"):
        record(extra={"scope": 5})


def test_intent_then_done(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "h.jsonl", must_exist=False)
    ledger.append(record("intent"))
    # An intent alone may have happened (a crash before its outcome was written):
    # it counts, with a warning, until a later record settles it.
    pending = ledger.read()
    assert [e.phone_number for e in pending.events] == ["+12065550199"]
    assert "outcome is not recorded" in pending.warnings[0]
    ledger.append(record("done"))
    assert [e.phone_number for e in ledger.read().events] == ["+12065550199"]
    assert ledger.read().warnings == ()
    assert [r["status"] for r in ledger.records()] == ["intent", "done"]


def test_a_missing_file_is_an_error_for_a_plan(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "nope.jsonl")
    assert not ledger.exists()
    for call in (ledger.read, ledger.records):
        with pytest.raises(LedgerFileError, match="does not exist; a missing history would under"):
            call()
    assert not ledger.exists()


def test_a_missing_file_is_an_empty_history_when_allowed(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "new.jsonl", must_exist=False)
    history = ledger.read()
    assert history.events == ()
    assert history.warnings == (
        f"{tmp_path / 'new.jsonl'}: does not exist yet; starting a new, empty history",
    )
    assert ledger.records() == []


def test_append_starts_a_new_history_and_says_so(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "new.jsonl")
    ledger.append(record())
    assert ledger.exists()
    assert ledger.notices == (
        f"{tmp_path / 'new.jsonl'}: did not exist; created it, starting a new, empty history",
    )
    assert len(ledger.read().events) == 1


def test_append_into_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(LedgerFileError, match=r"cannot create: the directory .* does not exist"):
        FileLedger(tmp_path / "no" / "h.jsonl").append(record())


def test_read_history_and_file_ledger_agree(tmp_path: Path) -> None:
    from reconciler.ledger import read_history

    ledger = FileLedger(tmp_path / "h.jsonl", must_exist=False)
    ledger.append(record("intent"))
    ledger.append(record("done"))
    assert read_history(ledger.path) == ledger.read()


def test_open_ledger_gives_a_file_ledger(tmp_path: Path) -> None:
    path = str(tmp_path / "h.jsonl")
    ledger = open_ledger(path)
    assert isinstance(ledger, FileLedger) and isinstance(ledger, Ledger)
    assert ledger.source == path and ledger.must_exist
    assert not open_ledger(path, must_exist=False).must_exist  # type: ignore[attr-defined]
    assert open_ledger(f"file://{path}").source == path


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("s3://bucket", "expected s3://BUCKET/KEY"),
        ("https://example.com/h", "unknown kind of ledger https://"),
        ("", "expected a path"),
    ],
)
def test_open_ledger_refuses_what_it_cannot_store(spec: str, fragment: str) -> None:
    with pytest.raises(UnsupportedLedgerError, match=fragment) as info:
        open_ledger(spec)
    assert isinstance(info.value, InputError)


def test_a_guard_is_checked_on_the_file_unless_the_apply_lock_is_held(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "h.jsonl", must_exist=False)
    ledger.append(record("done"))
    seen: list[int] = []

    def full(history: History) -> str | None:
        seen.append(len(history.events))
        return "1 of 1 used"

    with pytest.raises(QuotaRaceError, match="1 of 1 used"):
        ledger.append(record("intent", number="+12065550198"), guard=full)
    assert seen == [1] and len(ledger.records()) == 1
    with ledger.lock("apply"):  # every writer takes this lock: nothing changed since the check
        ledger.append(record("intent", number="+12065550198"), guard=full)
    assert seen == [1] and len(ledger.records()) == 2
