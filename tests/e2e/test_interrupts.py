"""Interrupts end with an exact report (issue 10, item 6): SIGINT and SIGTERM sent to a
real `connect-numbers apply` process while a ReleasePhoneNumber call is in flight.

The call in flight settles and is recorded, nothing after it is attempted, the
usual end report is printed in the chosen format with the command that
continues, and the exit code is 128 + the signal (130, 143). The ledger then
matches the account.
"""

from __future__ import annotations

import json
import signal
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
    emulator_releases,
    fresh_apply_args,
    intents_written,
    make_world,
    records,
    save_plan,
    spawn,
    wait_until,
)

IN_FLIGHT = 1.5  # seconds the first ReleasePhoneNumber is held by the emulator


@pytest.fixture
def world(emulator_factory: Any, tmp_path: Path) -> dict[str, Any]:
    return make_world(emulator_factory, tmp_path)


def release_statuses(world: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["phone_number"], r["status"]) for r in records(world) if r.get("action")]


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_lets_the_release_in_flight_settle_and_reports_exactly(
    world: dict[str, Any], sig: signal.Signals, fmt: str
) -> None:
    saved = save_plan(world)
    world["server"].add_fault("delay", operation="ReleasePhoneNumber", count=1, delay=IN_FLIGHT)
    proc = spawn(*apply_args(world, saved), "--format", fmt)
    wait_until(lambda: intents_written(world) == 1, what="the first intent")
    time.sleep(0.2)  # the call is now held in the emulator
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, out + err
    name = sig.name

    # The call in flight settled and was recorded; nothing after it was started.
    first = release_statuses(world)[0][0]
    assert release_statuses(world) == [(first, "intent"), (first, "done")]
    assert [e["phone_number"] for e in emulator_releases(world)] == [first]
    assert f"{name} received: finishing the release in flight" in err
    command = f"connect-numbers apply {saved} --ledger {world['ledger']}"
    if fmt == "json":
        report = json.loads(out)  # stdout is the report, and only the report
        assert report["ok"] is False and report["stopped"] == f"interrupted by {name}"
        assert report["counts"]["released"] == 1
        assert report["counts"]["not_attempted"] == len(DROP) - 1
        rest = [o for o in report["outcomes"] if o["status"] == "not_attempted"]
        assert {o["message"] for o in rest} == {f"not attempted: interrupted by {name}"}
        assert report["next"] == command
    else:
        assert "Apply stopped (plan-" in out and f"): interrupted by {name}." in out
        assert f"  1 released, {len(DROP) - 1} not attempted." in out
        assert f"Next: run `{command}` to continue" in out
        assert "Traceback" not in err

    # The ledger matches the account; the command it printed finishes the job.
    used, account = check_counted(world)
    assert used == account == 1
    rerun = cli(*apply_args(world, saved))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    check_invariants(world)


def test_a_second_interrupt_stops_at_once_and_the_release_still_counts(
    world: dict[str, Any],
) -> None:
    """Ctrl-C twice: stop now, as a kill would. The intent of the call in flight
    counts; when the call lands, the next apply records it done."""
    saved = save_plan(world)
    world["server"].add_fault("delay", operation="ReleasePhoneNumber", count=1, delay=2.0)
    proc = spawn(*apply_args(world, saved))
    wait_until(lambda: intents_written(world) == 1, what="the first intent")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "SIGINT again: stopping at once" in err and "Traceback" not in err
    assert [s for _, s in release_statuses(world)] == ["intent"]
    wait_until(lambda: len(emulator_releases(world)) == 1, what="the held call to land")
    check_counted(world, recorded=False)  # the intent counts: 1 used, 1 performed
    rerun = cli(*apply_args(world, saved))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    check_invariants(world)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_before_any_release_stops_at_once(
    world: dict[str, Any], sig: signal.Signals
) -> None:
    """While the apply still plans (a slow listing), there is nothing to settle; the JSON
    report still comes (a pipeline parsing stdout always gets one): nothing released."""
    world["server"].add_fault("delay", operation="ListPhoneNumbersV2", count=1, delay=2.0)
    proc = spawn(*fresh_apply_args(world), "--format", "json")
    wait_until(
        lambda: world["server"].stats()["calls"].get("ListPhoneNumbersV2", 0) >= 1,
        what="the listing to start",
    )
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig
    assert f"error: interrupted by {sig.name} before any release; nothing was released" in err
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["stopped"] == f"interrupted by {sig.name}" and report["ok"] is False
    assert report["plan_id"] is None and report["outcomes"] == []
    assert set(report["counts"].values()) == {0}
    assert report["next"].startswith("connect-numbers apply ") and "--ledger" in report["next"]
    assert emulator_releases(world) == [] and records(world) == []
