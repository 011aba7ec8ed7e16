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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from reconciler.core import intents, quota
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
    QuotaReport,
    Refusal,
    RefusalCode,
    Release,
    Skipped,
    TrailEvent,
    Update,
    Window,
    iso,
    scope_of,
)

__all__ = [
    "OWNERSHIP_RULES",
    "Absence",
    "Confirmation",
    "OwnershipRule",
    "absence",
    "assume_claimed",
    "client_token",
    "confirm",
    "expected_gone",
    "fit_order",
    "in_scope",
    "kept_arns",
    "listing_refusals",
    "managed_numbers",
    "metadata_update",
    "plan",
    "progress",
    "protection",
    "quota_gate",
    "quota_groups",
    "release_blocker",
    "release_candidates",
    "releases_gate",
    "settle_failed_call",
    "staleness",
    "tag_candidates",
    "trail_imports",
    "windows",
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
    desired: DesiredState, listed: Inventory, policy: Policy
) -> tuple[Refusal, ...]:
    """The rules the listing alone decides, before any status or flow is read.

    DESIGN.md: "Rules that need no describe are decided first". An empty numbers
    file against a non-empty inventory is refused whatever the statuses are. The
    mass-release rule counts the release candidates: every managed number the file
    does not keep, whatever its status now (one IN_PROGRESS now is released by a
    later run), so that a plan releasing too much is refused after the listing
    alone, not after one DescribePhoneNumber per number (minutes at 2 requests/s).
    A plan these refuse is made with no describe and no flow lookup
    (``service.make_plan``; its ``Plan.described`` is False).
    """
    managed = managed_numbers(desired, listed)
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


def _skip_reason(number: LiveNumber) -> str | None:
    if number.status is NumberStatus.CLAIMED:
        return None
    if number.status is None:
        return "status unknown (not described); never released without a CLAIMED status"
    detail = f": {number.status_message}" if number.status_message else ""
    return f"status {number.status.value}{detail}"


def _quota_refusal(report: QuotaReport, known: bool = True) -> str:
    window = f"rolling {report.window_days}-day window"
    # With no history source, the actions already in the window are unknown: the
    # figures are bounds, never "0 used" stated as a fact.
    used = f"{report.used} used" if known else "used unknown: no history read"
    text = (
        f"releasing {report.planned} number(s) would take the account to "
        f"{'' if known else 'at least '}{report.after + report.reserve} of {report.limit} "
        f"claim/release actions in the {window} ({used}"
        + (f", {report.reserve} reserved" if report.reserve else "")
        + f"; limit {report.limit_percent}% of a quota of {report.phone_numbers}); "
        f"{'' if known else 'at most '}{report.fits_now} release(s) fit now"
    )
    if report.plan_never_fits:
        need = report.planned + report.reserve
        text += (
            f"; the whole plan never fits one window "
            f"({need} actions > limit {report.limit}): split it across windows or raise the quota"
        )
    elif report.whole_plan_fits_at is not None:
        text += f"; the whole plan fits on {iso(report.whole_plan_fits_at)}"
    if report.limit > report.reserve:
        # The way out that needs no one to wait: release what fits, defer the rest.
        text += (
            f". Or plan with `--fit` (Pulumi: connect-numbers:fitToQuota): it releases the "
            f"{report.fits_now} that fit now and defers the other "
            f"{max(0, report.planned - report.fits_now)}, each with the date it fits"
        )
    return text


