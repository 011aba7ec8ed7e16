"""The dynamic provider through its real process, as the Pulumi engine drives it.

The Pulumi CLI cannot be installed here, so each test starts what the engine
starts for a Python dynamic provider (``python -m pulumi.dynamic``) and makes the
engine's gRPC calls itself (``grpc_support``), with the provider pickled exactly
as ``pulumi.dynamic.Resource`` pickles it. The provider process talks to the
bundled Connect emulator through real boto3 (``AWS_ENDPOINT_URL_CONNECT``) and
writes a real ledger file, so every claim below is checked where it matters: the
emulator's own history and call counts, and the ledger's lines.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import dill
import pytest
from pulumi.runtime.proto import provider_pb2

from connect_emulator import EmulatorServer
from connect_emulator.seed import phone_number_id_for
from reconciler.core.stack import release_scope
from reconciler.pulumi.provider import (
    REFRESH_TTL_ENV,
    TYPE_TOKEN,
    ManagedNumber,
    ManagedNumberArgs,
    ManagedNumberProvider,
)
from tests.pulumi.grpc_support import ProviderError, ProviderProcess, serialize_provider

ROOT = Path(__file__).resolve().parents[2]

ACCOUNT = "111122223333"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE}"
KEEPS = ["+12065550100", "+12065550101"]
DROPS = [f"+120655502{i:02d}" for i in range(6)]
STACK = "connect-numbers/dev"
OTHER_STACK = "connect-numbers/other"
PLAN = release_scope(STACK)  # what the provider records its releases under

SOME, NONE = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE


# --- the world: an emulator, numbers.yaml, a ledger, the provider process -------------------


def seed(numbers: list[str]) -> dict[str, Any]:
    return {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "instances": [{"id": INSTANCE}],
        "quota": {"phone_numbers": 10, "window_days": 180, "limit_percent": 200},
        "numbers": [{"phone_number": n, "instance": INSTANCE} for n in numbers],
    }


def write_numbers(path: Path, keeps: list[str]) -> Path:
    path.write_text(
        f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: 10\n"
        "numbers:\n" + "".join(f'  - "{n}"\n' for n in keeps)
    )
    return path


def arn_of(number: str) -> str:
    return f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/{phone_number_id_for(number)}"


@dataclass
class World:
    server: EmulatorServer
    numbers: Path
    ledger: Path
    dir: Path

    def args(
        self,
        number: str,
        state: str,
        *,
        stack: str = STACK,
        settled: bool = False,
        ledger: bool = True,
        description: str | None = None,
    ) -> dict[str, Any]:
        """The inputs the program registers (``ManagedNumberArgs``), as plain values."""
        args = ManagedNumberArgs(
            phone_number=number,
            phone_number_id=phone_number_id_for(number),
            phone_number_arn=arn_of(number),
            target_arn=TARGET,
            state=state,
            description=description,
            stack=stack,
            numbers_file=str(self.numbers),
            ledger=str(self.ledger) if ledger else None,
            settled=settled,
        )
        # None inputs never reach the provider (the SDK drops them).
        return {k: v for k, v in args.to_props().items() if v is not None}

    def records(self) -> list[dict[str, Any]]:
        """The ledger's action records (its coverage records aside)."""
        lines = self.ledger.read_text().splitlines()
        return [r for r in map(json.loads, filter(None, lines)) if r.get("status") != "coverage"]

    def released(self) -> Counter[str]:
        return Counter(
            e["phone_number"] for e in self.server.history("emulator") if e["action"] == "release"
        )


def make_world(
    emulator_factory: Any, directory: Path, numbers: list[str], *, port: int = 0
) -> World:
    server = emulator_factory(seed(numbers), port=port)
    ledger = directory / "history.jsonl"
    ledger.touch()
    return World(
        server=server,
        numbers=write_numbers(directory / "numbers.yaml", KEEPS),
        ledger=ledger,
        dir=directory,
    )


def start_provider(directory: Path, **env: str) -> ProviderProcess:
    # emulator_factory has pointed AWS_ENDPOINT_URL_CONNECT at the emulator and set
    # dummy credentials (aws_env): the child inherits exactly that.
    return ProviderProcess(
        ManagedNumberProvider(),
        type_token=TYPE_TOKEN,
        workdir=directory,
        env={**os.environ, **env},
    )


