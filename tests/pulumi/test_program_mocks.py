"""The Pulumi program (``__main__.py``) under ``pulumi.runtime.set_mocks``, against the emulator.

The Pulumi CLI cannot be installed here, so the program runs as the language
host runs it (``runpy.run_path(..., run_name="__main__")``) with a mock
monitor, while its inventory reads go to the bundled Connect emulator through
real boto3. The traps of PULUMI_TESTING.md are handled once, in ``run_program``:

- every run resets the root stack and sets the whole config (state leaks
  between tests otherwise);
- registration is asynchronous: the checks run inside an ``apply`` that the
  ``@pulumi.runtime.test`` function returns, over every resource's URN and the
  exported outputs, so they see every registration; ``is_known`` is asserted
  first (in preview an apply over unknown values silently never runs), and a
  flag proves the apply ran;
- recorded resources are sorted (their order varies from run to run).

The provider is pickled when a resource is constructed, so these tests also
fail on a provider that captures an unpicklable object. Provider methods never
run under mocks (releasing is tested by driving the provider's own process, in
test_provider_grpc.py); one test here calls the provider's update and diff in
process, to check that the program's inputs before and after a release make
no step in the next preview.
"""

from __future__ import annotations

import json
import logging
import os
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pulumi.runtime
import pytest
import yaml
from pulumi.runtime.mocks import MockMonitor

from reconciler import desired
from reconciler.core.errors import NumbersFileError

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = str(ROOT / "__main__.py")
NUMBERS = str(ROOT / "numbers.yaml")
TYPE_TOKEN = "pulumi-python:dynamic/connect-numbers:PhoneNumber"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}"
FLOW = f"{TARGET}/contact-flow/"

RELEASES = ["+12065550150", "+12065550151", "+12065550152", "+18005550199"]
KEEPS = ["+12065550100", "+12065550101", "+12065550102"]
SKIPPED = ["+12065550160"]

# --- the harness ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    """One RegisterResource call the program made (type, name, inputs, options)."""

    typ: str
    name: str
    inputs: dict[str, Any]
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]

    @property
    def args(self) -> dict[str, Any]:
        """The resource's own inputs, without the pickled ``__provider``."""
        return {k: v for k, v in self.inputs.items() if k != "__provider"}


