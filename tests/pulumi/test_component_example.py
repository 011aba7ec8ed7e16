"""examples/pulumi-component: ConnectNumbers composed with aws.connect.Instance, under mocks.

The mocks answer the instance's registration with the ARN of the emulator's
demo instance, so the component's targets are a real output of another
resource; its plan reads the emulator through real boto3. See
PULUMI_TESTING.md for the traps handled here (a fresh root stack and the whole
config each run, registrations checked once the test function's outputs
resolved).
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import pytest

from reconciler.pulumi.component import COMPONENT_TYPE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pulumi-component"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}"
TYPE_TOKEN = "pulumi-python:dynamic/connect-numbers:PhoneNumber"
INSTANCE_TYPE = "aws:connect/instance:Instance"
RELEASES = ["+12065550150", "+12065550151", "+12065550152", "+18005550199"]
KEEPS = ["+12065550100", "+12065550101", "+12065550102"]


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        if args.typ == INSTANCE_TYPE:
            return INSTANCE, {**args.inputs, "arn": TARGET}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def run_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, numbers: str | None = None
) -> tuple[Mocks, dict[str, Any]]:
    project = tmp_path / "example"
    project.mkdir()
    for name in ("__main__.py", "Pulumi.yaml", "phone-numbers.yaml"):
        (project / name).write_text((EXAMPLE / name).read_text())
    if numbers is not None:
        (project / "phone-numbers.yaml").write_text(numbers)
    (project / "history.jsonl").write_text("")
    monkeypatch.chdir(project)

    mocks = Mocks()
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project="connect-numbers-component-example", stack="test")
    pulumi.runtime.set_all_config(
        {"connect-numbers-component-example:ledger": "history.jsonl", "aws:region": "us-east-1"}
    )
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    async def program() -> pulumi.Output[None]:
        runpy.run_path(str(project / "__main__.py"), run_name="__main__")
        stack = pulumi.runtime.settings.get_root_resource()
        assert stack is not None
        everything = pulumi.Output.from_input(dict(stack.outputs))
        assert await everything.is_known()
        return everything.apply(outputs.update)

    program()
    assert outputs, "the outputs never resolved"
    return mocks, outputs


def test_the_example_plans_the_instance_it_creates_and_registers_each_number_under_it(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mocks, outputs = run_example(tmp_path, monkeypatch)
    assert outputs["instanceArn"] == TARGET
    types = sorted({a.typ for a in mocks.created})
    assert types == sorted({INSTANCE_TYPE, COMPONENT_TYPE, TYPE_TOKEN})
    numbers = {a.name: a for a in mocks.created if a.typ == TYPE_TOKEN}
    assert sorted(numbers) == sorted([*RELEASES, *KEEPS, "+12065550160"])
    for name, args in numbers.items():
        # Its target is the instance's output, and the number is the component's child.
        assert args.inputs["target_arn"] == TARGET, name
        assert args.inputs["numbers_file"] == "phone-numbers.yaml"
        assert args.inputs["ledger"] == "history.jsonl"
        assert args.inputs["stack"] == "connect-numbers-component-example/test"
        expected = "released" if name in RELEASES else "claimed"
        assert args.inputs["state"] == expected, name
    plan = outputs["plan"]
    assert (plan["releases"], plan["keeps"], plan["missing"], plan["skipped"]) == (4, 3, 0, 1)
    assert plan["release_numbers"] == RELEASES
    assert outputs["quota"]["limit"] == 20
    assert json.loads(json.dumps(outputs)) == outputs  # plain, stable values


def test_targets_given_twice_are_an_error_naming_the_file(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (EXAMPLE / "phone-numbers.yaml").read_text()
    both = text.replace("quota:", f"targets:\n  - arn: {TARGET}\nquota:", 1)
    with pytest.raises(pulumi.RunError) as failure:
        run_example(tmp_path, monkeypatch, numbers=both)
    message = str(failure.value)
    assert "phone-numbers.yaml: targets: lists its own targets" in message
    assert "Traceback" not in message


def test_the_example_numbers_file_has_no_targets_and_is_otherwise_version_1() -> None:
    # Named phone-numbers.yaml: tests/desired takes examples/**/numbers*.yaml as
    # complete version-1 files, and this one leaves its targets to the program.
    from reconciler import desired

    state = desired.load_desired_for(EXAMPLE / "phone-numbers.yaml", [TARGET])
    assert [t.arn for t in state.targets] == [TARGET]
    assert {n.phone_number for n in state.numbers} == set(KEEPS)
