"""A target's role through the real dynamic provider process (issues 14 and 15).

numbers.yaml names ``targets[].role_arn``: the provider's Read (``pulumi refresh``)
and its update in place (a description change) must call Connect with that role's
credentials, as the plan and the release do, not with the process's default ones.
The emulator serves STS AssumeRole and tells which role signed each Connect call
(``/_emulator/calls``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.pulumi.provider import TYPE_TOKEN, ManagedNumberProvider
from reconciler.pulumi.shared import REFRESH_TTL_ENV
from tests.emulator.support import admin
from tests.pulumi.grpc_support import ProviderProcess
from tests.pulumi.test_provider_grpc import ACCOUNT, DROPS, KEEPS, TARGET, World, make_world

ROLE = f"arn:aws:iam::{ACCOUNT}:role/connect-numbers-ops"


def signers(world: World, operation: str) -> set[Any]:
    status, body = admin(world.server, "GET", "/_emulator/calls")
    assert status == 200
    return {c["role_arn"] for c in body["calls"] if c["operation"] == operation}


@pytest.fixture
def world(emulator_factory: Any, tmp_path: Path) -> World:
    made = make_world(emulator_factory, tmp_path, KEEPS + DROPS)
    made.numbers.write_text(
        made.numbers.read_text().replace(
            f"  - arn: {TARGET}\n", f"  - arn: {TARGET}\n    role_arn: {ROLE}\n"
        )
    )
    return made


@pytest.fixture
def provider(world: World, tmp_path: Path) -> Iterator[ProviderProcess]:
    # emulator_factory pointed AWS_ENDPOINT_URL_CONNECT at the emulator and set dummy
    # default credentials; STS is the same emulator.
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_STS": os.environ["AWS_ENDPOINT_URL_CONNECT"],
        REFRESH_TTL_ENV: "0",
    }
    process = ProviderProcess(
        ManagedNumberProvider(), type_token=TYPE_TOKEN, workdir=tmp_path, env=env
    )
    yield process
    process.stop()


def test_refresh_reads_with_the_targets_role(world: World, provider: ProviderProcess) -> None:
    number = KEEPS[0]
    _, outs = provider.create(number, world.args(number, "claimed"))
    admin(world.server, "DELETE", "/_emulator/calls")
    _, read = provider.read(number, number, outs)
    assert read["state"] == "claimed"
    assert signers(world, "ListPhoneNumbersV2") == {ROLE}


def test_an_update_in_place_is_made_with_the_targets_role(
    world: World, provider: ProviderProcess
) -> None:
    number = KEEPS[1]
    _, olds = provider.create(number, world.args(number, "claimed"))
    admin(world.server, "DELETE", "/_emulator/calls")
    news = world.args(number, "claimed", description="Support line")
    provider.update(number, number, olds, news)
    # Described (before and to confirm) and updated with the role, nothing with the
    # default credentials.
    assert signers(world, "UpdatePhoneNumberMetadata") == {ROLE}
    assert signers(world, "DescribePhoneNumber") == {ROLE}
    connect = boto3.client("connect", region_name="us-east-1")
    summary = connect.describe_phone_number(PhoneNumberId=olds["phone_number_id"])
    assert summary["ClaimedPhoneNumberSummary"]["PhoneNumberDescription"] == "Support line"


def test_a_file_that_cannot_be_read_now_leaves_the_default_credentials(
    world: World, provider: ProviderProcess
) -> None:
    number = KEEPS[0]
    _, outs = provider.create(number, world.args(number, "claimed"))
    world.numbers.unlink()  # moved away since: refresh still reads, as before
    admin(world.server, "DELETE", "/_emulator/calls")
    _, read = provider.read(number, number, outs)
    assert read["state"] == "claimed"
    assert signers(world, "ListPhoneNumbersV2") == {None}