def _skipped(
    number: LiveNumber | Release, reason: str, *, protected_by: tuple[str, ...] = ()
) -> Skipped:
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
    """Which flows each release leaves without any number (AWS deactivates them)."""
    released = {n.phone_number_id for n in releases}
    remaining: Counter[str] = Counter()
    for n in managed:
        if n.phone_number_id not in released:
            remaining.update(n.flows)
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
        counted = events if scope is None else in_scope(events, scope)
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
) -> Plan:
    """Diff numbers.yaml against the live inventory and judge the result.

    ``covered_since``: since when the history is complete (None: unknown); the
    plan reports the uncovered part of the window and applies quota.assume_prior.
    ``history_source``: what ``history`` came from; with none (no ledger, no
    CloudTrail) the plan says the used count is unknown. ``described`` False: the
    inventory is the listing alone (a plan ``listing_refusals`` refuses), its
    candidates taken as CLAIMED and their flows not read; the plan says so.
    """
    managed = managed_numbers(desired, inventory)
    wanted = {d.phone_number: d for d in desired.numbers}
    claimed = {n.phone_number for n in managed}

    keeps: list[Keep] = []
    updates: list[Update] = []
    to_release: list[LiveNumber] = []
    skipped: list[Skipped] = []
    for number in managed:
        if number.phone_number in wanted:
            keeps.append(
                Keep(
                    phone_number=number.phone_number,
                    phone_number_id=number.phone_number_id,
                    target_arn=number.target_arn,
                    description=wanted[number.phone_number].description or number.description,
                    tags=wanted[number.phone_number].tags,
                )
            )
            update = metadata_update(number, wanted[number.phone_number])
            if update is not None:
                updates.append(update)
            continue
        protected = protection(number, desired)
        if protected is not None:
            skipped.append(_skipped(number, protected[1], protected_by=protected[0]))
            continue
        reason = _skip_reason(number)
        if reason is None:
            to_release.append(number)
        else:
            skipped.append(_skipped(number, reason))

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

    groups = quota_groups(history, desired, now=now, releases=releases, covered_since=covered_since)
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
        releases=tuple(sorted(releases, key=lambda r: (r.phone_number, r.phone_number_id))),
        keeps=tuple(sorted(keeps, key=lambda k: (k.phone_number, k.phone_number_id))),
        missing=tuple(sorted(missing, key=lambda m: m.phone_number)),
        skipped=tuple(sorted(skipped, key=lambda s: (s.phone_number, s.phone_number_id))),
        quota=report,
        refusals=refusals,
        quota_groups=groups,
        history=history_source,
        described=described,
        deferred=tuple(deferred),
        updates=tuple(sorted(updates, key=lambda u: (u.phone_number, u.phone_number_id))),
        release_types=tuple(sorted(desired.release_types)),
        release_imported=desired.release_imported,
    )


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


def in_scope(history: Iterable[HistoryEvent], scope: str) -> list[HistoryEvent]:
    """The events that count against ``scope``'s quota (unknown scope: every quota)."""
    return [e for e in history if e.scope is None or e.scope == scope]


def quota_groups(
    history: Iterable[HistoryEvent],
    desired: DesiredState,
    *,
    now: datetime,
    releases: Sequence[Release],
    covered_since: datetime | None = None,
) -> tuple[QuotaGroup, ...]:
    """The rolling quota of each account and region of the targets, with its releases.

    AWS counts claims and releases per account and region; an event whose scope
    is unknown is counted in every group.
    """
    events = list(history)
    planned = Counter(scope_of(r.target_arn) for r in releases)
    groups = []
    for target in dict.fromkeys(t.scope for t in desired.targets):
        account_id, region = target.split("/")
        report = quota.assess(
            in_scope(events, target),
            desired.quota,
            now=now,
            planned=planned[target],
            covered_since=covered_since,
        )
        groups.append(QuotaGroup(account_id=account_id, region=region, quota=report))
    return tuple(groups)


def windows(
    history: Iterable[HistoryEvent],
    desired: DesiredState,
    *,
    now: datetime,
    covered_since: datetime | None = None,
) -> tuple[Window, ...]:
    """The rolling window now of each account and region of the targets
    (``connect-numbers quota``): its figures, the events it counts, when room returns."""
    events = list(history)
    policy = desired.quota
    found = []
    for group in quota_groups(events, desired, now=now, releases=(), covered_since=covered_since):
        scoped = in_scope(events, group.scope)
        start = now - policy.window
        counted = sorted((e for e in scoped if start < e.at), key=lambda e: e.at)
        times = quota.counted_times(scoped, policy, now=now, covered_since=covered_since)
        first = quota.schedule(times, policy, now=now, count=1)[0]
        found.append(
            Window(
                account_id=group.account_id,
                region=group.region,
                quota=group.quota,
                events=tuple(counted),
                room_returns_at=first if first != now else None,
            )
        )
    return tuple(found)


