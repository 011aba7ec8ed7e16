"""--state FILE: the account survives a restart."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from connect_emulator import EmulatorServer, StateFileError, serve

from .support import A, WallClock, client, failure, ids_by_number, search, seed_with

Factory = Callable[..., EmulatorServer]


def test_a_restart_keeps_numbers_cooldowns_history_and_tokens(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    clock = WallClock()
    seed = seed_with(available=["+12065550100"], quota={"phone_numbers": 4})
    first = emulator_factory(seed, now=clock, state_file=state_file)
    assert not first.restored and state_file.exists()
    connect = client()
    released_id = ids_by_number(connect)["+12065550100"]
    connect.release_phone_number(PhoneNumberId=released_id, ClientToken="rel-1")
    claimed = connect.claim_phone_number(
        InstanceId=A, PhoneNumber="+14255550000", Tags={"k": "v"}, ClientToken="cl-1"
    )
    history = first.history()
    first.stop()

    # A different seed is ignored: the state file wins.
    second = emulator_factory(seed_with(numbers=[]), now=clock, state_file=state_file)
    assert second.restored
    connect = client()
    numbers = ids_by_number(connect)
    assert "+12065550100" not in numbers
    assert numbers["+14255550000"] == claimed["PhoneNumberId"]
    summary = connect.describe_phone_number(PhoneNumberId=claimed["PhoneNumberId"])
    assert summary["ClaimedPhoneNumberSummary"]["Tags"] == {"k": "v"}
    assert second.history() == history
    assert [c["phone_number"] for c in second.state_summary()["cooldowns"]] == ["+12065550100"]
    assert "+12065550100" not in search(connect)
    assert second.state_summary()["quota"]["phone_numbers"] == 4
    # The tokens are still recognised: replays succeed, reuse is refused.
    connect.release_phone_number(PhoneNumberId=released_id, ClientToken="rel-1")
    again = connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550000", ClientToken="cl-1")
    assert again["PhoneNumberId"] == claimed["PhoneNumberId"]
    code, _, _ = failure(
        lambda: connect.release_phone_number(
            PhoneNumberId=numbers["+12065550101"], ClientToken="rel-1"
        )
    )
    assert code == "IdempotencyException"
    assert len(second.history()) == 2
    # After the cooldown, the released number is offered again.
    clock.advance(days=180)
    assert "+12065550100" in search(connect)


def test_the_file_is_replaced_atomically_after_each_change(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    server = emulator_factory(seed_with(), state_file=state_file)
    before = json.loads(state_file.read_text())
    assert before["quota"] == {"phone_numbers": 10, "window_days": 180, "limit_percent": 200}
    connect = client()
    connect.list_phone_numbers_v2()  # a read writes nothing
    assert json.loads(state_file.read_text()) == before
    connect.release_phone_number(PhoneNumberId=ids_by_number(connect)["+12065550102"])
    after = json.loads(state_file.read_text())
    assert len(after["numbers"]) == len(before["numbers"]) - 1
    assert [event["phone_number"] for event in after["history"]] == ["+12065550102"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state.json"]  # no temp left
    server.stop()


def test_an_in_progress_countdown_survives_a_restart(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    first = emulator_factory(seed_with(claim_in_progress_describes=3), state_file=state_file)
    connect = client()
    number_id = connect.claim_phone_number(InstanceId=A, PhoneNumber="+14255550001")[
        "PhoneNumberId"
    ]
    connect.describe_phone_number(PhoneNumberId=number_id)
    first.stop()
    emulator_factory(None, state_file=state_file)
    connect = client()
    statuses = [
        connect.describe_phone_number(PhoneNumberId=number_id)["ClaimedPhoneNumberSummary"][
            "PhoneNumberStatus"
        ]["Status"]
        for _ in range(3)
    ]
    assert statuses == ["IN_PROGRESS", "IN_PROGRESS", "CLAIMED"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ('{"numbers": 5}', "'numbers' must be a list"),
        (
            json.dumps(
                {"history": [{"action": "claim", "phone_number": "+1206555", "at": "2026-01-01"}]}
            ),
            "has no time zone",
        ),
    ],
)
def test_a_broken_state_file_is_refused_clearly(tmp_path: Path, content: str, problem: str) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text(content)
    with pytest.raises(StateFileError) as caught:
        EmulatorServer(seed_with(), state_file=state_file)
    assert problem in str(caught.value) and str(state_file) in str(caught.value)
    assert "delete it to start again from the seed" in str(caught.value)


def test_serve_takes_a_state_file(aws_env: None, tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    out = io.StringIO()
    stop = threading.Event()
    thread = threading.Thread(
        target=serve,
        kwargs={
            "seed": seed_with(),
            "out": out,
            "quiet": True,
            "stop": stop,
            "state_file": state_file,
        },
    )
    thread.start()
    try:
        for _ in range(200):
            if out.getvalue():
                break
            threading.Event().wait(0.01)
        assert out.getvalue().startswith("http://127.0.0.1:")
        assert json.loads(state_file.read_text())["instances"][0]["id"] == A
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
