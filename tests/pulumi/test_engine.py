"""The Pulumi program and provider under the real Pulumi engine (``make pulumi-cli``).

Every test runs the real CLI (tests/pulumi/engine.py) on a local file backend
against the bundled emulator (examples/emulator-seed.yaml): with the
repository's numbers.yaml, 4 numbers are to be released (RELEASES), 3 kept and
1 skipped (IN_PROGRESS). What the mocks could not show is checked here: what
`pulumi preview --json` lists, the engine's Check before Create, the steps the
engine runs, the state it keeps. In CI a missing CLI fails these tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from connect_emulator import EmulatorServer
from tests.pulumi.engine import ROOT, Project, diagnostics, ops, steps

INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}"
RELEASES = ["+12065550150", "+12065550151", "+12065550152", "+18005550199"]
KEEPS = ["+12065550100", "+12065550101", "+12065550102"]
SKIPPED = ["+12065550160"]
ROWS = sorted(RELEASES + KEEPS + SKIPPED)
URN = (
    "urn:pulumi:{stack}::connect-numbers::connect-numbers:index:ConnectNumbers"
    "$pulumi-python:dynamic/connect-numbers:PhoneNumber::{n}"
)


def released(server: EmulatorServer) -> Counter[str]:
    """How many times the emulator released each number (through the API)."""
    return Counter(
        e["phone_number"] for e in server.history("emulator") if e["action"] == "release"
    )


def ledger_done(project: Project) -> list[str]:
    lines = project.ledger.read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return sorted(
        r["phone_number"]
        for r in records
        if r.get("action") == "release" and r.get("status") == "done"
    )


def preview(project: Project, *extra: str) -> dict[str, Any]:
    """`pulumi preview --json`, unchanged resources listed too (as op ``same``)."""
    result = project.preview("--show-sames", *extra)
    assert result.code == 0, result.text
    return result.json()


def up(project: Project, *extra: str) -> None:
    result = project.up(*extra)
    assert result.code == 0, result.text


def adopted(project: Project, server: EmulatorServer) -> None:
    """The stack's first `pulumi up`: every number adopted as claimed, nothing released."""
    up(project)
    assert released(server) == Counter()


@pytest.fixture
def project(emulator: EmulatorServer, tmp_path: Path) -> Project:
    return Project.make(tmp_path)


# --- a release is never a create ---------------------------------------------------------------


def test_the_first_preview_adopts_every_number_and_changes_nothing(
    project: Project, emulator: EmulatorServer
) -> None:
    emulator.reset_stats()
    shown = preview(project)
    assert ops(shown) == dict.fromkeys(ROWS, "create")
    for name, step in steps(shown).items():
        # The engine shows what the provider's Check returned: claimed, even for a release.
        assert step["newState"]["inputs"]["state"] == "claimed", name
    # + the stack and the ConnectNumbers component the numbers are children of
    assert shown["changeSummary"] == {"create": len(ROWS) + 2}
    # No release warning: nothing is released by this update.
    assert not [d for d in diagnostics(shown, "warning") if "RELEASED" in d["message"]]
    notes = {d["urn"] for d in diagnostics(shown, "info") if "adopted as claimed" in d["message"]}
    assert notes == {URN.format(stack="dev", n=n) for n in RELEASES}
    assert emulator.stats()["calls"].get("ReleasePhoneNumber", 0) == 0
    assert released(emulator) == Counter()
    assert project.ledger.read_text() == ""


def test_the_first_up_releases_nothing_the_next_preview_shows_each_release_as_its_own_update(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    assert {n: o["state"] for n, o in project.numbers().items()} == dict.fromkeys(ROWS, "claimed")

    shown = preview(project)
    assert ops(shown) == {n: "update" if n in RELEASES else "same" for n in ROWS}
    for number in RELEASES:
        step = steps(shown)[number]
        assert step["oldState"]["inputs"]["state"] == "claimed"
        assert step["newState"]["inputs"]["state"] == "released"
    # Only `state` changes: no plan id or time in the inputs.
    for number in RELEASES:
        step = steps(shown)[number]
        old, new = step["oldState"]["inputs"], step["newState"]["inputs"]
        assert {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)} == {"state"}
    warned = {
        d["urn"]: d["message"] for d in diagnostics(shown, "warning") if "RELEASED" in d["message"]
    }
    assert set(warned) == {URN.format(stack="dev", n=n) for n in RELEASES}
    assert all("irreversible" in m for m in warned.values())
    assert shown["changeSummary"] == {"same": 6, "update": 4}  # with the stack and component
    assert released(emulator) == Counter()

    # `up` applies exactly what the preview showed: those four, once each.
    up(project)
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))
    assert ledger_done(project) == RELEASES
    states = {n: o["state"] for n, o in project.numbers().items()}
    assert states == {n: "released" if n in RELEASES else "claimed" for n in ROWS}

    # Converged: nothing left to do, in preview and in the engine's own check.
    again = preview(project)
    assert set(ops(again).values()) == {"same"}
    assert project.run("preview", "--expect-no-changes").code == 0
    up(project)
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))