def _quota_refusals(groups: Sequence[QuotaGroup], known: bool = True) -> Iterator[Refusal]:
    for group in groups:
        if not group.quota.allowed:
            where = f"account {group.account_id}, {group.region}: " if len(groups) > 1 else ""
            message = where + _quota_refusal(group.quota, known)
            yield Refusal(code=RefusalCode.QUOTA_EXCEEDED, message=message)


def _refusals(
    desired: DesiredState,
    policy: Policy,
    managed: list[LiveNumber],
    groups: Sequence[QuotaGroup],
    planned: int,
    known: bool = True,
) -> tuple[Refusal, ...]:
    """Evaluate every safety rule; list each one that is broken, in a stable order."""
    refusals = list(_quota_refusals(groups, known))
    found = (_empty_refusal(desired, managed), _mass_refusal(desired, policy, planned))
    refusals.extend(r for r in found if r is not None)
    return tuple(refusals)


# --- Apply-time decisions -------------------------------------------------------
# The executor performs I/O; these pure functions decide for it.


def client_token(plan_id: str, phone_number_id: str) -> str:
    """ReleasePhoneNumber's ClientToken: deterministic, so a retried or resumed apply
    of the same plan can never release twice (AWS: same token = same request)."""
    return f"{plan_id}/{phone_number_id}"


def progress(
    records: Iterable[Mapping[str, object]], plan_id: str
) -> tuple[frozenset[str], frozenset[str]]:
    """From the ledger's records: the ids this plan released (``done``), and those it
    started without a recorded outcome or with a failure (``attempted``)."""
    mine = [r for r in records if r.get("plan_id") == plan_id and r.get("action") == "release"]
    done = frozenset(str(r.get("phone_number_id")) for r in mine if r.get("status") == "done")
    attempted = frozenset(str(r.get("phone_number_id")) for r in mine) - done
    return done, attempted


def expected_gone(records: Sequence[Mapping[str, object]]) -> frozenset[str]:
    """The number ids whose release the ledger records (``done``) or still counts (an
    unsettled intent, of any plan): such a number missing from the inventory is
    expected, not a sign that a plan went stale."""
    released = {
        str(r.get("phone_number_id"))
        for r in records
        if r.get("action") == "release" and r.get("status") == intents.DONE
    }
    started = {str(records[i].get("phone_number_id")) for i in intents.unsettled(records)}
    return frozenset(released | started)


class Absence(StrEnum):
    """What a planned release whose number is no longer claimed means (the ledger says)."""

    RECORDED = "recorded"  # a `done` record already counts its release: write nothing
    CONFIRMED = "confirmed"  # an intent no record settles: it happened; record `done`
    GONE = "gone"  # no trace of it: released or moved by someone else; skip it


def absence(records: Sequence[Mapping[str, object]], phone_number_id: str) -> tuple[Absence, str]:
    """Judge a number found gone just before its release, from the ledger's records.

    When in doubt, count (DESIGN.md, "The rolling quota"): a number found gone
    after an intent that no record settles, whatever plan or killed apply wrote
    it, was released by that intent's call, so it is recorded ``done`` (never
    ``skipped``, which would forget a release the account counts).
    """
    for record in records:
        if (
            record.get("phone_number_id") == phone_number_id
            and record.get("action") == "release"
            and record.get("status") == intents.DONE
        ):
            return Absence.RECORDED, (
                f"released and recorded earlier (plan {record.get('plan_id') or 'unknown'})"
            )
    for index in intents.unsettled(records):
        intent = records[index]
        if intent.get("phone_number_id") == phone_number_id:
            return Absence.CONFIRMED, (
                "confirmed: number no longer claimed after an interrupted release "
                f"(intent of plan {intent.get('plan_id') or 'unknown'} at {intent.get('at')})"
            )
    return Absence.GONE, "no longer claimed (released or moved by someone else)"


