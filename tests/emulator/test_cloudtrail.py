"""CloudTrail's LookupEvents over the emulator's history, as boto3 and the AWS CLI see it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ParamValidationError

from connect_emulator import EmulatorServer, RateLimit

from .support import (
    ACCOUNT,
    PREFIX,
    START,
    A,
    WallClock,
    admin,
    client,
    cloudtrail_client,
    conformance_problems,
    failure,
    ids_by_number,
    record_raw,
    seed_with,
)
from .test_entrypoints import DEMO, aws_cli

Factory = Callable[..., EmulatorServer]
MODEL: Any = botocore.session.get_session().get_service_model("cloudtrail")
A_ARN = f"{PREFIX}:instance/{A}"
CLAIM = "ClaimPhoneNumber"
RELEASE = "ReleasePhoneNumber"


def number_arn(number_id: str) -> str:
    return f"{PREFIX}:phone-number/{number_id}"


def record_of(event: dict[str, Any]) -> dict[str, Any]:
    """The CloudTrail event record: a JSON string inside the API's Event."""
    record: dict[str, Any] = json.loads(event["CloudTrailEvent"])
    return record


def lookup_all(trail: Any, **kwargs: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """Every event (following NextToken) and the size of each page."""
    events: list[dict[str, Any]] = []
    sizes: list[int] = []
    while True:
        response = trail.lookup_events(**kwargs)
        events += response["Events"]
        sizes.append(len(response["Events"]))
        if "NextToken" not in response:
            return events, sizes
        kwargs["NextToken"] = response["NextToken"]


def releases(
    count: int, *, newest: datetime, step: timedelta, **extra: Any
) -> list[dict[str, Any]]:
    """``count`` seed releases with ids, newest at ``newest``, ``step`` apart."""
    return [
        {
            "action": "release",
            "phone_number": f"+1206555{2000 + i}",
            "phone_number_id": f"released-{i:03d}",
            "at": (newest - i * step).isoformat(),
            **extra,
        }
        for i in range(count)
    ]


def test_the_clients_reach_the_emulator_through_their_env_vars(
    aws_env: None, services_factory: Factory
) -> None:
    # botocore's variable is AWS_ENDPOINT_URL_ + the client name upper-cased, "-" as "_".
    default = boto3.client("cloudtrail").meta.endpoint_url
    assert default == "https://cloudtrail.us-east-1.amazonaws.com"
    assert (
        boto3.client("service-quotas").meta.endpoint_url
        == "https://servicequotas.us-east-1.amazonaws.com"
    )
    server = services_factory(seed_with())
    assert boto3.client("cloudtrail").meta.endpoint_url == server.url
    assert boto3.client("service-quotas").meta.endpoint_url == server.url
    assert boto3.client("cloudtrail").lookup_events()["Events"] == []
    quota = boto3.client("service-quotas").get_service_quota(
        ServiceCode="connect", QuotaCode="L-8F812903"
    )
    assert quota["Quota"]["Value"] == 10.0
    assert server.stats()["calls"] == {"LookupEvents": 1, "GetServiceQuota": 1}


def test_a_release_and_a_claim_are_events_in_the_model_shape(services_factory: Factory) -> None:
    clock = WallClock()
    services_factory(seed_with(), now=clock)
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    released = connect.release_phone_number(PhoneNumberId=number_id, ClientToken="rel-1")
    clock.advance(seconds=90.25)  # CloudTrail records whole seconds
    claimed = connect.claim_phone_number(
        TargetArn=A_ARN, PhoneNumber="+14255550000", ClientToken="cl-1"
    )
    trail = cloudtrail_client()
    raw = record_raw(trail)

    response = trail.lookup_events()

    (operation, status, body), *_ = raw
    assert (operation, status) == ("LookupEvents", 200)
    output = MODEL.operation_model("LookupEvents").output_shape
    assert conformance_problems(output, body, "LookupEvents") == []
    assert set(body) == {"Events"}  # one page: no NextToken
    claim, release = response["Events"]  # newest first
    assert [event["EventName"] for event in body["Events"]] == [CLAIM, RELEASE]
    # JSON 1.1 timestamps are epoch seconds; botocore makes aware datetimes of them.
    assert [event["EventTime"] for event in body["Events"]] == [
        (START + timedelta(seconds=90)).timestamp(),
        START.timestamp(),
    ]
    assert claim["EventTime"] == START + timedelta(seconds=90)
    assert release["EventTime"].utcoffset() is not None

    new_id = claimed["PhoneNumberId"]
    assert {key: value for key, value in release.items() if key != "CloudTrailEvent"} == {
        "EventId": release["EventId"],
        "EventName": RELEASE,
        "ReadOnly": "false",
        "AccessKeyId": "testing",  # from the SigV4 signature of the call
        "EventTime": START,
        "EventSource": "connect.amazonaws.com",
        "Username": "emulator-user",
        "Resources": [
            {"ResourceType": "AWS::Connect::PhoneNumber", "ResourceName": number_arn(number_id)}
        ],
    }
    assert claim["Resources"] == [
        {"ResourceType": "AWS::Connect::PhoneNumber", "ResourceName": number_arn(new_id)},
        {"ResourceType": "AWS::Connect::Instance", "ResourceName": A_ARN},
    ]
    record = record_of(release)
    assert record["userIdentity"].pop("principalId").startswith("AIDA")
    assert record.pop("userAgent").startswith("Boto3/")
    assert record == {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/emulator-user",
            "accountId": ACCOUNT,
            "accessKeyId": "testing",
            "userName": "emulator-user",
        },
        "eventTime": "2026-03-01T12:00:00Z",
        "eventSource": "connect.amazonaws.com",
        "eventName": RELEASE,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "127.0.0.1",
        "requestParameters": {"phoneNumberId": number_id, "clientToken": "rel-1"},
        "responseElements": None,
        "requestID": released["ResponseMetadata"]["RequestId"],
        "eventID": release["EventId"],
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    record = record_of(claim)
    assert record["eventTime"] == "2026-03-01T12:01:30Z"
    assert record["requestParameters"] == {
        "targetArn": A_ARN,
        "phoneNumber": "+14255550000",
        "clientToken": "cl-1",
    }
    assert record["responseElements"] == {
        "phoneNumberId": new_id,
        "phoneNumberArn": claimed["PhoneNumberArn"],
    }
    assert record["requestID"] == claimed["ResponseMetadata"]["RequestId"]
    assert "errorCode" not in record and "errorMessage" not in record


def test_120_events_come_50_per_page_newest_first_with_stable_ids(
    services_factory: Factory,
) -> None:
    history = releases(120, newest=START - timedelta(hours=1), step=timedelta(minutes=30))
    services_factory(seed_with(history=history), now=WallClock())
    trail = cloudtrail_client()

    events, sizes = lookup_all(trail)

    assert sizes == [50, 50, 20]
    assert [record_of(e)["requestParameters"]["phoneNumberId"] for e in events] == [
        f"released-{i:03d}" for i in range(120)
    ]
    times = [event["EventTime"] for event in events]
    assert times == sorted(times, reverse=True)
    ids = [event["EventId"] for event in events]
    assert len(set(ids)) == 120
    assert [e["EventId"] for e in lookup_all(trail)[0]] == ids  # the same ids every time
    # botocore's paginator and a smaller page size walk the same list.
    pages = list(trail.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 7}))
    assert len(pages) == 18
    assert [e["EventId"] for page in pages for e in page["Events"]] == ids


