"""The emulator speaks botocore's Connect model: routes, error statuses, shapes.

Every response boto3 receives here is also checked raw against the output
shape, because botocore's parser silently drops members it does not know: a
misspelt member would parse "fine" and vanish.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.session
import pytest
import yaml
from botocore.config import Config

from reconciler.emulator import EmulatorServer
from reconciler.emulator.constants import (
    DEFAULT_MAX_RESULTS,
    FLOW_ASSOCIATION_RESOURCE_TYPES,
    MAX_RESULTS_MAX,
    MAX_RESULTS_MIN,
    PHONE_NUMBER_STATUSES,
    PHONE_NUMBER_TYPES,
)
from reconciler.emulator.errors import ERROR_STATUS, FRONT_DOOR_ERRORS
from reconciler.emulator.operations import HANDLERS, ROUTES

from .support import DEMO_SEED

INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
INSTANCE_ARN = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}"
MODEL: Any = botocore.session.get_session().get_service_model("connect")

Raw = list[tuple[str, int, Any]]


def conformance_problems(shape: Any, value: Any, path: str) -> list[str]:
    """Where ``value`` (decoded JSON) departs from ``shape``; empty if it conforms."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object for {shape.name}, got {value!r}"]
        members = shape.members
        problems = [
            f"{path}.{key}: not a member of {shape.name}" for key in value if key not in members
        ]
        for key, item in value.items():
            if key in members:
                problems += conformance_problems(members[key], item, f"{path}.{key}")
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {value!r}"]
        member = shape.member
        return [
            p for i, v in enumerate(value) for p in conformance_problems(member, v, f"{path}[{i}]")
        ]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map, got {value!r}"]
        key_shape, value_shape = shape.key, shape.value
        return [
            p
            for k, v in value.items()
            for p in conformance_problems(key_shape, k, f"{path}<key>")
            + conformance_problems(value_shape, v, f"{path}[{k!r}]")
        ]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string, got {value!r}"]
        if shape.enum and value not in shape.enum:
            return [f"{path}: {value!r} is not in the enum of {shape.name}"]
        return []
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected an integer, got {value!r}"]
    return [f"{path}: unexpected shape type {kind}"]


@pytest.fixture
def raw_client(emulator: EmulatorServer) -> Iterator[tuple[Any, Raw]]:
    """A boto3 client (from the standard env settings) recording every raw response."""
    client = boto3.client("connect", config=Config(retries={"total_max_attempts": 1}))
    seen: Raw = []

    def record(http_response: Any, model: Any, **_: Any) -> None:
        body = json.loads(http_response.content) if http_response.content else None
        seen.append((model.name, http_response.status_code, body))

    client.meta.events.register("after-call.connect", record)
    yield client, seen


def test_every_route_matches_the_service_model() -> None:
    assert {route.operation for route in ROUTES} == set(HANDLERS)
    for route in ROUTES:
        http = MODEL.operation_model(route.operation).http
        assert (route.method, route.uri) == (http["method"], http["requestUri"]), route


def test_error_statuses_match_the_service_model() -> None:
    for code, status in ERROR_STATUS.items():
        if code in FRONT_DOOR_ERRORS:
            assert code not in MODEL.shape_names
            continue
        assert MODEL.shape_for(code).metadata["error"]["httpStatusCode"] == status, code


def test_every_error_a_served_operation_declares_has_a_status() -> None:
    for operation in HANDLERS:
        for error in MODEL.operation_model(operation).error_shapes:
            assert error.name in ERROR_STATUS, (operation, error.name)


def test_vocabularies_match_the_service_model() -> None:
    assert set(PHONE_NUMBER_TYPES) == set(MODEL.shape_for("PhoneNumberType").enum)
    assert set(PHONE_NUMBER_STATUSES) == set(MODEL.shape_for("PhoneNumberWorkflowStatus").enum)
    assert set(FLOW_ASSOCIATION_RESOURCE_TYPES) == set(
        MODEL.shape_for("ListFlowAssociationResourceType").enum
    )
    bounds = MODEL.shape_for("MaxResult1000").metadata
    assert (bounds["min"], bounds["max"]) == (MAX_RESULTS_MIN, MAX_RESULTS_MAX)
    assert DEFAULT_MAX_RESULTS == 100


def _number_id(client: Any, phone_number: str) -> str:
    numbers = client.list_phone_numbers_v2(PhoneNumberPrefix=phone_number)[
        "ListPhoneNumbersSummaryList"
    ]
    assert len(numbers) == 1
    return str(numbers[0]["PhoneNumberId"])


