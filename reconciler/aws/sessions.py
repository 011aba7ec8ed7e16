"""Credentials per target account: a boto3 session for each ``TargetAccess``.

``targets[].profile``: ``boto3.Session(profile_name=...)`` (the AWS config files,
``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE``). ``targets[].role_arn``:
STS AssumeRole from the default credentials (or, with ``profile``, from that
profile's), with ``RoleSessionName`` naming the tool (``session_name``) and
``ExternalId`` when the file gives one. The role is assumed once, when the
account's first client is built, so a role that cannot be assumed fails before
any Connect call with one error naming the target and the role; the session
then holds botocore ``RefreshableCredentials`` whose refresh assumes the role
again before the credentials expire (botocore refreshes them 15 minutes ahead,
"advisory", and at the latest 10 minutes ahead, "mandatory"), so an apply that
outlasts the role's session (1 hour by default) keeps going.

The STS client is built like every other client (``make_client`` with the
source session): ``AWS_ENDPOINT_URL_STS`` reaches the emulator's STS.
"""

from __future__ import annotations

import getpass
import os
import re
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.credentials
import botocore.exceptions
import botocore.session

from reconciler.core.errors import AccessDeniedError, AwsError, CredentialsError, TransientAwsError
from reconciler.core.model import TargetAccess

__all__ = ["MAX_SESSION_NAME", "Sessions", "session_name"]

# RoleSessionName: 2-64 characters of [\w+=,.@-] (STS API reference, AssumeRole).
MAX_SESSION_NAME = 64
_SESSION_NAME_REFUSED = re.compile(r"[^\w+=,.@-]", re.ASCII)
_PREFIX = "connect-numbers-"


def session_name(user: str | None = None, pid: int | None = None) -> str:
    """``connect-numbers-<user>`` (or ``-<pid>`` when the user is unknown): what the
    role's CloudTrail shows as the session of these calls; within STS's rules."""
    if user is None:
        try:
            user = getpass.getuser()
        except (OSError, KeyError):  # no user name in a bare container
            user = None
    who = _SESSION_NAME_REFUSED.sub("-", user or "") or str(pid if pid is not None else os.getpid())
    return (_PREFIX + who)[:MAX_SESSION_NAME]


MakeClient = Callable[..., Any]


class Sessions:
    """One boto3 session per distinct ``TargetAccess``, built once (thread-safe).

    ``make_client(service, region, session=...)`` builds the STS client (the
    product's one client builder, passed in to keep this module free of it).
    """

    def __init__(self, make_client: MakeClient, *, name: str | None = None) -> None:
        self._make_client = make_client
        self._name = name or session_name()
        self._sessions: dict[TargetAccess, boto3.session.Session] = {}
        self._lock = threading.Lock()

    def session(self, access: TargetAccess, *, target: str, region: str) -> boto3.session.Session:
        """The session of ``access``; ``target`` and ``region`` name the first target
        that needs it (for the error, and the STS region)."""
        with self._lock:
            found = self._sessions.get(access)
            if found is None:
                found = self._sessions[access] = self._build(access, target, region)
            return found

    def _build(self, access: TargetAccess, target: str, region: str) -> boto3.session.Session:
        try:
            source = boto3.session.Session(profile_name=access.profile)
        except botocore.exceptions.ProfileNotFound as exc:
            raise CredentialsError(
                f"target {target}: AWS profile {access.profile!r} not found ({exc}); add it to "
                "the AWS config file (~/.aws/config or AWS_CONFIG_FILE) or fix targets[].profile",
                code="ProfileNotFound",
            ) from exc
        if access.role_arn is None:
            return source
        role_arn = access.role_arn
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": self._name}
        if access.external_id is not None:
            params["ExternalId"] = access.external_id
        sts = self._make_client("sts", region, session=source)

        def fetch() -> dict[str, str]:
            answer = sts.assume_role(**params)["Credentials"]
            return {
                "access_key": answer["AccessKeyId"],
                "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"],
                "expiry_time": answer["Expiration"].isoformat(),
            }

        try:
            first = fetch()
        except Exception as exc:
            raise _not_assumed(exc, target, access) from exc
        credentials = botocore.credentials.RefreshableCredentials.create_from_metadata(
            metadata=first, refresh_using=fetch, method="assume-role"
        )
        core = botocore.session.Session()
        # botocore has no public setter for a session's credentials: this is the
        # attribute its own credential resolver fills (see the module docstring).
        core._credentials = credentials
        return boto3.session.Session(botocore_session=core, region_name=region)


def _not_assumed(exc: Exception, target: str, access: TargetAccess) -> AwsError:
    """One error for a role that cannot be assumed: the target, the role, what to check."""
    from reconciler.aws.errors import map_error

    mapped = map_error(exc, "AssumeRole", service="sts")
    what = (
        "the role's trust policy lets this identity call sts:AssumeRole "
        "(examples/iam-policy.json, TargetRoleTrustPolicy)"
    )
    if access.external_id is not None:
        what += ", and its sts:ExternalId condition matches targets[].external_id"
    else:
        what += "; if the trust policy requires an external id, set targets[].external_id"
    reason = str(mapped).split(": ", 1)[-1]
    if isinstance(mapped, TransientAwsError):  # STS unreachable or throttled: no policy advice
        return TransientAwsError(
            f"target {target}: cannot assume {access.describe()}: {reason}",
            operation="AssumeRole",
            code=mapped.code,
        )
    cls = (
        AccessDeniedError
        if isinstance(mapped, AccessDeniedError) or "Denied" in (mapped.code or "")
        else type(mapped)
    )
    return cls(
        f"target {target}: cannot assume {access.describe()}: {reason}. Check that {what}",
        operation="AssumeRole",
        code=mapped.code,
    )
