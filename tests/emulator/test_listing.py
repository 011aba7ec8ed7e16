"""Listing: targets, filters, and pagination as boto3 and its paginators see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from connect_emulator import EmulatorServer

Factory = Callable[..., EmulatorServer]

A = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
B = "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"
ACCOUNT = "111122223333"


def instance_arn(instance_id: str) -> str:
    return f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{instance_id}"


def flow_arn(instance_id: str, name: str) -> str:
    return f"{instance_arn(instance_id)}/contact-flow/{name}"


def big_seed(count: int, *, with_flows: bool = False) -> dict[str, Any]:
    """``count`` numbers on instance A (+1206555xxxx) and two on instance B."""
    numbers: list[dict[str, Any]] = [
        {
            "phone_number": f"+1206{5550000 + i:07d}",
            "instance": A,
            **({"flow": flow_arn(A, f"flow-{i % 7}")} if with_flows else {}),
        }
        for i in range(count)
    ]
    numbers += [
        {"phone_number": "+442071838750", "instance": B, "type": "TOLL_FREE"},
        {"phone_number": "+61299999999", "instance": B},
    ]
    return {"instances": [{"id": A}, {"id": B}], "numbers": numbers}


def client() -> Any:
    return boto3.client("connect", config=Config(retries={"total_max_attempts": 1}))


def phone_numbers(response: dict[str, Any]) -> list[str]:
    return [item["PhoneNumber"] for item in response["ListPhoneNumbersSummaryList"]]


def test_2500_numbers_come_in_three_pages_of_at_most_1000(emulator_factory: Factory) -> None:
    server = emulator_factory(big_seed(2500))
    connect = client()
    pages = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"TargetArn": instance_arn(A), "MaxResults": 1000}
        if token is not None:
            kwargs["NextToken"] = token
        response = connect.list_phone_numbers_v2(**kwargs)
        pages.append(phone_numbers(response))
        token = response.get("NextToken")
        if token is None:
            break
    assert [len(page) for page in pages] == [1000, 1000, 500]
    flat = [number for page in pages for number in page]
    assert flat == sorted(flat) and len(set(flat)) == 2500
    assert server.stats()["calls"] == {"ListPhoneNumbersV2": 3}


def test_boto3_paginators_walk_every_list_operation(emulator_factory: Factory) -> None:
    server = emulator_factory(big_seed(2500, with_flows=True))
    connect = client()
    v2 = connect.get_paginator("list_phone_numbers_v2").paginate(
        InstanceId=A, PaginationConfig={"PageSize": 1000}
    )
    assert [len(page["ListPhoneNumbersSummaryList"]) for page in v2] == [1000, 1000, 500]
    v1 = connect.get_paginator("list_phone_numbers").paginate(
        InstanceId=A, PaginationConfig={"PageSize": 1000}
    )
    assert [len(page["PhoneNumberSummaryList"]) for page in v1] == [1000, 1000, 500]
    flows = connect.get_paginator("list_flow_associations").paginate(
        InstanceId=A, ResourceType="VOICE_PHONE_NUMBER", PaginationConfig={"PageSize": 1000}
    )
    associations = flows.build_full_result()["FlowAssociationSummaryList"]
    assert len(associations) == 2500
    assert {item["FlowId"] for item in associations} == {flow_arn(A, f"flow-{i}") for i in range(7)}
    assert server.stats()["calls"] == {
        "ListPhoneNumbersV2": 3,
        "ListPhoneNumbers": 3,
        "ListFlowAssociations": 3,
    }


def test_default_page_size_is_100(emulator_factory: Factory) -> None:
    emulator_factory(big_seed(250))
    response = client().list_phone_numbers_v2(InstanceId=A)
    assert len(phone_numbers(response)) == 100 and "NextToken" in response


def test_an_exactly_full_last_page_has_no_next_token(emulator_factory: Factory) -> None:
    emulator_factory(big_seed(1000))
    response = client().list_phone_numbers_v2(InstanceId=A, MaxResults=1000)
    assert len(phone_numbers(response)) == 1000
    assert "NextToken" not in response


def test_targets_select_numbers(emulator: EmulatorServer) -> None:
    connect = client()
    everything = phone_numbers(connect.list_phone_numbers_v2())
    by_arn = phone_numbers(connect.list_phone_numbers_v2(TargetArn=instance_arn(A)))
    by_id = phone_numbers(connect.list_phone_numbers_v2(InstanceId=A))
    by_instance_arn_as_id = phone_numbers(connect.list_phone_numbers_v2(InstanceId=instance_arn(A)))
    other = phone_numbers(connect.list_phone_numbers_v2(TargetArn=instance_arn(B)))
    assert len(everything) == 9
    assert by_arn == by_id == by_instance_arn_as_id
    assert len(by_arn) == 8 and "+12065550300" not in by_arn
    assert other == ["+12065550300"]
    assert sorted(by_arn + other) == sorted(everything)


def test_every_number_reports_its_target_and_instance(emulator: EmulatorServer) -> None:
    for item in client().list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]:
        assert item["TargetArn"] == instance_arn(item["InstanceId"])
        assert item["PhoneNumberArn"] == (
            f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/{item['PhoneNumberId']}"
        )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"PhoneNumberTypes": ["TOLL_FREE"]}, ["+18005550199"]),
        ({"PhoneNumberTypes": ["TOLL_FREE", "DID"]}, None),
        ({"PhoneNumberCountryCodes": ["GB"]}, []),
        ({"PhoneNumberPrefix": "+1206555015"}, ["+12065550150", "+12065550151", "+12065550152"]),
        ({"PhoneNumberPrefix": "1800"}, ["+18005550199"]),
        ({"PhoneNumberPrefix": "+1206", "PhoneNumberTypes": ["TOLL_FREE"]}, []),
    ],
)
def test_v2_filters(
    emulator: EmulatorServer, filters: dict[str, Any], expected: list[str] | None
) -> None:
    connect = client()
    result = phone_numbers(connect.list_phone_numbers_v2(InstanceId=A, **filters))
    if expected is None:
        expected = phone_numbers(connect.list_phone_numbers_v2(InstanceId=A))
    assert result == expected


def test_country_filter_across_the_account(emulator_factory: Factory) -> None:
    emulator_factory(big_seed(3))
    connect = client()
    assert phone_numbers(connect.list_phone_numbers_v2(PhoneNumberCountryCodes=["GB", "AU"])) == [
        "+442071838750",
        "+61299999999",
    ]


def test_v1_lists_one_instance_with_its_filters(emulator: EmulatorServer) -> None:
    connect = client()
    response = connect.list_phone_numbers(InstanceId=A, PhoneNumberTypes=["TOLL_FREE"])
    assert [item["PhoneNumber"] for item in response["PhoneNumberSummaryList"]] == ["+18005550199"]
    item = response["PhoneNumberSummaryList"][0]
    assert set(item) == {"Id", "Arn", "PhoneNumber", "PhoneNumberType", "PhoneNumberCountryCode"}
    everything = connect.list_phone_numbers(InstanceId=B, PhoneNumberCountryCodes=["US"])
    assert [i["PhoneNumber"] for i in everything["PhoneNumberSummaryList"]] == ["+12065550300"]


def test_a_page_token_resumes_after_its_last_number_even_if_numbers_change(
    emulator_factory: Factory,
) -> None:
    server = emulator_factory(big_seed(10))
    connect = client()
    first = connect.list_phone_numbers_v2(InstanceId=A, MaxResults=4)
    assert phone_numbers(first)[-1] == "+12065550003"
    # Release the number that would have opened the next page.
    released = next(n for n in server.state.phone_numbers() if n.phone_number == "+12065550004")
    server.state.remove_phone_number(released.id)
    second = connect.list_phone_numbers_v2(InstanceId=A, MaxResults=4, NextToken=first["NextToken"])
    assert phone_numbers(second) == ["+12065550005", "+12065550006", "+12065550007", "+12065550008"]


def test_a_token_only_continues_the_query_it_came_from(emulator: EmulatorServer) -> None:
    connect = client()
    token = connect.list_phone_numbers_v2(InstanceId=A, MaxResults=2)["NextToken"]
    # Another page size is fine: clients may change it between pages.
    assert phone_numbers(connect.list_phone_numbers_v2(InstanceId=A, MaxResults=3, NextToken=token))
    for other_query in (
        {"InstanceId": B},
        {"InstanceId": A, "PhoneNumberTypes": ["DID"]},
        {},
    ):
        with pytest.raises(ClientError) as caught:
            connect.list_phone_numbers_v2(NextToken=token, **other_query)
        assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as caught:
        connect.list_phone_numbers(InstanceId=A, NextToken=token)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_lists_skip_nothing_under_concurrent_readers(emulator_factory: Factory) -> None:
    """Threads share the state; each paginated read still sees every number once."""
    from concurrent.futures import ThreadPoolExecutor

    emulator_factory(big_seed(600))

    def read_all(connect: Any) -> list[str]:
        pages = connect.get_paginator("list_phone_numbers_v2").paginate(
            InstanceId=A, PaginationConfig={"PageSize": 150}
        )
        return [number for page in pages for number in phone_numbers(page)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        # boto3's default session is not thread-safe: make the clients here.
        results = list(pool.map(read_all, [client() for _ in range(4)]))
    assert all(len(result) == 600 and result == sorted(result) for result in results)