@pytest.fixture(scope="module")
def shared_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def shared_provider(
    shared_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProviderProcess]:
    """One provider process for the module (a process costs ~1 s to start and warm up).

    Each test starts a fresh emulator on the same port, so the process always talks
    to that test's account. The environment is aws_env's, fixed at module scope;
    the listing TTL is 0, so no test refreshes from another test's listing.
    """
    directory = tmp_path_factory.mktemp("provider")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(directory / "missing-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(directory / "missing-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_CONNECT": f"http://127.0.0.1:{shared_port}",
        REFRESH_TTL_ENV: "0",
    }
    process = ProviderProcess(
        ManagedNumberProvider(), type_token=TYPE_TOKEN, workdir=directory, env=env
    )
    yield process
    process.stop()


@pytest.fixture
def world(emulator_factory: Any, tmp_path: Path, shared_port: int) -> World:
    return make_world(emulator_factory, tmp_path, KEEPS + DROPS, port=shared_port)


@pytest.fixture
def provider(world: World, shared_provider: ProviderProcess) -> ProviderProcess:
    assert shared_provider.alive, "the shared provider process died in an earlier test"
    return shared_provider


# --- Check ----------------------------------------------------------------------------------


def test_check_accepts_the_programs_inputs(world: World, provider: ProviderProcess) -> None:
    held = world.args(DROPS[0], "claimed")
    for state in ("claimed", "released"):
        news = world.args(DROPS[0], state, description="Support line")
        inputs, failures = provider.check(DROPS[0], news, olds=held)
        assert failures == []
        assert inputs == news
    settled = world.args(DROPS[1], "released", settled=True, ledger=False)
    assert provider.check(DROPS[1], settled)[1] == []


def test_check_reports_every_bad_input(world: World, provider: ProviderProcess) -> None:
    good = world.args(DROPS[0], "released")
    bad = {
        **good,
        "state": "deleted",
        "phone_number": "206-555-0100",
        "phone_number_arn": f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE}",
        "target_arn": "arn:aws:s3:::bucket",
        "stack": "",
        "settled": "yes",
    }
    failures = dict(provider.check(DROPS[0], bad)[1])
    assert set(failures) == {
        "state",
        "phone_number",
        "phone_number_arn",
        "target_arn",
        "stack",
        "settled",
    }
    assert "'deleted'" in failures["state"]
    assert "not an E.164 number" in failures["phone_number"]
    assert "not a Connect phone-number ARN" in failures["phone_number_arn"]
    assert "not a Connect instance or traffic distribution group ARN" in failures["target_arn"]

    # An ARN of another number, and a settled number that is claimed.
    other = {**good, "phone_number_arn": arn_of(DROPS[1])}
    assert [p for p, _ in provider.check(DROPS[0], other)[1]] == ["phone_number_arn"]
    claimed_settled = world.args(DROPS[0], "claimed") | {"settled": True}
    assert provider.check(DROPS[0], claimed_settled)[1] == [
        ("settled", "only a released number can be settled")
    ]


# --- Diff -----------------------------------------------------------------------------------


def test_diff_an_update_to_released_is_the_only_change_and_never_a_replace(
    world: World, provider: ProviderProcess
) -> None:
    name = DROPS[0]
    _, olds = provider.create(name, world.args(name, "claimed"))

    to_released = provider.diff(name, olds, world.args(name, "released"))
    assert to_released.changes == SOME
    assert list(to_released.replaces) == [] and not to_released.deleteBeforeReplace

    # The same inputs, or only bookkeeping inputs changed (a stack, a ledger): no change.
    assert provider.diff(name, olds, world.args(name, "claimed")).changes == NONE
    other = world.args(name, "claimed", stack=OTHER_STACK)
    assert provider.diff(name, olds, other).changes == NONE
    assert provider.diff(name, olds, world.args(name, "claimed", ledger=False)).changes == NONE
    # The number's identity changed (released and claimed again): an update, not a replace.
    moved = world.args(name, "claimed") | {"phone_number_id": "new-id"}
    moved["phone_number_arn"] = f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/new-id"
    changed = provider.diff(name, olds, moved)
    assert changed.changes == SOME and list(changed.replaces) == []
    described = provider.diff(name, olds, world.args(name, "claimed", description="Sales"))
    assert described.changes == SOME and list(described.replaces) == []


