"""The inventory fingerprint depends on what the plan read in full, not on how far."""

from __future__ import annotations

from dataclasses import replace

from reconciler.core.model import NumberStatus

from .builders import flow, inventory, live


def test_flows_count_only_for_the_numbers_whose_status_was_read() -> None:
    kept = live("+12065550100", status=None, flows=(flow("main"),))
    candidate = live("+12065550150", flows=(flow("promo"),))
    read = inventory(kept, candidate)
    # A listing of flow associations that stopped before the kept number's page.
    partial = inventory(replace(kept, flows=()), candidate)
    assert read.fingerprint() == partial.fingerprint()
    # A candidate's flows, its status, or a kept number itself: each changes it.
    assert inventory(kept, replace(candidate, flows=())).fingerprint() != read.fingerprint()
    changed = replace(candidate, status=NumberStatus.IN_PROGRESS)
    assert inventory(kept, changed).fingerprint() != read.fingerprint()
    assert inventory(candidate).fingerprint() != read.fingerprint()
