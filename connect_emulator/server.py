"""Serving the emulator on 127.0.0.1: ``EmulatorServer`` and ``serve``.

One URL answers Connect, CloudTrail and Service Quotas (``services``): point
``AWS_ENDPOINT_URL_CONNECT``, ``AWS_ENDPOINT_URL_CLOUDTRAIL`` and
``AWS_ENDPOINT_URL_SERVICE_QUOTAS`` (or ``AWS_ENDPOINT_URL``) at it.

The server is werkzeug's threaded WSGI server on a socket the emulator binds
itself, on the loopback interface only: the emulator accepts any signature,
so it must never be reachable from another machine.

``EmulatorServer`` also carries the Python side of the admin surface (the
same operations as ``/_emulator/...``, see ``admin``): ``state_summary``,
``history``, ``set_faults``/``add_fault``/``clear_faults``/``faults``,
``now``/``advance_clock``/``set_clock``, ``stats``/``reset_stats``,
``cloudtrail``/``set_cloudtrail_logged``, ``denied_actions``/``set_denied_actions``.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import FrameType, TracebackType
from typing import Any, TextIO

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import EmulatorApp
from .clock import WallClock, WallTimeSource
from .constants import RATE_LIMITED_OPERATIONS
from .faults import FaultInjector, FaultKind, FaultRule
from .persist import StateFileError, StatePath, read_state, write_state
from .ratelimit import DEFAULT_BURST, DEFAULT_RATE, Clock, RateLimit, RateLimiter
from .seed import Seed, SeedSource, load_seed
from .state import ConnectState

__all__ = ["EmulatorServer", "ServeError", "serve"]

HOST = "127.0.0.1"


class ServeError(OSError):
    """The emulator cannot listen where it was asked to (the port is taken, or invalid)."""


_DEFAULT_KEY = "default"


class _Connections:
    """Client connections still open, so ``stop()`` can end them.

    werkzeug closes each connection after one response, but its handler
    threads are daemons that finish a request in flight after the listening
    socket is closed; shutting their sockets down makes a stopped server
    answer nothing, which a test of a client's failure handling relies on.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.add(connection)

    def discard(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def close_all(self) -> None:
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _handler_class(connections: _Connections, log: TextIO | None) -> type[WSGIRequestHandler]:
    class Handler(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            connections.add(self.connection)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                connections.discard(self.connection)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if log is not None:
                print(f"{self.command} {self.path} {code}", file=log, flush=True)

        def log(self, type: str, message: str, *args: Any) -> None:
            if log is not None:
                print(f"{type}: {message % args if args else message}", file=log, flush=True)

    return Handler


def _fault_rule(rule: FaultRule | Mapping[str, Any]) -> FaultRule:
    return rule if isinstance(rule, FaultRule) else FaultRule.from_json(rule)


def _rate_limits(
    *,
    rate: float | None,
    burst: int,
    seed: Seed,
    overrides: Mapping[str, RateLimit | None] | None,
) -> tuple[RateLimit | None, dict[str, RateLimit | None]]:
    """The default limit and per-operation limits, most specific source last.

    Precedence: the constructor's ``rate``/``burst`` set the default; the seed's
    ``rate_limits`` override it and name per-operation limits; the
    constructor's ``rate_limits`` override both, key by key.
    """
    merged: dict[str, RateLimit | None] = {_DEFAULT_KEY: RateLimit.of(rate, burst)}
    merged.update(seed.rate_limits)
    for key, limit in (overrides or {}).items():
        if key != _DEFAULT_KEY and key not in RATE_LIMITED_OPERATIONS:
            raise ValueError(
                f"rate_limits: unknown operation {key!r}; expected 'default' or one of "
                f"{', '.join(RATE_LIMITED_OPERATIONS)}"
            )
        if limit is not None and not isinstance(limit, RateLimit):
            raise TypeError(f"rate_limits[{key!r}] must be a RateLimit or None, not {limit!r}")
        merged[key] = limit
    default = merged.pop(_DEFAULT_KEY)
    return default, merged


class EmulatorServer:
    """A Connect API emulator on ``http://127.0.0.1:<port>``.

    ``seed`` is a seed file path, a dict, or ``None`` (an empty account).
    ``rate``/``burst`` set the default token bucket of every operation
    (``rate=None`` or 0: unlimited); ``rate_limits`` overrides per operation
    (see ``_rate_limits`` for precedence with the seed's ``rate_limits``).
    ``clock`` drives the buckets, so tests can step time. ``request_log``
    receives one line per request (``None``: silent).

    ``now`` is the wall clock (a callable returning an aware UTC datetime;
    default: the system clock) that cooldowns and the quota window are
    measured on; ``advance_clock``/``set_clock`` offset it.

    ``faults`` (``FaultRule`` objects or their dict form) are added after the
    seed's ``faults``; ``fault_seed`` overrides the seed's RNG seed.

    ``state_file``: if the file exists, the account comes from it and ``seed``
    is not read; otherwise from ``seed``. Either way the file is written at
    once and then atomically after every change, so numbers, cooldowns,
    history and idempotency tokens survive a restart (see ``persist``).

    Use as a context manager, or ``start()``/``stop()``.
    """

    def __init__(
        self,
        seed: SeedSource = None,
        *,
        port: int = 0,
        rate: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        rate_limits: Mapping[str, RateLimit | None] | None = None,
        clock: Clock = time.monotonic,
        request_log: TextIO | None = None,
        error_log: TextIO | None = None,
        now: WallTimeSource | None = None,
        faults: Iterable[FaultRule | Mapping[str, Any]] | None = None,
        fault_seed: int | None = None,
        state_file: StatePath | None = None,
    ) -> None:
        restored = read_state(state_file) if state_file is not None else None
        #: True when the account was restored from ``state_file``.
        self.restored = restored is not None
        self.seed = restored if restored is not None else load_seed(seed)
        self.state_file = state_file
        self.state = ConnectState(
            self.seed,
            clock=WallClock(now),
            on_change=None if state_file is None else self._write_state,
        )
        rules = [*self.seed.faults, *(_fault_rule(rule) for rule in faults or ())]
        injector = FaultInjector(
            rules, seed=self.seed.fault_seed if fault_seed is None else fault_seed
        )
        default, limits = _rate_limits(
            rate=rate, burst=burst, seed=self.seed, overrides=rate_limits
        )
        self.limiter = RateLimiter(default=default, limits=limits, clock=clock)
        self.app = EmulatorApp(self.state, self.limiter, faults=injector, error_log=error_log)
        if state_file is not None:
            try:
                self._write_state(self.state)
            except OSError as exc:
                raise StateFileError(
                    f"cannot write the emulator state file {state_file}: {exc.strerror or exc}; "
                    "check that its folder exists and is writable"
                ) from exc
        self._port = port
        self._request_log = request_log
        self._connections = _Connections()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint URL for ``endpoint_url`` / ``AWS_ENDPOINT_URL_CONNECT`` (and
        ``AWS_ENDPOINT_URL_CLOUDTRAIL``, ``AWS_ENDPOINT_URL_SERVICE_QUOTAS``)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return f"http://{HOST}:{self._server.port}"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.port

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> EmulatorServer:
        """Bind and serve in a background thread; returns ``self``."""
        if self._server is not None:
            raise RuntimeError(f"the emulator is already running at {self.url}")
        # Bind ourselves: werkzeug's make_server answers a bind failure with
        # sys.exit(1), which a library must not do to its caller.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind((HOST, self._port))
                listener.listen(128)
            except (OSError, OverflowError) as exc:
                reason = (
                    "the port is already in use (another emulator, or another program)"
                    if getattr(exc, "errno", None) == errno.EADDRINUSE
                    else (getattr(exc, "strerror", None) or str(exc)).rstrip(".")
                )
                raise ServeError(f"cannot listen on {HOST}:{self._port}: {reason}") from exc
            server = make_server(
                HOST,
                self._port,
                self.app,
                threaded=True,
                request_handler=_handler_class(self._connections, self._request_log),
                fd=listener.fileno(),
            )
        finally:
            # make_server duplicated the descriptor; ours is no longer needed.
            listener.close()
        thread = threading.Thread(
            target=server.serve_forever,
            # shutdown() waits up to one poll interval: tests stop hundreds of
            # servers, so poll often (an idle wake-up costs microseconds).
            kwargs={"poll_interval": 0.02},
            name=f"connect-emulator:{server.port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection. Idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        thread.join()
        server.server_close()
        self._connections.close_all()
        self._server = self._thread = None

    def __enter__(self) -> EmulatorServer:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _write_state(self, state: ConnectState) -> None:
        assert self.state_file is not None
        write_state(self.state_file, state.to_document())

    def stats(self) -> dict[str, Any]:
        """Call counts per operation: ``calls``, ``throttled``, ``errors``, ``faults``,
        ``unknown``, ``total_calls`` (see ``CallStats``)."""
        return self.app.stats.snapshot()

    def reset_stats(self) -> None:
        self.app.control.reset_stats()

    def state_summary(self) -> dict[str, Any]:
        """What ``GET /_emulator/state`` serves: numbers, quota, cooldowns, faults, stats."""
        return self.app.control.summary()

    def history(self, origin: str | None = None) -> list[dict[str, Any]]:
        """Every claim and release (``origin``: ``'seed'``, ``'emulator'`` or both), each
        with ``action``, ``phone_number``, ``phone_number_id``, ``client_token``, ``at``."""
        return self.app.control.history(origin)

    def cloudtrail(self) -> dict[str, Any]:
        """CloudTrail's view of the history, newest first: what ``GET /_emulator/cloudtrail``
        serves (each event with its ``event_id``, ``lookup`` and why it is ``hidden``)."""
        return self.app.control.cloudtrail()

    def set_cloudtrail_logged(
        self,
        *event_ids: str,
        phone_number: str | None = None,
        logged: bool = False,
    ) -> list[str]:
        """Mark events (by event id, or all of ``phone_number``) as not logged by
        CloudTrail (``logged=False``: console actions AWS does not log) or logged
        again. The quota still counts them; LookupEvents no longer shows them."""
        return self.app.control.set_logged(
            event_ids=event_ids, phone_number=phone_number, logged=logged
        )

    def denied_actions(self) -> list[str]:
        """The IAM actions answered ``AccessDeniedException`` (see ``iam``)."""
        return self.app.control.denied_actions()

    def set_denied_actions(self, actions: Iterable[str]) -> list[str]:
        """Replace them, e.g. ``["servicequotas:GetServiceQuota"]``; ``[]`` allows all."""
        return self.app.control.set_denied_actions(actions)

    def faults(self) -> dict[str, Any]:
        """The fault rules (with the ``remaining`` count of each) and the RNG seed."""
        return self.app.faults.snapshot()

    def set_faults(
        self,
        rules: Iterable[FaultRule | Mapping[str, Any]],
        *,
        replace: bool = True,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Replace (or extend, ``replace=False``) the fault rules; ``seed`` restarts the RNG."""
        return self.app.control.set_faults(rules, replace=replace, seed=seed)

    def add_fault(
        self,
        kind: FaultKind | str,
        *,
        operation: str | None = None,
        rate: float | None = None,
        count: int | None = None,
        delay: float | None = None,
        code: str | None = None,
        after_effect: bool = False,
    ) -> FaultRule:
        """Add one rule, e.g. ``add_fault("drop", operation="ReleasePhoneNumber",
        count=1, after_effect=True)``."""
        rule = FaultRule(
            kind=FaultKind(kind),
            operation=operation,
            rate=rate,
            count=count,
            delay=delay,
            code=code,
            after_effect=after_effect,
        )
        self.app.faults.add(rule)
        return rule

    def clear_faults(self) -> None:
        self.app.control.clear_faults()

    def now(self) -> datetime:
        """The emulator's wall time (the ``now`` source plus any offset)."""
        return self.state.now()

    def advance_clock(self, delta: timedelta | float) -> datetime:
        """Move the wall time on by ``delta`` (a timedelta, or seconds); returns the new now."""
        return self.app.control.advance_clock(delta)

    def set_clock(self, moment: datetime | str) -> datetime:
        """Make the wall time ``moment`` (aware datetime or ISO 8601); it flows on from there."""
        return self.app.control.set_clock(moment)

    def set_rate_limit(
        self, operation: str, rate: float | None, burst: int = DEFAULT_BURST
    ) -> None:
        """Change one operation's bucket (``'default'`` is not accepted here)."""
        if operation not in RATE_LIMITED_OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
        self.limiter.set_limit(operation, RateLimit.of(rate, burst))

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<EmulatorServer {where} account={self.state.account_id} {self.state.region}>"


def serve(
    port: int = 0,
    seed: SeedSource = None,
    *,
    rate: float | None = DEFAULT_RATE,
    burst: int = DEFAULT_BURST,
    out: TextIO | None = None,
    request_log: TextIO | None = None,
    quiet: bool = False,
    stop: threading.Event | None = None,
    state_file: StatePath | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM (or ``stop`` is set), then return.

    The first line written to ``out`` (default: stdout) is the endpoint URL,
    flushed at once, so a script can read it and export
    ``AWS_ENDPOINT_URL_CONNECT`` (and ``AWS_ENDPOINT_URL_CLOUDTRAIL``,
    ``AWS_ENDPOINT_URL_SERVICE_QUOTAS``). Requests are logged to ``request_log``
    (default: stderr, unless ``quiet``). ``state_file``: see ``EmulatorServer``.
    """
    out = out if out is not None else sys.stdout
    if request_log is None and not quiet:
        request_log = sys.stderr
    stop_event = stop if stop is not None else threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop_event.set()

    previous: dict[signal.Signals, Any] = {}
    # Signal handlers can only be installed from the main thread; elsewhere the
    # caller stops the server through ``stop``.
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        with EmulatorServer(
            seed,
            port=port,
            rate=rate,
            burst=burst,
            request_log=request_log,
            state_file=state_file,
        ) as server:
            print(server.url, file=out, flush=True)
            if not quiet:
                origin = (
                    f"; state restored from {state_file}"
                    if server.restored
                    else f"; state kept in {state_file}"
                    if state_file is not None
                    else ""
                )
                print(
                    f"Connect emulator (with CloudTrail and Service Quotas) for account "
                    f"{server.state.account_id} in {server.state.region} at {server.url}"
                    f"{origin}; admin at {server.url}/_emulator/state; Ctrl-C to stop",
                    file=sys.stderr,
                    flush=True,
                )
            while not stop_event.wait(0.5):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
