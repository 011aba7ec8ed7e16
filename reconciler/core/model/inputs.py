"""What a plan is made from: the desired state (numbers.yaml), the run's policy,
the live inventory and the history of claims and releases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from operator import attrgetter

from reconciler.core.model.common import _require_e164, _require_utc

DEFAULT_MAX_RELEASES = 10

# arn:aws:connect:REGION:ACCOUNT:instance/ID or .../traffic-distribution-group/ID
_TARGET_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):connect:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+):"
    r"(?P<account>[0-9]{12}):(?P<kind>instance|traffic-distribution-group)/(?P<id>[A-Za-z0-9-]{1,100})$"
)


class Action(StrEnum):
    """What a history event did. Both count against the rolling quota."""

    CLAIM = "claim"
    RELEASE = "release"


class NumberStatus(StrEnum):
    """``PhoneNumberStatus.Status`` of DescribePhoneNumber."""

    CLAIMED = "CLAIMED"
    IN_PROGRESS = "IN_PROGRESS"
    FAILED = "FAILED"


class NumberType(StrEnum):
    """Shape ``PhoneNumberType`` of botocore's Connect model (``ListPhoneNumbersSummary``)."""

    DID = "DID"
    TOLL_FREE = "TOLL_FREE"
    UIFN = "UIFN"
    SHARED = "SHARED"
    THIRD_PARTY_DID = "THIRD_PARTY_DID"
    THIRD_PARTY_TF = "THIRD_PARTY_TF"
    SHORT_CODE = "SHORT_CODE"


# `safety.release_types` when numbers.yaml omits it: only the numbers the account
# claimed from Connect's own inventory and can claim again like any other. A UIFN
# takes a support case and several countries to get back; a shared or third-party
# number is not the account's to give away (issue 14).
DEFAULT_RELEASE_TYPES: frozenset[NumberType] = frozenset({NumberType.DID, NumberType.TOLL_FREE})


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """A Connect instance or traffic distribution group whose numbers are managed."""

    arn: str

    def __post_init__(self) -> None:
        if not _TARGET_ARN.match(self.arn):
            raise ValueError(
                f"not a Connect instance or traffic distribution group ARN: {self.arn!r}"
            )

    def _part(self, name: str) -> str:
        match = _TARGET_ARN.match(self.arn)
        assert match is not None  # checked in __post_init__
        return match.group(name)

    @property
    def region(self) -> str:
        return self._part("region")

    @property
    def account_id(self) -> str:
        return self._part("account")

    @property
    def kind(self) -> str:
        return self._part("kind")

    @property
    def resource_id(self) -> str:
        return self._part("id")

    @property
    def scope(self) -> str:
        """``ACCOUNT/REGION``: the rolling quota is per account and region."""
        return f"{self.account_id}/{self.region}"


# targets[].role_arn: an IAM role of the target's account (the partition may differ).
# A role name is 1-64 of [\w+=,.@-], under an optional path of the same and '/'.
ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>[0-9]{12}):"
    r"role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$",
    re.ASCII,
)
# targets[].external_id: AssumeRole's ExternalId (2-1224 characters of [\w+=,.@:/-]).
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII)


@dataclass(frozen=True, kw_only=True, slots=True)
class TargetAccess:
    """The credentials a target's calls use (``targets[].role_arn`` / ``profile``).

    None of them: the default credentials (the standard AWS settings). ``profile``
    alone: that profile of the AWS config files. ``role_arn``: STS AssumeRole of
    that role (with ``external_id`` when given), from the default credentials or,
    with ``profile``, from that profile's credentials.
    """

    role_arn: str | None = None
    external_id: str | None = None
    profile: str | None = None

    def __post_init__(self) -> None:
        if self.role_arn is not None and not ROLE_ARN.match(self.role_arn):
            raise ValueError(f"not an IAM role ARN: {self.role_arn!r}")
        if self.external_id is not None:
            if self.role_arn is None:
                raise ValueError("external_id is only used with role_arn")
            if not EXTERNAL_ID.match(self.external_id):
                raise ValueError("external_id must be 2-1224 characters of [A-Za-z0-9+=,.@:/_-]")
        if self.profile is not None and not self.profile.strip():
            raise ValueError("profile must not be empty")

    @property
    def is_default(self) -> bool:
        return self.role_arn is None and self.profile is None

    @property
    def role_account(self) -> str | None:
        match = ROLE_ARN.match(self.role_arn or "")
        return match.group("account") if match else None

    def describe(self) -> str:
        """How a message names these credentials: ``role R (profile P)``, ``profile P``."""
        if self.role_arn is not None:
            via = f" (assumed with profile {self.profile})" if self.profile else ""
            return f"role {self.role_arn}{via}"
        if self.profile is not None:
            return f"profile {self.profile}"
        return "the default credentials"


