"""The WSGI application: HTTP in, one Connect operation, HTTP out.

Order of work per request, as AWS's front door does it: route the request to
an operation (``UnknownOperationException`` if none), count it, take a token
from the operation's bucket (``ThrottlingException`` 429 if empty), decode the
body, run the handler, and encode its output or its ``ApiError``.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qs, quote, urlsplit

from werkzeug.wrappers import Request, Response

from .errors import ApiError
from .operations import HANDLERS, ApiRequest, match_route
from .ratelimit import RateLimiter
from .state import ConnectState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["CallStats", "EmulatorApp"]

_JSON = "application/json"


class CallStats:
    """Per-operation counts of the calls a client made, for benchmarks and tests.

    ``calls`` counts every request routed to an operation, throttled or not;
    ``throttled`` the ones refused with 429; ``errors`` the ones answered with
    any other error. ``unknown`` counts requests no operation serves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._unknown = 0

    def call(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def throttled(self, operation: str) -> None:
        with self._lock:
            self._throttled[operation] += 1

    def error(self, operation: str) -> None:
        with self._lock:
            self._errors[operation] += 1

    def unknown(self) -> None:
        with self._lock:
            self._unknown += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "throttled": dict(self._throttled),
                "errors": dict(self._errors),
                "unknown": self._unknown,
                "total_calls": sum(self._calls.values()),
            }

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._throttled.clear()
            self._errors.clear()
            self._unknown = 0


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
        error_log: TextIO | None = None,
    ) -> None:
        self.state = state
        self.limiter = limiter
        self.stats = stats or CallStats()
        self._error_log = error_log

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self.handle(Request(environ))
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        raw_path = _raw_path(request.environ)
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
        return _json_response(200, output, {"x-amzn-RequestId": request_id})

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
