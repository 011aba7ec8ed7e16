"""AWS's errors mapped to ours, at one boundary for every AWS adapter.

Every botocore error becomes a ``reconciler.core.errors.AwsError`` here
(``map_error``): by the error code of the answer (codes from botocore's
models), else by botocore's own exception, else by the HTTP status (5xx
transient, 4xx permanent). An endpoint that cannot be reached is named with the
setting it came from (``AWS_ENDPOINT_URL_...``), credentials in a URL masked.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import botocore
import botocore.config
import botocore.exceptions

from reconciler.core.errors import (
    AccessDeniedError,
    AwsError,
    ConflictError,
    CredentialsError,
    InvalidRequestError,
    NotFoundError,
    PermanentAwsError,
    QuotaExceededError,
    TransientAwsError,
)

__all__ = ["CONNECT_ATTEMPTS", "CONNECT_TIMEOUT", "endpoint_setting", "map_error", "mask_url"]

# An endpoint that does not answer fails in seconds, not after a minute of
# silence: each connection attempt waits CONNECT_TIMEOUT seconds, and only
# CONNECT_ATTEMPTS are made (throttling and 5xx keep their longer retries).
CONNECT_TIMEOUT = 2.0
CONNECT_ATTEMPTS = 2


# AWS error code -> our class. Codes from botocore's Connect model; anything
# else falls back on the HTTP status (5xx transient, 4xx permanent).
_CODES: dict[str, type[AwsError]] = {
    "ThrottlingException": TransientAwsError,
    "TooManyRequestsException": TransientAwsError,
    "InternalServiceException": TransientAwsError,
    "ServiceUnavailableException": TransientAwsError,
    "AccessDeniedException": AccessDeniedError,
    "UnrecognizedClientException": CredentialsError,
    "InvalidSignatureException": CredentialsError,
    "ExpiredTokenException": CredentialsError,
    "ResourceNotFoundException": NotFoundError,
    "ResourceInUseException": ConflictError,
    "IdempotencyException": ConflictError,
    "ServiceQuotaExceededException": QuotaExceededError,
    "InvalidParameterException": InvalidRequestError,
    "InvalidRequestException": InvalidRequestError,
}

# botocore's own (non-HTTP-response) errors, most specific first.
_BOTOCORE: tuple[tuple[type[Exception], type[AwsError], str], ...] = (
    (
        botocore.exceptions.NoCredentialsError,
        CredentialsError,
        "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
    ),
    (botocore.exceptions.PartialCredentialsError, CredentialsError, "incomplete AWS credentials"),
    (botocore.exceptions.ProfileNotFound, CredentialsError, "AWS profile not found"),
    (botocore.exceptions.NoRegionError, CredentialsError, "no AWS region configured"),
    (botocore.exceptions.ConnectTimeoutError, TransientAwsError, "connection timed out"),
    (botocore.exceptions.ReadTimeoutError, TransientAwsError, "read timed out"),
    (botocore.exceptions.EndpointConnectionError, TransientAwsError, "cannot reach the endpoint"),
    (botocore.exceptions.ConnectionClosedError, TransientAwsError, "connection closed"),
    (botocore.exceptions.ConnectionError, TransientAwsError, "connection failed"),
    (botocore.exceptions.HTTPClientError, TransientAwsError, "HTTP client error"),
    (botocore.exceptions.ParamValidationError, InvalidRequestError, "invalid request parameter"),
    (botocore.exceptions.BotoCoreError, PermanentAwsError, "AWS SDK error"),
)


def mask_url(text: str) -> str:
    """``text`` with the user and password of every URL in it masked (``http://***@host``)."""
    return _USERINFO.sub("***@", text)


_USERINFO = re.compile(r"(?<=://)[^/@\s\"'<>]+@")
# The errors of an endpoint that does not answer at all; botocore's own message
# names only a URL, so they are worded here with the setting that named it.
_UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
)
_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")>]+")


