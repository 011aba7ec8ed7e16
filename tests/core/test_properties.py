"""Property tests of the pure core (planner, quota, render, service) over the whole input space.

STYLE.md habit 10: the safety rules of DESIGN.md are stated as invariants and
checked against arbitrary but valid inputs. The strategies draw from small pools
(targets, E.164 numbers, flows) so that desired and live numbers overlap, flows
are shared, and numbers sit on targets numbers.yaml does not list. History
events cluster around the exact window boundaries ``now - window`` and ``now``,
and some lie in the future. Quota figures are recomputed in the tests from the
definitions in DESIGN.md ("The rolling quota") and quota.py's documented reading
of them (see ``used_at``), never taken from ``quota.py``'s code.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.app import service
from reconciler.core import planner, render
from reconciler.core.inventory import FakeInventory
from reconciler.core.model import (
    Action,
    DesiredNumber,
    DesiredState,
    HistoryEvent,
    Inventory,
    LiveNumber,
    NumberStatus,
    Plan,
    Policy,
    QuotaPolicy,
    RefusalCode,
    Target,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)
TICK = timedelta(microseconds=1)
ACCOUNT = "111122223333"
INSTANCES = (
    "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee",
    "cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee",
    "dddddddd-bbbb-cccc-dddd-eeeeeeeeeeee",
)
TARGET_POOL = tuple(f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{i}" for i in INSTANCES)
FLOW_POOL = tuple(
    f"{TARGET_POOL[0]}/contact-flow/{name}" for name in ("main", "support", "sales", "after-hours")
)
# Fourteen numbers: small enough that desired and live overlap most of the time.
NUMBER_POOL = tuple(f"+1206555{n:04d}" for n in range(100, 114))
STATUSES: tuple[NumberStatus | None, ...] = (*NumberStatus, None)
DESCRIBED: tuple[NumberStatus, ...] = tuple(NumberStatus)

PROPERTY = settings(max_examples=200, deadline=None)


# --- strategies -------------------------------------------------------------------------------


_NUMBERS = st.sampled_from(NUMBER_POOL)
_DESCRIPTION = st.none() | st.sampled_from(("Support line", "Sales"))
_TARGETS = st.sampled_from(TARGET_POOL)
_TYPES = st.sampled_from(("DID", "TOLL_FREE"))
_OLD_DESCRIPTION = st.none() | st.just("old line")
_FAILURE = st.none() | st.just("carrier rejected the order")
_FLOWS = st.lists(st.sampled_from(FLOW_POOL), max_size=3, unique=True).map(tuple)
_IDS = st.lists(st.integers(0, 9999), max_size=12, unique=True)
_ACTIONS = st.sampled_from(Action)


@st.composite
def quota_policies(draw: st.DrawFn) -> QuotaPolicy:
    phone_numbers = draw(st.integers(1, 20))
    limit_percent = draw(st.integers(50, 300))
    limit = phone_numbers * limit_percent // 100
    return QuotaPolicy(
        phone_numbers=phone_numbers,
        window_days=draw(st.integers(1, 200)),
        limit_percent=limit_percent,
        reserve=draw(st.integers(0, min(5, limit))),
    )


@st.composite
def desired_states(draw: st.DrawFn) -> DesiredState:
    targets = draw(st.lists(_TARGETS, min_size=1, max_size=3, unique=True))
    numbers = draw(st.lists(_NUMBERS, max_size=8, unique=True))
    return DesiredState(
        targets=tuple(Target(arn=arn) for arn in targets),
        quota=draw(quota_policies()),
        numbers=tuple(
            DesiredNumber(phone_number=n, description=draw(_DESCRIPTION)) for n in numbers
        ),
        max_releases=draw(st.none() | st.integers(0, 3) | st.integers(0, 15)),
        allow_empty=draw(st.booleans()),
        source="numbers.yaml",
        fingerprint="sha256:test",
    )


@st.composite
def live_numbers(
    draw: st.DrawFn, statuses: Sequence[NumberStatus | None] = STATUSES
) -> tuple[LiveNumber, ...]:
    """Live numbers with unique ids; phone numbers, targets and flows come from the pools."""
    status_of = st.sampled_from(statuses)
    numbers = []
    for i in draw(_IDS):
        pid = f"pn-{i:04d}"
        status = draw(status_of)
        numbers.append(
            LiveNumber(
                phone_number=draw(_NUMBERS),
                phone_number_id=pid,
                phone_number_arn=f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/{pid}",
                target_arn=draw(_TARGETS),
                number_type=draw(_TYPES),
                description=draw(_OLD_DESCRIPTION),
                status=status,
                status_message=draw(_FAILURE) if status is NumberStatus.FAILED else None,
                flows=draw(_FLOWS),
            )
        )
    return tuple(numbers)


def moments(window: timedelta) -> st.SearchStrategy[datetime]:
    """Instants before, inside and after the window ending at NOW, boundaries included."""
    edges = st.sampled_from(
        (-window - TICK, -window, -window + TICK, -window / 2, -TICK, timedelta(0), TICK)
    )
    window_us = window // TICK
    anywhere = st.integers(-2 * window_us, window_us // 4).map(lambda us: us * TICK)
    whole_days = st.integers(-2 * window.days - 1, 10).map(lambda d: timedelta(days=d))
    return st.one_of(edges, anywhere, whole_days).map(lambda offset: NOW + offset)


@functools.lru_cache
def _events(window_days: int) -> st.SearchStrategy[HistoryEvent]:
    times = moments(timedelta(days=window_days))
    return st.builds(HistoryEvent, action=_ACTIONS, phone_number=_NUMBERS, at=times)


@st.composite
def histories(draw: st.DrawFn, quota: QuotaPolicy) -> list[HistoryEvent]:
    """Zero to ``limit + 6`` events, so plans land on both sides of the quota line."""
    count = draw(st.integers(0, quota.limit + 6))
    return draw(st.lists(_events(quota.window_days), min_size=count, max_size=count))


@dataclass(frozen=True, kw_only=True)
class Scenario:
    desired: DesiredState
    inventory: Inventory
    history: list[HistoryEvent]
    policy: Policy

    def plan(self) -> Plan:
        return planner.plan(self.desired, self.inventory, self.history, policy=self.policy, now=NOW)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    desired = draw(desired_states())
    numbers = draw(live_numbers())
    return Scenario(
        desired=desired,
        inventory=Inventory(targets=TARGET_POOL, numbers=numbers),
        history=draw(histories(desired.quota)),
        policy=Policy(allow_mass_release=draw(st.booleans())),
    )


# --- independent oracles ----------------------------------------------------------------------


def used_at(history: Sequence[HistoryEvent], quota: QuotaPolicy, moment: datetime) -> int:
    """Events that count at ``moment``: ``moment - window_days < at``.

    DESIGN.md writes ``now - window_days < at <= now``; quota.py deliberately counts
    events dated after ``now`` as well (they already happened: the recorder's clock runs
    ahead), which can only count more. The oracle follows quota.py's documented rule, and
    ``design_used_at`` checks that the result stays sound under DESIGN.md's reading.
    """
    start = moment - timedelta(days=quota.window_days)
    return sum(1 for e in history if start < e.at)


def design_used_at(history: Sequence[HistoryEvent], quota: QuotaPolicy, moment: datetime) -> int:
    """DESIGN.md's literal window: ``now - window_days < at <= now``."""
    start = moment - timedelta(days=quota.window_days)
    return sum(1 for e in history if start < e.at <= moment)


