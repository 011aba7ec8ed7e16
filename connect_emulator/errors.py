"""API errors as Connect, CloudTrail and Service Quotas answer them.

An ``ApiError`` raised anywhere below the WSGI app becomes one HTTP response.
For Connect (REST-JSON):

- status: the ``error.httpStatusCode`` of the error's shape in the service
  model (``ERROR_STATUS``; a test compares it with botocore's model);
- header ``x-amzn-ErrorType: <Code>``, which botocore's ``RestJSONParser``
  reads first for ``Error.Code`` (without it, botocore falls back to ``__type``
  or ``code`` in the body, and finally to the bare HTTP status as the code);
- JSON body ``{"Message": "..."}`` plus the shape's other members (e.g.
  ``ResourceType`` and ``ResourceId`` of ``ResourceInUseException``), which
  botocore copies into ``response["Error"]`` and the modeled exception.

For CloudTrail and Service Quotas (JSON 1.1, see ``services``): the status of
the service's table (``CLOUDTRAIL_ERROR_STATUS``, ``SERVICE_QUOTAS_ERROR_STATUS``)
and a body ``{"__type": "<Code>", "message": "..."}``, which botocore's
``JSONParser`` reads (``__type``, after any ``namespace#``, is the code;
``message`` or ``Message`` the message). Neither model gives its errors an
``httpStatusCode``: a client error is 400, a fault 500, as those services answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = [
    "CLOUDTRAIL_ERROR_STATUS",
    "ERROR_STATUS",
    "FRONT_DOOR_ERRORS",
    "JSON_FRONT_DOOR_ERRORS",
    "QUOTA_ERROR",
    "SERVICE_QUOTAS_ERROR_STATUS",
    "ApiError",
]

ERROR_STATUS: Final[Mapping[str, int]] = {
    "AccessDeniedException": 403,
    "IdempotencyException": 409,
    "InternalServiceException": 500,
    "InvalidParameterException": 400,
    "InvalidRequestException": 400,
    "ResourceInUseException": 409,
    "ResourceConflictException": 409,
    "ResourceNotReadyException": 409,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    # Not shapes of the Connect model: AWS's front door answers these before
    # any operation runs (a path no operation serves, a body that is not JSON).
    "UnknownOperationException": 404,
    "SerializationException": 400,
}

FRONT_DOOR_ERRORS: Final = frozenset({"UnknownOperationException", "SerializationException"})

#: Errors the JSON 1.1 front door answers for any service, before an operation
#: runs: an unknown ``X-Amz-Target``, a body that is not JSON (or a member of
#: the wrong JSON type), a denied IAM action, an emulator bug.
JSON_FRONT_DOOR_ERRORS: Final[Mapping[str, int]] = {
    "UnknownOperationException": 400,
    "SerializationException": 400,
    "AccessDeniedException": 400,
    "InternalFailure": 500,
}

#: CloudTrail's errors for LookupEvents (shapes of its model) and the front door's.
CLOUDTRAIL_ERROR_STATUS: Final[Mapping[str, int]] = {
    **JSON_FRONT_DOOR_ERRORS,
    "InvalidLookupAttributesException": 400,
    "InvalidTimeRangeException": 400,
    "InvalidMaxResultsException": 400,
    "InvalidNextTokenException": 400,
    "InvalidEventCategoryException": 400,
    "UnsupportedOperationException": 400,
    "OperationNotPermittedException": 400,
    "ThrottlingException": 400,
}

#: Service Quotas' errors (shapes of its model; ``ServiceException`` is its fault).
SERVICE_QUOTAS_ERROR_STATUS: Final[Mapping[str, int]] = {
    **JSON_FRONT_DOOR_ERRORS,
    "AccessDeniedException": 400,
    "IllegalArgumentException": 400,
    "InvalidPaginationTokenException": 400,
    "NoSuchResourceException": 400,
    "ServiceException": 500,
    "TooManyRequestsException": 400,
}

#: The answer to a claim or release that the rolling quota blocks. AWS
#: documents the block, not its error code, and botocore's model lists no quota
#: error for ClaimPhoneNumber or ReleasePhoneNumber. ``ServiceQuotaExceededException``
#: is the Connect model's own shape for an exceeded quota (HTTP 402): botocore
#: parses it into ``client.exceptions.ServiceQuotaExceededException`` (modeled
#: exceptions are per service, not per operation) and its 4xx status makes
#: standard retry mode give up at once, as a client should when blocked for days.
#: The declared alternatives mislead: AccessDeniedException says "fix IAM",
#: InvalidParameterException says "fix the request".
QUOTA_ERROR: Final = "ServiceQuotaExceededException"


class ApiError(Exception):
    """An error response: ``code`` names the error shape, ``fields`` its extra members.

    ``status`` defaults to the Connect status of ``code``; the JSON 1.1
    services pass theirs (``services.Service.error``).
    """

    def __init__(
        self, code: str, message: str, *, status: int | None = None, **fields: str
    ) -> None:
        if status is None:
            if code not in ERROR_STATUS:
                raise ValueError(f"unknown Connect error code {code!r}")
            status = ERROR_STATUS[code]
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = dict(fields)

    def body(self) -> dict[str, str]:
        return {"Message": self.message, **self.fields}


def invalid_parameter(message: str) -> ApiError:
    return ApiError("InvalidParameterException", message)


def not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message)
