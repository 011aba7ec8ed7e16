"""End-to-end helpers: a world (emulator, numbers.yaml, ledger), the CLI in this
process or as a real process, kills and signals, and what the account counted.

The emulator runs in this process; a CLI process reaches it through
AWS_ENDPOINT_URL_CONNECT, exactly as a user's shell would.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    """An emulator (2 numbers kept, 6 to release, limit 20), numbers.yaml, an empty ledger."""
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


def spawn(*argv: str, output: bool = True) -> subprocess.Popen[str]:
    """The CLI as a real process (to kill or signal); stdout and stderr captured."""
    pipe = subprocess.PIPE if output else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *argv],
        stdout=pipe,
        stderr=pipe,
        text=True,
        env={**os.environ},
    )


def save_plan(world: dict[str, Any]) -> Path:
    saved = world["dir"] / "plan.json"
    ledger = str(world["ledger"])
    result = cli(
        "plan", "--numbers", str(world["numbers"]), "--ledger", ledger, "--out", str(saved)
    )
    assert result.returncode == 0, result.stderr
    return saved


def apply_args(world: dict[str, Any], saved: Path) -> list[str]:
    return ["apply", str(saved), "--ledger", str(world["ledger"]), *FAST]


def fresh_apply_args(world: dict[str, Any]) -> list[str]:
    """An apply that plans now (no saved plan) and does not ask."""
    ledger = str(world["ledger"])
    return ["apply", "--numbers", str(world["numbers"]), "--ledger", ledger, "--auto-approve"]


def records(world: dict[str, Any]) -> list[dict[str, Any]]:
    """The ledger's records (a torn last line, as a kill may leave, left out)."""
    found = []
    for line in world["ledger"].read_text().splitlines():
        with contextlib.suppress(ValueError):
            found.append(json.loads(line))
    return found


def emulator_releases(world: dict[str, Any]) -> list[dict[str, Any]]:
    """Every release the emulator performed (its own count, whatever the ledger says)."""
    return [e for e in world["server"].history("emulator") if e["action"] == "release"]


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def intents_written(world: dict[str, Any]) -> int:
    return sum(r.get("status") == "intent" for r in records(world))


def kill_after_intent(
    world: dict[str, Any], proc: subprocess.Popen[str], *, after: float = 0.1, intents: int = 1
) -> None:
    """SIGKILL ``proc`` ``after`` seconds after the ledger holds ``intents`` intents."""
    wait_until(
        lambda: intents_written(world) >= intents or proc.poll() is not None,
        what="an intent in the ledger",
    )
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def plan(world: dict[str, Any], *extra: str) -> subprocess.CompletedProcess[str]:
    """`connect-numbers plan` of the world's numbers file and ledger, in this process."""
    return cli("plan", "--numbers", str(world["numbers"]), "--ledger", str(world["ledger"]), *extra)


def quota_used(world: dict[str, Any]) -> int:
    """What `plan --format json` counts as used: the history the product believes."""
    result = plan(world, "--format", "json", *FAST)
    assert result.returncode in (0, 3), result.stdout + result.stderr
    return int(json.loads(result.stdout)["quota"]["used"])


def check_counted(world: dict[str, Any], *, recorded: bool = True) -> tuple[int, int]:
    """The plan never counts fewer actions than the account performed, and (with
    ``recorded``) every release the emulator performed has a `done` record."""
    performed = emulator_releases(world)
    account = world["server"].state_summary()["quota"]["used"]  # the emulator's own count
    assert account == len(performed)  # the seed has no earlier history
    used = quota_used(world)
    assert used >= account, f"the plan counts {used} actions, the account {account}"
    if recorded:
        done = {r.get("phone_number_id") for r in records(world) if r.get("status") == "done"}
        missing = sorted(e["phone_number"] for e in performed if e["phone_number_id"] not in done)
        assert not missing, f"released by the account, no done record: {missing}"
    return used, account


def check_invariants(world: dict[str, Any]) -> None:
    """No double release, no desired number released, every release recorded done
    exactly once, and a final plan with nothing to release."""
    counts = Counter(e["phone_number"] for e in emulator_releases(world))
    assert all(c == 1 for c in counts.values()), f"released twice: {counts}"
    assert not set(counts) & set(KEEP), "a desired number was released"
    done = Counter(r["phone_number"] for r in records(world) if r.get("status") == "done")
    assert all(c == 1 for c in done.values()), f"recorded done twice: {done}"
    assert set(done) == set(counts), "a release the emulator performed is not in the ledger"
    final = plan(world, "--detailed-exitcode", *FAST)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "Release: nothing." in final.stdout


def plan_json(*argv: str) -> dict[str, Any]:
    """``connect-numbers plan --format json ARGV`` in this process, which must succeed."""
    result = cli("plan", "--format", "json", *argv)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def file_args(numbers: Path) -> list[str]:
    """``--numbers NUMBERS --ledger LEDGER``, with an empty ledger beside the numbers file."""
    ledger = numbers.parent / "history.jsonl"
    ledger.touch()
    return ["--numbers", str(numbers), "--ledger", str(ledger)]
