"""`--fit` end to end (issue 15, part 2): room for 2 of 5 releases; the emulator's clock
moved past the deferred dates lets later runs finish, never refused, never over the quota.

The CLI runs in this process with its clock set to the emulator's (``_now`` of the
plan, apply and quota commands: ``CLOCK_READERS``), as a pipeline's clock and AWS's
agree; the emulator enforces the rolling quota itself.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import apply as cli_apply
from reconciler.cli import plan as cli_plan
from reconciler.cli import quota as cli_quota

from .support import FAST, INSTANCE, TARGET, cli

KEEP = "+12065550100"
DROP = [f"+120655502{i:02d}" for i in range(5)]
# The commands that read the clock: each looks `_now` up in its own module.
CLOCK_READERS = (cli_apply, cli_plan, cli_quota)


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def world(emulator_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # 18 claims of the last 170 days: 2 of the limit of 20 are free now, and one more
    # frees each day from 10 days on. The account (the emulator) and the ledger both
    # hold them.
    now = datetime.now(UTC).replace(microsecond=0)
    claims = [
        {
            "action": "claim",
            "phone_number": f"+1206555{9000 + i}",
            "at": _at(now - timedelta(days=170 - i)),
        }
        for i in range(18)
    ]
    server = emulator_factory(
        {
            "account_id": "111122223333",
            "region": "us-east-1",
            "instances": [{"id": INSTANCE}],
            "quota": {"phone_numbers": 10, "window_days": 180, "limit_percent": 200},
            "numbers": [
                {"phone_number": n, "instance": INSTANCE, "flow": f"{TARGET}/contact-flow/f{i}"}
                for i, n in enumerate([KEEP, *DROP])
            ],
            "history": claims,
        },
        rate=50.0,
        burst=5,
    )
    ledger = tmp_path / "history.jsonl"
    ledger.write_text("".join(json.dumps({**c, "target_arn": TARGET}) + "\n" for c in claims))
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: 10\n"
        f'numbers:\n  - "{KEEP}"\n'
    )
    # The pipeline's clock is the account's: moving the emulator's moves both.
    for module in CLOCK_READERS:
        monkeypatch.setattr(module, "_now", server.now)
    return {"server": server, "numbers": numbers, "ledger": ledger, "dir": tmp_path}


def _args(world: dict[str, Any]) -> list[str]:
    return ["--numbers", str(world["numbers"]), "--ledger", str(world["ledger"]), *FAST]


def _released(world: dict[str, Any]) -> list[str]:
    return sorted(
        e["phone_number"] for e in world["server"].history("emulator") if e["action"] == "release"
    )


def _account_used(world: dict[str, Any]) -> int:
    return int(world["server"].state_summary()["quota"]["used"])


def test_without_fit_the_plan_is_refused_and_suggests_fit(world: dict[str, Any]) -> None:
    result = cli("plan", *_args(world))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "it releases the 2 that fit now and defers the other 3" in result.stdout


def test_room_for_two_of_five_releases_two_defers_three_and_later_runs_finish(
    world: dict[str, Any],
) -> None:
    saved = world["dir"] / "plan.json"
    result = cli("plan", "--fit", "--format", "json", "--out", str(saved), *_args(world))
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads(result.stdout)
    assert [r["phone_number"] for r in plan["releases"]] == DROP[:2]
    deferred = plan["deferred"]
    assert [d["phone_number"] for d in deferred] == DROP[2:]
    dates = [datetime.fromisoformat(d["fits_at"]) for d in deferred]
    assert dates == sorted(dates) and dates[0] > world["server"].now() + timedelta(days=9)

    text = cli("plan", "--fit", *_args(world)).stdout
    assert f"  > {DROP[2]}  id " in text and f"fits from {deferred[0]['fits_at']}" in text
    markdown = cli("plan", "--fit", "--format", "markdown", *_args(world)).stdout
    assert (
        "| Deferred | Fits from |" in markdown
        and f"| `{DROP[4]}` | {deferred[2]['fits_at']} |" in markdown
    )

    # Apply the reviewed plan: the 2 that fit, nothing deferred.
    applied = cli("apply", str(saved), "--ledger", str(world["ledger"]), *FAST)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _released(world) == DROP[:2] and _account_used(world) == 20

    # A scheduled run before the first date: nothing fits, nothing refused, nothing released.
    daily = ["apply", "--fit", "--auto-approve", *_args(world)]
    early = cli(*daily)
    assert early.returncode == 0, early.stdout + early.stderr
    assert "Deferred (3)" in early.stdout and _released(world) == DROP[:2]

    # Past the first date: one more fits.
    world["server"].set_clock(dates[0] + timedelta(minutes=1))
    run = cli(*daily)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _released(world) == DROP[:3] and _account_used(world) == 20

    # Past the last date: the runs finish.
    world["server"].set_clock(dates[2] + timedelta(minutes=1))
    run = cli(*daily)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _released(world) == DROP and _account_used(world) <= 20
    final = cli("plan", "--fit", "--detailed-exitcode", "--format", "json", *_args(world))
    assert final.returncode == 0, final.stdout + final.stderr
    done = json.loads(final.stdout)
    assert done["releases"] == [] and done["deferred"] == []


def test_the_markdown_plan_has_the_chart_and_quota_shows_the_window(world: dict[str, Any]) -> None:
    markdown = cli("plan", "--fit", "--format", "markdown", *_args(world))
    assert markdown.returncode == 0, markdown.stderr
    assert "```mermaid\nxychart-beta\n" in markdown.stdout
    assert "    line [18, 18, " in markdown.stdout and "    line [20, 20, " in markdown.stdout

    where = ["--numbers", str(world["numbers"]), "--ledger", str(world["ledger"])]
    text = cli("quota", *where)
    assert text.returncode == 0, text.stderr
    assert "used: 18 of 20" in text.stdout and "events in the window (18):" in text.stdout
    data = json.loads(cli("quota", *where, "--format", "json").stdout)
    assert [(w["used"], w["free"]) for w in data["windows"]] == [(18, 2)]
    # The account agrees: the emulator counts the same 18.
    assert _account_used(world) == 18
    assert "18 used" in cli("quota", *where, "--format", "markdown").stdout


# --- property: a scheduled `apply --fit` converges against the emulator ----------------------


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    releases=st.integers(min_value=1, max_value=5),
    phone_numbers=st.integers(min_value=1, max_value=3),
    prior=st.lists(st.integers(min_value=1, max_value=179), max_size=6),
    steps=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=6),
)
def test_a_scheduled_fit_pipeline_converges_as_the_emulator_clock_moves(
    emulator_factory: Any,
    tmp_path_factory: pytest.TempPathFactory,
    releases: int,
    phone_numbers: int,
    prior: list[int],
    steps: list[int],
) -> None:
    """Runs of `apply --fit --auto-approve` with the emulator's clock moved on by random
    days: never refused, never a failed release (the emulator enforces the quota
    itself), the account never over its limit; then, once the clock passes every date
    the last run promised, one more run finishes."""
    limit = 2 * phone_numbers
    now = datetime.now(UTC).replace(microsecond=0)
    claims = [
        {
            "action": "claim",
            "phone_number": f"+1206555{9000 + i}",
            "at": _at(now - timedelta(days=d)),
        }
        for i, d in enumerate(sorted(prior, reverse=True)[:limit])
    ]
    drop = [f"+120655503{i:02d}" for i in range(releases)]
    server = emulator_factory(
        {
            "account_id": "111122223333",
            "region": "us-east-1",
            "instances": [{"id": INSTANCE}],
            "quota": {"phone_numbers": phone_numbers, "window_days": 180, "limit_percent": 200},
            "numbers": [{"phone_number": n, "instance": INSTANCE} for n in [KEEP, *drop]],
            "history": claims,
        },
        rate=50.0,
        burst=5,
    )
    folder = tmp_path_factory.mktemp("fit")
    ledger = folder / "history.jsonl"
    ledger.write_text("".join(json.dumps({**c, "target_arn": TARGET}) + "\n" for c in claims))
    numbers = folder / "numbers.yaml"
    numbers.write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: {phone_numbers}\n"
        f'numbers:\n  - "{KEEP}"\n'
    )
    args = ["--numbers", str(numbers), "--ledger", str(ledger), *FAST]
    world = {"server": server}

    def run() -> dict[str, Any]:
        result = cli("apply", "--fit", "--auto-approve", "--format", "json", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        assert _account_used(world) <= limit
        shown = cli("plan", "--fit", "--format", "json", *args)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        after = json.loads(shown.stdout)
        assert after["releases"] == []  # the run released everything that fit
        return after  # type: ignore[no-any-return]

    with ExitStack() as clock:
        for module in CLOCK_READERS:
            clock.enter_context(mock.patch.object(module, "_now", server.now))
        plan = run()
        for days in steps:
            server.advance_clock(timedelta(days=days))
            plan = run()
        for _ in range(releases + 1):
            if not plan["deferred"]:
                break
            # The next scheduled run: at the date the plan promised, to the second.
            server.set_clock(datetime.fromisoformat(plan["deferred"][0]["fits_at"]))
            plan = run()
    assert plan["releases"] == [] and plan["deferred"] == []
    assert _released(world) == drop
