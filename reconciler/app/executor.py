"""The executor: applies a reviewed Plan, one release at a time, recording each one.

Order of work, under the ledger's exclusive lock (one apply at a time):

1. refuse a refused plan; re-list the inventory and refuse a stale plan
   (``apply_rules.staleness``), naming what changed;
2. re-check the rolling quota for what is left against the ledger;
3. for each pending release: stop there if ``should_stop`` says so (an
   interrupt); describe the number; a number gone is settled from the ledger
   (``apply_rules.absence``: counted ``done`` if any intent started it); one no
   longer to be released is ``skipped``; else re-check the quota for one more
   action, append an ``intent`` record, call ReleasePhoneNumber with the
   deterministic client token, then append its outcome before reporting it:
   ``done``; or, after an error, what a describe shows (``apply_rules.settle_failed_call``:
   gone is ``done``, still claimed after a refusal is ``failed``, else ``unknown``).

A crash between the intent and the outcome leaves an intent without an outcome;
it counts against the quota until settled (``intents.py``). The next run of the
same plan retries that release with the same client token, which AWS treats as
the same request, so a number is never released twice; any later apply that
finds the number gone records it ``done``, so a release that happened is never
forgotten. Decisions are the core's; this module only sequences I/O.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from reconciler.app.ports import Connect, RetryPolicy
from reconciler.core import apply_rules, intents, render
from reconciler.core.errors import (
    AwsError,
    ConnectNumbersError,
    NotFoundError,
    PermanentAwsError,
    TransientAwsError,
)
from reconciler.core.model import (
    Action,
    ApplyReport,
    DesiredState,
    HistoryEvent,
    LiveNumber,
    NumberStatus,
    OutcomeStatus,
    Plan,
    Refusal,
    Release,
    ReleaseOutcome,
    Skipped,
    Target,
    Update,
    scope_of,
)
from reconciler.ledger import Guard, History, Ledger, LedgerRecord, QuotaRaceError

__all__ = ["Connect", "Executor", "RetryPolicy", "StalePlanError"]

_T = TypeVar("_T")

# One release decision at a time per process, whatever the number of threads.
_PROCESS_LOCK = threading.Lock()


class StalePlanError(ConnectNumbersError):
    """The live inventory or numbers file changed since the plan was made: plan again."""

    def __init__(self, plan_id: str, changes: Iterable[str]) -> None:
        self.changes = tuple(changes)
        listed = "\n".join(f"  - {c}" for c in self.changes)
        super().__init__(
            f"the saved plan {plan_id} is stale: what it was made from has changed:\n{listed}\n"
            "Nothing was released. Run `connect-numbers plan` again and review the new plan."
        )


class Executor:
    def __init__(
        self,
        *,
        connect: Connect,
        ledger: Ledger | None,
        clock: Callable[[], datetime],
        owner: str,
        on_outcome: Callable[[ReleaseOutcome], None] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        should_stop: Callable[[], str | None] = lambda: None,
    ) -> None:
        """``should_stop`` is asked before each release: a reason (say "interrupted by
        SIGINT") stops the apply there, the call in flight having settled and been
        recorded; the front door decides when (signals stay out of this module)."""
        self._connect = connect
        self._store = ledger
        self._clock = clock
        self._owner = owner
        self._on_outcome = on_outcome or (lambda _: None)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._should_stop = should_stop

    def apply(self, plan: Plan, desired: DesiredState, *, fresh: Plan | None = None) -> ApplyReport:
        """Apply ``plan``; ``desired`` is numbers.yaml as it is now (checked against the plan).

        ``fresh``: a plan made now from the numbers file, inventory and history (apply of
        a saved plan). Its refusals stop the apply too, and only what both plans release
        is released (``apply_rules.confirm``): no edit of a plan file releases more or skips
        a rule.
        """
        plan_id = render.plan_id(plan)
        refusals = apply_rules.confirm(plan, fresh).refusals
        if refusals:
            return self._stopped(plan_id, "the plan is refused", refusals)
        with self._ledger.lock(f"apply {plan_id} ({self._owner})"):
            records = self._records()
            done, attempted = apply_rules.progress(records, plan_id)
            settled = done | attempted | apply_rules.expected_gone(records)
            self._check_fresh(plan, desired, settled)
            confirmed = apply_rules.confirm(plan, fresh, settled)

            read = self._ledger.read()
            history, covered = list(read.events), read.tracking_since
            outcomes: list[ReleaseOutcome] = [
                self._emit(r, OutcomeStatus.ALREADY_DONE, "released by an earlier run of this plan")
                for r in confirmed.releases
                if r.phone_number_id in done
            ]
            outcomes += [self._emit(d, OutcomeStatus.SKIPPED, d.reason) for d in confirmed.dropped]
            pending = [r for r in confirmed.releases if r.phone_number_id not in done]
            gate = apply_rules.releases_gate(
                history, desired, now=self._clock(), releases=pending, covered_since=covered
            )
            if gate is not None:
                return self._stopped(plan_id, "the quota no longer allows it", (gate,), outcomes)
            for index, release in enumerate(pending):
                interrupted = self._should_stop()
                if interrupted is not None:
                    rest = [self._not_attempted(r, interrupted) for r in pending[index:]]
                    return ApplyReport(
                        plan_id=plan_id, outcomes=tuple(outcomes + rest), stopped=interrupted
                    )
                outcome, stop = self._release_one(
                    plan_id,
                    release,
                    desired,
                    history,
                    release.phone_number_id in attempted,
                    covered,
                )
                outcomes.append(outcome)
                if stop is not None:
                    rest = [self._not_attempted(r, stop) for r in pending[index + 1 :]]
                    return ApplyReport(
                        plan_id=plan_id, outcomes=tuple(outcomes + rest), stopped=stop
                    )
            # Metadata in place, after the releases: no quota cost, no ledger record.
            outcomes += [self._update_one(plan_id, u) for u in confirmed.updates]
            return ApplyReport(plan_id=plan_id, outcomes=tuple(outcomes))

    def release_single(
        self, release: Release, desired: DesiredState, *, plan_id: str
    ) -> ReleaseOutcome:
        """Release one planned number (the Pulumi provider's create/update).

        Threads of one process queue on a process-wide lock (the dynamic provider
        serves calls from a pool of threads), then take the ledger's lock, so the
        quota is re-checked against every release recorded before this one.
        """
        with _PROCESS_LOCK, self._ledger.lock(f"release {release.phone_number} ({self._owner})"):
            done, attempted = apply_rules.progress(self._records(), plan_id)
            if release.phone_number_id in done:
                return self._emit(release, OutcomeStatus.ALREADY_DONE, "released earlier")
            read = self._ledger.read()
            history, covered = list(read.events), read.tracking_since
            outcome, _ = self._release_one(
                plan_id, release, desired, history, release.phone_number_id in attempted, covered
            )
            return outcome

    def confirm_interrupted(self) -> tuple[ReleaseOutcome, ...]:
        """Settle what interrupted applies left: an intent no record settles, whose
        number is now gone, is a release that happened (``apply_rules.absence``); record
        it ``done`` under that intent's plan and client token, so the ledger matches
        the account whichever apply runs next. A number still claimed keeps its
        intent counting (its call may have failed, or may still land)."""
        confirmed: list[ReleaseOutcome] = []
        records = self._ledger.records()
        if not any(
            records[i].get("action") == Action.RELEASE.value for i in intents.unsettled(records)
        ):
            return ()  # the usual case: no lock taken, no call made
        with self._ledger.lock(f"confirm interrupted releases ({self._owner})"):
            records = self._ledger.records()
            seen: set[str] = set()
            for index in intents.unsettled(records):
                intent = records[index]
                number_id, arn, number = (
                    intent.get(key) for key in ("phone_number_id", "target_arn", "phone_number")
                )
                if not (
                    intent.get("action") == Action.RELEASE.value
                    and isinstance(number_id, str)
                    and isinstance(arn, str)
                    and isinstance(number, str)
                    and number_id not in seen
                ):
                    continue  # not a release this product started: nothing to describe
                seen.add(number_id)
                try:
                    where = Target(arn=arn)
                    current = self._call(
                        functools.partial(
                            self._connect.lookup,
                            number_id,
                            region=where.region,
                            account=where.account_id,
                        )
                    )
                except (ValueError, ConnectNumbersError):
                    continue  # cannot tell: the intent keeps counting
                verdict, note = apply_rules.absence(records, number_id)
                if current is not None or verdict is not apply_rules.Absence.CONFIRMED:
                    continue
                plan, token = (intent.get(key) for key in ("plan_id", "client_token"))
                if not (isinstance(plan, str) and isinstance(token, str)):
                    plan, token = None, None  # an intent from elsewhere: settled by its number
                gone = Release(
                    phone_number=number,
                    phone_number_id=number_id,
                    phone_number_arn="",
                    target_arn=arn,
                )
                at = self._clock()
                message = f"{note}; recorded by a later apply ({self._owner})"
                self._record(plan, gone, token, intents.DONE, at=at, message=message)
                confirmed.append(self._emit(gone, OutcomeStatus.RELEASED, note, at=at, token=token))
        return tuple(confirmed)

    def _records(self) -> list[dict[str, object]]:
        """The ledger's records, under its lock; a new, empty ledger starts its coverage."""
        records = self._ledger.records()
        if not records:
            # Nothing recorded yet: the history is complete from now on.
            self._ledger.mark_coverage(self._clock(), source="created")
        return list(records)

    # -- steps -----------------------------------------------------------------------

    def _check_fresh(self, plan: Plan, desired: DesiredState, settled: frozenset[str]) -> None:
        listed = self._connect.list_numbers([Target(arn=arn) for arn in plan.targets])
        changes = apply_rules.staleness(plan, desired, listed, settled)
        if changes:
            raise StalePlanError(render.plan_id(plan), changes)

    def _release_one(
        self,
        plan_id: str,
        release: Release,
        desired: DesiredState,
        history: list[HistoryEvent],
        resumed: bool,
        covered: datetime | None,
    ) -> tuple[ReleaseOutcome, str | None]:
        """Release one number; return its outcome and, if apply must stop, why."""
        token = apply_rules.client_token(plan_id, release.phone_number_id)
        scope = scope_of(release.target_arn)
        where = Target(arn=release.target_arn)
        try:
            current = self._call(
                lambda: self._connect.lookup(
                    release.phone_number_id, region=where.region, account=where.account_id
                )
            )
        except ConnectNumbersError as exc:
            # Nothing started in this run; an intent an earlier run of this plan left
            # keeps counting (`unknown` settles nothing), any other outcome is `failed`.
            status = intents.UNKNOWN if resumed else "failed"
            return self._failed(plan_id, release, token, status, f"not released: {exc}")
        if current is None:
            return self._absent(plan_id, release, token), None
        blocker = apply_rules.release_blocker(release, current, desired)
        if blocker is not None:
            # Still claimed: positive evidence an earlier attempt did not happen.
            self._record(plan_id, release, token, "skipped", message=blocker)
            return self._emit(release, OutcomeStatus.SKIPPED, blocker, token=token), None
        gate = apply_rules.quota_gate(
            history, desired, now=self._clock(), planned=1, covered_since=covered, scope=scope
        )
        if gate is not None:
            stop = f"quota: {gate.message}"
            return self._not_attempted(release, stop), stop
        try:
            guard = self._quota_guard(desired, scope)
            self._record(plan_id, release, token, "intent", guard=guard)
        except QuotaRaceError as exc:
            # Another writer (a second pipeline, `ledger add`, an import) spent the
            # headroom between our check and our write: nothing was started.
            stop = f"quota: {exc}"
            return self._not_attempted(release, stop), stop
        note = "released (confirmed an interrupted earlier attempt)" if resumed else "released"
        confirmed: str | None = None
        try:
            self._call(
                lambda: self._connect.release(
                    release.phone_number_id,
                    region=where.region,
                    client_token=token,
                    account=where.account_id,
                )
            )
        except ConnectNumbersError as exc:
            status, note = self._settle_failed_call(release, where, exc)
            if status != intents.DONE:
                return self._failed(plan_id, release, token, status, note)
            confirmed = note
        at = self._clock()
        self._record(plan_id, release, token, intents.DONE, at=at, message=confirmed)
        history.append(
            HistoryEvent(
                action=Action.RELEASE, phone_number=release.phone_number, at=at, scope=scope
            )
        )
        return self._emit(release, OutcomeStatus.RELEASED, note, at=at, token=token), None

    @property
    def _ledger(self) -> Ledger:
        """The history every release is recorded in. None is allowed only for an executor
        that makes metadata updates alone (``update_single``): they record nothing."""
        if self._store is None:
            raise AssertionError("a release needs a ledger; this executor was given none")
        return self._store

    def update_single(self, update: Update, *, plan_id: str) -> ReleaseOutcome:
        """One metadata update in place (the Pulumi provider's update of a kept number):
        as apply makes it, paced, retried and confirmed; no quota cost, no ledger record."""
        return self._update_one(plan_id, update)

    def _update_one(self, plan_id: str, update: Update) -> ReleaseOutcome:
        """Change one number's metadata in place: the description (UpdatePhoneNumberMetadata,
        with a client token of this plan), then the tags the file names (TagResource,
        UntagResource: no token in the API; the same call again sets the same values),
        each paced and retried like every call; then confirm it with DescribePhoneNumber:
        the description update is asynchronous, the number IN_PROGRESS until it is done."""
        where = Target(arn=update.target_arn)
        token = apply_rules.client_token(plan_id, update.phone_number_id) + "/metadata"
        changes = []
        if update.description_to is not None:
            changes.append(f"description {update.description_from!r} -> {update.description_to!r}")
        changes += [f"tag {k}={v!r}" for k, v in update.tags_set]
        changes += [f"untag {k}" for k in update.tags_remove]
        described = "; ".join(changes)
        try:
            if update.description_to is not None:
                description = update.description_to
                self._call(
                    lambda: self._connect.update_metadata(
                        update.phone_number_id,
                        region=where.region,
                        description=description,
                        client_token=token,
                        account=where.account_id,
                    )
                )
            if update.tags_set:
                tags = dict(update.tags_set)
                self._call(
                    lambda: self._connect.tag(
                        update.phone_number_arn, tags, region=where.region, account=where.account_id
                    )
                )
            if update.tags_remove:
                keys = list(update.tags_remove)
                self._call(
                    lambda: self._connect.untag(
                        update.phone_number_arn, keys, region=where.region, account=where.account_id
                    )
                )
            problem = self._confirm_update(update, where)
        except ConnectNumbersError as exc:
            problem = str(exc)
        if problem is not None:
            return self._emit(update, OutcomeStatus.FAILED, f"not updated: {problem}", token=token)
        return self._emit(update, OutcomeStatus.UPDATED, described, at=self._clock(), token=token)

    def _confirm_update(self, update: Update, where: Target) -> str | None:
        """Describe until the update shows (CLAIMED, the new description); why not, else."""
        for attempt in range(self._retry.attempts):
            current = self._call(
                lambda: self._connect.lookup(
                    update.phone_number_id, region=where.region, account=where.account_id
                )
            )
            if current is None:
                return "the number is no longer claimed"
            live = dict(current.tags or ())
            done = (
                update.description_to in (None, current.description)
                and all(live.get(k) == v for k, v in update.tags_set)
                and not any(k in live for k in update.tags_remove)
            )
            if current.status is NumberStatus.CLAIMED and done:
                return None
            if current.status is NumberStatus.FAILED:
                return f"status FAILED: {current.status_message or 'no message'}"
            self._sleep(self._retry.delay(attempt))
        return f"not confirmed after {self._retry.attempts} DescribePhoneNumber calls"

    def _absent(self, plan_id: str, release: Release, token: str) -> ReleaseOutcome:
        """A planned number found no longer claimed: counted if any intent started it."""
        verdict, note = apply_rules.absence(self._ledger.records(), release.phone_number_id)
        if verdict is apply_rules.Absence.RECORDED:
            return self._emit(release, OutcomeStatus.ALREADY_DONE, note, token=token)
        if verdict is apply_rules.Absence.GONE:
            self._record(plan_id, release, token, "skipped", message=note)
            return self._emit(release, OutcomeStatus.SKIPPED, note, token=token)
        # The unsettled intent already counts in this run's history: no second event.
        at = self._clock()
        self._record(plan_id, release, token, intents.DONE, at=at, message=note)
        return self._emit(release, OutcomeStatus.RELEASED, note, at=at, token=token)

    def _settle_failed_call(
        self, release: Release, where: Target, exc: ConnectNumbersError
    ) -> tuple[str, str]:
        """After a failed ReleasePhoneNumber, describe the number to learn what happened."""
        code = exc.code if isinstance(exc, AwsError) and exc.code else type(exc).__name__
        current: LiveNumber | None = None
        described = True
        try:
            current = self._call(
                lambda: self._connect.lookup(
                    release.phone_number_id, region=where.region, account=where.account_id
                )
            )
        except ConnectNumbersError:
            described = False
        # NotFound says the number is gone, not that nothing happened: it is never
        # evidence that the release did not happen.
        refused = isinstance(exc, PermanentAwsError) and not isinstance(exc, NotFoundError)
        return apply_rules.settle_failed_call(
            current, release, described=described, before_effect=refused, code=code, error=str(exc)
        )

    def _call(self, operation: Callable[[], _T]) -> _T:
        """Run ``operation``, retrying transient errors with backoff."""
        for attempt in range(self._retry.attempts):
            try:
                return operation()
            except TransientAwsError:
                if attempt + 1 == self._retry.attempts:
                    raise
                self._sleep(self._retry.delay(attempt))
        raise AssertionError("unreachable")

    def _failed(
        self, plan_id: str, release: Release, token: str, status: str, message: str
    ) -> tuple[ReleaseOutcome, str]:
        self._record(plan_id, release, token, status, message=message)
        return self._emit(release, OutcomeStatus.FAILED, message, token=token), (
            f"{release.phone_number}: {message}"
        )

    # -- records and outcomes ----------------------------------------------------------

    def _record(
        self,
        plan_id: str | None,
        release: Release,
        token: str | None,
        status: str,
        *,
        at: datetime | None = None,
        message: str | None = None,
        guard: Guard | None = None,
    ) -> None:
        self._ledger.append(
            LedgerRecord(
                action=Action.RELEASE.value,
                phone_number=release.phone_number,
                at=at or self._clock(),
                status=status,
                phone_number_id=release.phone_number_id,
                target_arn=release.target_arn,
                plan_id=plan_id,
                client_token=token,
                message=message,
            ),
            guard=guard,
        )

    def _quota_guard(self, desired: DesiredState, scope: str | None) -> Guard:
        """Whether one more release fits the quota on the history as the ledger holds it."""

        def guard(history: History) -> str | None:
            gate = apply_rules.quota_gate(
                list(history.events),
                desired,
                now=self._clock(),
                planned=1,
                covered_since=history.tracking_since,
                scope=scope,
            )
            return None if gate is None else gate.message

        return guard

    def _emit(
        self,
        release: Release | Skipped | Update,
        status: OutcomeStatus,
        message: str,
        *,
        at: datetime | None = None,
        token: str | None = None,
    ) -> ReleaseOutcome:
        outcome = ReleaseOutcome(
            phone_number=release.phone_number,
            phone_number_id=release.phone_number_id,
            status=status,
            message=message,
            at=at,
            client_token=token,
        )
        self._on_outcome(outcome)
        return outcome

    def _not_attempted(self, release: Release, why: str) -> ReleaseOutcome:
        return self._emit(release, OutcomeStatus.NOT_ATTEMPTED, f"not attempted: {why}")

    def _stopped(
        self,
        plan_id: str,
        why: str,
        refusals: tuple[Refusal, ...],
        done: list[ReleaseOutcome] | None = None,
    ) -> ApplyReport:
        """Refused: nothing is attempted, and the refusals say why in one block (no
        line per number: a refused plan of 63 releases is not 63 lines of the same)."""
        return ApplyReport(
            plan_id=plan_id, outcomes=tuple(done or ()), stopped=why, refusals=refusals
        )
