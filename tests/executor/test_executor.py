"""The executor with the in-memory Connect fake and a real file ledger."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.app.executor import Executor, StalePlanError
from reconciler.app.ports import RetryPolicy
from reconciler.app.service import make_plan
from reconciler.core import apply_rules, render
from reconciler.core.errors import AccessDeniedError, NotFoundError, TransientAwsError
from reconciler.core.inventory import FakeInventory
from reconciler.core.model import (
    Action,
    NumberStatus,
    OutcomeStatus,
    Plan,
    Policy,
    RefusalCode,
    Release,
)
from reconciler.ledger import FileLedger, LedgerLockedError, LedgerRecord

from ..core.builders import NOW, desired, events, flow, live

KEEP = "+12065550100"
DROP = ("+12065550150", "+12065550151", "+12065550152")


def fake() -> FakeInventory:
    return FakeInventory(
        [live(KEEP, flows=(flow("main"),))]
        + [live(n, status=None, flows=(flow("promo"),)) for n in DROP]
    )


def make(tmp_path: Path, connect: FakeInventory, **kw: object) -> tuple[Executor, FileLedger]:
    store = FileLedger(tmp_path / "ledger.jsonl", must_exist=False)
    clock = iter(NOW + timedelta(seconds=i) for i in range(10_000))
    executor = Executor(
        connect=connect,
        ledger=store,
        clock=lambda: next(clock),
        owner="test",
        sleep=lambda _: None,
        **kw,  # type: ignore[arg-type]
    )
    return executor, store


def plan_for(connect: FakeInventory, state=None, history=()) -> Plan:  # type: ignore[no-untyped-def]
    state = state or desired(KEEP)
    return make_plan(state, connect, list(history), policy=Policy(), now=NOW)


def killed_intent(store: FileLedger, release: Release, plan_id: str) -> str:
    """What an apply killed with its ReleasePhoneNumber in flight leaves: an intent."""
    token = apply_rules.client_token(plan_id, release.phone_number_id)
    store.append(
        LedgerRecord(
            action="release",
            phone_number=release.phone_number,
            at=NOW,
            status="intent",
            phone_number_id=release.phone_number_id,
            target_arn=release.target_arn,
            plan_id=plan_id,
            client_token=token,
        )
    )
    return token


def interrupt_first_release(
    plan: Plan, plan_id: str, store: FileLedger, connect: FakeInventory
) -> None:
    """A crash after AWS released the plan's first number, before `done` was written."""
    first = plan.releases[0]
    token = killed_intent(store, first, plan_id)
    connect.release(first.phone_number_id, region="us-east-1", client_token=token)


def statuses(store: FileLedger) -> list[tuple[str, str]]:
    return [(r["phone_number"], r["status"]) for r in store.records() if r["status"] != "coverage"]