@dataclass
class Run:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    logs: list[tuple[str, str]] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    checked: bool = False

    def named(self) -> dict[str, Registered]:
        return {r.name: r for r in self.resources}

    def warnings(self) -> list[str]:
        return [m for level, m in self.logs if level == "WARNING"]


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class _Monitor(MockMonitor):
    """The SDK's mock monitor, also recording each request's resource options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.options: dict[str, tuple[bool, tuple[str, ...]]] = {}

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method's name
        self.options[request.name] = (
            bool(request.retainOnDelete),
            tuple(request.ignoreChanges),
        )
        return super().RegisterResource(request)


class _Collect(logging.Handler):
    def __init__(self, logs: list[tuple[str, str]]) -> None:
        super().__init__(logging.DEBUG)
        self.logs = logs

    def emit(self, record: logging.LogRecord) -> None:
        self.logs.append((record.levelname, record.getMessage()))


def config(
    numbers: str | Path = NUMBERS,
    *,
    ledger: str | Path | None = None,
    allow_mass_release: bool | None = None,
    region: str | None = "us-east-1",
    profile: str | None = None,
) -> dict[str, str]:
    """The whole stack config of one run, as the engine hands it to the program."""
    values = {"connect-numbers:numbersFile": str(numbers)}
    if ledger is not None:
        values["connect-numbers:ledger"] = str(ledger)
    if allow_mass_release is not None:
        values["connect-numbers:allowMassRelease"] = json.dumps(allow_mass_release)
    if region is not None:
        values["aws:region"] = region
    if profile is not None:
        values["aws:profile"] = profile
    return values


def run_program(
    values: dict[str, str], *, preview: bool, check: Callable[[Run], None] | None = None
) -> Run:
    """Run __main__.py under mocks; ``check(run)`` runs inside the returned apply.

    Raises what the program raises (``pulumi.RunError`` for a refused plan).
    """
    run = Run()
    mocks = _Mocks()
    monitor = _Monitor(mocks)
    logger = logging.getLogger(f"{__name__}.program")
    logger.handlers[:] = [_Collect(run.logs)]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks,
        project="connect-numbers",
        stack="test",
        preview=preview,
        monitor=monitor,
        logger=logger,
    )
    pulumi.runtime.set_all_config(values)
    made: list[pulumi.Resource] = []

    def collect(args: pulumi.ResourceTransformationArgs) -> None:
        made.append(args.resource)

    # Runs in each resource's constructor (in the SDK, not the monitor): every
    # resource the program makes, to wait for its registration.
    pulumi.runtime.register_stack_transformation(collect)

    def record(args: list[Any]) -> None:
        root_outputs = args[-1]
        for name, value in root_outputs.items():
            run.outputs[name] = value
        for created in sorted(mocks.created, key=lambda a: (a.name, a.typ)):
            if created.typ != TYPE_TOKEN:
                run.components.append(created.typ)
                continue  # the ConnectNumbers component the numbers are children of
            retain, ignore = monitor.options[created.name]
            run.resources.append(
                Registered(
                    typ=created.typ,
                    name=created.name,
                    inputs=dict(created.inputs),
                    retain_on_delete=retain,
                    ignore_changes=ignore,
                )
            )
        if check is not None:
            check(run)
        run.checked = True

    @pulumi.runtime.test
    async def program() -> pulumi.Output[None]:
        runpy.run_path(PROGRAM, run_name="__main__")
        stack = pulumi.runtime.settings.get_root_resource()
        assert stack is not None
        # A URN resolves once its registration is answered: wait for them all.
        urns = [resource.urn for resource in made]
        everything = pulumi.Output.all(*urns, pulumi.Output.from_input(dict(stack.outputs)))
        assert await everything.is_known(), "an apply over unknown values would never run"
        return everything.apply(record)

    program()
    assert run.checked, "the checks inside the apply never ran"
    return run


@pytest.fixture(autouse=True)
def _restore_aws_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    # The program exports aws:profile as AWS_PROFILE; monkeypatch puts it back.
    monkeypatch.delenv("AWS_PROFILE", raising=False)


# --- inputs -----------------------------------------------------------------------------------


def write_ledger(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def busy_ledger(path: Path, count: int = 18) -> tuple[Path, list[datetime]]:
    """``count`` done releases 170..(170-count+1) days ago: the window is nearly spent."""
    now = datetime.now(UTC).replace(microsecond=0)
    times = [now - timedelta(days=170 - i) for i in range(count)]
    records = [
        {
            "action": "release",
            "phone_number": f"+1206555{7000 + i}",
            "at": at(t),
            "status": "done",
            "phone_number_id": f"old-{i}",
            "target_arn": TARGET,
        }
        for i, t in enumerate(times)
    ]
    return write_ledger(path, records), times


def numbers_file(tmp_path: Path, old: str, new: str, name: str = "numbers.yaml") -> Path:
    text = Path(NUMBERS).read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def live_numbers() -> dict[str, dict[str, str]]:
    """The emulator's numbers on the target, as Connect lists them (ids and ARNs)."""
    client = boto3.client("connect", region_name="us-east-1")
    listed = client.list_phone_numbers_v2(TargetArn=TARGET, MaxResults=1000)[
        "ListPhoneNumbersSummaryList"
    ]
    return {n["PhoneNumber"]: n for n in listed}


# --- the sample inventory ---------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_one_resource_per_managed_number_with_its_desired_state(
    emulator: Any, tmp_path: Path, preview: bool
) -> None:
    ledger = write_ledger(tmp_path / "history.jsonl", [])
    live = live_numbers()

    def check(run: Run) -> None:
        names = [r.name for r in run.resources]
        assert names == sorted(RELEASES + KEEPS + SKIPPED)
        assert "+12065550103" not in names  # missing: nothing to manage
        assert "+12065550300" not in names  # another instance: invisible
        for r in run.resources:
            assert r.typ == TYPE_TOKEN
            assert r.retain_on_delete, "removing a resource must only forget it"
            assert r.ignore_changes == ()
            assert "__provider" in r.inputs  # pickled at construction: it pickles
            args = r.args
            assert args["phone_number"] == r.name
            assert args["phone_number_id"] == live[r.name]["PhoneNumberId"]
            assert args["phone_number_arn"] == live[r.name]["PhoneNumberArn"]
            assert args["target_arn"] == TARGET
            assert args["stack"] == "connect-numbers/test"
            assert "plan_id" not in args  # no run detail in the inputs: stable diffs
            assert args["numbers_file"] == NUMBERS
            assert args["ledger"] == str(ledger)
            assert args["settled"] is False
            expected = "released" if r.name in RELEASES else "claimed"
            assert args["state"] == expected, r.name
        named = run.named()
        assert named["+12065550150"].args["description"] == "Old promo line"
        assert named["+12065550100"].args["description"] == "Main line"
        assert "description" not in named["+12065550160"].args  # None inputs are dropped

    run = run_program(config(ledger=ledger), preview=preview, check=check)
    assert len(run.resources) == 8


