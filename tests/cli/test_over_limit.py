"""Nothing to release is never refused, through the real CLI against the emulator.

History alone over the limit (25 of 20) with a numbers file that keeps every
number: `plan` exits 0 in every format and says the account is over its limit
and until when claiming is blocked; `apply` exits 0 with nothing released.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .support import run
from .test_plan import NUMBERS, busy_ledger

RELEASABLE = ["+12065550150", "+12065550151", "+12065550152", "+18005550199"]


@pytest.fixture
def keep_all(tmp_path: Path) -> Path:
    path = tmp_path / "numbers.yaml"
    listed = "".join(f'  - "{n}"\n' for n in RELEASABLE)
    path.write_text(Path(NUMBERS).read_text().replace("numbers:\n", f"numbers:\n{listed}", 1))
    return path


@pytest.fixture
def over(tmp_path: Path) -> tuple[Path, str]:
    """A ledger of 25 releases, one a day from 170 days ago, and the day claiming frees."""
    ledger = busy_ledger(tmp_path / "ledger.jsonl", 25)
    first = json.loads(ledger.read_text().splitlines()[5])["at"]  # the 6th oldest
    until = datetime.fromisoformat(first) + timedelta(days=180)
    return ledger, until.astimezone(UTC).strftime("%Y-%m-%d")


def sentence(until: str) -> str:
    return (
        "Quota: the account is over its limit (25 of 20 claim/release actions in the rolling "
        f"180-day window); claiming is blocked until {until}."
    )


def test_plan_text_exits_0_and_says_over_the_limit(
    emulator: Any, capsys: pytest.CaptureFixture[str], keep_all: Path, over: tuple[Path, str]
) -> None:
    ledger, until = over
    argv = ["plan", "--numbers", str(keep_all), "--ledger", str(ledger), "--detailed-exitcode"]
    code, out, _ = run(capsys, *argv)
    assert code == 0, out
    assert "Release: nothing." in out and "REFUSED" not in out
    assert "before: 25 of 20 used  <- over the limit" in out
    assert f"WARNING: the account is over its limit: claiming is blocked until {until}" in out
    assert sentence(until) in out
    code, out, _ = run(capsys, *argv, "--quiet")
    assert code == 0 and out.startswith("Plan: 0 to release") and sentence(until) in out


def test_plan_markdown_says_no_changes_and_over_the_limit(
    emulator: Any, capsys: pytest.CaptureFixture[str], keep_all: Path, over: tuple[Path, str]
) -> None:
    ledger, until = over
    code, out, _ = run(
        capsys, "plan", "--numbers", str(keep_all), "--ledger", str(ledger), "--format", "markdown"
    )
    assert code == 0
    assert "### connect-numbers plan: **No changes**: nothing to release" in out
    assert f"> :warning: **Quota**: {sentence(until).removeprefix('Quota: ')}" in out
    assert "REFUSED" not in out


def test_plan_json_has_over_limit_and_claims_blocked_until(
    emulator: Any, capsys: pytest.CaptureFixture[str], keep_all: Path, over: tuple[Path, str]
) -> None:
    ledger, until = over
    code, out, _ = run(
        capsys, "plan", "--numbers", str(keep_all), "--ledger", str(ledger), "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["refused"] is False and data["refusals"] == [] and data["releases"] == []
    assert data["quota"]["over_limit"] is True and data["quota"]["used"] == 25
    assert data["quota"]["claims_blocked_until"].startswith(until)


def test_apply_releases_nothing_and_exits_0(
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    keep_all: Path,
    over: tuple[Path, str],
) -> None:
    ledger, until = over
    code, out, err = run(
        capsys, "apply", "--numbers", str(keep_all), "--ledger", str(ledger), "--auto-approve"
    )
    assert code == 0, out + err
    assert sentence(until) in out and "No changes: nothing to release." in out

    saved = tmp_path / "plan.json"
    code, _, _ = run(
        capsys, "plan", "--numbers", str(keep_all), "--ledger", str(ledger), "--out", str(saved)
    )
    assert code == 0
    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert code == 0, out + err
    assert "Apply complete" in out
    assert emulator.history() == []
