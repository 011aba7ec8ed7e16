"""Frozen value types shared by every layer. Standard library only.

Values validate themselves on construction (``ValueError`` on a broken
invariant): a ``Plan`` or ``DesiredState`` that exists is well formed. Parsing
user input into these values, with file-and-line errors, is the job of the
adapters (``desired.py``, ``ledger.py``, ``inventory/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "CLOUDTRAIL_RETENTION",
    "DEFAULT_MAX_RELEASES",
    "DEFAULT_RELEASE_TYPES",
    "E164_PATTERN",
    "Action",
    "ApplyReport",
    "Deferred",
    "DesiredNumber",
    "DesiredState",
    "HistoryEvent",
    "HistorySource",
    "Inventory",
    "Keep",
    "LiveNumber",
    "Missing",
    "NumberStatus",
    "NumberType",
    "OutcomeStatus",
    "Plan",
    "Policy",
    "QuotaGroup",
    "QuotaPolicy",
    "QuotaReport",
    "Refusal",
    "RefusalCode",
    "Release",
    "ReleaseOutcome",
    "Skipped",
    "Target",
    "TrailEvent",
    "Update",
    "Window",
    "scope_of",
]

DEFAULT_MAX_RELEASES = 10

# E.164: a plus sign and at most 15 digits, the first not zero (ITU-T E.164 §6).
E164_PATTERN = re.compile(r"^\+[1-9][0-9]{1,14}$")

# arn:aws:connect:REGION:ACCOUNT:instance/ID or .../traffic-distribution-group/ID
_TARGET_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):connect:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+):"
    r"(?P<account>[0-9]{12}):(?P<kind>instance|traffic-distribution-group)/(?P<id>[A-Za-z0-9-]{1,100})$"
)


# Any Connect ARN: its region and account say which rolling quota it counts against.
_CONNECT_ARN = re.compile(
    r"^arn:aws[a-z-]*:connect:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+):(?P<account>[0-9]{12}):"
)


def scope_of(arn: str | None) -> str | None:
    """``ACCOUNT/REGION`` of a Connect ARN: the rolling quota it counts against.

    None when the ARN is missing or not a Connect one: such history is counted
    against every account and region (never undercount).
    """
    match = _CONNECT_ARN.match(arn) if isinstance(arn, str) else None
    return f"{match.group('account')}/{match.group('region')}" if match else None


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, second precision (``2026-06-01T00:00:00Z``)."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _require_utc(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be a timezone-aware UTC datetime, got {value!r}")


def _require_e164(value: str) -> None:
    if not E164_PATTERN.match(value):
        raise ValueError(f"not an E.164 phone number: {value!r}")


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


class RefusalCode(StrEnum):
    """Stable codes of the planner's safety rules (part of the plan JSON contract)."""

    QUOTA_EXCEEDED = "quota_exceeded"
    EMPTY_DESIRED_STATE = "empty_desired_state"
    MASS_RELEASE = "mass_release"


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

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError("at least one target is required")
        for kind in self.release_types:
            NumberType(kind)  # ValueError for a type botocore's model does not know
        if self.max_releases is not None and self.max_releases < 0:
            raise ValueError("max_releases must not be negative")
        seen: set[str] = set()
        for number in self.numbers:
            if number.phone_number in seen:
                raise ValueError(f"duplicate desired number {number.phone_number}")
            seen.add(number.phone_number)

    @property
    def target_arns(self) -> frozenset[str]:
        return frozenset(t.arn for t in self.targets)


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
        for n in sorted(self.numbers, key=lambda n: n.phone_number_id):
            flows = ",".join(sorted(n.flows)) if n.status is not None else ""
            status = n.status.value if n.status else "-"
            digest.update(
                f"N|{n.phone_number_id}|{n.phone_number}|{n.target_arn}|{status}|{flows}\n".encode()
            )
        return "sha256:" + digest.hexdigest()


