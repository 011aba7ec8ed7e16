"""`connect-numbers plan` and `validate` end to end: real boto3 against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .support import run

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = str(ROOT / "numbers.yaml")
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
FLOW = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}/contact-flow/"


def busy_ledger(path: Path, count: int) -> Path:
    now = datetime.now(UTC)
    with path.open("w") as out:
        for i in range(count):
            at = now - timedelta(days=170 - i)
            out.write(
                json.dumps(
                    {
                        "action": "release",
                        "phone_number": f"+1206555{7000 + i}",
                        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                )
                + "\n"
            )
    return path


def test_demo_plan_text(emulator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "--numbers", NUMBERS)
    assert code == 0, err
    assert "Release (4), irreversible" in out
    assert "- +12065550150  Old promo line  [DID]" in out
    assert f"flow promo ({FLOW}promo)  <- loses its last number: DEACTIVATED" in out
    assert "Keep (3): +12065550100, +12065550101, +12065550102" in out
    assert "Missing: +12065550103" in out
    assert "Skipped: +12065550160 not released in this run: status IN_PROGRESS" in out
    assert "+12065550300" not in out  # claimed to an instance numbers.yaml does not list
    # No --ledger: the actions already in the window are unknown, never "0 used".
    assert "before: unknown of 20 (no history read)" in out
    assert "after:  unknown + 4 planned, of 20" in out


def test_demo_plan_json_and_detailed_exitcode(
    emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "plan", "--numbers", NUMBERS, "--format", "json", "--detailed-exitcode"
    )
    assert code == 2
    data = json.loads(out)
    assert [r["phone_number"] for r in data["releases"]] == [
        "+12065550150",
        "+12065550151",
        "+12065550152",
        "+18005550199",
    ]
    assert data["refused"] is False
    assert data["quota"]["limit"] == 20 and data["quota"]["planned"] == 4
    assert data["quota"]["used_known"] is False and data["quota"]["after"] is None  # no ledger
    assert data["missing"] == [
        {"phone_number": "+12065550103", "description": "New partner line (to be claimed)"}
    ]
    assert data["skipped"][0]["phone_number"] == "+12065550160"


def test_refused_by_quota_exits_3(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = busy_ledger(tmp_path / "ledger.jsonl", 18)
    code, out, _ = run(
        capsys, "plan", "--numbers", NUMBERS, "--ledger", str(ledger), "--format", "json"
    )
    assert code == 3
    data = json.loads(out)
    assert data["refused"] is True
    assert [r["code"] for r in data["refusals"]] == ["quota_exceeded"]
    assert data["quota"]["used"] == 18 and data["quota"]["fits_now"] == 2
    message = data["refusals"][0]["message"]
    assert "2 release(s) fit now" in message and "the whole plan fits on" in message

    code, out, _ = run(capsys, "plan", "--numbers", NUMBERS, "--ledger", str(ledger))
    assert code == 3 and "REFUSED" in out and "[quota_exceeded]" in out


def test_mass_release_and_its_override(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = Path(NUMBERS).read_text().replace("max_releases: 10", "max_releases: 2")
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(text)
    code, out, _ = run(capsys, "plan", "--numbers", str(numbers))
    assert code == 3 and "[mass_release]" in out
    code, out, _ = run(
        capsys, "plan", "--numbers", str(numbers), "--allow-mass-release", "--detailed-exitcode"
    )
    assert code == 2


def test_no_changes_exits_0_even_with_detailed_exitcode(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (
        Path(NUMBERS)
        .read_text()
        .replace(
            "numbers:\n",
            'numbers:\n  - "+12065550150"\n  - "+12065550151"\n'
            '  - "+12065550152"\n  - "+18005550199"\n',
            1,
        )
    )
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(text)
    code, out, _ = run(capsys, "plan", "--numbers", str(numbers), "--detailed-exitcode")
    assert code == 0, out
    assert "Release: nothing." in out


def test_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", NUMBERS)
    assert code == 0
    assert "valid (version 1, 4 number(s), 1 target(s), quota limit 20 per 180 days)" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["plan", "--numbers", "/nonexistent/numbers.yaml"], "/nonexistent/numbers.yaml"),
        (["plan", "--numbers", NUMBERS, "--ledger", "/nonexistent/l.jsonl"], "does not exist"),
        (["plan", "--format", "xml"], "xml"),
        (["plan", "--bogus"], "--bogus"),
    ],
)
def test_errors_are_one_line_and_exit_1(
    emulator: Any, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert fragment in err
    assert "Traceback" not in err


def test_unreachable_endpoint_is_one_clear_line(
    aws_env: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", "http://127.0.0.1:9")  # discard port: closed
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, _, err = run(capsys, "plan", "--numbers", NUMBERS)
    assert code == 1
    assert err.startswith(
        "error: ListPhoneNumbersV2 failed: cannot reach http://127.0.0.1:9 "
        "(the endpoint set by AWS_ENDPOINT_URL_CONNECT): "
    )
    assert len(err.strip().splitlines()) == 1


def test_unknown_instance_is_reported(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(
        Path(NUMBERS).read_text().replace(INSTANCE, "cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
    )
    code, _, err = run(capsys, "plan", "--numbers", str(numbers))
    assert code == 1
    assert "ResourceNotFoundException" in err and "Traceback" not in err


def test_python_dash_m_and_the_console_script(emulator: Any) -> None:
    env = {**os.environ}
    module = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--numbers", NUMBERS, "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert module.returncode == 0, module.stderr
    assert len(json.loads(module.stdout)["releases"]) == 4
    script = Path(sys.executable).parent / "connect-numbers"
    if script.exists():
        result = subprocess.run(
            [str(script), "validate", NUMBERS], capture_output=True, text=True, cwd=ROOT, timeout=60
        )
        assert result.returncode == 0, result.stderr


def test_the_process_ends_at_once_after_a_plan_with_all_its_output(
    emulator: Any, tmp_path: Path
) -> None:
    """``cli.run`` ends a plan's process without tearing down what it built (issue 12):
    every byte of stdout and stderr still arrives through the pipes, the saved plan is
    complete, and the exit code is the plan's (2: changes, 3: refused)."""
    out = tmp_path / "plan.json"
    argv = [sys.executable, "-m", "reconciler", "plan", "--numbers", NUMBERS]
    changes = subprocess.run(
        [*argv, "--format", "json", "--detailed-exitcode", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert changes.returncode == 2, changes.stderr
    printed = json.loads(changes.stdout)  # the whole document, flushed
    assert len(printed["releases"]) == 4
    assert json.loads(out.read_text())["releases"] == printed["releases"]
    assert changes.stderr.rstrip().endswith("counts the same history)")  # the hint, in full
    refused = tmp_path / "numbers.yaml"
    refused.write_text(Path(NUMBERS).read_text().replace("max_releases: 10", "max_releases: 1"))
    result = subprocess.run(
        [*argv[:-1], str(refused)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 3, result.stderr
    assert "mass_release" in result.stdout and result.stdout.endswith("\n")


def test_markdown_plan_for_a_pull_request(
    emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "plan", "--numbers", NUMBERS, "--format", "markdown", "--detailed-exitcode"
    )
    assert code == 2
    assert out.startswith(
        "<!-- connect-numbers plan -->\n### connect-numbers plan: **4 release(s)**"
    )
    assert (
        "| `+12065550150` | Old promo line | DID | `promo` | **yes: `promo` deactivated** |" in out
    )
    assert "<details><summary>Full plan</summary>" in out


def test_validate_checks_every_file_and_reports_each_invalid_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 2\n")
    code, out, err = run(capsys, "validate", NUMBERS, str(bad), NUMBERS)
    assert code == 1
    assert out.count(": valid (version 1") == 2
    assert err.strip() == (
        f"error: {bad}:1: version: unsupported version 2; this connect-numbers reads "
        "version 1; expected version: 1"
    )
