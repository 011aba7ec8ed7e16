"""`plan --out`: output never clobbers input, through the real CLI against the emulator.

A plan is written atomically to a new or existing regular file only. The
ledger, the numbers file, the ledger's lock file (by any spelling: compared by
identity), a symbolic link, a read-only file and anything that is not a regular
file are refused with exit 1, a message naming the path and why, no AWS call
and the file untouched. These tests run as whatever user runs the suite (root
in CI containers, where permission bits alone would not stop a write).
"""

from __future__ import annotations

import json
import os
import shlex
import stat
from pathlib import Path
from typing import Any

import pytest

from .support import run
from .test_plan import NUMBERS


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """A numbers file and an empty ledger in a folder of their own."""
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(Path(NUMBERS).read_text())
    ledger = tmp_path / "history.jsonl"
    ledger.write_text("")
    return numbers, ledger


def plan_to(
    capsys: pytest.CaptureFixture[str], inputs: tuple[Path, Path], out: str | Path
) -> tuple[int, str, str]:
    numbers, ledger = inputs
    return run(
        capsys, "plan", "--numbers", str(numbers), "--ledger", str(ledger), "--out", str(out)
    )


def refused(
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    inputs: tuple[Path, Path],
    out: str | Path,
    why: str,
) -> str:
    emulator.reset_stats()
    code, stdout, err = plan_to(capsys, inputs, out)
    assert code == 1, stdout + err
    assert err.startswith(f"error: --out {out}: ") and why in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert stdout == ""
    assert emulator.stats()["total_calls"] == 0  # refused before any AWS call
    return err


def no_temporary_files(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_new_file_and_an_existing_regular_file_are_written(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    out = tmp_path / "plan.json"
    code, _, err = plan_to(capsys, inputs, out)
    assert code == 0, err
    first = json.loads(out.read_text())
    assert len(first["releases"]) == 4
    inode = out.stat().st_ino
    out.write_text("an older plan")
    code, _, err = plan_to(capsys, inputs, out)
    assert code == 0, err
    assert json.loads(out.read_text())["releases"] == first["releases"]
    assert out.stat().st_ino != inode  # replaced by a rename, never rewritten in place
    no_temporary_files(tmp_path)


def test_the_plan_keeps_the_mode_open_would_give_it(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    """Reviewers (a CI upload, another user) read the plan: a new file takes 0666 less the
    umask, an existing one keeps its mode, never the temporary file's 0600."""
    out = tmp_path / "plan.json"
    umask = os.umask(0o022)
    try:
        assert plan_to(capsys, inputs, out)[0] == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        out.chmod(0o640)
        assert plan_to(capsys, inputs, out)[0] == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


@pytest.mark.parametrize("out", ["", "folder/"])
def test_a_path_that_names_no_file_is_refused(
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    inputs: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    out: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    refused(emulator, capsys, inputs, out, "names no file")
    no_temporary_files(tmp_path)
    no_temporary_files(tmp_path.parent)


@pytest.mark.parametrize("spelling", ["plain", "dotdot", "hardlink"])
def test_the_ledger_is_refused_by_any_spelling(
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    inputs: tuple[Path, Path],
    spelling: str,
) -> None:
    _, ledger = inputs
    record = '{"action": "release", "phone_number": "+12065557000", "at": "2026-01-01T00:00:00Z"}\n'
    ledger.write_text(record)
    out: Path | str = ledger
    if spelling == "dotdot":
        (tmp_path / "sub").mkdir()
        out = f"{tmp_path}/sub/../{ledger.name}"
    elif spelling == "hardlink":
        out = tmp_path / "also-history.jsonl"
        os.link(ledger, out)
    refused(emulator, capsys, inputs, out, "is the ledger")
    assert ledger.read_text() == record  # the history is intact


def test_the_numbers_file_is_refused(
    emulator: Any, capsys: pytest.CaptureFixture[str], inputs: tuple[Path, Path]
) -> None:
    numbers, _ = inputs
    before = numbers.read_text()
    refused(emulator, capsys, inputs, numbers, "is the numbers file")
    assert numbers.read_text() == before


@pytest.mark.parametrize("exists", [True, False], ids=["exists", "not-yet"])
def test_the_ledger_lock_file_is_refused(
    emulator: Any, capsys: pytest.CaptureFixture[str], inputs: tuple[Path, Path], exists: bool
) -> None:
    _, ledger = inputs
    lock = Path(f"{ledger}.lock")
    if exists:
        lock.write_text("")
    refused(emulator, capsys, inputs, lock, "is the ledger's lock file")
    assert lock.exists() is exists


def test_a_symlink_is_refused_and_its_target_untouched(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    refused(emulator, capsys, inputs, link, "is a symbolic link")
    assert link.is_symlink() and target.read_text() == "keep me"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    refused(emulator, capsys, inputs, dangling, "is a symbolic link")
    assert not (tmp_path / "nowhere.json").exists()


def test_a_read_only_file_is_refused(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    out = tmp_path / "plan.json"
    out.write_text("reviewed")
    out.chmod(0o444)
    refused(emulator, capsys, inputs, out, "is read-only")
    assert out.read_text() == "reviewed"


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_a_path_that_is_not_a_regular_file_is_refused(
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    inputs: tuple[Path, Path],
    kind: str,
) -> None:
    if kind == "folder":
        out, why = tmp_path / "plans", "is a folder"
        out.mkdir()
    elif kind == "fifo":
        out, why = tmp_path / "pipe", "is a named pipe (FIFO)"
        os.mkfifo(out)
    else:
        out, why = Path("/dev/null"), "is a character device"
    refused(emulator, capsys, inputs, out, why)
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(out).st_mode)
    if kind == "device":
        assert stat.S_ISCHR(os.stat(out).st_mode)


def test_a_missing_folder_is_a_clear_error(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    missing = tmp_path / "no" / "such"
    err = refused(emulator, capsys, inputs, missing / "plan.json", "does not exist")
    assert f"mkdir -p {missing}" in err


def test_the_hint_is_the_exact_apply_command_and_it_works(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    numbers, ledger = inputs
    out = tmp_path / "plan.json"
    code, stdout, _ = plan_to(capsys, inputs, out)
    assert code == 0
    command = stdout.split("Apply exactly it with:\n  ", 1)[1].strip()
    assert command == f"connect-numbers apply {out} --numbers {numbers} --ledger {ledger}"
    code, stdout, err = run(capsys, *shlex.split(command)[1:])
    assert code == 0, err
    assert "Apply complete" in stdout and len(emulator.history()) == 4


def test_the_hint_goes_to_stderr_when_stdout_is_json(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    _, ledger = inputs
    out = tmp_path / "plan.json"
    code, stdout, err = run(
        capsys, "plan", "--numbers", NUMBERS, "--ledger", str(ledger), "--out", str(out),
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(stdout)["plan_id"] == json.loads(out.read_text())["plan_id"]
    assert f"connect-numbers apply {out} --numbers {NUMBERS} --ledger {ledger}" in err


def test_a_refused_plan_is_saved_for_the_record_with_no_apply_command(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    numbers, _ = inputs
    numbers.write_text(numbers.read_text().replace("max_releases: 10", "max_releases: 1"))
    out = tmp_path / "plan.json"
    code, stdout, _ = plan_to(capsys, inputs, out)
    assert code == 3 and json.loads(out.read_text())["refused"] is True
    assert f"Saved the refused plan to {out}, for the record: apply refuses it (exit 3)" in stdout
    assert f"connect-numbers apply {out}" not in stdout
