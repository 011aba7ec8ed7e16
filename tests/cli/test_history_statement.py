"""The plan states its history honestly, through the real CLI against the emulator.

No history source: the used count is unknown in every format (never "0 used").
An empty ledger says it is empty; "none read ... --ledger" appears only without
one. Once import-cloudtrail covered what CloudTrail keeps, the coverage warning
stops suggesting the import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import run

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = str(ROOT / "numbers.yaml")


def plan(capsys: pytest.CaptureFixture[str], fmt: str, *more: str) -> str:
    code, out, err = run(capsys, "plan", "--numbers", NUMBERS, "--format", fmt, *more)
    assert code == 0 and "Traceback" not in err, err
    return out


def test_no_history_source_is_unknown_in_every_format(
    emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    text = plan(capsys, "text")
    assert "before: unknown of 20 (no history read)" in text
    assert "history: none read: no ledger was given (--ledger PATH" in text
    assert "0 of 20 used" not in text
    markdown = plan(capsys, "markdown")
    assert "**used: unknown**" in markdown and "0 used" not in markdown
    quota = json.loads(plan(capsys, "json"))["quota"]
    assert quota["used"] is None and quota["after"] is None and quota["used_known"] is False


def test_an_empty_ledger_says_it_is_empty(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    text = plan(capsys, "text", "--ledger", str(ledger))
    assert f"history: the ledger {ledger} is empty: no claims or releases recorded" in text
    assert "before: 0 of 20 used" in text  # read, and empty: a fact
    assert "none read" not in text and "pass --ledger" not in text
    markdown = plan(capsys, "markdown", "--ledger", str(ledger))
    assert f"the ledger {ledger} is empty" in markdown and "none read" not in markdown
    data = json.loads(plan(capsys, "json", "--ledger", str(ledger)))
    assert data["quota"]["used"] == 0 and data["quota"]["used_known"] is True
    assert data["history"] == {"ledger": str(ledger), "cloudtrail": False}


def test_after_import_cloudtrail_the_warning_stops_suggesting_it(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    before = plan(capsys, "text", "--ledger", str(ledger))
    assert "are not counted" in before and "ledger import-cloudtrail" in before
    code, _out, err = run(
        capsys, "ledger", "import-cloudtrail", "--ledger", str(ledger), "--numbers", NUMBERS
    )
    assert code == 0, err
    for fmt in ("text", "markdown"):
        after = plan(capsys, fmt, "--ledger", str(ledger))
        assert "are not counted" in after  # CloudTrail keeps 90 of the 180 days: still a gap
        assert "import-cloudtrail" not in after
        assert "CloudTrail keeps 90 days and the history already reaches that far" in after
    # Counting CloudTrail on the fly reaches as far: no suggestion to import either.
    empty = tmp_path / "other.jsonl"
    empty.touch()
    on_the_fly = plan(capsys, "text", "--ledger", str(empty), "--history", "cloudtrail")
    assert "import-cloudtrail" not in on_the_fly
    assert f"the ledger {empty} and CloudTrail's last 90 days" in on_the_fly
