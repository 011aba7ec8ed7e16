"""The planner: a pure function from (desired, inventory, history, policy, now) to a Plan.

Everything that decides what is released lives here, so it can be tested
exhaustively without AWS. The rules, each evaluated on every plan so that a
reviewer sees every broken rule in one round:

- only numbers claimed to a listed target are managed; all others are invisible;
- a managed number that numbers.yaml does not list is released, unless the
  ownership policy protects it (``OWNERSHIP_RULES``: its type is not in
  ``safety.release_types``, or it was imported and ``safety.release_imported``
  is false) or its status is not CLAIMED (IN_PROGRESS, FAILED, or not
  described): then it is skipped and the plan says why;
- a desired number not claimed to any target is drift (``missing``);
- refusals (``RefusalCode``): the rolling quota, an empty desired state against
  a non-empty inventory, and more releases than ``safety.max_releases``;
- ``--fit`` (``Policy.fit``): releases the quota has no room for now are not
  refused but deferred, each with the date it fits (``fit_order``, ``_fit``).

What apply decides with a plan (confirm, staleness, the gates, the ledger's
evidence) is in ``apply_rules``; the rolling quota of each account and region
(``quota_groups``, ``windows``) in ``quota``; CloudTrail imports in ``trail``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from reconciler.core import quota
from reconciler.core.model import (
    Deferred,
    DesiredNumber,
    DesiredState,
    HistoryEvent,
    HistorySource,
    Inventory,
    Keep,
    LiveNumber,
    Missing,
    NumberStatus,
    Plan,
    Policy,
    QuotaGroup,
    Refusal,
    RefusalCode,
    Release,
    Skipped,
    Update,
    scope_of,
)
from reconciler.core.prepared import Prepared, entries_by_number, make_keep

__all__ = [
    "OWNERSHIP_RULES",
    "OwnershipRule",
    "Prepared",
    "fit_order",
    "kept_arns",
    "listing_refusals",
    "managed_numbers",
    "metadata_update",
    "plan",
    "protection",
    "release_candidates",
    "skip_reason",
    "skipped_entry",
    "tag_candidates",
]


def managed_numbers(desired: DesiredState, inventory: Inventory) -> list[LiveNumber]:
    """The live numbers claimed to one of the targets numbers.yaml lists."""
    targets = desired.target_arns
    return [n for n in inventory.numbers if n.target_arn in targets]


def release_candidates(desired: DesiredState, inventory: Inventory) -> list[LiveNumber]:
    """Managed numbers that numbers.yaml does not keep, before status checks.

    The inventory adapter describes exactly these (ListPhoneNumbersV2 has no
    status field), so reading costs one DescribePhoneNumber per would-be release.
    Numbers the ownership policy protects are no candidates (the listing carries
    their type and SourcePhoneNumberArn): never described, never counted as releases.
    """
    keep = {d.phone_number for d in desired.numbers}
    return [
        n
        for n in managed_numbers(desired, inventory)
        if n.phone_number not in keep and protection(n, desired) is None
    ]


def tag_candidates(desired: DesiredState, inventory: Inventory) -> list[LiveNumber]:
    """Kept numbers whose numbers.yaml entry names tags: the only kept numbers described
    (ListPhoneNumbersV2 carries no tags, DescribePhoneNumber does). A file that names no
    tags costs no describe for them: a plan with nothing to release stays at the listing."""
    tagged = {d.phone_number for d in desired.numbers if d.tags}
    if not tagged:
        return []
    return [n for n in managed_numbers(desired, inventory) if n.phone_number in tagged]


def kept_arns(desired: DesiredState, inventory: Inventory) -> frozenset[str]:
    """The ARNs of the managed numbers numbers.yaml keeps: a flow of a release that one
    of them has is not deactivated (flow impact), whatever else has it."""
    keep = {d.phone_number for d in desired.numbers}
    return frozenset(
        n.phone_number_arn for n in managed_numbers(desired, inventory) if n.phone_number in keep
    )


def listing_refusals(
    desired: DesiredState,
    listed: Inventory,
    policy: Policy,
    candidates: Sequence[LiveNumber] | None = None,
) -> tuple[Refusal, ...]:
    """The rules the listing alone decides, before any status or flow is read.

    DESIGN.md: "Rules that need no describe are decided first". An empty numbers
    file against a non-empty inventory is refused whatever the statuses are. The
    mass-release rule counts the release candidates: every managed number the file
    does not keep, whatever its status now (one IN_PROGRESS now is released by a
    later run), so that a plan releasing too much is refused after the listing
    alone, not after one DescribePhoneNumber per number (minutes at 2 requests/s).
    A plan these refuse is made with no describe and no flow lookup
    (``service.make_plan``; its ``Plan.described`` is False). ``candidates``: the
    listing's ``release_candidates``, when the caller has them already.
    """
    # Only an empty file needs the managed numbers (_empty_refusal).
    managed = () if desired.numbers else managed_numbers(desired, listed)
    if candidates is None:
        candidates = release_candidates(desired, listed)
    found = (_empty_refusal(desired, managed), _mass_refusal(desired, policy, len(candidates)))
    return tuple(r for r in found if r is not None)


def _empty_refusal(desired: DesiredState, managed: Sequence[LiveNumber]) -> Refusal | None:
    if desired.numbers or not managed or desired.allow_empty:
        return None
    return Refusal(
        code=RefusalCode.EMPTY_DESIRED_STATE,
        message=(
            f"{desired.source} lists no numbers but {len(managed)} number(s) are claimed "
            "to its targets; a truncated file must never release an account's numbers. "
            "If releasing every number is intended, set `allow_empty: true`"
        ),
    )


def _mass_refusal(desired: DesiredState, policy: Policy, planned: int) -> Refusal | None:
    limit = desired.max_releases
    if limit is None or planned <= limit or policy.allow_mass_release:
        return None
    return Refusal(
        code=RefusalCode.MASS_RELEASE,
        message=(
            f"the plan releases {planned} numbers, more than safety.max_releases "
            f"= {limit} in {desired.source}. If intended, pass --allow-mass-release to "
            "both `connect-numbers plan` and `connect-numbers apply` (Pulumi: "
            "`pulumi config set connect-numbers:allowMassRelease true`)"
        ),
    )


# --- The ownership policy (issue 14) ---------------------------------------------------
# Whose number is it to give away? Only DID and TOLL_FREE numbers claimed from
# Connect's inventory are released by default. botocore's Connect model
# (ListPhoneNumbersSummary) gives every listed number a PhoneNumberType and, when
# it was imported from AWS End User Messaging SMS (ImportPhoneNumber), a
# SourcePhoneNumberArn; both come with the listing, so this is decided with no
# describe. Each rule names the numbers.yaml setting that widens it.

# Why a type is protected by default, for the plan's reason.
_TYPE_WHY: Mapping[str, str] = {
    "UIFN": "a UIFN (international toll-free) takes a support case and several countries "
    "to get back",
    "SHARED": "a shared number is not the account's to give away",
    "THIRD_PARTY_DID": "a third-party number is not the account's to give away",
    "THIRD_PARTY_TF": "a third-party number is not the account's to give away",
    "SHORT_CODE": "a short code is not claimed from Connect's inventory like a DID",
}


def _type_reason(number: LiveNumber, desired: DesiredState) -> str:
    allowed = ", ".join(sorted(desired.release_types)) or "none"
    if number.number_type is None:
        return (
            f"type unknown (not listed), and only the types in safety.release_types "
            f"({allowed}) are released"
        )
    why = _TYPE_WHY.get(number.number_type, "its type is not released by default")
    return (
        f"type {number.number_type} is not in safety.release_types ({allowed}) of "
        f"{desired.source}: {why}. To release it, add {number.number_type} to "
        "safety.release_types"
    )


def _imported_reason(number: LiveNumber, desired: DesiredState) -> str:
    return (
        f"imported from {number.source_phone_number_arn} (AWS End User Messaging SMS): "
        f"an imported number is released only with safety.release_imported: true in "
        f"{desired.source}"
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class OwnershipRule:
    """One rule of the ownership policy: the setting that widens it, when it protects
    a number, and the reason the plan gives."""

    setting: str
    protects: Callable[[LiveNumber, DesiredState], bool]
    reason: Callable[[LiveNumber, DesiredState], str]


OWNERSHIP_RULES: tuple[OwnershipRule, ...] = (
    OwnershipRule(
        setting="safety.release_types",
        protects=lambda n, d: n.number_type not in d.release_types,
        reason=_type_reason,
    ),
    OwnershipRule(
        setting="safety.release_imported",
        protects=lambda n, d: n.source_phone_number_arn is not None and not d.release_imported,
        reason=_imported_reason,
    ),
)


def protection(number: LiveNumber, desired: DesiredState) -> tuple[tuple[str, ...], str] | None:
    """The settings that protect ``number`` from release and why (every rule that
    applies, so one edit of numbers.yaml widens all of them), or None."""
    found = [rule for rule in OWNERSHIP_RULES if rule.protects(number, desired)]
    if not found:
        return None
    settings = tuple(rule.setting for rule in found)
    return settings, "protected: " + "; and ".join(rule.reason(number, desired) for rule in found)


def skip_reason(number: LiveNumber) -> str | None:
    """Why a number is not released for its status (not CLAIMED), or None."""
    if number.status is NumberStatus.CLAIMED:
        return None
    if number.status is None:
        return "status unknown (not described); never released without a CLAIMED status"
    detail = f": {number.status_message}" if number.status_message else ""
    return f"status {number.status.value}{detail}"


def skipped_entry(
    number: LiveNumber | Release, reason: str, *, protected_by: tuple[str, ...] = ()
) -> Skipped:
    """The plan's entry for a number it does not release, and why."""
    return Skipped(
        phone_number=number.phone_number,
        phone_number_id=number.phone_number_id,
        target_arn=number.target_arn,
        reason=reason,
        protected_by=protected_by,
        number_type=number.number_type,
    )


