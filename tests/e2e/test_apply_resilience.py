"""Apply under crashes, faults and concurrency, end to end: the CLI as a real process,
real boto3, the emulator enforcing AWS's rules, a real ledger file.

Invariants checked after every scenario (DESIGN.md, "Reliability targets"):
no number released twice, no desired number released, every release the
emulator performed is recorded `done` in the ledger, and a final plan is empty.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main

INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}"
KEEP = ["+12065550100", "+12065550101"]
DROP = [f"+120655502{i:02d}" for i in range(6)]
FAST = ["--rate", "45", "--burst", "5"]


def seed() -> dict[str, Any]:
    return {
        "account_id": "111122223333",
        "region": "us-east-1",
        "instances": [{"id": INSTANCE}],
        "quota": {"phone_numbers": 10, "window_days": 180, "limit_percent": 200},
        "numbers": [
            {"phone_number": n, "instance": INSTANCE, "flow": f"{TARGET}/contact-flow/f{i % 3}"}
            for i, n in enumerate(KEEP + DROP)
        ],
    }


def make_world(emulator_factory: Any, directory: Path) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    server = emulator_factory(seed(), rate=50.0, burst=5)
    numbers = directory / "numbers.yaml"
    numbers.write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: 10\n"
        "numbers:\n" + "".join(f'  - "{n}"\n' for n in KEEP)
    )
    ledger = directory / "history.jsonl"
    ledger.touch()
    return {"server": server, "numbers": numbers, "ledger": ledger, "dir": directory}


@pytest.fixture
def world(emulator_factory: Any, tmp_path: Path) -> dict[str, Any]:
    return make_world(emulator_factory, tmp_path)


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process (fast); the result has the shape of a subprocess's."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(list(argv), code, out.getvalue(), err.getvalue())


def cli_process(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *argv],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )


def save_plan(world: dict[str, Any]) -> Path:
    saved = world["dir"] / "plan.json"
    result = cli(
        "plan",
        "--numbers",
        str(world["numbers"]),
        "--ledger",
        str(world["ledger"]),
        "--out",
        str(saved),
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    return saved


def apply_args(world: dict[str, Any], saved: Path) -> list[str]:
    return ["apply", str(saved), "--ledger", str(world["ledger"]), *FAST]


def check_invariants(world: dict[str, Any]) -> None:
    released = [e for e in world["server"].history("emulator") if e["action"] == "release"]
    counts = Counter(e["phone_number"] for e in released)
    assert all(c == 1 for c in counts.values()), f"released twice: {counts}"
    assert not set(counts) & set(KEEP), "a desired number was released"
    records = [json.loads(line) for line in world["ledger"].read_text().splitlines() if line]
    done = Counter(r["phone_number"] for r in records if r.get("status") == "done")
    assert all(c == 1 for c in done.values()), f"recorded done twice: {done}"
    assert set(done) == set(counts), "a release the emulator performed is not in the ledger"
    final = cli(
        "plan",
        "--numbers",
        str(world["numbers"]),
        "--ledger",
        str(world["ledger"]),
        "--detailed-exitcode",
        *FAST,
    )
    assert final.returncode == 0, final.stdout + final.stderr
    assert "Release: nothing." in final.stdout


TRIALS = 20


def test_apply_killed_at_random_moments_converges_on_rerun(
    emulator_factory: Any, tmp_path: Path
) -> None:
    """SIGKILL an apply at a random moment, rerun it, check the invariants; 20 times.

    The apply is paced at 8 releases/s so its releases span ~0.8 s, and the kill
    times cover start-up, the releases and the end; the test also proves that a
    good share of the kills landed in the middle of the releases.
    """
    rng = random.Random(20261126)
    interrupted = 0
    for trial in range(TRIALS):
        world = make_world(emulator_factory, tmp_path / f"trial-{trial}")
        saved = save_plan(world)
        slow = [
            "apply",
            str(saved),
            "--ledger",
            str(world["ledger"]),
            "--rate",
            "8",
            "--burst",
            "1",
        ]
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *slow],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ},
        )
        time.sleep(rng.uniform(0.4, 1.8))  # start-up ~0.6 s, then ~0.8 s of releases
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        text = world["ledger"].read_text()
        done = text.count('"status": "done"')
        # Mid-apply: some release was started (an intent) but not all are done.
        interrupted += '"status": "intent"' in text and done < len(DROP)
        rerun = cli(*apply_args(world, saved))
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        check_invariants(world)
    assert interrupted >= TRIALS // 4, f"only {interrupted} kills landed mid-apply"


FAULTS: dict[str, dict[str, Any]] = {
    "throttling storm": {"kind": "throttle", "operation": "ReleasePhoneNumber", "count": 4},
    "throttling at random": {"kind": "throttle", "rate": 0.2},
    "500s": {"kind": "error", "operation": "ReleasePhoneNumber", "count": 3},
    "slow responses": {"kind": "delay", "delay": 0.3, "count": 4},
    "dropped connections": {"kind": "drop", "operation": "ReleasePhoneNumber", "count": 2},
    "drop after the release happened": {
        "kind": "drop",
        "operation": "ReleasePhoneNumber",
        "count": 2,
        "after_effect": True,
    },
    "500 after the release happened": {
        "kind": "error",
        "operation": "ReleasePhoneNumber",
        "count": 2,
        "after_effect": True,
    },
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_apply_completes_under_transient_faults(
    world: dict[str, Any], fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = save_plan(world)
    world["server"].set_faults([FAULTS[fault]], seed=7)
    with pytest.raises(SystemExit) as info:
        main([*apply_args(world, saved), "--format", "json"])
    out, err = capsys.readouterr()
    assert info.value.code == 0, out + err
    report = json.loads(out)
    assert report["ok"] is True and report["counts"]["released"] == len(DROP)
    world["server"].clear_faults()
    check_invariants(world)


def test_a_permanent_error_stops_apply_with_an_exact_report(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    saved = save_plan(world)
    world["server"].add_fault(
        "error", operation="ReleasePhoneNumber", count=1, code="AccessDeniedException"
    )
    world["server"].add_fault("throttle", operation="ListPhoneNumbersV2", count=1)
    with pytest.raises(SystemExit) as info:
        main([*apply_args(world, saved), "--format", "json"])
    out, _ = capsys.readouterr()
    assert info.value.code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert report["counts"] == {
        "released": 0,
        "already_done": 0,
        "skipped": 0,
        "failed": 1,
        "not_attempted": len(DROP) - 1,
    }
    assert "AccessDeniedException" in report["stopped"]
    failed = report["outcomes"][0]
    assert failed["status"] == "failed" and failed["message"].startswith("not released:")
    assert world["server"].history("emulator") == []
    # The cause fixed (the fault was one-off), the same plan completes.
    with pytest.raises(SystemExit) as info:
        main([*apply_args(world, saved), "--format", "json"])
    out, _ = capsys.readouterr()
    assert info.value.code == 0 and json.loads(out)["counts"]["released"] == len(DROP)
    check_invariants(world)


def test_two_concurrent_applies_on_one_ledger_one_proceeds_one_is_refused(
    world: dict[str, Any],
) -> None:
    saved = save_plan(world)
    world["server"].set_rate_limit("ReleasePhoneNumber", 2.0, 1)  # a slow, 3 s apply
    slow = ["apply", str(saved), "--ledger", str(world["ledger"]), "--rate", "2", "--burst", "1"]
    first = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *slow],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # wait until the first holds the lock
        lock = Path(str(world["ledger"]) + ".lock")
        if lock.exists() and lock.read_text().strip():
            break
        time.sleep(0.05)
    second = cli_process(*slow)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out + err
    assert second.returncode == 1
    assert "locked by another apply" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    check_invariants(world)
