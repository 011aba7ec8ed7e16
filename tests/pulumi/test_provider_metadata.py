"""Descriptions and tags through the real dynamic provider process (issue 15, part 1):
a change of either is a Diff with changes and no replacement, and the Update makes it in
place (UpdatePhoneNumberMetadata, TagResource, UntagResource) against the emulator: no
release, no quota used, keys numbers.yaml does not name left alone; the engine retrying
the step changes nothing more."""

from __future__ import annotations

from typing import Any

import boto3

from connect_emulator.seed import phone_number_id_for
from tests.pulumi import test_provider_grpc as grpc_tests
from tests.pulumi.grpc_support import ProviderProcess
from tests.pulumi.test_provider_grpc import KEEPS, NONE, SOME, World, arn_of

# The fixtures of the provider tests: an emulator per test, one provider process.
shared_port = grpc_tests.shared_port
shared_provider = grpc_tests.shared_provider
world = grpc_tests.world
provider = grpc_tests.provider


def live(number: str) -> dict[str, Any]:
    connect = boto3.client("connect", region_name="us-east-1")
    answer = connect.describe_phone_number(PhoneNumberId=phone_number_id_for(number))
    return answer["ClaimedPhoneNumberSummary"]  # type: ignore[no-any-return]


def test_a_description_and_tag_change_is_an_update_made_in_place(
    world: World, provider: ProviderProcess
) -> None:
    number = KEEPS[0]
    connect = boto3.client("connect", region_name="us-east-1")
    connect.tag_resource(resourceArn=arn_of(number), tags={"team": "sales", "owner": "ops"})
    world.server.reset_stats()
    _, olds = provider.create(number, world.args(number, "claimed"))
    assert world.server.stats()["total_calls"] == 0  # adopting still costs no call

    news = world.args(number, "claimed", description="Support line") | {
        "tags": {"team": "support"},
        "tags_removed": ["owner"],
    }
    diff = provider.diff(number, olds, news)
    assert diff.changes == SOME and list(diff.replaces) == [] and not diff.deleteBeforeReplace

    outs = provider.update(number, number, olds, news)
    assert outs["state"] == "claimed" and "description" in (outs["outcome"] or "")
    now = live(number)
    assert now["PhoneNumberDescription"] == "Support line"
    assert now["Tags"] == {"team": "support"}
    assert now["PhoneNumberId"] == phone_number_id_for(number)  # the same number
    calls = world.server.stats()["calls"]
    assert calls.get("UpdatePhoneNumberMetadata") == 1 and calls.get("TagResource") == 1
    assert calls.get("UntagResource") == 1 and "ReleasePhoneNumber" not in calls
    assert world.server.state_summary()["quota"]["used"] == 0
    assert world.records() == []  # no ledger record: nothing counted against the quota

    # The engine retries the step: the number already matches, nothing is changed again.
    again = provider.update(number, number, olds, news)
    assert again.get("outcome") is None  # None outputs do not travel
    assert world.server.stats()["calls"].get("UpdatePhoneNumberMetadata") == 1
    # Converged: the next preview shows no change.
    assert provider.diff(number, outs, news).changes == NONE


def test_a_key_the_file_does_not_name_is_left_alone_and_no_tags_is_no_change(
    world: World, provider: ProviderProcess
) -> None:
    number = KEEPS[1]
    connect = boto3.client("connect", region_name="us-east-1")
    connect.tag_resource(resourceArn=arn_of(number), tags={"owner": "ops"})
    _, olds = provider.create(number, world.args(number, "claimed"))
    # A stack made before tags were managed holds no tag inputs: no change.
    assert provider.diff(number, olds, world.args(number, "claimed")).changes == NONE
    news = world.args(number, "claimed") | {"tags": {"team": "support"}}
    provider.update(number, number, olds, news)
    assert live(number)["Tags"] == {"owner": "ops", "team": "support"}
