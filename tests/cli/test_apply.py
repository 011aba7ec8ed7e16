"""`connect-numbers apply` end to end: real boto3 against the emulator's write operations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .support import run

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = str(ROOT / "numbers.yaml")
RELEASED = ["+12065550150", "+12065550151", "+12065550152", "+18005550199"]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    path.touch()
    return path


def listed(emulator: Any) -> set[str]:
    import boto3

    client = boto3.client("connect", region_name="us-east-1")
    pages = client.get_paginator("list_phone_numbers_v2").paginate()
    return {n["PhoneNumber"] for p in pages for n in p["ListPhoneNumbersSummaryList"]}


def test_plan_out_then_apply_exactly_that_plan_then_nothing_left(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    saved = tmp_path / "plan.json"
    code, out, _ = run(
        capsys,
        "plan",
        "--numbers",
        NUMBERS,
        "--ledger",
        str(ledger),
        "--out",
        str(saved),
        "--detailed-exitcode",
    )
    assert code == 2 and f"Saved the plan to {saved}" in out
    plan_id = json.loads(saved.read_text())["plan_id"]

    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert code == 0, err
    assert out.startswith(f"Apply complete ({plan_id}): 4 released.")
    for number in RELEASED:
        assert f"released  {number}" in err  # one progress line each
    assert not listed(emulator) & set(RELEASED)
    assert "+12065550100" in listed(emulator)

    records = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert records[0]["status"] == "coverage"  # the first apply starts the history's coverage
    actions = records[1:]
    assert sorted(r["phone_number"] for r in actions if r["status"] == "done") == RELEASED
    assert all(r["plan_id"] == plan_id for r in actions)

    code, out, _ = run(
        capsys, "plan", "--numbers", NUMBERS, "--ledger", str(ledger), "--detailed-exitcode"
    )
    assert code == 0 and "Release: nothing." in out
    assert "before: 4 of 20 used" in out

    # Applying the same saved plan again finds everything done: no second release.
    code, out, _ = run(capsys, "apply", str(saved), "--ledger", str(ledger), "--format", "json")
    assert code == 0
    assert json.loads(out)["counts"]["already_done"] == 4
    history = emulator.history()
    assert sorted(e["phone_number"] for e in history if e["action"] == "release") == RELEASED


def test_a_stale_saved_plan_is_refused_with_what_changed(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    saved = tmp_path / "plan.json"
    run(capsys, "plan", "--numbers", NUMBERS, "--out", str(saved))
    import boto3

    client = boto3.client("connect", region_name="us-east-1")
    summary = client.list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
    spare = next(n for n in summary if n["PhoneNumber"] == "+12065550151")
    client.release_phone_number(PhoneNumberId=spare["PhoneNumberId"])  # by hand, meanwhile
    code, _, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert code == 1
    assert "is stale" in err and "+12065550151" in err and "no longer claimed" in err
    assert "Nothing was released" in err
    assert "+12065550150" in listed(emulator)


def test_an_edited_saved_plan_is_refused(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    saved = tmp_path / "plan.json"
    run(capsys, "plan", "--numbers", NUMBERS, "--out", str(saved))
    data = json.loads(saved.read_text())
    data["refusals"] = []
    data["releases"] = data["releases"][:1]
    saved.write_text(json.dumps(data))
    code, _, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert code == 1 and "the plan id does not match its content" in err
    assert emulator.history() == []


def test_apply_of_a_refused_plan_exits_3_and_releases_nothing(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(Path(NUMBERS).read_text().replace("max_releases: 10", "max_releases: 1"))
    code, out, _ = run(
        capsys, "apply", "--numbers", str(numbers), "--ledger", str(ledger), "--auto-approve"
    )
    assert code == 3 and "[mass_release]" in out
    assert emulator.history() == []


def test_apply_needs_an_existing_ledger(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys,
        "apply",
        "--numbers",
        NUMBERS,
        "--auto-approve",
        "--ledger",
        str(tmp_path / "typo.jsonl"),
    )
    assert code == 1 and "does not exist" in err and "touch" in err
    assert emulator.history() == []


def test_apply_without_a_plan_asks_for_yes(emulator: Any, ledger: Path) -> None:
    env = {**os.environ}
    base = [
        sys.executable,
        "-m",
        "reconciler",
        "apply",
        "--numbers",
        NUMBERS,
        "--ledger",
        str(ledger),
    ]
    no = subprocess.run(base, input="no\n", capture_output=True, text=True, env=env, timeout=60)
    assert no.returncode == 1 and "apply cancelled; nothing was released" in no.stderr
    assert "Release (4), irreversible" in no.stdout
    assert emulator.history() == []
    # No one to answer (a pipeline without --auto-approve): one line with the fix.
    closed = subprocess.run(base, input="", capture_output=True, text=True, env=env, timeout=60)
    assert closed.returncode == 1 and "Traceback" not in closed.stderr
    assert closed.stderr.splitlines()[-1] == (
        "error: no answer: the input ended before 'yes'; nothing was released. "
        "Without a terminal (a pipeline), pass --auto-approve"
    )
    assert emulator.history() == []
    yes = subprocess.run(base, input="yes\n", capture_output=True, text=True, env=env, timeout=60)
    assert yes.returncode == 0, yes.stderr
    assert "Apply complete" in yes.stdout
    assert len(emulator.history()) == 4


def test_apply_auto_approve_in_json(
    emulator: Any, capsys: pytest.CaptureFixture[str], ledger: Path
) -> None:
    code, out, _ = run(
        capsys,
        "apply",
        "--numbers",
        NUMBERS,
        "--ledger",
        str(ledger),
        "--auto-approve",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)  # the plan text went to stderr
    assert data["ok"] is True and data["counts"]["released"] == 4
    assert {o["phone_number"] for o in data["outcomes"]} == set(RELEASED)


def test_access_denied_names_the_iam_action_to_grant(
    emulator: Any, capsys: pytest.CaptureFixture[str], ledger: Path
) -> None:
    """The hint names the action (connect:ReleasePhoneNumber), not a placeholder."""
    emulator.add_fault(
        "error", operation="ReleasePhoneNumber", code="AccessDeniedException", count=1
    )
    code, out, err = run(
        capsys, "apply", "--numbers", NUMBERS, "--ledger", str(ledger), "--auto-approve"
    )
    assert code == 1
    assert "(grant the IAM permission connect:ReleasePhoneNumber to this identity)" in out
    assert "<operation>" not in out + err and "<action>" not in out + err
    assert emulator.history() == []
