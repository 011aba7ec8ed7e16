"""The seed parser: the top-level keys, ``account_id`` and ``region``, and the
order in which the sections (one class each, mixed in) are parsed into a ``Seed``;
and ``parse_seed`` / ``load_seed``, its entry points."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from .activity import ActivitySections
from .inventory import InventorySections
from .limits import LimitSections
from .lines import LineLoader
from .model import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_AVAILABLE_GENERATED,
    DEFAULT_COOLDOWN_DAYS,
    DEFAULT_REGION,
    Seed,
    SeedError,
    SeedSource,
)

_ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")
_REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")

_TOP_LEVEL_KEYS = (
    "account_id",
    "region",
    "instances",
    "traffic_distribution_groups",
    "numbers",
    "rate_limits",
    "quota",
    "cooldown_days",
    "history",
    "available",
    "available_generated",
    "claim_in_progress_describes",
    "faults",
    "fault_seed",
    "cloudtrail",
    "service_quotas",
    "denied_actions",
    "roles",
)


def parse_seed(document: object, *, source: str) -> Seed:
    """Validate a seed already decoded (from YAML or JSON); errors name ``source``."""
    return SeedParser(source).parse(document)


def load_seed(seed: SeedSource) -> Seed:
    """Validate a seed given as a YAML file path, a mapping, or ``None`` (empty)."""
    if seed is None:
        return Seed(source="<empty seed>")
    if isinstance(seed, Mapping):
        return SeedParser("<seed dict>").parse(seed)
    if not isinstance(seed, (str, os.PathLike)):
        raise SeedError(
            f"a seed is a mapping, a YAML file path or None, not {type(seed).__name__}",
            source="<seed>",
        )
    path = Path(seed)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(f"cannot read the file: {exc}", source=source) from exc
    try:
        document = yaml.load(text, Loader=LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise SeedError(f"not valid YAML: {problem}", source=source, line=line) from exc
    if document is None:
        raise SeedError("the file is empty; expected a mapping with 'numbers'", source=source)
    return SeedParser(source).parse(document)


class SeedParser(InventorySections, ActivitySections, LimitSections):
    """Validates one seed document; every failure names ``source``."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._tdg_instances: dict[str, str] = {}

    def parse(self, document: object) -> Seed:
        if not isinstance(document, Mapping):
            self._fail(
                f"the seed must be a mapping with 'numbers', not {type(document).__name__}",
                entry=None,
            )
        self._check_keys(document, _TOP_LEVEL_KEYS, entry=None)
        quote = "; quote it so YAML keeps it a string"
        account_id = (
            self._string(document, "account_id", entry=None, hint=quote) or DEFAULT_ACCOUNT_ID
        )
        if not _ACCOUNT_PATTERN.fullmatch(account_id):
            self._fail(
                f"account_id {account_id!r} is not a 12-digit AWS account id",
                entry=None,
                mapping=document,
                key="account_id",
            )
        region = self._string(document, "region", entry=None) or DEFAULT_REGION
        if not _REGION_PATTERN.fullmatch(region):
            self._fail(
                f"region {region!r} is not an AWS region name such as us-east-1",
                entry=None,
                mapping=document,
                key="region",
            )
        instances = self._instances(document)
        tdgs = self._tdgs(document, {i.id for i in instances})
        self._tdg_instances = {t.id: t.instance_id for t in tdgs}
        numbers = self._numbers(document, account_id, region, {i.id for i in instances})
        quota = self._service_quotas(document, self._quota(document, len(instances), len(numbers)))
        history = self._history(document)
        cloudtrail, calls = self._cloudtrail(document)
        self._check_event_ids(history, calls)
        return Seed(
            source=self._source,
            account_id=account_id,
            region=region,
            instances=instances,
            traffic_distribution_groups=tdgs,
            numbers=numbers,
            rate_limits=self._rate_limits(document),
            quota=quota,
            cooldown_days=self._count(document, "cooldown_days", DEFAULT_COOLDOWN_DAYS),
            history=history,
            available=self._available(document),
            available_generated=self._count(
                document, "available_generated", DEFAULT_AVAILABLE_GENERATED
            ),
            claim_in_progress_describes=self._count(document, "claim_in_progress_describes", 0),
            faults=self._faults(document),
            fault_seed=self._count(document, "fault_seed", 0),
            cloudtrail=cloudtrail,
            trail_calls=calls,
            denied_actions=self._denied_actions(document),
            roles=self._roles(document),
        )
