"""Both front doors agree: the Pulumi program and ``connect-numbers plan`` on the same inputs.

For each case (a numbers file, a ledger, the mass-release override), the
program runs under mocks against the emulator, and the CLI runs in process
(``reconciler.cli.main``) against the same emulator. They must produce the
same set of releases (number and id), the same quota figures, and the same
refusals: codes, messages, and the very text the CLI prints (all but its first
line, which carries the time the plan was made).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pulumi
import pytest

from reconciler.cli import main as cli_main
from tests.pulumi.test_program_mocks import (
    NUMBERS,
    TARGET,
    Run,
    at,
    busy_ledger,
    config,
    run_program,
    write_ledger,
)

_REFUSAL_LINE = re.compile(r"^  \[(?P<code>[a-z_]+)\] (?P<message>.+)$")


@dataclass(frozen=True)
class Case:
    numbers: str  # the numbers file's text
    ledger: str  # "empty" | "busy" (18 done events) | "earlier" (a release 10 days ago)
    allow_mass_release: bool = False


REPO = Path(NUMBERS).read_text()
HEAD, _, _ = REPO.partition("numbers:\n")  # everything before the list of numbers
EMPTY = HEAD + "numbers: []\n"

CASES = {
    "normal": Case(REPO, "empty"),
    "normal-with-earlier-releases": Case(REPO, "earlier"),
    "quota-breach": Case(REPO, "busy"),
    "mass-release": Case(REPO.replace("max_releases: 10", "max_releases: 2"), "empty"),
    "mass-release-allowed": Case(
        REPO.replace("max_releases: 10", "max_releases: 2"), "empty", allow_mass_release=True
    ),
    "empty-desired": Case(EMPTY, "empty"),
    "empty-desired-allowed": Case(
        EMPTY.replace("numbers: []", "allow_empty: true\nnumbers: []"), "empty"
    ),
    "every-rule-broken": Case(EMPTY.replace("max_releases: 10", "max_releases: 2"), "busy"),
    # Both front doors resolve `auto` from Service Quotas and apply assume_prior
    # for the history the ledger does not cover.
    "auto-quota": Case(
        REPO.replace("phone_numbers: 10 ", "phone_numbers: auto\n  fallback: 99 "), "busy"
    ),
    "assume-prior": Case(REPO.replace("reserve: 0 ", "assume_prior: 15\n  reserve: 0 "), "empty"),
}


def make_ledger(kind: str, path: Path) -> Path:
    if kind == "busy":
        return busy_ledger(path)[0]
    records = []
    if kind == "earlier":
        records.append(
            {
                "action": "release",
                "phone_number": "+12065550199",
                "at": at(datetime.now(UTC) - timedelta(days=10)),
                "status": "done",
                "phone_number_id": "gone-0199",
                "target_arn": TARGET,
            }
        )
    return write_ledger(path, records)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        cli_main(list(argv))
    out, err = capsys.readouterr()
    code = info.value.code
    assert isinstance(code, int), err
    return code, out


def refusals_in(text: str) -> list[tuple[str, str]]:
    return [(m["code"], m["message"]) for m in map(_REFUSAL_LINE.match, text.splitlines()) if m]


def same_figures(ours: Any, theirs: Any) -> bool:
    """Equal, but for instants derived from "now", which may differ by the seconds
    between the two runs (e.g. where the history's coverage window starts)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(same_figures(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, str) and isinstance(theirs, str) and ours != theirs:
        try:
            apart = datetime.fromisoformat(ours) - datetime.fromisoformat(theirs)
        except ValueError:
            return False
        return abs(apart) <= timedelta(minutes=1)
    return bool(ours == theirs)


@pytest.fixture(autouse=True)
def _restore_aws_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.mark.parametrize("name", list(CASES))
def test_the_program_and_the_cli_plan_agree(
    name: str, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CASES[name]
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(case.numbers)
    ledger = make_ledger(case.ledger, tmp_path / "history.jsonl")
    flags = ["--allow-mass-release"] if case.allow_mass_release else []
    # --rate only paces the CLI's calls (the program paces at AWS's default rate).
    argv = ["plan", "--numbers", str(numbers), "--ledger", str(ledger), "--rate", "1000", *flags]

    code, out = cli(capsys, *argv, "--format", "json")
    plan = json.loads(out)
    cli_releases = [(r["phone_number"], r["phone_number_id"]) for r in plan["releases"]]
    cli_refusals = [(r["code"], r["message"]) for r in plan["refusals"]]

    values = config(numbers, ledger=ledger, allow_mass_release=case.allow_mass_release)
    program: Run | None = None
    failure: pulumi.RunError | None = None
    try:
        program = run_program(values, preview=True)
    except pulumi.RunError as exc:
        failure = exc

    if plan["refused"]:
        assert code == 3
        assert failure is not None, f"{name}: the CLI refused the plan, the program did not"
        assert refusals_in(str(failure)) == cli_refusals
        code, text = cli(capsys, *argv)
        assert code == 3
        # The same text the CLI prints, but for the header's "made <time>".
        assert str(failure).splitlines()[1:] == text.rstrip("\n").splitlines()[1:]
        return

    assert code == 0
    assert failure is None, f"{name}: the program failed: {failure}"
    assert program is not None
    released = [
        (r.name, r.args["phone_number_id"])
        for r in program.resources
        if r.args["state"] == "released" and not r.args["settled"]
    ]
    assert released == cli_releases
    assert program.outputs["plan"]["release_numbers"] == [n for n, _ in cli_releases]
    # The program leaves out only what changes with the clock alone (stable outputs).
    cli_quota = plan["quota"]
    if isinstance(cli_quota.get("coverage"), dict):
        coverage = {
            k: v
            for k, v in cli_quota["coverage"].items()
            if k not in ("uncovered_from", "uncovered_until")
        }
        cli_quota = {**cli_quota, "coverage": coverage}
    assert same_figures(program.outputs["quota"], cli_quota)
    for key in ("releases", "keeps", "missing", "skipped", "deactivated_flows"):
        assert program.outputs["plan"][key] == plan["summary"][key], key


def test_the_cases_cover_every_refusal_code(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(CASES["every-rule-broken"].numbers)
    ledger = make_ledger("busy", tmp_path / "history.jsonl")
    _, out = cli(
        capsys,
        "plan",
        "--numbers",
        str(numbers),
        "--ledger",
        str(ledger),
        "--format",
        "json",
        "--rate",
        "1000",
    )
    assert [r["code"] for r in json.loads(out)["refusals"]] == [
        "quota_exceeded",
        "empty_desired_state",
        "mass_release",
    ]