def limit_of(quota: QuotaPolicy) -> int:
    """DESIGN.md: ``limit = floor(phone_numbers * limit_percent / 100)``."""
    return quota.phone_numbers * quota.limit_percent // 100


def managed(s: Scenario) -> list[LiveNumber]:
    arns = {t.arn for t in s.desired.targets}
    return [n for n in s.inventory.numbers if n.target_arn in arns]


def wanted(s: Scenario) -> set[str]:
    return {d.phone_number for d in s.desired.numbers}


def codes(plan: Plan) -> list[RefusalCode]:
    return [r.code for r in plan.refusals]


# --- properties -------------------------------------------------------------------------------


@PROPERTY
@given(scenarios())
def test_a_desired_number_is_never_released_nor_skipped(s: Scenario) -> None:
    """No number listed in numbers.yaml is ever released, or reported as one to release."""
    plan = s.plan()
    keep = wanted(s)
    assert not keep & {r.phone_number for r in plan.releases}
    assert not keep & {x.phone_number for x in plan.skipped}


@PROPERTY
@given(scenarios())
def test_numbers_outside_the_targets_are_invisible(s: Scenario) -> None:
    """Only numbers claimed to a listed target appear in releases, keeps or skipped."""
    plan = s.plan()
    arns = s.desired.target_arns
    outside = {n.phone_number_id for n in s.inventory.numbers if n.target_arn not in arns}
    for row in (*plan.releases, *plan.keeps, *plan.skipped):
        assert row.target_arn in arns
        assert row.phone_number_id not in outside


