"""The AWS services one emulator answers for, and how each speaks: a table.

A client reaches every service at the same URL: ``AWS_ENDPOINT_URL_CONNECT``,
``AWS_ENDPOINT_URL_CLOUDTRAIL`` and ``AWS_ENDPOINT_URL_SERVICE_QUOTAS`` (botocore
names the variable ``AWS_ENDPOINT_URL_`` plus the client name upper-cased with
``-`` as ``_``), or ``AWS_ENDPOINT_URL`` for all of them.

- Connect speaks REST-JSON: the method and path name the operation
  (``operations.ROUTES``); errors carry ``x-amzn-ErrorType``.
- CloudTrail and Service Quotas speak JSON 1.1: ``POST /`` with
  ``X-Amz-Target: <targetPrefix>.<Operation>`` and
  ``Content-Type: application/x-amz-json-1.1``; errors are
  ``{"__type": ..., "message": ...}`` bodies (``errors``).

``SERVICES`` also names each service's throttling and internal-error codes and
its IAM prefix (``iam`` denies actions such as ``cloudtrail:LookupEvents``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .errors import (
    CLOUDTRAIL_ERROR_STATUS,
    ERROR_STATUS,
    SERVICE_QUOTAS_ERROR_STATUS,
    ApiError,
)

__all__ = [
    "CLOUDTRAIL",
    "CONNECT",
    "JSON_TARGETS",
    "SERVICES",
    "SERVICE_QUOTAS",
    "Protocol",
    "Service",
    "iam_action",
    "service_of",
]


class Protocol(StrEnum):
    REST_JSON = "rest-json"
    JSON_1_1 = "json-1.1"


@dataclass(frozen=True, kw_only=True)
class Service:
    name: str
    iam_prefix: str
    protocol: Protocol
    operations: tuple[str, ...]
    errors: Mapping[str, int]
    throttling_code: str
    internal_code: str
    #: JSON 1.1 only: ``metadata.targetPrefix`` of the botocore model.
    target_prefix: str | None = None
    #: The key of the message in an error body: the error shapes' own member
    #: (``Message``) where the model declares one, else the protocol's ``message``.
    message_key: str = "Message"

    def error(self, code: str, message: str) -> ApiError:
        """An error of this service, with this service's status for ``code``."""
        if code not in self.errors:
            raise ValueError(f"unknown {self.name} error code {code!r}")
        return ApiError(code, message, status=self.errors[code])

    @property
    def content_type(self) -> str:
        return (
            "application/json"
            if self.protocol is Protocol.REST_JSON
            else "application/x-amz-json-1.1"
        )


CONNECT: Final = Service(
    name="connect",
    iam_prefix="connect",
    protocol=Protocol.REST_JSON,
    operations=(
        "ListPhoneNumbersV2",
        "ListPhoneNumbers",
        "DescribePhoneNumber",
        "ListFlowAssociations",
        "BatchGetFlowAssociation",
        "ReleasePhoneNumber",
        "ClaimPhoneNumber",
        "SearchAvailablePhoneNumbers",
        "UpdatePhoneNumberMetadata",
        "TagResource",
        "UntagResource",
        "CreateTrafficDistributionGroup",
        "DescribeTrafficDistributionGroup",
        "ListTrafficDistributionGroups",
    ),
    errors=ERROR_STATUS,
    throttling_code="ThrottlingException",
    internal_code="InternalServiceException",
)

CLOUDTRAIL: Final = Service(
    name="cloudtrail",
    iam_prefix="cloudtrail",
    protocol=Protocol.JSON_1_1,
    operations=("LookupEvents",),
    errors=CLOUDTRAIL_ERROR_STATUS,
    throttling_code="ThrottlingException",
    internal_code="InternalFailure",
    target_prefix="com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
    message_key="message",  # CloudTrail's error shapes have no members
)

SERVICE_QUOTAS: Final = Service(
    name="service-quotas",
    iam_prefix="servicequotas",
    protocol=Protocol.JSON_1_1,
    operations=("GetServiceQuota", "ListServiceQuotas"),
    errors=SERVICE_QUOTAS_ERROR_STATUS,
    throttling_code="TooManyRequestsException",
    internal_code="ServiceException",
    target_prefix="ServiceQuotasV20190624",
)

SERVICES: Final = (CONNECT, CLOUDTRAIL, SERVICE_QUOTAS)

_BY_OPERATION: Final = {
    operation: service for service in SERVICES for operation in service.operations
}

#: ``X-Amz-Target`` header value -> (service, operation).
JSON_TARGETS: Final[Mapping[str, tuple[Service, str]]] = {
    f"{service.target_prefix}.{operation}": (service, operation)
    for service in SERVICES
    if service.target_prefix is not None
    for operation in service.operations
}


def service_of(operation: str) -> Service:
    return _BY_OPERATION[operation]


def iam_action(operation: str) -> str:
    """The IAM action of an operation, e.g. ``servicequotas:GetServiceQuota``."""
    return f"{service_of(operation).iam_prefix}:{operation}"
