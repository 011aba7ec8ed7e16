"""Helpers shared by the emulator's tests: clients, outcomes, a settable wall clock,
and a check of raw JSON against a botocore shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from connect_emulator import EmulatorServer

A = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
B = "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"
ACCOUNT = "111122223333"
PREFIX = f"arn:aws:connect:us-east-1:{ACCOUNT}"
A_ARN = f"{PREFIX}:instance/{A}"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DEMO_SEED = Path(__file__).resolve().parents[2] / "examples" / "emulator-seed.yaml"


def client(**config: Any) -> Any:
    """boto3 from the standard settings, one attempt: every failure reaches the test."""
    return boto3.client("connect", config=Config(retries={"total_max_attempts": 1}, **config))


def cloudtrail_client(**config: Any) -> Any:
    """``boto3.client("cloudtrail")``, reaching the emulator through AWS_ENDPOINT_URL_CLOUDTRAIL."""
    return boto3.client("cloudtrail", config=Config(retries={"total_max_attempts": 1}, **config))


def quotas_client(**config: Any) -> Any:
    """``boto3.client("service-quotas")``, through AWS_ENDPOINT_URL_SERVICE_QUOTAS."""
    return boto3.client(
        "service-quotas", config=Config(retries={"total_max_attempts": 1}, **config)
    )


Raw = list[tuple[str, int, Any]]


def record_raw(client: Any) -> Raw:
    """Record ``(operation, status, decoded body)`` of every response ``client`` receives."""
    seen: Raw = []

    def record(http_response: Any, model: Any, **_: Any) -> None:
        body = json.loads(http_response.content) if http_response.content else None
        seen.append((model.name, http_response.status_code, body))

    client.meta.events.register("after-call", record)
    return seen


def conformance_problems(shape: Any, value: Any, path: str) -> list[str]:
    """Where ``value`` (decoded JSON) departs from ``shape``; empty if it conforms.

    botocore's parser silently drops members it does not know, so a misspelt
    member would parse "fine" and vanish: raw bodies are checked here.
    """
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
    if kind in ("double", "float", "timestamp"):
        # JSON 1.1 timestamps are epoch seconds: a JSON number, not text.
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number ({kind}), got {value!r}"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean, got {value!r}"]
    return [f"{path}: unexpected shape type {kind}"]


def failure(call: Callable[[], Any]) -> tuple[str, int, str]:
    """``(Error.Code, HTTP status, Error.Message)`` of a call that must fail."""
    try:
        call()
    except ClientError as error:
        response = error.response
        return (
            response["Error"]["Code"],
            response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"]["Message"],
        )
    raise AssertionError("the call succeeded")


def ids_by_number(connect: Any) -> dict[str, str]:
    items = connect.list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
    return {item["PhoneNumber"]: item["PhoneNumberId"] for item in items}


def flows_by_number(connect: Any, instance_id: str = A) -> dict[str, str]:
    arns = {
        item["PhoneNumberArn"]: item["PhoneNumber"]
        for item in connect.list_phone_numbers_v2()["ListPhoneNumbersSummaryList"]
    }
    flows = connect.list_flow_associations(InstanceId=instance_id)["FlowAssociationSummaryList"]
    return {arns[item["ResourceId"]]: item["FlowId"].rsplit("/", 1)[1] for item in flows}


def search(connect: Any, country: str = "US", number_type: str = "DID", **kw: Any) -> list[str]:
    """Every number a search offers (following NextToken)."""
    found: list[str] = []
    token: str | None = None
    while True:
        kwargs = {
            "InstanceId": A,
            "PhoneNumberCountryCode": country,
            "PhoneNumberType": number_type,
        }
        kwargs.update(kw)
        if token is not None:
            kwargs["NextToken"] = token
        response = connect.search_available_phone_numbers(**kwargs)
        found += [item["PhoneNumber"] for item in response["AvailableNumbersList"]]
        token = response.get("NextToken")
        if token is None:
            return found


class WallClock:
    """A ``now=`` source for the emulator that a test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def seed_with(**extra: Any) -> dict[str, Any]:
    """Two instances, four numbers on A (two with flows), one on B, plus ``extra`` keys."""
    flow = f"{A_ARN}/contact-flow"
    return {
        "instances": [{"id": A}, {"id": B}],
        "numbers": [
            {"phone_number": "+12065550100", "instance": A, "flow": f"{flow}/main"},
            {"phone_number": "+12065550101", "instance": A, "flow": f"{flow}/support"},
            {"phone_number": "+12065550102", "instance": A, "description": "Spare"},
            {
                "phone_number": "+12065550160",
                "instance": A,
                "status": "IN_PROGRESS",
                "status_message": "The claim of this phone number is in progress.",
            },
            {"phone_number": "+12065550300", "instance": B},
        ],
        **extra,
    }


def admin(server: EmulatorServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A call to the emulator's admin endpoint (``/_emulator/...``): status and JSON body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