def test_a_number_claimed_by_hand_after_the_stack_exists_is_adopted_before_any_release(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    up(project)  # the four planned releases
    connect = boto3.client("connect", region_name="us-east-1")
    connect.claim_phone_number(TargetArn=TARGET, PhoneNumber="+12065550104")

    shown = preview(project)
    assert ops(shown)["+12065550104"] == "create"
    assert steps(shown)["+12065550104"]["newState"]["inputs"]["state"] == "claimed"
    assert not diagnostics(shown, "warning")
    up(project)
    assert released(emulator)["+12065550104"] == 0

    shown = preview(project)
    assert ops(shown)["+12065550104"] == "update"
    assert [d["urn"] for d in diagnostics(shown, "warning")] == [
        URN.format(stack="dev", n="+12065550104")
    ]
    up(project)
    assert released(emulator)["+12065550104"] == 1


# --- what never releases -----------------------------------------------------------------------


def test_destroy_and_state_delete_release_nothing(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    shown = preview(project)
    assert set(ops(shown).values()) == {"update", "same"}  # four releases pending

    deleted = project.run("state", "delete", URN.format(stack="dev", n=RELEASES[0]), "--yes")
    assert deleted.code == 0, deleted.text
    assert RELEASES[0] not in project.numbers()
    destroyed = project.run("destroy", "--yes", "--skip-preview")
    assert destroyed.code == 0, destroyed.text
    assert project.numbers() == {}
    assert emulator.stats()["calls"].get("ReleasePhoneNumber", 0) == 0
    assert released(emulator) == Counter()


def test_refresh_reads_each_number_and_releases_nothing(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    connect = boto3.client("connect", region_name="us-east-1")
    number_id = project.numbers()[RELEASES[1]]["phone_number_id"]
    connect.release_phone_number(PhoneNumberId=number_id)  # released outside the stack
    emulator.reset_stats()

    refreshed = project.run("refresh", "--yes", "--skip-preview")
    assert refreshed.code == 0, refreshed.text
    calls = emulator.stats()["calls"]
    assert calls.get("ReleasePhoneNumber", 0) == 0
    assert calls.get("ListFlowAssociations", 0) == 0  # Read does not use flows
    # One listing per target serves every resource's Read (plus its own pages).
    assert calls.get("ListPhoneNumbersV2", 0) <= 2
    outs = project.numbers()
    assert outs[RELEASES[1]]["state"] == "released"
    assert "released outside this stack" in outs[RELEASES[1]]["outcome"]
    assert {n for n, o in outs.items() if o["state"] == "claimed"} == set(ROWS) - {RELEASES[1]}


# --- failures ----------------------------------------------------------------------------------


def test_a_refused_plan_fails_preview_with_the_refusal_text(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    text = (Path(__file__).resolve().parents[2] / "numbers.yaml").read_text()
    strict = text.replace("max_releases: 10", "max_releases: 1")
    assert strict != text
    project = Project.make(tmp_path, numbers=strict)
    result = project.preview()
    assert result.code != 0
    # The CLI's refusal text, as the error of the program.
    assert "REFUSED" in result.text and "[mass_release]" in result.text
    assert "safety.max_releases" in result.text
    assert "Traceback" not in result.text
    assert released(emulator) == Counter()


def test_a_failure_in_the_middle_of_up_then_a_rerun_releases_each_number_once(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    # One release is refused by AWS (a permanent error): that step fails, the others run.
    emulator.add_fault(
        "error", operation="ReleasePhoneNumber", count=1, code="AccessDeniedException"
    )
    failed = project.up()
    assert failed.code != 0
    assert "AccessDeniedException" in failed.text
    first = released(emulator)
    assert sum(first.values()) == 3 and set(first.values()) == {1}

    up(project)
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))
    assert ledger_done(project) == RELEASES


def test_target_releases_only_the_targeted_number(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    up(project, "--target", URN.format(stack="dev", n=RELEASES[2]))
    assert released(emulator) == Counter({RELEASES[2]: 1})
    shown = preview(project)
    assert sorted(n for n, op in ops(shown).items() if op == "update") == sorted(
        set(RELEASES) - {RELEASES[2]}
    )


def test_a_second_stack_on_the_same_target_and_ledger_is_refused(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    up(project)  # the first stack releases, recorded under its name in the ledger
    # A second stack of the same program, on the same instance and the same ledger.
    project.new_stack("other", ledger=False)
    project.run("config", "set", "connect-numbers:ledger", "ledger-dev.jsonl", check=True)
    shown = project.preview()
    assert shown.code != 0
    assert "another Pulumi stack manages the same target" in shown.text
    assert f"{TARGET}: released by the stack connect-numbers/dev" in shown.text
    assert "Traceback" not in shown.text
    assert project.up().code != 0
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))
    # The first stack goes on as before.
    project.select("dev")
    assert set(ops(preview(project)).values()) == {"same"}


def test_an_interrupted_release_is_settled_by_the_next_up(
    project: Project, emulator: EmulatorServer
) -> None:
    from datetime import UTC, datetime

    from reconciler import ledger
    from reconciler.app import ledgers
    from reconciler.core.apply_rules import client_token
    from reconciler.core.stack import release_scope

    adopted(project, emulator)
    number = RELEASES[0]
    number_id = project.numbers()[number]["phone_number_id"]
    # A run died after recording its intent, and after its ReleasePhoneNumber landed.
    scope = release_scope("connect-numbers/dev")
    ledgers.open_ledger(str(project.ledger)).append(
        ledger.LedgerRecord(
            action="release",
            phone_number=number,
            at=datetime.now(UTC),
            status="intent",
            phone_number_id=number_id,
            target_arn=TARGET,
            plan_id=scope,
            client_token=client_token(scope, number_id),
        )
    )
    boto3.client("connect", region_name="us-east-1").release_phone_number(PhoneNumberId=number_id)

    # The preview says so in Pulumi's terms: there is no apply to run again.
    shown = project.preview()
    assert shown.code == 0, shown.text
    assert "outcome is not recorded" in shown.text
    assert "the next `pulumi up` settles it" in shown.text
    assert "apply again" not in shown.text

    up(project)
    assert number in ledger_done(project)
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))
    again = project.preview()
    assert again.code == 0 and "outcome is not recorded" not in again.text


# --- the reviewed preview is what `up` applies ---------------------------------------------------


def test_a_saved_plan_applies_exactly_the_reviewed_preview(
    project: Project, emulator: EmulatorServer, tmp_path: Path
) -> None:
    adopted(project, emulator)
    saved = tmp_path / "reviewed-plan.json"
    shown = project.run("preview", "--save-plan", str(saved))
    assert shown.code == 0, shown.text
    result = project.run("up", "--yes", "--plan", str(saved))
    assert result.code == 0, result.text
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))