def test_the_outputs_are_the_plan_summary_and_the_quota(emulator: Any, tmp_path: Path) -> None:
    ledger = write_ledger(tmp_path / "history.jsonl", [])

    def check(run: Run) -> None:
        plan = run.outputs["plan"]
        # Nothing that changes from run to run: every preview would show it changed.
        assert "plan_id" not in plan and "created_at" not in plan
        assert plan["numbers_file"] == NUMBERS
        assert (plan["releases"], plan["keeps"], plan["missing"], plan["skipped"]) == (4, 3, 1, 1)
        assert plan["release_numbers"] == RELEASES
        assert plan["missing_numbers"] == ["+12065550103"]
        assert plan["skipped_numbers"] == SKIPPED
        assert plan["deactivated_flows"] == [f"{FLOW}promo"]
        quota = run.outputs["quota"]
        assert {k: quota[k] for k in ("limit", "used", "planned", "after", "reserve")} == {
            "limit": 20,
            "used": 0,
            "planned": 4,
            "after": 4,
            "reserve": 0,
        }
        assert quota["window_days"] == 180 and quota["fits_now"] == 20
        assert quota["history_since"] is None and quota["whole_plan_fits_at"] is None

    run = run_program(config(ledger=ledger), preview=True, check=check)
    # The plan the CLI prints, as an info message of the preview.
    info = [m for level, m in run.logs if level == "INFO"]
    assert any("Release (4), irreversible" in m for m in info)


def test_the_program_reads_only_and_describes_only_the_candidates(
    emulator: Any, tmp_path: Path
) -> None:
    ledger = write_ledger(tmp_path / "history.jsonl", [])
    emulator.reset_stats()
    run_program(config(ledger=ledger), preview=False)
    calls = emulator.stats()["calls"]
    assert calls.get("ReleasePhoneNumber", 0) == 0 and calls.get("ClaimPhoneNumber", 0) == 0
    assert calls["DescribePhoneNumber"] == 5  # the 4 releases and the IN_PROGRESS one


def test_without_a_ledger_preview_warns_and_up_refuses_to_release(
    emulator: Any, tmp_path: Path
) -> None:
    # As `connect-numbers plan` (ledger optional) and `apply` (--ledger required):
    # a release must be recorded, and the quota re-checked against the history.
    run = run_program(config(), preview=True)
    assert any("connect-numbers:ledger is not set" in w for w in run.warnings())
    assert [r.name for r in run.resources] == sorted(RELEASES + KEEPS + SKIPPED)
    assert all("ledger" not in r.args for r in run.resources)

    emulator.reset_stats()
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config(), preview=False)
    assert "pulumi config set connect-numbers:ledger" in str(failure.value)
    assert "4 number(s)" in str(failure.value)

    # Nothing to release: no ledger is needed to keep numbers.
    keep_all = numbers_file(
        tmp_path, "numbers:\n", "numbers:\n" + "".join(f'  - "{n}"\n' for n in RELEASES)
    )
    run = run_program(config(keep_all), preview=False)
    assert [r.args["state"] for r in run.resources] == ["claimed"] * 8


# --- refusals and errors ----------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_quota_breach_fails_the_program_with_the_refusal(
    emulator: Any, tmp_path: Path, preview: bool
) -> None:
    ledger, times = busy_ledger(tmp_path / "history.jsonl")
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config(ledger=ledger), preview=preview)
    text = str(failure.value)
    assert "REFUSED (1 rule(s) broken); nothing will be released:" in text
    assert "[quota_exceeded] releasing 4 number(s) would take the account to 22 of 20" in text
    assert "(18 used; limit 200% of a quota of 10); 2 release(s) fit now" in text
    # The whole plan fits once the 2nd oldest event leaves the 180-day window.
    assert f"the whole plan fits on {at(times[1] + timedelta(days=180))}" in text
    assert "before: 18 of 20 used" in text and "after:  22 of 20 used  <- over the limit" in text
    assert "- +12065550150  Old promo line" in text  # the plan it refused, as the CLI shows
    assert "Traceback" not in text


def test_an_invalid_numbers_file_fails_with_its_error_and_no_api_call(
    emulator: Any, tmp_path: Path
) -> None:
    bad = numbers_file(tmp_path, "quota:\n", "quota:\n  phone_number: 10\n")
    with pytest.raises(NumbersFileError) as expected:
        desired.load_desired(str(bad))
    emulator.reset_stats()
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config(bad), preview=True)
    assert str(failure.value) == str(expected.value)
    assert str(bad) in str(failure.value) and "phone_number" in str(failure.value)
    assert emulator.stats()["total_calls"] == 0


