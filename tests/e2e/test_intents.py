"""A release, once intended, is never forgotten (issue 10, item 1), end to end: the CLI
(as a real process where it is killed), real boto3, the emulator's own count.

After every scenario the plan's `quota.used` is never below the account's count
of actions, and every release the account performed has a `done` record.
"""

from __future__ import annotations

import json
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
    kill_after_intent,
    make_world,
    records,
    save_plan,
    spawn,
    wait_until,
)

IN_FLIGHT = 2.5  # seconds a killed apply's ReleasePhoneNumber stays in the emulator


@pytest.fixture
def world(emulator_factory: Any, tmp_path: Path) -> dict[str, Any]:
    return make_world(emulator_factory, tmp_path)


SECOND_APPLIES = {
    "the same plan at once": (apply_args, False),
    "a fresh plan at once": (fresh_apply_args, False),
    "the same plan once the release landed": (apply_args, True),
    "a fresh plan once the release landed": (fresh_apply_args, True),
}


@pytest.mark.parametrize("second", sorted(SECOND_APPLIES))
def test_an_apply_killed_with_its_release_in_flight_is_counted_by_the_next(
    world: dict[str, Any], second: str
) -> None:
    """SIGKILL 0.1 s after the intent is written, while ReleasePhoneNumber is held in
    the emulator; a second apply starts. The killed call lands (or loses the race to
    the second apply's own call): either way the account performed one release per
    number, and the plan counts exactly that, each with a done record."""
    saved = save_plan(world)
    world["server"].add_fault("delay", operation="ReleasePhoneNumber", count=1, delay=IN_FLIGHT)
    args, landed = SECOND_APPLIES[second]
    killed = spawn(*apply_args(world, saved), output=False)
    kill_after_intent(world, killed, after=0.1)
    started = time.monotonic()
    assert not any(r.get("status") == "done" for r in records(world))
    if landed:
        wait_until(lambda: len(emulator_releases(world)) == 1, what="the killed call to land")
    result = cli(*args(world, saved) if args is apply_args else args(world))
    assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(max(0.0, IN_FLIGHT + 0.3 - (time.monotonic() - started)))  # it has landed now
    used, account = check_counted(world)
    assert used == account == len(DROP)
    # The regression: a number found gone after the killed intent is never `skipped`.
    assert not [r for r in records(world) if r.get("status") == "skipped"]
    if landed:
        assert "note: recorded the release of" in result.stderr
        assert "confirmed: number no longer claimed after an interrupted release" in result.stderr
    check_invariants(world)


@pytest.mark.parametrize("code", ["ResourceNotFoundException", "AccessDeniedException"])
def test_an_error_answered_after_the_release_happened_is_counted_released(
    world: dict[str, Any], code: str
) -> None:
    """ReleasePhoneNumber takes effect, then answers an error (emulator fault `error`
    with after_effect): the release is recorded done (counted) and reported
    released with how it was confirmed, never skipped."""
    saved = save_plan(world)
    world["server"].add_fault(
        "error", operation="ReleasePhoneNumber", count=1, code=code, after_effect=True
    )
    result = cli(*apply_args(world, saved), "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["released"] == len(DROP) and report["counts"]["skipped"] == 0
    first = report["outcomes"][0]
    assert first["status"] == "released"
    assert first["message"] == (
        f"confirmed: number no longer claimed after ReleasePhoneNumber answered {code}"
    )
    done = [r for r in records(world) if r.get("status") == "done"]
    assert done[0]["message"] == first["message"]
    used, account = check_counted(world)
    assert used == account == len(DROP)
    check_invariants(world)


def test_not_found_for_a_number_still_claimed_keeps_counting_until_settled(
    world: dict[str, Any],
) -> None:
    """A contradiction (NotFound, yet a describe finds the number claimed) is not
    evidence either way: the outcome is unknown, counted, and the next run settles it."""
    saved = save_plan(world)
    world["server"].add_fault(
        "error", operation="ReleasePhoneNumber", count=1, code="ResourceNotFoundException"
    )
    result = cli(*apply_args(world, saved), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["counts"]["failed"] == 1 and report["counts"]["released"] == 0
    assert report["outcomes"][0]["message"].startswith("outcome unknown")
    assert [r["status"] for r in records(world) if r.get("status") != "coverage"] == [
        "intent",
        "unknown",
    ]
    used, account = check_counted(world)
    assert (used, account) == (1, 0)  # counted, though the account did nothing: in doubt
    assert cli(*apply_args(world, saved)).returncode == 0
    used, account = check_counted(world)
    assert used == account == len(DROP)
    check_invariants(world)
