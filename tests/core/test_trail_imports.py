"""Merging CloudTrail's claims and releases into the ledger (core.trail.trail_imports)."""

from __future__ import annotations

from datetime import timedelta

from reconciler.core.model import Action, TrailEvent
from reconciler.core.trail import trail_imports

from .builders import NOW


def event(eid: str, action: Action, minutes: float = 0, **kw: object) -> TrailEvent:
    return TrailEvent(event_id=eid, action=action, at=NOW + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


def ours(action: str, number: str, pid: str, minutes: float = 0, **kw: object) -> dict[str, object]:
    at = (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "action": action,
        "phone_number": number,
        "phone_number_id": pid,
        "at": at,
        "status": "done",
        **kw,
    }


def test_new_successful_events_are_added_failed_ones_are_not() -> None:
    trail = [
        event("e1", Action.RELEASE, phone_number_id="n1"),
        event("e2", Action.RELEASE, phone_number_id="n2", error_code="ResourceInUseException"),
        event("e3", Action.CLAIM, phone_number="+12065550177", phone_number_id="n3"),
    ]
    added = trail_imports(trail, [])
    assert [e.event_id for e in added] == ["e1", "e3"]


def test_our_own_release_is_not_imported_twice() -> None:
    records = [ours("release", "+12065550150", "n1", minutes=1)]
    trail = [event("e1", Action.RELEASE, phone_number_id="n1")]
    assert trail_imports(trail, records) == []
    # Beyond the tolerance it is a different call.
    later = [event("e9", Action.RELEASE, phone_number_id="n1", minutes=30)]
    assert [e.event_id for e in trail_imports(later, records)] == ["e9"]


def test_an_intent_without_done_does_not_hide_the_trail_event() -> None:
    records = [ours("release", "+12065550150", "n1", status="intent")]
    trail = [event("e1", Action.RELEASE, phone_number_id="n1")]
    assert [e.event_id for e in trail_imports(trail, records)] == ["e1"]


def test_event_ids_already_imported_are_skipped() -> None:
    records = [ours("release", "+12065550150", "n1", event_id="e1", minutes=-500)]
    assert trail_imports([event("e1", Action.RELEASE, phone_number_id="n1")], records) == []


def test_a_release_gets_its_number_from_our_records_or_the_claim() -> None:
    records = [
        {
            "action": "release",
            "phone_number": "+12065550150",
            "phone_number_id": "n1",
            "status": "intent",
            "at": "2026-01-01T00:00:00Z",
        }
    ]
    trail = [
        event("c2", Action.CLAIM, minutes=-60, phone_number="+12065550177", phone_number_id="n2"),
        event("r1", Action.RELEASE, phone_number_id="n1"),
        event("r2", Action.RELEASE, phone_number_id="n2"),
        event("r3", Action.RELEASE, phone_number_id="n3"),
    ]
    numbers = {e.event_id: e.phone_number for e in trail_imports(trail, records)}
    assert numbers == {"c2": "+12065550177", "r1": "+12065550150", "r2": "+12065550177", "r3": None}


def test_duplicate_events_in_one_import_are_added_once() -> None:
    trail = [event("e1", Action.RELEASE, phone_number_id="n1")] * 2
    assert len(trail_imports(trail, [])) == 1


def test_a_call_replayed_with_its_client_token_counts_once() -> None:
    trail = [
        event("e1", Action.RELEASE, phone_number_id="n1", client_token="t1"),
        event("e2", Action.RELEASE, minutes=1, phone_number_id="n1", client_token="t1"),
    ]
    assert [e.event_id for e in trail_imports(trail, [])] == ["e1"]
    # Our own done record with that token already counts it.
    records = [ours("release", "+12065550150", "n1", minutes=-60, client_token="t1")]
    assert trail_imports(trail, records) == []
