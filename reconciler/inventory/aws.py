"""The boto3 inventory adapter: the only module of the product that imports boto3.

Costs, per target (DESIGN.md, "Performance targets"): ceil(n / 1000) calls of
ListPhoneNumbersV2; one DescribePhoneNumber per number the plan would release,
never one per managed number (a Terraform-style refresh would describe every
number); for their flows, one BatchGetFlowAssociation per 100 of them and, only
when one has a flow, at most ceil(a / 1000) ListFlowAssociations pages of its
instance (``ConnectInventory.flows``). tests/inventory/test_call_budget.py
counts them.

Endpoints, credentials and the region come from the standard AWS settings
(``AWS_ENDPOINT_URL_CONNECT``, profiles, environment); the region of each
client is the region of the target's ARN. Every botocore error is mapped to
``reconciler.core.errors`` here, at this one boundary (``map_error``), and every
AWS adapter builds its clients here (``make_client``): an endpoint that cannot
be reached fails within seconds (``CONNECT_TIMEOUT``, ``CONNECT_ATTEMPTS``),
naming the endpoint and the setting it came from, credentials in a URL masked.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.config
import botocore.exceptions

from reconciler.desired import normalize_number
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
from reconciler.core.model import Inventory, LiveNumber, NumberStatus, Target
from reconciler.core.pacing import Pacer
from reconciler.aws.reading import ReadProgress, ReadStopped, parallel
from reconciler.core.inventory import NumberState
from reconciler.core.inventory import with_flows as fill_flows

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
BATCH_SIZE = 100  # resourceArnListMaxLimit100: BatchGetFlowAssociation's ResourceIds
_VOICE_PHONE_NUMBER = "VOICE_PHONE_NUMBER"
# Threads of one read: targets (and instances) listed side by side, and describes a
# few at once. Each call waits for its operation's token (Pacer), so more threads
# do not mean more requests per second; these few hide the round trips. At most
# _WORKERS + _DESCRIBE_WORKERS at once, under botocore's 10 pooled connections.
_WORKERS = 4
_DESCRIBE_WORKERS = 4

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
    """``InventoryReader`` over the real Connect API (or the bundled emulator).

    Calls of different operations run at once, each paced to its own operation's
    bucket (AWS throttles each API separately): the targets' listings side by side
    (the pages of one target follow each other, by NextToken), then the describes
    beside the flow lookups. ``progress`` counts what was read, for a front door.
    """

    def __init__(
        self,
        *,
        pacer: Pacer | None = None,
        clients: ClientFactory | None = None,
        progress: ReadProgress | None = None,
    ):
        self._pacer = pacer or Pacer()
        self._pacer.reports_answers()  # _after_attempt reports each answer
        self._make_client = clients or client_factory()
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.progress = progress or ReadProgress()

    def _client(self, region: str) -> Any:
        with self._lock:  # reads run in threads: one client per region all the same
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
        # Returns None: botocore's own retry handler decides; we only listen.
        operation = event_name.rsplit(".", 1)[-1]
        self._pacer.opened(operation)
        if response is not None and getattr(response[0], "status_code", None) == 429:
            self._pacer.throttled(operation)

    def _call(self, region: str, operation: str, **params: Any) -> dict[str, Any]:
        client = self._client(region)
        method = getattr(client, botocore.xform_name(operation))
        try:
            result: dict[str, Any] = method(**params)
        except Exception as exc:
            raise map_error(exc, operation, service="connect") from exc
        return result

    def _pages(
        self,
        region: str,
        operation: str,
        items: str,
        stop: threading.Event,
        **params: Any,
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page's items, one call per page (NextToken); ends early once ``stop``
        is set (another part of the read failed)."""
        token: str | None = None
        while not stop.is_set():
            more = {"NextToken": token} if token else {}
            page = self._call(region, operation, **params, **more)
            yield list(page.get(items, []))
            token = page.get("NextToken")
            if not token:
                return
        raise ReadStopped(f"{operation} stopped: another part of the read failed")

    def list_numbers(self, targets: Sequence[Target], *, with_flows: bool = True) -> Inventory:
        """Every number claimed to ``targets``: ceil(n / 1000) ListPhoneNumbersV2 calls
        per target, targets side by side. ``with_flows`` also lists every flow
        association of their instances (ceil(a / 1000) ListFlowAssociations calls
        each, beside the listing); without it each number's ``flows`` is empty:
        for readers that read flows only where needed (``flows``) or not at all."""
        stop = threading.Event()
        instances = (
            {(t.region, t.resource_id) for t in targets if t.kind == "instance"}
            if with_flows
            else set()
        )
        listings: list[Callable[[], Any]] = [
            functools.partial(self._listing, target, stop) for target in targets
        ]
        flow_lists: list[Callable[[], Any]] = [
            functools.partial(self._associations, region, instance, stop)
            for region, instance in sorted(instances)
        ]
        self.progress.count(targets=len(targets))
        results = parallel(listings + flow_lists, workers=_WORKERS, stop=stop)
        listed: list[list[LiveNumber]] = results[: len(listings)]
        numbers = [n for rows in listed for n in rows]
        if not with_flows:
            return Inventory(targets=tuple(t.arn for t in targets), numbers=tuple(numbers))
        flows: dict[str, set[str]] = defaultdict(set)
        for found in results[len(listings) :]:
            _merge(flows, found)
        # Instances met in the listing that are not targets (numbers of a traffic
        # distribution group): their associations too.
        more = sorted(
            {(Target(arn=n.target_arn).region, n.instance_id) for n in numbers if n.instance_id}
            - instances
        )
        calls = [functools.partial(self._associations, r, i, stop) for r, i in more]
        for found in parallel(calls, workers=_WORKERS, stop=stop):
            _merge(flows, found)
        inventory = Inventory(targets=tuple(t.arn for t in targets), numbers=tuple(numbers))
        return fill_flows(inventory, flows)

    def _listing(self, target: Target, stop: threading.Event) -> list[LiveNumber]:
        """One target's numbers. Each page is read into numbers (normalized) while the
        next page waits for its token: that work is off the paced path."""
        numbers: list[LiveNumber] = []
        for page in self._pages(
            target.region,
            "ListPhoneNumbersV2",
            "ListPhoneNumbersSummaryList",
            stop,
            TargetArn=target.arn,
            MaxResults=PAGE_SIZE,
        ):
            numbers.extend(_live(s, target.arn, {}) for s in page)
            self.progress.count(pages=1, numbers=len(page))
        self.progress.count(targets_done=1)
        return numbers

    def _association_pages(
        self, region: str, instance_id: str, stop: threading.Event
    ) -> Iterator[list[tuple[str, str]]]:
        """ListFlowAssociations of one instance, page by page: (number ARN, flow ARN)."""
        for page in self._pages(
            region,
            "ListFlowAssociations",
            "FlowAssociationSummaryList",
            stop,
            InstanceId=instance_id,
            ResourceType=_VOICE_PHONE_NUMBER,
            MaxResults=PAGE_SIZE,
        ):
            self.progress.count(flow_calls=1)
            yield [
                (item["ResourceId"], item["FlowId"])
                for item in page
                if item.get("ResourceId") and item.get("FlowId")
            ]

    def _associations(
        self, region: str, instance_id: str, stop: threading.Event
    ) -> list[tuple[str, str]]:
        pages = self._association_pages(region, instance_id, stop)
        return [pair for page in pages for pair in page]

    def flows(
        self, candidates: Sequence[LiveNumber], kept: frozenset[str]
    ) -> Mapping[str, tuple[str, ...]]:
        """Flows of the candidates and, where flow impact needs them, of other numbers.

        Per instance: BatchGetFlowAssociation for the candidates, 100 a call
        (``BATCH_SIZE``). Only if one of them has a flow, ListFlowAssociations of
        that instance, page by page, until every such flow is seen on a number of
        ``kept`` (it then loses no last number) or the pages end (every number
        that has it is then known): at most ceil(a / 1000) pages, often one.
        """
        groups: dict[tuple[str, str], list[LiveNumber]] = defaultdict(list)
        for n in candidates:
            target = Target(arn=n.target_arn)
            instance = n.instance_id or (target.resource_id if target.kind == "instance" else None)
            if instance is not None:  # no instance, no flow to look up
                groups[(target.region, instance)].append(n)
        stop = threading.Event()
        calls = [
            functools.partial(self._instance_flows, region, instance, numbers, kept, stop)
            for (region, instance), numbers in sorted(groups.items())
        ]
        flows: dict[str, set[str]] = defaultdict(set)
        for found in parallel(calls, workers=_WORKERS, stop=stop):
            _merge(flows, found)
        return {arn: tuple(sorted(f)) for arn, f in flows.items()}

    def _instance_flows(
        self,
        region: str,
        instance_id: str,
        numbers: Sequence[LiveNumber],
        kept: frozenset[str],
        stop: threading.Event,
    ) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        arns = list(dict.fromkeys(n.phone_number_arn for n in numbers))
        for start in range(0, len(arns), BATCH_SIZE):
            if stop.is_set():
                raise ReadStopped("BatchGetFlowAssociation stopped: another read failed")
            answer = self._call(
                region,
                "BatchGetFlowAssociation",
                InstanceId=instance_id,
                ResourceIds=arns[start : start + BATCH_SIZE],
                ResourceType=_VOICE_PHONE_NUMBER,
            )
            self.progress.count(flow_calls=1)
            found.extend(
                (item["ResourceId"], item["FlowId"])
                for item in answer.get("FlowAssociationSummaryList", [])
                if item.get("ResourceId") and item.get("FlowId")
            )
        unproven = {flow for _, flow in found}  # flows that may lose their last number
        if not unproven:
            return found  # no candidate has a flow: nothing to list
        for page in self._association_pages(region, instance_id, stop):
            found.extend(page)
            unproven -= {flow for arn, flow in page if arn in kept}
            if not unproven:
                break
        return found

    def describe(self, numbers: Sequence[LiveNumber]) -> Mapping[str, NumberState | None]:
        """One DescribePhoneNumber per number, a few at once (paced all the same)."""
        self.progress.count(lookups=len(numbers))

        def state(n: LiveNumber) -> NumberState | None:
            current = self.lookup(n.phone_number_id, region=Target(arn=n.target_arn).region)
            self.progress.count(looked_up=1)
            if current is None or current.status is None:
                return None
            return NumberState(
                status=current.status, message=current.status_message, tags=current.tags or ()
            )

        calls = [functools.partial(state, n) for n in numbers]
        found = parallel(calls, workers=_DESCRIBE_WORKERS)
        return {n.phone_number_id: s for n, s in zip(numbers, found, strict=True)}

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

    def traffic_distribution_groups(self, instances: Sequence[Target]) -> list[tuple[str, str]]:
        """(TDG ARN, name) of each traffic distribution group of ``instances``, read
        with ListTrafficDistributionGroups (instanceId, at most 10 a page) in each
        instance's region; for ``init``, which offers them as targets."""
        found: list[tuple[str, str]] = []
        stop = threading.Event()
        for target in instances:
            if target.kind != "instance":
                continue
            for page in self._pages(
                target.region,
                "ListTrafficDistributionGroups",
                "TrafficDistributionGroupSummaryList",
                stop,
                InstanceId=target.resource_id,
                MaxResults=10,
            ):
                found.extend((g["Arn"], g.get("Name", "")) for g in page if g.get("Arn"))
        return found

    def release(self, phone_number_id: str, *, region: str, client_token: str) -> None:
        """ReleasePhoneNumber with an idempotency token (irreversible)."""
        self._call(
            region, "ReleasePhoneNumber", PhoneNumberId=phone_number_id, ClientToken=client_token
        )

    def update_metadata(
        self, phone_number_id: str, *, region: str, description: str, client_token: str
    ) -> None:
        """UpdatePhoneNumberMetadata: the description in place, at no quota cost."""
        self._call(
            region,
            "UpdatePhoneNumberMetadata",
            PhoneNumberId=phone_number_id,
            PhoneNumberDescription=description,
            ClientToken=client_token,
        )

    def tag(self, phone_number_arn: str, tags: Mapping[str, str], *, region: str) -> None:
        """TagResource: add or overwrite these tags only (no client token in the API; the
        same call again sets the same values). In place, at no quota cost."""
        self._call(region, "TagResource", resourceArn=phone_number_arn, tags=dict(tags))

    def untag(self, phone_number_arn: str, keys: Sequence[str], *, region: str) -> None:
        """UntagResource: remove these tag keys only (an absent key is no error)."""
        self._call(region, "UntagResource", resourceArn=phone_number_arn, tagKeys=list(keys))


def _merge(flows: dict[str, set[str]], pairs: Iterable[tuple[str, str]]) -> None:
    for arn, flow in pairs:
        flows[arn].add(flow)


def _live(
    summary: dict[str, Any], target_arn: str, flows: Mapping[str, Iterable[str]]
) -> LiveNumber:
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
        source_phone_number_arn=summary.get("SourcePhoneNumberArn") or None,
        # DescribePhoneNumber answers Tags; ListPhoneNumbersV2 does not (None: not read).
        tags=tuple(sorted(summary["Tags"].items())) if "Tags" in summary else None,
    )