def test_a_missing_numbers_file_or_ledger_fails_the_program(emulator: Any, tmp_path: Path) -> None:
    with pytest.raises(pulumi.RunError, match=r"nope\.yaml"):
        run_program(config(tmp_path / "nope.yaml"), preview=True)
    with pytest.raises(pulumi.RunError, match="does not exist"):
        run_program(config(ledger=tmp_path / "missing.jsonl"), preview=True)


def test_mass_release_is_refused_unless_the_stack_allows_it(emulator: Any, tmp_path: Path) -> None:
    two = numbers_file(tmp_path, "max_releases: 10", "max_releases: 2")
    for allow in (None, False):
        with pytest.raises(pulumi.RunError) as failure:
            run_program(config(two, allow_mass_release=allow), preview=True)
        # The rule counts every number the file drops (the IN_PROGRESS one too): it is
        # decided from the listing alone, before any describe (issue 12).
        assert (
            "[mass_release] the plan releases 5 numbers, more than safety.max_releases = 2"
            in str(failure.value)
        )

    def check(run: Run) -> None:
        released = [r.name for r in run.resources if r.args["state"] == "released"]
        assert released == RELEASES

    run_program(config(two, allow_mass_release=True), preview=True, check=check)


# --- numbers released by earlier runs ---------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_numbers_released_earlier_stay_as_settled_resources_during_the_cooldown(
    emulator: Any, tmp_path: Path, preview: bool
) -> None:
    now = datetime.now(UTC)
    ledger = write_ledger(
        tmp_path / "history.jsonl",
        [
            {
                "action": "release",
                "phone_number": number,
                "at": at(now - timedelta(days=days)),
                "status": "done",
                "phone_number_id": f"gone-{days}",
                "target_arn": TARGET,
                "plan_id": "plan-earlier",
            }
            for number, days in (("+12065550199", 10), ("+12065550198", 200))
        ],
    )

    def check(run: Run) -> None:
        named = run.named()
        assert "+12065550198" not in named  # its cooldown is over: forgotten
        settled = named["+12065550199"].args
        assert settled["state"] == "released" and settled["settled"] is True
        assert settled["phone_number_id"] == "gone-10"
        # No ledger record has its description: the stack keeps the one it has.
        assert named["+12065550199"].ignore_changes == ("description",)
        assert settled["phone_number_arn"] == (
            "arn:aws:connect:us-east-1:111122223333:phone-number/gone-10"
        )
        assert [n for n, r in named.items() if r.args["settled"]] == ["+12065550199"]
        assert len(named) == 9
        assert run.outputs["quota"]["used"] == 1  # 200 days ago is outside the window too

    run_program(config(ledger=ledger), preview=preview, check=check)


# --- AWS settings -----------------------------------------------------------------------------


def test_aws_region_other_than_the_targets_is_a_warning(emulator: Any) -> None:
    run = run_program(config(region="eu-west-2"), preview=True)
    assert any(
        "aws:region is eu-west-2 but the targets of" in w and "us-east-1" in w
        for w in run.warnings()
    )
    assert len(run.resources) == 8  # calls still go to the target's region