def endpoint_setting(url: str, service: str | None = None) -> str | None:
    """The standard setting whose value ``url`` starts with (the one botocore used), if any."""
    specific = (
        [f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_').replace(' ', '_')}"]
        if service
        else sorted(n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_"))
    )
    for name in [*specific, "AWS_ENDPOINT_URL"]:
        value = os.environ.get(name, "").strip().rstrip("/")
        if value and url.rstrip("/").startswith(value):
            return name
    return None


def _unreachable(exc: Exception, operation: str, service: str | None) -> str:
    kwargs = getattr(exc, "kwargs", {})
    url = str(kwargs.get("endpoint_url", ""))
    parts = urlsplit(url)
    endpoint = mask_url(f"{parts.scheme}://{parts.netloc}") if parts.netloc else mask_url(url)
    if isinstance(exc, botocore.exceptions.ConnectTimeoutError):
        reason = f"no connection within {CONNECT_TIMEOUT:g} s"
    else:
        found = _ERRNO.search(str(kwargs.get("error", "")))
        reason = found.group(0).strip() if found else "the connection failed"
    setting = endpoint_setting(url, service)
    if setting is not None:
        origin = f"the endpoint set by {setting}"
        fix = (
            f"check {setting} (is that service running? `connect-numbers emulator` prints "
            f"the URL to use), or unset it to reach AWS itself"
        )
    elif parts.hostname and parts.hostname.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        origin = "the AWS endpoint of the region"
        fix = "check the network (proxy, firewall, DNS) and the region (AWS_REGION)"
    else:
        origin = "the endpoint set in the AWS config file (endpoint_url)"
        fix = "check endpoint_url in the profile (AWS_PROFILE, ~/.aws/config)"
    return f"{operation} failed: cannot reach {endpoint} ({origin}): {reason}; {fix}"


def _not_an_aws_answer(
    code: str, message: str, status: int, operation: str, service: str | None
) -> str | None:
    """The message for an answer that is no AWS error (a web page, a bare status: the
    endpoint is some other server), naming the endpoint setting; None for an AWS error.
    (S3 answers HEAD requests with a bare status: left to the S3 ledger.)"""
    if service in (None, "s3") or (code != str(status) and not message.lstrip().startswith("<")):
        return None
    names = (f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}", "AWS_ENDPOINT_URL")
    setting = next((name for name in names if os.environ.get(name, "").strip()), None)
    if setting is None:
        return (
            f"{operation} failed: the AWS endpoint answered HTTP {status} with no AWS error; "
            "check the network (a proxy?) and endpoint_url in the profile, then try again"
        )
    return (
        f"{operation} failed: {mask_url(os.environ[setting].strip())} (the endpoint set by "
        f"{setting}) answered HTTP {status} with no AWS error: it is not the {service} API. "
        f"Check {setting} (`connect-numbers emulator` prints the URL to use), or unset it "
        "to reach AWS itself"
    )


def map_error(exc: Exception, operation: str, *, service: str | None = None) -> AwsError:
    """Our error for a botocore/boto3 exception raised by ``operation``.

    ``service`` (``connect``, ``s3``, ...) lets an unreachable endpoint name the
    exact setting it came from. Credentials in URLs are masked in every message.
    """
    mapped = _map_error(exc, operation, service)
    mapped.args = (mask_url(str(mapped)),)
    return mapped


def _map_error(exc: Exception, operation: str, service: str | None) -> AwsError:
    if isinstance(exc, _UNREACHABLE):
        return TransientAwsError(
            _unreachable(exc, operation, service), operation=operation, code=type(exc).__name__
        )
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")) or str(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        cls = _CODES.get(code) or (TransientAwsError if status >= 500 else PermanentAwsError)
        hint = _HINTS.get(cls, "").replace("<action>", _iam_action(operation, service))
        foreign = _not_an_aws_answer(code, message, status, operation, service)
        if foreign is not None:
            return cls(foreign, operation=operation, code=code)
        return cls(f"{operation} failed: {code}: {message}{hint}", operation=operation, code=code)
    for kind, cls, what in _BOTOCORE:
        if isinstance(exc, kind):
            hint = _HINTS.get(cls, "")
            return cls(
                f"{operation} failed: {what}: {exc}{hint}",
                operation=operation,
                code=type(exc).__name__,
            )
    return PermanentAwsError(f"{operation} failed: {exc}", operation=operation)


_HINTS: dict[type[AwsError], str] = {
    TransientAwsError: " (retried with backoff; try again later)",
    AccessDeniedError: " (grant the IAM permission <action> to this identity)",
    CredentialsError: " (see the standard AWS settings: AWS_PROFILE, AWS_REGION, ...)",
}


def _iam_action(operation: str, service: str | None) -> str:
    """The IAM action of an API call: ``connect:ReleasePhoneNumber``, ``servicequotas:...``."""
    prefix = {"service-quotas": "servicequotas"}.get(service or "connect", service or "connect")
    return f"{prefix}:{operation}"