def _flow_effects(
    releases: list[LiveNumber], managed: Iterable[LiveNumber]
) -> Callable[[LiveNumber], tuple[str, ...]]:
    """Which flows each number of ``releases`` leaves without any number (AWS
    deactivates them). Only the releases' flows are counted: the usual plan of
    100,000 numbers has a handful, or none, and then nothing is walked."""
    released = {n.phone_number_id for n in releases}
    asked = {f for n in releases for f in n.flows}
    remaining: Counter[str] = Counter()
    if asked:
        for n in managed:
            if n.flows and n.phone_number_id not in released:
                remaining.update(f for f in n.flows if f in asked)
    return lambda n: tuple(sorted(f for f in n.flows if remaining[f] == 0))


def fit_order(
    deactivated: Callable[[LiveNumber], tuple[str, ...]],
) -> Callable[[LiveNumber], tuple[bool, str, str]]:
    """The order in which ``--fit`` spends the room of the quota (documented, stable):
    first the releases that deactivate no flow (of the whole plan), then the others,
    each group by number (then by id)."""
    return lambda n: (bool(deactivated(n)), n.phone_number, n.phone_number_id)


def _fit(
    candidates: Sequence[LiveNumber],
    deactivated: Callable[[LiveNumber], tuple[str, ...]],
    events: Sequence[HistoryEvent],
    desired: DesiredState,
    *,
    now: datetime,
    covered_since: datetime | None,
) -> tuple[list[LiveNumber], list[Deferred]]:
    """Split the releases into those that fit the quota now and those deferred.

    Each account and region has its own room (AWS counts per account and region).
    In ``fit_order``, a release is made now while ``used + made + 1 + reserve <=
    limit``; each later one is deferred with ``fits_at``, the date it fits given the
    releases before it, each made at its own date (``quota.schedule``).
    """
    order = fit_order(deactivated)
    by_scope: dict[str | None, list[LiveNumber]] = {}
    for number in sorted(candidates, key=order):
        by_scope.setdefault(scope_of(number.target_arn), []).append(number)
    fitted: list[LiveNumber] = []
    deferred: list[tuple[LiveNumber, datetime | None]] = []
    for scope, numbers in by_scope.items():
        counted = events if scope is None else quota.in_scope(events, scope)
        times = quota.counted_times(counted, desired.quota, now=now, covered_since=covered_since)
        dates = quota.schedule(times, desired.quota, now=now, count=len(numbers))
        for number, at in zip(numbers, dates, strict=True):
            if at == now:
                fitted.append(number)
            else:
                deferred.append((number, at))
    deferred.sort(key=lambda pair: order(pair[0]))
    return fitted, [
        Deferred(
            phone_number=n.phone_number,
            phone_number_id=n.phone_number_id,
            target_arn=n.target_arn,
            fits_at=_second_after(at),
            flows=tuple(sorted(n.flows)),
        )
        for n, at in deferred
    ]


