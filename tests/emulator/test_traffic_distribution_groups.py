"""Traffic distribution groups (issue 14, part 1) as real boto3 sees them.

AWS facts (botocore's Connect model, 2017-08-08): CreateTrafficDistributionGroup
(PUT /traffic-distribution-group, Name and InstanceId) answers Id and Arn;
DescribeTrafficDistributionGroup takes the id or the ARN; ListTrafficDistributionGroups
pages by at most 10 (MaxResult10) and filters by instanceId; ClaimPhoneNumber takes a
TDG as TargetArn; ListPhoneNumbersV2 "when given a traffic distribution group ARN
returns only the phone numbers claimed to the traffic distribution group" (and an
instance ARN only the instance's); ReleasePhoneNumber releases a TDG's number.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from connect_emulator import EmulatorServer

from .support import A_ARN, PREFIX, A, client, conformance_problems, failure, record_raw

Factory = Callable[..., EmulatorServer]

TDG_ARN = f"{PREFIX}:traffic-distribution-group/tdg-1"


def seed() -> dict[str, Any]:
    return {
        "instances": [{"id": A}],
        "traffic_distribution_groups": [
            {"id": "tdg-1", "instance": A, "name": "east-west", "default": True}
        ],
        "numbers": [
            {"phone_number": "+12065550100", "instance": A},
            {"phone_number": "+12065550101", "instance": A, "traffic_distribution_group": "tdg-1"},
        ],
        "available": ["+12065550400", "+12065550401"],
        "quota": {"phone_numbers": 10},
    }


def listed(connect: Any, **kw: Any) -> dict[str, dict[str, Any]]:
    items = connect.list_phone_numbers_v2(**kw)["ListPhoneNumbersSummaryList"]
    return {n["PhoneNumber"]: n for n in items}


def test_a_tdg_is_created_described_listed_filled_and_emptied_through_the_api(
    emulator_factory: Factory,
) -> None:
    server = emulator_factory(seed())
    connect = client()
    raw = record_raw(connect)

    created = connect.create_traffic_distribution_group(Name="west", InstanceId=A)
    arn = created["Arn"]
    assert arn == f"{PREFIX}:traffic-distribution-group/{created['Id']}"
    for reference in (created["Id"], arn):
        tdg = connect.describe_traffic_distribution_group(TrafficDistributionGroupId=reference)
        group = tdg["TrafficDistributionGroup"]
        assert (group["Name"], group["InstanceArn"], group["Status"]) == ("west", A_ARN, "ACTIVE")
        assert group["IsDefault"] is False
    groups = connect.list_traffic_distribution_groups(InstanceId=A)
    summaries = groups["TrafficDistributionGroupSummaryList"]
    assert sorted(g["Arn"] for g in summaries) == sorted([arn, TDG_ARN])

    claimed = connect.claim_phone_number(TargetArn=arn, PhoneNumber="+12065550400")
    on_tdg = listed(connect, TargetArn=arn)
    assert list(on_tdg) == ["+12065550400"]
    assert on_tdg["+12065550400"]["TargetArn"] == arn
    assert on_tdg["+12065550400"]["InstanceId"] == A
    # The instance's ARN lists only the instance's own number; the account, all three.
    assert list(listed(connect, TargetArn=A_ARN)) == ["+12065550100"]
    assert list(listed(connect, InstanceId=A)) == ["+12065550100"]
    assert sorted(listed(connect)) == ["+12065550100", "+12065550101", "+12065550400"]
    assert list(listed(connect, TargetArn=TDG_ARN)) == ["+12065550101"]

    connect.release_phone_number(PhoneNumberId=claimed["PhoneNumberId"])
    assert listed(connect, TargetArn=arn) == {}
    assert server.state_summary()["quota"]["used"] == 2  # the claim and the release count

    model = connect.meta.service_model
    for operation, _, body in raw:
        shape = model.operation_model(operation).output_shape
        if shape is not None:
            assert conformance_problems(shape, body, operation) == []


def test_list_pages_by_at_most_ten_and_a_name_is_used_once(emulator_factory: Factory) -> None:
    emulator_factory(seed())
    connect = client()
    for i in range(11):
        connect.create_traffic_distribution_group(Name=f"g{i}", InstanceId=A)
    first = connect.list_traffic_distribution_groups()
    assert len(first["TrafficDistributionGroupSummaryList"]) == 10
    second = connect.list_traffic_distribution_groups(NextToken=first["NextToken"])
    assert len(second["TrafficDistributionGroupSummaryList"]) == 2 and "NextToken" not in second
    code, status, message = failure(
        lambda: connect.create_traffic_distribution_group(Name="g0", InstanceId=A)
    )
    assert (code, status) == ("ResourceConflictException", 409) and "already exists" in message


def test_an_unknown_tdg_is_not_found(emulator_factory: Factory) -> None:
    emulator_factory(seed())
    connect = client()
    unknown = f"{PREFIX}:traffic-distribution-group/nope"
    code, status, _ = failure(lambda: connect.list_phone_numbers_v2(TargetArn=unknown))
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, _ = failure(
        lambda: connect.describe_traffic_distribution_group(TrafficDistributionGroupId="nope")
    )
    assert code == "ResourceNotFoundException"


def test_a_state_file_keeps_the_tdgs_and_their_numbers(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    server = emulator_factory(seed(), state_file=state)
    connect = client()
    arn = connect.create_traffic_distribution_group(Name="west", InstanceId=A)["Arn"]
    connect.claim_phone_number(TargetArn=arn, PhoneNumber="+12065550400")
    server.stop()
    restarted = emulator_factory({"instances": [{"id": A}]}, state_file=state)
    assert restarted.restored
    connect = client()
    assert list(listed(connect, TargetArn=arn)) == ["+12065550400"]
    assert list(listed(connect, TargetArn=TDG_ARN)) == ["+12065550101"]
    group = connect.describe_traffic_distribution_group(TrafficDistributionGroupId=TDG_ARN)
    assert group["TrafficDistributionGroup"]["IsDefault"] is True