def test_diff_a_released_number_that_becomes_settled_is_no_change(
    world: World, provider: ProviderProcess
) -> None:
    name = DROPS[0]
    _, released = provider.adopt_then_update(name, world.args(name, "released"))
    assert released["state"] == "released" and released["released_at"]
    # The next plan no longer sees the number: the program registers it settled.
    settled = world.args(name, "released", settled=True)
    answer = provider.diff(name, released, settled)
    assert answer.changes == NONE and list(answer.replaces) == []


# --- Create / Update ------------------------------------------------------------------------


def test_create_of_a_claimed_number_adopts_it_without_any_api_call(
    world: World, provider: ProviderProcess
) -> None:
    world.server.reset_stats()
    for number in KEEPS:
        id_, outs = provider.create(number, world.args(number, "claimed"))
        assert id_ == number
        assert outs["state"] == "claimed" and outs.get("released_at") is None
        assert outs["phone_number_id"] == phone_number_id_for(number)
    assert world.server.stats()["total_calls"] == 0
    assert world.released() == Counter()
    assert world.records() == []


def test_a_release_is_never_a_create_check_and_create_adopt_the_number(
    world: World, provider: ProviderProcess
) -> None:
    number = DROPS[0]
    news = world.args(number, "released")
    world.server.reset_stats()
    # Check without olds (the stack does not hold the number): shown as a create of a
    # claimed number, which is what `pulumi preview` prints.
    checked, failures = provider.check(number, news)
    assert failures == [] and checked["state"] == "claimed"
    # Held (olds given): the release stays, as an update.
    held, _ = provider.check(number, news, olds=world.args(number, "claimed"))
    assert held["state"] == "released"
    # Settled rows are released already: nothing to adopt.
    settled, _ = provider.check(number, world.args(number, "released", settled=True))
    assert settled["state"] == "released"
    # Even a Create sent the release unchecked only adopts.
    id_, outs = provider.create(number, news)
    assert id_ == number and outs["state"] == "claimed" and outs.get("released_at") is None
    assert world.server.stats()["total_calls"] == 0
    assert world.released() == Counter() and world.records() == []


def test_update_to_released_releases_exactly_once_and_records_it(
    world: World, provider: ProviderProcess
) -> None:
    number = DROPS[0]
    news = world.args(number, "released")
    id_, outs = provider.adopt_then_update(number, news)
    assert id_ == number
    assert outs["state"] == "released" and outs["outcome"] == "released"
    released_at = datetime.fromisoformat(outs["released_at"])
    assert abs(datetime.now(UTC) - released_at) < timedelta(minutes=5)

    history = [e for e in world.server.history("emulator") if e["action"] == "release"]
    assert [(e["phone_number"], e["client_token"]) for e in history] == [
        (number, f"{PLAN}/{phone_number_id_for(number)}")
    ]
    statuses = [(r["phone_number"], r["status"], r["plan_id"]) for r in world.records()]
    assert statuses == [(number, "intent", PLAN), (number, "done", PLAN)]

    # The engine retries the same step (e.g. after losing the answer): nothing more.
    again = provider.update(number, number, outs, news)
    assert again["state"] == "released" and again["outcome"] == "released earlier"
    assert world.released() == Counter({number: 1})
    assert len(world.records()) == 2


def test_update_from_claimed_to_released(world: World, provider: ProviderProcess) -> None:
    number = DROPS[1]
    _, olds = provider.create(number, world.args(number, "claimed"))
    assert world.server.stats()["total_calls"] == 0
    outs = provider.update(number, number, olds, world.args(number, "released"))
    assert outs["state"] == "released" and outs["outcome"] == "released"
    assert world.released() == Counter({number: 1})
    assert [r["status"] for r in world.records()] == ["intent", "done"]

    # Settled on the next run: nothing to do, and no API call.
    world.server.reset_stats()
    settled = provider.update(number, number, outs, world.args(number, "released", settled=True))
    assert settled["state"] == "released" and settled["released_at"] == outs["released_at"]
    assert world.server.stats()["total_calls"] == 0


