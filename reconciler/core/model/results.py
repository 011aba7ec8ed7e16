"""What the core produces: a ``Plan`` (its releases, keeps, updates, deferred and
skipped numbers, refusals and quota reports), the quota window now, and the report
of an apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from reconciler.core.model.common import _require_utc
from reconciler.core.model.inputs import DEFAULT_RELEASE_TYPES, HistoryEvent, Policy


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


class RefusalCode(StrEnum):
    """Stable codes of the planner's safety rules (part of the plan JSON contract)."""

    QUOTA_EXCEEDED = "quota_exceeded"
    EMPTY_DESIRED_STATE = "empty_desired_state"
    MASS_RELEASE = "mass_release"


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