def test_a_number_claimed_between_the_reviewed_preview_and_up_is_never_released(
    project: Project, emulator: EmulatorServer, tmp_path: Path
) -> None:
    adopted(project, emulator)
    saved = tmp_path / "reviewed-plan.json"
    assert project.run("preview", "--save-plan", str(saved)).code == 0
    connect = boto3.client("connect", region_name="us-east-1")
    connect.claim_phone_number(TargetArn=TARGET, PhoneNumber="+12065550104")
    result = project.run("up", "--yes", "--plan", str(saved))
    assert released(emulator)["+12065550104"] == 0
    # The new number was not in the reviewed plan: the engine refuses to touch it.
    assert result.code != 0, result.text
    assert "+12065550104" in result.text


# --- docs/pulumi-preview-diff.txt: what the real engine prints ----------------------------------

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "pulumi-preview-diff.txt"
UPDATE_SAMPLE_ENV = "UPDATE_PREVIEW_SAMPLE"
SAMPLE_HEADER = """\
# What `pulumi preview --diff` prints for the repository's numbers.yaml against the
# demo inventory (examples/emulator-seed.yaml), on the stack's second run: the first
# `pulumi up` adopted every number as claimed (no AWS call), so each release is an
# update of its own row (`state: "claimed" => "released"`) with a warning on that row,
# and nothing else changes. Captured from the real Pulumi CLI by
# tests/pulumi/test_engine.py (regenerate: UPDATE_PREVIEW_SAMPLE=1 pytest
# tests/pulumi/test_engine.py -k preview_sample); times are replaced by <time> and
# <date>, and blocks the engine prints in completion order are sorted by number.
"""