def test_lookup_attributes_filter_events(services_factory: Factory) -> None:
    clock = WallClock()
    services_factory(seed_with(), now=clock)
    connect = client()
    ids = ids_by_number(connect)
    for number in ("+12065550100", "+12065550101"):
        connect.release_phone_number(PhoneNumberId=ids[number])
        clock.advance(minutes=1)
    claimed = connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000")
    trail = cloudtrail_client()

    def names(key: str, value: str) -> list[str]:
        attribute = [{"AttributeKey": key, "AttributeValue": value}]
        return [event["EventName"] for event in lookup_all(trail, LookupAttributes=attribute)[0]]

    assert names("EventName", CLAIM) == [CLAIM]
    assert names("EventName", RELEASE) == [RELEASE, RELEASE]
    assert names("EventSource", "connect.amazonaws.com") == [CLAIM, RELEASE, RELEASE]
    assert names("EventSource", "ec2.amazonaws.com") == []
    assert names("ResourceName", number_arn(ids["+12065550100"])) == [RELEASE]
    assert names("ResourceName", claimed["PhoneNumberArn"]) == [CLAIM]
    assert names("ResourceType", "AWS::Connect::Instance") == [CLAIM]
    assert names("Username", "emulator-user") == [CLAIM, RELEASE, RELEASE]
    assert names("AccessKeyId", "testing") == [CLAIM, RELEASE, RELEASE]
    assert names("ReadOnly", "true") == []
    newest = trail.lookup_events(MaxResults=1)["Events"][0]["EventId"]
    assert names("EventId", newest) == [CLAIM]
    assert names("EventName", "DescribePhoneNumber") == []


