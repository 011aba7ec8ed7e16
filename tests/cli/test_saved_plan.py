"""A saved plan is a record of what was reviewed, not an authority (issue 10, item 2).

The attacks of the issue, through the real CLI against the emulator: a refused
plan saved by `plan --out`, edited to `"refused": false, "refusals": []` with
its `plan_id` recomputed (an unkeyed digest anyone can recompute), must release
nothing and exit 3, because apply re-decides every rule (quota, empty file,
mass release) on the numbers file, live inventory and history as they are now,
and releases only what both the saved and a fresh plan release.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.app import planfiles
from reconciler.core import planfile, render
from tests.conftest import DEMO_SEED

from .support import run
from .test_apply import RELEASED, listed
from .test_plan import NUMBERS, busy_ledger

KEPT = ["+12065550100", "+12065550101", "+12065550102"]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    path.touch()
    return path


def numbers_file(tmp_path: Path, old: str, new: str) -> Path:
    text = Path(NUMBERS).read_text()
    assert old in text
    path = tmp_path / "numbers.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def forge(path: Path, edit: Any) -> None:
    """Edit a saved plan as an attacker would, and recompute its plan_id."""
    data = json.loads(path.read_text())
    edit(data)
    data["refused"] = bool(data["refusals"])
    data["plan_id"] = render.plan_id(planfile.plan_from_dict(data))
    path.write_text(json.dumps(data))
    assert planfiles.load_plan(str(path))  # it passes the id check


def unrefuse(data: dict[str, Any]) -> None:
    data["refusals"] = []


def saved_plan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, numbers: Path | str, *extra: str
) -> Path:
    out = tmp_path / "plan.json"
    code, _, err = run(capsys, "plan", "--numbers", str(numbers), "--out", str(out), *extra)
    assert code in (0, 3), err
    return out


def assert_refused_block(code: int, out: str, err: str, *codes: str) -> None:
    """Exit 3; the refusals in one short block; no line per number."""
    assert code == 3, out + err
    lines = out.strip().splitlines()
    assert lines[0].startswith("Apply refused (plan-") and "nothing was released" in lines[0]
    assert [line.split("]")[0].strip(" [") for line in lines[1:]] == list(codes)
    assert "not_attempted" not in out + err and "not attempted" not in out + err


def test_an_edited_refused_plan_releases_nothing_mass_release(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    numbers = numbers_file(tmp_path, "max_releases: 10", "max_releases: 1")
    saved = saved_plan(capsys, tmp_path, numbers)
    assert json.loads(saved.read_text())["refused"] is True
    forge(saved, unrefuse)
    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert_refused_block(code, out, err, "mass_release")
    assert "--allow-mass-release to both `connect-numbers plan` and `connect-numbers apply`" in out
    assert emulator.history() == [] and set(RELEASED) <= listed(emulator)


def test_an_edited_refused_plan_releases_nothing_empty_file(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    text = Path(NUMBERS).read_text()
    empty = tmp_path / "numbers.yaml"
    empty.write_text(text[: text.index("numbers:\n")] + "numbers: []\n")
    saved = saved_plan(capsys, tmp_path, empty)
    forge(saved, unrefuse)
    # The kept numbers too, and the IN_PROGRESS one: refused from the listing alone,
    # its statuses were not read (`described: false`).
    data = json.loads(saved.read_text())
    assert len(data["releases"]) == 8 and data["described"] is False
    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert_refused_block(code, out, err, "empty_desired_state")
    assert emulator.history() == [] and set(KEPT) <= listed(emulator)


def test_an_edited_refused_plan_releases_nothing_quota(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    busy = busy_ledger(tmp_path / "busy.jsonl", 18)  # 4 releases on 18 of 20: refused
    saved = saved_plan(capsys, tmp_path, NUMBERS, "--ledger", str(busy))
    forge(saved, unrefuse)
    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(busy), "--format", "json")
    assert code == 3, err
    report = json.loads(out)
    assert [r["code"] for r in report["refusals"]] == ["quota_exceeded"]
    assert report["outcomes"] == [] and report["ok"] is False
    assert emulator.history() == []


def test_releases_added_for_kept_numbers_make_the_plan_stale(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    """The numbers file lists +12065550100..0102 at the top: releases added for them
    in the saved plan are refused before anything is released."""
    saved = saved_plan(capsys, tmp_path, NUMBERS)

    def add_the_keeps(data: dict[str, Any]) -> None:
        data["releases"] += [
            {
                "phone_number": k["phone_number"],
                "phone_number_id": k["phone_number_id"],
                "phone_number_arn": f"arn:aws:connect:us-east-1:111122223333:phone-number/"
                f"{k['phone_number_id']}",
                "target_arn": k["target_arn"],
            }
            for k in data["keeps"]
        ]

    forge(saved, add_the_keeps)
    code, _, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert code == 1 and "is stale" in err and "Nothing was released" in err
    for number in KEPT:
        assert f"{number} (" in err and f"is kept by {NUMBERS}, but the plan releases it" in err
    assert emulator.history() == [] and set(KEPT) <= listed(emulator)


def test_a_release_that_is_not_one_of_the_fresh_plan_is_not_made(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    """A saved release whose number was changed (its id left as it was) is not a
    release of the fresh plan: it is skipped with why, the others are made."""
    saved = saved_plan(capsys, tmp_path, NUMBERS)

    def rename_the_first(data: dict[str, Any]) -> None:
        data["releases"][0]["phone_number"] = KEPT[0]

    forge(saved, rename_the_first)
    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert code == 0, err
    assert "Apply complete" in out and "3 released, 1 skipped" in out
    assert f"skipped  {KEPT[0]}  not released: a fresh plan releases id" in err
    assert {RELEASED[0], *KEPT} <= listed(emulator)
    released = sorted(e["phone_number"] for e in emulator.history() if e["action"] == "release")
    assert released == RELEASED[1:]


def test_a_mass_release_needs_the_flag_on_plan_and_on_apply(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    numbers = numbers_file(tmp_path, "max_releases: 10", "max_releases: 1")
    saved = saved_plan(capsys, tmp_path, numbers, "--allow-mass-release")
    assert json.loads(saved.read_text())["refused"] is False
    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert_refused_block(code, out, err, "mass_release")
    assert emulator.history() == []

    # The hint of `plan --out` carried the flag: the exact command applies it.
    code, stdout, _ = run(
        capsys, "plan", "--numbers", str(numbers), "--ledger", str(ledger),
        "--out", str(saved), "--allow-mass-release",
    )  # fmt: skip
    assert code == 0 and stdout.rstrip().endswith("--allow-mass-release")
    code, out, err = run(
        capsys, "apply", str(saved), "--ledger", str(ledger), "--allow-mass-release"
    )
    assert code == 0, err
    assert "4 released" in out and len(emulator.history()) == 4


@pytest.mark.parametrize("forgery", ["unrefused", "policy"])
def test_the_flag_on_apply_alone_is_not_two_acts(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path, forgery: str
) -> None:
    """A plan reviewed without --allow-mass-release (refused and edited to pass, or made
    with the flag and its policy edited) is not released by `apply --allow-mass-release`."""
    numbers = numbers_file(tmp_path, "max_releases: 10", "max_releases: 1")
    if forgery == "unrefused":
        saved = saved_plan(capsys, tmp_path, numbers)
        forge(saved, unrefuse)
    else:
        saved = saved_plan(capsys, tmp_path, numbers, "--allow-mass-release")
        forge(saved, lambda data: data["policy"].update(allow_mass_release=False))
    code, out, err = run(
        capsys, "apply", str(saved), "--ledger", str(ledger), "--allow-mass-release"
    )
    assert_refused_block(code, out, err, "mass_release")
    assert "to both `connect-numbers plan` and `connect-numbers apply`" in out
    assert emulator.history() == []


def test_a_refused_plan_is_refused_with_no_aws_call(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    numbers = numbers_file(tmp_path, "max_releases: 10", "max_releases: 1")
    saved = saved_plan(capsys, tmp_path, numbers)
    emulator.reset_stats()
    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert_refused_block(code, out, err, "mass_release")
    assert emulator.stats()["total_calls"] == 0


def test_the_fresh_plan_costs_one_listing_and_no_describe(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    """Re-deciding the rules lists the inventory once more; statuses are read by the
    describe each release makes just before it, not by R more describes up front."""
    saved = saved_plan(capsys, tmp_path, NUMBERS)
    emulator.reset_stats()
    code, _, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert code == 0, err
    calls = emulator.stats()["calls"]
    assert calls["ListPhoneNumbersV2"] == 2  # the fresh plan, and the staleness check
    assert calls["DescribePhoneNumber"] == calls["ReleasePhoneNumber"] == len(RELEASED)


def test_a_plan_that_counted_cloudtrail_is_re_decided_on_cloudtrail_too(
    emulator_factory: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, ledger: Path
) -> None:
    """18 claims only CloudTrail knows of: `plan --history cloudtrail` refuses 4 releases
    (22 of 20). Edited to pass, the plan must not be re-decided on the ledger alone
    (0 used), which let apply release until AWS itself refused, at 20 of 20."""
    seed = yaml.safe_load(DEMO_SEED.read_text())
    instance = seed["instances"][0]["id"]
    seed["history"] = [
        {
            "action": "claim",
            "phone_number": f"+1425555{2000 + i}",
            "at": f"2026-10-{1 + i:02d}T12:00:00Z",
            "phone_number_id": f"00000000-0000-4000-8000-{i:012d}",
            "instance": instance,
        }
        for i in range(18)
    ]
    emulator = emulator_factory(seed)
    emulator.set_clock("2026-11-28T12:00:00Z")
    ledger.write_text(
        '{"status": "coverage", "since": "2026-01-01T00:00:00Z", "source": "created", '
        '"at": "2026-01-01T00:00:00Z"}\n'
    )
    saved = saved_plan(
        capsys, tmp_path, NUMBERS, "--ledger", str(ledger), "--history", "cloudtrail"
    )
    assert [r["code"] for r in json.loads(saved.read_text())["refusals"]] == ["quota_exceeded"]
    forge(saved, unrefuse)
    code, out, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert_refused_block(code, out, err, "quota_exceeded")
    assert "22 of 20" in out
    assert [e for e in emulator.history() if e.get("origin") != "seed"] == []