@dataclass(frozen=True, kw_only=True, slots=True)
class Policy:
    """What a run allows beyond numbers.yaml (flags of the run, not of the file)."""

    allow_mass_release: bool = False
    # `--fit` (Pulumi: connect-numbers:fitToQuota): when the releases do not fit the
    # rolling quota, plan those that fit now and defer the rest (planner.plan).
    fit: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Release:
    phone_number: str
    phone_number_id: str
    phone_number_arn: str
    target_arn: str
    description: str | None = None
    number_type: str | None = None
    flows: tuple[str, ...] = ()
    # Flows whose every number is released by this plan: AWS deactivates a flow
    # "until another number is associated with it".
    deactivated_flows: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Update:
    """A kept number whose metadata numbers.yaml changes in place, at no quota cost
    (UpdatePhoneNumberMetadata; TagResource / UntagResource), never by a release.

    ``description_to`` None: the file gives no description, the live one is left alone.
    Tags are managed only for the keys the file names (``tags_set``, ``tags_remove``).
    """

    phone_number: str
    phone_number_id: str
    phone_number_arn: str
    target_arn: str
    description_from: str | None = None
    description_to: str | None = None
    tags_set: tuple[tuple[str, str], ...] = ()
    tags_remove: tuple[str, ...] = ()
    # The live values of the keys set or removed, sorted by key (a key the number does
    # not have yet is absent): what the plan shows as `~ tags team: "a" -> "b"`.
    tags_from: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Deferred:
    """A release a ``--fit`` plan leaves for later: the quota has no room for it now.

    ``fits_at``: the earliest moment it fits, given the releases ordered before it
    (each made at its own date); None when it never fits (the reserve leaves no room).
    """

    phone_number: str
    phone_number_id: str
    target_arn: str
    fits_at: datetime | None
    flows: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Keep:
    phone_number: str
    phone_number_id: str
    target_arn: str
    description: str | None = None
    # The tags numbers.yaml names for it (None: remove the key): the Pulumi resource's
    # desired tags. Whether they differ from the live ones is an Update's business.
    tags: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Missing:
    """A desired number that is not claimed to any listed target (drift)."""

    phone_number: str
    description: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A number the plan would release but will not touch in this run, and why."""

    phone_number: str
    phone_number_id: str
    target_arn: str
    reason: str
    # The numbers.yaml settings that protect it (``safety.release_types``,
    # ``safety.release_imported``); empty when it is skipped for its status.
    protected_by: tuple[str, ...] = ()
    number_type: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Refusal:
    code: RefusalCode
    message: str


@dataclass(frozen=True, kw_only=True, slots=True)
class QuotaReport:
    """The rolling quota before and after a plan, and when things free up."""

    limit: int
    used: int
    planned: int
    reserve: int
    window_days: int
    phone_numbers: int
    limit_percent: int
    fits_now: int
    history_since: datetime | None = None
    history_events: int = 0
    next_frees_at: datetime | None = None
    whole_plan_fits_at: datetime | None = None
    plan_never_fits: bool = False
    # AWS blocks claims once the window is full; these say until when, now and
    # if the plan is applied at ``now``.
    claims_blocked_until: datetime | None = None
    claims_blocked_after_plan_until: datetime | None = None
    # History coverage: since when the history is complete (None: unknown), the
    # part of the window it does not cover, and the events assumed for that part
    # (quota.assume_prior, counted in `used` as if at the end of the gap).
    covered_since: datetime | None = None
    uncovered_from: datetime | None = None
    uncovered_until: datetime | None = None
    assumed_prior: int = 0
    # The actions counted in the window at now + 0, 1, ..., window_days days, before
    # the plan (quota.outlook): the chart of the window. It moves with the clock, so
    # it is not part of the plan JSON (nor of the plan id), nor of equality.
    outlook: tuple[int, ...] = field(default=(), compare=False)

    @property
    def fully_covered(self) -> bool:
        return self.uncovered_from is None

    @property
    def after(self) -> int:
        return self.used + self.planned

    @property
    def allowed(self) -> bool:
        """The quota allows the plan. A plan that releases nothing is never refused by it,
        even when history alone is over the limit (DESIGN.md, "The rolling quota")."""
        return self.planned == 0 or self.used + self.planned + self.reserve <= self.limit

    @property
    def over_limit(self) -> bool:
        """History alone is over the limit: AWS blocks claims until ``claims_blocked_until``."""
        return self.used > self.limit


# CloudTrail's event history reaches back this far (LookupEvents): an import
# cannot complete the history further back than ``now - CLOUDTRAIL_RETENTION``.
CLOUDTRAIL_RETENTION = timedelta(days=90)


@dataclass(frozen=True, kw_only=True, slots=True)
class HistorySource:
    """What history a plan counted: a ledger (its path or URL), CloudTrail read on the fly.

    With neither, the plan has no history source: how many actions the window
    already holds is unknown, and every view says so, never "0 used" as a fact.
    """

    ledger: str | None = None
    cloudtrail: bool = False

    @property
    def known(self) -> bool:
        return self.ledger is not None or self.cloudtrail

    def describe(self) -> str:
        parts = [f"the ledger {self.ledger}"] if self.ledger is not None else []
        if self.cloudtrail:
            parts.append(f"CloudTrail's last {CLOUDTRAIL_RETENTION.days} days")
        return " and ".join(parts) or "no history source"


@dataclass(frozen=True, kw_only=True, slots=True)
class QuotaGroup:
    """The rolling quota of one account and region, with the plan's releases there."""

    account_id: str
    region: str
    quota: QuotaReport

    @property
    def scope(self) -> str:
        return f"{self.account_id}/{self.region}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Window:
    """The rolling window of one account and region now (``connect-numbers quota``)."""

    account_id: str
    region: str
    quota: QuotaReport  # planned: 0
    events: tuple[HistoryEvent, ...]  # the events counted now, oldest first
    # When one release fits again, if none fits now (None: one fits now, or never).
    room_returns_at: datetime | None = None

    @property
    def scope(self) -> str:
        return f"{self.account_id}/{self.region}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """A complete plan value: what changes, from what inputs, under which policy."""

    created_at: datetime
    numbers_file: str
    numbers_fingerprint: str
    inventory_fingerprint: str
    targets: tuple[str, ...]
    policy: Policy
    max_releases: int | None
    allow_empty: bool
    releases: tuple[Release, ...]
    keeps: tuple[Keep, ...]
    missing: tuple[Missing, ...]
    skipped: tuple[Skipped, ...]
    # The binding quota: the only group's, or with targets in several accounts
    # or regions, the group left with the least room after the plan.
    quota: QuotaReport
    refusals: tuple[Refusal, ...] = field(default=())
    format_version: int = 1
    # One per account and region of the targets, in the order of the targets.
    quota_groups: tuple[QuotaGroup, ...] = field(default=())
    # The history counted, as the front door read it; None: not stated (a plan
    # built directly, as in the core tests), shown as before.
    history: HistorySource | None = None
    # False: refused by a rule the listing alone decides (planner.listing_refusals)
    # before any status or flow was read: the releases are the candidates taken as
    # CLAIMED, and their flows are unknown (not "none").
    described: bool = True
    # A `--fit` plan's releases left for later, in the order they are to be made.
    deferred: tuple[Deferred, ...] = field(default=())
    # Kept numbers whose description numbers.yaml changes: in place, no quota cost.
    updates: tuple[Update, ...] = field(default=())
    # The ownership policy it used (safety.release_types, safety.release_imported).
    release_types: tuple[str, ...] = tuple(sorted(DEFAULT_RELEASE_TYPES))
    release_imported: bool = False

    @property
    def used_known(self) -> bool:
        """Whether the actions already in the window are known (some history was read)."""
        return self.history is None or self.history.known

    def __post_init__(self) -> None:
        _require_utc("created_at", self.created_at)
        if self.history is not None and not self.history.known and self.quota.history_events:
            raise ValueError("a plan with no history source cannot have counted history events")

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    @property
    def has_changes(self) -> bool:
        """True when apply would act: a release or an update in place. Drift alone is not
        a change."""
        return bool(self.releases or self.updates)


class OutcomeStatus(StrEnum):
    """What apply did with one planned release."""

    RELEASED = "released"  # released now, recorded `done`
    UPDATED = "updated"  # metadata changed in place (no release), confirmed by a describe
    ALREADY_DONE = "already_done"  # a previous run of this plan released it
    SKIPPED = "skipped"  # no longer safe to release (state changed): not touched
    FAILED = "failed"  # AWS refused or the outcome is unknown: see message
    NOT_ATTEMPTED = "not_attempted"  # apply stopped before reaching it


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseOutcome:
    phone_number: str
    phone_number_id: str
    status: OutcomeStatus
    message: str = ""
    at: datetime | None = None
    client_token: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ApplyReport:
    """The result of an apply: one outcome per planned release, and why it stopped."""

    plan_id: str
    outcomes: tuple[ReleaseOutcome, ...]
    stopped: str | None = None  # why apply stopped early (a permanent error, a refusal)
    refusals: tuple[Refusal, ...] = ()
    # Releases that earlier, interrupted applies started and never recorded, found
    # done (the number is gone) and recorded by this apply; not part of this plan.
    confirmed: tuple[ReleaseOutcome, ...] = ()

    def count(self, status: OutcomeStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def ok(self) -> bool:
        """Every planned release is done (now or before) or was safely skipped."""
        bad = (OutcomeStatus.FAILED, OutcomeStatus.NOT_ATTEMPTED)
        return self.stopped is None and not any(o.status in bad for o in self.outcomes)
