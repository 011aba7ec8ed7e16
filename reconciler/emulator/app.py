"""The WSGI application: HTTP in, one Connect operation, HTTP out.

Order of work per request, as AWS's front door does it: route the request to
an operation (``UnknownOperationException`` if none), count it, take a token
from the operation's bucket (``ThrottlingException`` 429 if empty), apply an
injected fault if one fires (``faults``), decode the body, run the handler,
apply an after-effect fault if one fires, and encode the output or the
``ApiError``.

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
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qs, quote, urlsplit

from werkzeug.wrappers import Request, Response

from .admin import Control, is_admin_path
from .errors import ApiError
from .faults import FaultInjector, FaultKind, FaultRule
from .operations import HANDLERS, ApiRequest, match_route
from .ratelimit import RateLimiter
from .state import ConnectState
from .stats import CallStats

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["CallStats", "EmulatorApp"]  # CallStats lives in .stats; re-exported

_JSON = "application/json"

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


def _json_response(status: int, payload: Mapping[str, Any], headers: dict[str, str]) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        headers=headers,
        content_type=_JSON,
    )


def _error_response(error: ApiError, request_id: str) -> Response:
    return _json_response(
        error.status,
        error.body(),
        {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": error.code},
    )


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
        self.control = Control(state, self.faults, self.stats)
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
        operation = route.operation
        self.stats.call(operation)
        if not self.limiter.try_acquire(operation):
            self.stats.throttled(operation)
            return _error_response(ApiError("ThrottlingException", "Rate exceeded"), request_id)
        fault = self.faults.draw(operation, after_effect=False)
        if fault is not None:
            refusal = self._inject(fault, operation, request_id)
            if refusal is not None:
                return refusal
        try:
            api_request = ApiRequest(
                operation=operation,
                path=labels,
                query=parse_qs(request.query_string.decode("latin-1"), keep_blank_values=True),
                body=self._body(request),
            )
            output = HANDLERS[operation](self.state, api_request)
        except ApiError as error:
            self.stats.error(operation)
            return _error_response(error, request_id)
        except Exception:  # a bug in the emulator: answer like AWS, keep the trace
            self.stats.error(operation)
            traceback.print_exc(file=self._error_log or sys.stderr)
            return _error_response(
                ApiError("InternalServiceException", f"{operation} failed inside the emulator."),
                request_id,
            )
        fault = self.faults.draw(operation, after_effect=True)
        if fault is not None:
            refusal = self._inject(fault, operation, request_id)
            if refusal is not None:
                return refusal
        return _json_response(200, output, {"x-amzn-RequestId": request_id})

    def _inject(self, fault: FaultRule, operation: str, request_id: str) -> Response | None:
        """Apply a fault: an error response, a delay (``None``: carry on), or a drop."""
        self.stats.fault(operation)
        if fault.kind is FaultKind.THROTTLE:
            self.stats.throttled(operation)
            return _error_response(ApiError("ThrottlingException", "Rate exceeded"), request_id)
        if fault.kind is FaultKind.ERROR:
            self.stats.error(operation)
            code = fault.error_code
            message = (
                _INTERNAL_MESSAGE
                if code == "InternalServiceException"
                else f"{operation} failed. (fault injected by the emulator)"
            )
            return _error_response(ApiError(code, message), request_id)
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
