"""The emulator speaks botocore's Connect model: routes, error statuses, shapes.

Every response boto3 receives here is also checked raw against the output
shape, because botocore's parser silently drops members it does not know: a
misspelt member would parse "fine" and vanish.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.session
import pytest
import yaml
from botocore.config import Config

from connect_emulator import EmulatorServer
from connect_emulator.cloudtrail import LOOKUP_ATTRIBUTE_KEYS
from connect_emulator.constants import (
    DEFAULT_MAX_RESULTS,
    FLOW_ASSOCIATION_RESOURCE_TYPES,
    LOGGED_OPERATIONS,
    MAX_RESULTS_MAX,
    MAX_RESULTS_MIN,
    PHONE_NUMBER_STATUSES,
    PHONE_NUMBER_TYPES,
    RATE_LIMITED_OPERATIONS,
)
from connect_emulator.errors import ERROR_STATUS, FRONT_DOOR_ERRORS, JSON_FRONT_DOOR_ERRORS
from connect_emulator.operations import HANDLERS, ROUTES
from connect_emulator.services import CLOUDTRAIL, CONNECT, JSON_TARGETS, SERVICES, Service
from connect_emulator.trail import LOOKUP_MAX_RESULTS

from .support import DEMO_SEED, conformance_problems

INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
INSTANCE_ARN = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}"
MODEL: Any = botocore.session.get_session().get_service_model("connect")

Raw = list[tuple[str, int, Any]]


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
    "flows batch": lambda c: c.batch_get_flow_association(
        InstanceId=INSTANCE,
        ResourceType="VOICE_PHONE_NUMBER",
        ResourceIds=[
            f"arn:aws:connect:us-east-1:111122223333:phone-number/{_number_id(c, number)}"
            for number in ("+12065550100", "+12065550151")
        ],
    ),
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


# --- CloudTrail and Service Quotas (JSON 1.1) ------------------------------------

SESSION = botocore.session.get_session()


@pytest.mark.parametrize("service", [s for s in SERVICES if s.target_prefix is not None])
def test_json_services_match_their_models(service: Service) -> None:
    model = SESSION.get_service_model(service.name)
    metadata = model.metadata
    assert (metadata["protocol"], metadata["jsonVersion"]) == ("json", "1.1")
    assert metadata["targetPrefix"] == service.target_prefix
    assert service.content_type == "application/x-amz-json-1.1"
    for operation in service.operations:
        operation_model = model.operation_model(operation)
        assert operation_model.http == {"method": "POST", "requestUri": "/"}
        assert JSON_TARGETS[f"{service.target_prefix}.{operation}"] == (service, operation)
        # Every error the operation declares is answered with a status.
        for error in operation_model.error_shapes:
            assert error.name in service.errors, (operation, error.name)
    for code, status in service.errors.items():
        if code in JSON_FRONT_DOOR_ERRORS and code not in model.shape_names:
            continue
        shape = model.shape_for(code)
        assert shape.metadata.get("exception"), code
        # Neither model gives an httpStatusCode: a client error is 400, a fault 500.
        # (botocore keeps "fault" out of Shape.metadata; it is in the raw shape.)
        assert "error" not in shape.metadata, code
        assert status == (500 if shape._shape_model.get("fault") else 400), code
    # The error body's message key is the shapes' own member where they declare one.
    members = {
        name
        for code in service.errors
        if code in model.shape_names
        for name in model.shape_for(code).members
    }
    assert service.message_key == ("Message" if "Message" in members else "message")


def test_every_served_operation_is_rate_limited_and_belongs_to_one_service() -> None:
    operations = [operation for service in SERVICES for operation in service.operations]
    assert tuple(operations) == RATE_LIMITED_OPERATIONS
    assert set(CONNECT.operations) == set(HANDLERS)
    assert set(LOGGED_OPERATIONS) <= set(CONNECT.operations)


def test_the_cloudtrail_vocabularies_match_the_model() -> None:
    model = SESSION.get_service_model("cloudtrail")
    assert set(LOOKUP_ATTRIBUTE_KEYS) == set(model.shape_for("LookupAttributeKey").enum)
    bounds = model.shape_for("MaxResults").metadata
    assert (bounds["min"], bounds["max"]) == (1, LOOKUP_MAX_RESULTS)


def _post(server: EmulatorServer, target: str | None, body: bytes) -> tuple[int, Any]:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = urllib.request.Request(server.url + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        assert error.headers["Content-Type"] == "application/x-amz-json-1.1" or target is None
        return error.code, json.loads(error.read())


def test_the_json_front_door(emulator: EmulatorServer) -> None:
    prefix = CLOUDTRAIL.target_prefix
    assert _post(emulator, f"{prefix}.LookupEvents", b"{}") == (200, {"Events": []})
    status, body = _post(emulator, f"{prefix}.DescribeTrails", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert "cloudtrail operation 'DescribeTrails'" in body["message"]
    status, body = _post(emulator, "Nobody_20200101.DoThings", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body = _post(emulator, f"{prefix}.LookupEvents", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = _post(emulator, f"{prefix}.LookupEvents", b'{"StartTime": "yesterday"}')
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = _post(emulator, "ServiceQuotasV20190624.GetServiceQuota", b"{}")
    assert (status, set(body)) == (400, {"__type", "Message"})
    # Without X-Amz-Target, POST / is a Connect path that no operation serves.
    assert _post(emulator, None, b"{}")[0] == 404
    assert emulator.stats()["unknown"] == 3
