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

from reconciler.core.errors import LedgerFileError
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


def _set_aside(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in Path(f"{path}.torn").read_text().splitlines()]


def test_a_short_write_is_an_error_and_the_next_append_sets_the_cut_line_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(GOOD)
    ledger = FileLedger(path, clock=lambda: T0)
    real = os.write
    cut = record("done", number="+12065550111").to_line()[:40]
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", lambda fd, data: real(fd, data[:40]))  # a full disk
        with pytest.raises(LedgerWriteError, match=r"wrote only 40 of .* it is NOT recorded"):
            ledger.append(record("done", number="+12065550111"))
    assert (
        FileLedger(path).read().warnings[0].startswith(f"{path}:2: the last line is a record cut")
    )
    ledger.append(record("done", number="+12065550122"))
    history = ledger.read()
    assert [e.phone_number for e in history.events] == ["+12065550100", "+12065550122"]
    assert history.warnings == ()
    assert path.read_bytes() == GOOD.encode() + record("done", number="+12065550122").to_line()
    assert [entry["text"] for entry in _set_aside(path)] == [cut.decode()]


def test_a_cut_last_line_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(GOOD.encode() + record().to_line()[:30])
    history = FileLedger(path).read()
    assert len(history.events) == 1
    assert history.warnings == (
        f"{path}:2: the last line is a record cut short (no newline), as a crash mid-append "
        "leaves; it never completed and is not counted (a release's intent is written whole "
        "before the release starts, and that intent counts). The next append of this tool "
        f"sets it aside (a file ledger: into {path}.torn)",
    )


def test_an_append_moves_a_cut_line_to_the_torn_file_and_never_deletes_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.jsonl"
    cut = record("done", number="+12065550111").to_line()[:50]
    path.write_bytes(GOOD.encode() + cut)
    ledger = FileLedger(path, clock=lambda: T0)
    ledger.append(record("intent"))
    ledger.append(record("done"))

    assert path.read_bytes() == GOOD.encode() + record("intent").to_line() + record().to_line()
    assert _set_aside(path) == [
        {
            "ledger": str(path),
            "line": 2,
            "moved_at": "2026-06-01T12:00:00Z",
            "text": cut.decode(),
            "why": "a record cut short by a crash mid-append (no newline); never counted",
        }
    ]
    assert ledger.notices == (
        f"{path}:2: the last line was a record cut short (50 bytes, as a crash mid-append "
        f"leaves; never counted); moved it to {path}.torn before appending",
    )
    history = ledger.read()
    assert [e.phone_number for e in history.events] == ["+12065550100", "+12065550199"]
    assert history.warnings == ()

    # A second crash: its line joins the first in the torn file, which only grows.
    with open(path, "ab") as handle:
        handle.write(b'{"action": "claim", "phone_nu')
    ledger.append(record("done", number="+12065550133"))
    assert [e["text"] for e in _set_aside(path)] == [cut.decode(), '{"action": "claim", "phone_nu']
    assert [r.get("status") for r in ledger.records()] == [None, "intent", "done", "done"]


def test_a_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(GOOD.rstrip("\n"))  # hand-edited, or cut just before the newline
    ledger = FileLedger(path)
    ledger.append(record())
    history = ledger.read()
    assert len(history.events) == 2 and history.warnings == ()
    assert path.read_bytes() == GOOD.encode() + record().to_line()
    assert not Path(f"{path}.torn").exists()


@pytest.mark.parametrize(
    "last",
    [
        GOOD.rstrip("\n") + ",",  # a hand-written line with a trailing comma
        '{"action":"release","phone_number":"+12065550100"',  # not the product's layout
        '{"action": "release", "phone_number": "+12065550100", "at": "2026-05-01T12:00:00Z", '
        '"status": "Do',  # no status this tool writes starts so
        '{"status": "done"',  # an action record starts with its action
    ],
)
def test_a_last_line_that_is_not_a_cut_record_is_an_error_and_blocks_appends(
    tmp_path: Path, last: str
) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(GOOD + last)
    ledger = FileLedger(path)
    with pytest.raises(LedgerFileError, match=rf"^{path}:2: not valid JSON .* correct the line"):
        ledger.read()
    with pytest.raises(LedgerFileError, match=rf"^{path}:2: .* is NOT recorded. Correct the line"):
        ledger.append(record())
    assert path.read_text() == GOOD + last  # untouched: nothing appended, nothing moved
    assert not Path(f"{path}.torn").exists()


def test_a_cut_line_closed_by_an_earlier_versions_repair_record_is_a_warning() -> None:
    repair = (
        '{"status": "repair", "repair": "torn_line", "line": 2, "at": "2026-06-01T12:00:00Z"}\n'
    )
    cut = record().to_line()[:60].decode() + "\n"
    history = parse_history([GOOD, cut, repair, GOOD], "l")
    assert len(history.events) == 2
    assert history.warnings[0].startswith(
        "l:2: a record cut short by a crash, closed by the repair"
    )
    with pytest.raises(LedgerFileError, match="l:2: not valid JSON"):
        parse_history([GOOD, GOOD.rstrip("\n") + ",\n", repair], "l")


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
