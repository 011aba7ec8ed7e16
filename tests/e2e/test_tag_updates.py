"""Tags named in numbers.yaml are applied in place against the emulator (issue 15, part
1): TagResource/UntagResource for the named keys only, confirmed by DescribePhoneNumber,
zero quota used, no release; a description update whose answer is lost is retried with
its client token and succeeds; the next plan is empty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from .support import DROP, FAST, KEEP, TARGET, cli, make_world, seed

LIVE_TAGS = {"team": "sales", "owner": "ops", "cost": "12"}


def tagged_world(emulator_factory: Any, tmp_path: Path) -> dict[str, Any]:
    world = make_world(emulator_factory, tmp_path)
    world["server"].stop()
    data = seed()
    data["numbers"][0]["tags"] = dict(LIVE_TAGS)
    data["numbers"][0]["description"] = "Main line"
    world["server"] = emulator_factory(data, rate=50.0, burst=5)
    # Keep every number (nothing to release); name tags (and a description) on the first.
    world["numbers"].write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: 10\nnumbers:\n"
        f'  - number: "{KEEP[0]}"\n    description: Support line\n'
        "    tags:\n      team: support\n      region: emea\n      cost: null\n"
        + "".join(f'  - "{n}"\n' for n in [KEEP[1], *DROP])
    )
    return world


def live_number(number: str) -> dict[str, Any]:
    connect = boto3.client("connect", region_name="us-east-1")
    listed = connect.list_phone_numbers_v2(TargetArn=TARGET)["ListPhoneNumbersSummaryList"]
    (found,) = [n for n in listed if n["PhoneNumber"] == number]
    described = connect.describe_phone_number(PhoneNumberId=found["PhoneNumberId"])
    return described["ClaimedPhoneNumberSummary"]  # type: ignore[no-any-return]


def test_named_tags_are_applied_in_place_and_other_keys_left_alone(
    emulator_factory: Any, tmp_path: Path
) -> None:
    world = tagged_world(emulator_factory, tmp_path)
    server = world["server"]
    args = ["--numbers", str(world["numbers"]), "--ledger", str(world["ledger"]), *FAST]

    shown = cli("plan", "--format", "json", "--detailed-exitcode", *args)
    assert shown.returncode == 2, shown.stdout + shown.stderr  # a pending change
    plan = json.loads(shown.stdout)
    assert plan["releases"] == [] and plan["quota"]["planned"] == 0
    (update,) = plan["updates"]
    assert update["description"] == {"from": "Main line", "to": "Support line"}
    assert update["tags"] == {
        "set": {"region": "emea", "team": "support"},
        "remove": ["cost"],
        "from": {"cost": "12", "team": "sales"},
    }
    text = cli("plan", *args).stdout
    assert '~ tags team: "sales" -> "support"' in text
    assert '~ tags region: (none) -> "emea"' in text
    assert '- tags cost: "12" -> (removed)' in text
    markdown = cli("plan", "--format", "markdown", *args).stdout
    assert '~ tags team: "sales" → "support"' in markdown

    saved = tmp_path / "plan.json"
    assert cli("plan", "--out", str(saved), *args).returncode == 0
    # The first answer of UpdatePhoneNumberMetadata is lost after the update happened:
    # the retry carries the same client token and succeeds (no 409 while IN_PROGRESS).
    server.add_fault("drop", operation="UpdatePhoneNumberMetadata", count=1, after_effect=True)
    applied = cli("apply", str(saved), *args[2:])
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "1 updated" in applied.stdout

    number = live_number(KEEP[0])
    # Named keys set or removed; `owner`, not named by the file, left as it was.
    assert number["Tags"] == {"team": "support", "region": "emea", "owner": "ops"}
    assert number["PhoneNumberDescription"] == "Support line"
    assert number["PhoneNumberStatus"]["Status"] == "CLAIMED"
    assert server.state_summary()["quota"]["used"] == 0  # no quota cost
    assert not [e for e in server.history("emulator") if e["action"] == "release"]
    stats = server.stats()
    # The lost answer was retried: two calls, the fault fired once, one update made.
    assert stats["calls"]["UpdatePhoneNumberMetadata"] == 2, stats
    assert stats["calls"]["TagResource"] == 1 and stats["calls"]["UntagResource"] == 1, stats

    again = cli("plan", "--format", "json", "--detailed-exitcode", *args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["updates"] == []
    # The same saved plan applied again: the fresh plan makes no update, nothing is done.
    rerun = cli("apply", str(saved), *args[2:])
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert live_number(KEEP[0])["Tags"] == {"team": "support", "region": "emea", "owner": "ops"}
