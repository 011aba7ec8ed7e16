"""The ownership policy end to end (issue 14, part 2): the real CLI, real boto3, the emulator.

An instance holds one number of every PhoneNumberType and a DID imported from AWS
End User Messaging SMS (SourcePhoneNumberArn). numbers.yaml keeps one number. By
default only the DID and the TOLL_FREE number are released; the others are listed
as skipped, with their reason, in every format, are never described, and are still
claimed after apply. Only safety.release_types / safety.release_imported widen it;
a saved plan edited to release a UIFN does not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.core import render
from reconciler.core.planfile import plan_from_dict

from .support import FAST, INSTANCE, TARGET, cli, file_args, plan_json

SMS = "arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-0123456789abcdef"
KEEP = "+12065550100"
RELEASED = {"+12065550150": "DID", "+18005550151": "TOLL_FREE"}
PROTECTED = {
    "+12065550160": "UIFN",
    "+12065550161": "SHARED",
    "+12065550162": "THIRD_PARTY_DID",
    "+18005550163": "THIRD_PARTY_TF",
    "+12065550164": "SHORT_CODE",
}
IMPORTED = "+12065550170"


def seed() -> dict[str, Any]:
    numbers: list[dict[str, Any]] = [{"phone_number": KEEP, "instance": INSTANCE}]
    numbers += [
        {"phone_number": n, "instance": INSTANCE, "type": t}
        for n, t in {**RELEASED, **PROTECTED}.items()
    ]
    numbers.append({"phone_number": IMPORTED, "instance": INSTANCE, "source_phone_number_arn": SMS})
    return {"instances": [{"id": INSTANCE}], "quota": {"phone_numbers": 20}, "numbers": numbers}


def numbers_file(directory: Path, safety: str = "") -> Path:
    path = directory / "numbers.yaml"
    path.write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: 20\n"
        f'{safety}numbers:\n  - "{KEEP}"\n'
    )
    return path


def live(server: Any) -> set[str]:
    import boto3

    connect = boto3.client("connect")
    listed = connect.list_phone_numbers_v2(TargetArn=TARGET)["ListPhoneNumbersSummaryList"]
    return {n["PhoneNumber"] for n in listed}


def test_protected_numbers_are_skipped_in_every_format_and_stay_claimed(
    emulator_factory: Any, tmp_path: Path
) -> None:
    server = emulator_factory(seed())
    args = file_args(numbers_file(tmp_path))
    plan = plan_json(*args)
    assert {r["phone_number"]: r["type"] for r in plan["releases"]} == RELEASED
    skipped = {s["phone_number"]: s for s in plan["skipped"]}
    assert set(skipped) == {*PROTECTED, IMPORTED}
    for number, kind in PROTECTED.items():
        assert skipped[number]["type"] == kind
        assert skipped[number]["protected_by"] == ["safety.release_types"]
        assert (
            f"type {kind} is not in safety.release_types (DID, TOLL_FREE)"
            in (skipped[number]["reason"])
        )
    assert skipped[IMPORTED]["protected_by"] == ["safety.release_imported"]
    assert f"imported from {SMS}" in skipped[IMPORTED]["reason"]
    assert plan["policy"]["release_types"] == ["DID", "TOLL_FREE"]
    # Decided from the listing: only the two releases were described.
    assert server.stats()["calls"].get("DescribePhoneNumber") == 2

    text = cli("plan", *args).stdout
    assert "Skipped: +12065550160 [UIFN] never released by policy: protected: type UIFN" in text
    assert f"Skipped: {IMPORTED} [DID] never released by policy: protected: imported" in text
    markdown = cli("plan", "--format", "markdown", *args).stdout
    assert "**Not released by policy** (6)" in markdown
    assert "| `+18005550163` | THIRD_PARTY_TF | protected: type THIRD_PARTY_TF" in markdown

    applied = cli("apply", "--auto-approve", *args, *FAST)
    assert applied.returncode == 0, applied.stderr
    assert live(server) == {KEEP, *PROTECTED, IMPORTED}
    again = json.loads(cli("plan", "--format", "json", "--detailed-exitcode", *args).stdout)
    assert again["releases"] == [] and len(again["skipped"]) == 6


def test_the_policy_widens_only_through_numbers_yaml(emulator_factory: Any, tmp_path: Path) -> None:
    server = emulator_factory(seed())
    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    numbers = numbers_file(tmp_path)
    saved = tmp_path / "plan.json"
    made = cli("plan", "--numbers", str(numbers), "--ledger", str(ledger), "--out", str(saved))
    assert made.returncode == 0, made.stderr

    # A reviewed plan edited to release the UIFN (its id recomputed) releases nothing of it.
    data = json.loads(saved.read_text())
    uifn = next(s for s in data["skipped"] if s["phone_number"] == "+12065550160")
    data["skipped"].remove(uifn)
    data["releases"].append(
        {
            "phone_number": uifn["phone_number"],
            "phone_number_id": uifn["phone_number_id"],
            "phone_number_arn": uifn["target_arn"].replace(
                f"instance/{INSTANCE}", f"phone-number/{uifn['phone_number_id']}"
            ),
            "target_arn": uifn["target_arn"],
            "type": "UIFN",
            "flows": [],
            "deactivated_flows": [],
        }
    )
    data.pop("plan_id")
    data["plan_id"] = render.plan_id(plan_from_dict(data))
    saved.write_text(json.dumps(data))
    applied = cli("apply", str(saved), "--ledger", str(ledger), *FAST)
    assert applied.returncode == 1
    assert (
        "+12065550160 (" in applied.stderr
        and ") is not released by a fresh plan: protected: type UIFN" in applied.stderr
    )
    assert live(server) == {KEEP, *RELEASED, *PROTECTED, IMPORTED}  # refused whole

    # Widened on purpose: the UIFN and the imported number are released.
    widened = numbers_file(
        tmp_path, "safety:\n  release_types: [DID, TOLL_FREE, UIFN]\n  release_imported: true\n"
    )
    result = cli("plan", "--format", "json", "--numbers", str(widened), "--ledger", str(ledger))
    plan = json.loads(result.stdout)
    assert {r["phone_number"] for r in plan["releases"]} == {*RELEASED, "+12065550160", IMPORTED}
    assert plan["policy"] == {**plan["policy"], "release_imported": True}
    assert plan["policy"]["release_types"] == ["DID", "TOLL_FREE", "UIFN"]