def test_a_stale_release_fails_the_step_and_releases_nothing(
    world: World, provider: ProviderProcess
) -> None:
    # The number was added to numbers.yaml after the plan was made.
    write_numbers(world.numbers, [*KEEPS, DROPS[2]])
    with pytest.raises(ProviderError) as desired:
        provider.adopt_then_update(DROPS[2], world.args(DROPS[2], "released"))
    assert (
        f"{DROPS[2]}: not released: {DROPS[2]} is now in {world.numbers}" in desired.value.message
    )
    assert "run `pulumi preview` again" in desired.value.message

    # The number is already gone (released by hand, outside any ledger) when this update runs.
    boto3.client("connect", region_name="us-east-1").release_phone_number(
        PhoneNumberId=phone_number_id_for(DROPS[3])
    )
    with pytest.raises(ProviderError) as gone:
        provider.adopt_then_update(DROPS[3], world.args(DROPS[3], "released"))
    assert "no longer claimed" in gone.value.message
    assert world.released() == Counter({DROPS[3]: 1})


def test_releasing_without_a_ledger_fails_clearly(world: World, provider: ProviderProcess) -> None:
    world.server.reset_stats()
    with pytest.raises(ProviderError) as error:
        provider.adopt_then_update(DROPS[0], world.args(DROPS[0], "released", ledger=False))
    assert error.value.message.endswith(
        f"{DROPS[0]}: not released: releasing needs a ledger to record it and re-check the "
        "quota; set `pulumi config set connect-numbers:ledger PATH` (a JSON Lines history file)"
    )
    assert world.server.stats()["total_calls"] == 0


