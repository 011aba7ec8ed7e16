"""The limits and access of a seed: ``quota`` and ``service_quotas``,
``rate_limits``, ``faults``, IAM ``denied_actions`` and STS ``roles``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..constants import PHONE_NUMBERS_QUOTA_CODE, RATE_LIMITED_OPERATIONS, SERVICE_QUOTA_NAMES
from ..faults import FaultRule
from ..iam import check_actions
from ..quota import DEFAULT_LIMIT_PERCENT, DEFAULT_WINDOW_DAYS, QuotaPolicy, default_phone_numbers
from ..ratelimit import DEFAULT_BURST, RateLimit
from .checks import SeedChecks, describe
from .model import RoleSeed

_RATE_LIMIT_DEFAULT_KEY = "default"
_ROLE_KEYS = ("arn", "external_id", "refuse")
_ROLE_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}", re.ASCII)


class LimitSections(SeedChecks):
    """Parses the quotas, rate limits, faults, denied actions and roles."""

    def _quota(self, document: Mapping[str, Any], instances: int, numbers: int) -> QuotaPolicy:
        what = "{phone_numbers, window_days, limit_percent}"
        quota = self._mapping(document, "quota", what, entry=None)
        self._check_keys(quota, ("phone_numbers", "window_days", "limit_percent"), entry="quota")
        defaults = {
            "phone_numbers": default_phone_numbers(instances, numbers),
            "window_days": DEFAULT_WINDOW_DAYS,
            "limit_percent": DEFAULT_LIMIT_PERCENT,
        }
        return QuotaPolicy(
            **{
                key: self._count(quota, key, default, entry="quota", minimum=1)
                for key, default in defaults.items()
            }
        )

    def _service_quotas(self, document: Mapping[str, Any], quota: QuotaPolicy) -> QuotaPolicy:
        values = self._mapping(document, "service_quotas", "of quota codes to values", entry=None)
        for code, value in values.items():
            entry = f"service_quotas.{code}"
            if code not in SERVICE_QUOTA_NAMES:
                known = ", ".join(f"{c} ({n})" for c, n in SERVICE_QUOTA_NAMES.items())
                self._fail(
                    f"unknown quota code {code!r}; the emulator serves {known}",
                    entry="service_quotas",
                    mapping=values,
                    key=code if isinstance(code, str) else None,
                )
            whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            if isinstance(value, bool) or not whole or value < 1:
                self._fail(
                    f"the quota must be a whole number of at least 1, not {describe(value)}",
                    entry=entry,
                    mapping=values,
                    key=code,
                )
        value = values.get(PHONE_NUMBERS_QUOTA_CODE)
        if value is None:
            return quota
        stated = document.get("quota")
        if (
            isinstance(stated, Mapping)
            and stated.get("phone_numbers") is not None
            and stated["phone_numbers"] != value
        ):
            self._fail(
                f"{PHONE_NUMBERS_QUOTA_CODE} (phone numbers per instance) is {value:g} but "
                f"quota.phone_numbers is {stated['phone_numbers']}: they are the same quota; "
                "give one, or the same value",
                entry=f"service_quotas.{PHONE_NUMBERS_QUOTA_CODE}",
                mapping=values,
                key=PHONE_NUMBERS_QUOTA_CODE,
            )
        return replace(quota, phone_numbers=int(value))

    def _rate_limits(self, document: Mapping[str, Any]) -> dict[str, RateLimit | None]:
        what = "of operation names to {rate, burst}"
        limits = self._mapping(document, "rate_limits", what, entry=None)
        allowed = (_RATE_LIMIT_DEFAULT_KEY, *RATE_LIMITED_OPERATIONS)
        self._check_keys(limits, allowed, entry="rate_limits")
        result: dict[str, RateLimit | None] = {}
        for operation, spec in limits.items():
            entry = f"rate_limits.{operation}"
            if spec is None:
                result[operation] = None
                continue
            if not isinstance(spec, Mapping):
                self._fail(
                    f"expected a mapping {{rate, burst}} or null, not {describe(spec)}",
                    entry=entry,
                    mapping=limits,
                    key=operation,
                )
            self._check_keys(spec, ("rate", "burst"), entry=entry)
            if "rate" not in spec:
                self._fail(
                    "'rate' is required (requests per second; null or 0 for unlimited)",
                    entry=entry,
                    mapping=spec,
                )
            rate = spec["rate"]
            burst = spec.get("burst", DEFAULT_BURST)
            try:
                result[operation] = RateLimit.of(rate, burst)
            except (TypeError, ValueError) as exc:
                self._fail(str(exc), entry=entry, mapping=spec)
        return result

    def _faults(self, document: Mapping[str, Any]) -> tuple[FaultRule, ...]:
        result: list[FaultRule] = []
        for index, item in enumerate(self._list(document, "faults")):
            try:
                result.append(FaultRule.from_json(item))
            except ValueError as exc:
                self._fail(
                    str(exc),
                    entry=f"faults[{index}]",
                    mapping=item if isinstance(item, Mapping) else document,
                )
        return tuple(result)

    def _denied_actions(self, document: Mapping[str, Any]) -> tuple[str, ...]:
        try:
            return check_actions(self._list(document, "denied_actions"))
        except ValueError as exc:
            self._fail(str(exc), entry="denied_actions", mapping=document, key="denied_actions")

    def _roles(self, document: Mapping[str, Any]) -> tuple[RoleSeed, ...]:
        roles: list[RoleSeed] = []
        for index, item in enumerate(self._list(document, "roles")):
            entry = f"roles[{index}]"
            if not isinstance(item, Mapping):
                self._fail(f"{entry} must be a mapping with 'arn'", entry=entry)
            self._check_keys(item, _ROLE_KEYS, entry=entry)
            arn = self._string(item, "arn", entry=entry, required=True)
            assert arn is not None
            if not _ROLE_ARN_PATTERN.fullmatch(arn):
                self._fail(
                    f"{arn!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                    entry=entry,
                    mapping=item,
                    key="arn",
                )
            refuse = self._flag(item, "refuse", entry=entry)
            external_id = self._string(item, "external_id", entry=entry)
            roles.append(RoleSeed(arn=arn, external_id=external_id, refuse=refuse))
        return tuple(roles)