def _second_after(moment: datetime | None) -> datetime | None:
    """``moment`` rounded up to the second: every view writes dates to the second, and a
    run scheduled at the date shown must find the release fits (never a moment early)."""
    if moment is None or moment.microsecond == 0:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _never_fits_refusal(desired: DesiredState, deferred: Sequence[Deferred]) -> Refusal | None:
    never = [d for d in deferred if d.fits_at is None]
    if not never:
        return None
    q = desired.quota
    return Refusal(
        code=RefusalCode.QUOTA_EXCEEDED,
        message=(
            f"{len(never)} release(s) never fit, even with --fit: quota.reserve {q.reserve} "
            f"in {desired.source} leaves no room in the limit of {q.limit} claim/release "
            "actions per window. Lower quota.reserve or raise the phone-number quota"
        ),
    )


def plan(
    desired: DesiredState,
    inventory: Inventory,
    history: Iterable[HistoryEvent],
    *,
    policy: Policy,
    now: datetime,
    covered_since: datetime | None = None,
    history_source: HistorySource | None = None,
    described: bool = True,
    prepared: Prepared | None = None,
) -> Plan:
    """Diff numbers.yaml against the live inventory and judge the result.

    ``covered_since``: since when the history is complete (None: unknown); the
    plan reports the uncovered part of the window and applies quota.assume_prior.
    ``history_source``: what ``history`` came from; with none (no ledger, no
    CloudTrail) the plan says the used count is unknown. ``described`` False: the
    inventory is the listing alone (a plan ``listing_refusals`` refuses), its
    candidates taken as CLAIMED and their flows not read; the plan says so.
    ``prepared``: the per-number work made ahead while the listing was read
    (``Prepared``); the plan is the same with or without it.
    """
    if prepared is not None and prepared.desired is not desired:
        prepared = None  # made for another file: not used
    keep_of = prepared.keep if prepared is not None else make_keep
    managed = managed_numbers(desired, inventory)
    wanted = prepared.wanted() if prepared is not None else entries_by_number(desired)
    claimed = {n.phone_number for n in managed}

    keeps: list[Keep] = []
    updates: list[Update] = []
    to_release: list[LiveNumber] = []
    skipped: list[Skipped] = []
    for number in managed:
        want = wanted.get(number.phone_number)
        if want is not None:
            keeps.append(keep_of(number, want))
            # metadata_update is None unless the entry names a new description or tags.
            if want.tags or (
                want.description is not None and want.description != number.description
            ):
                update = metadata_update(number, want)
                if update is not None:
                    updates.append(update)
            continue
        protected = protection(number, desired)
        if protected is not None:
            skipped.append(skipped_entry(number, protected[1], protected_by=protected[0]))
            continue
        reason = skip_reason(number)
        if reason is None:
            to_release.append(number)
        else:
            skipped.append(skipped_entry(number, reason))

    deactivated = _flow_effects(to_release, managed)
    deferred: list[Deferred] = []
    candidates = len(to_release)
    if policy.fit:
        history = list(history)
        to_release, deferred = _fit(
            to_release, deactivated, history, desired, now=now, covered_since=covered_since
        )
        # A flow loses its last number now only if every one of its numbers goes now.
        deactivated = _flow_effects(to_release, managed)
    releases = [
        Release(
            phone_number=n.phone_number,
            phone_number_id=n.phone_number_id,
            phone_number_arn=n.phone_number_arn,
            target_arn=n.target_arn,
            description=n.description,
            number_type=n.number_type,
            flows=tuple(sorted(n.flows)),
            deactivated_flows=deactivated(n),
        )
        for n in to_release
    ]
    missing = [
        Missing(phone_number=d.phone_number, description=d.description)
        for d in desired.numbers
        if d.phone_number not in claimed
    ]

    groups = quota.quota_groups(
        history, desired, now=now, releases=releases, covered_since=covered_since
    )
    # The binding group: the one left with the least room after the plan.
    report = min((g.quota for g in groups), key=lambda q: q.limit - q.after - q.reserve)
    known = history_source is None or history_source.known
    refusals = _refusals(desired, policy, managed, groups, candidates, known)
    never = _never_fits_refusal(desired, deferred)
    if never is not None:
        refusals = (never, *refusals)

    return Plan(
        created_at=now,
        numbers_file=desired.source,
        numbers_fingerprint=desired.fingerprint,
        inventory_fingerprint=inventory.fingerprint(),
        targets=tuple(t.arn for t in desired.targets),
        policy=policy,
        max_releases=desired.max_releases,
        allow_empty=desired.allow_empty,
        releases=tuple(sorted(releases, key=_BY_NUMBER)),
        keeps=tuple(sorted(keeps, key=_BY_NUMBER)),
        missing=tuple(sorted(missing, key=attrgetter("phone_number"))),
        skipped=tuple(sorted(skipped, key=_BY_NUMBER)),
        quota=report,
        refusals=refusals,
        quota_groups=groups,
        history=history_source,
        described=described,
        deferred=tuple(deferred),
        updates=tuple(sorted(updates, key=_BY_NUMBER)),
        release_types=tuple(sorted(desired.release_types)),
        release_imported=desired.release_imported,
    )


