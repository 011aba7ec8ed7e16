"""Apply-time decisions: what apply may do with a saved plan, re-decided just before it acts.

Pure, like the planner: the executor (``reconciler.app.executor``) performs the
I/O and these functions decide for it. The release's client token
(``client_token``); the ledger's evidence of a plan's progress and of a number
found gone (``progress``, ``expected_gone``, ``absence``, ``settle_failed_call``);
a saved plan bounded by a fresh one (``confirm``, ``assume_claimed``,
``staleness``); the last checks before each release (``release_blocker``) and
before the quota is spent (``quota_gate``, ``releases_gate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from reconciler.core import intents, planner, quota
from reconciler.core.model import (
    DesiredState,
    HistoryEvent,
    Inventory,
    LiveNumber,
    NumberStatus,
    Plan,
    Refusal,
    RefusalCode,
    Release,
    Skipped,
    Update,
)

__all__ = [
    "Absence",
    "Confirmation",
    "absence",
    "assume_claimed",
    "client_token",
    "confirm",
    "expected_gone",
    "progress",
    "quota_gate",
    "release_blocker",
    "releases_gate",
    "settle_failed_call",
    "staleness",
]


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
            dropped.append(planner.skipped_entry(r, _why_dropped(fresh, r)))
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
    fresh = planner.plan(desired, assumed, (), policy=saved.policy, now=saved.created_at)
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
    protected = planner.protection(current, desired)
    if protected is not None:
        return protected[1]
    if current.status is not NumberStatus.CLAIMED:
        return planner.skip_reason(current)
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
    events = list(history) if scope is None else quota.in_scope(history, scope)
    report = quota.assess(
        events, desired.quota, now=now, planned=planned, covered_since=covered_since
    )
    if report.allowed:
        return None
    return Refusal(code=RefusalCode.QUOTA_EXCEEDED, message=quota.quota_refusal(report))


def releases_gate(
    history: Iterable[HistoryEvent],
    desired: DesiredState,
    *,
    now: datetime,
    releases: Sequence[Release],
    covered_since: datetime | None = None,
) -> Refusal | None:
    """Re-check, before an apply starts, that each account and region has room for its releases."""
    groups = quota.quota_groups(
        history, desired, now=now, releases=releases, covered_since=covered_since
    )
    return next(quota.quota_refusals(groups), None)
