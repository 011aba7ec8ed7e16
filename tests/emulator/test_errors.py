"""Each error as boto3 sees it: ``Error.Code``, ``Error.Message``, HTTP status."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from connect_emulator import EmulatorServer, operations

A = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
PREFIX = "arn:aws:connect:us-east-1:111122223333"
Factory = Callable[..., EmulatorServer]


def client(**config: Any) -> Any:
    return boto3.client("connect", config=Config(retries={"total_max_attempts": 1}, **config))


def failure(call: Callable[[], Any]) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


NOT_FOUND: dict[str, Callable[[Any], Any]] = {
    "describe unknown id": lambda c: c.describe_phone_number(PhoneNumberId="no-such-number"),
    "v2 unknown instance id": lambda c: c.list_phone_numbers_v2(InstanceId="no-such-instance"),
    "v2 unknown instance arn": lambda c: c.list_phone_numbers_v2(
        TargetArn=f"{PREFIX}:instance/no-such-instance"
    ),
    "v2 unknown traffic distribution group": lambda c: c.list_phone_numbers_v2(
        TargetArn=f"{PREFIX}:traffic-distribution-group/tdg-1"
    ),
    "v1 unknown instance": lambda c: c.list_phone_numbers(InstanceId="no-such-instance"),
    "flows unknown instance": lambda c: c.list_flow_associations(InstanceId="no-such-instance"),
}


@pytest.mark.parametrize("name", list(NOT_FOUND))
def test_resource_not_found_is_404(emulator: EmulatorServer, name: str) -> None:
    code, status, message = failure(lambda: NOT_FOUND[name](client()))
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert "not found" in message


def test_modeled_exception_classes_catch_emulator_errors(emulator: EmulatorServer) -> None:
    connect = client()
    with pytest.raises(connect.exceptions.ResourceNotFoundException) as caught:
        connect.describe_phone_number(PhoneNumberId="no-such-number")
    assert caught.value.response["Error"]["Message"] == "Phone number 'no-such-number' not found."
    # botocore also copies the modeled members of the error body to the top level.
    assert caught.value.response["Message"] == "Phone number 'no-such-number' not found."
    assert caught.value.response["ResponseMetadata"]["RequestId"]


INVALID: dict[str, Callable[[Any], Any]] = {
    "v2 MaxResults above 1000": lambda c: c.list_phone_numbers_v2(MaxResults=1001),
    "v1 MaxResults above 1000": lambda c: c.list_phone_numbers(InstanceId=A, MaxResults=1001),
    "flows MaxResults above 1000": lambda c: c.list_flow_associations(
        InstanceId=A, MaxResults=5000
    ),
    "TargetArn not an ARN": lambda c: c.list_phone_numbers_v2(TargetArn="not-an-arn"),
    "TargetArn of another account": lambda c: c.list_phone_numbers_v2(
        TargetArn=f"arn:aws:connect:us-east-1:999999999999:instance/{A}"
    ),
    "TargetArn of another region": lambda c: c.list_phone_numbers_v2(
        TargetArn=f"arn:aws:connect:eu-west-2:111122223333:instance/{A}"
    ),
    "TargetArn of a flow": lambda c: c.list_phone_numbers_v2(
        TargetArn=f"{PREFIX}:instance/{A}/contact-flow/main"
    ),
    "TargetArn and InstanceId": lambda c: c.list_phone_numbers_v2(
        TargetArn=f"{PREFIX}:instance/{A}", InstanceId=A
    ),
    "InstanceId ARN of another service": lambda c: c.list_phone_numbers(
        InstanceId=f"arn:aws:s3:us-east-1:111122223333:instance/{A}"
    ),
    "garbage NextToken": lambda c: c.list_phone_numbers_v2(NextToken="garbage!"),
    "v1 garbage nextToken": lambda c: c.list_phone_numbers(InstanceId=A, NextToken="x"),
    "unknown PhoneNumberTypes": lambda c: c.list_phone_numbers_v2(PhoneNumberTypes=["MOBILE"]),
    "v1 unknown phoneNumberTypes": lambda c: c.list_phone_numbers(
        InstanceId=A, PhoneNumberTypes=["MOBILE"]
    ),
    "bad country code": lambda c: c.list_phone_numbers_v2(PhoneNumberCountryCodes=["usa"]),
    "bad prefix": lambda c: c.list_phone_numbers_v2(PhoneNumberPrefix="+1-206"),
    "unknown ResourceType": lambda c: c.list_flow_associations(InstanceId=A, ResourceType="X"),
    "describe an instance ARN": lambda c: c.describe_phone_number(
        PhoneNumberId=f"{PREFIX}:instance/{A}"
    ),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_parameters_are_400(emulator: EmulatorServer, name: str) -> None:
    code, status, message = failure(lambda: INVALID[name](client()))
    assert (code, status) == ("InvalidParameterException", 400)
    assert message


def test_max_results_below_1_reaches_the_server_only_without_client_validation(
    emulator: EmulatorServer,
) -> None:
    """botocore checks only the minimum itself; the server still refuses 0."""
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        client().list_phone_numbers_v2(MaxResults=0)
    code, status, message = failure(
        lambda: client(parameter_validation=False).list_phone_numbers_v2(MaxResults=0)
    )
    assert (code, status) == ("InvalidParameterException", 400)
    assert "between 1 and 1000" in message


def test_an_operation_not_served_is_a_clean_unknown_operation_error(
    emulator: EmulatorServer,
) -> None:
    # UpdatePhoneNumber is a real Connect operation the emulator does not serve.
    code, status, message = failure(
        lambda: client().update_phone_number(PhoneNumberId="fc018a49", InstanceId=A)
    )
    assert (code, status) == ("UnknownOperationException", 404)
    assert "PUT /phone-number/fc018a49" in message
    assert emulator.stats()["unknown"] == 1
    assert emulator.stats()["calls"] == {}


def raw(server: EmulatorServer, method: str, path: str, body: bytes | None = None) -> Any:
    request = urllib.request.Request(server.url + path, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_unknown_routes_answer_json_with_the_error_type_header(emulator: EmulatorServer) -> None:
    status, headers, body = raw(emulator, "GET", "/no/such/route")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert headers["Content-Type"] == "application/json"
    assert body == {"Message": "No Connect operation is served at GET /no/such/route."}


def test_a_body_that_is_not_json_is_a_serialization_error(emulator: EmulatorServer) -> None:
    status, headers, body = raw(emulator, "POST", "/phone-number/list", b"{not json")
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "SerializationException"
    assert set(body) == {"Message"}
    status, _, _ = raw(emulator, "POST", "/phone-number/list", b"[1, 2]")
    assert status == 400


def test_wrongly_typed_members_are_invalid_parameters(emulator: EmulatorServer) -> None:
    for payload in (
        {"MaxResults": "ten"},
        {"MaxResults": True},
        {"TargetArn": 5},
        {"PhoneNumberTypes": "DID"},
    ):
        status, headers, _ = raw(
            emulator, "POST", "/phone-number/list", json.dumps(payload).encode()
        )
        assert (status, headers["x-amzn-ErrorType"]) == (400, "InvalidParameterException"), payload


def test_a_bug_in_a_handler_is_an_internal_service_exception(
    emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = io.StringIO()
    server = emulator_factory(None, error_log=log)

    def broken(state: Any, request: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setitem(operations.HANDLERS, "ListPhoneNumbersV2", broken)
    code, status, _ = failure(lambda: client().list_phone_numbers_v2())
    assert (code, status) == ("InternalServiceException", 500)
    assert "RuntimeError: boom" in log.getvalue()
    assert server.stats()["errors"] == {"ListPhoneNumbersV2": 1}
