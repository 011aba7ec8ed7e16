"""The inputs of a ``ManagedNumber``: their names, their validation, their comparison.

``ManagedNumberArgs`` is what the program gives each resource; ``_problem_of``
is what Check (and Create/Update again) says of invalid inputs; ``DIFF_KEYS``
and ``_input`` are what Diff compares. The provider (``provider.py``) maps the
engine's calls onto the executor with them; nothing here calls AWS or a ledger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from reconciler.core.model import E164_PATTERN, Target

__all__ = ["CLAIMED", "DIFF_KEYS", "METADATA_KEYS", "RELEASED", "ManagedNumberArgs"]

CLAIMED = "claimed"
RELEASED = "released"
_STATES = (CLAIMED, RELEASED)

#: The inputs whose change is an update. ``stack``, ``numbers_file``, ``ledger``
#: and ``settled`` change without anything to do, so they are not changes.
DIFF_KEYS = (
    "state",
    "description",
    "tags",
    "tags_removed",
    "phone_number_id",
    "phone_number_arn",
    "target_arn",
)
#: The inputs a change of which is made in place (issue 15): metadata, no quota cost.
METADATA_KEYS = ("description", "tags", "tags_removed")

# The property the SDK adds to every dynamic resource: the pickled provider.
_PROVIDER_KEY = "__provider"
# What an input not known yet (preview) deserializes to (pulumi.runtime.rpc.UNKNOWN).
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# arn:PARTITION:connect:REGION:ACCOUNT:phone-number/ID (Connect's phone-number ARN).
_PHONE_NUMBER_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):connect:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):"
    r"(?P<account>\d{12}):phone-number/(?P<id>[A-Za-z0-9-]{1,100})$"
)


def _value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _problem_of(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for every invalid input; unknown (preview) values pass."""
    problems: list[tuple[str, str]] = []

    def known(name: str) -> bool:
        return props.get(name) != _UNKNOWN

    def text(name: str, *, optional: bool = False) -> str | None:
        value = props.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            what = "a non-empty string or null" if optional else "a non-empty string"
            problems.append((name, f"expected {what}, got {value!r}"))
            return None
        return value

    number = text("phone_number")
    if number is not None and known("phone_number") and not E164_PATTERN.match(number):
        problems.append(("phone_number", f"{number!r} is not an E.164 number like +12065550100"))
    number_id = text("phone_number_id")
    target_arn = text("target_arn")
    target: Target | None = None
    if target_arn is not None and known("target_arn"):
        try:
            target = Target(arn=target_arn)
        except ValueError as exc:
            problems.append(("target_arn", str(exc)))
    arn = text("phone_number_arn")
    if arn is not None and known("phone_number_arn"):
        match = _PHONE_NUMBER_ARN.match(arn)
        if match is None:
            problems.append(
                (
                    "phone_number_arn",
                    f"{arn!r} is not a Connect phone-number ARN "
                    "(arn:aws:connect:REGION:ACCOUNT:phone-number/ID)",
                )
            )
        elif number_id is not None and known("phone_number_id") and match["id"] != number_id:
            problems.append(
                ("phone_number_arn", f"{arn!r} names id {match['id']}, not {number_id}")
            )
        elif target is not None and (match["region"], match["account"]) != (
            target.region,
            target.account_id,
        ):
            problems.append(
                (
                    "phone_number_arn",
                    f"{arn!r} is not in the region and account of {target.arn}",
                )
            )
    state = props.get("state")
    if known("state") and state not in _STATES:
        problems.append(("state", f"expected 'claimed' or 'released', got {state!r}"))
    description = props.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(("description", f"expected a string or null, got {description!r}"))
    tags = props.get("tags")
    if (
        known("tags")
        and tags is not None
        and not (
            isinstance(tags, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
        )
    ):
        problems.append(("tags", f"expected a mapping of strings to strings or null, got {tags!r}"))
    removed = props.get("tags_removed")
    if (
        known("tags_removed")
        and removed is not None
        and not (isinstance(removed, list | tuple) and all(isinstance(k, str) for k in removed))
    ):
        problems.append(("tags_removed", f"expected a list of tag keys or null, got {removed!r}"))
    text("stack")
    text("numbers_file")
    text("ledger", optional=True)
    settled = props.get("settled", False)
    if known("settled") and not isinstance(settled, bool):
        problems.append(("settled", f"expected true or false, got {settled!r}"))
    elif settled is True and state == CLAIMED:
        problems.append(("settled", "only a released number can be settled"))
    return problems


@dataclass(frozen=True)
class ManagedNumberArgs:
    """The inputs of one ``ManagedNumber``: plain JSON-able values.

    ``stack`` is the Pulumi ``project/stack`` name (the stable scope of the
    release's client token: ``stack.release_scope``); ``numbers_file`` is reloaded by the
    provider to re-check that the number is still not desired and the quota
    policy; ``ledger`` (a ``--ledger`` spec) is required to release;
    ``settled`` means released earlier and recorded done: nothing to do.
    ``tags``: the tags numbers.yaml sets, ``tags_removed``: the keys it removes
    (``key: null``); each None when there are none.
    """

    phone_number: str
    phone_number_id: str
    phone_number_arn: str
    target_arn: str
    state: str
    description: str | None
    stack: str
    numbers_file: str
    ledger: str | None
    settled: bool
    tags: dict[str, str] | None = None
    tags_removed: list[str] | None = None

    def __post_init__(self) -> None:
        # A NumberState (a StrEnum) becomes its plain string: inputs stay JSON-able.
        object.__setattr__(self, "state", _value(self.state))

    def to_props(self) -> dict[str, Any]:
        return asdict(self)


def _inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The resource's own properties: without the SDK's ``__provider``."""
    return {k: v for k, v in props.items() if k != _PROVIDER_KEY}


def _input(props: Mapping[str, Any], key: str) -> Any:
    """An input as the diff compares it: an empty or absent tag input is None (a stack
    made before tags were managed has neither, and must see no change)."""
    value = props.get(key)
    return value or None if key in ("tags", "tags_removed") else value
