"""DescribePhoneNumber and ListFlowAssociations on the demo inventory."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from connect_emulator import EmulatorServer

A = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
B = "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"
PREFIX = "arn:aws:connect:us-east-1:111122223333"


def client() -> Any:
    return boto3.client("connect", config=Config(retries={"total_max_attempts": 1}))


def ids_by_number(connect: Any) -> dict[str, str]:
    items = connect.list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
    return {item["PhoneNumber"]: item["PhoneNumberId"] for item in items}


def test_describe_reports_status_tags_and_description(emulator: EmulatorServer) -> None:
    connect = client()
    ids = ids_by_number(connect)
    main = connect.describe_phone_number(PhoneNumberId=ids["+12065550100"])
    assert main["ClaimedPhoneNumberSummary"] == {
        "PhoneNumberId": ids["+12065550100"],
        "PhoneNumberArn": f"{PREFIX}:phone-number/{ids['+12065550100']}",
        "PhoneNumber": "+12065550100",
        "PhoneNumberCountryCode": "US",
        "PhoneNumberType": "DID",
        "PhoneNumberDescription": "Main line",
        "TargetArn": f"{PREFIX}:instance/{A}",
        "InstanceId": A,
        "Tags": {"team": "support", "env": "prod"},
        "PhoneNumberStatus": {"Status": "CLAIMED"},
    }
    pending = connect.describe_phone_number(PhoneNumberId=ids["+12065550160"])
    assert pending["ClaimedPhoneNumberSummary"]["PhoneNumberStatus"] == {
        "Status": "IN_PROGRESS",
        "Message": "The claim of this phone number is in progress.",
    }
    spare = connect.describe_phone_number(PhoneNumberId=ids["+12065550151"])
    assert spare["ClaimedPhoneNumberSummary"]["Tags"] == {}
    toll_free = connect.describe_phone_number(PhoneNumberId=ids["+18005550199"])
    assert toll_free["ClaimedPhoneNumberSummary"]["PhoneNumberType"] == "TOLL_FREE"


def test_describe_accepts_the_number_arn(emulator: EmulatorServer) -> None:
    connect = client()
    number_id = ids_by_number(connect)["+12065550300"]
    summary = connect.describe_phone_number(PhoneNumberId=f"{PREFIX}:phone-number/{number_id}")
    assert summary["ClaimedPhoneNumberSummary"]["InstanceId"] == B


def test_demo_ids_are_stable(emulator: EmulatorServer) -> None:
    """The demo's output quotes ids: they are uuid5 of the number, not random."""
    assert ids_by_number(client())["+12065550100"] == "fc018a49-80a1-5734-9a7c-c5ae8517c436"


def test_flow_associations_map_numbers_to_flows(emulator: EmulatorServer) -> None:
    connect = client()
    numbers_by_arn = {
        item["PhoneNumberArn"]: item["PhoneNumber"]
        for item in connect.list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
    }
    response = connect.list_flow_associations(InstanceId=A, ResourceType="VOICE_PHONE_NUMBER")
    flows = {
        numbers_by_arn[item["ResourceId"]]: item["FlowId"].rsplit("/", 1)[1]
        for item in response["FlowAssociationSummaryList"]
    }
    assert flows == {
        "+12065550100": "main",
        "+12065550101": "support",
        "+12065550102": "sales",
        "+12065550150": "promo",
        "+12065550152": "support",
        "+18005550199": "sales",
    }
    assert {item["ResourceType"] for item in response["FlowAssociationSummaryList"]} == {
        "VOICE_PHONE_NUMBER"
    }
    other = connect.list_flow_associations(InstanceId=f"{PREFIX}:instance/{B}")
    assert [item["FlowId"] for item in other["FlowAssociationSummaryList"]] == [
        f"{PREFIX}:instance/{B}/contact-flow/main"
    ]


@pytest.mark.parametrize("resource_type", ["INBOUND_EMAIL", "WHATSAPP_MESSAGING_PHONE_NUMBER"])
def test_other_resource_types_have_no_associations(
    emulator: EmulatorServer, resource_type: str
) -> None:
    response = client().list_flow_associations(InstanceId=A, ResourceType=resource_type)
    assert response["FlowAssociationSummaryList"] == []