def test_aws_region_falls_back_to_aws_region(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    run = run_program(config(region=None), preview=True)
    assert any("aws:region is ap-southeast-2" in w for w in run.warnings())


def test_aws_profile_reaches_boto3(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(pulumi.RunError, match="profile"):
        run_program(config(profile="no-such-profile"), preview=True)

    (tmp_path / "config").write_text("[profile demo]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text(
        "[demo]\naws_access_key_id = demo\naws_secret_access_key = demo\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    run = run_program(config(profile="demo"), preview=True)
    assert os.environ["AWS_PROFILE"] == "demo"
    assert len(run.resources) == 8


def test_after_up_releases_a_number_the_next_preview_shows_no_step_for_it(
    emulator: Any, tmp_path: Path
) -> None:
    """The program's inputs and the provider's diff agree across a release.

    Run 1 plans a release of +12065550150; the provider's update (called here in
    process, as the engine would) releases it and records it ``done``; run 2 no
    longer sees it claimed and registers it as released/settled. The engine diffs
    run 2's inputs against run 1's outputs: no resource may show a step.
    """
    from reconciler.pulumi.provider import ManagedNumberProvider

    ledger = write_ledger(tmp_path / "history.jsonl", [])
    first = run_program(config(ledger=ledger), preview=False)
    provider = ManagedNumberProvider()
    target = first.named()["+12065550150"].args
    outputs = {r.name: r.args for r in first.resources}
    outputs[target["phone_number"]] = provider.update(target["phone_number"], target, target).outs
    assert "+12065550150" not in live_numbers()  # released in the emulator

    second = run_program(config(ledger=ledger), preview=True)
    assert second.named()["+12065550150"].args["settled"] is True
    assert [r.name for r in second.resources] == [r.name for r in first.resources]
    old_inputs = {r.name: r.args for r in first.resources}
    for r in second.resources:
        # What the engine does with ignore_changes: the old input's value (or none).
        news = dict(r.args)
        for key in r.ignore_changes:
            news.pop(key, None)
            if key in old_inputs[r.name]:
                news[key] = old_inputs[r.name][key]
        diff = provider.diff(f"{r.name}-id", outputs[r.name], news)
        assert not diff.changes, f"{r.name} would show a step: {outputs[r.name]} -> {news}"


# --- the project and stack files --------------------------------------------------------------


def stack_config(path: Path) -> dict[str, str]:
    """A stack file's config as the engine hands it to the program (strings)."""
    raw = yaml.safe_load(path.read_text())["config"]
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def test_pulumi_yaml_declares_the_config_the_program_reads(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "connect-numbers"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    declared = project["config"]
    assert {k: (v["type"], v["default"]) for k, v in declared.items()} == {
        "connect-numbers:numbersFile": ("string", "numbers.yaml"),
        "connect-numbers:ledger": ("string", ""),  # a default keeps it optional
        "connect-numbers:allowMassRelease": ("boolean", False),
        "connect-numbers:fitToQuota": ("boolean", False),  # issue 15: plan --fit
    }
    assert all(v["description"] for v in declared.values())

    # The engine fills in the defaults; the program runs in the project directory.
    monkeypatch.chdir(ROOT)
    defaults = {
        k: json.dumps(v["default"]) if isinstance(v["default"], bool) else v["default"]
        for k, v in declared.items()
    }
    run = run_program({**defaults, "aws:region": "us-east-1"}, preview=True)
    assert run.outputs["plan"]["numbers_file"] == "numbers.yaml"
    assert any("connect-numbers:ledger is not set" in w for w in run.warnings())
    assert len(run.resources) == 8


def test_the_example_stack_file_configures_a_working_stack(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = ROOT / "Pulumi.example.yaml"
    values = stack_config(example)
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert all(k.startswith("aws:") or k in declared for k in values)
    assert values["aws:region"] == "us-east-1"

    # Its relative paths, in a project directory holding numbers.yaml and the ledger.
    (tmp_path / "numbers.yaml").write_text(Path(NUMBERS).read_text())
    write_ledger(tmp_path / values["connect-numbers:ledger"], [])
    monkeypatch.chdir(tmp_path)
    run = run_program(values, preview=False)
    assert [r.name for r in run.resources if r.args["state"] == "released"] == RELEASES
    # The mock answers with the inputs (no provider Check, so no adoption): each
    # release row warns, and nothing else does.
    assert sorted(w.split(" ", 1)[0] for w in run.warnings()) == RELEASES
    assert all("is RELEASED from" in w and "irreversible" in w for w in run.warnings())


def test_a_shared_s3_ledger_is_counted_like_a_file(emulator: Any, s3: Any, tmp_path: Path) -> None:
    busy, _ = busy_ledger(tmp_path / "history.jsonl")
    s3.client().put_object(Bucket="ledgers", Key="prod/history.jsonl", Body=busy.read_bytes())
    with pytest.raises(pulumi.RunError) as failure:
        run_program(config(ledger="s3://ledgers/prod/history.jsonl"), preview=True)
    assert "would take the account to 22 of 20" in str(failure.value)
    with pytest.raises(pulumi.RunError) as missing:
        run_program(config(ledger="s3://ledgers/prod/other.jsonl"), preview=True)
    assert "s3://ledgers/prod/other.jsonl: does not exist" in str(missing.value)


def test_targets_in_two_regions_export_each_region_s_quota(regions: dict[str, Any]) -> None:
    ledger = regions["dir"] / "history.jsonl"
    ledger.write_text("")

    def check(run: Run) -> None:
        groups = run.outputs["quotaGroups"]
        assert [(g["region"], g["quota"]["planned"]) for g in groups] == [
            ("us-east-1", 1),
            ("us-west-2", 1),
        ]
        assert run.outputs["quota"] == groups[0]["quota"]  # equal room: the first binds

    run_program(config(regions["numbers"], ledger=ledger), preview=True, check=check)
