"""`connect-numbers init`: adopt an existing account with zero releases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.desired import load_desired

from .support import run

TARGET = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_init_then_plan_releases_nothing(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    code, out, _ = run(capsys, "init", "--target", TARGET, "--out", str(path))
    assert code == 0 and "8 number(s) kept on 1 target(s)" in out
    state = load_desired(path)
    assert state.quota.auto and state.quota.phone_numbers == 8
    descriptions = {n.phone_number: n.description for n in state.numbers}
    assert descriptions["+12065550150"] == "Old promo line"
    code, out, _ = run(capsys, "plan", "--numbers", str(path), "--detailed-exitcode")
    assert code == 0, out
    assert "Release: nothing." in out


def test_init_refuses_to_overwrite_without_force(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text("keep me")
    code, _, err = run(capsys, "init", "--target", TARGET, "--out", str(path))
    assert code == 1 and "exists; nothing written. Use --force" in err
    assert path.read_text() == "keep me"
    code, _, _ = run(capsys, "init", "--target", TARGET, "--out", str(path), "--force")
    assert code == 0 and "version: 1" in path.read_text()


def test_init_with_a_bad_target(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "init", "--target", "arn:nope", "--out", str(tmp_path / "n.yaml"))
    assert code == 1 and "--target: not a Connect instance" in err


def test_init_offers_the_instances_traffic_distribution_groups_as_targets(
    emulator_factory: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 14: ListPhoneNumbersV2 by the instance ARN does not return a TDG's numbers;
    init lists the instance's TDGs (ListTrafficDistributionGroups) and adds each as a
    target with its numbers kept, so they are managed and the first plan releases nothing."""
    instance = TARGET.rsplit("/", 1)[1]
    tdg = TARGET.replace(f"instance/{instance}", "traffic-distribution-group/tdg-1")
    emulator_factory(
        {
            "instances": [{"id": instance}],
            "traffic_distribution_groups": [{"id": "tdg-1", "instance": instance, "name": "ew"}],
            "numbers": [
                {"phone_number": "+12065550100", "instance": instance},
                {
                    "phone_number": "+12065550101",
                    "instance": instance,
                    "traffic_distribution_group": "tdg-1",
                    "description": "Replicated line",
                },
            ],
        }
    )
    path = tmp_path / "numbers.yaml"
    code, out, err = run(capsys, "init", "--target", TARGET, "--out", str(path))
    assert code == 0, err
    assert (
        f"Found traffic distribution group ew ({tdg}): added as a target, its 1 number(s) kept."
        in out
    )
    assert "2 number(s) kept on 2 target(s)" in out
    state = load_desired(path)
    assert [t.arn for t in state.targets] == [TARGET, tdg]
    assert 'description: "traffic distribution group ew"' in path.read_text()
    assert {n.phone_number: n.description for n in state.numbers} == {
        "+12065550100": None,
        "+12065550101": "Replicated line",
    }
    code, out, _ = run(capsys, "plan", "--numbers", str(path), "--detailed-exitcode")
    assert code == 0 and "Release: nothing." in out, out
    # Listed once more, it is not added twice.
    code, out, err = run(
        capsys, "init", "--target", TARGET, "--target", tdg, "--out", str(path), "--force"
    )
    assert code == 0 and "Found traffic distribution group" not in out, err
