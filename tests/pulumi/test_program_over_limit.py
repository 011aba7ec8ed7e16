"""The Pulumi program when history alone is over the quota limit and nothing is released.

DESIGN.md: a plan with no release is never refused by the quota; it says the
account is over its limit and claiming is blocked until a date. So `pulumi
preview` and `pulumi up` succeed, warn with that sentence, and export it
(``quota.over_limit``, ``quota.claims_blocked_until``). Runs the program under
mocks with the harness of test_program_mocks.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from .test_program_mocks import RELEASES, Run, at, busy_ledger, config, numbers_file, run_program


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_over_the_limit_with_nothing_to_release_warns_and_does_not_fail(
    emulator: Any, tmp_path: Path, preview: bool
) -> None:
    keep_all = numbers_file(
        tmp_path, "numbers:\n", "numbers:\n" + "".join(f'  - "{n}"\n' for n in RELEASES)
    )
    ledger, times = busy_ledger(tmp_path / "history.jsonl", count=25)
    # 25 of 20 used: one more action fits once the 6 oldest have left the 180-day window.
    until = at(times[5] + timedelta(days=180))

    def check(run: Run) -> None:
        named = run.named()
        assert all(named[n].args["state"] == "claimed" for n in RELEASES)  # kept now
        quota = run.outputs["quota"]
        assert (quota["used"], quota["limit"], quota["planned"]) == (25, 20, 0)
        assert quota["over_limit"] is True and quota["allowed"] is True
        assert quota["claims_blocked_until"] == until
        assert run.outputs["plan"]["releases"] == 0

    run = run_program(config(keep_all, ledger=ledger), preview=preview, check=check)
    assert run.checked
    assert (
        "Quota: the account is over its limit (25 of 20 claim/release actions in the rolling "
        f"180-day window); claiming is blocked until {until[:10]}." in run.warnings()
    )
    info = "\n".join(m for level, m in run.logs if level == "INFO")
    assert "before: 25 of 20 used  <- over the limit" in info and "REFUSED" not in info
