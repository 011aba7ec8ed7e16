"""The read-and-plan sequence shared by both front doors (CLI and Pulumi).

No decisions are made here: which numbers to describe comes from the planner
(``release_candidates``), and the plan itself from ``planner.plan``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from reconciler.aws.reading import both
from reconciler.core import apply_rules, planner
from reconciler.core.errors import ConnectNumbersError
from reconciler.core.inventory import InventoryReader, with_flows, with_states, with_tags
from reconciler.core.model import (
    DesiredState,
    HistoryEvent,
    HistorySource,
    Inventory,
    LiveNumber,
    Plan,
    Policy,
)

__all__ = ["load_numbers", "make_plan", "read_inventory", "resolve_quota"]


def resolve_quota(
    desired: DesiredState, read_quota: Callable[[str, str], int]
) -> tuple[DesiredState, str | None]:
    """Resolve ``quota.phone_numbers: auto`` with the applied Service Quotas value.

    ``read_quota(region, account)`` is called once per account and region of the
    targets: Service Quotas answers for the account whose credentials call it.

    Returns the desired state with a concrete quota, and a warning when the
    file's fallback had to be used (the read failed) or there was nothing to do.
    """
    if not desired.quota.auto:
        return desired, None
    read: dict[str, int] = {}
    scopes = dict.fromkeys((t.account_id, t.region) for t in desired.targets)
    several = len({account for account, _ in scopes}) > 1
    for account, region in scopes:
        where = f"account {account}, {region}" if several else region
        try:
            read[f"{account}/{region}" if several else region] = read_quota(region, account)
        except ConnectNumbersError as exc:
            return desired, (
                f"could not read the applied phone-number quota (Service Quotas L-8F812903 in "
                f"{where}): {exc}; using quota.fallback = {desired.quota.phone_numbers}"
            )
    # One quota setting serves every region of the file: the smallest is safe for all.
    applied = min(read.values())
    limit = applied * desired.quota.limit_percent // 100
    warning = None
    if len(set(read.values())) > 1:
        quotas = ", ".join(f"{r} {q}" for r, q in read.items())
        warning = (
            f"the applied phone-number quotas differ by {'account and ' if several else ''}"
            f"region ({quotas}); every region's "
            f"rolling limit is counted with the smallest, {applied}"
        )
    reserve = desired.quota.reserve
    if reserve > limit:
        warning = (
            f"quota.reserve {reserve} is more than the applied limit {limit} "
            f"(quota {applied}): nothing can be released"
        )
        reserve = limit
    policy = replace(desired.quota, phone_numbers=applied, auto=False, reserve=reserve)
    return replace(desired, quota=policy), warning


def load_numbers(
    path: str, *, targets: Sequence[str] | None = None
) -> tuple[DesiredState, str | None]:
    """numbers.yaml, with ``phone_numbers: auto`` resolved as every front door must.

    Returns the desired state and a warning for the caller to show its own way
    (the CLI on stderr, Pulumi with ``pulumi.log.warn``). ``targets``: the
    targets given by the Pulumi component instead of the file's (``desired.load_desired_for``).
    """
    from reconciler import desired as desired_file

    if targets is None:
        state = desired_file.load_desired(path)
    else:
        state = desired_file.load_desired_for(path, targets)
    if not state.quota.auto:
        return state, None
    # Imported here: only an `auto` quota needs Service Quotas (an AWS adapter).
    from reconciler.aws.servicequotas import read_phone_number_quota

    access = state.access_by_account()
    first = {t.account_id: t.arn for t in reversed(state.targets)}

    def read(region: str, account: str) -> int:
        return read_phone_number_quota(region, access=access.get(account), target=first[account])

    return resolve_quota(state, read)


def read_inventory(reader: InventoryReader, desired: DesiredState) -> Inventory:
    """List every target, then read only what the plan needs of the numbers it would
    release (``_read_candidates``)."""
    return _read_candidates(reader, desired, reader.list_numbers(desired.targets, with_flows=False))


def _read_candidates(
    reader: InventoryReader,
    desired: DesiredState,
    listed: Inventory,
    candidates: list[LiveNumber] | None = None,
) -> Inventory:
    """The statuses (DescribePhoneNumber) and flows (flow impact) of the release
    candidates, read at once: separate operations, separate rate buckets.

    Cost (DESIGN.md, "Performance targets"): one describe per candidate; the flow
    lookups only when there is a candidate; none of either when there is none. Plus
    one describe per kept number whose entry names ``tags:`` (``_read_tags``).
    """
    if candidates is None:
        candidates = planner.release_candidates(desired, listed)
    if not candidates:
        return _read_tags(reader, desired, listed)
    kept = planner.kept_arns(desired, listed)
    tagged = planner.tag_candidates(desired, listed)
    states, flows = both(
        lambda: reader.describe(candidates + tagged), lambda: reader.flows(candidates, kept)
    )
    tag_ids = {n.phone_number_id for n in tagged}
    statuses = {k: v for k, v in states.items() if k not in tag_ids}
    tags = {k: v for k, v in states.items() if k in tag_ids}
    return with_tags(with_states(with_flows(listed, flows), statuses), tags)


def _read_tags(reader: InventoryReader, desired: DesiredState, listed: Inventory) -> Inventory:
    """The live tags of the kept numbers whose entry names ``tags:`` (issue 15): one
    DescribePhoneNumber each, since ListPhoneNumbersV2 carries no tags. A file that
    names no tags costs nothing here."""
    tagged = planner.tag_candidates(desired, listed)
    if not tagged:
        return listed
    return with_tags(listed, reader.describe(tagged))


def _list_numbers(
    reader: InventoryReader, desired: DesiredState, prepared: planner.Prepared
) -> Inventory:
    """The listing, each page handed to ``prepared``. A reader whose ``list_numbers``
    takes no ``on_page`` (one written before it) is called as before: the plan is
    the same, only made after the last page."""
    import inspect

    if "on_page" in inspect.signature(reader.list_numbers).parameters:
        return reader.list_numbers(desired.targets, with_flows=False, on_page=prepared.add)
    return reader.list_numbers(desired.targets, with_flows=False)


def make_plan(
    desired: DesiredState,
    reader: InventoryReader,
    history: Iterable[HistoryEvent],
    *,
    policy: Policy,
    now: datetime,
    covered_since: datetime | None = None,
    confirming: Plan | None = None,
    history_source: HistorySource | None = None,
) -> Plan:
    """Read the inventory and plan. ``history_source`` says what ``history`` came
    from, so the plan can say when the used count is unknown (no source).

    The rules the listing alone decides (``planner.listing_refusals``: an empty
    file, a mass release) are decided before any describe: a plan they refuse
    costs the listing and nothing more, its candidates taken as CLAIMED and their
    flows not read (``Plan.described`` False).
    """
    described = True
    # The planner's per-number work is made page by page while the listing is read
    # (planner.Prepared): the plan of 100,000 numbers does not wait for the last page.
    prepared = planner.Prepared(desired)
    listed = _list_numbers(reader, desired, prepared)
    if confirming is not None:
        # The fresh plan that bounds a saved one at apply (``apply_rules.confirm``): one
        # listing, no describes. The saved releases are taken as CLAIMED
        # (``apply_rules.assume_claimed``): the executor describes each one just before
        # releasing it and skips one that is not.
        released = (r.phone_number_id for r in confirming.releases)
        # The tags the file names are read again (one describe each), so the fresh plan
        # makes the same tag updates as the saved one (``apply_rules.confirm``).
        inventory = apply_rules.assume_claimed(_read_tags(reader, desired, listed), released)
    elif planner.listing_refusals(
        desired, listed, policy, candidates := planner.release_candidates(desired, listed)
    ):
        inventory = apply_rules.assume_claimed(listed, (n.phone_number_id for n in candidates))
        described = False
    else:
        inventory = _read_candidates(reader, desired, listed, candidates)
    return planner.plan(
        desired,
        inventory,
        history,
        policy=policy,
        now=now,
        covered_since=covered_since,
        history_source=history_source,
        described=described,
        prepared=prepared,
    )
