"""The read-and-plan sequence shared by both front doors (CLI and Pulumi).

No decisions are made here: which numbers to describe comes from the planner
(``release_candidates``), and the plan itself from ``planner.plan``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from . import planner
from .inventory import InventoryReader, with_states
from .model import DesiredState, HistoryEvent, Inventory, Plan, Policy

__all__ = ["make_plan", "read_inventory"]


def read_inventory(reader: InventoryReader, desired: DesiredState) -> Inventory:
    """List every target, then describe only the numbers the plan would release."""
    listed = reader.list_numbers(desired.targets)
    candidates = planner.release_candidates(desired, listed)
    if not candidates:
        return listed
    return with_states(listed, reader.describe(candidates))


def make_plan(
    desired: DesiredState,
    reader: InventoryReader,
    history: Iterable[HistoryEvent],
    *,
    policy: Policy,
    now: datetime,
    covered_since: datetime | None = None,
) -> Plan:
    inventory = read_inventory(reader, desired)
    return planner.plan(
        desired, inventory, history, policy=policy, now=now, covered_since=covered_since
    )