@PROPERTY
@given(scenarios())
def test_only_claimed_numbers_are_released_and_the_rest_are_skipped_with_a_reason(
    s: Scenario,
) -> None:
    """Every release is CLAIMED; every other managed non-desired number is skipped, with why."""
    plan = s.plan()
    by_id = {n.phone_number_id: n for n in s.inventory.numbers}
    for release in plan.releases:
        assert by_id[release.phone_number_id].status is NumberStatus.CLAIMED
    keep = wanted(s)
    unclaimed = {
        n.phone_number_id: n
        for n in managed(s)
        if n.phone_number not in keep and n.status is not NumberStatus.CLAIMED
    }
    skipped = {x.phone_number_id: x for x in plan.skipped}
    assert skipped.keys() == unclaimed.keys()
    for pid, number in unclaimed.items():
        reason = skipped[pid].reason
        assert reason.strip()
        if number.status is not None:
            assert number.status.value in reason


@PROPERTY
@given(scenarios())
def test_keeps_releases_and_skipped_partition_the_managed_numbers(s: Scenario) -> None:
    """Keeps, releases and skipped are disjoint and cover exactly the managed numbers;
    missing is exactly the desired numbers not claimed to any listed target."""
    plan = s.plan()
    keeps = [k.phone_number_id for k in plan.keeps]
    releases = [r.phone_number_id for r in plan.releases]
    skipped = [x.phone_number_id for x in plan.skipped]
    rows = keeps + releases + skipped
    assert len(rows) == len(set(rows))
    assert set(rows) == {n.phone_number_id for n in managed(s)}
    keep = wanted(s)
    assert set(keeps) == {n.phone_number_id for n in managed(s) if n.phone_number in keep}
    claimed = {n.phone_number for n in managed(s)}
    assert [m.phone_number for m in plan.missing] == sorted(keep - claimed)


@PROPERTY
@given(scenarios())
def test_no_history_lets_the_releases_exceed_the_limit(s: Scenario) -> None:
    """A plan that is not refused satisfies ``used(now) + r + reserve <= limit`` or releases
    nothing; a plan of ``r >= 1`` that breaks it carries a ``quota_exceeded`` refusal. A plan
    that releases nothing is never refused by the quota, and says when history alone is over."""
    plan = s.plan()
    quota = s.desired.quota
    used = used_at(s.history, quota, NOW)
    r = len(plan.releases)
    fits = r == 0 or used + r + quota.reserve <= limit_of(quota)
    assert plan.quota.used == used
    assert plan.quota.limit == limit_of(quota)
    assert plan.quota.planned == r
    if not plan.refused and r:
        assert fits
        # Also sound under DESIGN.md's literal window, which never counts more.
        assert design_used_at(s.history, quota, NOW) + r + quota.reserve <= limit_of(quota)
    assert (RefusalCode.QUOTA_EXCEEDED in codes(plan)) == (not fits)
    assert plan.quota.over_limit == (used > limit_of(quota))


@PROPERTY
@given(scenarios())
def test_the_refusals_are_exactly_the_broken_rules_in_a_stable_order(s: Scenario) -> None:
    """Every broken rule is listed once, in the order quota, empty desired state, mass release;
    no rule that holds is listed."""
    plan = s.plan()
    quota = s.desired.quota
    r = len(plan.releases)
    expected = []
    if r and used_at(s.history, quota, NOW) + r + quota.reserve > limit_of(quota):
        expected.append(RefusalCode.QUOTA_EXCEEDED)
    if not s.desired.numbers and managed(s) and not s.desired.allow_empty:
        expected.append(RefusalCode.EMPTY_DESIRED_STATE)
    cap = s.desired.max_releases
    if cap is not None and r > cap and not s.policy.allow_mass_release:
        expected.append(RefusalCode.MASS_RELEASE)
    assert codes(plan) == expected
    assert plan.refused == bool(expected)
    assert all(refusal.message.strip() for refusal in plan.refusals)