def test_flow_associations_paginate(emulator: EmulatorServer) -> None:
    connect = client()
    first = connect.list_flow_associations(InstanceId=A, MaxResults=4)
    assert len(first["FlowAssociationSummaryList"]) == 4
    rest = connect.list_flow_associations(InstanceId=A, MaxResults=4, NextToken=first["NextToken"])
    assert len(rest["FlowAssociationSummaryList"]) == 2 and "NextToken" not in rest


def number_arns(connect: Any) -> dict[str, str]:
    items = connect.list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
    return {item["PhoneNumber"]: item["PhoneNumberArn"] for item in items}


def test_batch_get_flow_association_answers_only_numbers_with_a_flow(
    emulator: EmulatorServer,
) -> None:
    connect = client()
    arns = number_arns(connect)
    asked = ["+12065550100", "+12065550151", "+18005550199", "+12065550300"]
    response = connect.batch_get_flow_association(
        InstanceId=A, ResourceIds=[arns[n] for n in asked], ResourceType="VOICE_PHONE_NUMBER"
    )
    found = {item["ResourceId"]: item["FlowId"] for item in response["FlowAssociationSummaryList"]}
    # +12065550151 has no flow; +12065550300 is on instance B: neither has a summary here.
    assert found == {
        arns["+12065550100"]: f"{PREFIX}:instance/{A}/contact-flow/main",
        arns["+18005550199"]: f"{PREFIX}:instance/{A}/contact-flow/sales",
    }
    other = connect.batch_get_flow_association(
        InstanceId=f"{PREFIX}:instance/{B}", ResourceIds=[arns["+12065550300"]]
    )
    assert [item["FlowId"] for item in other["FlowAssociationSummaryList"]] == [
        f"{PREFIX}:instance/{B}/contact-flow/main"
    ]
    email = connect.batch_get_flow_association(
        InstanceId=A, ResourceIds=[arns["+12065550100"]], ResourceType="INBOUND_EMAIL"
    )
    assert email["FlowAssociationSummaryList"] == []


def test_batch_get_flow_association_takes_at_most_100_resource_ids(
    emulator: EmulatorServer,
) -> None:
    connect = client()
    arn = number_arns(connect)["+12065550100"]
    hundred = connect.batch_get_flow_association(InstanceId=A, ResourceIds=[arn] * 100)
    assert len(hundred["FlowAssociationSummaryList"]) == 1  # the same number, once
    with pytest.raises(connect.exceptions.InvalidParameterException, match="less than or equal"):
        connect.batch_get_flow_association(InstanceId=A, ResourceIds=[arn] * 101)
    with pytest.raises(connect.exceptions.InvalidParameterException, match="not a phone number"):
        connect.batch_get_flow_association(InstanceId=A, ResourceIds=[f"{PREFIX}:instance/{A}"])
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.batch_get_flow_association(
            InstanceId="cccccccc-dddd-eeee-ffff-000000000000", ResourceIds=[arn]
        )


def test_batch_get_flow_association_has_its_own_rate_bucket(
    emulator_factory: Any,
) -> None:
    from tests.conftest import DEMO_SEED

    server = emulator_factory(DEMO_SEED, rate=1000, burst=1)
    connect = client()
    arn = number_arns(connect)["+12065550100"]
    server.set_rate_limit("BatchGetFlowAssociation", 0.001, burst=2)
    for _ in range(2):
        connect.batch_get_flow_association(InstanceId=A, ResourceIds=[arn])
    with pytest.raises(connect.exceptions.ThrottlingException):
        connect.batch_get_flow_association(InstanceId=A, ResourceIds=[arn])
    connect.list_flow_associations(InstanceId=A)  # another operation's bucket: not throttled
    stats = server.stats()
    assert stats["calls"]["BatchGetFlowAssociation"] == 3
    assert stats["throttled"] == {"BatchGetFlowAssociation": 1}
