"""A description changed in numbers.yaml is applied in place against the emulator
(issue 15, part 1): UpdatePhoneNumberMetadata confirmed by DescribePhoneNumber, zero
quota used, no release; the next plan is empty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .support import FAST, KEEP, TARGET, cli, make_world


def test_a_description_change_is_applied_with_no_quota_used_and_no_release(
    emulator_factory: Any, tmp_path: Path
) -> None:
    world = make_world(emulator_factory, tmp_path)
    server = world["server"]
    numbers = world["numbers"]
    # Keep every number (nothing to release) and name the first one.
    listed = [KEEP[0], KEEP[1], *[f"+120655502{i:02d}" for i in range(6)]]
    numbers.write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: 10\nnumbers:\n"
        f'  - number: "{listed[0]}"\n    description: Support line\n'
        + "".join(f'  - "{n}"\n' for n in listed[1:])
    )
    args = ["--numbers", str(numbers), "--ledger", str(world["ledger"]), *FAST]

    shown = cli("plan", "--format", "json", "--detailed-exitcode", *args)
    assert shown.returncode == 2, shown.stdout + shown.stderr  # a pending change
    plan = json.loads(shown.stdout)
    assert plan["releases"] == [] and plan["quota"]["planned"] == 0
    assert [u["description"] for u in plan["updates"]] == [{"from": None, "to": "Support line"}]

    applied = cli("apply", "--auto-approve", *args)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "1 updated" in applied.stdout

    summary = server.state_summary()
    assert summary["quota"]["used"] == 0  # no quota cost
    assert not [e for e in server.history("emulator") if e["action"] == "release"]
    recorded = [json.loads(line) for line in world["ledger"].read_text().splitlines()]
    assert not [r for r in recorded if r.get("action")]  # no claim, no release recorded
    again = cli("plan", "--format", "json", "--detailed-exitcode", *args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["updates"] == []
