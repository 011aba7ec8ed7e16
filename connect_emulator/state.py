"""The emulated account: instances, claimed numbers and the claim/release history.

Records are frozen values (``resources``). Readers get consistent snapshots; writers (the
claim, release and describe operations) open ``state.transaction()``, check,
and change records with ``put_phone_number``, ``remove_phone_number`` and
``record``. The transaction holds the re-entrant lock across the whole
check-then-act sequence, making it atomic as AWS makes a single API call, and
on leaving it reports the change once to ``on_change`` (which writes the state
file), still under the lock so writes reach the file in order.

Besides the numbers, the state keeps one list, the history (see ``history``),
and derives from it the quota window, the cooldowns and the idempotency
tokens. Apart from it, it keeps the calls CloudTrail logged that changed
nothing (``trail.TrailCall``), which nothing counts; every event and call gets
a stable CloudTrail event id when recorded. The pool of available numbers is
the seed's ``available`` list, the generated numbers (``countries``) and
numbers whose cooldown has ended, less the claimed ones and those still
cooling down.

The state knows nothing about HTTP; operations translate between the two.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from .arns import instance_arn, phone_number_arn, traffic_distribution_group_arn
from .clock import WallClock, format_time
from .countries import AvailableNumber, generated_entry, generated_number
from .history import Action, HistoryEvent
from .quota import QuotaPolicy, QuotaUsage, usage
from .resources import Instance, PhoneNumber, TrafficDistributionGroup
from .seed import Seed, phone_number_id_for
from .trail import TrailCall, derived_event_id

__all__ = ["ConnectState", "Instance", "PhoneNumber", "TrafficDistributionGroup"]

# Extra ids for a number claimed again after a release: AWS gives every claim a
# new id; uuid5 keeps them deterministic, so runs (and their output) repeat.
_RECLAIM_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "reclaim.emulator.connect-numbers.invalid")


StateListener = Callable[["ConnectState"], None]


class ConnectState:
    """One AWS account in one region, as seeded (or restored from a state file)."""

    def __init__(
        self,
        seed: Seed,
        *,
        clock: WallClock | None = None,
        on_change: StateListener | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock = clock or WallClock()
        self.account_id = seed.account_id
        self.region = seed.region
        self.quota_policy: QuotaPolicy = seed.quota
        self.cooldown = timedelta(days=seed.cooldown_days)
        self.claim_in_progress_describes = seed.claim_in_progress_describes
        self.available_generated = seed.available_generated
        self.cloudtrail = seed.cloudtrail
        self._available = {item.phone_number: item for item in seed.available}
        self._instances: dict[str, Instance] = {
            item.id: Instance(
                id=item.id,
                arn=instance_arn(seed.region, seed.account_id, item.id),
                alias=item.alias,
            )
            for item in seed.instances
        }
        self._tdgs: dict[str, TrafficDistributionGroup] = {
            item.id: TrafficDistributionGroup(
                id=item.id,
                arn=traffic_distribution_group_arn(seed.region, seed.account_id, item.id),
                name=item.name,
                instance_id=item.instance_id,
                instance_arn=self._instances[item.instance_id].arn,
                description=item.description,
                default=item.default,
            )
            for item in seed.traffic_distribution_groups
        }
        self._numbers: dict[str, PhoneNumber] = {}
        self._by_e164: dict[str, str] = {}
        # Sorted view, rebuilt on the first read after a write: listing 100,000
        # numbers page by page must not sort them once per page.
        self._sorted: tuple[PhoneNumber, ...] | None = None
        self._history: list[HistoryEvent] = []
        self._calls: list[TrailCall] = []
        #: CloudTrail event id -> the order it was recorded in (ties of time).
        self._event_ids: dict[str, int] = {}
        self._tokens: dict[str, HistoryEvent] = {}
        # UpdatePhoneNumberMetadata's client tokens: token -> (number id, description).
        # Kept for the life of the server (a state file does not hold them: a metadata
        # update counts against nothing, and a retry after a restart finds the update done).
        self._metadata_tokens: dict[str, tuple[str, str | None]] = {}
        self._by_request: dict[str, HistoryEvent] = {}
        self._last_release: dict[str, HistoryEvent] = {}
        self._used_ids: set[str] = set()
        self._depth = 0
        self._dirty = False
        self._on_change: StateListener | None = None
        for number in seed.numbers:
            self.put_phone_number(
                PhoneNumber(
                    id=number.id,
                    arn=phone_number_arn(seed.region, seed.account_id, number.id),
                    phone_number=number.phone_number,
                    instance_id=number.instance_id,
                    target_arn=(
                        self._tdgs[number.traffic_distribution_group].arn
                        if number.traffic_distribution_group
                        else self._instances[number.instance_id].arn
                    ),
                    type=number.type,
                    country=number.country,
                    status=number.status,
                    status_message=number.status_message,
                    description=number.description,
                    tags=MappingProxyType(dict(number.tags)),
                    flow_arn=number.flow_arn,
                    in_progress_describes=number.in_progress_describes,
                    source_phone_number_arn=number.source_phone_number_arn,
                )
            )
        for event in seed.history:
            self.record(event)
        for call in seed.trail_calls:
            self.record_call(call)
        self._dirty = False
        self._on_change = on_change

    # --- time and transactions ----------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock; on leaving the outermost transaction, report any change."""
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._flush()

    def _changed(self) -> None:
        self._dirty = True
        if self._depth == 0:
            self._flush()

    def _flush(self) -> None:
        if self._dirty and self._on_change is not None:
            self._dirty = False
            self._on_change(self)

    # --- instances and numbers ----------------------------------------------

    def instance(self, instance_id: str) -> Instance | None:
        with self.lock:
            return self._instances.get(instance_id)

    def instances(self) -> tuple[Instance, ...]:
        with self.lock:
            return tuple(sorted(self._instances.values(), key=lambda item: item.id))

    def traffic_distribution_group(self, tdg_id: str) -> TrafficDistributionGroup | None:
        with self.lock:
            return self._tdgs.get(tdg_id)

    def traffic_distribution_groups(self) -> tuple[TrafficDistributionGroup, ...]:
        with self.lock:
            return tuple(sorted(self._tdgs.values(), key=lambda item: item.id))

    def put_traffic_distribution_group(self, tdg: TrafficDistributionGroup) -> None:
        with self.lock:
            self._tdgs[tdg.id] = tdg
            self._changed()

    def phone_number(self, phone_number_id: str) -> PhoneNumber | None:
        with self.lock:
            return self._numbers.get(phone_number_id)

    def phone_number_by_e164(self, phone_number: str) -> PhoneNumber | None:
        with self.lock:
            number_id = self._by_e164.get(phone_number)
            return None if number_id is None else self._numbers[number_id]

    def phone_numbers(self) -> tuple[PhoneNumber, ...]:
        """Every claimed number of the account, in ``sort_key`` order."""
        with self.lock:
            if self._sorted is None:
                self._sorted = tuple(sorted(self._numbers.values(), key=lambda n: n.sort_key))
            return self._sorted

    def put_phone_number(self, number: PhoneNumber) -> None:
        """Add or replace a number (by id). Callers check invariants in a transaction."""
        with self.lock:
            if number.instance_id not in self._instances:
                raise ValueError(f"unknown instance {number.instance_id!r}")
            holder = self._by_e164.get(number.phone_number)
            if holder is not None and holder != number.id:
                raise ValueError(f"{number.phone_number} is already claimed as {holder}")
            previous = self._numbers.get(number.id)
            if previous is not None and previous.phone_number != number.phone_number:
                del self._by_e164[previous.phone_number]
            self._numbers[number.id] = number
            self._by_e164[number.phone_number] = number.id
            self._used_ids.add(number.id)
            self._sorted = None
            self._changed()

    def remove_phone_number(self, phone_number_id: str) -> PhoneNumber | None:
        """Remove a number; its flow association goes with it."""
        with self.lock:
            removed = self._numbers.pop(phone_number_id, None)
            if removed is not None:
                del self._by_e164[removed.phone_number]
                self._sorted = None
                self._changed()
            return removed

    def new_phone_number_id(self, phone_number: str) -> str:
        """A fresh, deterministic id for a claim of ``phone_number``."""
        with self.lock:
            candidate = phone_number_id_for(phone_number)
            attempt = 1
            while candidate in self._used_ids:
                attempt += 1
                candidate = str(uuid.uuid5(_RECLAIM_NAMESPACE, f"{phone_number}#{attempt}"))
            return candidate

    # --- history, tokens, cooldowns, quota ----------------------------------

    def record(self, event: HistoryEvent) -> HistoryEvent:
        """Append a claim or release to the history (and its indexes); returns it
        as recorded, with its CloudTrail event id."""
        with self.lock:
            if event.trail.event_id is None:
                event_id = self._new_event_id(
                    "history",
                    event.action.value,
                    event.phone_number,
                    event.phone_number_id,
                    event.at.isoformat(),
                    event.client_token,
                    event.instance_id,
                    event.trail.request_id,
                )
                event = replace(event, trail=replace(event.trail, event_id=event_id))
            self._claim_event_id(event.trail.event_id)
            self._history.append(event)
            self._index(event)
            self._changed()
            return event

    def _index(self, event: HistoryEvent) -> None:
        if event.client_token is not None:
            self._tokens[event.client_token] = event
        if event.trail.request_id is not None:
            self._by_request[event.trail.request_id] = event
        if event.phone_number_id is not None:
            self._used_ids.add(event.phone_number_id)
        if event.action is Action.RELEASE:
            last = self._last_release.get(event.phone_number)
            if last is None or last.at <= event.at:
                self._last_release[event.phone_number] = event

    def record_call(self, call: TrailCall) -> TrailCall:
        """Keep a call CloudTrail logged that changed nothing; returns it with its event id."""
        with self.lock:
            if call.trail.event_id is None:
                event_id = self._new_event_id(
                    "call",
                    call.event_name,
                    call.at.isoformat(),
                    dict(call.request_parameters),
                    call.error_code,
                    call.trail.request_id,
                )
                call = replace(call, trail=replace(call.trail, event_id=event_id))
            self._claim_event_id(call.trail.event_id)
            self._calls.append(call)
            self._changed()
            return call

    def _new_event_id(self, *content: object) -> str:
        """The derived id of a record; the n-th record of the same content gets another."""
        event_id = derived_event_id(self.account_id, self.region, *content)
        occurrence = 1
        while event_id in self._event_ids:
            occurrence += 1
            event_id = derived_event_id(self.account_id, self.region, *content, occurrence)
        return event_id

    def _claim_event_id(self, event_id: str | None) -> None:
        assert event_id is not None
        if event_id in self._event_ids:
            raise ValueError(f"CloudTrail event id {event_id!r} is used twice")
        self._event_ids[event_id] = len(self._event_ids)

    def sequence_of(self, event_id: str) -> int:
        """The order an event or call was recorded in: which of two at the same
        instant came later (a restored state records its history, then its calls)."""
        with self.lock:
            return self._event_ids[event_id]

    def history(self) -> tuple[HistoryEvent, ...]:
        with self.lock:
            return tuple(self._history)

    def calls(self) -> tuple[TrailCall, ...]:
        """The logged calls that changed nothing, in the order they happened."""
        with self.lock:
            return tuple(self._calls)

    def event_for_request(self, request_id: str) -> HistoryEvent | None:
        """The claim or release a request (by its ``x-amzn-RequestId``) produced, if any."""
        with self.lock:
            return self._by_request.get(request_id)

    def set_logged(
        self,
        *,
        event_ids: Iterable[str] = (),
        phone_number: str | None = None,
        logged: bool = False,
    ) -> list[str]:
        """Mark events (by CloudTrail event id, or every event of ``phone_number``)
        as logged by CloudTrail or not; returns the ids selected. An unknown id is a
        ``ValueError``. The quota, cooldowns and tokens do not change: only what
        LookupEvents shows."""
        with self.transaction():
            wanted = set(event_ids)
            unknown = wanted - set(self._event_ids)
            if unknown:
                raise ValueError(f"no event has the CloudTrail event id {sorted(unknown)[0]!r}")
            changed: list[str] = []

            def selected(event_id: str | None, number: str | None) -> bool:
                return event_id in wanted or (phone_number is not None and number == phone_number)

            for index, event in enumerate(self._history):
                if selected(event.trail.event_id, event.phone_number):
                    if event.trail.logged != logged:
                        self._history[index] = replace(
                            event, trail=replace(event.trail, logged=logged)
                        )
                    changed.append(str(event.trail.event_id))
            for index, call in enumerate(self._calls):
                number = call.request_parameters.get("phoneNumber")
                if selected(call.trail.event_id, number if isinstance(number, str) else None):
                    if call.trail.logged != logged:
                        self._calls[index] = replace(call, trail=replace(call.trail, logged=logged))
                    changed.append(str(call.trail.event_id))
            # The indexes hold the events themselves: rebuild them from the new list.
            self._tokens.clear()
            self._by_request.clear()
            self._last_release.clear()
            for event in self._history:
                self._index(event)
            self._changed()
            return changed

    def metadata_request(self, client_token: str) -> tuple[str, str | None] | None:
        """The (number id, description) an UpdatePhoneNumberMetadata token was used for."""
        with self.lock:
            return self._metadata_tokens.get(client_token)

    def remember_metadata_request(
        self, client_token: str, phone_number_id: str, description: str | None
    ) -> None:
        with self.lock:
            self._metadata_tokens[client_token] = (phone_number_id, description)

    def event_for_token(self, client_token: str) -> HistoryEvent | None:
        """The claim or release an idempotency token produced, if any."""
        with self.lock:
            return self._tokens.get(client_token)

    def quota_usage(self, now: datetime) -> QuotaUsage:
        with self.lock:
            return usage((event.at for event in self._history), self.quota_policy, now=now)

    def last_release(self, phone_number: str) -> HistoryEvent | None:
        with self.lock:
            return self._last_release.get(phone_number)

    def cooldown_until(self, phone_number: str, now: datetime) -> datetime | None:
        """When the cooldown of a released, unclaimed number ends, if it has not yet.

        ReleasePhoneNumber: "the phone number enters into a cooldown period for
        up to 180 days. It cannot be searched for or claimed again until the
        period has ended."
        """
        with self.lock:
            if phone_number in self._by_e164:
                return None
            release = self._last_release.get(phone_number)
            if release is None:
                return None
            until = release.at + self.cooldown
            return until if now < until else None

    def cooldowns(self, now: datetime) -> list[tuple[HistoryEvent, datetime]]:
        """Each number in cooldown at ``now``: its release and the end of its cooldown."""
        with self.lock:
            result = []
            for phone_number, release in sorted(self._last_release.items()):
                until = self.cooldown_until(phone_number, now)
                if until is not None:
                    result.append((release, until))
            return result

    # --- the pool of available numbers --------------------------------------

    def pool_entry(self, phone_number: str) -> AvailableNumber | None:
        """What the pool knows of ``phone_number`` (claimed or not), ``None`` if nothing."""
        with self.lock:
            explicit = self._available.get(phone_number)
            if explicit is not None:
                return explicit
            generated = generated_entry(phone_number, self.available_generated)
            if generated is not None:
                return AvailableNumber(
                    phone_number=phone_number, country=generated[0], type=generated[1]
                )
            release = self._last_release.get(phone_number)
            if release is not None:
                # Released numbers go back to the pool once their cooldown ends.
                return AvailableNumber(
                    phone_number=phone_number, country=release.country, type=release.type
                )
            return None

    def available_numbers(
        self, country: str, number_type: str, now: datetime
    ) -> tuple[AvailableNumber, ...]:
        """The numbers of a country and type anyone may claim at ``now``, by number."""
        with self.lock:
            candidates: dict[str, AvailableNumber] = {}
            for index in range(self.available_generated):
                generated = generated_number(country, number_type, index)
                if generated is None:
                    break
                candidates[generated] = AvailableNumber(
                    phone_number=generated, type=number_type, country=country
                )
            for phone_number, release in self._last_release.items():
                if release.country == country and release.type == number_type:
                    candidates[phone_number] = AvailableNumber(
                        phone_number=phone_number, type=number_type, country=country
                    )
            for item in self._available.values():
                if item.country == country and item.type == number_type:
                    candidates[item.phone_number] = item
            return tuple(
                candidates[phone_number]
                for phone_number in sorted(candidates)
                if phone_number not in self._by_e164
                and self.cooldown_until(phone_number, now) is None
            )

    # --- views --------------------------------------------------------------

    def to_document(self) -> dict[str, Any]:
        """The account as a seed document: what a state file holds.

        The seed's configuration (``rate_limits``, ``faults``, ``fault_seed``)
        is written as the seed stated it; the account (numbers, history, quota,
        pool) as it is now. Run-time changes made through the admin endpoint
        (faults, rate limits, the clock) are not part of the account.
        """
        with self.lock:
            return {
                "account_id": self.account_id,
                "region": self.region,
                "instances": [
                    {"id": item.id, **({"alias": item.alias} if item.alias else {})}
                    for item in self.instances()
                ],
                "traffic_distribution_groups": [
                    {
                        "id": item.id,
                        "instance": item.instance_id,
                        "name": item.name,
                        "default": item.default,
                        **({"description": item.description} if item.description else {}),
                    }
                    for item in self.traffic_distribution_groups()
                ],
                "numbers": [_number_document(number) for number in self.phone_numbers()],
                "rate_limits": {
                    operation: None if limit is None else {"rate": limit.rate, "burst": limit.burst}
                    for operation, limit in self.seed.rate_limits.items()
                },
                "quota": self.quota_policy.to_json(),
                "cooldown_days": self.cooldown.days,
                "history": [event.to_document() for event in self._history],
                "available": [
                    {"phone_number": item.phone_number, "type": item.type, "country": item.country}
                    for item in self._available.values()
                ],
                "available_generated": self.available_generated,
                "claim_in_progress_describes": self.claim_in_progress_describes,
                "faults": [rule.to_json() for rule in self.seed.faults],
                "fault_seed": self.seed.fault_seed,
                "cloudtrail": {
                    **self.cloudtrail.to_json(),
                    "calls": [call.to_json() for call in self._calls],
                },
                "denied_actions": list(self.seed.denied_actions),
                "roles": [role.to_json() for role in self.seed.roles],
            }

    def summary(self) -> dict[str, Any]:
        """What the admin endpoint's ``GET /_emulator/state`` serves."""
        with self.lock:
            now = self.now()
            quota = self.quota_usage(now)
            by_status: dict[str, int] = {}
            per_instance: dict[str, int] = {item.id: 0 for item in self.instances()}
            for number in self._numbers.values():
                by_status[number.status] = by_status.get(number.status, 0) + 1
                per_instance[number.instance_id] += 1
            return {
                "account_id": self.account_id,
                "region": self.region,
                "now": format_time(now),
                "instances": [
                    {"id": item.id, "alias": item.alias, "phone_numbers": per_instance[item.id]}
                    for item in self.instances()
                ],
                "phone_numbers": len(self._numbers),
                "by_status": by_status,
                "quota": {
                    **self.quota_policy.to_json(),
                    "limit": quota.limit,
                    "used": quota.used,
                    "remaining": max(0, quota.limit - quota.used),
                    "next_frees_at": _time_or_none(quota.next_frees_at),
                },
                "cooldown_days": self.cooldown.days,
                "cooldowns": [
                    {
                        "phone_number": release.phone_number,
                        "phone_number_id": release.phone_number_id,
                        "released_at": format_time(release.at),
                        "until": format_time(until),
                    }
                    for release, until in self.cooldowns(now)
                ],
                "history_events": len(self._history),
                "client_tokens": len(self._tokens),
            }


def _time_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment)


def _number_document(number: PhoneNumber) -> dict[str, Any]:
    document: dict[str, Any] = {
        "phone_number": number.phone_number,
        "instance": number.instance_id,
        "id": number.id,
        "type": number.type,
        "country": number.country,
        "status": number.status,
    }
    optional = {
        "status_message": number.status_message,
        "description": number.description,
        "tags": dict(number.tags) or None,
        "flow": number.flow_arn,
        "in_progress_describes": number.in_progress_describes,
        "source_phone_number_arn": number.source_phone_number_arn,
        "traffic_distribution_group": (
            number.target_arn.rsplit("/", 1)[1]
            if ":traffic-distribution-group/" in number.target_arn
            else None
        ),
    }
    document.update({key: value for key, value in optional.items() if value is not None})
    return document
