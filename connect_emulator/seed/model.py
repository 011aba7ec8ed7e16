"""The validated seed: ``Seed`` and its entries, the defaults, ``SeedError``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..countries import AvailableNumber
from ..faults import FaultRule
from ..history import HistoryEvent
from ..quota import DEFAULT_NUMBERS_PER_INSTANCE, QuotaPolicy
from ..ratelimit import RateLimit
from ..trail import CloudTrailConfig, TrailCall

DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"

SeedSource = Mapping[str, Any] | str | os.PathLike[str] | None

#: ReleasePhoneNumber: "the phone number enters into a cooldown period for up to 180 days".
DEFAULT_COOLDOWN_DAYS = 180
#: Generated available numbers per (country, type) of ``countries.TEMPLATES``.
DEFAULT_AVAILABLE_GENERATED = 20

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