@dataclass(frozen=True, kw_only=True, slots=True)
class QuotaPolicy:
    """The account's rolling claim/release allowance (see DESIGN.md, "The rolling quota").

    AWS: "By default you can claim and release up to 200% of your maximum number
    of active phone numbers ... during a rolling 180 day cycle".
    """

    phone_numbers: int
    window_days: int = 180
    limit_percent: int = 200
    reserve: int = 0
    # Events assumed for the part of the window the history does not cover,
    # counted as if at the end of that span (DESIGN: history coverage).
    assume_prior: int = 0
    # `phone_numbers: auto`: read the applied quota from Service Quotas;
    # `phone_numbers` then holds the user's fallback until it is resolved.
    auto: bool = False

    def __post_init__(self) -> None:
        if self.phone_numbers < 1:
            raise ValueError("phone_numbers must be at least 1")
        if self.assume_prior < 0:
            raise ValueError("assume_prior must not be negative")
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")
        if self.limit_percent < 1:
            raise ValueError("limit_percent must be at least 1")
        if self.reserve < 0:
            raise ValueError("reserve must not be negative")
        if self.reserve > self.limit:
            raise ValueError(f"reserve {self.reserve} is more than the limit {self.limit}")

    @property
    def limit(self) -> int:
        """Claims plus releases allowed in one window: floor(quota * percent / 100)."""
        return self.phone_numbers * self.limit_percent // 100

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)


@dataclass(frozen=True, kw_only=True, slots=True)
class DesiredNumber:
    """A number that must stay claimed. ``line`` is where numbers.yaml lists it."""

    phone_number: str
    description: str | None = None
    line: int | None = None
    # ``tags:`` of the entry, sorted by key: a value sets the tag, None (``key: null``)
    # removes it; keys the file does not name are never touched.
    tags: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        _require_e164(self.phone_number)

    @classmethod
    def proven(cls, phone_number: str, line: int | None) -> DesiredNumber:
        """A plain entry of numbers.yaml whose text the reader has just proven valid
        E.164 (``desired.numbers.written_valid``, a narrower check than
        ``E164_PATTERN``): the value the constructor makes, without checking the same
        text twice (half of what 100,000 entries cost to build)."""
        number = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(number, "phone_number", phone_number)
        setattr_(number, "description", None)
        setattr_(number, "line", line)
        setattr_(number, "tags", ())
        return number


@dataclass(frozen=True, kw_only=True, slots=True)
class DesiredState:
    """A validated numbers.yaml (version 1)."""

    targets: tuple[Target, ...]
    quota: QuotaPolicy
    numbers: tuple[DesiredNumber, ...]
    # safety.max_releases; 10 when numbers.yaml omits it, None only if set so on purpose.
    max_releases: int | None = DEFAULT_MAX_RELEASES
    allow_empty: bool = False
    source: str = "numbers.yaml"
    fingerprint: str = ""
    # safety.release_types / safety.release_imported: the ownership policy. A number
    # of another type, or imported (SourcePhoneNumberArn), is never released.
    release_types: frozenset[NumberType] = DEFAULT_RELEASE_TYPES
    release_imported: bool = False
    # targets[].role_arn / external_id / profile, by account (one account's targets
    # share them); an account not listed uses the default credentials.
    access: tuple[tuple[str, TargetAccess], ...] = ()

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError("at least one target is required")
        for kind in self.release_types:
            NumberType(kind)  # ValueError for a type botocore's model does not know
        if self.max_releases is not None and self.max_releases < 0:
            raise ValueError("max_releases must not be negative")
        if len({n.phone_number for n in self.numbers}) != len(self.numbers):
            seen: set[str] = set()
            for number in self.numbers:
                if number.phone_number in seen:
                    raise ValueError(f"duplicate desired number {number.phone_number}")
                seen.add(number.phone_number)

    @property
    def target_arns(self) -> frozenset[str]:
        return frozenset(t.arn for t in self.targets)

    def access_by_account(self) -> dict[str, TargetAccess]:
        """The credentials of each account whose targets name a role or profile."""
        return dict(self.access)


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryEvent:
    """One completed claim or release, counted against the rolling quota.

    ``phone_number`` is None for an imported release whose number AWS did not
    log (CloudTrail records only the id of a released number). ``scope`` is the
    ``ACCOUNT/REGION`` it counted against (``scope_of`` its target's ARN); None
    when unknown (hand-written history), and then it counts against every one.
    """

    action: Action
    phone_number: str | None
    at: datetime
    scope: str | None = None

    def __post_init__(self) -> None:
        _require_utc("at", self.at)