# Limit 1 in 180 days, one release planned. The window holds a release that expires in a day,
# and the ledger a claim dated an hour after NOW (its recorder's clock runs ahead). The claim
# counts, so the whole plan fits only once it expires: NOW + 1 hour + 180 days, not NOW + 1 day.
_AHEAD_OF_NOW = Scenario(
    desired=DesiredState(
        targets=(Target(arn=TARGET_POOL[0]),),
        quota=QuotaPolicy(phone_numbers=1, window_days=180, limit_percent=100),
        numbers=(DesiredNumber(phone_number=NUMBER_POOL[0]),),
    ),
    inventory=Inventory(
        targets=TARGET_POOL[:1],
        numbers=(
            LiveNumber(
                phone_number=NUMBER_POOL[1],
                phone_number_id="pn-0001",
                phone_number_arn=f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/pn-0001",
                target_arn=TARGET_POOL[0],
                status=NumberStatus.CLAIMED,
            ),
        ),
    ),
    history=[
        HistoryEvent(
            action=Action.RELEASE, phone_number=NUMBER_POOL[2], at=NOW - timedelta(days=179)
        ),
        HistoryEvent(action=Action.CLAIM, phone_number=NUMBER_POOL[3], at=NOW + timedelta(hours=1)),
    ],
    policy=Policy(),
)


@PROPERTY
@given(scenarios())
@example(_AHEAD_OF_NOW)
def test_fits_now_and_whole_plan_fits_at_are_exact(s: Scenario) -> None:
    """``fits_now`` is the largest k >= 0 with ``used + k + reserve <= limit``;
    ``whole_plan_fits_at``, when set, is the first instant at which the whole plan fits,
    counting every recorded event (future-dated ones included); it is unset exactly when the
    plan fits now or never fits one window."""
    plan = s.plan()
    quota = s.desired.quota
    limit = limit_of(quota)
    r = len(plan.releases)
    used = used_at(s.history, quota, NOW)
    best = max(0, limit - quota.reserve - used)
    assert plan.quota.fits_now == best
    assert best == 0 or used + best + quota.reserve <= limit
    assert used + best + 1 + quota.reserve > limit

    fits_at = plan.quota.whole_plan_fits_at
    if used + r + quota.reserve <= limit or r + quota.reserve > limit:
        assert fits_at is None
        assert plan.quota.plan_never_fits == (r + quota.reserve > limit)
        return
    assert fits_at is not None and fits_at > NOW
    assert not plan.quota.plan_never_fits
    # At that instant the whole plan fits, and one microsecond earlier it does not.
    assert used_at(s.history, quota, fits_at) + r + quota.reserve <= limit
    assert used_at(s.history, quota, fits_at - TICK) + r + quota.reserve > limit


@PROPERTY
@given(scenarios())
def test_apply_then_plan_again_is_empty(s: Scenario) -> None:
    """After applying a plan (releasing its numbers, recording one event each at ``now``),
    the next plan releases nothing, skips the same numbers, and used grew by the releases."""
    first = s.plan()
    released = {r.phone_number_id for r in first.releases}
    recorded = [
        HistoryEvent(action=Action.RELEASE, phone_number=r.phone_number, at=NOW)
        for r in first.releases
    ]
    after = replace(
        s,
        inventory=replace(
            s.inventory,
            numbers=tuple(n for n in s.inventory.numbers if n.phone_number_id not in released),
        ),
        history=[*s.history, *recorded],
    )
    second = after.plan()
    assert second.releases == ()
    assert second.skipped == first.skipped
    assert second.keeps == first.keeps
    assert second.missing == first.missing
    assert second.quota.used == first.quota.used + len(first.releases)
    if not first.refused:
        assert not second.refused


