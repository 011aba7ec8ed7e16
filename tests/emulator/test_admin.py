"""The admin surface at /_emulator/: JSON over HTTP, never a Connect operation."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from connect_emulator import EmulatorServer

from .support import START, WallClock, admin, client, failure, ids_by_number, seed_with

Factory = Callable[..., EmulatorServer]


def test_state_and_history_after_a_release(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with(), now=WallClock())
    connect = client()
    connect.release_phone_number(
        PhoneNumberId=ids_by_number(connect)["+12065550100"], ClientToken="tok"
    )
    status, state = admin(server, "GET", "/_emulator/state")
    assert status == 200
    assert state["now"] == "2026-03-01T12:00:00Z"
    assert (state["phone_numbers"], state["by_status"]) == (4, {"CLAIMED": 3, "IN_PROGRESS": 1})
    assert state["quota"]["used"] == 1 and state["quota"]["limit"] == 20
    assert [c["phone_number"] for c in state["cooldowns"]] == ["+12065550100"]
    assert state["stats"]["calls"] == {"ListPhoneNumbersV2": 1, "ReleasePhoneNumber": 1}
    status, history = admin(server, "GET", "/_emulator/history")
    assert status == 200
    (event,) = history["events"]
    assert {key: event[key] for key in ("action", "phone_number", "client_token", "at")} == {
        "action": "release",
        "phone_number": "+12065550100",
        "client_token": "tok",
        "at": "2026-03-01T12:00:00Z",
    }
    assert event["phone_number_id"] == "fc018a49-80a1-5734-9a7c-c5ae8517c436"
    assert history == {"events": server.history()}


def test_history_filters_by_origin(emulator_factory: Factory) -> None:
    prior = [{"action": "claim", "phone_number": "+12065550100", "at": "2026-01-01T00:00:00Z"}]
    server = emulator_factory(seed_with(history=prior), now=WallClock())
    connect = client()
    connect.release_phone_number(PhoneNumberId=ids_by_number(connect)["+12065550101"])
    _, seeded = admin(server, "GET", "/_emulator/history?origin=seed")
    _, performed = admin(server, "GET", "/_emulator/history?origin=emulator")
    assert [e["action"] for e in seeded["events"]] == ["claim"]
    assert [e["phone_number"] for e in performed["events"]] == ["+12065550101"]
    assert admin(server, "GET", "/_emulator/history?origin=mars")[0] == 400


def test_admin_requests_are_not_connect_calls(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with(), rate=1, burst=1)
    server.add_fault("error", rate=1.0)
    for _ in range(5):  # neither throttled nor faulted
        assert admin(server, "GET", "/_emulator/state")[0] == 200
    assert server.stats()["total_calls"] == 0 and server.stats()["unknown"] == 0
    # A Connect-looking path under the prefix is still the admin surface.
    status, body = admin(server, "POST", "/_emulator/phone-number/list", {})
    assert status == 404 and "No emulator admin endpoint" in body["Message"]
    assert server.stats()["unknown"] == 0


def test_faults_over_http(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    status, body = admin(server, "POST", "/_emulator/faults", {"kind": "throttle", "count": 1})
    assert status == 200 and body["rules"] == [{"kind": "throttle", "count": 1, "remaining": 1}]
    status, body = admin(
        server,
        "POST",
        "/_emulator/faults",
        {"rules": [{"kind": "error", "operation": "ClaimPhoneNumber", "rate": 0.5}], "seed": 3},
    )
    assert status == 200 and len(body["rules"]) == 2 and body["seed"] == 3
    assert failure(client().list_phone_numbers_v2)[:2] == ("ThrottlingException", 429)
    status, body = admin(
        server,
        "POST",
        "/_emulator/faults",
        {"rules": [{"kind": "drop", "count": 2}], "replace": True},
    )
    assert [rule["kind"] for rule in body["rules"]] == ["drop"]
    assert admin(server, "GET", "/_emulator/faults")[1] == server.faults()
    status, body = admin(server, "DELETE", "/_emulator/faults")
    assert (status, body["rules"]) == (200, [])
    status, body = admin(server, "POST", "/_emulator/faults", {"kind": "drop"})
    assert status == 400 and "exactly one of 'rate'" in body["Message"]


def test_the_clock_over_http(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with(), now=WallClock())
    assert admin(server, "GET", "/_emulator/clock")[1] == {
        "now": "2026-03-01T12:00:00Z",
        "offset_seconds": 0.0,
    }
    status, body = admin(server, "POST", "/_emulator/clock", {"advance_days": 2})
    assert (status, body["now"]) == (200, "2026-03-03T12:00:00Z")
    _, body = admin(server, "POST", "/_emulator/clock", {"advance_seconds": 60})
    assert body["now"] == "2026-03-03T12:01:00Z"
    _, body = admin(server, "POST", "/_emulator/clock", {"set": "2027-01-01T00:00:00+01:00"})
    assert body["now"] == "2026-12-31T23:00:00Z"
    assert server.now() == START.replace(year=2026, month=12, day=31, hour=23)
    for bad in ({}, {"advance_days": 1, "set": "x"}, {"set": "2027-01-01"}, {"advance_days": "1"}):
        status, body = admin(server, "POST", "/_emulator/clock", bad)
        assert status == 400, bad


def test_stats_reset_over_http(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    client().list_phone_numbers_v2()
    assert admin(server, "GET", "/_emulator/stats")[1]["total_calls"] == 1
    status, body = admin(server, "POST", "/_emulator/stats/reset")
    assert (status, body["total_calls"]) == (200, 0)
    assert server.stats()["calls"] == {}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/_emulator/nothing", 404),
        ("GET", "/_emulator", 404),
        ("DELETE", "/_emulator/state", 405),
        ("GET", "/_emulator/stats/reset", 405),
    ],
)
def test_unknown_admin_paths_and_methods(
    emulator_factory: Factory, method: str, path: str, status: int
) -> None:
    server = emulator_factory(seed_with())
    answered, body = admin(server, method, path)
    assert answered == status and body["Message"]


def test_a_body_that_is_not_json_is_400(emulator_factory: Factory) -> None:
    server = emulator_factory(seed_with())
    request = urllib.request.Request(server.url + "/_emulator/faults", data=b"{nope", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400


def test_non_loopback_peers_are_refused(emulator_factory: Factory) -> None:
    """The server binds 127.0.0.1; the admin surface also checks the peer itself."""
    server = emulator_factory(seed_with())
    for remote, expected in (("10.1.2.3", 403), ("::1", 200), ("127.0.0.2", 200)):
        environ = EnvironBuilder(
            path="/_emulator/state", environ_base={"REMOTE_ADDR": remote}
        ).get_environ()
        response = server.app.handle(Request(environ))
        assert response.status_code == expected, remote
