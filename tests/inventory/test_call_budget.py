"""The call budget of a plan, counted by the emulator (issue 12, DESIGN.md "Performance").

For n numbers on a target, a flow associations on its instance and R release
candidates (managed numbers numbers.yaml does not keep):

    calls <= ceil(n/1000) ListPhoneNumbersV2 + R DescribePhoneNumber
             + (only when R > 0) ceil(R/100) BatchGetFlowAssociation
             + (only when a candidate has a flow) at most ceil(a/1000) ListFlowAssociations

A plan with no candidate costs exactly ceil(n/1000) (at least one call: an empty
target is still listed once); a plan refused by a rule the listing decides (an
empty file, a mass release) costs exactly that too, with no describe. The
listing of flow associations stops as soon as every flow of a candidate is seen
on a kept number (it then loses no last number): one page in the usual case,
every page when a flow may lose its last number. The counts below are exact.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.app import service
from reconciler.aws.connect import ConnectInventory
from reconciler.core import planner
from reconciler.core.model import DesiredNumber, DesiredState, Policy, QuotaPolicy, Target
from reconciler.core.pacing import Pacer, RateLimit

ACCOUNT = "111122223333"
A = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
B = "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def arn(instance: str) -> str:
    return f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{instance}"


def number(i: int, instance: str = A) -> str:
    return f"+1206{2000000 + i + (0 if instance == A else 5_000_000):07d}"


# How flows are spread: none at all; only on kept numbers; on every number,
# shared by kept ones (7 flows); or as "shared" plus one flow only the first
# candidate has (it loses its last number: every page must be read to know).
FLOWS = ("none", "kept_only", "shared", "lonely")


def flow_of(i: int, candidates: int, flows: str, instance: str = A) -> str | None:
    prefix = f"{arn(instance)}/contact-flow/"
    if flows == "none" or (flows == "kept_only" and i < candidates):
        return None
    if flows == "lonely" and i == 0:
        return prefix + "lonely"
    return prefix + f"f{i % 7}"


def seed(sizes: dict[str, tuple[int, int]], flows: str) -> dict[str, Any]:
    """``sizes``: instance -> (n numbers, R candidates: the first R numbers)."""
    numbers = []
    for instance, (n, r) in sizes.items():
        for i in range(n):
            entry: dict[str, Any] = {"phone_number": number(i, instance), "instance": instance}
            found = flow_of(i, r, flows, instance)
            if found:
                entry["flow"] = found
            numbers.append(entry)
    return {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "instances": [{"id": A}, {"id": B}],
        "numbers": numbers,
    }


def desired(
    sizes: dict[str, tuple[int, int]], *, max_releases: int | None = None, allow_empty: bool = True
) -> DesiredState:
    keep = [number(i, inst) for inst, (n, r) in sizes.items() for i in range(r, n)]
    return DesiredState(
        targets=tuple(Target(arn=arn(instance)) for instance in sizes),
        quota=QuotaPolicy(phone_numbers=100_000),
        numbers=tuple(DesiredNumber(phone_number=n) for n in keep),
        max_releases=max_releases,
        allow_empty=allow_empty,
    )


def plan_calls(server: Any, state: DesiredState, policy: Policy | None = None) -> dict[str, int]:
    server.reset_stats()
    reader = ConnectInventory(pacer=Pacer(RateLimit(rate=None)))
    plan = service.make_plan(state, reader, [], policy=policy or Policy(), now=NOW)
    stats = server.stats()
    assert not stats["throttled"] and not stats["errors"]
    calls = {op: c for op, c in stats["calls"].items() if c}
    calls["_releases"] = len(plan.releases)
    calls["_described"] = int(plan.described)
    return calls


def flow_pages(n: int, r: int, flows: str) -> int:
    """ListFlowAssociations pages the plan needs, exactly."""
    a = sum(1 for i in range(n) if flow_of(i, r, flows))
    if r == 0 or flows in ("none", "kept_only"):
        return 0
    if flows == "shared":
        return 1  # the first page shows every flow on a kept number
    return max(1, math.ceil(a / 1000))  # "lonely": only the last page proves it


@pytest.mark.parametrize(
    ("n", "r"),
    [(0, 0), (1, 0), (1, 1), (1000, 0), (1000, 10), (1001, 100), (2500, 0), (2500, 101)],
)
@pytest.mark.parametrize("flows", FLOWS)
def test_one_target_costs_exactly_the_formula(
    emulator_factory: Any, n: int, r: int, flows: str
) -> None:
    server = emulator_factory(seed({A: (n, r)}, flows))
    calls = plan_calls(server, desired({A: (n, r)}))
    expected = {"ListPhoneNumbersV2": max(1, math.ceil(n / 1000))}
    if r:
        expected["DescribePhoneNumber"] = r
        expected["BatchGetFlowAssociation"] = math.ceil(r / 100)
    pages = flow_pages(n, r, flows)
    if pages:
        expected["ListFlowAssociations"] = pages
    assert calls == {**expected, "_releases": r, "_described": 1}
    a = sum(1 for i in range(n) if flow_of(i, r, flows))
    assert pages <= math.ceil(a / 1000)  # within the bound


def test_targets_are_counted_each_with_their_own_instance(emulator_factory: Any) -> None:
    sizes = {A: (1500, 3), B: (700, 120)}
    server = emulator_factory(seed(sizes, "lonely"))
    calls = plan_calls(server, desired(sizes))
    assert calls == {
        "ListPhoneNumbersV2": 2 + 1,
        "DescribePhoneNumber": 3 + 120,
        "BatchGetFlowAssociation": 1 + 2,  # per instance, 100 ids a call
        "ListFlowAssociations": 2 + 1,  # a lonely flow on each: every page of each
        "_releases": 123,
        "_described": 1,
    }


@pytest.mark.parametrize("n", [10, 1001])
def test_a_mass_release_is_refused_from_the_listing_alone(emulator_factory: Any, n: int) -> None:
    sizes = {A: (n, 10)}
    server = emulator_factory(seed(sizes, "lonely"))
    calls = plan_calls(server, desired(sizes, max_releases=9))
    assert calls == {"ListPhoneNumbersV2": math.ceil(n / 1000), "_releases": 10, "_described": 0}
    # At the cap, or allowed: read as usual.
    assert plan_calls(server, desired(sizes, max_releases=10))["DescribePhoneNumber"] == 10
    allowed = plan_calls(server, desired(sizes, max_releases=9), Policy(allow_mass_release=True))
    assert allowed["DescribePhoneNumber"] == 10 and allowed["_described"] == 1


def test_an_empty_file_is_refused_from_the_listing_alone(emulator_factory: Any) -> None:
    sizes = {A: (1001, 1001)}
    server = emulator_factory(seed(sizes, "shared"))
    calls = plan_calls(server, desired(sizes, max_releases=None, allow_empty=False))
    assert calls == {"ListPhoneNumbersV2": 2, "_releases": 1001, "_described": 0}
    # `allow_empty: true`: releasing every number is intended, and read as usual.
    calls = plan_calls(server, desired(sizes, max_releases=None))
    assert calls["DescribePhoneNumber"] == 1001 and calls["_described"] == 1


def test_each_page_is_handed_on_as_soon_as_it_is_read(emulator_factory: Any) -> None:
    """``on_page`` (the planner's work made ahead, issue 12): every page of every
    target once, as the very objects of the inventory returned, and the plan made with
    them is the plan made without."""
    sizes = {A: (2500, 3), B: (700, 0)}
    server = emulator_factory(seed(sizes, "none"))
    state = desired(sizes)
    reader = ConnectInventory(pacer=Pacer(RateLimit(rate=None)))
    pages: list[list[Any]] = []
    inventory = reader.list_numbers(state.targets, with_flows=False, on_page=pages.append)
    assert sorted(len(p) for p in pages) == [500, 700, 1000, 1000]
    assert sorted(map(id, (n for p in pages for n in p))) == sorted(map(id, inventory.numbers))
    server.reset_stats()
    ahead = service.make_plan(state, reader, [], policy=Policy(), now=NOW)
    calls = {op: c for op, c in server.stats()["calls"].items() if c}
    assert calls["ListPhoneNumbersV2"] == 3 + 1  # the pages, not one call more
    unprepared = planner.plan(
        state, service.read_inventory(reader, state), [], policy=Policy(), now=NOW
    )
    assert ahead == unprepared
