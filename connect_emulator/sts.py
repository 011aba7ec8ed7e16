"""STS AssumeRole, and which credentials signed each call.

STS speaks the AWS query protocol: ``POST /`` with a form body
(``Action=AssumeRole&Version=2011-06-15&RoleArn=...&RoleSessionName=...``) and an
XML answer (``AssumeRoleResponse``/``AssumeRoleResult``; errors are an
``ErrorResponse`` with ``Type``, ``Code`` and ``Message``), as botocore's STS
model says. A client reaches it with ``AWS_ENDPOINT_URL_STS``.

Which roles are assumable (a simple rule, stated in the seed's ``roles``): any
role of the emulator's account; a role listed in ``roles`` with an
``external_id`` only when that ExternalId is sent; a listed role with
``refuse: true`` never; a role of another account only when listed. A refusal
is ``AccessDenied`` (403), worded as AWS words it.

Each issued access key id encodes the role's account (``ASIA`` + the 12 digits
+ 4 characters; AWS's own keys encode the account too), and the emulator keeps
each key's role: ``CallLog`` records, for every Connect, CloudTrail and Service
Quotas call, the SigV4 access key that signed it and the account and role it
maps to (``GET /_emulator/calls``).
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from .seed import RoleSeed

__all__ = ["CallLog", "IssuedKey", "StsService", "is_sts_request"]

_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
_ROLE_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]{1,64})$",
    re.ASCII,
)
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$", re.ASCII)
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII)
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
DEFAULT_DURATION = 3600  # AssumeRole's DurationSeconds default
_MAX_LOGGED = 10_000


def is_sts_request(method: str, raw_path: str, content_type: str, body: bytes) -> bool:
    """A query-protocol call (form body with an Action): STS's way, not Connect's."""
    return (
        method == "POST"
        and raw_path == "/"
        and content_type.startswith("application/x-www-form-urlencoded")
        and b"Action=" in body
    )


@dataclass(frozen=True, kw_only=True)
class IssuedKey:
    access_key_id: str
    account: str
    role_arn: str
    session_name: str
    expiration: datetime


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class StsService:
    """AssumeRole for the roles of ``account_id`` and those listed in ``roles``."""

    def __init__(self, account_id: str, roles: Sequence[RoleSeed] = ()) -> None:
        self.account_id = account_id
        self.roles = {role.arn: role for role in roles}
        self._issued: dict[str, IssuedKey] = {}
        self._lock = threading.Lock()

    def key(self, access_key_id: str | None) -> IssuedKey | None:
        with self._lock:
            return self._issued.get(access_key_id or "")

    def handle(self, body: bytes, now: datetime, caller_key: str | None) -> tuple[int, str]:
        """(HTTP status, XML body) of one query-protocol request."""
        request_id = str(uuid.uuid4())
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        try:
            if params.get("Action") != "AssumeRole":
                raise _Refused(
                    400,
                    "InvalidAction",
                    f"Could not find operation {params.get('Action')} for version "
                    f"{params.get('Version')} (the emulator's STS serves AssumeRole)",
                )
            issued = self._assume(params, now, caller_key)
        except _Refused as refused:
            kind = "Sender" if refused.status < 500 else "Receiver"
            return refused.status, (
                f'<ErrorResponse xmlns="{_NS}"><Error><Type>{kind}</Type>'
                f"<Code>{escape(refused.code)}</Code><Message>{escape(refused.message)}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        secret = secrets.token_urlsafe(30)[:40]
        token = secrets.token_urlsafe(96)
        match = _ROLE_ARN.match(issued.role_arn)
        assert match is not None
        role_id = "AROA" + issued.account + secrets.token_hex(3).upper()[:5]
        name = match.group("name")
        user_arn = f"arn:aws:sts::{issued.account}:assumed-role/{name}/{issued.session_name}"
        expiration = issued.expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, (
            f'<AssumeRoleResponse xmlns="{_NS}"><AssumeRoleResult>'
            f"<Credentials><AccessKeyId>{issued.access_key_id}</AccessKeyId>"
            f"<SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken>"
            f"<Expiration>{expiration}</Expiration></Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>{role_id}:{escape(issued.session_name)}"
            f"</AssumedRoleId><Arn>{escape(user_arn)}</Arn></AssumedRoleUser>"
            f"</AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId>"
            f"</ResponseMetadata></AssumeRoleResponse>"
        )

    def _assume(self, params: Mapping[str, str], now: datetime, caller: str | None) -> IssuedKey:
        role_arn = params.get("RoleArn", "")
        session_name = params.get("RoleSessionName", "")
        external_id = params.get("ExternalId")
        for name, value, pattern in (
            ("roleArn", role_arn, re.compile(r"^[\x20-\x7e]{20,2048}$")),
            ("roleSessionName", session_name, _SESSION_NAME),
        ):
            if not pattern.match(value):
                raise _Refused(
                    400,
                    "ValidationError",
                    f"1 validation error detected: Value '{value}' at '{name}' failed to "
                    "satisfy constraint",
                )
        if external_id is not None and not _EXTERNAL_ID.match(external_id):
            raise _Refused(
                400,
                "ValidationError",
                "1 validation error detected: Value at 'externalId' failed to satisfy constraint",
            )
        duration = int(params.get("DurationSeconds", DEFAULT_DURATION) or DEFAULT_DURATION)
        match = _ROLE_ARN.match(role_arn)
        listed = self.roles.get(role_arn)
        denied = (
            match is None
            or (listed is None and match.group("account") != self.account_id)
            or (listed is not None and listed.refuse)
            or (
                listed is not None
                and listed.external_id is not None
                and listed.external_id != external_id
            )
        )
        if denied:
            who = f"arn:aws:iam::{self.account_id}:user/emulator-user"
            raise _Refused(
                403,
                "AccessDenied",
                f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            )
        assert match is not None
        account = match.group("account")
        key = "ASIA" + account + secrets.token_hex(2).upper()
        issued = IssuedKey(
            access_key_id=key,
            account=account,
            role_arn=role_arn,
            session_name=session_name,
            expiration=now + timedelta(seconds=duration),
        )
        with self._lock:
            self._issued[key] = issued
        return issued


class CallLog:
    """Each call's operation and the access key that signed it (SigV4); STS calls
    and admin requests are not recorded."""

    def __init__(self, sts: StsService) -> None:
        self._sts = sts
        self._calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @staticmethod
    def access_key(authorization: str) -> str | None:
        found = _CREDENTIAL.search(authorization)
        return found.group(1) if found else None

    def record(self, operation: str, authorization: str) -> None:
        key = self.access_key(authorization)
        issued = self._sts.key(key)
        entry = {
            "operation": operation,
            "access_key_id": key,
            # The account and role of a key this emulator's STS issued; None for
            # any other key (the default credentials).
            "account": issued.account if issued else None,
            "role_arn": issued.role_arn if issued else None,
            "session_name": issued.session_name if issued else None,
        }
        with self._lock:
            self._calls.append(entry)
            del self._calls[:-_MAX_LOGGED]

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
