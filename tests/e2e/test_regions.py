"""One numbers file, targets in two regions: the CLI with real boto3 against two emulators.

What is checked: each target is read and released in its own region (through
the router of tests/regions.py), and the rolling quota is counted per region.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.regions import ACCOUNT, EAST, WEST

from .support import FAST, cli


def history(path: Path, per_target: dict[str, int]) -> Path:
    now = datetime.now(UTC)
    lines = [
        json.dumps(
            {
                "action": "release",
                "phone_number": f"+1206555{7000 + k:04d}",
                "at": (now - timedelta(days=3, minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "status": "done",
                "target_arn": target,
            }
        )
        for target, count in per_target.items()
        for k in range(count)
    ]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def released(server: Any) -> list[str]:
    return [e["phone_number"] for e in server.history("emulator") if e["action"] == "release"]


def test_each_target_is_read_and_released_in_its_own_region(regions: dict[str, Any]) -> None:
    ledger = history(regions["dir"] / "h.jsonl", {WEST: 19})  # west: 1 action left
    numbers = str(regions["numbers"])
    planned = cli("plan", "--numbers", numbers, "--ledger", str(ledger), "--format", "json", *FAST)
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert sorted(r["phone_number"] for r in plan["releases"]) == ["+12065550150", "+15035550160"]
    groups = {g["region"]: g["quota"] for g in plan["quota_groups"]}
    assert (groups["us-east-1"]["used"], groups["us-east-1"]["planned"]) == (0, 1)
    assert (groups["us-west-2"]["used"], groups["us-west-2"]["after"]) == (19, 20)
    assert plan["quota"] == groups["us-west-2"]  # the binding group
    assert all(regions["router"].routed.values())  # both regions were asked

    applied = cli("apply", "--numbers", numbers, "--ledger", str(ledger), "--auto-approve", *FAST)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert released(regions["east"]) == ["+12065550150"]
    assert released(regions["west"]) == ["+15035550160"]


def test_a_full_region_refuses_the_plan_naming_it(regions: dict[str, Any]) -> None:
    ledger = history(regions["dir"] / "h.jsonl", {WEST: 20, EAST: 5})
    numbers = str(regions["numbers"])
    planned = cli("plan", "--numbers", numbers, "--ledger", str(ledger), *FAST)
    assert planned.returncode == 3, planned.stdout + planned.stderr
    assert f"[quota_exceeded] account {ACCOUNT}, us-west-2: releasing 1 number(s)" in planned.stdout
    assert f"Quota of account {ACCOUNT}, us-east-1, 1 release(s) there" in planned.stdout
    assert "before: 5 of 20 used" in planned.stdout
    applied = cli("apply", "--numbers", numbers, "--ledger", str(ledger), "--auto-approve", *FAST)
    assert applied.returncode == 3
    assert released(regions["east"]) == [] and released(regions["west"]) == []
