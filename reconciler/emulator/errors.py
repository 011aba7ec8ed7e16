"""API errors as Connect answers them over REST-JSON.

An ``ApiError`` raised anywhere below the WSGI app becomes one HTTP response:

- status: the ``error.httpStatusCode`` of the error's shape in the service
  model (``ERROR_STATUS``; a test compares it with botocore's model);
- header ``x-amzn-ErrorType: <Code>``, which botocore's ``RestJSONParser``
  reads first for ``Error.Code`` (without it, botocore falls back to ``__type``
  or ``code`` in the body, and finally to the bare HTTP status as the code);
- JSON body ``{"Message": "..."}`` plus the shape's other members (e.g.
  ``ResourceType`` and ``ResourceId`` of ``ResourceInUseException``), which
  botocore copies into ``response["Error"]`` and the modeled exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["ERROR_STATUS", "FRONT_DOOR_ERRORS", "QUOTA_ERROR", "ApiError"]

ERROR_STATUS: Final[Mapping[str, int]] = {
    "AccessDeniedException": 403,
    "IdempotencyException": 409,
    "InternalServiceException": 500,
    "InvalidParameterException": 400,
    "InvalidRequestException": 400,
    "ResourceInUseException": 409,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    # Not shapes of the Connect model: AWS's front door answers these before
    # any operation runs (a path no operation serves, a body that is not JSON).
    "UnknownOperationException": 404,
    "SerializationException": 400,
}

FRONT_DOOR_ERRORS: Final = frozenset({"UnknownOperationException", "SerializationException"})

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
    """An error response: ``code`` names the error shape, ``fields`` its extra members."""

    def __init__(self, code: str, message: str, **fields: str) -> None:
        if code not in ERROR_STATUS:
            raise ValueError(f"unknown Connect error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = dict(fields)

    @property
    def status(self) -> int:
        return ERROR_STATUS[self.code]

    def body(self) -> dict[str, str]:
        return {"Message": self.message, **self.fields}


def invalid_parameter(message: str) -> ApiError:
    return ApiError("InvalidParameterException", message)


def not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message)