@PROPERTY
@given(scenarios(), st.data())
def test_the_plan_does_not_depend_on_input_order(s: Scenario, data: st.DataObject) -> None:
    """Shuffling the live numbers and the history gives an identical plan and renderings."""
    plan = s.plan()
    shuffled = replace(
        s,
        inventory=replace(
            s.inventory, numbers=tuple(data.draw(st.permutations(s.inventory.numbers)))
        ),
        history=data.draw(st.permutations(s.history)),
    )
    again = shuffled.plan()
    assert again == plan
    assert render.render_json(again) == render.render_json(plan)
    assert render.render_text(again) == render.render_text(plan)


@PROPERTY
@given(scenarios(), st.data())
def test_the_plan_made_ahead_page_by_page_is_the_plan(s: Scenario, data: st.DataObject) -> None:
    """``planner.Prepared`` (the per-number work made while the pages are read) changes
    nothing: fed any split of the numbers into pages, or only some of them, or numbers
    that were then replaced (a candidate described), or made for another file."""
    plan = s.plan()
    numbers = list(s.inventory.numbers)
    prepared = planner.Prepared(s.desired)
    cut = sorted(data.draw(st.lists(st.integers(0, len(numbers)), max_size=4)))
    for start, end in zip([0, *cut], [*cut, len(numbers)], strict=True):
        prepared.add(numbers[start:end])
    # Some numbers read again as new objects (a status read, say): made again by plan.
    swapped = data.draw(st.sets(st.integers(0, max(0, len(numbers) - 1)), max_size=3))
    again = tuple(replace(n) if i in swapped else n for i, n in enumerate(numbers))
    inventory = replace(s.inventory, numbers=again)
    made = planner.plan(
        s.desired, inventory, s.history, policy=s.policy, now=NOW, prepared=prepared
    )
    assert made == plan
    other = planner.Prepared(replace(s.desired, numbers=()))
    other.add(numbers)
    assert planner.plan(
        s.desired, s.inventory, s.history, policy=s.policy, now=NOW, prepared=other
    ) == plan


def test_a_reader_without_on_page_still_plans() -> None:
    """An ``InventoryReader`` written before ``on_page`` (issue 12) plans as before."""
    target = TARGET_POOL[0]
    live = LiveNumber(
        phone_number="+12065550100",
        phone_number_id="id-1",
        phone_number_arn="arn:aws:connect:us-east-1:111122223333:phone-number/id-1",
        target_arn=target,
        status=NumberStatus.CLAIMED,
    )
    fake = FakeInventory([live])

    class Older:
        def list_numbers(self, targets: Any, *, with_flows: bool = True) -> Inventory:
            return fake.list_numbers(targets, with_flows=with_flows)

        def __getattr__(self, name: str) -> Any:
            return getattr(fake, name)

    state = DesiredState(
        targets=(Target(arn=target),),
        quota=QuotaPolicy(phone_numbers=5),
        numbers=(DesiredNumber(phone_number="+12065550100"),),
    )
    older = service.make_plan(state, Older(), [], policy=Policy(), now=NOW)
    assert older == service.make_plan(state, FakeInventory([live]), [], policy=Policy(), now=NOW)
    assert [k.phone_number for k in older.keeps] == ["+12065550100"]


@PROPERTY
@given(scenarios())
def test_a_flow_is_deactivated_iff_the_plan_releases_all_its_numbers(s: Scenario) -> None:
    """A release names a flow as deactivated exactly when every managed number associated
    with that flow is released by the plan."""
    plan = s.plan()
    released = {r.phone_number_id for r in plan.releases}
    for release in plan.releases:
        assert set(release.deactivated_flows) <= set(release.flows)
        for flow in release.flows:
            holders = {n.phone_number_id for n in managed(s) if flow in n.flows}
            assert (flow in release.deactivated_flows) == (holders <= released)