def test_applies_every_release_recording_intent_then_done(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    executor, store = make(tmp_path, connect)
    report = executor.apply(plan, desired(KEEP))
    assert report.ok and report.count(OutcomeStatus.RELEASED) == 3
    assert [n.phone_number for n in connect.numbers] == [KEEP]
    assert statuses(store) == [(n, s) for n in DROP for s in ("intent", "done")]
    # A new ledger starts its coverage when the first apply writes to it.
    first = store.records()[0]
    assert (first["status"], first["since"], first["source"]) == (
        "coverage",
        "2026-11-26T12:00:00Z",
        "created",
    )
    assert store.read().tracking_since == NOW
    done = [r for r in store.records() if r["status"] == "done"]
    plan_id = render.plan_id(plan)
    assert {r["client_token"] for r in done} == {
        apply_rules.client_token(plan_id, f"id-{n[1:]}") for n in DROP
    }
    assert all(r["plan_id"] == plan_id for r in done)
    # Convergence: planning again against the same inventory and ledger is empty.
    again = plan_for(connect, history=store.read().events)
    assert not again.releases and again.quota.used == 3


def test_a_refused_plan_releases_nothing(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect, state=desired(KEEP, max_releases=1))
    assert plan.refused
    executor, store = make(tmp_path, connect)
    report = executor.apply(plan, desired(KEEP, max_releases=1))
    # One block of refusals, no line per number (issue 10: not 63 "not_attempted" lines).
    assert report.outcomes == () and report.stopped == "the plan is refused"
    assert [r.code for r in report.refusals] == [RefusalCode.MASS_RELEASE]
    assert len(connect.numbers) == 4 and not store.exists()


def test_a_new_number_makes_a_saved_plan_stale(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    connect.numbers.append(live("+12065550177"))
    executor, _ = make(tmp_path, connect)
    with pytest.raises(StalePlanError) as info:
        executor.apply(plan, desired(KEEP))
    assert "+12065550177" in str(info.value) and "plan` again" in str(info.value)
    assert len(connect.numbers) == 5  # nothing released


def test_a_changed_numbers_file_makes_a_saved_plan_stale(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    changed = replace(desired(KEEP), fingerprint="sha256:changed")
    executor, _ = make(tmp_path, connect)
    with pytest.raises(StalePlanError, match=r"numbers\.yaml changed since the plan was made"):
        executor.apply(plan, changed)


def test_a_changed_flow_makes_a_saved_plan_stale(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    connect.numbers[1] = replace(connect.numbers[1], flows=(flow("vip"),))
    executor, _ = make(tmp_path, connect)
    with pytest.raises(StalePlanError, match="its flows changed"):
        executor.apply(plan, desired(KEEP))


def test_quota_spent_since_the_plan_stops_apply_before_any_release(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)  # 3 releases of 20
    executor, store = make(tmp_path, connect)
    for event in events(18, days_ago=10):
        store.append(
            LedgerRecord(
                action=event.action, phone_number=event.phone_number, at=event.at, status="done"
            )
        )
    report = executor.apply(plan, desired(KEEP))
    assert not report.ok and report.stopped == "the quota no longer allows it"
    assert [r.code for r in report.refusals] == [RefusalCode.QUOTA_EXCEEDED]
    assert len(connect.numbers) == 4


def test_a_number_no_longer_claimable_is_skipped(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    connect.numbers[2] = replace(connect.numbers[2], status=NumberStatus.IN_PROGRESS)
    executor, store = make(tmp_path, connect)
    report = executor.apply(plan, desired(KEEP))
    by_number = {o.phone_number: o for o in report.outcomes}
    assert by_number[DROP[1]].status is OutcomeStatus.SKIPPED
    assert "IN_PROGRESS" in by_number[DROP[1]].message
    assert report.count(OutcomeStatus.RELEASED) == 2
    assert (DROP[1], "skipped") in statuses(store)


def test_resume_confirms_an_interrupted_release_without_releasing_twice(tmp_path: Path) -> None:
    """Crash after AWS released the number but before `done` was written."""
    connect = fake()
    plan = plan_for(connect)
    plan_id = render.plan_id(plan)
    executor, store = make(tmp_path, connect)
    interrupt_first_release(plan, plan_id, store, connect)
    report = executor.apply(plan, desired(KEEP))
    assert report.ok
    first = report.outcomes[0]
    # The number is gone after an intent no record settles: that intent's call
    # released it. Recorded done (counted), without calling AWS again.
    assert first.status is OutcomeStatus.RELEASED
    assert first.message.startswith(
        "confirmed: number no longer claimed after an interrupted release "
        f"(intent of plan {plan_id}"
    )
    assert len(connect.released) == 3  # three numbers, each released once
    done = [r for r in store.records() if r["status"] == "done"]
    assert sorted(r["phone_number"] for r in done) == list(DROP)
    assert done[0]["message"] == first.message
    assert len(store.read().events) == 3 and store.read().warnings == ()


def test_rerun_after_partial_apply_skips_what_is_done(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    calls = {"n": 0}
    real_release = connect.release

    def flaky(
        phone_number_id: str, *, region: str, client_token: str, account: str | None = None
    ) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise AccessDeniedError("ReleasePhoneNumber failed: AccessDeniedException")
        real_release(phone_number_id, region=region, client_token=client_token)

    connect.release = flaky  # type: ignore[method-assign]
    executor, store = make(tmp_path, connect)
    report = executor.apply(plan, desired(KEEP))
    assert [o.status for o in report.outcomes] == [
        OutcomeStatus.RELEASED,
        OutcomeStatus.FAILED,
        OutcomeStatus.NOT_ATTEMPTED,
    ]
    assert report.stopped and "AccessDenied" in report.stopped
    assert (DROP[1], "failed") in statuses(store)

    connect.release = real_release  # type: ignore[method-assign]
    report = executor.apply(plan, desired(KEEP))  # the same saved plan, not stale
    assert [o.status for o in report.outcomes] == [
        OutcomeStatus.ALREADY_DONE,
        OutcomeStatus.RELEASED,
        OutcomeStatus.RELEASED,
    ]
    assert [n.phone_number for n in connect.numbers] == [KEEP]


def test_transient_errors_are_retried_with_the_same_token(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    tokens: list[str] = []
    real_release = connect.release

    def flaky(
        phone_number_id: str, *, region: str, client_token: str, account: str | None = None
    ) -> None:
        tokens.append(client_token)
        if len(tokens) <= 2:
            raise TransientAwsError("ReleasePhoneNumber failed: InternalServiceException")
        real_release(phone_number_id, region=region, client_token=client_token)

    connect.release = flaky  # type: ignore[method-assign]
    executor, _ = make(tmp_path, connect)
    report = executor.apply(plan, desired(KEEP))
    assert report.ok
    assert tokens[0] == tokens[1] == tokens[2]


def test_transient_errors_that_outlast_retries_report_an_unknown_outcome(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)

    def down(
        phone_number_id: str, *, region: str, client_token: str, account: str | None = None
    ) -> None:
        raise TransientAwsError("ReleasePhoneNumber failed: connection closed")

    connect.release = down  # type: ignore[method-assign]
    executor, _ = make(tmp_path, connect, retry=RetryPolicy(attempts=2))
    report = executor.apply(plan, desired(KEEP))
    assert report.outcomes[0].status is OutcomeStatus.FAILED
    assert "outcome unknown" in report.outcomes[0].message
    assert "Run apply again" in report.outcomes[0].message


def test_a_second_apply_on_a_locked_ledger_fails_fast(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    executor, _ = make(tmp_path, connect)
    other = FileLedger(tmp_path / "ledger.jsonl", must_exist=False)
    with (
        other.lock("apply plan-other (someone@host pid 1)"),
        pytest.raises(LedgerLockedError, match="someone@host"),
    ):
        executor.apply(plan, desired(KEEP))
    assert len(connect.numbers) == 4


def test_the_report_renders(tmp_path: Path) -> None:
    connect = fake()
    plan = plan_for(connect)
    executor, _ = make(tmp_path, connect)
    report = executor.apply(plan, desired(KEEP))
    text = render.render_apply_text(report)
    assert text.startswith(f"Apply complete ({render.plan_id(plan)}): 3 released.")
    data = json.loads(render.render_apply_json(report))
    assert data["ok"] is True and data["counts"]["released"] == 3
    assert data["outcomes"][0]["status"] == "released"
    assert Action.RELEASE.value == "release"


def test_concurrent_single_releases_never_exceed_the_quota(tmp_path: Path) -> None:
    """Eight threads (as the Pulumi provider's pool) releasing one number each: the
    quota (limit 4, 2 already used) lets exactly two through."""
    import threading

    numbers = [f"+120655503{i:02d}" for i in range(8)]
    connect = FakeInventory([live(KEEP)] + [live(n) for n in numbers])
    state = desired(KEEP, phone_numbers=2)  # limit 4
    plan = plan_for(connect, state=replace(state, max_releases=None))
    executor, store = make(tmp_path, connect)
    for event in events(2, days_ago=5):
        store.append(
            LedgerRecord(
                action=event.action, phone_number=event.phone_number, at=event.at, status="done"
            )
        )
    outcomes = []
    threads = [
        threading.Thread(
            target=lambda r=r: outcomes.append(
                executor.release_single(r, state, plan_id=render.plan_id(plan))
            )
        )
        for r in plan.releases
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses_seen = Counter(o.status for o in outcomes)
    assert statuses_seen[OutcomeStatus.RELEASED] == 2
    assert statuses_seen[OutcomeStatus.NOT_ATTEMPTED] == 6
    assert len(connect.released) == 2
    assert len(store.read().events) == 4


def test_an_interrupted_release_counts_until_it_is_settled(tmp_path: Path) -> None:
    """A release started but never recorded done may have happened: a plan made in
    between (by a new plan, e.g. the next `pulumi up`) must count it, not lose it."""
    connect = fake()
    plan = plan_for(connect)
    plan_id = render.plan_id(plan)
    executor, store = make(tmp_path, connect)
    interrupt_first_release(plan, plan_id, store, connect)
    history = store.read()
    assert len(history.events) == 1 and "outcome is not recorded" in history.warnings[0]
    executor.apply(plan, desired(KEEP))  # the same plan settles it: done, counted once
    history = store.read()
    assert len(history.events) == 3 and history.warnings == ()


def test_a_number_gone_after_another_applys_intent_is_counted_done_never_skipped(
    tmp_path: Path,
) -> None:
    """An apply of another plan was killed with its release in flight; the release
    landed after it died. A second plan that still lists the number finds it gone:
    that is the killed call's release, recorded done once, never `skipped`."""
    connect = fake()
    plan = plan_for(connect)
    executor, store = make(tmp_path, connect)
    first = plan.releases[0]
    token = killed_intent(store, first, "plan-killed")
    connect.release(first.phone_number_id, region="us-east-1", client_token=token)
    report = executor.apply(plan, desired(KEEP))
    assert report.ok and report.count(OutcomeStatus.RELEASED) == 3
    assert report.outcomes[0].message.startswith(
        "confirmed: number no longer claimed after an interrupted release (intent of plan "
        "plan-killed"
    )
    assert "skipped" not in {status for _, status in statuses(store)}
    history = store.read()
    assert len(history.events) == len(connect.released) == 3 and history.warnings == ()


@pytest.mark.parametrize(
    "error",
    [
        NotFoundError("ReleasePhoneNumber failed", code="ResourceNotFoundException"),
        AccessDeniedError("ReleasePhoneNumber failed", code="AccessDeniedException"),
    ],
    ids=["not found", "access denied"],
)
def test_an_error_answered_after_the_release_happened_is_counted_done(
    tmp_path: Path, error: Exception
) -> None:
    """ReleasePhoneNumber took effect but answered an error: a describe finds the
    number gone, so it is recorded done (counted) and reported released."""
    connect = fake()
    plan = plan_for(connect)
    real_release = connect.release

    def released_then_error(
        phone_number_id: str, *, region: str, client_token: str, account: str | None = None
    ) -> None:
        real_release(phone_number_id, region=region, client_token=client_token, account=account)
        raise error

    connect.release = released_then_error  # type: ignore[method-assign]
    executor, store = make(tmp_path, connect)
    report = executor.apply(plan, desired(KEEP))
    assert report.ok and report.count(OutcomeStatus.RELEASED) == 3
    assert report.count(OutcomeStatus.SKIPPED) == 0
    assert report.outcomes[0].message == (
        "confirmed: number no longer claimed after ReleasePhoneNumber answered "
        f"{getattr(error, 'code', '')}"
    )
    assert statuses(store) == [(n, s) for n in DROP for s in ("intent", "done")]
    assert len(store.read().events) == 3


def test_a_refused_retry_never_cancels_an_attempt_that_may_still_land(tmp_path: Path) -> None:
    """Killed with the release in flight, the same plan run again and refused (number
    still claimed): the refusal settles the second attempt only; the first keeps
    counting until a later run sees what happened."""
    connect = fake()
    plan = plan_for(connect)
    plan_id = render.plan_id(plan)
    executor, store = make(tmp_path, connect)
    killed_intent(store, plan.releases[0], plan_id)

    def denied(
        phone_number_id: str, *, region: str, client_token: str, account: str | None = None
    ) -> None:
        raise AccessDeniedError("ReleasePhoneNumber failed", code="AccessDeniedException")

    real_release = connect.release
    connect.release = denied  # type: ignore[method-assign]
    report = executor.apply(plan, desired(KEEP))
    assert report.outcomes[0].status is OutcomeStatus.FAILED
    assert (DROP[0], "failed") in statuses(store)
    history = store.read()
    assert len(history.events) == 1 and "outcome is not recorded" in history.warnings[0]
    connect.release = real_release  # type: ignore[method-assign]
    assert executor.apply(plan, desired(KEEP)).ok
    assert len(store.read().events) == 3 and store.read().warnings == ()


def test_a_failed_describe_on_a_resumed_release_keeps_its_intent_counting(
    tmp_path: Path,
) -> None:
    connect = fake()
    plan = plan_for(connect)
    executor, store = make(tmp_path, connect)
    killed_intent(store, plan.releases[0], render.plan_id(plan))

    def denied(phone_number_id: str, *, region: str, account: str | None = None) -> None:
        raise AccessDeniedError("DescribePhoneNumber failed", code="AccessDeniedException")

    connect.lookup = denied  # type: ignore[method-assign,assignment]
    report = executor.apply(plan, desired(KEEP))
    assert report.outcomes[0].status is OutcomeStatus.FAILED
    assert (DROP[0], "unknown") in statuses(store)
    assert len(store.read().events) == 1  # still counted


def test_a_stop_request_ends_apply_before_the_next_release(tmp_path: Path) -> None:
    """The front door's stop flag (an interrupt) is asked before each release: the
    release in flight settles and is recorded; the rest are not attempted."""
    connect = fake()
    plan = plan_for(connect)
    seen: list[OutcomeStatus] = []
    executor, store = make(
        tmp_path,
        connect,
        on_outcome=lambda o: seen.append(o.status),
        should_stop=lambda: "interrupted by SIGINT" if seen else None,
    )
    report = executor.apply(plan, desired(KEEP))
    assert report.stopped == "interrupted by SIGINT" and not report.ok
    assert [o.status for o in report.outcomes] == [
        OutcomeStatus.RELEASED,
        OutcomeStatus.NOT_ATTEMPTED,
        OutcomeStatus.NOT_ATTEMPTED,
    ]
    assert report.outcomes[1].message == "not attempted: interrupted by SIGINT"
    assert statuses(store) == [(DROP[0], "intent"), (DROP[0], "done")]
    assert len(connect.numbers) == 3


def test_any_apply_records_the_release_a_killed_apply_left_unrecorded(tmp_path: Path) -> None:
    """confirm_interrupted: an unsettled intent whose number is gone is recorded done
    under that intent's plan and token; one whose number is still claimed keeps
    counting; with nothing unsettled it takes no lock and makes no call."""
    connect = fake()
    plan = plan_for(connect)
    executor, store = make(tmp_path, connect)
    other = FileLedger(tmp_path / "ledger.jsonl", must_exist=False)
    with other.lock("apply plan-other (someone@host pid 1)"):
        assert executor.confirm_interrupted() == ()  # nothing to settle: no lock needed
    landed, held = plan.releases[0], plan.releases[1]
    token = killed_intent(store, landed, "plan-killed")
    killed_intent(store, held, "plan-killed")
    connect.release(landed.phone_number_id, region="us-east-1", client_token=token)
    describes = connect.describe_calls
    (confirmed,) = executor.confirm_interrupted()
    assert connect.describe_calls == describes + 2
    assert (confirmed.phone_number, confirmed.status) == (
        landed.phone_number,
        OutcomeStatus.RELEASED,
    )
    assert confirmed.message.startswith("confirmed: number no longer claimed")
    done = [r for r in store.records() if r["status"] == "done"]
    assert [(r["plan_id"], r["client_token"]) for r in done] == [("plan-killed", token)]
    history = store.read()
    assert len(history.events) == 2  # the release done, the held intent still counted
    assert [w for w in history.warnings if held.phone_number in w]
    assert executor.confirm_interrupted() == ()  # settled once, never twice
