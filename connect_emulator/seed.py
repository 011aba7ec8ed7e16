"""Seed files: the inventory an emulator starts from.

A seed is YAML (or the same structure as a Python dict, which tests build in
code)::

    account_id: "111122223333"        # 12 digits; quote it, or YAML reads a number
    region: us-east-1
    instances:
      - id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
        alias: demo                   # extension: informational only
    traffic_distribution_groups:      # of a (replicated) instance
      - id: tdg-1                     # its ARN: ...:traffic-distribution-group/tdg-1
        instance: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
        name: east-west
        description: "..."            # optional
        default: false                # IsDefault
    numbers:
      - phone_number: "+12065550100"  # E.164; quote it, or YAML reads a number
        instance: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
        id: 0f1e...                   # default: uuid5 of the number (stable demo output)
        type: DID                     # default DID; any PhoneNumberType
        country: US                   # default: derived from the calling code
        status: CLAIMED               # CLAIMED | IN_PROGRESS | FAILED
        status_message: "..."         # extension: PhoneNumberStatus.Message
        description: Main line
        tags: {team: support}
        flow: arn:aws:connect:us-east-1:111122223333:instance/aaaa.../contact-flow/main
        in_progress_describes: 2      # IN_PROGRESS only: CLAIMED after 2 describes
        traffic_distribution_group: tdg-1   # claimed to this TDG of its instance instead
        source_phone_number_arn: arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-1
                                      # imported (ImportPhoneNumber) from AWS End User
                                      #   Messaging SMS: listed as SourcePhoneNumberArn
    rate_limits:                      # extension: per-operation token buckets
      default: {rate: 2, burst: 5}
      DescribePhoneNumber: {rate: 5, burst: 10}
      ListFlowAssociations: null      # or {rate: null} or {rate: 0}: unlimited

    # The write side: ClaimPhoneNumber, ReleasePhoneNumber, SearchAvailablePhoneNumbers.
    quota:                            # the rolling claim/release quota (see ``quota``)
      phone_numbers: 10               # default: max(5 * instances, numbers, 5)
      window_days: 180                # default 180
      limit_percent: 200              # default 200: limit = floor(10 * 200 / 100) = 20
    cooldown_days: 180                # a released number is unavailable this long
    history:                          # claims and releases before the emulator started
      - action: release               # claim | release
        phone_number: "+12065550199"
        at: 2026-01-31T12:00:00Z      # ISO 8601 with a zone; counts in the window
        phone_number_id: ...          # optional; with client_token, a replay of that
        client_token: ...             #   request is recognised (idempotency)
        instance: aaaaaaaa-...        # optional
        type: DID                     # optional, default DID; country: derived
        origin: seed                  # seed (default) | emulator (what state files write)
        cloudtrail: false             # AWS did not log it (a console action): it counts
                                      #   against the quota but LookupEvents never shows it;
                                      #   or a mapping: {event_id, request_id, access_key_id,
                                      #   username, user_agent, source_ip, logged}
    available:                        # numbers SearchAvailablePhoneNumbers offers
      - "+12065550400"                # a string: type DID, country derived
      - {phone_number: "+18005550400", type: TOLL_FREE, country: US}
    available_generated: 20           # plus this many per country/type (``countries``)
    claim_in_progress_describes: 0    # >0: a claim stays IN_PROGRESS for N describes
    faults:                           # injected failures (see ``faults``)
      - {kind: throttle, rate: 0.2}
      - {kind: drop, operation: ReleasePhoneNumber, count: 1, after_effect: true}
    fault_seed: 0                     # the RNG seed of rate-based faults

    # CloudTrail (LookupEvents serves the history) and Service Quotas.
    cloudtrail:
      username: emulator-user         # the Username of calls (default emulator-user)
      users: {AKIAEXAMPLEHUMAN: alice}  # or per SigV4 access key id
      delivery_delay_seconds: 0       # an event shows this long after its call
      calls:                          # calls CloudTrail logged that changed nothing
        - event_name: ReleasePhoneNumber  # ClaimPhoneNumber | ReleasePhoneNumber
          at: 2026-01-31T12:00:00Z
          request_parameters: {phoneNumberId: ..., clientToken: ...}
          error_code: ServiceQuotaExceededException   # absent: a replayed token
          error_message: ...
          response_elements: null     # and event_id, request_id, access_key_id, ...
    service_quotas: {L-8F812903: 10}  # Phone numbers per instance: quota.phone_numbers
    denied_actions:                   # IAM actions answered AccessDeniedException
      - servicequotas:GetServiceQuota # (see ``iam``), e.g. cloudtrail:LookupEvents
    roles:                            # STS AssumeRole (``sts``): any role of account_id
      - arn: arn:aws:iam::111122223333:role/audited   # is assumable; a listed role
        external_id: secret-42        # requires this ExternalId, or
      - {arn: "arn:aws:iam::111122223333:role/locked", refuse: true}  # refuses all

Extensions beyond the issue's format: ``instances[].alias``,
``numbers[].status_message``, ``rate_limits``, and the CloudTrail / Service
Quotas / IAM keys (``cloudtrail``, ``history[].cloudtrail``, ``service_quotas``,
``denied_actions``). ``service_quotas`` only restates the quota: L-8F812903 is
``quota.phone_numbers`` (given alone, it sets it; given with it, they must
agree). ``account_id`` and ``region`` default to ``111122223333`` and
``us-east-1``; ``instances``, ``numbers``, ``history``, ``available`` and
``faults`` default to empty lists.

A released number is in cooldown until its latest ``release`` in the history
plus ``cooldown_days`` (unless it is claimed), and rejoins the pool after.
A state file (``persist``) is this same format, written by the emulator.

Validation is strict, because a seed stands in for an AWS account: unknown
keys, a number claimed twice, a flow of another instance, an instance that is
not declared, a time without a zone, a client token used twice are all
refused with a ``SeedError`` naming the seed file, the entry (and its line,
for YAML) and the problem.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import yaml

from .arns import contact_flow_from_arn
from .clock import parse_time
from .constants import (
    COUNTRY_CODE_PATTERN,
    E164_PATTERN,
    LOGGED_OPERATIONS,
    MAX_CLIENT_TOKEN_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_STATUS_MESSAGE_LENGTH,
    MAX_TAG_KEY_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_TAGS,
    PHONE_NUMBER_STATUSES,
    PHONE_NUMBER_TYPES,
    PHONE_NUMBERS_QUOTA_CODE,
    RATE_LIMITED_OPERATIONS,
    RESOURCE_ID_PATTERN,
    SERVICE_QUOTA_NAMES,
)
from .countries import AvailableNumber, country_of
from .faults import FaultRule
from .history import Action, HistoryEvent, Origin
from .iam import check_actions
from .quota import (
    DEFAULT_LIMIT_PERCENT,
    DEFAULT_NUMBERS_PER_INSTANCE,
    DEFAULT_WINDOW_DAYS,
    QuotaPolicy,
    default_phone_numbers,
)
from .ratelimit import DEFAULT_BURST, RateLimit
from .trail import DEFAULT_USERNAME, CloudTrailConfig, TrailCall, TrailInfo

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_AVAILABLE_GENERATED",
    "DEFAULT_COOLDOWN_DAYS",
    "DEFAULT_REGION",
    "InstanceSeed",
    "NumberSeed",
    "Seed",
    "SeedError",
    "SeedSource",
    "load_seed",
    "parse_seed",
    "phone_number_id_for",
]

DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"

SeedSource = Mapping[str, Any] | str | os.PathLike[str] | None

_ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")
_REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
_RATE_LIMIT_DEFAULT_KEY = "default"

#: ReleasePhoneNumber: "the phone number enters into a cooldown period for up to 180 days".
DEFAULT_COOLDOWN_DAYS = 180
#: Generated available numbers per (country, type) of ``countries.TEMPLATES``.
DEFAULT_AVAILABLE_GENERATED = 20

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
_ROLE_KEYS = ("arn", "external_id", "refuse")
_ROLE_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}", re.ASCII)
_CLOUDTRAIL_KEYS = ("username", "users", "delivery_delay_seconds", "calls")
_TRAIL_KEYS = (
    "event_id",
    "logged",
    "request_id",
    "access_key_id",
    "username",
    "user_agent",
    "source_ip",
)
_CALL_KEYS = (
    "event_name",
    "at",
    "request_parameters",
    "response_elements",
    "error_code",
    "error_message",
    *_TRAIL_KEYS,
)
_HISTORY_KEYS = (
    "action",
    "phone_number",
    "at",
    "phone_number_id",
    "client_token",
    "instance",
    "type",
    "country",
    "origin",
    "cloudtrail",
)

# The namespace of the default phone number ids: uuid5(namespace, number) gives
# every seed the same id for the same number, so demo output is stable.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "emulator.connect-numbers.invalid")


class SeedError(ValueError):
    """A seed is invalid: fix the file (or dict) named in the message.

    ``source`` is the file path (or ``<seed dict>``), ``entry`` the offending
    entry such as ``numbers[3] (+12065550100)``, ``line`` its line in a YAML
    file when known, and ``problem`` what is wrong with it.
    """

    def __init__(
        self, problem: str, *, source: str, entry: str | None = None, line: int | None = None
    ) -> None:
        self.problem = problem
        self.source = source
        self.entry = entry
        self.line = line
        where = source
        if line is not None:
            where += f":{line}"
        if entry is not None:
            where += f": {entry}"
        super().__init__(f"invalid emulator seed {where}: {problem}")


@dataclass(frozen=True, kw_only=True)
class InstanceSeed:
    id: str
    alias: str | None = None


@dataclass(frozen=True, kw_only=True)
class NumberSeed:
    phone_number: str
    instance_id: str
    id: str
    type: str = "DID"
    country: str = "US"
    status: str = "CLAIMED"
    status_message: str | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    flow_arn: str | None = None
    #: An IN_PROGRESS number becomes CLAIMED after this many describes
    #: (``None``: it stays IN_PROGRESS).
    in_progress_describes: int | None = None
    #: Imported from AWS End User Messaging SMS (``SourcePhoneNumberArn``).
    source_phone_number_arn: str | None = None
    #: Claimed to this traffic distribution group (of ``instance_id``) instead.
    traffic_distribution_group: str | None = None


@dataclass(frozen=True, kw_only=True)
class TrafficDistributionGroupSeed:
    """A traffic distribution group of an instance (shape ``TrafficDistributionGroup``)."""

    id: str
    instance_id: str
    name: str
    description: str | None = None
    default: bool = False


@dataclass(frozen=True, kw_only=True)
class Seed:
    """A validated seed. ``rate_limits`` holds only what the seed states; ``quota``
    is complete (the parser fills in the default, see ``quota``)."""

    source: str
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    instances: tuple[InstanceSeed, ...] = ()
    traffic_distribution_groups: tuple[TrafficDistributionGroupSeed, ...] = ()
    numbers: tuple[NumberSeed, ...] = ()
    rate_limits: Mapping[str, RateLimit | None] = field(default_factory=dict)
    quota: QuotaPolicy = field(
        default_factory=lambda: QuotaPolicy(phone_numbers=DEFAULT_NUMBERS_PER_INSTANCE)
    )
    cooldown_days: int = DEFAULT_COOLDOWN_DAYS
    history: tuple[HistoryEvent, ...] = ()
    available: tuple[AvailableNumber, ...] = ()
    available_generated: int = DEFAULT_AVAILABLE_GENERATED
    claim_in_progress_describes: int = 0
    faults: tuple[FaultRule, ...] = ()
    fault_seed: int = 0
    cloudtrail: CloudTrailConfig = field(default_factory=CloudTrailConfig)
    #: Calls CloudTrail logged that changed nothing (``cloudtrail.calls``).
    trail_calls: tuple[TrailCall, ...] = ()
    denied_actions: tuple[str, ...] = ()
    #: Roles with a trust condition (``roles``): an external id, or no caller at all.
    roles: tuple[RoleSeed, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RoleSeed:
    """A role STS treats specially: it requires ``external_id``, or it ``refuse``s."""

    arn: str
    external_id: str | None = None
    refuse: bool = False

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"arn": self.arn}
        if self.external_id is not None:
            found["external_id"] = self.external_id
        if self.refuse:
            found["refuse"] = True
        return found


def phone_number_id_for(phone_number: str) -> str:
    """The default, deterministic PhoneNumberId of ``phone_number``."""
    return str(uuid.uuid5(_ID_NAMESPACE, phone_number))


def parse_seed(document: object, *, source: str) -> Seed:
    """Validate a seed already decoded (from YAML or JSON); errors name ``source``."""
    return _SeedParser(source).parse(document)


def load_seed(seed: SeedSource) -> Seed:
    """Validate a seed given as a YAML file path, a mapping, or ``None`` (empty)."""
    if seed is None:
        return Seed(source="<empty seed>")
    if isinstance(seed, Mapping):
        return _SeedParser("<seed dict>").parse(seed)
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
        document = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise SeedError(f"not valid YAML: {problem}", source=source, line=line) from exc
    if document is None:
        raise SeedError("the file is empty; expected a mapping with 'numbers'", source=source)
    return _SeedParser(source).parse(document)


class _LineDict(dict[Any, Any]):
    """A mapping from YAML that remembers its line and the line of each key."""

    line: int | None = None
    key_lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers and refuses duplicate keys.

    PyYAML silently keeps the last of two equal keys; in a seed that hides a
    typo, so it is an error here.
    """


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping.key_lines:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_of(mapping: object, key: str | None = None) -> int | None:
    if not isinstance(mapping, _LineDict):
        return None
    if key is not None and key in mapping.key_lines:
        return mapping.key_lines[key]
    return mapping.line


