"""Seed files: the inventory an emulator starts from.

A seed is YAML (or the same structure as a Python dict, which tests build in
code)::

    account_id: "111122223333"        # 12 digits; quote it, or YAML reads a number
    region: us-east-1
    instances:
      - id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
        alias: demo                   # extension: informational only
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
    rate_limits:                      # extension: per-operation token buckets
      default: {rate: 2, burst: 5}
      DescribePhoneNumber: {rate: 5, burst: 10}
      ListFlowAssociations: null      # or {rate: null} or {rate: 0}: unlimited

Extensions beyond the issue's format: ``instances[].alias``,
``numbers[].status_message``, and ``rate_limits``. ``account_id`` and
``region`` default to ``111122223333`` and ``us-east-1``; ``instances`` and
``numbers`` default to empty lists.

Validation is strict, because a seed stands in for an AWS account: unknown
keys, a number claimed twice, a flow of another instance, an instance that is
not declared are all refused with a ``SeedError`` naming the seed file, the
entry (and its line, for YAML) and the problem.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from .arns import contact_flow_from_arn
from .constants import (
    COUNTRY_CODE_PATTERN,
    E164_PATTERN,
    MAX_DESCRIPTION_LENGTH,
    MAX_STATUS_MESSAGE_LENGTH,
    MAX_TAG_KEY_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_TAGS,
    PHONE_NUMBER_STATUSES,
    PHONE_NUMBER_TYPES,
    RATE_LIMITED_OPERATIONS,
    RESOURCE_ID_PATTERN,
)
from .ratelimit import DEFAULT_BURST, RateLimit

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION",
    "InstanceSeed",
    "NumberSeed",
    "Seed",
    "SeedError",
    "SeedSource",
    "load_seed",
    "phone_number_id_for",
]

DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"

SeedSource = Mapping[str, Any] | str | os.PathLike[str] | None

_ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")
_REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
_RATE_LIMIT_DEFAULT_KEY = "default"

# The namespace of the default phone number ids: uuid5(namespace, number) gives
# every seed the same id for the same number, so demo output is stable.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "emulator.connect-numbers.invalid")

# Calling code -> ISO country, for deriving ``country`` when a seed omits it.
# Shared codes resolve to the country most numbers belong to (+1 -> US, +7 ->
# RU); a seed names ``country`` explicitly for the others (e.g. CA).
_CALLING_CODES: Mapping[str, str] = {
    "1": "US", "7": "RU", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE",
    "33": "FR", "34": "ES", "36": "HU", "39": "IT", "40": "RO", "41": "CH", "43": "AT",
    "44": "GB", "45": "DK", "46": "SE", "47": "NO", "48": "PL", "49": "DE", "51": "PE",
    "52": "MX", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "60": "MY", "61": "AU",
    "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH", "81": "JP", "82": "KR",
    "84": "VN", "86": "CN", "90": "TR", "91": "IN", "92": "PK", "234": "NG", "254": "KE",
    "351": "PT", "352": "LU", "353": "IE", "354": "IS", "358": "FI", "359": "BG",
    "370": "LT", "371": "LV", "372": "EE", "385": "HR", "386": "SI", "420": "CZ",
    "421": "SK", "852": "HK", "886": "TW", "966": "SA", "971": "AE", "972": "IL",
}  # fmt: skip


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


@dataclass(frozen=True, kw_only=True)
class Seed:
    """A validated seed. ``rate_limits`` holds only what the seed states."""

    source: str
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    instances: tuple[InstanceSeed, ...] = ()
    numbers: tuple[NumberSeed, ...] = ()
    rate_limits: Mapping[str, RateLimit | None] = field(default_factory=dict)


def phone_number_id_for(phone_number: str) -> str:
    """The default, deterministic PhoneNumberId of ``phone_number``."""
    return str(uuid.uuid5(_ID_NAMESPACE, phone_number))


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
        self._check_keys(
            document,
            ("account_id", "region", "instances", "numbers", "rate_limits"),
            entry=None,
        )
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
        numbers = self._numbers(document, account_id, region, {i.id for i in instances})
        return Seed(
            source=self._source,
            account_id=account_id,
            region=region,
            instances=instances,
            numbers=numbers,
            rate_limits=self._rate_limits(document),
        )

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
            ),
            entry=entry,
        )
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

        country = self._string(item, "country", entry=entry)
        if country is None:
            country = _country_of(phone_number)
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
        )

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


def _country_of(phone_number: str) -> str | None:
    digits = phone_number[1:]
    for length in (3, 2, 1):
        country = _CALLING_CODES.get(digits[:length])
        if country is not None:
            return country
    return None