@dataclass(frozen=True, kw_only=True, slots=True)
class TrailEvent:
    """A ClaimPhoneNumber or ReleasePhoneNumber call as CloudTrail logged it."""

    event_id: str
    action: Action
    at: datetime
    phone_number: str | None = None
    phone_number_id: str | None = None
    target_arn: str | None = None
    client_token: str | None = None  # a replayed token is logged again: the same action
    error_code: str | None = None  # the call failed: nothing happened
    # ACCOUNT/REGION of the call (CloudTrail's recipientAccountId and awsRegion):
    # whose rolling quota it counts against, also when the target is not logged.
    scope: str | None = None

    def __post_init__(self) -> None:
        _require_utc("at", self.at)


@dataclass(frozen=True, kw_only=True, slots=True)
class LiveNumber:
    """A number claimed in Connect, as the inventory adapter read it.

    ``status`` is None when it was not described (ListPhoneNumbersV2 carries no
    status); the planner never releases a number whose status is not CLAIMED.
    ``flows`` are the ARNs of the flows the number is associated with.
    """

    phone_number: str
    phone_number_id: str
    phone_number_arn: str
    target_arn: str
    instance_id: str | None = None
    country_code: str | None = None
    number_type: str | None = None
    description: str | None = None
    status: NumberStatus | None = None
    status_message: str | None = None
    flows: tuple[str, ...] = ()
    # ``SourcePhoneNumberArn``: set when the number was imported (ImportPhoneNumber)
    # from AWS End User Messaging SMS rather than claimed from Connect's inventory.
    source_phone_number_arn: str | None = None
    # Tags, sorted by key, as DescribePhoneNumber answered them; None when not read
    # (ListPhoneNumbersV2 carries no tags: only numbers whose entry names tags are read).
    tags: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        _require_e164(self.phone_number)


def fingerprint_row(n: LiveNumber) -> str:
    """One number's row of ``Inventory.fingerprint``."""
    if n.status is None:
        return f"N|{n.phone_number_id}|{n.phone_number}|{n.target_arn}|-|\n"
    flows = ",".join(sorted(n.flows))
    return f"N|{n.phone_number_id}|{n.phone_number}|{n.target_arn}|{n.status.value}|{flows}\n"


@dataclass(frozen=True, kw_only=True, slots=True)
class Inventory:
    """The live numbers of the listed targets, and which targets were read."""

    targets: tuple[str, ...]
    numbers: tuple[LiveNumber, ...]

    def fingerprint(self) -> str:
        """A digest of what a plan depends on: ids, numbers, targets, statuses, and the
        flows of the numbers whose status was read (the release candidates). Other
        numbers' flows are read only as far as flow impact needs them (a listing of
        flow associations may stop early), so they are left out: the same account
        and file give the same digest however far the flows were read."""
        import hashlib

        digest = hashlib.sha256()
        for arn in sorted(self.targets):
            digest.update(f"T|{arn}\n".encode())
        # Hashed at once: the same digest as a row at a time, in a fifth of the time.
        ordered = sorted(self.numbers, key=attrgetter("phone_number_id"))
        digest.update("".join([fingerprint_row(n) for n in ordered]).encode())
        return "sha256:" + digest.hexdigest()


@dataclass(frozen=True, kw_only=True, slots=True)
class Policy:
    """What a run allows beyond numbers.yaml (flags of the run, not of the file)."""

    allow_mass_release: bool = False
    # `--fit` (Pulumi: connect-numbers:fitToQuota): when the releases do not fit the
    # rolling quota, plan those that fit now and defer the rest (planner.plan).
    fit: bool = False