def canonical(text: str) -> str:
    """The CLI's text with run-dependent parts made stable (times, completion order)."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<time>", text)
    text = re.sub(r"\b\d{4}-\d\d-\d\d\b", "<date>", text)
    lines = text.rstrip("\n").splitlines()
    out: list[str] = []
    blocks: list[list[str]] = []

    def flush() -> None:
        for block in sorted(blocks):
            out.extend(block)
        blocks.clear()

    for line in lines:
        # A resource's block (its diff, or its diagnostics) starts at its header line.
        starts = re.match(
            r"^(    [~+\-] pulumi-python:dynamic/"  # a resource's diff
            r"|  pulumi-python:dynamic/|  pulumi:pulumi:Stack \("  # its diagnostics
            r"|  connect-numbers:index:ConnectNumbers \()",
            line,
        )
        diagnostic = bool(blocks) and not blocks[-1][0].startswith("    ")
        inside = bool(blocks) and line.startswith("    " if diagnostic else "      ")
        if starts:
            blocks.append([line])
        elif inside or (diagnostic and line.strip() == ""):
            blocks[-1].append(line)
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out) + "\n"


def test_preview_sample_is_what_the_real_engine_prints(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    plain = project.run("preview")
    diff = project.run("preview", "--diff")
    assert plain.code == 0 and diff.code == 0, plain.text + diff.text
    # The plain view's progress lines come in completion order: its summary is the
    # part that reads the same every time (the diagnostics, each on its own row).
    summary = plain.out[plain.out.index("Diagnostics:") :]
    text = (
        SAMPLE_HEADER
        + "\n$ pulumi preview   # (progress lines left out)\n"
        + canonical(summary)
        + "\n$ pulumi preview --diff   # (stdout; the warnings go to stderr)\n"
        + canonical(diff.out)
    )
    shown = text[len(SAMPLE_HEADER) :].splitlines()
    assert sum('~ state           : "claimed" => "released"' in line for line in shown) == 4
    assert sum("is RELEASED from" in line for line in shown) == 4
    assert not any("(create)" in line or "(delete)" in line or "replace" in line for line in shown)
    if os.environ.get(UPDATE_SAMPLE_ENV):
        SAMPLE.write_text(text)
    assert SAMPLE.read_text() == text, f"{SAMPLE} drifted: run with {UPDATE_SAMPLE_ENV}=1"


# --- packaging the Pulumi way ------------------------------------------------------------------


def test_pulumi_install_on_a_fresh_clone_gives_a_working_virtualenv(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    """`pulumi install` (requirements.txt) then `pulumi preview`, in a clone of this commit.

    pip fetches the dependencies from the package index (or its cache). No
    provider plugin is downloaded: nothing installed declares one.
    """
    clone = tmp_path / "clone"
    cloned = subprocess.run(
        ["git", "clone", "--quiet", str(ROOT), str(clone)], capture_output=True, text=True
    )
    assert cloned.returncode == 0, cloned.stderr
    project = Project.at(clone, tmp_path, venv=clone / ".venv")
    installed = project.run("install")
    assert installed.code == 0, installed.text
    assert (clone / ".venv" / "bin" / "python").exists()
    # No package declares a resource plugin, so the engine asks for none.
    assert not list((clone / ".venv").glob("lib/python*/site-packages/*/pulumi-plugin.json"))
    assert "plugin" not in installed.text.lower()  # pip's own downloads aside

    project.new_stack("dev")
    shown = preview(project)
    assert ops(shown) == dict.fromkeys(ROWS, "create")
    assert released(emulator) == Counter()


def test_aws_profile_reaches_the_provider_process(emulator: EmulatorServer, tmp_path: Path) -> None:
    # No credentials in the environment: only the stack's aws:profile has some.
    aws = tmp_path / "aws"
    aws.mkdir()
    (aws / "config").write_text("[profile demo]\nregion = us-east-1\n")
    (aws / "credentials").write_text(
        "[demo]\naws_access_key_id = demo\naws_secret_access_key = demo\n"
    )
    project = Project.make(tmp_path)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        project.env.pop(name, None)
    project.env["AWS_CONFIG_FILE"] = str(aws / "config")
    project.env["AWS_SHARED_CREDENTIALS_FILE"] = str(aws / "credentials")
    project.run("config", "set", "aws:profile", "demo", check=True)
    adopted(project, emulator)
    # The releases run in the provider's process, which the engine starts with the
    # shell's environment: it finds the profile in the stack config (configure()).
    up(project)
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))
