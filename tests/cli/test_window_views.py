"""`connect-numbers quota` and the terminal chart of `plan` (issue 15, part 3), through
the CLI: the window now in three formats; the chart only on a terminal, never with
--quiet or when the output is piped."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.cli import plan as cli_plan

from ..e2e.support import cli as run_cli

NUMBERS = str(Path(__file__).resolve().parents[2] / "numbers.yaml")
CHART = "-day window, next 180 days: █ counted ▒ added by this plan"
TARGET = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: 10\n  reserve: 1\n"
        'numbers:\n  - "+12065550100"\n'
    )
    ledger = tmp_path / "history.jsonl"
    lines = [
        {
            "action": "release",
            "phone_number": f"+1206555{i:04d}",
            "at": _at(now - timedelta(days=170 - i)),
        }
        for i in range(19)
    ]
    ledger.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return numbers, ledger, now


def quota(numbers: Path, ledger: Path, *extra: str) -> Any:
    return CliRunner().invoke(
        cli, ["quota", "--numbers", str(numbers), "--ledger", str(ledger), *extra]
    )


def test_quota_prints_the_window_now_in_text(files: tuple[Path, Path, datetime]) -> None:
    numbers, ledger, now = files
    result = quota(numbers, ledger)
    assert result.exit_code == 0, result.output
    assert "account 111122223333, us-east-1 (rolling 180-day window; limit 20" in result.output
    assert "used: 19 of 20, 1 reserved" in result.output
    # Full with the reserve: one release needs the oldest event gone (170 days ago).
    returns = _at(now + timedelta(days=10))
    assert f"no room now; room for one release returns on {returns}" in result.output
    assert "events in the window (19):" in result.output
    assert f"release  +12065550000  leaves the window {returns}" in result.output


def test_quota_json_and_markdown(files: tuple[Path, Path, datetime]) -> None:
    numbers, ledger, now = files
    result = quota(numbers, ledger, "--format", "json")
    assert result.exit_code == 0, result.output
    (window,) = json.loads(result.output)["windows"]
    assert (window["used"], window["limit"], window["reserve"], window["free"]) == (19, 20, 1, 0)
    assert window["room_returns_at"] == _at(now + timedelta(days=10))
    assert len(window["events"]) == 19
    markdown = quota(numbers, ledger, "--format", "markdown").output
    assert "**account 111122223333, us-east-1**" in markdown and "19 used, 1 reserved" in markdown
    assert "| When | Action | Number | Leaves the window |" in markdown


def test_quota_with_an_unreadable_ledger_is_one_error(files: tuple[Path, Path, datetime]) -> None:
    numbers, ledger, _ = files
    ledger.write_text('{"action": "release"}\n')
    result = run_cli("quota", "--numbers", str(numbers), "--ledger", str(ledger))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and str(ledger) in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_on_a_terminal_without_history_draws_no_chart(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_plan, "_stdout_is_terminal", lambda: True)
    # No ledger: the window's history is unknown, and a chart of zeros would lie.
    shown = CliRunner().invoke(cli, ["plan", "--numbers", NUMBERS])
    assert shown.exit_code == 0, shown.output
    assert "Release (" in shown.output and CHART not in shown.output


def test_plan_on_a_terminal_with_a_ledger_draws_the_chart_and_not_with_quiet(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    args = ["plan", "--numbers", NUMBERS, "--ledger", str(ledger)]
    monkeypatch.setattr(cli_plan, "_stdout_is_terminal", lambda: True)
    shown = CliRunner().invoke(cli, args)
    assert shown.exit_code == 0, shown.output
    assert "Rolling 180" + CHART in shown.output and " 0 └" in shown.output
    quiet = CliRunner().invoke(cli, [*args, "--quiet"])
    assert CHART not in quiet.output
    monkeypatch.setattr(cli_plan, "_stdout_is_terminal", lambda: False)
    assert CHART not in CliRunner().invoke(cli, args).output


def test_a_real_terminal_gets_the_chart_and_a_pipe_does_not(emulator: Any, tmp_path: Path) -> None:
    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    command = [
        sys.executable,
        "-m",
        "reconciler",
        "plan",
        "--numbers",
        NUMBERS,
        "--ledger",
        str(ledger),
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    master, slave = pty.openpty()
    with subprocess.Popen(command, stdout=slave, stderr=subprocess.DEVNULL, env=env) as proc:
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    os.close(master)
    assert CHART in b"".join(chunks).decode()
    piped = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert CHART not in piped.stdout and "Release (" in piped.stdout
