"""Service Quotas' GetServiceQuota / ListServiceQuotas for Connect's phone-number quota."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest

from connect_emulator import EmulatorServer, SeedError, load_seed

from .support import (
    ACCOUNT,
    admin,
    conformance_problems,
    failure,
    quotas_client,
    record_raw,
    seed_with,
)
from .test_entrypoints import DEMO, aws_cli

Factory = Callable[..., EmulatorServer]
MODEL: Any = botocore.session.get_session().get_service_model("service-quotas")
CODE = "L-8F812903"
QUOTA = {
    "ServiceCode": "connect",
    "ServiceName": "Amazon Connect",
    "QuotaArn": f"arn:aws:servicequotas:us-east-1:{ACCOUNT}:connect/{CODE}",
    "QuotaCode": CODE,
    "QuotaName": "Phone numbers per instance",
    "Value": 10.0,
    "Unit": "None",
    "Adjustable": True,
    "GlobalQuota": False,
}


def test_the_quota_is_the_one_the_emulator_enforces(services_factory: Factory) -> None:
    services_factory(seed_with())  # quota.phone_numbers: max(5 * 2 instances, 5 numbers)
    quotas = quotas_client()
    raw = record_raw(quotas)

    response = quotas.get_service_quota(ServiceCode="connect", QuotaCode=CODE)

    assert response["Quota"] == QUOTA
    (_, status, body), *_ = raw
    assert status == 200
    output = MODEL.operation_model("GetServiceQuota").output_shape
    assert conformance_problems(output, body, "GetServiceQuota") == []
    assert isinstance(body["Quota"]["Value"], float)  # shape QuotaValue is a double
    listed = quotas.list_service_quotas(ServiceCode="connect")
    assert listed["Quotas"] == [QUOTA] and "NextToken" not in listed
    _, _, body = raw[-1]
    output = MODEL.operation_model("ListServiceQuotas").output_shape
    assert conformance_problems(output, body, "ListServiceQuotas") == []


def test_the_seed_may_state_the_quota_as_a_service_quota(services_factory: Factory) -> None:
    server = services_factory(seed_with(service_quotas={CODE: 25}))
    quota = quotas_client().get_service_quota(ServiceCode="connect", QuotaCode=CODE)["Quota"]
    assert quota["Value"] == 25.0
    assert server.state_summary()["quota"]["limit"] == 50  # 200% of 25: enforced too
    assert server.state_summary()["service_quotas"] == {CODE: 25.0}
    assert load_seed(seed_with(service_quotas={CODE: 7}, quota={"phone_numbers": 7})).quota
    with pytest.raises(SeedError, match="they are the same quota") as caught:
        load_seed(seed_with(service_quotas={CODE: 7}, quota={"phone_numbers": 8}))
    assert caught.value.entry == f"service_quotas.{CODE}"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"ServiceCode": "connect", "QuotaCode": "L-00000000"}, "NoSuchResourceException"),
        ({"ServiceCode": "ec2", "QuotaCode": CODE}, "NoSuchResourceException"),
    ],
)
def test_unknown_quotas_and_services(
    services_factory: Factory, kwargs: dict[str, str], code: str
) -> None:
    services_factory(seed_with())
    quotas = quotas_client()
    raw = record_raw(quotas)
    assert failure(lambda: quotas.get_service_quota(**kwargs))[:2] == (code, 400)
    with pytest.raises(quotas.exceptions.NoSuchResourceException):
        quotas.get_service_quota(**kwargs)
    _, _, body = raw[-1]
    # The error shape has a Message member: the body conforms to it, plus __type.
    assert body.pop("__type") == code
    assert conformance_problems(MODEL.shape_for(code), body, code) == []
    assert body["Message"]


def test_access_denied_from_the_seed_and_the_admin_endpoint(services_factory: Factory) -> None:
    server = services_factory(seed_with(denied_actions=["servicequotas:GetServiceQuota"]))
    quotas = quotas_client()
    code, status, message = failure(
        lambda: quotas.get_service_quota(ServiceCode="connect", QuotaCode=CODE)
    )
    assert (code, status) == ("AccessDeniedException", 400)
    assert "is not authorized to perform: servicequotas:GetServiceQuota" in message
    with pytest.raises(quotas.exceptions.AccessDeniedException):
        quotas.get_service_quota(ServiceCode="connect", QuotaCode=CODE)
    assert quotas.list_service_quotas(ServiceCode="connect")["Quotas"] == [QUOTA]
    assert server.state_summary()["denied_actions"] == ["servicequotas:GetServiceQuota"]

    assert admin(server, "POST", "/_emulator/denied-actions", {"actions": []}) == (
        200,
        {"actions": []},
    )
    assert quotas.get_service_quota(ServiceCode="connect", QuotaCode=CODE)["Quota"] == QUOTA
    status, body = admin(
        server, "POST", "/_emulator/denied-actions", {"actions": ["servicequotas:*"]}
    )
    assert (status, body) == (200, {"actions": ["servicequotas:*"]})
    assert failure(lambda: quotas.list_service_quotas(ServiceCode="connect"))[0] == (
        "AccessDeniedException"
    )
    status, body = admin(server, "POST", "/_emulator/denied-actions", {"actions": ["s3:GetObject"]})
    assert status == 400 and "'s3:GetObject' is not one of" in body["Message"]
    assert admin(server, "GET", "/_emulator/denied-actions") == (
        200,
        {"actions": ["servicequotas:*"]},
    )


def test_list_filters_and_request_errors(services_factory: Factory) -> None:
    server = services_factory(seed_with())
    quotas = quotas_client()
    unchecked = quotas_client(parameter_validation=False)
    list_quotas = quotas.list_service_quotas
    assert list_quotas(ServiceCode="connect", QuotaCode=CODE)["Quotas"] == [QUOTA]
    assert list_quotas(ServiceCode="connect", QuotaCode="L-00000000")["Quotas"] == []
    assert list_quotas(ServiceCode="connect", QuotaAppliedAtLevel="ACCOUNT")["Quotas"] == [QUOTA]
    assert list_quotas(ServiceCode="connect", QuotaAppliedAtLevel="RESOURCE")["Quotas"] == []
    assert list_quotas(ServiceCode="connect", MaxResults=1)["Quotas"] == [QUOTA]
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: list_quotas(ServiceCode="connect", MaxResults=101), "IllegalArgumentException"),
        (lambda: list_quotas(ServiceCode="ec2"), "NoSuchResourceException"),
        (
            lambda: list_quotas(ServiceCode="connect", NextToken="abc="),
            "InvalidPaginationTokenException",
        ),
        (
            lambda: unchecked.list_service_quotas(ServiceCode="connect", QuotaAppliedAtLevel="X"),
            "IllegalArgumentException",
        ),
        (lambda: unchecked.get_service_quota(ServiceCode="connect"), "IllegalArgumentException"),
    ]
    for call, expected in cases:
        assert failure(call)[:2] == (expected, 400)
    server.add_fault("throttle", operation="GetServiceQuota", count=1)
    server.add_fault("error", operation="GetServiceQuota", count=1)
    get = lambda: quotas.get_service_quota(ServiceCode="connect", QuotaCode=CODE)  # noqa: E731
    assert failure(get)[:2] == ("TooManyRequestsException", 400)
    assert failure(get)[:2] == ("ServiceException", 500)
    assert get()["Quota"] == QUOTA


def test_the_aws_cli_reads_the_quota(services_factory: Factory) -> None:
    exe = aws_cli()
    if exe is None:
        pytest.skip("the AWS CLI is not installed")
    server = services_factory(DEMO)
    result = subprocess.run(
        [exe, "service-quotas", "get-service-quota", "--endpoint-url", server.url,
         "--service-code", "connect", "--quota-code", CODE, "--output", "json"],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Quota"]["Value"] == 10.0