@PROPERTY
@given(desired_states(), live_numbers(statuses=DESCRIBED), st.data())
def test_service_reads_only_what_the_rules_need(
    desired: DesiredState, numbers: tuple[LiveNumber, ...], data: st.DataObject
) -> None:
    """make_plan lists once, then describes exactly the managed numbers numbers.yaml does
    not keep and plans as a plan made from the whole inventory with every status and
    flow known; unless a rule the listing alone decides refuses it (an empty file, more
    release candidates than safety.max_releases): then nothing is described or looked
    up, the candidates are shown as releases and the plan says it was not described."""
    history = data.draw(histories(desired.quota))
    policy = Policy(allow_mass_release=data.draw(st.booleans()))
    fake = FakeInventory(numbers)
    plan = service.make_plan(desired, fake, history, policy=policy, now=NOW)

    arns = desired.target_arns
    keep = {d.phone_number for d in desired.numbers}
    managed = [n for n in numbers if n.target_arn in arns]
    candidates = [n for n in managed if n.phone_number not in keep]
    empty = not desired.numbers and bool(managed) and not desired.allow_empty
    cap = desired.max_releases
    mass = cap is not None and len(candidates) > cap and not policy.allow_mass_release
    assert fake.list_calls == len(arns)
    whole = planner.plan(
        desired, Inventory(targets=TARGET_POOL, numbers=numbers), history, policy=policy, now=NOW
    )
    if empty or mass:
        assert fake.describe_calls == 0 and fake.flow_calls == 0
        assert not plan.described and plan.refused
        assert {r.phone_number_id for r in plan.releases} == {n.phone_number_id for n in candidates}
        found = set(codes(plan))
        assert (RefusalCode.EMPTY_DESIRED_STATE in found) == empty
        assert (RefusalCode.MASS_RELEASE in found) == mass
        # Never less strict than the plan the statuses would give.
        assert set(codes(whole)) - {RefusalCode.QUOTA_EXCEEDED} <= found
        return
    assert fake.describe_calls == len(candidates)
    assert fake.flow_calls == (1 if candidates else 0)
    assert plan.described
    # The same decisions as a plan made from the whole inventory with every status known.
    assert replace(plan, inventory_fingerprint="") == replace(whole, inventory_fingerprint="")


PLAN_KEYS = {
    "format_version",
    "releases",
    "keeps",
    "missing",
    "skipped",
    "quota",
    "refused",
    "refusals",
}
QUOTA_KEYS = {
    "limit",
    "used",
    "planned",
    "after",
    "reserve",
    "window_days",
    "history_since",
}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@PROPERTY
@given(scenarios())
def test_plan_json_round_trips_with_the_design_keys(s: Scenario) -> None:
    """render_json parses back with json.loads and carries every key of DESIGN.md's plan JSON,
    with values that agree with the plan."""
    plan = s.plan()
    doc: dict[str, Any] = json.loads(render.render_json(plan))
    assert doc == {**render.plan_to_dict(plan), "plan_id": render.plan_id(plan)}
    assert doc.keys() >= PLAN_KEYS
    assert doc["format_version"] == 1
    assert doc["refused"] is plan.refused
    assert [r["code"] for r in doc["refusals"]] == [c.value for c in codes(plan)]
    assert all(isinstance(r["message"], str) for r in doc["refusals"])

    quota = doc["quota"]
    assert quota.keys() >= QUOTA_KEYS
    used = used_at(s.history, s.desired.quota, NOW)
    assert quota["limit"] == limit_of(s.desired.quota)
    assert quota["used"] == used
    assert quota["planned"] == len(plan.releases)
    assert quota["after"] == used + len(plan.releases)
    assert quota["reserve"] == s.desired.quota.reserve
    assert quota["window_days"] == s.desired.quota.window_days
    assert quota["history_since"] == _iso(min((e.at for e in s.history), default=None))

    assert [
        (r["phone_number"], r["phone_number_id"], r["target_arn"], r["flows"])
        for r in doc["releases"]
    ] == [(r.phone_number, r.phone_number_id, r.target_arn, list(r.flows)) for r in plan.releases]
    assert [(k["phone_number"], k["phone_number_id"]) for k in doc["keeps"]] == [
        (k.phone_number, k.phone_number_id) for k in plan.keeps
    ]
    assert [m["phone_number"] for m in doc["missing"]] == [m.phone_number for m in plan.missing]
    assert [(x["phone_number"], x["reason"]) for x in doc["skipped"]] == [
        (x.phone_number, x.reason) for x in plan.skipped
    ]