def settle_failed_call(
    current: LiveNumber | None,
    release: Release,
    *,
    described: bool,
    before_effect: bool,
    code: str,
    error: str,
) -> tuple[str, str]:
    """The record status and note of a release whose ReleasePhoneNumber call failed.

    ``current`` is the number as described after the failure (None: gone;
    ``described`` False: the describe failed too). Only positive evidence may
    stop an intent from counting: an error AWS raises before any effect
    (``before_effect``: a 4xx refusal, not a throttle, 5xx, lost connection or
    ResourceNotFoundException) *and* the number still claimed afterwards
    (``failed``). A number gone after the call, whatever it answered, is a
    release that happened (``done``). Anything else is ``unknown`` and keeps
    counting: ResourceNotFoundException for a number a describe still finds
    claimed is a contradiction, not evidence, and the next run retries with
    the same token.
    """
    if described and current is None:
        return intents.DONE, (
            f"confirmed: number no longer claimed after ReleasePhoneNumber answered {code}"
        )
    still_claimed = current is not None and current.phone_number == release.phone_number
    if described and before_effect and still_claimed:
        return "failed", f"not released: {error}"
    return intents.UNKNOWN, (
        f"outcome unknown: {error}. Run apply again: the same client token makes the "
        "retry safe, and a release that happened will be recorded"
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Confirmation:
    """What apply may do with a saved plan, re-decided on a fresh one (``confirm``)."""

    releases: tuple[Release, ...]  # releases in both plans (or this plan's own, settled)
    dropped: tuple[Skipped, ...]  # saved releases the fresh plan does not make, and why
    refusals: tuple[Refusal, ...]  # the saved plan's and the fresh plan's, each once
    updates: tuple[Update, ...] = ()  # metadata updates in both plans


def _why_dropped(fresh: Plan, release: Release) -> str:
    pid = release.phone_number_id
    if any(k.phone_number_id == pid for k in fresh.keeps):
        return f"not released: a fresh plan keeps it ({fresh.numbers_file} lists it)"
    skipped = next((s for s in fresh.skipped if s.phone_number_id == pid), None)
    if skipped is not None:
        return f"not released: a fresh plan skips it ({skipped.reason})"
    other = next((r for r in fresh.releases if r.phone_number_id == pid), None)
    if other is not None:
        return (
            f"not released: a fresh plan releases id {pid} as {other.phone_number} on "
            f"{other.target_arn}, not as the saved plan says"
        )
    return "not released: a fresh plan does not release it (not claimed to a target now)"


def confirm(saved: Plan, fresh: Plan | None, settled: frozenset[str] = frozenset()) -> Confirmation:
    """Bound a saved plan by a fresh plan made now: a saved plan is a record, not an authority.

    A plan file can be edited and its id recomputed (the id is an unkeyed digest), so
    apply re-decides every rule on the numbers file, live inventory and history as they
    are now (``fresh``) and may release only what is a release in both plans: the
    refusals are the saved plan's and the fresh plan's, and a saved release is kept only
    if the fresh plan releases the same id, number and target. ``settled``: ids this
    plan already released or started (expected gone from the inventory, so missing from
    the fresh plan); they stay, for the executor to report or settle from the ledger.
    ``fresh`` None (apply plans and applies in one run): the plan is its own fresh plan.
    """
    if fresh is None:
        return Confirmation(
            releases=saved.releases, dropped=(), refusals=saved.refusals, updates=saved.updates
        )
    now = {(r.phone_number_id, r.phone_number, r.target_arn) for r in fresh.releases}
    releases: list[Release] = []
    dropped: list[Skipped] = []
    for r in saved.releases:
        if (r.phone_number_id, r.phone_number, r.target_arn) in now or r.phone_number_id in settled:
            releases.append(r)
        else:
            dropped.append(_skipped(r, _why_dropped(fresh, r)))
    refusals = saved.refusals + tuple(r for r in fresh.refusals if r not in saved.refusals)
    updates = tuple(u for u in saved.updates if u in fresh.updates)
    return Confirmation(
        releases=tuple(releases), dropped=tuple(dropped), refusals=refusals, updates=updates
    )


def assume_claimed(listed: Inventory, ids: Iterable[str]) -> Inventory:
    """The listed inventory (ListPhoneNumbersV2 has no status) with ``ids`` taken as CLAIMED.

    What apply takes a saved plan's releases to be until each is described just before
    its release (``release_blocker`` then skips one not CLAIMED): describing every one
    up front would add R calls to apply's start-up, and a number taken as CLAIMED can
    only count more against the rules, never less.
    """
    claimed = frozenset(ids)
    return replace(
        listed,
        numbers=tuple(
            replace(n, status=NumberStatus.CLAIMED) if n.phone_number_id in claimed else n
            for n in listed.numbers
        ),
    )


def staleness(
    saved: Plan, desired: DesiredState, listed: Inventory, settled: frozenset[str]
) -> tuple[str, ...]:
    """What changed since a reviewed plan was made; empty when it still holds.

    ``listed`` is the inventory as listed now (no statuses: describing every
    candidate again would double apply's API calls; each release re-describes
    its own number just before it is released). ``settled`` are the ids this
    plan already released or attempted, which are expected to be gone.
    """
    released = {r.phone_number_id for r in saved.releases}
    # A `--fit` plan's deferred numbers are not described at apply either: known.
    skipped = {s.phone_number_id for s in saved.skipped} | {
        d.phone_number_id for d in saved.deferred
    }
    assumed = assume_claimed(listed, released)
    fresh = plan(desired, assumed, (), policy=saved.policy, now=saved.created_at)
    changes: list[str] = []
    if saved.numbers_fingerprint != desired.fingerprint:
        changes.append(
            f"{desired.source} changed since the plan was made "
            f"({saved.numbers_fingerprint[:19]}... -> {desired.fingerprint[:19]}...)"
        )
    if set(saved.targets) != set(fresh.targets):
        changes.append("the targets changed")
    old = {r.phone_number_id: r for r in saved.releases}
    for r in fresh.releases:
        if r.phone_number_id in old and set(r.flows) != set(old[r.phone_number_id].flows):
            before = ", ".join(old[r.phone_number_id].flows) or "none"
            changes.append(
                f"{r.phone_number}: its flows changed ({before} -> {', '.join(r.flows) or 'none'})"
            )
    now_ids = {r.phone_number_id for r in fresh.releases}
    for s in fresh.skipped:
        if s.phone_number_id not in skipped and s.phone_number_id not in released:
            changes.append(
                f"{s.phone_number} ({s.phone_number_id}) is newly claimed to a target and is "
                "not in numbers.yaml"
            )
    kept_then = {k.phone_number_id for k in saved.keeps}
    kept_now = {k.phone_number_id for k in fresh.keeps}
    protected_now = {s.phone_number_id: s.reason for s in fresh.skipped if s.protected_by}
    for r in saved.releases:
        if r.phone_number_id in kept_now:
            changes.append(
                f"{r.phone_number} ({r.phone_number_id}) is kept by {desired.source}, "
                "but the plan releases it"
            )
        elif r.phone_number_id in protected_now and r.phone_number_id not in settled:
            # The ownership policy: a saved plan (edited, or made under a wider
            # safety.release_types) cannot release what numbers.yaml protects now.
            changes.append(
                f"{r.phone_number} ({r.phone_number_id}) is not released by a fresh plan: "
                f"{protected_now[r.phone_number_id]}"
            )
        elif r.phone_number_id not in now_ids and r.phone_number_id not in settled:
            changes.append(f"{r.phone_number} ({r.phone_number_id}) is no longer claimed")
    changes.extend(
        f"{k.phone_number} ({k.phone_number_id}) is newly kept"
        for k in fresh.keeps
        if k.phone_number_id not in kept_then
    )
    changes.extend(
        f"{k.phone_number} ({k.phone_number_id}) was kept and is gone"
        for k in saved.keeps
        if k.phone_number_id not in kept_now
    )
    return tuple(changes)


def release_blocker(
    release: Release, current: LiveNumber | None, desired: DesiredState
) -> str | None:
    """Why a planned release must not happen now (state changed), or None if safe."""
    if any(d.phone_number == release.phone_number for d in desired.numbers):
        return f"{release.phone_number} is now in {desired.source}"
    if current is None:
        return "no longer claimed (released or moved by someone else)"
    if current.phone_number != release.phone_number:
        return f"id {release.phone_number_id} now belongs to {current.phone_number}"
    if current.target_arn != release.target_arn:
        return f"moved to {current.target_arn}"
    protected = protection(current, desired)
    if protected is not None:
        return protected[1]
    if current.status is not NumberStatus.CLAIMED:
        return _skip_reason(current)
    return None


def quota_gate(
    history: Iterable[HistoryEvent],
    desired: DesiredState,
    *,
    now: datetime,
    planned: int,
    covered_since: datetime | None = None,
    scope: str | None = None,
) -> Refusal | None:
    """Re-check the rolling quota just before releasing (the ledger may have grown).

    ``scope``: the ``ACCOUNT/REGION`` whose quota the releases count against
    (None: count every event, for callers that know a single scope).
    """
    events = list(history) if scope is None else in_scope(history, scope)
    report = quota.assess(
        events, desired.quota, now=now, planned=planned, covered_since=covered_since
    )
    if report.allowed:
        return None
    return Refusal(code=RefusalCode.QUOTA_EXCEEDED, message=_quota_refusal(report))


def releases_gate(
    history: Iterable[HistoryEvent],
    desired: DesiredState,
    *,
    now: datetime,
    releases: Sequence[Release],
    covered_since: datetime | None = None,
) -> Refusal | None:
    """Re-check, before an apply starts, that each account and region has room for its releases."""
    groups = quota_groups(history, desired, now=now, releases=releases, covered_since=covered_since)
    return next(_quota_refusals(groups), None)


# --- History imports -----------------------------------------------------------------

# How far apart our own record and CloudTrail's event of the same call may be.
TRAIL_TOLERANCE = timedelta(minutes=10)


def trail_imports(
    trail: Iterable[TrailEvent],
    records: Iterable[Mapping[str, object]],
    *,
    tolerance: timedelta = TRAIL_TOLERANCE,
) -> list[TrailEvent]:
    """The CloudTrail events to add to the ledger: new, successful, not already ours.

    An event is skipped when it failed (``errorCode``: nothing happened), when its
    event id was imported before, when it repeats a client token already counted
    (a retried call is logged again), or when one of our own ``done`` records is the
    same action on the same number within ``tolerance``. A release logged only by
    its number id gets its E.164 number from our records or from the claim event
    of the same id, when either is known.
    """
    known = list(records)
    imported = {r.get("event_id") for r in known if r.get("event_id")}
    # A call repeated with its client token is logged again but happened once.
    tokens = {
        (str(r.get("action")), str(r.get("client_token")))
        for r in known
        if r.get("client_token") and r.get("status", "done") == "done"
    }
    numbers = {
        str(r["phone_number_id"]): str(r["phone_number"])
        for r in known
        if r.get("phone_number_id") and r.get("phone_number")
    }
    events = sorted(trail, key=lambda e: (e.at, e.event_id))
    for e in events:
        if e.phone_number_id and e.phone_number:
            numbers.setdefault(e.phone_number_id, e.phone_number)
    ours: list[tuple[str, str | None, str | None, datetime]] = []
    for r in known:
        if r.get("status", "done") != "done" or r.get("event_id"):
            continue
        at = r.get("at")
        if isinstance(at, str):
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                continue
            ours.append(
                (
                    str(r.get("action")),
                    _text(r.get("phone_number")),
                    _text(r.get("phone_number_id")),
                    moment,
                )
            )
    added: list[TrailEvent] = []
    for e in events:
        if e.error_code or e.event_id in imported:
            continue
        if e.client_token and (e.action.value, e.client_token) in tokens:
            continue
        number = e.phone_number or (numbers.get(e.phone_number_id) if e.phone_number_id else None)
        if any(
            action == e.action.value
            and ((pid and pid == e.phone_number_id) or (num and num == number))
            and abs(at - e.at) <= tolerance
            for action, num, pid, at in ours
        ):
            continue
        imported.add(e.event_id)
        if e.client_token:
            tokens.add((e.action.value, e.client_token))
        added.append(replace(e, phone_number=number))
    return added


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