def earlier_releases(count: int) -> str:
    """``count`` hand-written releases of the last days, as ledger text."""
    now = datetime.now(UTC)
    return "".join(
        json.dumps(
            {
                "action": "release",
                "phone_number": f"+12065559{i:03d}",
                "at": (now - timedelta(days=1 + i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        + "\n"
        for i in range(count)
    )


def test_concurrent_updates_release_only_what_the_quota_allows(
    world: World, provider: ProviderProcess
) -> None:
    # 17 of the 20 actions of the window are used: 3 releases fit.
    world.ledger.write_text(earlier_releases(17))
    olds = {n: provider.create(n, world.args(n, "claimed"))[1] for n in DROPS}

    def update(number: str) -> str:
        try:
            provider.update(number, number, olds[number], world.args(number, "released"))
        except ProviderError as error:
            return error.message
        return "released"

    with ThreadPoolExecutor(max_workers=len(DROPS)) as pool:
        results = dict(zip(DROPS, pool.map(update, DROPS), strict=True))

    released = [n for n, r in results.items() if r == "released"]
    refused = {n: r for n, r in results.items() if r != "released"}
    assert len(released) == 3, results
    assert world.released() == Counter(dict.fromkeys(released, 1))
    for message in refused.values():
        assert message.startswith(
            "reconciler.pulumi.provider.ReleaseFailedError: not attempted: quota: releasing 1 "
            "number(s) would take the account to 21 of 20 claim/release actions"
        ), message
    mine = [r for r in world.records() if r.get("status")]
    assert sorted((r["phone_number"], r["status"]) for r in mine) == sorted(
        [(n, "intent") for n in released] + [(n, "done") for n in released]
    )


# --- Read (refresh) -------------------------------------------------------------------------

MANY = [f"+1206555{i:04d}" for i in range(1200)]
GONE_RECORDED, GONE_ELSEWHERE = "+12065559001", "+12065559002"


def test_refresh_lists_each_target_once_per_ttl_and_never_describes(
    emulator_factory: Any, tmp_path: Path
) -> None:
    world = make_world(emulator_factory, tmp_path, MANY)
    done_at = "2026-01-31T12:00:00Z"
    world.ledger.write_text(
        json.dumps(
            {
                "action": "release",
                "phone_number": GONE_RECORDED,
                "at": done_at,
                "status": "done",
                "phone_number_id": phone_number_id_for(GONE_RECORDED),
                "target_arn": TARGET,
                "plan_id": PLAN,
            }
        )
        + "\n"
    )
    resources = {n: world.args(n, "claimed") for n in [*MANY, GONE_RECORDED, GONE_ELSEWHERE]}
    provider = start_provider(tmp_path)
    try:
        world.server.reset_stats()
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = dict(
                zip(
                    resources,
                    pool.map(lambda n: provider.read(n, n, resources[n]), resources),
                    strict=True,
                )
            )
        calls = world.server.stats()["calls"]
        # 1,202 resources, one target of 1,200 numbers: two pages, shared by all.
        assert calls["ListPhoneNumbersV2"] == 2
        assert calls.get("DescribePhoneNumber", 0) == 0
        # 2 x ceil(n/1000) calls at most for a whole refresh: Read does not use flows.
        assert calls.get("ListFlowAssociations", 0) == 0

        assert all(answers[n][0] == n and answers[n][1]["state"] == "claimed" for n in MANY)
        recorded = answers[GONE_RECORDED][1]
        assert (recorded["state"], recorded["settled"], recorded["released_at"]) == (
            "released",
            True,
            done_at,
        )
        elsewhere = answers[GONE_ELSEWHERE][1]
        assert (elsewhere["state"], elsewhere["settled"]) == ("released", False)
        assert elsewhere["outcome"].startswith("released outside this stack:")
    finally:
        provider.stop()


def test_the_listing_expires_after_its_ttl(world: World, tmp_path: Path) -> None:
    provider = start_provider(tmp_path, **{REFRESH_TTL_ENV: "0.5"})
    try:
        world.server.reset_stats()
        for number in KEEPS + DROPS:
            provider.read(number, number, world.args(number, "claimed"))
        assert world.server.stats()["calls"]["ListPhoneNumbersV2"] == 1
        time.sleep(0.6)
        provider.read(KEEPS[0], KEEPS[0], world.args(KEEPS[0], "claimed"))
        assert world.server.stats()["calls"]["ListPhoneNumbersV2"] == 2
    finally:
        provider.stop()


# --- Delete ---------------------------------------------------------------------------------


def test_delete_never_releases(world: World, provider: ProviderProcess) -> None:
    _, claimed = provider.create(DROPS[0], world.args(DROPS[0], "claimed"))
    _, released = provider.adopt_then_update(DROPS[1], world.args(DROPS[1], "released"))
    history, ledger = world.server.history(), world.ledger.read_text()
    world.server.reset_stats()

    provider.delete(DROPS[0], DROPS[0], claimed)
    provider.delete(DROPS[1], DROPS[1], released)

    assert world.server.stats()["total_calls"] == 0
    assert world.server.history() == history
    assert world.ledger.read_text() == ledger
    assert world.released() == Counter({DROPS[1]: 1})
    assert f"info: {DROPS[0]}: removed from the stack only" in provider.stderr()


# --- serialization and the process ----------------------------------------------------------


class ClientHoldingProvider(ManagedNumberProvider):
    """The mistake the design forbids: a provider that keeps a boto3 client."""

    def __init__(self) -> None:
        super().__init__()
        self.client = boto3.session.Session().client("connect", region_name="us-east-1")


_PICKLE_A_CLIENT = """
import sys
from tests.pulumi.grpc_support import serialize_provider
from tests.pulumi.test_provider_grpc import ClientHoldingProvider
sys.setrecursionlimit(5000)
try:
    serialize_provider(ClientHoldingProvider())
except TypeError as exc:
    print(exc)
"""


def test_a_provider_holding_a_boto3_client_cannot_be_pickled(aws_env: None) -> None:
    # In a fresh interpreter, as a Pulumi program is: how deep dill walks the client
    # depends on botocore's process-wide caches, and in a test process that has made
    # many clients (the engine tests' hand-made claims) even 5000 frames end in a
    # RecursionError, which fails the resource just as well but hides why.
    found = subprocess.run(
        [sys.executable, "-c", _PICKLE_A_CLIENT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "cannot pickle 'SSLContext' object" in found.stdout, found.stdout + found.stderr

    # Ours pickles by reference: a few bytes naming the class, no state.
    serialized = serialize_provider(ManagedNumberProvider())
    raw = base64.b64decode(serialized)
    assert b"reconciler.pulumi_provider" in raw and len(raw) < 200
    # Byte for byte what stacks made before the move to reconciler/pulumi/ hold.
    assert serialized == BEFORE_THE_FOLDERS
    restored = dill.loads(raw)
    assert type(restored) is ManagedNumberProvider and vars(restored) == {}


# serialize_provider(ManagedNumberProvider()) at bd23df3, the flat layout.
BEFORE_THE_FOLDERS = (
    "gASVOwAAAAAAAACMGnJlY29uY2lsZXIucHVsdW1pX3Byb3ZpZGVylIwVTWFuYWdlZE51bWJl"
    "clByb3ZpZGVylJOUKYGULg=="
)


def test_the_resource_type_token() -> None:
    assert ManagedNumber._resource_type_name == "dynamic/connect-numbers:PhoneNumber"
    assert f"pulumi-python:{ManagedNumber._resource_type_name}" == TYPE_TOKEN


def test_the_process_survives_many_calls(world: World, tmp_path: Path) -> None:
    """400 calls from 8 threads, a fifth of them failing, on a fresh process."""
    provider = start_provider(tmp_path)  # the default listing TTL, as in production
    bad = world.args(DROPS[0], "claimed") | {"state": "gone"}
    no_ledger = world.args(DROPS[0], "released", ledger=False)

    def call(i: int) -> str:
        number = (KEEPS + DROPS)[i % 8]
        kind = i % 5
        if kind == 0:
            return repr(provider.check(number, world.args(number, "claimed"))[1])
        if kind == 1:
            return repr(provider.check(number, bad)[1])
        if kind == 2:
            args = world.args(number, "claimed")
            return str(provider.diff(number, args, args).changes)
        if kind == 3:
            return provider.read(number, number, world.args(number, "claimed"))[1]["state"]
        try:
            provider.update(number, number, world.args(number, "claimed"), no_ledger)
        except ProviderError as error:
            return error.message
        return "unexpected"

    try:
        world.server.reset_stats()
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(call, range(400)))
        assert provider.alive
        assert results.count("claimed") == 80
        assert sum("needs a ledger" in r for r in results) == 80
        assert provider.check(KEEPS[0], world.args(KEEPS[0], "claimed"))[1] == []
        # 80 concurrent refreshes of one target: one listing.
        assert world.server.stats()["calls"] == {"ListPhoneNumbersV2": 1}  # no flows read
        assert world.released() == Counter()
    finally:
        provider.stop()


def test_with_a_shared_s3_ledger_concurrent_updates_release_only_what_fits(
    world: World, s3: Any
) -> None:
    # The same race as above, recorded in an S3 ledger (lease and conditional appends).
    s3.client().put_object(Bucket="ledgers", Key="prod.jsonl", Body=earlier_releases(17).encode())
    url = "s3://ledgers/prod.jsonl"
    provider = start_provider(world.dir, AWS_ENDPOINT_URL_S3=s3.url, **{REFRESH_TTL_ENV: "0"})
    try:
        olds = {
            n: provider.create(n, {**world.args(n, "claimed"), "ledger": url})[1] for n in DROPS
        }

        def update(number: str) -> str:
            news = {**world.args(number, "released"), "ledger": url}
            try:
                provider.update(number, number, olds[number], news)
            except ProviderError as error:
                return error.message
            return "released"

        with ThreadPoolExecutor(max_workers=len(DROPS)) as pool:
            results = dict(zip(DROPS, pool.map(update, DROPS), strict=True))
    finally:
        provider.stop()
    released = [n for n, r in results.items() if r == "released"]
    assert len(released) == 3, results
    assert world.released() == Counter(dict.fromkeys(released, 1))
    body = s3.client().get_object(Bucket="ledgers", Key="prod.jsonl")["Body"].read().decode()
    done = [json.loads(line) for line in body.splitlines() if '"done"' in line]
    assert sorted(r["phone_number"] for r in done) == sorted(released)
    assert "prod.jsonl.lease" not in {
        o["Key"] for o in s3.client().list_objects_v2(Bucket="ledgers").get("Contents", [])
    }
