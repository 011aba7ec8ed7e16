"""Which resources the Pulumi program registers for a plan: pure, no I/O, no clock.

The Pulumi program (``__main__.py``) registers one dynamic resource per entry of
:func:`stack_resources`, named by its E.164 number, and makes no decision of
its own. Each number of the plan, and of the ledger, maps to one row:

- kept (in numbers.yaml):          ``claimed``, not settled: it must stay claimed;
- released by this plan:           ``released``, not settled: ``pulumi up`` releases it;
- skipped (status not ``CLAIMED``): ``claimed``, not settled: untouched this run;
- released earlier:                ``released``, settled: recorded ``done`` by this
  ledger within the cooldown, no longer live, and not in numbers.yaml;
- missing (wanted, not claimed):   not registered; nothing claims it here.

A release is never a create: a number the stack does not hold yet (every
number on a stack's first ``pulumi up``, and a number claimed by hand later) is
first adopted as ``claimed`` with no AWS call (:func:`checked_state`, applied by
the provider's Check, which alone knows whether the stack holds the resource);
only a later ``pulumi up``, after a preview that shows the update
``state: "claimed" => "released"`` on the number's own row, releases it.

Inputs hold nothing that changes from run to run (no plan id, no time): a
second preview of an unchanged account shows no diff, and a plan saved with
``pulumi preview --save-plan`` can be applied with ``pulumi up --plan``. The
stack's name (``stack``) is the stable scope of the release's client token
(:func:`release_scope`).

Why the settled rows: after ``pulumi up`` releases a number, the next plan no
longer sees it (it is not claimed any more). Without them the program would stop
registering the resource and ``pulumi preview`` would show a *delete* step for
every number released by the previous run: a step that looks destructive and
is not (deleting only forgets). AWS keeps a released number in a cooldown "for
up to 180 days" (ReleasePhoneNumber), so for that long the stack keeps it as a
settled resource with nothing to do, then lets it go (dropping a resource only
forgets it). A desired number is never registered as released.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from reconciler.core.model import E164_PATTERN, Action, Plan, Target

__all__ = [
    "COOLDOWN_DAYS",
    "NumberState",
    "StackResource",
    "checked_state",
    "other_stacks",
    "phone_number_arn",
    "release_scope",
    "stack_resources",
]

#: ReleasePhoneNumber: "puts the number in a cool down period for up to 180 days".
COOLDOWN_DAYS = 180

# The ledger's status of a completed action (ledger.RecordStatus.DONE; the core
# does not import the ledger adapter, so the string is repeated here).
_DONE = "done"


class NumberState(StrEnum):
    """The desired state of one managed number (the resource's ``state`` input)."""

    CLAIMED = "claimed"
    RELEASED = "released"


@dataclass(frozen=True, kw_only=True, slots=True)
class StackResource:
    """One resource of the stack: the fields of ``reconciler.pulumi.inputs.ManagedNumberArgs``."""

    phone_number: str
    phone_number_id: str
    phone_number_arn: str
    target_arn: str
    state: NumberState
    description: str | None
    stack: str
    numbers_file: str
    ledger: str | None
    settled: bool
    # The tags numbers.yaml names (issue 15): ``tags`` to set, ``tags_removed`` the keys
    # given as null; each None when empty, so a stack made before tags were managed
    # sees no change (None inputs are dropped).
    tags: dict[str, str] | None = None
    tags_removed: list[str] | None = None

    def __post_init__(self) -> None:
        if not E164_PATTERN.match(self.phone_number):
            raise ValueError(f"not an E.164 phone number: {self.phone_number!r}")
        if not self.phone_number_id:
            raise ValueError(f"{self.phone_number}: phone_number_id is empty")
        object.__setattr__(self, "state", NumberState(self.state))
        if self.settled and self.state is not NumberState.RELEASED:
            raise ValueError(f"{self.phone_number}: only a released number can be settled")
        if not self.stack.strip():
            raise ValueError(f"{self.phone_number}: stack is empty")

    @property
    def unknown(self) -> tuple[str, ...]:
        """Fields this value cannot know: the stack's earlier value is the right one.

        A settled number's description was on the resource when it was released
        but is in no ledger record; the program asks the engine to keep the
        stack's value (``ignore_changes``) rather than show a change to None.
        """
        return ("description",) if self.settled else ()

    @property
    def name(self) -> str:
        """The resource name: the E.164 number, as DESIGN.md asks."""
        return self.phone_number

    def as_args(self) -> dict[str, Any]:
        """Plain JSON-able values, keyed as ``ManagedNumberArgs``'s attributes."""
        args = asdict(self)
        args["state"] = self.state.value
        return args


def checked_state(requested: str, *, held: bool, settled: bool) -> NumberState:
    """The state a resource is created or updated with, given whether the stack holds it.

    A release (``released``, not ``settled``) of a number the stack does not hold
    yet becomes an adoption: created as ``claimed``, no AWS call. The release
    then shows in the next preview as an update of the number's own row. A
    settled row (released earlier, recorded in the ledger) stays ``released``:
    nothing is done for it either way. Raises ValueError for an unknown state.
    """
    state = NumberState(requested)
    if state is NumberState.RELEASED and not settled and not held:
        return NumberState.CLAIMED
    return state


def release_scope(stack: str) -> str:
    """The plan id the Pulumi provider records its releases under, for stack ``stack``.

    Stable for the stack's life (``project/stack``), so a release retried by a
    later ``pulumi up`` reuses its client token (``apply_rules.client_token`` of this
    scope and the number's id: AWS treats it as the same request) and an
    interrupted release is found again and settled by looking the number up.
    """
    if not stack.strip():
        raise ValueError("stack must not be empty")
    return f"pulumi:{stack}"


def other_stacks(
    records: Iterable[Mapping[str, object]], targets: Iterable[str], stack: str
) -> dict[str, tuple[str, ...]]:
    """Target ARN -> the other Pulumi stacks whose releases on it this ledger records.

    Releases the Pulumi provider records carry ``plan_id`` ``pulumi:PROJECT/STACK``
    (:func:`release_scope`). A second stack managing the same target through
    the same ledger would release what the first keeps (each has its own
    numbers file), so the program refuses it. Releases by ``connect-numbers
    apply`` (plan ids ``plan-...``) are not a stack's and do not count.
    """
    mine = release_scope(stack)
    wanted = set(targets)
    found: dict[str, set[str]] = {}
    for record in records:
        scope = record.get("plan_id")
        target = record.get("target_arn")
        if not isinstance(scope, str) or not scope.startswith("pulumi:") or scope == mine:
            continue
        if isinstance(target, str) and target in wanted:
            found.setdefault(target, set()).add(scope.removeprefix("pulumi:"))
    return {target: tuple(sorted(names)) for target, names in sorted(found.items())}


def phone_number_arn(target_arn: str, phone_number_id: str) -> str:
    """The ARN Connect gives a phone number claimed to ``target_arn``.

    Connect names every phone number ``arn:PARTITION:connect:REGION:ACCOUNT:
    phone-number/ID`` in the partition, region and account of the instance or
    traffic distribution group it is claimed to. Keeps, skips and ledger
    records carry the id and the target, not the ARN.
    """
    partition, region, account = _arn_parts(target_arn)
    return f"arn:{partition}:connect:{region}:{account}:phone-number/{phone_number_id}"


def _arn_parts(target_arn: str) -> tuple[str, str, str]:
    target = Target(arn=target_arn)  # validates the ARN
    partition = target.arn.split(":", 2)[1]
    return partition, target.region, target.account_id


def stack_resources(
    plan: Plan,
    ledger_records: Iterable[Mapping[str, object]],
    *,
    now: datetime,
    cooldown_days: int = COOLDOWN_DAYS,
    ledger: str | None = None,
    stack: str,
) -> tuple[StackResource, ...]:
    """The resources the Pulumi program registers for ``plan``, sorted by number.

    ``ledger_records`` are the raw records of the ledger (``Ledger.records()``),
    ``ledger`` its spec as configured (passed on to the provider), ``stack`` the
    Pulumi ``project/stack`` name (the scope of the release tokens). Raises
    ValueError if the plan lists one E.164 number twice (Connect never does: a
    number belongs to one account and target at a time), since two resources of
    one name would fail the whole update.
    """
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise ValueError(f"now must be a timezone-aware UTC datetime, got {now!r}")
    if cooldown_days < 0:
        raise ValueError("cooldown_days must not be negative")

    def make(
        number: str,
        number_id: str,
        target: str,
        state: NumberState,
        *,
        arn: str | None = None,
        description: str | None = None,
        settled: bool = False,
        tags: tuple[tuple[str, str | None], ...] = (),
    ) -> StackResource:
        return StackResource(
            phone_number=number,
            phone_number_id=number_id,
            phone_number_arn=arn or phone_number_arn(target, number_id),
            target_arn=target,
            state=state,
            description=description,
            stack=stack,
            numbers_file=plan.numbers_file,
            ledger=ledger,
            settled=settled,
            tags={k: v for k, v in tags if v is not None} or None,
            tags_removed=sorted(k for k, v in tags if v is None) or None,
        )

    live = [
        *(
            make(
                k.phone_number,
                k.phone_number_id,
                k.target_arn,
                NumberState.CLAIMED,
                description=k.description,
                tags=k.tags,
            )
            for k in plan.keeps
        ),
        *(
            make(
                r.phone_number,
                r.phone_number_id,
                r.target_arn,
                NumberState.RELEASED,
                arn=r.phone_number_arn,
                description=r.description,
            )
            for r in plan.releases
        ),
        # Skipped (status not CLAIMED): not released in this run, so it stays
        # claimed and the resource says so; a later plan releases it once CLAIMED.
        *(
            make(s.phone_number, s.phone_number_id, s.target_arn, NumberState.CLAIMED)
            for s in plan.skipped
        ),
        # Deferred by a `fitToQuota` plan: no room in the quota now, so it stays
        # claimed; a later `pulumi up`, once it fits, releases it.
        *(
            make(d.phone_number, d.phone_number_id, d.target_arn, NumberState.CLAIMED)
            for d in plan.deferred
        ),
    ]

    names: dict[str, StackResource] = {}
    for resource in live:
        other = names.get(resource.name)
        if other is not None:
            raise ValueError(
                f"{resource.name} is listed twice in the plan ({other.phone_number_id} on "
                f"{other.target_arn}, {resource.phone_number_id} on {resource.target_arn}); "
                "one resource per number cannot represent both"
            )
        names[resource.name] = resource

    desired = {k.phone_number for k in plan.keeps} | {m.phone_number for m in plan.missing}
    since = now - timedelta(days=cooldown_days)
    for number, record in _recent_releases(ledger_records, since, frozenset(plan.targets)).items():
        if number in names or number in desired:
            # Live again (claimed since), or wanted again: never shown as released.
            continue
        names[number] = make(
            number,
            str(record["phone_number_id"]),
            str(record["target_arn"]),
            NumberState.RELEASED,
            settled=True,
        )
    return tuple(names[n] for n in sorted(names))


def _recent_releases(
    records: Iterable[Mapping[str, object]], since: datetime, targets: frozenset[str]
) -> dict[str, Mapping[str, object]]:
    """The latest ``done`` release of each number after ``since``, on one of ``targets``.

    Only the product's own records qualify (they carry the status, the number's id
    and its target); hand-written history has neither id nor target, and records
    of other targets belong to another numbers file (another stack). A record
    dated after ``now`` still counts: the number is released, whatever the clock
    of the machine that wrote it said.
    """
    latest: dict[str, tuple[datetime, Mapping[str, object]]] = {}
    for record in records:
        if record.get("action") != Action.RELEASE.value or record.get("status") != _DONE:
            continue
        number = record.get("phone_number")
        number_id = record.get("phone_number_id")
        target = record.get("target_arn")
        if not isinstance(number, str) or not E164_PATTERN.match(number):
            continue
        if not isinstance(number_id, str) or not number_id:
            continue
        if not isinstance(target, str) or target not in targets:
            continue
        at = _parse_time(record.get("at"))
        if at is None or at <= since:
            continue
        seen = latest.get(number)
        if seen is None or at >= seen[0]:
            latest[number] = (at, record)
    return {number: record for number, (_, record) in latest.items()}


def _parse_time(value: object) -> datetime | None:
    """ISO 8601 with a zone as UTC (the ledger's ``at``); None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)