def test_start_and_end_time_are_inclusive(services_factory: Factory) -> None:
    history = releases(10, newest=START - timedelta(hours=1), step=timedelta(hours=1))
    services_factory(seed_with(history=history), now=WallClock())
    trail = cloudtrail_client()
    start, end = START - timedelta(hours=7), START - timedelta(hours=3)

    events, _ = lookup_all(trail, StartTime=start, EndTime=end)

    assert [event["EventTime"] for event in events] == [
        START - timedelta(hours=h) for h in range(3, 8)
    ]
    assert len(lookup_all(trail, StartTime=start)[0]) == 7
    assert len(lookup_all(trail, EndTime=end)[0]) == 8
    # Microseconds in the request (botocore sends a float then) still compare by the second.
    assert len(lookup_all(trail, StartTime=start + timedelta(microseconds=1))[0]) == 6
    code, status, message = failure(lambda: trail.lookup_events(StartTime=end, EndTime=start))
    assert (code, status) == ("InvalidTimeRangeException", 400)
    assert "before" in message


def test_only_the_last_90_days_are_served(services_factory: Factory) -> None:
    clock = WallClock()
    history = [
        {**item, "at": (START - timedelta(days=days)).isoformat()}
        for item, days in zip(
            releases(4, newest=START, step=timedelta(0)), (1, 89, 90, 91), strict=True
        )
    ]
    server = services_factory(seed_with(history=history), now=clock)
    trail = cloudtrail_client()

    def ages() -> list[float]:
        events = lookup_all(trail, StartTime=START - timedelta(days=365))[0]
        return [(START - event["EventTime"]) / timedelta(days=1) for event in events]

    assert ages() == [1, 89, 90]  # 91 days old: gone, even with an older StartTime
    clock.advance(seconds=1)
    assert ages() == [1, 89]
    # The quota still counts what CloudTrail no longer shows (a 180-day window).
    assert server.state_summary()["quota"]["used"] == 4
    (hidden,) = [e for e in server.cloudtrail()["events"] if not e["lookup"]][-1:]
    assert hidden["hidden"] == "older than 90 days"


def test_request_errors_are_cloudtrail_errors(services_factory: Factory) -> None:
    history = releases(3, newest=START, step=timedelta(hours=1))
    services_factory(seed_with(history=history), now=WallClock())
    trail = cloudtrail_client()
    unchecked = cloudtrail_client(parameter_validation=False)
    raw = record_raw(trail)
    two = [
        {"AttributeKey": "EventName", "AttributeValue": RELEASE},
        {"AttributeKey": "Username", "AttributeValue": "emulator-user"},
    ]
    first = trail.lookup_events(MaxResults=1)
    token = first["NextToken"]
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: trail.lookup_events(MaxResults=51), "InvalidMaxResultsException"),
        (lambda: unchecked.lookup_events(MaxResults=0), "InvalidMaxResultsException"),
        (lambda: trail.lookup_events(LookupAttributes=two), "InvalidLookupAttributesException"),
        (
            lambda: unchecked.lookup_events(
                LookupAttributes=[{"AttributeKey": "Colour", "AttributeValue": "x"}]
            ),
            "InvalidLookupAttributesException",
        ),
        (lambda: trail.lookup_events(NextToken="garbage"), "InvalidNextTokenException"),
        (  # a token is only good with the parameters it was issued for
            lambda: trail.lookup_events(
                NextToken=token,
                LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": RELEASE}],
            ),
            "InvalidNextTokenException",
        ),
        (
            lambda: unchecked.lookup_events(EventCategory="data"),
            "InvalidEventCategoryException",
        ),
    ]
    for call, expected in cases:
        code, status, message = failure(call)
        assert (code, status) == (expected, 400), message
        assert message
    with pytest.raises(trail.exceptions.InvalidMaxResultsException):
        trail.lookup_events(MaxResults=51)
    with pytest.raises(ParamValidationError):
        trail.lookup_events(MaxResults=0)  # botocore checks the minimum itself
    # The raw error body is JSON 1.1's: {"__type": ..., "message": ...}.
    _, status, body = raw[-1]
    assert (status, set(body)) == (400, {"__type", "message"})
    assert body["__type"] == "InvalidMaxResultsException"
    assert trail.lookup_events(NextToken=token)["Events"]  # still good as issued
    assert trail.lookup_events(EventCategory="insight")["Events"] == []


