"""Apply under crashes, faults and concurrency, end to end: the CLI as a real process,
real boto3, the emulator enforcing AWS's rules, a real ledger file.

Invariants checked after every scenario (DESIGN.md, "Reliability targets"):
no number released twice, no desired number released, every release the
emulator performed is recorded `done` in the ledger, and a final plan is empty.
"""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main

from .support import (
    DROP,
    apply_args,
    check_invariants,
    cli,
    cli_process,
    make_world,
    save_plan,
    spawn,
)


@pytest.fixture
def world(emulator_factory: Any, tmp_path: Path) -> dict[str, Any]:
    return make_world(emulator_factory, tmp_path)


TRIALS = 20


def slow_apply_args(world: dict[str, Any], saved: Path) -> list[str]:
    """Apply ``saved`` at 8 releases/s, so that its releases take a while."""
    return ["apply", str(saved), "--ledger", str(world["ledger"]), "--rate", "8", "--burst", "1"]


def time_one_apply(world: dict[str, Any]) -> tuple[float, float]:
    """Seconds from the start of a slow apply to its first intent, and to its end."""
    saved = save_plan(world)
    start = time.monotonic()
    proc = spawn(*slow_apply_args(world, saved), output=False)
    first_intent = None
    while proc.poll() is None:
        if first_intent is None and '"status": "intent"' in world["ledger"].read_text():
            first_intent = time.monotonic() - start
        time.sleep(0.01)
    finished = time.monotonic() - start
    assert proc.returncode == 0 and first_intent is not None, "the uncut apply must release"
    return first_intent, finished


def test_apply_killed_at_random_moments_converges_on_rerun(
    emulator_factory: Any, tmp_path: Path
) -> None:
    """SIGKILL an apply at a random moment, rerun it, check the invariants; 20 times.

    The apply is paced at 8 releases/s so its releases span ~0.8 s. The kill
    times cover late start-up, the releases and the end, measured on this machine
    by one uncut apply first (start-up varies with the machine's load); the test
    also proves that a good share of the kills landed in the middle of the releases.
    """
    rng = random.Random(20261126)
    first_intent, finished = time_one_apply(make_world(emulator_factory, tmp_path / "timing"))
    interrupted = 0
    for trial in range(TRIALS):
        world = make_world(emulator_factory, tmp_path / f"trial-{trial}")
        saved = save_plan(world)
        proc = spawn(*slow_apply_args(world, saved), output=False)
        time.sleep(rng.uniform(0.7 * first_intent, finished))
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
        "updated": 0,  # descriptions changed in place (issue 15): none here
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
    first = spawn(*slow)
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
