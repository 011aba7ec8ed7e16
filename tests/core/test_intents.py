"""A release, once intended, is never forgotten: the settling rule and the planner's
verdicts built on it (intents.py, apply_rules.absence, apply_rules.settle_failed_call)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core import apply_rules, intents
from reconciler.core.model import Release

from .builders import TARGET, live


def rec(status: str, token: str | None = "P1/id-1", number_id: str = "id-1", **kw: Any) -> dict:
    plan = token.split("/")[0] if token else None
    return {
        "action": "release",
        "status": status,
        "client_token": token,
        "phone_number_id": number_id,
        "plan_id": plan,
        "at": "2026-11-26T12:00:00Z",
        **kw,
    }


def test_an_intent_counts_until_an_outcome_of_its_call_or_a_done_on_its_number() -> None:
    assert intents.unsettled([rec("intent")]) == [0]
    assert intents.unsettled([rec("intent"), rec("done")]) == []
    assert intents.unsettled([rec("intent"), rec("failed")]) == []
    assert intents.unsettled([rec("intent"), rec("skipped")]) == []
    assert intents.unsettled([rec("intent"), rec("unknown")]) == [0]  # no answer: counts


def test_another_plans_skip_or_failure_never_cancels_an_intent() -> None:
    """A killed apply's intent (plan P1) then a second plan's skipped or failed on the
    same number: the killed call may have released it, so it still counts."""
    for status in ("skipped", "failed", "unknown"):
        records = [rec("intent"), rec("intent", "P2/id-1"), rec(status, "P2/id-1")]
        assert intents.unsettled(records)[0] == 0, status


def test_a_done_of_any_plan_settles_every_intent_on_its_number() -> None:
    records = [rec("intent"), rec("intent", "P2/id-1"), rec("done", "P2/id-1")]
    assert intents.unsettled(records) == []
    other = [rec("intent"), rec("done", "P2/id-2", "id-2")]
    assert intents.unsettled(other) == [0]


def test_a_failure_answers_only_the_latest_intent_of_its_token() -> None:
    """Killed with its call in flight, the same plan run again, refused: the refusal
    answers the second attempt; the first, maybe still in flight, keeps counting."""
    records = [rec("intent"), rec("intent"), rec("failed")]
    assert intents.unsettled(records) == [0]
    assert intents.unsettled([*records, rec("done")]) == []


tokens = st.sampled_from([None, "P1/a", "P2/a", "P1/b"])
statuses = st.sampled_from(["intent", "done", "failed", "skipped", "unknown", "coverage"])
records = st.lists(st.builds(rec, statuses, tokens, st.sampled_from(["a", "b"])), max_size=12)


@settings(max_examples=300, deadline=None)
@given(records)
def test_only_positive_evidence_settles(written: list[dict]) -> None:
    counting = set(intents.unsettled(written))
    for i, record in enumerate(written):
        if record["status"] != "intent":
            continue
        later = written[i + 1 :]
        done_on_it = any(
            r["status"] == "done"
            and (
                r["phone_number_id"] == record["phone_number_id"]
                or (r["client_token"] and r["client_token"] == record["client_token"])
            )
            for r in later
        )
        own_refusal = any(
            r["status"] in intents.CANCELLING and r["client_token"] == record["client_token"]
            for r in later
        )
        if done_on_it:
            assert i not in counting
        elif not own_refusal:
            assert i in counting  # nothing could have settled it
    # A failed or skipped record settles at most one intent.
    for j, record in enumerate(written):
        if record["status"] in intents.CANCELLING:
            without = [*written[:j], {**record, "status": "note"}, *written[j + 1 :]]
            assert len(set(intents.unsettled(without)) - counting) <= 1


RELEASE = Release(
    phone_number="+12065550150",
    phone_number_id="id-1",
    phone_number_arn="arn:aws:connect:us-east-1:111122223333:phone-number/id-1",
    target_arn=TARGET,
)


def test_a_number_gone_after_an_intent_of_a_killed_apply_is_confirmed_done() -> None:
    verdict, note = apply_rules.absence([rec("intent")], "id-1")
    assert verdict is apply_rules.Absence.CONFIRMED
    assert note.startswith("confirmed: number no longer claimed after an interrupted release")
    assert "plan P1" in note


def test_a_number_gone_and_recorded_done_is_not_recorded_again() -> None:
    verdict, note = apply_rules.absence([rec("intent"), rec("done", "P2/id-1")], "id-1")
    assert verdict is apply_rules.Absence.RECORDED and "plan P2" in note


def test_a_number_gone_with_no_trace_in_the_ledger_is_skipped() -> None:
    verdict, _ = apply_rules.absence([rec("intent"), rec("failed")], "id-1")
    assert verdict is apply_rules.Absence.GONE
    assert apply_rules.absence([], "id-1")[0] is apply_rules.Absence.GONE


def test_expected_gone_names_recorded_and_started_releases() -> None:
    written = [rec("intent"), rec("done", "P1/id-2", "id-2"), rec("intent", "P1/id-3", "id-3")]
    written.append(rec("failed", "P1/id-3", "id-3"))
    assert apply_rules.expected_gone(written) == {"id-1", "id-2"}


def test_a_failed_call_is_settled_by_what_a_describe_shows() -> None:
    claimed = live("+12065550150", number_id="id-1")
    common = {"code": "AccessDeniedException", "error": "access denied"}
    gone = apply_rules.settle_failed_call(
        None, RELEASE, described=True, before_effect=True, **common
    )
    assert gone[0] == "done" and gone[1].startswith("confirmed: number no longer claimed")
    refused = apply_rules.settle_failed_call(
        claimed, RELEASE, described=True, before_effect=True, **common
    )
    assert refused == ("failed", "not released: access denied")
    for args in (
        {"current": claimed, "described": True, "before_effect": False},  # a 5xx, a drop
        {"current": None, "described": False, "before_effect": True},  # describe failed
    ):
        status, note = apply_rules.settle_failed_call(release=RELEASE, **args, **common)
        assert status == "unknown" and note.startswith("outcome unknown")
