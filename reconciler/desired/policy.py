"""The ``quota`` section (the quota policy) and the ``safety`` section (the
mass-release limit and which numbers a plan may release)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from yaml.nodes import Node, ScalarNode

from reconciler.core.model import DEFAULT_RELEASE_TYPES, NumberType, QuotaPolicy
from reconciler.desired.compose import STR as _STR
from reconciler.desired.compose import line_of as _line
from reconciler.desired.numbers import shorten as _shorten
from reconciler.desired.reader import Entry as _Entry
from reconciler.desired.reader import Reader

DEFAULT_MAX_RELEASES = 10

_QUOTA_KEYS = (
    "phone_numbers",
    "window_days",
    "limit_percent",
    "reserve",
    "fallback",
    "assume_prior",
)
_SAFETY_KEYS = ("max_releases", "release_types", "release_imported")


@dataclass(frozen=True, slots=True)
class Safety:
    """The ``safety`` section: the mass-release limit and the ownership policy."""

    max_releases: int = DEFAULT_MAX_RELEASES
    release_types: frozenset[NumberType] = DEFAULT_RELEASE_TYPES
    release_imported: bool = False


class PolicyChecks(Reader):
    """The checks of ``quota`` and ``safety``."""

    def quota(self, node: Node) -> QuotaPolicy | None:
        """The quota policy; None when a problem was recorded (the file is then refused)."""
        found = self.entries(
            node,
            "quota",
            "a mapping with phone_numbers (and optional window_days, limit_percent, reserve)",
        )
        before = len(self.errors)
        suggested = self.reject_unknown(found, _QUOTA_KEYS, "quota")
        complete = self.require(found, ("phone_numbers",), node, "quota", suggested)
        count_node = found["phone_numbers"].value if complete else None
        auto = (
            isinstance(count_node, ScalarNode)
            and count_node.tag == _STR
            and count_node.value == "auto"
        )
        phone_numbers = self.attempt(None, self.phone_numbers, found, count_node, auto)

        def optional(name: str, default: int, **bounds: Any) -> int | None:
            if name not in found:
                return default
            return self.attempt(
                None, lambda: self.integer(found[name].value, f"quota.{name}", **bounds)
            )

        assume_prior = optional(
            "assume_prior",
            0,
            low=0,
            meaning=" (events assumed for the span the history does not cover)",
        )
        window_days = optional("window_days", 180, low=1, high=3650)
        limit_percent = optional("limit_percent", 200, low=1, high=10000)
        reserve = optional("reserve", 0, low=0)
        if phone_numbers is not None and limit_percent is not None and reserve is not None:
            limit = phone_numbers * limit_percent // 100
            if reserve > limit:
                self.note(
                    found["reserve"].value,
                    "quota.reserve",
                    f"{reserve} is more than the limit of {limit} quota actions "
                    f"(phone_numbers {phone_numbers} x limit_percent {limit_percent}%)",
                    f"an integer from 0 to {limit}",
                )
        if len(self.errors) > before:
            return None
        assert phone_numbers is not None and window_days is not None
        assert limit_percent is not None and reserve is not None and assume_prior is not None
        try:
            return QuotaPolicy(
                phone_numbers=phone_numbers,
                window_days=window_days,
                limit_percent=limit_percent,
                reserve=reserve,
                assume_prior=assume_prior,
                auto=auto,
            )
        except ValueError as exc:  # unreachable when the checks above are complete
            self.fail(node, "quota", str(exc))

    def phone_numbers(
        self, found: Mapping[str, _Entry], count_node: Node | None, auto: bool
    ) -> int | None:
        """quota.phone_numbers (or, with auto, quota.fallback); None if it is missing."""
        if count_node is None:
            return None  # missing: recorded by require
        if auto:
            # `auto`: read the applied quota (Service Quotas L-8F812903); the
            # fallback is what a run uses, with a warning, when it cannot.
            if "fallback" not in found:
                self.fail(
                    count_node,
                    "quota.phone_numbers",
                    "auto needs quota.fallback, the value to use when Service Quotas "
                    "cannot be read",
                    "quota.fallback: N beside phone_numbers: auto",
                )
            return self.integer(
                found["fallback"].value,
                "quota.fallback",
                low=1,
                meaning=" (used when the applied quota cannot be read)",
            )
        value = self.integer(
            count_node,
            "quota.phone_numbers",
            low=1,
            meaning=" (the account's service quota for phone numbers), or auto",
        )
        if "fallback" in found:
            self.fail(
                found["fallback"].key,
                "quota.fallback",
                "only used with phone_numbers: auto",
                "no fallback, or phone_numbers: auto",
            )
        return value

    def safety(self, node: Node) -> Safety:
        found = self.entries(
            node, "safety", "a mapping with max_releases, release_types, release_imported"
        )
        self.reject_unknown(found, _SAFETY_KEYS, "safety")
        default = Safety()
        max_releases = default.max_releases
        if "max_releases" in found:
            max_releases = self.attempt(
                default.max_releases,
                lambda: self.integer(
                    found["max_releases"].value,
                    "safety.max_releases",
                    low=0,
                    meaning=" (the most releases one plan may make)",
                ),
            )
        release_types = default.release_types
        if "release_types" in found:
            release_types = self.attempt(
                default.release_types, self.release_types, found["release_types"].value
            )
        release_imported = default.release_imported
        if "release_imported" in found:
            release_imported = self.attempt(
                default.release_imported,
                self.boolean,
                found["release_imported"].value,
                "safety.release_imported",
            )
        return Safety(max_releases, release_types, release_imported)

    def release_types(self, node: Node) -> frozenset[NumberType]:
        """safety.release_types: the PhoneNumberTypes a plan may release (issue 14)."""
        names = ", ".join(t.value for t in NumberType)
        expected = f"a list of phone number types, each one of {names}"
        items = self.sequence(node, "safety.release_types", expected)
        found: dict[NumberType, int | None] = {}
        for index, item in enumerate(items):
            path = f"safety.release_types[{index}]"
            text = self.string(item, path, "a phone number type")
            try:
                kind = NumberType(text)
            except ValueError:
                guess = difflib.get_close_matches(text.upper(), [t.value for t in NumberType], 1)
                hint = f" (did you mean {guess[0]}?)" if guess else ""
                problem = f"unknown phone number type {_shorten(text)!r}{hint}"
                self.fail(item, path, problem, expected)
            if kind in found:
                self.fail(
                    item,
                    path,
                    f"{kind.value} is listed twice (first on line {found[kind]})",
                    "each type once",
                )
            found[kind] = _line(item)
        return frozenset(found)