def _describe(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


class _SeedParser:
    """Validates one seed document; every failure names ``source``."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._tdg_instances: dict[str, str] = {}

    def _fail(
        self, problem: str, *, entry: str | None, mapping: object = None, key: str | None = None
    ) -> NoReturn:
        raise SeedError(problem, source=self._source, entry=entry, line=_line_of(mapping, key))

    def _check_keys(
        self, mapping: Mapping[Any, Any], allowed: Sequence[str], *, entry: str | None
    ) -> None:
        for key in mapping:
            if key not in allowed:
                self._fail(
                    f"unknown key {key!r}; expected one of {', '.join(allowed)}",
                    entry=entry,
                    mapping=mapping,
                    key=key if isinstance(key, str) else None,
                )

    def _string(
        self,
        mapping: Mapping[str, Any],
        key: str,
        *,
        entry: str | None,
        required: bool = False,
        hint: str = "",
    ) -> str | None:
        if key not in mapping or mapping[key] is None:
            if required:
                self._fail(f"'{key}' is required", entry=entry, mapping=mapping)
            return None
        value = mapping[key]
        if not isinstance(value, str):
            self._fail(
                f"'{key}' must be a string, not {_describe(value)}{hint}",
                entry=entry,
                mapping=mapping,
                key=key,
            )
        return value

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

    def _flag(self, item: Mapping[str, Any], key: str, *, entry: str) -> bool:
        """An optional true/false key (false when absent)."""
        value = item.get(key, False)
        if not isinstance(value, bool):
            self._fail(f"'{key}' must be true or false", entry=entry, mapping=item, key=key)
        return value

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

    def _list(self, document: Mapping[str, Any], key: str) -> list[Any]:
        value = document.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._fail(
                f"'{key}' must be a list, not {_describe(value)}",
                entry=None,
                mapping=document,
                key=key,
            )
        return value

    def _instances(self, document: Mapping[str, Any]) -> tuple[InstanceSeed, ...]:
        seen: dict[str, str] = {}
        result: list[InstanceSeed] = []
        for index, item in enumerate(self._list(document, "instances")):
            entry = f"instances[{index}]"
            if not isinstance(item, Mapping):
                self._fail(
                    f"an instance must be a mapping with 'id', not {_describe(item)}",
                    entry=entry,
                    mapping=document,
                    key="instances",
                )
            self._check_keys(item, ("id", "alias"), entry=entry)
            instance_id = self._string(item, "id", entry=entry, required=True)
            assert instance_id is not None
            entry = f"{entry} ({instance_id})"
            if not RESOURCE_ID_PATTERN.fullmatch(instance_id):
                self._fail(
                    f"id {instance_id!r} is not a valid instance id (letters, digits, '-', '_', "
                    "'.', at most 100 characters)",
                    entry=entry,
                    mapping=item,
                    key="id",
                )
            if instance_id in seen:
                self._fail(
                    f"instance id {instance_id!r} is declared twice (also at {seen[instance_id]})",
                    entry=entry,
                    mapping=item,
                    key="id",
                )
            seen[instance_id] = entry
            alias = self._string(item, "alias", entry=entry)
            result.append(InstanceSeed(id=instance_id, alias=alias))
        return tuple(result)

    def _tdgs(
        self, document: Mapping[str, Any], instance_ids: set[str]
    ) -> tuple[TrafficDistributionGroupSeed, ...]:
        seen: set[str] = set()
        result: list[TrafficDistributionGroupSeed] = []
        for index, item in enumerate(self._list(document, "traffic_distribution_groups")):
            entry = f"traffic_distribution_groups[{index}]"
            if not isinstance(item, Mapping):
                self._fail(
                    f"a traffic distribution group must be a mapping with 'id', 'instance' and "
                    f"'name', not {_describe(item)}",
                    entry=entry,
                    mapping=document,
                    key="traffic_distribution_groups",
                )
            keys = ("id", "instance", "name", "description", "default")
            self._check_keys(item, keys, entry=entry)
            tdg_id = self._string(item, "id", entry=entry, required=True)
            instance_id = self._string(item, "instance", entry=entry, required=True)
            name = self._string(item, "name", entry=entry, required=True)
            assert tdg_id is not None and instance_id is not None and name is not None
            if not RESOURCE_ID_PATTERN.fullmatch(tdg_id) or tdg_id in seen:
                self._fail(
                    f"id {tdg_id!r} is not a valid traffic distribution group id, or is used twice",
                    entry=entry,
                    mapping=item,
                    key="id",
                )
            if instance_id not in instance_ids:
                self._fail(
                    f"instance {instance_id!r} is not declared under 'instances'",
                    entry=entry,
                    mapping=item,
                    key="instance",
                )
            default = self._flag(item, "default", entry=entry)
            seen.add(tdg_id)
            result.append(
                TrafficDistributionGroupSeed(
                    id=tdg_id,
                    instance_id=instance_id,
                    name=name,
                    description=self._string(item, "description", entry=entry),
                    default=default,
                )
            )
        return tuple(result)

    def _numbers(
        self,
        document: Mapping[str, Any],
        account_id: str,
        region: str,
        instance_ids: set[str],
    ) -> tuple[NumberSeed, ...]:
        by_number: dict[str, str] = {}
        by_id: dict[str, str] = {}
        result: list[NumberSeed] = []
        for index, item in enumerate(self._list(document, "numbers")):
            number = self._number(index, item, document, account_id, region, instance_ids)
            entry = f"numbers[{index}] ({number.phone_number})"
            if number.phone_number in by_number:
                self._fail(
                    f"{number.phone_number} is listed twice (also at "
                    f"{by_number[number.phone_number]}); a number can be claimed only once",
                    entry=entry,
                    mapping=item,
                )
            if number.id in by_id:
                self._fail(
                    f"phone number id {number.id!r} is used twice (also at {by_id[number.id]})",
                    entry=entry,
                    mapping=item,
                    key="id",
                )
            by_number[number.phone_number] = entry
            by_id[number.id] = entry
            result.append(number)
        return tuple(result)

    def _number(
        self,
        index: int,
        item: object,
        document: Mapping[str, Any],
        account_id: str,
        region: str,
        instance_ids: set[str],
    ) -> NumberSeed:
        entry = f"numbers[{index}]"
        if isinstance(item, Mapping) and isinstance(item.get("phone_number"), str):
            entry = f"{entry} ({item['phone_number']})"
        if not isinstance(item, Mapping):
            self._fail(
                f"a number must be a mapping with 'phone_number' and 'instance', "
                f"not {_describe(item)}",
                entry=entry,
                mapping=document,
                key="numbers",
            )
        self._check_keys(
            item,
            (
                "phone_number",
                "instance",
                "id",
                "type",
                "country",
                "status",
                "status_message",
                "description",
                "tags",
                "flow",
                "in_progress_describes",
                "source_phone_number_arn",
                "traffic_distribution_group",
            ),
            entry=entry,
        )
        phone_number, country = self._e164_and_country(item, entry)

        instance_id = self._string(item, "instance", entry=entry, required=True)
        assert instance_id is not None
        if instance_id not in instance_ids:
            declared = ", ".join(sorted(instance_ids)) or "none"
            self._fail(
                f"instance {instance_id!r} is not declared under 'instances' (declared: "
                f"{declared})",
                entry=entry,
                mapping=item,
                key="instance",
            )

        number_id = self._string(item, "id", entry=entry) or phone_number_id_for(phone_number)
        if not RESOURCE_ID_PATTERN.fullmatch(number_id):
            self._fail(
                f"id {number_id!r} is not a valid phone number id (letters, digits, '-', '_', "
                "'.', at most 100 characters)",
                entry=entry,
                mapping=item,
                key="id",
            )

        number_type = self._enum(item, "type", PHONE_NUMBER_TYPES, "DID", entry=entry)
        status = self._enum(item, "status", PHONE_NUMBER_STATUSES, "CLAIMED", entry=entry)

        status_message = self._string(item, "status_message", entry=entry)
        self._max_length(item, "status_message", status_message, MAX_STATUS_MESSAGE_LENGTH, entry)
        description = self._string(item, "description", entry=entry)
        self._max_length(item, "description", description, MAX_DESCRIPTION_LENGTH, entry)

        flow_arn = self._string(item, "flow", entry=entry)
        if flow_arn is not None:
            flow = contact_flow_from_arn(flow_arn, region, account_id)
            if flow is None:
                self._fail(
                    f"flow {flow_arn!r} is not a contact-flow ARN of account {account_id} in "
                    f"{region} (arn:aws:connect:{region}:{account_id}:instance/<instance-id>/"
                    "contact-flow/<flow-id>)",
                    entry=entry,
                    mapping=item,
                    key="flow",
                )
            if flow[0] != instance_id:
                self._fail(
                    f"flow {flow_arn!r} belongs to instance {flow[0]}, but the number is "
                    f"claimed to instance {instance_id}; a number can only be associated with a "
                    "flow of its own instance",
                    entry=entry,
                    mapping=item,
                    key="flow",
                )

        return NumberSeed(
            phone_number=phone_number,
            instance_id=instance_id,
            id=number_id,
            type=number_type,
            country=country,
            status=status,
            status_message=status_message,
            description=description,
            tags=self._tags(item, entry),
            flow_arn=flow_arn,
            in_progress_describes=self._in_progress_describes(item, status, entry),
            source_phone_number_arn=self._source_arn(item, entry),
            traffic_distribution_group=self._number_tdg(item, instance_id, entry),
        )

    def _number_tdg(self, item: Mapping[str, Any], instance_id: str, entry: str) -> str | None:
        """A number claimed to a traffic distribution group of its own instance."""
        tdg_id = self._string(item, "traffic_distribution_group", entry=entry)
        if tdg_id is not None and self._tdg_instances.get(tdg_id) != instance_id:
            self._fail(
                f"traffic distribution group {tdg_id!r} is not declared under "
                f"'traffic_distribution_groups' for instance {instance_id}",
                entry=entry,
                mapping=item,
                key="traffic_distribution_group",
            )
        return tdg_id

    def _source_arn(self, item: Mapping[str, Any], entry: str) -> str | None:
        """``SourcePhoneNumberArn`` (shape ``ARN``): where an imported number came from."""
        arn = self._string(item, "source_phone_number_arn", entry=entry)
        if arn is not None and not re.fullmatch(r"arn:aws[a-z-]*:[a-z0-9-]+:[^\s]*", arn):
            self._fail(
                f"source_phone_number_arn {arn!r} is not an ARN (the AWS End User Messaging "
                "SMS phone number imported, like arn:aws:sms-voice:REGION:ACCOUNT:"
                "phone-number/ID)",
                entry=entry,
                mapping=item,
                key="source_phone_number_arn",
            )
        return arn

    def _in_progress_describes(
        self, item: Mapping[str, Any], status: str, entry: str
    ) -> int | None:
        if item.get("in_progress_describes") is None:
            return None
        if status != "IN_PROGRESS":
            self._fail(
                f"'in_progress_describes' applies to an IN_PROGRESS number, not to {status}",
                entry=entry,
                mapping=item,
                key="in_progress_describes",
            )
        return self._count(item, "in_progress_describes", 0, entry=entry, minimum=1)

    def _count(
        self,
        mapping: Mapping[str, Any],
        key: str,
        default: int,
        *,
        entry: str | None = None,
        minimum: int = 0,
    ) -> int:
        """A whole number of at least ``minimum`` (YAML ints only: no floats, no bools)."""
        value = mapping.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self._fail(
                f"'{key}' must be an integer of at least {minimum}, not {_describe(value)}",
                entry=entry,
                mapping=mapping,
                key=key,
            )
        return value

    def _quota(self, document: Mapping[str, Any], instances: int, numbers: int) -> QuotaPolicy:
        quota = document.get("quota")
        if quota is None:
            quota = {}
        if not isinstance(quota, Mapping):
            self._fail(
                f"'quota' must be a mapping {{phone_numbers, window_days, limit_percent}}, "
                f"not {_describe(quota)}",
                entry=None,
                mapping=document,
                key="quota",
            )
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

    def _history(self, document: Mapping[str, Any]) -> tuple[HistoryEvent, ...]:
        tokens: dict[str, str] = {}
        result: list[HistoryEvent] = []
        for index, item in enumerate(self._list(document, "history")):
            entry = f"history[{index}]"
            if not isinstance(item, Mapping):
                self._fail(
                    f"a history event must be a mapping with 'action', 'phone_number' and 'at', "
                    f"not {_describe(item)}",
                    entry=entry,
                    mapping=document,
                    key="history",
                )
            self._check_keys(item, _HISTORY_KEYS, entry=entry)
            action = self._enum(item, "action", [a.value for a in Action], "", entry=entry)
            if not action:
                self._fail("'action' is required (claim or release)", entry=entry, mapping=item)
            phone_number, country = self._e164_and_country(item, entry)
            entry = f"{entry} ({action} {phone_number})"
            if item.get("at") is None:
                self._fail(
                    "'at' is required: when it happened, e.g. 2026-01-31T12:00:00Z",
                    entry=entry,
                    mapping=item,
                )
            try:
                at = parse_time(item["at"], "at")
            except ValueError as exc:
                self._fail(str(exc), entry=entry, mapping=item, key="at")
            number_id = self._string(item, "phone_number_id", entry=entry)
            if number_id is not None and not RESOURCE_ID_PATTERN.fullmatch(number_id):
                self._fail(
                    f"phone_number_id {number_id!r} is not a valid phone number id",
                    entry=entry,
                    mapping=item,
                    key="phone_number_id",
                )
            instance_id = self._string(item, "instance", entry=entry)
            if instance_id is not None and not RESOURCE_ID_PATTERN.fullmatch(instance_id):
                self._fail(
                    f"instance {instance_id!r} is not a valid instance id",
                    entry=entry,
                    mapping=item,
                    key="instance",
                )
            token = self._string(item, "client_token", entry=entry)
            if token is not None:
                if not 1 <= len(token) <= MAX_CLIENT_TOKEN_LENGTH:
                    self._fail(
                        f"client_token must be 1 to {MAX_CLIENT_TOKEN_LENGTH} characters",
                        entry=entry,
                        mapping=item,
                        key="client_token",
                    )
                if token in tokens:
                    self._fail(
                        f"client_token {token!r} is used twice (also at {tokens[token]}); a "
                        "token names one request",
                        entry=entry,
                        mapping=item,
                        key="client_token",
                    )
                tokens[token] = entry
            origin = self._enum(item, "origin", [o.value for o in Origin], "seed", entry=entry)
            result.append(
                HistoryEvent(
                    action=Action(action),
                    phone_number=phone_number,
                    at=at,
                    phone_number_id=number_id,
                    client_token=token,
                    instance_id=instance_id,
                    type=self._enum(item, "type", PHONE_NUMBER_TYPES, "DID", entry=entry),
                    country=country,
                    origin=Origin(origin),
                    trail=self._history_trail(item, entry),
                )
            )
        return tuple(result)

    # --- CloudTrail, Service Quotas, IAM ------------------------------------

    def _mapping(
        self, document: Mapping[str, Any], key: str, what: str, *, entry: str | None
    ) -> Mapping[str, Any]:
        value = document.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self._fail(
                f"'{key}' must be a mapping {what}, not {_describe(value)}",
                entry=entry,
                mapping=document,
                key=key,
            )
        return value

    def _trail(self, item: Mapping[str, Any], entry: str) -> TrailInfo:
        """The ``TrailInfo`` keys of a mapping (a history entry's ``cloudtrail``, a call)."""
        strings = {
            key: self._string(item, key, entry=entry) for key in _TRAIL_KEYS if key != "logged"
        }
        event_id = strings["event_id"]
        if event_id is not None and not RESOURCE_ID_PATTERN.fullmatch(event_id):
            self._fail(
                f"event_id {event_id!r} is not a valid event id (letters, digits, '-', '_', "
                "'.', at most 100 characters)",
                entry=entry,
                mapping=item,
                key="event_id",
            )
        logged = item.get("logged", True)
        if not isinstance(logged, bool):
            self._fail(
                f"'logged' must be true or false, not {_describe(logged)}",
                entry=entry,
                mapping=item,
                key="logged",
            )
        return TrailInfo(logged=logged, **strings)

    def _history_trail(self, item: Mapping[str, Any], entry: str) -> TrailInfo:
        value = item.get("cloudtrail")
        if value is None or value is True:
            return TrailInfo()
        if value is False:
            return TrailInfo(logged=False)
        if not isinstance(value, Mapping):
            self._fail(
                "'cloudtrail' must be false (AWS did not log it) or a mapping of "
                f"{', '.join(_TRAIL_KEYS)}, not {_describe(value)}",
                entry=entry,
                mapping=item,
                key="cloudtrail",
            )
        entry = f"{entry}.cloudtrail"
        self._check_keys(value, _TRAIL_KEYS, entry=entry)
        return self._trail(value, entry)

    def _cloudtrail(
        self, document: Mapping[str, Any]
    ) -> tuple[CloudTrailConfig, tuple[TrailCall, ...]]:
        block = self._mapping(
            document, "cloudtrail", f"{{{', '.join(_CLOUDTRAIL_KEYS)}}}", entry=None
        )
        self._check_keys(block, _CLOUDTRAIL_KEYS, entry="cloudtrail")
        username = self._string(block, "username", entry="cloudtrail") or DEFAULT_USERNAME
        users = self._mapping(block, "users", "of access key ids to user names", entry="cloudtrail")
        for key, name in users.items():
            if not isinstance(key, str) or not isinstance(name, str) or not key or not name:
                self._fail(
                    f"cloudtrail.users maps access key ids to user names (strings), not "
                    f"{key!r}: {name!r}",
                    entry="cloudtrail.users",
                    mapping=users,
                    key=key if isinstance(key, str) else None,
                )
        delay = block.get("delivery_delay_seconds", 0)
        if (
            isinstance(delay, bool)
            or not isinstance(delay, (int, float))
            or not math.isfinite(delay)
            or delay < 0
        ):
            self._fail(
                "'delivery_delay_seconds' must be a number of seconds of at least 0, not "
                f"{_describe(delay)}",
                entry="cloudtrail",
                mapping=block,
                key="delivery_delay_seconds",
            )
        config = CloudTrailConfig(
            username=username, users=dict(users), delivery_delay=timedelta(seconds=delay)
        )
        calls = tuple(
            self._call(item, index, block) for index, item in enumerate(self._list(block, "calls"))
        )
        return config, calls

    def _call(self, item: object, index: int, block: Mapping[str, Any]) -> TrailCall:
        entry = f"cloudtrail.calls[{index}]"
        if not isinstance(item, Mapping):
            self._fail(
                f"a call must be a mapping with 'event_name' and 'at', not {_describe(item)}",
                entry=entry,
                mapping=block,
                key="calls",
            )
        self._check_keys(item, _CALL_KEYS, entry=entry)
        event_name = self._enum(item, "event_name", LOGGED_OPERATIONS, "", entry=entry)
        if not event_name:
            self._fail(
                f"'event_name' is required ({' or '.join(LOGGED_OPERATIONS)})",
                entry=entry,
                mapping=item,
            )
        if item.get("at") is None:
            self._fail("'at' is required, e.g. 2026-01-31T12:00:00Z", entry=entry, mapping=item)
        try:
            at = parse_time(item["at"], "at")
        except ValueError as exc:
            self._fail(str(exc), entry=entry, mapping=item, key="at")
        parameters = self._mapping(
            item, "request_parameters", "(CloudTrail's requestParameters)", entry=entry
        )
        response = item.get("response_elements")
        if response is not None and not isinstance(response, Mapping):
            self._fail(
                "'response_elements' must be a mapping or null (CloudTrail's "
                f"responseElements), not {_describe(response)}",
                entry=entry,
                mapping=item,
                key="response_elements",
            )
        return TrailCall(
            event_name=event_name,
            at=at,
            request_parameters=dict(parameters),
            response_elements=None if response is None else dict(response),
            error_code=self._string(item, "error_code", entry=entry),
            error_message=self._string(item, "error_message", entry=entry),
            trail=self._trail(item, entry),
        )

    def _check_event_ids(self, history: Sequence[HistoryEvent], calls: Sequence[TrailCall]) -> None:
        seen: dict[str, str] = {}
        entries = [(f"history[{i}]", e.trail.event_id) for i, e in enumerate(history)]
        entries += [(f"cloudtrail.calls[{i}]", c.trail.event_id) for i, c in enumerate(calls)]
        for entry, event_id in entries:
            if event_id is None:
                continue
            if event_id in seen:
                self._fail(
                    f"event_id {event_id!r} is used twice (also at {seen[event_id]}); an event "
                    "id names one event",
                    entry=entry,
                )
            seen[event_id] = entry

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
                    f"the quota must be a whole number of at least 1, not {_describe(value)}",
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

    def _denied_actions(self, document: Mapping[str, Any]) -> tuple[str, ...]:
        try:
            return check_actions(self._list(document, "denied_actions"))
        except ValueError as exc:
            self._fail(str(exc), entry="denied_actions", mapping=document, key="denied_actions")

    def _e164_and_country(self, item: Mapping[str, Any], entry: str) -> tuple[str, str]:
        """``phone_number`` (required, E.164) and ``country`` (given or derived)."""
        phone_number = self._string(
            item,
            "phone_number",
            entry=entry,
            required=True,
            hint='; quote it, e.g. "+12065550100", or YAML reads it as a number',
        )
        assert phone_number is not None
        if not E164_PATTERN.fullmatch(phone_number):
            self._fail(
                f"phone_number {phone_number!r} is not in E.164 form (+, country code, "
                "subscriber number, no spaces)",
                entry=entry,
                mapping=item,
                key="phone_number",
            )
        country = self._string(item, "country", entry=entry)
        if country is None:
            country = country_of(phone_number)
            if country is None:
                self._fail(
                    f"cannot derive the country of {phone_number}; give 'country' (ISO code)",
                    entry=entry,
                    mapping=item,
                )
        elif not COUNTRY_CODE_PATTERN.fullmatch(country):
            self._fail(
                f"country {country!r} is not an ISO 3166-1 alpha-2 code such as US",
                entry=entry,
                mapping=item,
                key="country",
            )
        return phone_number, country

    def _available(self, document: Mapping[str, Any]) -> tuple[AvailableNumber, ...]:
        seen: dict[str, str] = {}
        result: list[AvailableNumber] = []
        for index, item in enumerate(self._list(document, "available")):
            entry = f"available[{index}]"
            if isinstance(item, str):
                item = {"phone_number": item}
            if not isinstance(item, Mapping):
                self._fail(
                    f"an available number is an E.164 string or a mapping with 'phone_number', "
                    f"not {_describe(item)}",
                    entry=entry,
                    mapping=document,
                    key="available",
                )
            self._check_keys(item, ("phone_number", "type", "country"), entry=entry)
            phone_number, country = self._e164_and_country(item, entry)
            entry = f"{entry} ({phone_number})"
            if phone_number in seen:
                self._fail(
                    f"{phone_number} is listed twice (also at {seen[phone_number]})",
                    entry=entry,
                    mapping=item,
                )
            seen[phone_number] = entry
            number_type = self._enum(item, "type", PHONE_NUMBER_TYPES, "DID", entry=entry)
            result.append(
                AvailableNumber(phone_number=phone_number, type=number_type, country=country)
            )
        return tuple(result)

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

    def _enum(
        self,
        item: Mapping[str, Any],
        key: str,
        allowed: Sequence[str],
        default: str,
        *,
        entry: str,
    ) -> str:
        value = self._string(item, key, entry=entry)
        if value is None:
            return default
        if value not in allowed:
            self._fail(
                f"{key} {value!r} is not one of {', '.join(allowed)}",
                entry=entry,
                mapping=item,
                key=key,
            )
        return value

    def _max_length(
        self, item: Mapping[str, Any], key: str, value: str | None, limit: int, entry: str
    ) -> None:
        if value is not None and len(value) > limit:
            self._fail(
                f"'{key}' is {len(value)} characters long; Connect allows at most {limit}",
                entry=entry,
                mapping=item,
                key=key,
            )

    def _tags(self, item: Mapping[str, Any], entry: str) -> dict[str, str]:
        tags = item.get("tags")
        if tags is None:
            return {}
        if not isinstance(tags, Mapping):
            self._fail(
                f"'tags' must be a mapping of tag keys to values, not {_describe(tags)}",
                entry=entry,
                mapping=item,
                key="tags",
            )
        if len(tags) > MAX_TAGS:
            self._fail(
                f"{len(tags)} tags; Connect allows at most {MAX_TAGS}",
                entry=entry,
                mapping=item,
                key="tags",
            )
        result: dict[str, str] = {}
        for key, value in tags.items():
            problem = None
            if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
                problem = (
                    f"tag key {key!r} must be a string of 1 to {MAX_TAG_KEY_LENGTH} characters"
                )
            elif key.startswith("aws:"):
                problem = f"tag key {key!r} uses the reserved prefix 'aws:'"
            elif not isinstance(value, str):
                problem = f"tag {key!r} must have a string value, not {_describe(value)}; quote it"
            elif len(value) > MAX_TAG_VALUE_LENGTH:
                problem = f"tag {key!r} is longer than {MAX_TAG_VALUE_LENGTH} characters"
            if problem is not None:
                self._fail(
                    problem, entry=entry, mapping=tags, key=key if isinstance(key, str) else None
                )
            result[key] = value
        return result

    def _rate_limits(self, document: Mapping[str, Any]) -> dict[str, RateLimit | None]:
        limits = document.get("rate_limits")
        if limits is None:
            return {}
        if not isinstance(limits, Mapping):
            self._fail(
                f"'rate_limits' must be a mapping of operation names to {{rate, burst}}, "
                f"not {_describe(limits)}",
                entry=None,
                mapping=document,
                key="rate_limits",
            )
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
                    f"expected a mapping {{rate, burst}} or null, not {_describe(spec)}",
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
