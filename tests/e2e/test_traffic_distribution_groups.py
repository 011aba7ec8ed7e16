"""A traffic distribution group managed like an instance (issue 14, part 1), end to end.

A TDG is created and filled through the Connect API with real boto3
(CreateTrafficDistributionGroup, ClaimPhoneNumber with the TDG as TargetArn); its
ARN in numbers.yaml is a target: ListPhoneNumbersV2 by that ARN returns its numbers
(an instance ARN would not), the plan lists it (JSON targets and target_details,
text "Target:" lines), apply releases the number the file does not keep
(ReleasePhoneNumber in the region where it was claimed, the TDG's), the ledger
counts it for the TDG's account and region, and the next plan is empty.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from .support import FAST, INSTANCE, TARGET, cli, file_args, plan_json

KEEP_ON_INSTANCE = "+12065550100"
KEEP_ON_TDG = "+12065550400"
DROP_ON_TDG = "+12065550401"


def test_a_tdg_filled_through_the_api_is_planned_applied_and_converges(
    emulator_factory: Any, tmp_path: Path
) -> None:
    server = emulator_factory(
        {
            "instances": [{"id": INSTANCE}],
            "numbers": [{"phone_number": KEEP_ON_INSTANCE, "instance": INSTANCE}],
            "available": [KEEP_ON_TDG, DROP_ON_TDG],
            "quota": {"phone_numbers": 10},
        }
    )
    connect = boto3.client("connect")
    tdg = connect.create_traffic_distribution_group(Name="east-west", InstanceId=INSTANCE)
    for number in (KEEP_ON_TDG, DROP_ON_TDG):
        connect.claim_phone_number(TargetArn=tdg["Arn"], PhoneNumber=number)
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\n  - arn: {tdg['Arn']}\n"
        f'quota:\n  phone_numbers: 10\nnumbers:\n  - "{KEEP_ON_INSTANCE}"\n  - "{KEEP_ON_TDG}"\n'
    )
    args = file_args(numbers)
    ledger = tmp_path / "history.jsonl"
    plan = plan_json(*args)
    assert plan["targets"] == [TARGET, tdg["Arn"]]
    kinds = {(d["kind"], d["id"], d["account_id"], d["region"]) for d in plan["target_details"]}
    assert kinds == {
        ("instance", INSTANCE, "111122223333", "us-east-1"),
        ("traffic-distribution-group", tdg["Id"], "111122223333", "us-east-1"),
    }
    assert [(r["phone_number"], r["target_arn"]) for r in plan["releases"]] == [
        (DROP_ON_TDG, tdg["Arn"])
    ]
    assert {k["phone_number"]: k["target_arn"] for k in plan["keeps"]} == {
        KEEP_ON_INSTANCE: TARGET,
        KEEP_ON_TDG: tdg["Arn"],
    }
    (group,) = plan["quota_groups"]
    assert (group["account_id"], group["region"], group["quota"]["planned"]) == (
        "111122223333",
        "us-east-1",
        1,
    )
    text = cli("plan", *args).stdout
    assert f"Target: traffic distribution group {tdg['Id']} (account 111122223333, us-east-1)" in (
        text
    )
    assert f"Target: instance {INSTANCE} (account 111122223333, us-east-1)" in text
    markdown = cli("plan", "--format", "markdown", *args).stdout
    assert f"Target: traffic distribution group {tdg['Id']}" in markdown

    applied = cli("apply", "--auto-approve", *args, *FAST)
    assert applied.returncode == 0, applied.stderr
    listed = connect.list_phone_numbers_v2(TargetArn=tdg["Arn"])["ListPhoneNumbersSummaryList"]
    assert [n["PhoneNumber"] for n in listed] == [KEEP_ON_TDG]
    done = [json.loads(line) for line in ledger.read_text().splitlines()]
    released = [r for r in done if r.get("action") == "release" and r.get("status") == "done"]
    assert [(r["phone_number"], r["target_arn"]) for r in released] == [(DROP_ON_TDG, tdg["Arn"])]
    # The account counts the claims and the release where they were made.
    assert server.state_summary()["quota"]["used"] == 3
    again = cli("plan", "--format", "json", "--detailed-exitcode", *args)
    assert again.returncode == 0, again.stdout
    assert json.loads(again.stdout)["releases"] == []
