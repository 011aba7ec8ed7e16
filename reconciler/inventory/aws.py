"""The boto3 inventory adapter: the only module of the product that imports boto3.

Costs, per target (DESIGN.md, "Performance targets"): ceil(n / 1000) calls of
ListPhoneNumbersV2, ceil(f / 1000) calls of ListFlowAssociations per instance,
and one DescribePhoneNumber per number the plan would release, never one per
managed number (a Terraform-style refresh would describe every number).

Endpoints, credentials and the region come from the standard AWS settings
(``AWS_ENDPOINT_URL_CONNECT``, profiles, environment); the region of each
client is the region of the target's ARN. Every botocore error is mapped to
``reconciler.errors`` here, at this one boundary (``map_error``), and every
AWS adapter builds its clients here (``make_client``): an endpoint that cannot
be reached fails within seconds (``CONNECT_TIMEOUT``, ``CONNECT_ATTEMPTS``),
naming the endpoint and the setting it came from, credentials in a URL masked.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.config
import botocore.exceptions

from ..desired import normalize_number
from ..errors import (
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
from ..model import Inventory, LiveNumber, NumberStatus, Target
from ..pacing import Pacer
from . import NumberState

__all__ = [
    "CONNECT_ATTEMPTS",
    "CONNECT_TIMEOUT",
    "ConnectInventory",
    "client_factory",
    "make_client",
    "map_error",
    "mask_url",
]

PAGE_SIZE = 1000  # MaxResult1000: the largest page ListPhoneNumbersV2 allows

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
        hint = _HINTS.get(cls, "")
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
    AccessDeniedError: " (grant the IAM permission connect:<operation> to this identity)",
    CredentialsError: " (see the standard AWS settings: AWS_PROFILE, AWS_REGION, ...)",
}

ClientFactory = Callable[[str], Any]


DEFAULT_MAX_ATTEMPTS = 10
# An endpoint that does not answer fails in seconds, not after a minute of
# silence: each connection attempt waits CONNECT_TIMEOUT seconds, and only
# CONNECT_ATTEMPTS are made (throttling and 5xx keep their longer retries).
CONNECT_TIMEOUT = 2.0
CONNECT_ATTEMPTS = 2


def _bounded_connect(
    attempts: int = 1, caught_exception: Exception | None = None, **_: Any
) -> bool | None:
    """``needs-retry``: False (no retry) once an unreachable endpoint had its attempts."""
    if isinstance(caught_exception, _UNREACHABLE) and attempts >= CONNECT_ATTEMPTS:
        return False
    return None  # botocore's standard retry mode decides


def make_client(service: str, region: str | None = None, *, max_attempts: int | None = None) -> Any:
    """The one way the product builds a boto3 client (Connect, CloudTrail, Service Quotas, S3).

    Standard retry mode with ``max_attempts`` total attempts (None: the standard
    setting ``AWS_MAX_ATTEMPTS``, else botocore's default), a connect timeout of
    CONNECT_TIMEOUT seconds and at most CONNECT_ATTEMPTS connection attempts.
    """
    retries: dict[str, Any] = {"mode": "standard"}
    if max_attempts is not None:
        retries["total_max_attempts"] = max_attempts
    config = botocore.config.Config(
        retries=retries, connect_timeout=CONNECT_TIMEOUT, user_agent_extra="connect-numbers"
    )
    try:
        client = boto3.session.Session().client(service, region_name=region, config=config)
    except Exception as exc:  # profile/credential/endpoint problems surface here
        raise map_error(exc, "CreateClient", service=service) from exc
    # First in line for this service: its False ends the retries before botocore's
    # standard handler schedules another attempt.
    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"needs-retry.{service_id}", _bounded_connect)
    return client


def client_factory(*, max_attempts: int | None = None) -> ClientFactory:
    """Build Connect clients per region (``make_client``).

    ``max_attempts`` (total attempts) defaults to the standard AWS setting
    (``AWS_MAX_ATTEMPTS``) or else 10, not botocore's 3: the phone-number APIs
    allow 2 requests/s per account, shared with every other client, so a
    burst of throttling is normal and each retry is paced (see ``Pacer``).
    """
    if max_attempts is None and not os.environ.get("AWS_MAX_ATTEMPTS"):
        max_attempts = DEFAULT_MAX_ATTEMPTS

    def make(region: str) -> Any:
        return make_client("connect", region, max_attempts=max_attempts)

    return make


class ConnectInventory:
    """``InventoryReader`` over the real Connect API (or the bundled emulator)."""

    def __init__(self, *, pacer: Pacer | None = None, clients: ClientFactory | None = None):
        self._pacer = pacer or Pacer()
        self._make_client = clients or client_factory()
        self._clients: dict[str, Any] = {}

    def _client(self, region: str) -> Any:
        client = self._clients.get(region)
        if client is None:
            client = self._make_client(region)
            # Pace every HTTP attempt, retries included: AWS counts them all.
            client.meta.events.register("before-send.connect", self._before_send)
            client.meta.events.register("needs-retry.connect", self._after_attempt)
            self._clients[region] = client
        return client

    def _before_send(self, event_name: str, **_: Any) -> None:
        self._pacer.acquire(event_name.rsplit(".", 1)[-1])

    def _after_attempt(self, event_name: str, response: Any = None, **_: Any) -> None:
        # Returns None: botocore's own retry handler decides; we only listen for 429.
        if response is not None and getattr(response[0], "status_code", None) == 429:
            self._pacer.throttled(event_name.rsplit(".", 1)[-1])

    def _call(self, region: str, operation: str, **params: Any) -> dict[str, Any]:
        client = self._client(region)
        method = getattr(client, botocore.xform_name(operation))
        try:
            result: dict[str, Any] = method(**params)
        except Exception as exc:
            raise map_error(exc, operation, service="connect") from exc
        return result

    def _pages(
        self, region: str, operation: str, items: str, token_key: str, **params: Any
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self._call(region, operation, **params, **({token_key: token} if token else {}))
            yield from page.get(items, [])
            token = page.get("NextToken")
            if not token:
                return

    def list_numbers(self, targets: Sequence[Target], *, with_flows: bool = True) -> Inventory:
        """Every number claimed to ``targets``; ``with_flows=False`` skips
        ListFlowAssociations (each number's ``flows`` is then empty): for readers
        that do not use them, such as the Pulumi provider's Read."""
        numbers: list[LiveNumber] = []
        for target in targets:
            listed = list(
                self._pages(
                    target.region,
                    "ListPhoneNumbersV2",
                    "ListPhoneNumbersSummaryList",
                    "NextToken",
                    TargetArn=target.arn,
                    MaxResults=PAGE_SIZE,
                )
            )
            flows = (
                self._flows(target, {s.get("InstanceId") for s in listed} - {None})
                if with_flows
                else {}
            )
            numbers.extend(_live(s, target.arn, flows) for s in listed)
        return Inventory(targets=tuple(t.arn for t in targets), numbers=tuple(numbers))

    def _flows(self, target: Target, instance_ids: set[Any]) -> dict[str, list[str]]:
        """Phone-number ARN -> flow ARNs, from ListFlowAssociations per instance."""
        if target.kind == "instance":
            instance_ids = instance_ids | {target.resource_id}
        flows: dict[str, list[str]] = defaultdict(list)
        for instance_id in sorted(instance_ids):
            for item in self._pages(
                target.region,
                "ListFlowAssociations",
                "FlowAssociationSummaryList",
                "NextToken",
                InstanceId=instance_id,
                ResourceType="VOICE_PHONE_NUMBER",
                MaxResults=PAGE_SIZE,
            ):
                if item.get("ResourceId") and item.get("FlowId"):
                    flows[item["ResourceId"]].append(item["FlowId"])
        return flows

    def describe(self, numbers: Sequence[LiveNumber]) -> Mapping[str, NumberState | None]:
        states: dict[str, NumberState | None] = {}
        for n in numbers:
            current = self.lookup(n.phone_number_id, region=Target(arn=n.target_arn).region)
            states[n.phone_number_id] = (
                None
                if current is None or current.status is None
                else NumberState(status=current.status, message=current.status_message)
            )
        return states

    def lookup(self, phone_number_id: str, *, region: str) -> LiveNumber | None:
        """The current state of one number (DescribePhoneNumber); None if it is gone."""
        try:
            answer = self._call(region, "DescribePhoneNumber", PhoneNumberId=phone_number_id)
        except NotFoundError:
            return None
        summary = answer.get("ClaimedPhoneNumberSummary", {})
        status = summary.get("PhoneNumberStatus", {})
        try:
            value = NumberStatus(status.get("Status", ""))
        except ValueError:
            value = NumberStatus.FAILED
        number = _live(summary, "", {})
        return replace(number, status=value, status_message=status.get("Message"))

    def release(self, phone_number_id: str, *, region: str, client_token: str) -> None:
        """ReleasePhoneNumber with an idempotency token (irreversible)."""
        self._call(
            region, "ReleasePhoneNumber", PhoneNumberId=phone_number_id, ClientToken=client_token
        )


def _live(summary: dict[str, Any], target_arn: str, flows: Mapping[str, list[str]]) -> LiveNumber:
    raw = summary.get("PhoneNumber", "")
    try:
        number = normalize_number(raw)
    except ValueError as exc:
        # Never guess: a number we cannot compare with numbers.yaml could be
        # released by mistake, so the whole read fails instead.
        raise PermanentAwsError(
            f"ListPhoneNumbersV2 returned {raw!r} ({summary.get('PhoneNumberId')}), which is not "
            f"a valid phone number ({exc}); refusing to plan against it",
            operation="ListPhoneNumbersV2",
        ) from exc
    arn = summary.get("PhoneNumberArn", "")
    return LiveNumber(
        phone_number=number,
        phone_number_id=summary["PhoneNumberId"],
        phone_number_arn=arn,
        target_arn=summary.get("TargetArn") or target_arn,
        instance_id=summary.get("InstanceId"),
        country_code=summary.get("PhoneNumberCountryCode"),
        number_type=summary.get("PhoneNumberType"),
        description=summary.get("PhoneNumberDescription"),
        flows=tuple(sorted(flows.get(arn, ()))),
    )
