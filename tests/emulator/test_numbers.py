"""DescribePhoneNumber and ListFlowAssociations on the demo inventory."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from reconciler.emulator import EmulatorServer

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
