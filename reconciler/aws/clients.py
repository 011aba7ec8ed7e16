"""The one way the product builds a boto3 client (Connect, CloudTrail, Service Quotas, S3, STS).

Endpoints, credentials and the region come from the standard AWS settings
(``AWS_ENDPOINT_URL_CONNECT``, profiles, environment), or from a target's
``role_arn``/``profile`` through ``reconciler.aws.sessions``; the region of each
client is the region of the target's ARN. An endpoint that cannot be reached
fails within seconds (``CONNECT_TIMEOUT``, ``CONNECT_ATTEMPTS``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore
import botocore.config
import botocore.exceptions

from reconciler.aws import SHARED
from reconciler.aws.errors import _UNREACHABLE, CONNECT_ATTEMPTS, CONNECT_TIMEOUT, map_error
from reconciler.aws.sessions import Sessions
from reconciler.core.model import TargetAccess

__all__ = [
    "ClientFactory",
    "account_client",
    "client_factory",
    "make_client",
    "shared_sessions",
]


ClientFactory = Callable[..., Any]  # (region) or (region, session)


DEFAULT_MAX_ATTEMPTS = 10


def _bounded_connect(
    attempts: int = 1, caught_exception: Exception | None = None, **_: Any
) -> bool | None:
    """``needs-retry``: False (no retry) once an unreachable endpoint had its attempts."""
    if isinstance(caught_exception, _UNREACHABLE) and attempts >= CONNECT_ATTEMPTS:
        return False
    return None  # botocore's standard retry mode decides


def make_client(
    service: str,
    region: str | None = None,
    *,
    max_attempts: int | None = None,
    session: boto3.session.Session | None = None,
) -> Any:
    """The one way the product builds a boto3 client (Connect, CloudTrail, Service Quotas,
    S3, STS), with the default credentials or those of ``session`` (``sessions``).

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
        client = (session or boto3.session.Session()).client(
            service, region_name=region, config=config
        )
    except Exception as exc:  # profile/credential/endpoint problems surface here
        raise map_error(exc, "CreateClient", service=service) from exc
    # First in line for this service: its False ends the retries before botocore's
    # standard handler schedules another attempt.
    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"needs-retry.{service_id}", _bounded_connect)
    return client


_SESSIONS_LOCK = threading.Lock()


def shared_sessions() -> Sessions:
    """The run's sessions per credentials: a role is assumed once per run, whichever
    of Connect, CloudTrail or Service Quotas needs it first (``forget_sessions``
    starts a new run)."""
    with _SESSIONS_LOCK:
        found = SHARED.get("sessions")
        if not isinstance(found, Sessions):
            found = SHARED["sessions"] = Sessions(make_client)
        return found


def account_client(
    service: str, region: str, access: TargetAccess | None = None, *, target: str = ""
) -> Any:
    """A client of ``service`` with the credentials of a target's account: its role or
    profile (``access``), else the default ones. ``target`` names it in an error."""
    if access is None or access.is_default:
        return make_client(service, region)
    session = shared_sessions().session(access, target=target, region=region)
    return make_client(service, region, session=session)


def client_factory(*, max_attempts: int | None = None) -> ClientFactory:
    """Build Connect clients per region (``make_client``), and per credentials: called
    as ``make(region, session)`` for a target with its own role or profile.

    ``max_attempts`` (total attempts) defaults to the standard AWS setting
    (``AWS_MAX_ATTEMPTS``) or else 10, not botocore's 3: the phone-number APIs
    allow 2 requests/s per account, shared with every other client, so a
    burst of throttling is normal and each retry is paced (see ``Pacer``).
    """
    if max_attempts is None and not os.environ.get("AWS_MAX_ATTEMPTS"):
        max_attempts = DEFAULT_MAX_ATTEMPTS

    def make(region: str, session: boto3.session.Session | None = None) -> Any:
        return make_client("connect", region, max_attempts=max_attempts, session=session)

    return make
