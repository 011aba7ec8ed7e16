"""Denied IAM actions: the caller lacks a permission, on demand.

The product reads the applied quota (Service Quotas) and CloudTrail's history
only "when the caller has the permission", and falls back otherwise; testing
that fallback needs an account that says no. A seed's ``denied_actions`` (or
``POST /_emulator/denied-actions``) lists IAM actions, such as
``servicequotas:GetServiceQuota``, ``cloudtrail:LookupEvents`` or
``connect:ReleasePhoneNumber``, or a whole service (``cloudtrail:*``); a call of
a denied action is answered as IAM answers it: ``AccessDeniedException`` (403
for Connect's REST-JSON, 400 for the JSON 1.1 services) with IAM's message.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .services import SERVICES, iam_action

__all__ = ["KNOWN_ACTIONS", "AccessPolicy", "check_actions", "denial_message"]

#: Every action the emulator serves, e.g. ``connect:ClaimPhoneNumber``.
KNOWN_ACTIONS = frozenset(
    f"{service.iam_prefix}:{operation}" for service in SERVICES for operation in service.operations
)
_WILDCARDS = frozenset(f"{service.iam_prefix}:*" for service in SERVICES)


def check_actions(actions: Iterable[object]) -> tuple[str, ...]:
    """The actions, validated: each served (``service:Operation``) or ``service:*``."""
    result: list[str] = []
    for action in actions:
        if not isinstance(action, str) or action not in KNOWN_ACTIONS | _WILDCARDS:
            known = ", ".join(sorted(KNOWN_ACTIONS | _WILDCARDS))
            raise ValueError(f"denied action {action!r} is not one of {known}")
        if action not in result:
            result.append(action)
    return tuple(result)


def denial_message(account_id: str, username: str, action: str) -> str:
    """IAM's words for an implicit deny."""
    return (
        f"User: arn:aws:iam::{account_id}:user/{username} is not authorized to perform: "
        f"{action} because no identity-based policy allows the {action} action"
    )


class AccessPolicy:
    """The denied actions of a running emulator. Thread-safe."""

    def __init__(self, denied: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._denied = check_actions(denied)

    @property
    def denied(self) -> tuple[str, ...]:
        with self._lock:
            return self._denied

    def set(self, actions: Iterable[object]) -> tuple[str, ...]:
        checked = check_actions(actions)
        with self._lock:
            self._denied = checked
        return checked

    def allows(self, operation: str) -> bool:
        action = iam_action(operation)
        wildcard = action.split(":", 1)[0] + ":*"
        with self._lock:
            return action not in self._denied and wildcard not in self._denied
