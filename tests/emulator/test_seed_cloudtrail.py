"""The seed keys of CloudTrail, Service Quotas and IAM: parsed, defaulted, refused clearly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connect_emulator import (
    CloudTrailConfig,
    EmulatorServer,
    SeedError,
    TrailCall,
    TrailInfo,
    load_seed,
)

from .support import A, seed_with

CALL = {
    "event_name": "ReleasePhoneNumber",
    "at": "2026-02-01T00:00:00Z",
    "request_parameters": {"phoneNumberId": "gone", "clientToken": "t"},
    "error_code": "ResourceNotFoundException",
    "error_message": "Phone number 'gone' not found.",
    "event_id": "ev-1",
    "access_key_id": "AKIAPIPELINE",
}


def test_defaults() -> None:
    seed = load_seed(seed_with())
    assert seed.cloudtrail == CloudTrailConfig()
    assert (seed.trail_calls, seed.denied_actions) == ((), ())
    assert seed.cloudtrail.username_for("AKIAANY") == "emulator-user"


def test_the_keys_are_parsed() -> None:
    history = [
        {
            "action": "release",
            "phone_number": "+12065559000",
            "at": "2026-01-02T00:00:00Z",
            "cloudtrail": False,
        },
        {
            "action": "claim",
            "phone_number": "+12065559001",
            "phone_number_id": "n1",
            "instance": A,
            "at": "2026-01-03T00:00:00Z",
            "cloudtrail": {"event_id": "ev-0", "username": "alice", "request_id": "r-1"},
        },
    ]
    seed = load_seed(
        seed_with(
            history=history,
            cloudtrail={
                "username": "deploy",
                "users": {"AKIAHUMAN": "alice"},
                "delivery_delay_seconds": 300,
                "calls": [CALL],
            },
            service_quotas={"L-8F812903": 12},
            denied_actions=["cloudtrail:LookupEvents", "servicequotas:*"],
        )
    )
    assert [event.trail for event in seed.history] == [
        TrailInfo(logged=False),
        TrailInfo(event_id="ev-0", username="alice", request_id="r-1"),
    ]
    assert seed.cloudtrail == CloudTrailConfig(
        username="deploy", users={"AKIAHUMAN": "alice"}, delivery_delay=timedelta(seconds=300)
    )
    assert seed.cloudtrail.username_for("AKIAHUMAN") == "alice"
    assert seed.trail_calls == (
        TrailCall(
            event_name="ReleasePhoneNumber",
            at=datetime(2026, 2, 1, tzinfo=UTC),
            request_parameters={"phoneNumberId": "gone", "clientToken": "t"},
            error_code="ResourceNotFoundException",
            error_message="Phone number 'gone' not found.",
            trail=TrailInfo(event_id="ev-1", access_key_id="AKIAPIPELINE"),
        ),
    )
    assert seed.quota.phone_numbers == 12
    assert seed.denied_actions == ("cloudtrail:LookupEvents", "servicequotas:*")


def test_a_state_file_writes_them_back(tmp_path: Path) -> None:
    """What a state file holds is a seed that gives the same account again."""
    seed = seed_with(
        history=[
            {
                "action": "release",
                "phone_number": "+12065559000",
                "phone_number_id": "x",
                "at": "2026-01-02T00:00:00Z",
                "cloudtrail": False,
            }
        ],
        cloudtrail={"users": {"AKIAHUMAN": "alice"}, "calls": [CALL]},
        denied_actions=["servicequotas:GetServiceQuota"],
    )
    server = EmulatorServer(seed, state_file=tmp_path / "state.json")
    document = server.state.to_document()
    (event,) = document["history"]
    assert event["cloudtrail"]["logged"] is False and event["cloudtrail"]["event_id"]
    assert document["cloudtrail"] == {"users": {"AKIAHUMAN": "alice"}, "calls": [CALL]}
    assert document["denied_actions"] == ["servicequotas:GetServiceQuota"]
    again = load_seed(document)
    assert again.trail_calls == load_seed(seed).trail_calls
    assert again.history[0].trail.event_id == server.state.history()[0].trail.event_id


BAD: list[tuple[dict[str, Any], str, str | None]] = [
    ({"cloudtrail": []}, "'cloudtrail' must be a mapping", None),
    ({"cloudtrail": {"region": "x"}}, "unknown key 'region'", "cloudtrail"),
    ({"cloudtrail": {"users": {"AKIA": 5}}}, "maps access key ids to user names", None),
    ({"cloudtrail": {"delivery_delay_seconds": -1}}, "at least 0", "cloudtrail"),
    ({"cloudtrail": {"calls": [{"at": "2026-01-01T00:00:00Z"}]}}, "'event_name' is required", None),
    (
        {"cloudtrail": {"calls": [{**CALL, "event_name": "DescribePhoneNumber"}]}},
        "event_name 'DescribePhoneNumber' is not one of",
        None,
    ),
    ({"cloudtrail": {"calls": [{**CALL, "at": "2026-01-01"}]}}, "has no time zone", None),
    ({"cloudtrail": {"calls": [{**CALL, "logged": "no"}]}}, "'logged' must be true or false", None),
    (
        {"cloudtrail": {"calls": [{**CALL, "response_elements": []}]}},
        "'response_elements' must be a mapping or null",
        None,
    ),
    ({"cloudtrail": {"calls": [CALL, CALL]}}, "event_id 'ev-1' is used twice", None),
    (
        {
            "history": [
                {
                    "action": "claim",
                    "phone_number": "+12065559000",
                    "at": "2026-01-01T00:00:00Z",
                    "cloudtrail": "no",
                }
            ]
        },
        "'cloudtrail' must be false",
        None,
    ),
    (
        {
            "history": [
                {
                    "action": "claim",
                    "phone_number": "+12065559000",
                    "at": "2026-01-01T00:00:00Z",
                    "cloudtrail": {"event_id": "has space"},
                }
            ]
        },
        "is not a valid event id",
        None,
    ),
    ({"service_quotas": {"L-12345678": 3}}, "unknown quota code 'L-12345678'", None),
    ({"service_quotas": {"L-8F812903": 2.5}}, "a whole number of at least 1", None),
    ({"service_quotas": {"L-8F812903": 0}}, "a whole number of at least 1", None),
    ({"denied_actions": ["s3:GetObject"]}, "'s3:GetObject' is not one of", "denied_actions"),
    ({"denied_actions": "cloudtrail:LookupEvents"}, "'denied_actions' must be a list", None),
]


@pytest.mark.parametrize(("extra", "problem", "entry"), BAD)
def test_bad_values_are_refused(extra: dict[str, Any], problem: str, entry: str | None) -> None:
    with pytest.raises(SeedError) as caught:
        load_seed(seed_with(**extra))
    assert problem in caught.value.problem, caught.value.problem
    if entry is not None:
        assert caught.value.entry == entry


def test_the_demo_seed_still_loads() -> None:
    from .support import DEMO_SEED

    seed = load_seed(DEMO_SEED)
    assert seed.quota.phone_numbers == 10 and seed.trail_calls == ()