def test_a_refused_release_is_logged_with_its_error_code(services_factory: Factory) -> None:
    """CloudTrail logs failed calls too: an importer must skip those with errorCode."""
    history = [
        {"action": "claim", "phone_number": "+12065559000", "at": "2026-02-01T00:00:00Z"},
        {"action": "release", "phone_number": "+12065559001", "at": "2026-02-02T00:00:00Z"},
    ]
    server = services_factory(
        seed_with(quota={"phone_numbers": 1}, history=history), now=WallClock()
    )
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    code, _, message = failure(lambda: connect.release_phone_number(PhoneNumberId=number_id))
    assert code == "ServiceQuotaExceededException"
    failure(lambda: connect.release_phone_number(PhoneNumberId="no-such-number"))

    events, _ = lookup_all(cloudtrail_client())

    assert [record_of(e).get("errorCode") for e in events] == [
        "ResourceNotFoundException",
        "ServiceQuotaExceededException",
    ]
    refused = record_of(events[1])
    assert refused["errorMessage"] == message
    assert refused["requestParameters"]["phoneNumberId"] == number_id
    assert refused["responseElements"] is None
    assert [e for e in events if "errorCode" not in record_of(e)] == []  # nothing to import
    # Logged, but nothing counts them: not the quota, not the history.
    assert server.state_summary()["quota"]["used"] == 2
    assert server.history(origin="emulator") == []
    assert server.state_summary()["cloudtrail"] == {
        "lookup_events": 2,
        "failed_calls": 2,
        "not_logged": 0,
    }


def test_a_replayed_token_is_a_second_event_without_a_second_effect(
    services_factory: Factory,
) -> None:
    server = services_factory(seed_with(), now=WallClock())
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    connect.release_phone_number(PhoneNumberId=number_id, ClientToken="t-1")
    connect.release_phone_number(PhoneNumberId=number_id, ClientToken="t-1")
    first = connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000", ClientToken="c")
    connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000", ClientToken="c")

    events, _ = lookup_all(cloudtrail_client())

    records = [record_of(event) for event in events]
    assert [r["eventName"] for r in records] == [CLAIM, CLAIM, RELEASE, RELEASE]
    assert all("errorCode" not in r for r in records)
    # Two calls, one effect: the client token tells an importer they are one.
    assert {r["requestParameters"]["clientToken"] for r in records[2:]} == {"t-1"}
    claimed = {"phoneNumberId": first["PhoneNumberId"], "phoneNumberArn": first["PhoneNumberArn"]}
    assert records[0]["responseElements"] == records[1]["responseElements"] == claimed
    assert len({r["eventID"] for r in records}) == 4
    assert server.state_summary()["quota"]["used"] == 2


def test_a_release_the_client_saw_fail_is_logged_as_done(services_factory: Factory) -> None:
    server = services_factory(seed_with())
    server.add_fault("error", operation="ReleasePhoneNumber", count=1, after_effect=True)
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    code, status, _ = failure(lambda: connect.release_phone_number(PhoneNumberId=number_id))
    assert (code, status) == ("InternalServiceException", 500)
    (event,) = lookup_all(cloudtrail_client())[0]
    assert "errorCode" not in record_of(event)
    assert record_of(event)["requestParameters"]["phoneNumberId"] == number_id