_BY_NUMBER = attrgetter("phone_number", "phone_number_id")


def metadata_update(number: LiveNumber, wanted: DesiredNumber) -> Update | None:
    """The metadata change of a kept number: its description when numbers.yaml gives
    one that differs (none given: the live one is left alone), and its tags for the keys
    the entry names (``tag_diff``). In place, at no quota cost: never a release and a
    new claim, as a replacement would be."""
    description = wanted.description
    if description == number.description:
        description = None
    tags_set, tags_remove = tag_diff(number.tags, wanted.tags)
    if description is None and not tags_set and not tags_remove:
        return None
    return Update(
        phone_number=number.phone_number,
        phone_number_id=number.phone_number_id,
        phone_number_arn=number.phone_number_arn,
        target_arn=number.target_arn,
        description_from=number.description if description is not None else None,
        description_to=description,
        tags_set=tags_set,
        tags_remove=tags_remove,
        tags_from=tuple(
            (k, v) for k, v in number.tags or () if k in tags_remove or k in dict(tags_set)
        ),
    )


def tag_diff(
    live: tuple[tuple[str, str], ...] | None, wanted: tuple[tuple[str, str | None], ...]
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(tags to set, keys to remove), sorted by key: only the keys numbers.yaml names.

    A key with a value is set when the live value differs or the key is missing; a key
    given as null is removed when the number has it. A key the file does not name is
    never touched. ``live`` None (the tags were not read: a plan refused after the
    listing): no tag change is planned.
    """
    if live is None or not wanted:
        return (), ()
    current = dict(live)
    to_set = tuple((k, v) for k, v in wanted if v is not None and current.get(k) != v)
    to_remove = tuple(k for k, v in wanted if v is None and k in current)
    return to_set, to_remove


def _refusals(
    desired: DesiredState,
    policy: Policy,
    managed: list[LiveNumber],
    groups: Sequence[QuotaGroup],
    planned: int,
    known: bool = True,
) -> tuple[Refusal, ...]:
    """Evaluate every safety rule; list each one that is broken, in a stable order."""
    refusals = list(quota.quota_refusals(groups, known))
    found = (_empty_refusal(desired, managed), _mass_refusal(desired, policy, planned))
    refusals.extend(r for r in found if r is not None)
    return tuple(refusals)
