"""The apply lock: exclusive, fails fast naming the holder, freed when the holder dies."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from reconciler.core.errors import LedgerFileError
from reconciler.ledger import FileLedger, LedgerLockedError, LockHolder, default_owner

from .conftest import T0, python, record

FAST = 1.0  # seconds: "fails fast" means no waiting for the holder

HOLDER = """
import sys, time
from reconciler.ledger import FileLedger
with FileLedger(sys.argv[1]).lock("apply plan-7 by ana@ci"):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_the_lock_file_names_the_holder_while_held(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "h.jsonl", must_exist=False, clock=lambda: T0)
    with ledger.lock("apply plan-1 by ana@ci") as held:
        text = Path(ledger.lock_path).read_text()
        assert json.loads(text) == {
            "owner": "apply plan-1 by ana@ci",
            "pid": os.getpid(),
            "host": held.holder.host,
            "since": "2026-06-01T12:00:00Z",
            "thread": threading.current_thread().name,
        }
        assert held.lock_path == str(tmp_path / "h.jsonl.lock")
        assert ledger.exists()  # an apply starts a new history
    assert Path(ledger.lock_path).read_text() == ""  # no stale name once released
    with ledger.lock("apply plan-2 by ana@ci"):  # and it can be taken again
        pass


def test_a_second_ledger_in_the_same_process_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    with FileLedger(path, must_exist=False).lock("apply plan-1 by ana@ci"):
        started = time.monotonic()
        with pytest.raises(LedgerLockedError) as info, FileLedger(path).lock("apply plan-2"):
            pytest.fail("both hold the lock")
        assert time.monotonic() - started < FAST
    error = info.value
    assert error.same_process and error.holder is not None
    assert error.holder.owner == "apply plan-1 by ana@ci" and error.holder.pid == os.getpid()
    assert str(error).startswith(
        f"{path}: the ledger is locked by 'apply plan-1 by ana@ci' (pid {os.getpid()} on "
    )
    assert "in this same process, thread MainThread" in str(error)


def test_the_same_ledger_cannot_be_locked_twice(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "h.jsonl", must_exist=False)
    with ledger.lock("outer"), pytest.raises(LedgerLockedError), ledger.lock("inner"):
        pass


def test_an_error_inside_the_apply_releases_the_lock(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "h.jsonl", must_exist=False)
    with pytest.raises(RuntimeError), ledger.lock("apply"):
        raise RuntimeError("boom")
    with ledger.lock("apply again"):
        pass


def test_only_one_of_many_threads_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text("")
    threads = 8
    start, done = threading.Barrier(threads), threading.Barrier(threads)
    won: list[str] = []
    lost: list[LedgerLockedError] = []

    def contend(name: str) -> None:
        start.wait()
        try:
            with FileLedger(path).lock(name):
                won.append(name)
                done.wait(timeout=10)
                return
        except LedgerLockedError as exc:
            lost.append(exc)
        done.wait(timeout=10)

    workers = [threading.Thread(target=contend, args=(f"t{i}",)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=20)
    assert len(won) == 1 and len(lost) == threads - 1


def test_another_process_holds_it_then_dies(
    tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    path = tmp_path / "h.jsonl"
    holder = python(HOLDER, str(path))
    children.append(holder)
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n", holder.stderr

    started = time.monotonic()
    with pytest.raises(LedgerLockedError) as info, FileLedger(path).lock("apply plan-8"):
        pytest.fail("both hold the lock")
    assert time.monotonic() - started < FAST
    message = str(info.value)
    assert f"locked by another apply: 'apply plan-7 by ana@ci' (pid {holder.pid} on " in message
    assert "since 20" in message
    assert "Wait for it to finish; if that process is gone, the lock frees itself" in message
    assert message.endswith(f"Lock file: {path}.lock")
    assert info.value.holder is not None and info.value.holder.pid == holder.pid
    assert not info.value.same_process

    holder.send_signal(signal.SIGKILL)  # no cleanup, no finally: the kernel frees the flock
    holder.wait(timeout=10)
    ledger = FileLedger(path)
    with ledger.lock("apply plan-8") as held:
        assert held.holder.pid == os.getpid()
        assert json.loads(Path(ledger.lock_path).read_text())["owner"] == "apply plan-8"
        ledger.append(record())
    assert len(ledger.read().events) == 1


def test_a_holder_that_has_not_named_itself_yet(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text("")
    # A foreign open file description holding the flock with an empty lock file:
    # what a contender sees in the instant between the holder's flock and write.
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.monotonic()
        locker = FileLedger(path)
        with (
            pytest.raises(LedgerLockedError, match="has not written its name into"),
            locker.lock("a"),
        ):
            pass
        assert time.monotonic() - started < FAST
    finally:
        os.close(fd)


def test_a_lock_file_written_by_hand_is_shown_as_it_is() -> None:
    assert LockHolder.parse("") is None
    assert LockHolder.parse("  \n") is None
    assert LockHolder.parse("ana, deploying\n") == LockHolder(owner="ana, deploying")
    assert LockHolder.parse('{"owner": "x", "pid": "7"}') == LockHolder(owner="x")


def test_a_lock_in_a_missing_directory(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "no" / "h.jsonl", must_exist=False)
    with (
        pytest.raises(LedgerFileError, match="cannot open the ledger's lock file"),
        ledger.lock("a"),
    ):
        pass


def test_the_owner_must_be_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="non-empty"), FileLedger(tmp_path / "h").lock(" "):
        pass
    assert default_owner("apply plan-1").startswith("apply plan-1 by ")


def test_a_ledger_lock_file_in_the_repository_is_ignored_by_git() -> None:
    """The lock file names a running apply: committing it would only mislead."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    ledger = FileLedger(root / "history.jsonl", must_exist=False)

    def ignored(path: str) -> bool:
        done = subprocess.run([git, "check-ignore", "-q", path], cwd=root, check=False)
        return done.returncode == 0

    assert ignored(os.path.relpath(ledger.lock_path, root))
    assert ignored("prod/ledger.jsonl.lock")
    assert not ignored("history.jsonl") and not ignored(os.path.relpath(ledger.torn_path, root))
