"""The inventory sections of a seed: ``instances``, ``traffic_distribution_groups``,
``numbers`` (with their tags, flows and statuses) and ``available``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..arns import contact_flow_from_arn
from ..constants import (
    MAX_DESCRIPTION_LENGTH,
    MAX_STATUS_MESSAGE_LENGTH,
    MAX_TAG_KEY_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_TAGS,
    PHONE_NUMBER_STATUSES,
    PHONE_NUMBER_TYPES,
    RESOURCE_ID_PATTERN,
)
from ..countries import AvailableNumber
from .checks import SeedChecks, describe
from .model import InstanceSeed, NumberSeed, TrafficDistributionGroupSeed, phone_number_id_for


class InventorySections(SeedChecks):
    """Parses the instances, traffic distribution groups, numbers and available numbers."""

    #: Each declared traffic distribution group's instance (set before ``_numbers``).
    _tdg_instances: dict[str, str]

    def _instances(self, document: Mapping[str, Any]) -> tuple[InstanceSeed, ...]:
        seen: dict[str, str] = {}
        result: list[InstanceSeed] = []
        what = "an instance must be a mapping with 'id'"
        for entry, item in self._entries(document, "instances", what, ("id", "alias")):
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
        what = "a traffic distribution group must be a mapping with 'id', 'instance' and 'name'"
        keys = ("id", "instance", "name", "description", "default")
        for entry, item in self._entries(document, "traffic_distribution_groups", what, keys):
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
        item = self._item_mapping(
            item,
            "a number must be a mapping with 'phone_number' and 'instance'",
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

    def _tags(self, item: Mapping[str, Any], entry: str) -> dict[str, str]:
        tags = self._mapping(item, "tags", "of tag keys to values", entry=entry)
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
                problem = f"tag {key!r} must have a string value, not {describe(value)}; quote it"
            elif len(value) > MAX_TAG_VALUE_LENGTH:
                problem = f"tag {key!r} is longer than {MAX_TAG_VALUE_LENGTH} characters"
            if problem is not None:
                self._fail(
                    problem, entry=entry, mapping=tags, key=key if isinstance(key, str) else None
                )
            result[key] = value
        return result

    def _available(self, document: Mapping[str, Any]) -> tuple[AvailableNumber, ...]:
        seen: dict[str, str] = {}
        result: list[AvailableNumber] = []
        for index, item in enumerate(self._list(document, "available")):
            entry = f"available[{index}]"
            if isinstance(item, str):
                item = {"phone_number": item}
            item = self._item_mapping(
                item,
                "an available number is an E.164 string or a mapping with 'phone_number'",
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