def test_events_aws_did_not_log_count_but_are_not_served(services_factory: Factory) -> None:
    console = {
        "action": "release",
        "phone_number": "+12065559000",
        "phone_number_id": "by-console",
        "at": "2026-02-20T09:00:00Z",
        "cloudtrail": False,
    }
    server = services_factory(seed_with(history=[console]), now=WallClock())
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    connect.release_phone_number(PhoneNumberId=number_id)
    trail = cloudtrail_client()

    assert [record_of(e)["requestParameters"]["phoneNumberId"] for e in lookup_all(trail)[0]] == [
        number_id
    ]
    assert server.state_summary()["quota"]["used"] == 2  # the console release counts

    # Mark the API release as unlogged too (over HTTP), then log it again (in Python).
    status, body = admin(
        server, "POST", "/_emulator/cloudtrail/logged", {"phone_number": "+12065550102"}
    )
    assert status == 200
    (event_id,) = body["event_ids"]
    assert lookup_all(trail)[0] == []
    status, view = admin(server, "GET", "/_emulator/cloudtrail")
    assert status == 200 and view["retention_days"] == 90
    assert [(e["logged"], e["hidden"]) for e in view["events"]] == [
        (False, "not logged by CloudTrail"),
        (False, "not logged by CloudTrail"),
    ]
    assert server.set_cloudtrail_logged(event_id, logged=True) == [event_id]
    assert [e["EventId"] for e in lookup_all(trail)[0]] == [event_id]
    assert server.state_summary()["quota"]["used"] == 2  # unchanged throughout
    status, body = admin(server, "POST", "/_emulator/cloudtrail/logged", {"event_ids": ["nope"]})
    assert status == 400 and "nope" in body["Message"]
    status, body = admin(server, "POST", "/_emulator/cloudtrail/logged", {})
    assert status == 400 and "event_ids" in body["Message"]


def test_seed_events_without_the_ids_a_record_needs_are_not_served(
    services_factory: Factory,
) -> None:
    history = [
        {"action": "release", "phone_number": "+12065559000", "at": "2026-02-20T09:00:00Z"},
        {
            "action": "claim",
            "phone_number": "+12065559001",
            "phone_number_id": "x",
            "at": "2026-02-20T10:00:00Z",
        },
        {
            "action": "claim",
            "phone_number": "+12065559002",
            "phone_number_id": "y",
            "instance": A,
            "at": "2026-02-20T11:00:00Z",
            "cloudtrail": {"username": "alice", "access_key_id": "AKIAALICE"},
        },
    ]
    server = services_factory(seed_with(history=history), now=WallClock())
    (event,) = lookup_all(cloudtrail_client())[0]
    assert (event["Username"], event["AccessKeyId"]) == ("alice", "AKIAALICE")
    assert record_of(event)["userAgent"] == "connect-numbers-emulator (seed history)"
    hidden = [e["hidden"] for e in server.cloudtrail()["events"] if not e["lookup"]]
    assert hidden == [
        "a claim without phone_number_id and instance (targetArn, responseElements)",
        "a release without phone_number_id (CloudTrail's requestParameters)",
    ]


def test_an_event_shows_after_the_delivery_delay(services_factory: Factory) -> None:
    clock = WallClock()
    services_factory(seed_with(cloudtrail={"delivery_delay_seconds": 300}), now=clock)
    connect = client()
    connect.release_phone_number(PhoneNumberId=ids_by_number(connect)["+12065550102"])
    trail = cloudtrail_client()
    clock.advance(seconds=299)
    assert lookup_all(trail)[0] == []
    clock.advance(seconds=1)
    assert len(lookup_all(trail)[0]) == 1


