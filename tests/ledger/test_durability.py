"""Appends are single O_APPEND writes, fsynced; crashes mid-write are reported and repaired."""

from __future__ import annotations

import errno
import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from reconciler.errors import LedgerFileError
from reconciler.ledger import FileLedger, LedgerWriteError, parse_history

from .conftest import T0, python, record

GOOD = '{"action": "release", "phone_number": "+12065550100", "at": "2026-05-01T12:00:00Z"}\n'


class Call(NamedTuple):
    mode: int  # of the inode the descriptor refers to
    inode: int
    args: tuple[object, ...]


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Call]:
    """Record each call of os.<name>: which inode it was on, and its other arguments."""
    calls: list[Call] = []
    real: Callable[..., object] = getattr(os, name)

    def spy(fd: int, *args: object) -> object:
        info = os.fstat(fd)
        calls.append(Call(info.st_mode, info.st_ino, args))
        return real(fd, *args)

    monkeypatch.setattr(os, name, spy)
    return calls


def test_each_append_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(GOOD)
    fsyncs = _spy(monkeypatch, "fsync")
    ledger = FileLedger(path)
    ledger.append(record("intent"))
    ledger.append(record("done"))
    assert [(stat.S_ISREG(c.mode), c.inode) for c in fsyncs] == [(True, path.stat().st_ino)] * 2


def test_creating_the_file_fsyncs_its_directory_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs = _spy(monkeypatch, "fsync")
    ledger = FileLedger(tmp_path / "h.jsonl")
    ledger.append(record("intent"))
    ledger.append(record("done"))
    directories = [c.inode for c in fsyncs if stat.S_ISDIR(c.mode)]
    assert directories == [tmp_path.stat().st_ino]
    assert len(fsyncs) == 4  # the new file, its directory, then one per append


def test_each_append_is_one_write_of_the_whole_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(GOOD)
    writes = _spy(monkeypatch, "write")
    done = record("done", extra={"padding": "x" * 10_000})
    FileLedger(path).append(done)
    assert [(c.inode, c.args) for c in writes] == [(path.stat().st_ino, (done.to_line(),))]


def test_the_ledger_is_opened_for_append(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flags: list[int] = []
    real = os.open

    def spy(file: str, mode: int, *args: int, **kwargs: int) -> int:
        flags.append(mode)
        return real(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    path = tmp_path / "h.jsonl"
    path.write_text("")
    FileLedger(path).append(record())
    assert flags and all(mode & os.O_APPEND for mode in flags)


def test_a_failed_fsync_is_an_error_not_a_recorded_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text("")

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(
        LedgerWriteError,
        match=r"cannot append the done record of the release of "
        r"\+12065550199 \(Input/output error\); it is NOT recorded",
    ):
        FileLedger(path).append(record())


def test_a_short_write_is_an_error_and_the_next_append_closes_the_torn_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(GOOD)
    ledger = FileLedger(path)
    real = os.write
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", lambda fd, data: real(fd, data[:40]))  # a full disk
        with pytest.raises(LedgerWriteError, match=r"wrote only 40 of .* it is NOT recorded"):
            ledger.append(record("done", number="+12065550111"))
    ledger.append(record("done", number="+12065550122"))
    history = ledger.read()
    assert [e.phone_number for e in history.events] == ["+12065550100", "+12065550122"]
    assert len(history.warnings) == 1
    assert f"{path}:2: ignored a torn line" in history.warnings[0]
    assert "repair record on line 3" in history.warnings[0]


def test_a_torn_last_line_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(GOOD.encode() + record().to_line()[:30])
    history = FileLedger(path).read()
    assert len(history.events) == 1
    assert history.warnings == (
        f"{path}:2: ignored a torn last line (no newline, not valid JSON: Unterminated string "
        "starting at), as a crash mid-write leaves; check it and remove it",
    )


def test_an_append_after_a_torn_line_starts_on_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    torn = record("done", number="+12065550111").to_line()[:50]
    path.write_bytes(GOOD.encode() + torn)
    ledger = FileLedger(path, clock=lambda: T0)
    ledger.append(record("intent"))
    ledger.append(record("done"))

    lines = path.read_bytes().split(b"\n")
    assert lines[0] + b"\n" == GOOD.encode()
    assert lines[1] == torn  # left as it was, never glued to
    repair = json.loads(lines[2])
    assert repair == {
        "status": "repair",
        "repair": "torn_line",
        "line": 2,
        "bytes": 50,
        "at": "2026-06-01T12:00:00Z",
        "message": "line 2 had no newline (a crash mid-write); this record closes it",
    }
    assert lines[3] + b"\n" == record("intent").to_line()
    assert lines[4] + b"\n" == record("done").to_line()
    assert lines[5] == b""

    assert ledger.notices == (
        f"{path}:2: the last line had no newline (50 bytes, as a crash mid-write leaves) and is "
        "ignored from now on; closed it with a newline and a repair record on line 3 before "
        "appending",
    )
    history = ledger.read()  # a torn line followed by its repair record is a warning, forever
    assert [e.phone_number for e in history.events] == ["+12065550100", "+12065550199"]
    assert len(history.warnings) == 1 and "later append closed" in history.warnings[0]
    assert [r.get("status") for r in ledger.records()] == [None, "repair", "intent", "done"]


def test_a_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(GOOD.rstrip("\n"))  # hand-edited, or cut just before the newline
    ledger = FileLedger(path)
    ledger.append(record())
    history = ledger.read()
    assert len(history.events) == 2 and history.warnings == ()
    assert "is complete and kept" in ledger.notices[0]


def test_a_bad_line_in_the_middle_is_still_an_error() -> None:
    repair_elsewhere = '{"status": "repair", "repair": "torn_line"}\n'
    with pytest.raises(LedgerFileError, match=":2: not valid JSON"):
        parse_history([GOOD, '{"action": "rel\n', GOOD, repair_elsewhere], "l")


WRITER = """
import os, sys, time
from datetime import UTC, datetime
from reconciler.ledger import FileLedger, LedgerRecord
path, worker, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ledger = FileLedger(path)
while not os.path.exists(go):
    time.sleep(0.001)
for seq in range(count):
    ledger.append(LedgerRecord(
        action="release", phone_number=f"+1206{worker}{seq:05d}",
        at=datetime(2026, 6, 1, tzinfo=UTC), status="done",
        plan_id=f"plan-{worker}", extra={"worker": worker, "seq": seq, "pad": "x" * 300},
    ))
"""


def test_concurrent_appends_from_processes_never_interleave(
    tmp_path: Path, children: list[object]
) -> None:
    path, go = tmp_path / "h.jsonl", tmp_path / "go"
    workers, count = 4, 200
    procs = [python(WRITER, str(path), str(w), str(count), str(go)) for w in range(1, workers + 1)]
    children.extend(procs)
    time.sleep(0.3)  # let them all start, then release them together
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err

    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    lines = raw.split(b"\n")[:-1]
    assert len(lines) == workers * count
    seen = sorted((r["worker"], r["seq"]) for r in map(json.loads, lines))
    assert seen == [(w, s) for w in range(1, workers + 1) for s in range(count)]
    history = FileLedger(path).read()
    assert len(history.events) == workers * count and history.warnings == ()
    for w in range(1, workers + 1):  # each process's records stay in its own order
        mine = [r["seq"] for r in map(json.loads, lines) if r["worker"] == w]
        assert mine == list(range(count))
