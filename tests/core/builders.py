"""Small builders for core tests: values with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.core.model import (
    DEFAULT_RELEASE_TYPES,
    Action,
    DesiredNumber,
    DesiredState,
    HistoryEvent,
    Inventory,
    Keep,
    LiveNumber,
    NumberStatus,
    NumberType,
    QuotaPolicy,
    Release,
    Skipped,
    Target,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ACCOUNT = "111122223333"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE}"
OTHER_TARGET = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"


def flow(name: str, instance: str = INSTANCE) -> str:
    return f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{instance}/contact-flow/{name}"


def desired(
    *numbers: str,
    phone_numbers: int = 10,
    window_days: int = 180,
    limit_percent: int = 200,
    reserve: int = 0,
    assume_prior: int = 0,
    max_releases: int | None = 10,
    allow_empty: bool = False,
    targets: tuple[str, ...] = (TARGET,),
    release_types: frozenset[str] = DEFAULT_RELEASE_TYPES,
    release_imported: bool = False,
) -> DesiredState:
    return DesiredState(
        targets=tuple(Target(arn=t) for t in targets),
        quota=QuotaPolicy(
            phone_numbers=phone_numbers,
            window_days=window_days,
            limit_percent=limit_percent,
            reserve=reserve,
            assume_prior=assume_prior,
        ),
        numbers=tuple(DesiredNumber(phone_number=n) for n in numbers),
        max_releases=max_releases,
        allow_empty=allow_empty,
        source="numbers.yaml",
        fingerprint="sha256:test",
        release_types=frozenset(NumberType(t) for t in release_types),
        release_imported=release_imported,
    )


def live(
    number: str,
    *,
    target: str = TARGET,
    status: NumberStatus | None = NumberStatus.CLAIMED,
    flows: tuple[str, ...] = (),
    description: str | None = None,
    number_id: str | None = None,
    number_type: str | None = "DID",
    source: str | None = None,
) -> LiveNumber:
    pid = number_id or f"id-{number[1:]}"
    return LiveNumber(
        phone_number=number,
        phone_number_id=pid,
        phone_number_arn=f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/{pid}",
        target_arn=target,
        number_type=number_type,
        description=description,
        status=status,
        flows=flows,
        source_phone_number_arn=source,
    )


def inventory(*numbers: LiveNumber, targets: tuple[str, ...] = (TARGET,)) -> Inventory:
    return Inventory(targets=targets, numbers=numbers)


def events(
    count: int, *, action: Action = Action.RELEASE, days_ago: float = 10, step_days: float = 0
) -> list[HistoryEvent]:
    """``count`` events, the first ``days_ago`` days before NOW, each ``step_days`` newer."""
    return [
        HistoryEvent(
            action=action,
            phone_number=f"+1206555{i % 10000:04d}",
            at=NOW - timedelta(days=days_ago - i * step_days),
        )
        for i in range(count)
    ]


def release_of(row: Keep | Skipped) -> Release:
    """A release of a plan's kept or skipped number: what an edited saved plan adds."""
    return Release(
        phone_number=row.phone_number,
        phone_number_id=row.phone_number_id,
        phone_number_arn=f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/{row.phone_number_id}",
        target_arn=row.target_arn,
        number_type=row.number_type if isinstance(row, Skipped) else None,
    )
