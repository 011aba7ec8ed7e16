"""`connect-numbers init`: adopt an existing account with zero releases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.desired import load_desired

from .support import run

TARGET = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_init_then_plan_releases_nothing(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    code, out, _ = run(capsys, "init", "--target", TARGET, "--out", str(path))
    assert code == 0 and "8 number(s) kept on 1 target(s)" in out
    state = load_desired(path)
    assert state.quota.auto and state.quota.phone_numbers == 8
    descriptions = {n.phone_number: n.description for n in state.numbers}
    assert descriptions["+12065550150"] == "Old promo line"
    code, out, _ = run(capsys, "plan", "--numbers", str(path), "--detailed-exitcode")
    assert code == 0, out
    assert "Release: nothing." in out


def test_init_refuses_to_overwrite_without_force(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text("keep me")
    code, _, err = run(capsys, "init", "--target", TARGET, "--out", str(path))
    assert code == 1 and "exists; nothing written. Use --force" in err
    assert path.read_text() == "keep me"
    code, _, _ = run(capsys, "init", "--target", TARGET, "--out", str(path), "--force")
    assert code == 0 and "version: 1" in path.read_text()


def test_init_with_a_bad_target(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "init", "--target", "arn:nope", "--out", str(tmp_path / "n.yaml"))
    assert code == 1 and "--target: not a Connect instance" in err
