"""The WSGI application: HTTP in, one operation, HTTP out.

Order of work per request, as AWS's front door does it: route the request to
an operation (``UnknownOperationException`` if none), count it, take a token
from the operation's bucket (``ThrottlingException``, or the service's
throttling error, if empty), apply an injected fault if one fires
(``faults``), decode the body, refuse a denied IAM action (``iam``), run the
handler, log the call for CloudTrail if it is a claim or release that changed
nothing, apply an after-effect fault if one fires, and encode the output or
the ``ApiError`` in the service's protocol.

Routing (``services``): ``POST /`` with an ``X-Amz-Target`` header is a JSON
1.1 call of CloudTrail or Service Quotas (``JSON_TARGETS``); anything else is
a Connect REST-JSON call (``operations.ROUTES``).

CloudTrail logging: a claim or release that happened carries its caller in its
``HistoryEvent`` (the handler records it); one that changed nothing, refused
with an error or answered from an earlier call's client token, is kept here
as a ``TrailCall``. Calls refused before they reach the service (throttled, an
injected fault, a body that is not JSON) are not logged.

Requests under ``/_emulator/`` go to the admin surface (``admin``) instead,
before any of this: they are not Connect calls.

A dropped connection cannot be expressed as a WSGI response: the app closes
the client's socket (werkzeug passes it as ``werkzeug.socket``) and raises
``ConnectionAbortedError``, which werkzeug's handler treats as a connection
the client dropped: it writes nothing more.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qs, quote, urlsplit

from werkzeug.wrappers import Request, Response

from . import cloudtrail, servicequotas
from .admin import Control, is_admin_path
from .constants import LOGGED_OPERATIONS
from .errors import ERROR_STATUS, ApiError
from .faults import FaultInjector, FaultKind, FaultRule
from .iam import AccessPolicy, denial_message
from .operations import HANDLERS, ApiRequest, Handler, match_route
from .ratelimit import RateLimiter
from .services import (
    CLOUDTRAIL,
    CONNECT,
    JSON_TARGETS,
    SERVICE_QUOTAS,
    SERVICES,
    Protocol,
    Service,
    iam_action,
)
from .state import ConnectState
from .stats import CallStats
from .sts import CallLog, StsService, is_sts_request
from .trail import TrailInfo

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["CallStats", "EmulatorApp"]  # CallStats lives in .stats; re-exported

_JSON = "application/json"

#: The handler tables by service name. Connect's is ``operations.HANDLERS``
#: itself (not a copy), so a test that patches an entry patches the app.
_HANDLERS: Mapping[str, Mapping[str, Handler]] = {
    CONNECT.name: HANDLERS,
    CLOUDTRAIL.name: cloudtrail.HANDLERS,
    SERVICE_QUOTAS.name: servicequotas.HANDLERS,
}

#: The access key of a SigV4 ``Authorization`` header:
#: ``AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...``.
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")

_JSON_PREFIXES = {
    service.target_prefix: service for service in SERVICES if service.target_prefix is not None
}

_INTERNAL_MESSAGE = (
    "Request processing failed because of an error or failure with the service. "
    "(fault injected by the emulator)"
)


class _DropConnection(Exception):
    """Raised by ``handle`` to make ``__call__`` close the socket unanswered."""


def _raw_path(environ: Mapping[str, Any]) -> str:
    """The request path still percent-encoded, as the client sent it."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        # werkzeug passes the request target through the WSGI latin-1 "dance";
        # an absolute-form target (via a proxy) still carries scheme and host.
        return urlsplit(raw).path or "/"
    return quote(str(environ.get("PATH_INFO", "/")))


def _json_response(
    status: int,
    payload: Mapping[str, Any],
    headers: dict[str, str],
    content_type: str = _JSON,
) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        headers=headers,
        content_type=content_type,
    )


