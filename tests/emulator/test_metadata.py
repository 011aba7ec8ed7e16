"""UpdatePhoneNumberMetadata, TagResource and UntagResource as boto3 sees them
(issue 15, part 1): in place, no quota cost, IN_PROGRESS for one describe."""

from __future__ import annotations

from collections.abc import Callable

from connect_emulator import EmulatorServer

from .support import client, failure, ids_by_number, seed_with

Factory = Callable[..., EmulatorServer]


def describe(connect: object, number_id: str) -> dict:  # type: ignore[type-arg]
    return connect.describe_phone_number(PhoneNumberId=number_id)["ClaimedPhoneNumberSummary"]  # type: ignore[attr-defined,no-any-return]


def test_a_description_update_is_in_place_in_progress_for_a_moment_and_free(
    emulator_factory: Factory,
) -> None:
    server = emulator_factory(seed_with())
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    used = server.state_summary()["quota"]["used"]

    response = connect.update_phone_number_metadata(
        PhoneNumberId=number_id, PhoneNumberDescription="Support line", ClientToken="u-1"
    )
    assert set(response) == {"ResponseMetadata"}  # no output shape

    first = describe(connect, number_id)
    assert first["PhoneNumberStatus"]["Status"] == "IN_PROGRESS"
    assert first["PhoneNumberDescription"] == "Support line"
    second = describe(connect, number_id)
    assert second["PhoneNumberStatus"] == {"Status": "CLAIMED"}
    assert second["PhoneNumberId"] == number_id  # the same number: nothing released
    assert server.state_summary()["quota"]["used"] == used  # no quota cost
    # While IN_PROGRESS, a second update is refused as AWS does.
    connect.update_phone_number_metadata(PhoneNumberId=number_id, PhoneNumberDescription="x")
    code, status, _ = failure(
        lambda: connect.update_phone_number_metadata(
            PhoneNumberId=number_id, PhoneNumberDescription="y"
        )
    )
    assert (code, status) == ("ResourceInUseException", 409)


def test_tags_are_added_overwritten_and_removed(emulator_factory: Factory) -> None:
    emulator_factory(seed_with())
    connect = client()
    number_id = ids_by_number(connect)["+12065550100"]
    arn = describe(connect, number_id)["PhoneNumberArn"]

    connect.tag_resource(resourceArn=arn, tags={"team": "support", "cost": "1"})
    connect.tag_resource(resourceArn=arn, tags={"team": "sales"})
    assert describe(connect, number_id)["Tags"] == {"team": "sales", "cost": "1"}
    connect.untag_resource(resourceArn=arn, tagKeys=["cost", "absent"])
    assert describe(connect, number_id)["Tags"] == {"team": "sales"}


def test_tagging_refusals_use_botocore_error_codes(emulator_factory: Factory) -> None:
    emulator_factory(seed_with())
    connect = client()
    arn = describe(connect, ids_by_number(connect)["+12065550100"])["PhoneNumberArn"]
    gone = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert failure(lambda: connect.tag_resource(resourceArn=gone, tags={"a": "b"}))[:2] == (
        "ResourceNotFoundException",
        404,
    )
    assert failure(lambda: connect.tag_resource(resourceArn=arn, tags={"aws:x": "b"}))[:2] == (
        "InvalidParameterException",
        400,
    )
    code, status, _ = failure(
        lambda: connect.update_phone_number_metadata(
            PhoneNumberId="00000000-0000-0000-0000-000000000000", PhoneNumberDescription="x"
        )
    )
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_a_client_token_makes_update_phone_number_metadata_idempotent(
    emulator_factory: Factory,
) -> None:
    server = emulator_factory(seed_with())
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    other_id = ids_by_number(connect)["+12065550100"]

    def update(description: str, target: str = number_id) -> dict:  # type: ignore[type-arg]
        return connect.update_phone_number_metadata(  # type: ignore[no-any-return]
            PhoneNumberId=target, PhoneNumberDescription=description, ClientToken="plan-1/m"
        )

    update("Support line")
    # A retry of the same request (the answer was lost): the same success, no 409,
    # although the number is still IN_PROGRESS from the first call.
    assert set(update("Support line")) == {"ResponseMetadata"}
    assert describe(connect, number_id)["PhoneNumberStatus"]["Status"] == "IN_PROGRESS"
    assert set(update("Support line")) == {"ResponseMetadata"}  # after it is done, too
    assert describe(connect, number_id)["PhoneNumberDescription"] == "Support line"
    # The same token for another request is refused, as botocore's model says.
    assert failure(lambda: update("Sales line"))[:2] == ("IdempotencyException", 409)
    assert failure(lambda: update("Support line", other_id))[:2] == ("IdempotencyException", 409)
    assert describe(connect, number_id)["PhoneNumberDescription"] == "Support line"
    assert server.state_summary()["quota"]["used"] == 0
