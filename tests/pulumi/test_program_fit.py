"""`connect-numbers:fitToQuota` (issue 15, part 2) under Pulumi mocks: the program plans
as `connect-numbers plan --fit`; the deferred numbers stay `claimed` resources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from .test_program_mocks import KEEPS, RELEASES, SKIPPED, busy_ledger, config, run_program


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_fit_to_quota_releases_what_fits_and_keeps_the_deferred_claimed(
    emulator: Any, tmp_path: Path, preview: bool
) -> None:
    ledger, _ = busy_ledger(tmp_path / "history.jsonl")  # room for 2 of the 4 releases
    with pytest.raises(pulumi.RunError, match="connect-numbers:fitToQuota"):
        run_program(config(ledger=ledger), preview=preview)  # refused whole, suggests it

    run = run_program(
        {**config(ledger=ledger), "connect-numbers:fitToQuota": "true"}, preview=preview
    )
    states = {r.name: r.args["state"] for r in run.resources}
    released = [n for n in RELEASES if states[n] == "released"]
    assert len(released) == 2
    assert all(states[n] == "claimed" for n in KEEPS + SKIPPED)
    assert all(states[n] == "claimed" for n in set(RELEASES) - set(released))
    assert run.outputs["plan"]["deferred"] == 2
    assert any("Deferred (2), no room in the rolling quota now" in m for _, m in run.logs)
