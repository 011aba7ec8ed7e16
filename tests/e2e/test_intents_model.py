"""Model-based: random interleavings of kills, faults and second applies never make the
plan count fewer actions than the account performed (issue 10, item 1).

Each trial is a fresh account (6 numbers to release) and a saved plan, then a
seeded random sequence of steps:

- ``kill``: a real apply process (the saved plan, or a fresh plan) meets a fault
  on ReleasePhoneNumber (every kind, before and after its effect) and is sent
  SIGKILL shortly after its first or second intent is on disk;
- ``apply``: an apply (saved or fresh) in this process meets such a fault and
  runs to its end (which may be a failure).

After every step the plan's ``quota.used`` is at least the emulator's own
count; after every apply every release the emulator performed has a ``done``
record. A final apply with no fault converges, and then the plan counts
exactly what the account did, each release recorded once.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from .support import (
    DROP,
    apply_args,
    check_counted,
    check_invariants,
    cli,
    fresh_apply_args,
    intents_written,
    make_world,
    records,
    save_plan,
    spawn,
    wait_until,
)

HOLD = 0.8  # seconds a delay fault holds ReleasePhoneNumber
FAULTS: list[dict[str, Any] | None] = [
    None,
    {"kind": "throttle", "count": 2},
    {"kind": "error", "count": 1},
    {"kind": "error", "count": 1, "after_effect": True},
    {"kind": "error", "count": 1, "code": "AccessDeniedException"},
    {"kind": "error", "count": 1, "code": "AccessDeniedException", "after_effect": True},
    {"kind": "error", "count": 1, "code": "ResourceNotFoundException"},
    {"kind": "error", "count": 1, "code": "ResourceNotFoundException", "after_effect": True},
    {"kind": "delay", "count": 1, "delay": HOLD},
    {"kind": "delay", "count": 1, "delay": HOLD, "after_effect": True},
    {"kind": "drop", "count": 1},
    {"kind": "drop", "count": 1, "after_effect": True},
]
TRIALS = 4
STEPS = 4


def dangling(world: dict[str, Any]) -> bool:
    """Whether some intent has no outcome after it (what a kill mid-release leaves)."""
    open_calls: set[str] = set()
    for record in records(world):
        token = record.get("client_token")
        if record.get("status") == "intent":
            open_calls.add(token)
        elif record.get("status") in ("done", "failed", "skipped", "unknown"):
            open_calls.discard(token)
    return bool(open_calls)


@pytest.mark.slow
def test_kills_faults_and_second_applies_never_undercount(
    emulator_factory: Any, tmp_path: Path
) -> None:
    rng = random.Random(20261210)
    seen = {"kill": 0, "apply": 0, "killed mid-release": 0}
    for trial in range(TRIALS):
        world = make_world(emulator_factory, tmp_path / f"trial-{trial}")
        saved = save_plan(world)
        held_until = 0.0  # when a call a killed apply left in the emulator has landed
        for step in range(STEPS):
            kind = rng.choice(["kill", "apply"])
            fault = rng.choice(FAULTS)
            args = apply_args(world, saved) if rng.random() < 0.5 else fresh_apply_args(world)
            where = f"trial {trial} step {step}: {kind} {args[1]} with {fault}"
            world["server"].set_faults(
                [] if fault is None else [{**fault, "operation": "ReleasePhoneNumber"}]
            )
            time.sleep(max(0.0, held_until - time.monotonic()))
            seen[kind] += 1
            if kind == "kill":
                # Paced to 8 calls/s, so a release's intent and outcome lie ~0.1 s apart.
                proc = spawn(*args, "--rate", "8", "--burst", "1", output=False)
                goal = intents_written(world) + rng.choice([1, 2])
                wait_until(
                    lambda w=world, p=proc, n=goal: intents_written(w) >= n or p.poll() is not None,
                    what=where,
                )
                time.sleep(rng.uniform(0.0, 0.15))
                proc.kill()
                proc.wait()
                held_until = time.monotonic() + HOLD + 0.3
                seen["killed mid-release"] += dangling(world)
                used, account = check_counted(world, recorded=False)
            else:
                result = cli(*args)
                assert result.returncode in (0, 1), f"{where}: {result.stdout}{result.stderr}"
                assert "Traceback" not in result.stderr
                used, account = check_counted(world)
            assert used >= account, where
        world["server"].clear_faults()
        time.sleep(max(0.0, held_until - time.monotonic()))
        final = cli(*fresh_apply_args(world))
        assert final.returncode == 0, final.stdout + final.stderr
        used, account = check_counted(world)
        assert used == account == len(DROP), f"trial {trial}: {used} counted, {account} done"
        check_invariants(world)
    # The interleavings reached what they are about: kills with a release in flight.
    assert seen["killed mid-release"] >= 1, seen
