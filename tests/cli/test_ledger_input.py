"""A ledger the product cannot read is refused through the real CLI, never dropped silently.

Each case runs the installed command line against the emulator and checks the
exit code, the one-line message (file:line and the next step) and that nothing
was read from or sent to AWS.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import run
from tests.ledger.lines import HAND, UNREADABLE

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = str(ROOT / "numbers.yaml")
CUT = (
    '{"action": "release", "phone_number": "+12065550111", "at": "2026-06-01T12:00:00Z", '
    '"status": "done", "phone_number_id": "pn-1", "target_'
)


def command_line(command: str, ledger: Path) -> list[str]:
    """The arguments of ``command`` run on ``ledger`` (it goes on to release, for apply)."""
    return {
        "plan": ["plan", "--numbers", NUMBERS, "--ledger", str(ledger)],
        "apply": ["apply", "--numbers", NUMBERS, "--ledger", str(ledger), "--auto-approve"],
        "ledger add": [
            *("ledger", "add", "release", "+12065550150", "--at", "2026-06-01T00:00:00Z"),
            *("--ledger", str(ledger)),
        ],
        "import-cloudtrail": [
            *("ledger", "import-cloudtrail", "--ledger", str(ledger), "--numbers", NUMBERS),
        ],
    }[command]


def one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        *UNREADABLE,
        (HAND + "},", "not valid JSON"),  # hand-written, with a trailing comma, as the last line
    ],
)
@pytest.mark.parametrize("command", ["plan", "apply", "ledger add"])
def test_a_line_the_product_does_not_know_is_an_error_naming_file_and_line(
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    line: str,
    fragment: str,
    command: str,
) -> None:
    ledger = tmp_path / "history.jsonl"
    text = HAND + "}\n" + line + ("" if line.endswith(",") else "\n")
    ledger.write_text(text)
    argv = command_line(command, ledger)
    code, _out, err = run(capsys, *argv)
    assert code == 1
    message = one_error(err)
    assert message.startswith(f"error: {ledger}:2: ") and fragment in message
    assert "correct the line, then run again" in message
    assert ledger.read_text() == text  # nothing appended
    assert emulator.stats()["total_calls"] == 0


def test_a_cut_last_line_is_a_warning_then_set_aside_by_the_next_append(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = tmp_path / "history.jsonl"
    ledger.write_text(HAND + "}\n" + CUT)
    code, out, err = run(
        capsys, "plan", "--numbers", NUMBERS, "--ledger", str(ledger), "--format", "json"
    )
    assert code == 0 and "Traceback" not in err
    assert f"warning: {ledger}:2: the last line is a record cut short" in err
    assert json.loads(out)["quota"]["history_events"] == 1  # the cut line is not counted

    code, out, err = run(
        capsys,
        "ledger",
        "add",
        "claim",
        "+12065550150",
        "--at",
        "2026-06-01T00:00:00Z",
        "--ledger",
        str(ledger),
    )
    assert code == 0, err
    # Said as the CLI says every warning (not Python's bare last-resort log line).
    assert f"warning: {ledger}:2: the last line was a record cut short" in err
    assert f"moved it to {ledger}.torn" in err
    assert [json.loads(x)["text"] for x in Path(f"{ledger}.torn").read_text().splitlines()] == [CUT]
    assert ledger.read_text().startswith(HAND + "}\n" + '{"action": "claim"')
    code, out, err = run(
        capsys, "plan", "--numbers", NUMBERS, "--ledger", str(ledger), "--format", "json"
    )
    assert code == 0 and "warning" not in err
    assert json.loads(out)["quota"]["history_events"] == 2


@pytest.mark.parametrize("command", ["ledger add", "import-cloudtrail", "plan", "apply"])
@pytest.mark.parametrize("folder", ["here", "missing/dir with space"])
def test_a_missing_ledger_is_an_error_whose_suggested_command_works(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, folder: str
) -> None:
    ledger = tmp_path / folder / "h.jsonl"
    if folder == "here":
        ledger = tmp_path / "h.jsonl"
    argv = command_line(command, ledger)
    code, _, err = run(capsys, *argv)
    assert code == 1
    message = one_error(err)
    assert "does not exist; a missing history would undercount the quota" in message
    assert not ledger.exists() and not ledger.parent.joinpath("h.jsonl.lock").exists()
    assert emulator.stats()["total_calls"] == 0
    fix = message.split("create it empty: ", 1)[1]
    assert ("mkdir -p" in fix) == (folder != "here")
    subprocess.run(fix, shell=True, check=True, cwd=tmp_path)  # the suggested fix works
    assert ledger.read_text() == ""
    code, _, err = run(capsys, *argv)
    assert "does not exist" not in err
    if command != "apply":  # apply goes on to release: other tests cover that
        assert code == 0, err


@pytest.mark.parametrize("kind", ["device", "fifo"])
@pytest.mark.parametrize("command", ["plan", "apply", "ledger add"])
def test_a_ledger_that_is_not_a_regular_file_is_an_error(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, command: str
) -> None:
    """/dev/null read as an empty history would state "0 used"; a named pipe would block
    the run forever. Either is one error line, before any AWS call."""
    if kind == "device":
        ledger = Path("/dev/null")
    else:
        ledger = tmp_path / "history.jsonl"
        os.mkfifo(ledger)
    code, _out, err = run(capsys, *command_line(command, ledger))
    assert code == 1
    assert one_error(err).startswith(f"error: {ledger}: not a regular file")
    assert emulator.stats()["total_calls"] == 0
