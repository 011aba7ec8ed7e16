"""Every edge of the command line is one clean `error:` line naming the next step.

Bad option values, an output folder that does not exist, and even a bug: never a
Python traceback (unless CONNECT_NUMBERS_DEBUG asks for one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.core import render
from tests.cli.support import run

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = str(ROOT / "numbers.yaml")
TARGET = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def last_error(err: str) -> str:
    assert "Traceback (most recent call last)" not in err, err
    assert not any(line.startswith("Error:") for line in err.splitlines()), err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: "), err
    return lines[-1]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["plan", "--numbers", NUMBERS, "--rate", "-1"], "Invalid value for '--rate': -1.0"),
        (["plan", "--numbers", NUMBERS, "--rate", "0"], "Invalid value for '--rate': 0.0"),
        (["plan", "--numbers", NUMBERS, "--burst", "0"], "Invalid value for '--burst': 0"),
        (
            ["apply", "--numbers", NUMBERS, "--ledger", "h.jsonl", "--rate", "-2"],
            "Invalid value for '--rate'",
        ),
        (["emulator", "--rate", "-1"], "Invalid value for '--rate': -1.0"),
        (["emulator", "--burst", "-3"], "Invalid value for '--burst': -3"),
    ],
)
def test_an_option_out_of_range_is_a_usage_error(
    emulator: Any, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert fragment in last_error(err)
    assert emulator.stats()["total_calls"] == 0


def test_a_missing_choice_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    """click wraps the choices on lines of their own; the error stays one `error:` line."""
    code, _, err = run(capsys, "ledger", "add")
    assert code == 1
    assert err.count("error:") == 1
    assert last_error(err) == (
        "error: Missing argument '{claim|release}'. Choose from: claim, release"
    )


@pytest.mark.parametrize("argv", [[], ["ledger"]])
def test_a_command_group_alone_shows_its_help(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Not the help folded into one `error:` line: the help, as -h shows it."""
    code, out, err = run(capsys, *argv)
    assert code == 0 and err == ""
    assert out.startswith("Usage: connect-numbers") and "Commands:" in out
    assert out == run(capsys, *argv, "-h")[1]


def test_init_into_a_missing_folder_says_so(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "no" / "numbers.yaml"
    code, _, err = run(capsys, "init", "--target", TARGET, "--out", str(out))
    assert code == 1 and not out.exists()
    assert last_error(err) == (
        f"error: --out {out}: the folder {out.parent} does not exist; create it first "
        f"(mkdir -p {out.parent}) or save the numbers file elsewhere"
    )
    assert emulator.stats()["total_calls"] == 0  # checked before the listing


@pytest.mark.parametrize("kind", ["ledger", "link", "device"])
def test_init_force_never_overwrites_a_ledger_a_link_or_a_device(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    """--force overwrites a numbers file, never a ledger (JSON), a link or a device."""
    ledger = tmp_path / "history.jsonl"
    text = '{"action": "release", "phone_number": "+12065550100", "at": "2026-05-01T12:00:00Z"}\n'
    ledger.write_text(text)
    out = {"ledger": ledger, "link": tmp_path / "numbers.yaml", "device": Path("/dev/null")}[kind]
    if kind == "link":
        out.symlink_to(ledger.name)
    code, _, err = run(capsys, "init", "--target", TARGET, "--out", str(out), "--force")
    assert code == 1
    why = {"ledger": "holds JSON", "link": "is a symbolic link", "device": "character device"}
    assert last_error(err).startswith(f"error: --out {out}: ") and why[kind] in err
    assert ledger.read_text() == text


def test_a_bug_is_one_line_asking_for_a_report_and_debug_shows_the_traceback(
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(plan: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(render, "render_text", broken)
    code, _, err = run(capsys, "plan", "--numbers", NUMBERS)
    assert code == 1
    assert last_error(err) == (
        "error: unexpected RuntimeError: boom. This is a bug in connect-numbers: rerun with "
        "CONNECT_NUMBERS_DEBUG=1 for the traceback and report it"
    )
    monkeypatch.setenv("CONNECT_NUMBERS_DEBUG", "1")
    from reconciler.cli import main

    with pytest.raises(RuntimeError, match="boom"):
        main(["plan", "--numbers", NUMBERS])