CALLS: dict[str, Callable[[Any], Any]] = {
    "v2 all": lambda c: c.list_phone_numbers_v2(),
    "v2 paged": lambda c: c.list_phone_numbers_v2(TargetArn=INSTANCE_ARN, MaxResults=2),
    "v2 filtered": lambda c: c.list_phone_numbers_v2(
        InstanceId=INSTANCE, PhoneNumberTypes=["TOLL_FREE"], PhoneNumberCountryCodes=["US"]
    ),
    "v1 paged": lambda c: c.list_phone_numbers(InstanceId=INSTANCE, MaxResults=3),
    "v1 all": lambda c: c.list_phone_numbers(InstanceId=INSTANCE),
    "describe claimed": lambda c: c.describe_phone_number(
        PhoneNumberId=_number_id(c, "+12065550100")
    ),
    "describe in progress": lambda c: c.describe_phone_number(
        PhoneNumberId=_number_id(c, "+12065550160")
    ),
    "describe untagged": lambda c: c.describe_phone_number(
        PhoneNumberId=_number_id(c, "+12065550151")
    ),
    "flows paged": lambda c: c.list_flow_associations(
        InstanceId=INSTANCE, ResourceType="VOICE_PHONE_NUMBER", MaxResults=2
    ),
    "flows all": lambda c: c.list_flow_associations(InstanceId=INSTANCE_ARN),
    "search paged": lambda c: c.search_available_phone_numbers(
        InstanceId=INSTANCE, PhoneNumberCountryCode="US", PhoneNumberType="DID", MaxResults=3
    ),
    "search by target": lambda c: c.search_available_phone_numbers(
        TargetArn=INSTANCE_ARN, PhoneNumberCountryCode="GB", PhoneNumberType="TOLL_FREE"
    ),
    "claim": lambda c: c.claim_phone_number(
        InstanceId=INSTANCE, PhoneNumber="+14255550003", Tags={"a": "b"}
    ),
    "release": lambda c: c.release_phone_number(PhoneNumberId=_number_id(c, "+12065550151")),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_responses_conform_to_the_output_shapes(name: str, raw_client: tuple[Any, Raw]) -> None:
    client, seen = raw_client
    parsed = CALLS[name](client)
    assert seen, "no response recorded"
    for operation, status, body in seen:
        assert status == 200
        output = MODEL.operation_model(operation).output_shape
        if output is None:  # ReleasePhoneNumber: nothing to say
            assert body == {}
            continue
        assert conformance_problems(output, body, operation) == []
    # What botocore parsed is what was sent: nothing dropped, nothing renamed.
    operation, _, body = seen[-1]
    parsed.pop("ResponseMetadata")
    assert parsed == body


def test_list_members_are_present_when_empty_and_tokens_absent_on_the_last_page(
    emulator_factory: Callable[..., EmulatorServer],
) -> None:
    emulator_factory({"instances": [{"id": INSTANCE}]})
    client: Any = boto3.client("connect")
    assert_empty = [
        (client.list_phone_numbers_v2(), "ListPhoneNumbersSummaryList"),
        (client.list_phone_numbers(InstanceId=INSTANCE), "PhoneNumberSummaryList"),
        (client.list_flow_associations(InstanceId=INSTANCE), "FlowAssociationSummaryList"),
    ]
    for response, member in assert_empty:
        response.pop("ResponseMetadata")
        assert response == {member: []}


def test_describe_returns_every_claimed_summary_member(raw_client: tuple[Any, Raw]) -> None:
    client, _ = raw_client
    summary = client.describe_phone_number(PhoneNumberId=_number_id(client, "+12065550160"))[
        "ClaimedPhoneNumberSummary"
    ]
    members = set(MODEL.shape_for("ClaimedPhoneNumberSummary").members)
    # Only an imported number has a source; every other member is served.
    assert set(summary) == members - {"SourcePhoneNumberArn"}


ERRORS: dict[str, Callable[[Any], Any]] = {
    "IdempotencyException": lambda c: [
        c.release_phone_number(PhoneNumberId=_number_id(c, "+12065550151"), ClientToken="t"),
        c.release_phone_number(PhoneNumberId=_number_id(c, "+12065550152"), ClientToken="t"),
    ],
    "ResourceInUseException": lambda c: c.release_phone_number(
        PhoneNumberId=_number_id(c, "+12065550160")
    ),
    "InvalidParameterException": lambda c: c.claim_phone_number(
        InstanceId=INSTANCE, PhoneNumber="+12065550100"
    ),
    "ServiceQuotaExceededException": lambda c: [
        c.release_phone_number(PhoneNumberId=_number_id(c, number))
        for number in ("+12065550150", "+12065550151", "+12065550152")
    ],
}


@pytest.mark.parametrize("code", list(ERRORS))
def test_error_bodies_conform_to_the_error_shapes(
    code: str, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    seed = yaml.safe_load(DEMO_SEED.read_text())
    seed["quota"] = {"phone_numbers": 1}  # limit 2: the third release is refused
    emulator_factory(seed)
    client = boto3.client("connect", config=Config(retries={"total_max_attempts": 1}))
    seen: Raw = []
    client.meta.events.register(
        "after-call.connect",
        lambda http_response, model, **_: seen.append(
            (model.name, http_response.status_code, json.loads(http_response.content))
        ),
    )
    with pytest.raises(client.exceptions.ClientError) as caught:
        ERRORS[code](client)
    assert caught.value.response["Error"]["Code"] == code
    _, status, body = seen[-1]
    shape = MODEL.shape_for(code)
    assert status == shape.metadata["error"]["httpStatusCode"]
    assert conformance_problems(shape, body, code) == []
    assert body["Message"]