def test_the_seed_names_the_users_of_access_keys(services_factory: Factory) -> None:
    services_factory(seed_with(cloudtrail={"users": {"testing": "alice"}, "username": "bob"}))
    connect = client()
    connect.release_phone_number(PhoneNumberId=ids_by_number(connect)["+12065550102"])
    (event,) = lookup_all(cloudtrail_client())[0]
    assert event["Username"] == "alice"
    assert record_of(event)["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lookup_events_is_throttled_at_two_per_second(services_factory: Factory) -> None:
    ticks = FakeClock()
    server = services_factory(
        seed_with(), rate=2, burst=5, clock=ticks, rate_limits={"ListPhoneNumbersV2": None}
    )
    trail = cloudtrail_client()
    for _ in range(5):
        trail.lookup_events()
    code, status, message = failure(trail.lookup_events)
    assert (code, status, message) == ("ThrottlingException", 400, "Rate exceeded")
    ticks.now += 0.5  # 2 per second: one more
    trail.lookup_events()
    assert server.stats()["throttled"] == {"LookupEvents": 1}
    # Its own bucket: Connect's calls are not throttled by it, and a seed can set it.
    server.set_rate_limit("LookupEvents", 2, burst=1)
    trail.lookup_events()
    assert failure(trail.lookup_events)[0] == "ThrottlingException"
    assert server.limiter.limit_for("LookupEvents") == RateLimit(rate=2, burst=1)


def test_faults_and_denials_answer_in_cloudtrail_terms(services_factory: Factory) -> None:
    server = services_factory(seed_with(denied_actions=["cloudtrail:LookupEvents"]))
    trail = cloudtrail_client()
    code, status, message = failure(trail.lookup_events)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/emulator-user is not authorized to perform: "
        "cloudtrail:LookupEvents because no identity-based policy allows the "
        "cloudtrail:LookupEvents action"
    )
    server.set_denied_actions(["connect:ReleasePhoneNumber"])
    connect = client()
    number_id = ids_by_number(connect)["+12065550102"]
    code, status, _ = failure(lambda: connect.release_phone_number(PhoneNumberId=number_id))
    assert (code, status) == ("AccessDeniedException", 403)  # Connect's REST-JSON status
    (event,) = lookup_all(trail)[0]
    assert record_of(event)["errorCode"] == "AccessDeniedException"
    server.add_fault("throttle", operation="LookupEvents", count=1)
    server.add_fault("error", operation="LookupEvents", count=1)
    assert failure(trail.lookup_events)[:2] == ("ThrottlingException", 400)
    assert failure(trail.lookup_events)[:2] == ("InternalFailure", 500)
    assert len(trail.lookup_events()["Events"]) == 1


def test_event_ids_and_logged_calls_survive_a_restart(
    services_factory: Factory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    clock = WallClock()
    first = services_factory(seed_with(), now=clock, state_file=state_file)
    connect = client()
    ids = ids_by_number(connect)
    connect.release_phone_number(PhoneNumberId=ids["+12065550100"], ClientToken="t-1")
    connect.release_phone_number(PhoneNumberId=ids["+12065550100"], ClientToken="t-1")
    failure(lambda: connect.release_phone_number(PhoneNumberId="no-such-number"))
    first.set_cloudtrail_logged(phone_number="+12065550100")
    first.set_cloudtrail_logged(phone_number="+12065550100", logged=True)
    before = lookup_all(cloudtrail_client())[0]
    view = first.cloudtrail()
    first.stop()

    second = services_factory(None, now=clock, state_file=state_file)
    assert second.restored
    assert lookup_all(cloudtrail_client())[0] == before
    assert second.cloudtrail() == view
    assert len(before) == 3


def test_the_aws_cli_sees_a_release_made_by_hand(services_factory: Factory) -> None:
    exe = aws_cli()
    if exe is None:
        pytest.skip("the AWS CLI is not installed")
    server = services_factory(DEMO)
    number_id = "77638870-571f-57cf-bee4-1ecd1853580d"  # +12065550150 in the demo seed

    def cli(*args: str) -> Any:
        result = subprocess.run(
            [exe, *args, "--endpoint-url", server.url, "--output", "json"],
            capture_output=True, text=True, timeout=60, env=os.environ.copy(),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    cli("connect", "release-phone-number", "--phone-number-id", number_id)
    found = cli(
        "cloudtrail", "lookup-events",
        "--lookup-attributes", "AttributeKey=EventName,AttributeValue=ReleasePhoneNumber",
    )  # fmt: skip
    (event,) = found["Events"]
    record = json.loads(event["CloudTrailEvent"])
    assert record["requestParameters"]["phoneNumberId"] == number_id
    assert record["userAgent"].startswith("aws-cli/")
    assert "errorCode" not in record