def _error_response(error: ApiError, request_id: str, service: Service = CONNECT) -> Response:
    if service.protocol is Protocol.REST_JSON:
        return _json_response(
            error.status,
            error.body(),
            {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": error.code},
        )
    body = {"__type": error.code, service.message_key: error.message, **error.fields}
    return _json_response(
        error.status, body, {"x-amzn-RequestId": request_id}, service.content_type
    )


def _caller(request: Request, request_id: str) -> TrailInfo:
    """What CloudTrail records of who made a call."""
    found = _CREDENTIAL.search(request.headers.get("Authorization", ""))
    return TrailInfo(
        request_id=request_id,
        access_key_id=found.group(1) if found else None,
        user_agent=request.headers.get("User-Agent"),
        source_ip=request.remote_addr,
    )


def _unknown_target(target: str) -> tuple[Service | None, ApiError]:
    prefix, _, operation = target.rpartition(".")
    service = _JSON_PREFIXES.get(prefix)
    served = f"{service.name} operation {operation!r}" if service else f"target {target!r}"
    message = f"No {served} is served by the emulator."
    return service, ApiError("UnknownOperationException", message, status=400)


class EmulatorApp:
    """A WSGI callable serving one ``ConnectState``."""

    def __init__(
        self,
        state: ConnectState,
        limiter: RateLimiter,
        *,
        stats: CallStats | None = None,
        faults: FaultInjector | None = None,
        error_log: TextIO | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state
        self.limiter = limiter
        self.stats = stats or CallStats()
        self.faults = faults or FaultInjector()
        self.access = AccessPolicy(state.seed.denied_actions)
        self.sts = StsService(state.account_id, state.seed.roles)
        self.calls = CallLog(self.sts)
        self.control = Control(state, self.faults, self.stats, self.access, calls=self.calls)
        self._error_log = error_log
        self._sleep = sleep

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.handle(Request(environ))
        except _DropConnection:
            connection = environ.get("werkzeug.socket")
            if isinstance(connection, socket.socket):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("connection dropped by an injected fault") from None
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        raw_path = _raw_path(request.environ)
        if is_admin_path(raw_path):
            return self.control.handle(request, raw_path)
        if request.method == "POST" and (request.content_type or "").startswith(
            "application/x-www-form-urlencoded"
        ):
            data = request.get_data()
            if is_sts_request(request.method, raw_path, request.content_type or "", data):
                key = CallLog.access_key(request.headers.get("Authorization", ""))
                status, xml = self.sts.handle(data, self.state.now(), key)
                return Response(
                    xml,
                    status=status,
                    headers={"x-amzn-RequestId": request_id},
                    content_type="text/xml",
                )
        target = request.headers.get("X-Amz-Target")
        labels: dict[str, str] = {}
        if target is not None and request.method == "POST" and raw_path == "/":
            found_target = JSON_TARGETS.get(target)
            if found_target is None:
                self.stats.unknown()
                service_or_none, error = _unknown_target(target)
                return self._json11_front_door(error, request_id, service_or_none)
            service, operation = found_target
        else:
            found = match_route(request.method, raw_path)
            if found is None:
                self.stats.unknown()
                return _error_response(
                    ApiError(
                        "UnknownOperationException",
                        f"No Connect operation is served at {request.method} {raw_path}.",
                    ),
                    request_id,
                )
            route, labels = found
            service, operation = CONNECT, route.operation
        self.calls.record(operation, request.headers.get("Authorization", ""))
        self.stats.call(operation)
        if not self.limiter.try_acquire(operation):
            self.stats.throttled(operation)
            return _error_response(self._throttled(service), request_id, service)
        fault = self.faults.draw(operation, after_effect=False)
        if fault is not None:
            refusal = self._inject(fault, service, operation, request_id)
            if refusal is not None:
                return refusal
        api_request: ApiRequest | None = None
        try:
            api_request = ApiRequest(
                operation=operation,
                path=labels,
                query=parse_qs(request.query_string.decode("latin-1"), keep_blank_values=True),
                body=self._body(request),
                caller=self._named(_caller(request, request_id)),
            )
            if not self.access.allows(operation):
                raise self._denied(service, operation, api_request.caller)
            output = _HANDLERS[service.name][operation](self.state, api_request)
        except ApiError as error:
            self.stats.error(operation)
            if api_request is not None and operation in LOGGED_OPERATIONS:
                self._log_call(api_request, error=error)
            return _error_response(error, request_id, service)
        except Exception:  # a bug in the emulator: answer like AWS, keep the trace
            self.stats.error(operation)
            traceback.print_exc(file=self._error_log or sys.stderr)
            return _error_response(
                ApiError(
                    service.internal_code,
                    f"{operation} failed inside the emulator.",
                    status=service.errors[service.internal_code],
                ),
                request_id,
                service,
            )
        if operation in LOGGED_OPERATIONS and self.state.event_for_request(request_id) is None:
            # Success without an effect: a replay of an earlier call's client token.
            assert api_request is not None
            self._log_call(api_request, output=output)
        fault = self.faults.draw(operation, after_effect=True)
        if fault is not None:
            refusal = self._inject(fault, service, operation, request_id)
            if refusal is not None:
                return refusal
        return _json_response(200, output, {"x-amzn-RequestId": request_id}, service.content_type)

    def _json11_front_door(
        self, error: ApiError, request_id: str, service: Service | None
    ) -> Response:
        """An error of the JSON 1.1 front door, for a target no operation serves
        (a target of no known service is answered in CloudTrail's manner)."""
        return _error_response(error, request_id, service or CLOUDTRAIL)

    def _named(self, caller: TrailInfo) -> TrailInfo:
        """``caller`` with its user name (the seed's ``cloudtrail.users``)."""
        return replace(caller, username=self.state.cloudtrail.username_for(caller.access_key_id))

    def _denied(self, service: Service, operation: str, caller: TrailInfo) -> ApiError:
        action = iam_action(operation)
        message = denial_message(
            self.state.account_id, caller.username or self.state.cloudtrail.username, action
        )
        if service.protocol is Protocol.REST_JSON:
            return ApiError("AccessDeniedException", message)
        return service.error("AccessDeniedException", message)

    @staticmethod
    def _throttled(service: Service) -> ApiError:
        code = service.throttling_code
        return ApiError(code, "Rate exceeded", status=service.errors[code])

    def _log_call(
        self,
        request: ApiRequest,
        *,
        output: Mapping[str, Any] | None = None,
        error: ApiError | None = None,
    ) -> None:
        self.state.record_call(
            cloudtrail.call_record(request, self.state.now(), output=output, error=error)
        )

    def _inject(
        self, fault: FaultRule, service: Service, operation: str, request_id: str
    ) -> Response | None:
        """Apply a fault: an error response, a delay (``None``: carry on), or a drop."""
        self.stats.fault(operation)
        if fault.kind is FaultKind.THROTTLE:
            self.stats.throttled(operation)
            return _error_response(self._throttled(service), request_id, service)
        if fault.kind is FaultKind.ERROR:
            self.stats.error(operation)
            code = fault.code or service.internal_code
            message = (
                _INTERNAL_MESSAGE
                if code == service.internal_code
                else f"{operation} failed. (fault injected by the emulator)"
            )
            status = service.errors.get(code) or ERROR_STATUS.get(code, 500)
            return _error_response(ApiError(code, message, status=status), request_id, service)
        if fault.kind is FaultKind.DELAY:
            assert fault.delay is not None
            self._sleep(fault.delay)
            return None
        raise _DropConnection()

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        data = request.get_data(cache=False)
        if not data.strip():
            return {}
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(
                "SerializationException", "The request body is not valid JSON."
            ) from None
        if not isinstance(body, dict):
            raise ApiError("SerializationException", "The request body must be a JSON object.")
        return body
