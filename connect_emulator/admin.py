"""The emulator's control surface: ``/_emulator/...`` over HTTP, and the same in Python.

botocore never sends a path starting with ``/_emulator`` (every Connect
request URI starts with a resource name), so these endpoints cannot shadow a
Connect operation. They are not Connect calls: not counted, not throttled, not
subject to faults. The server binds 127.0.0.1 only, and the endpoints also
refuse any peer that is not a loopback address (403), in case the app is ever
mounted behind something else.

Endpoints (JSON in, JSON out; errors are ``{"Message": ...}`` with 400, 403,
404 or 405)::

    GET    /_emulator/state          account summary: numbers, quota, cooldowns,
                                     faults, call stats, the emulator's now
    GET    /_emulator/history        {"events": [...]}; ?origin=emulator|seed filters
    GET    /_emulator/stats          call counts (see stats.CallStats)
    POST   /_emulator/stats/reset    zero them
    GET    /_emulator/faults         {"seed": n, "rules": [... with "remaining"]}
    POST   /_emulator/faults         {"rules": [...], "replace": false, "seed": n}
                                     (or one rule object): add (or replace) rules
    DELETE /_emulator/faults         remove every rule
    GET    /_emulator/clock          {"now": ISO, "offset_seconds": s}
    POST   /_emulator/clock          {"advance_seconds": s} | {"advance_days": d}
                                     | {"set": ISO 8601}
    GET    /_emulator/cloudtrail     CloudTrail's view: {"retention_days", "delivery_delay_seconds",
                                     "events": [{event_id, event_name, event_time, phone_number,
                                     phone_number_id, error_code, origin, logged, lookup,
                                     hidden}]}, newest first; ``lookup``: LookupEvents shows it
                                     now, else ``hidden`` says why
    POST   /_emulator/cloudtrail/logged
                                     {"event_ids": [...]} and/or {"phone_number": "+1..."},
                                     with "logged": false (default) or true: mark events as not
                                     logged by CloudTrail (console actions AWS does not log);
                                     answers {"event_ids": [the ids selected]}
    GET    /_emulator/denied-actions {"actions": [...]}: IAM actions answered AccessDeniedException
    POST   /_emulator/denied-actions {"actions": ["servicequotas:GetServiceQuota", ...]}: replace
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from .clock import format_time, parse_time
from .cloudtrail import trail_summary, trail_view
from .faults import FaultInjector, FaultRule
from .history import Origin
from .iam import AccessPolicy
from .servicequotas import quota_values
from .state import ConnectState
from .stats import CallStats
from .sts import CallLog

__all__ = ["ADMIN_PREFIX", "AdminError", "Control", "is_admin_path"]

ADMIN_PREFIX = "/_emulator"


def is_admin_path(raw_path: str) -> bool:
    return raw_path == ADMIN_PREFIX or raw_path.startswith(ADMIN_PREFIX + "/")


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _rule(value: FaultRule | Mapping[str, Any]) -> FaultRule:
    return value if isinstance(value, FaultRule) else FaultRule.from_json(value)


class Control:
    """Summary, history, CloudTrail, denied actions, faults, clock and stats of one emulator."""

    def __init__(
        self,
        state: ConnectState,
        faults: FaultInjector,
        stats: CallStats,
        access: AccessPolicy | None = None,
        *,
        calls: CallLog | None = None,
    ) -> None:
        self.state = state
        self.faults = faults
        self.stats = stats
        self.access = access or AccessPolicy()
        self.calls = calls

    # --- the Python surface -------------------------------------------------

    def summary(self) -> dict[str, Any]:
        return {
            **self.state.summary(),
            "cloudtrail": trail_summary(self.state),
            "service_quotas": quota_values(self.state),
            "denied_actions": list(self.access.denied),
            "faults": self.faults.snapshot(),
            "stats": self.stats.snapshot(),
        }

    def cloudtrail(self) -> dict[str, Any]:
        """CloudTrail's view of the history (see ``cloudtrail.trail_view``)."""
        return trail_view(self.state)

    def set_logged(
        self,
        *,
        event_ids: Iterable[str] = (),
        phone_number: str | None = None,
        logged: bool = False,
    ) -> list[str]:
        """Mark events as (not) logged by CloudTrail; returns the event ids selected."""
        event_ids = list(event_ids)
        if not all(isinstance(item, str) for item in event_ids):
            raise ValueError("'event_ids' must be a list of CloudTrail event ids (strings)")
        if phone_number is not None and not isinstance(phone_number, str):
            raise ValueError("'phone_number' must be an E.164 string")
        if not event_ids and phone_number is None:
            raise ValueError("give 'event_ids' or 'phone_number' to say which events")
        if not isinstance(logged, bool):
            raise ValueError(f"'logged' must be true or false, not {logged!r}")
        return self.state.set_logged(event_ids=event_ids, phone_number=phone_number, logged=logged)

    def denied_actions(self) -> list[str]:
        return list(self.access.denied)

    def set_denied_actions(self, actions: Iterable[object]) -> list[str]:
        """Replace the denied IAM actions (``iam``); ``ValueError`` names an unknown one."""
        return list(self.access.set(actions))

    def history(self, origin: str | None = None) -> list[dict[str, Any]]:
        """Every claim and release in the history, oldest first (as recorded)."""
        if origin is not None and origin not in {o.value for o in Origin}:
            raise ValueError(f"origin must be 'seed' or 'emulator', not {origin!r}")
        return [
            event.to_json()
            for event in self.state.history()
            if origin is None or event.origin.value == origin
        ]

    def set_faults(
        self,
        rules: Iterable[FaultRule | Mapping[str, Any]],
        *,
        replace: bool = True,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Replace (or, with ``replace=False``, extend) the fault rules.

        Every rule is validated before any is applied (``ValueError``)."""
        parsed = [_rule(rule) for rule in rules]
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an integer, not {seed!r}")
        if replace:
            self.faults.set(parsed, seed=seed)
        else:
            if seed is not None:
                self.faults.reseed(seed)
            for rule in parsed:
                self.faults.add(rule)
        return self.faults.snapshot()

    def clear_faults(self) -> None:
        self.faults.clear()

    def now(self) -> datetime:
        return self.state.now()

    def advance_clock(self, delta: timedelta | float) -> datetime:
        """Move the emulator's wall time on (``delta`` in seconds, or a timedelta)."""
        if not isinstance(delta, timedelta):
            if isinstance(delta, bool) or not isinstance(delta, (int, float)):
                raise ValueError(f"advance by a number of seconds, not {delta!r}")
            if not math.isfinite(delta):
                raise ValueError(f"advance by a finite number of seconds, not {delta!r}")
            delta = timedelta(seconds=delta)
        return self.state.clock.advance(delta)

    def set_clock(self, moment: datetime | str) -> datetime:
        return self.state.clock.set(parse_time(moment, "the new time"))

    def clock(self) -> dict[str, Any]:
        return {
            "now": format_time(self.state.now()),
            "offset_seconds": self.state.clock.offset.total_seconds(),
        }

    def reset_stats(self) -> None:
        self.stats.reset()

    def signed_calls(self) -> list[dict[str, Any]]:
        """Every Connect call, oldest first: operation, access_key_id, account, role_arn."""
        return self.calls.snapshot() if self.calls is not None else []

    def _clear_calls(self) -> dict[str, Any]:
        if self.calls is not None:
            self.calls.clear()
        return {"calls": []}

    # --- the HTTP surface ---------------------------------------------------

    def handle(self, request: Request, raw_path: str) -> Response:
        try:
            _require_loopback(request)
            return _json(200, self._route(request, raw_path))
        except AdminError as error:
            return _json(error.status, {"Message": error.message})
        except ValueError as error:
            return _json(400, {"Message": str(error)})

    def _route(self, request: Request, raw_path: str) -> Any:
        path = raw_path[len(ADMIN_PREFIX) :].rstrip("/") or "/"
        method = request.method
        routes: dict[str, dict[str, Any]] = {
            "/state": {"GET": lambda: self.summary()},
            "/history": {"GET": lambda: {"events": self.history(request.args.get("origin"))}},
            "/stats": {"GET": lambda: self.stats.snapshot()},
            "/stats/reset": {"POST": lambda: self._reset_stats()},
            "/faults": {
                "GET": lambda: self.faults.snapshot(),
                "POST": lambda: self._post_faults(_body(request)),
                "DELETE": lambda: self._delete_faults(),
            },
            "/clock": {
                "GET": lambda: self.clock(),
                "POST": lambda: self._post_clock(_body(request)),
            },
            "/cloudtrail": {"GET": lambda: self.cloudtrail()},
            # Each call's access key and the account/role STS issued it for (``sts``).
            "/calls": {"GET": lambda: {"calls": self.signed_calls()}, "DELETE": self._clear_calls},
            "/cloudtrail/logged": {"POST": lambda: self._post_logged(_body(request))},
            "/denied-actions": {
                "GET": lambda: {"actions": self.denied_actions()},
                "POST": lambda: self._post_denied(_body(request)),
            },
        }
        methods = routes.get(path)
        if methods is None:
            known = ", ".join(ADMIN_PREFIX + known_path for known_path in routes)
            raise AdminError(404, f"No emulator admin endpoint at {raw_path}; see {known}.")
        action = methods.get(method)
        if action is None:
            raise AdminError(405, f"{raw_path} answers {', '.join(sorted(methods))}, not {method}.")
        return action()

    def _reset_stats(self) -> dict[str, Any]:
        self.reset_stats()
        return self.stats.snapshot()

    def _delete_faults(self) -> dict[str, Any]:
        self.clear_faults()
        return self.faults.snapshot()

    def _post_faults(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if "kind" in body:
            return self.set_faults([body], replace=False)
        unknown = set(body) - {"rules", "replace", "seed"}
        if unknown:
            raise ValueError(
                f"unknown key {sorted(unknown)[0]!r}; expected a rule (with 'kind') or "
                "{rules, replace, seed}"
            )
        rules = body.get("rules", [])
        if not isinstance(rules, list):
            raise ValueError("'rules' must be a list of fault rules")
        replace = body.get("replace", False)
        if not isinstance(replace, bool):
            raise ValueError("'replace' must be true or false")
        return self.set_faults(rules, replace=replace, seed=body.get("seed"))

    def _post_logged(self, body: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(body) - {"event_ids", "phone_number", "logged"}
        if unknown:
            raise ValueError(
                f"unknown key {sorted(unknown)[0]!r}; expected event_ids, phone_number, logged"
            )
        event_ids = body.get("event_ids", [])
        if not isinstance(event_ids, list):
            raise ValueError("'event_ids' must be a list of CloudTrail event ids")
        selected = self.set_logged(
            event_ids=event_ids,
            phone_number=body.get("phone_number"),
            logged=body.get("logged", False),
        )
        return {"event_ids": selected}

    def _post_denied(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if set(body) != {"actions"} or not isinstance(body["actions"], list):
            raise ValueError('give {"actions": [...]}, e.g. ["servicequotas:GetServiceQuota"]')
        return {"actions": self.set_denied_actions(body["actions"])}

    def _post_clock(self, body: Mapping[str, Any]) -> dict[str, Any]:
        keys = set(body) & {"advance_seconds", "advance_days", "set"}
        if len(keys) != 1 or set(body) - keys:
            raise ValueError("give exactly one of 'advance_seconds', 'advance_days' or 'set'")
        (key,) = keys
        value = body[key]
        if key == "set":
            self.set_clock(value)
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"'{key}' must be a number, not {value!r}")
            self.advance_clock(value * 86400 if key == "advance_days" else value)
        return self.clock()


def _require_loopback(request: Request) -> None:
    remote = request.remote_addr or ""
    try:
        loopback = ipaddress.ip_address(remote).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise AdminError(
            403, f"The emulator admin endpoint answers loopback clients only, not {remote!r}."
        )


def _body(request: Request) -> dict[str, Any]:
    data = request.get_data(cache=False)
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def _json(status: int, payload: Any) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")), status=status, content_type="application/json"
    )
