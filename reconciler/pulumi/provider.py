"""The Pulumi front door: one dynamic resource per managed phone number, and its provider.

The Pulumi program (``__main__.py``) plans with the core and registers one
``ManagedNumber`` per number, named by its E.164 form, whose ``state`` says what
the plan wants: ``claimed`` (keep it) or ``released``. The provider maps the
engine's calls onto the executor; it decides nothing itself:

========  ===================================================================
Check     validate the inputs (state, E.164 number, ARNs, types), and turn the
          release of a number the stack does not hold yet into its adoption
          (``stack.checked_state``: created as ``claimed``, no AWS call), so
          a release is always an update of a row the stack holds. A release
          without a ledger passes Check (preview works without one, as
          ``connect-numbers plan`` does; the program warns) and fails Create/Update.
Diff      a change when ``state``, the description, the tags numbers.yaml names
          or the number's identity differs (``DIFF_KEYS``); never a
          replacement. So the only step that can look destructive is an update
          to ``released``, and it is one; a description or tag change is an
          update of the same resource, made in place at no quota cost.
Create,   ``claimed``: nothing to do (the number exists: adopt it), unless its
          description (against the cached listing) or the tags the file names
          (one DescribePhoneNumber) differ from the live ones: then
          ``planner.metadata_update`` decides and ``Executor.update_single``
          makes the change in place (UpdatePhoneNumberMetadata, TagResource,
          UntagResource), as ``connect-numbers apply`` does.
Update    ``released`` and ``settled``: nothing to do (released earlier).
          ``released``: ``Executor.release_single`` re-checks that the number
          is still claimed and still not in numbers.yaml and re-checks the
          rolling quota against the ledger, under the ledger's lock, then
          releases and records it. Anything else fails the step.
Read      one paginated ListPhoneNumbersV2 per target, shared by every
          resource of that target (a process-wide cache with a short TTL),
          never a DescribePhoneNumber per number.
Delete    never releases: deleting a resource only forgets it (DESIGN.md).
========  ===================================================================

Why the provider holds nothing
------------------------------
Pulumi pickles the provider instance (with dill) into every resource's
``__provider`` input, and runs it again in a separate process
(``python -m pulumi.dynamic``). This class is importable, so it is pickled by
reference; an attribute holding a boto3 client, a lock or a file would be
pickled by value and fail (``cannot pickle 'SSLContext' object``). So clients
and ledgers are built inside each method, and what the process shares (the
pacer, the listing cache: ``shared.py``; the release lock: the executor's)
lives in module-level objects created at import, which the provider process
creates again when it imports these modules. No configuration is read at import.

The inputs (their names, validation and comparison, ``ManagedNumberArgs``) are
in ``inputs.py``; this module re-exports the public ones.

Threads
-------
The provider process serves calls from a pool of 4 threads, so updates run
concurrently. ``Executor.release_single`` serializes releases (a process-wide
lock, then the ledger's lock) and re-reads the ledger under them, so two
updates cannot spend the same quota headroom; the pacer and the listing cache
are thread-safe.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import pulumi
import pulumi.dynamic

from reconciler import desired
from reconciler import ledger as ledger_store
from reconciler.app import ledgers, service
from reconciler.app.executor import Executor
from reconciler.aws.connect import ConnectInventory
from reconciler.core import planner, stack
from reconciler.core.errors import ConnectNumbersError, NumbersFileError
from reconciler.core.model import (
    DesiredNumber,
    DesiredState,
    OutcomeStatus,
    Release,
    ReleaseOutcome,
    Target,
    TargetAccess,
)
from reconciler.pulumi.inputs import (
    _STATES,
    CLAIMED,
    DIFF_KEYS,
    METADATA_KEYS,
    RELEASED,
    ManagedNumberArgs,
    _input,
    _inputs,
    _problem_of,
)
from reconciler.pulumi.shared import _PACER, REFRESH_TTL_ENV, _listing

__all__ = [
    "DIFF_KEYS",
    "REFRESH_TTL_ENV",
    "TYPE_TOKEN",
    "ManagedNumber",
    "ManagedNumberArgs",
    "ManagedNumberProvider",
    "ReleaseFailedError",
]

#: The resource type the engine sees (``pulumi-python:dynamic/<module>:<name>``).
TYPE_TOKEN = "pulumi-python:dynamic/connect-numbers:PhoneNumber"


class ReleaseFailedError(ConnectNumbersError):
    """A release the plan asked for did not happen; the message says why and what to do."""


# -- the provider --------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _done_release(spec: str | None, phone_number: str, phone_number_id: str) -> dict[str, Any]:
    """The latest ``done`` release of the number in the ledger; {} if none or unreadable."""
    if not spec:
        return {}
    try:
        records = ledgers.open_ledger(spec).records()
    except (ConnectNumbersError, OSError, ValueError):
        return {}
    found: dict[str, Any] = {}
    for record in records:
        if record.get("action") != "release" or record.get("status") != "done":
            continue
        recorded_id = record.get("phone_number_id")
        if recorded_id == phone_number_id or (
            recorded_id is None and record.get("phone_number") == phone_number
        ):
            found = record
    return found


def use_aws_config(profile: object, region: object) -> None:
    """Hand the stack's ``aws:profile`` and ``aws:region`` to boto3 in this process.

    The engine runs the provider in its own process with the shell's
    environment; without this, releases would run with the shell's credentials
    whatever the stack says. One provider process serves one stack, so the
    process environment is the right place (boto3 reads it per session).
    """
    if isinstance(profile, str) and profile:
        os.environ["AWS_PROFILE"] = profile
    if isinstance(region, str) and region:
        # Only the default: every Connect call goes to the region of its target's ARN.
        os.environ.setdefault("AWS_REGION", region)
        os.environ.setdefault("AWS_DEFAULT_REGION", region)


class ManagedNumberProvider(pulumi.dynamic.ResourceProvider):
    """The dynamic provider of ``ManagedNumber``. Holds no state: see the module docstring."""

    def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
        # The engine hands a dynamic provider the stack's config at start.
        use_aws_config(req.config.get("aws:profile"), req.config.get("aws:region"))

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        problems = _problem_of(news)
        failures = [pulumi.dynamic.CheckFailure(name, reason) for name, reason in problems]
        if not problems and news.get("state") in _STATES:
            # The engine passes no olds for a resource the stack does not hold yet.
            held = bool(_inputs(olds))
            checked = stack.checked_state(
                news["state"], held=held, settled=news.get("settled") is True
            )
            news = {**news, "state": checked.value}
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        changed = [key for key in DIFF_KEYS if _input(olds, key) != _input(news, key)]
        # Never a replacement: its delete half only forgets, so a release shown as a
        # create/delete pair would look like something else; an update says it.
        return pulumi.dynamic.DiffResult(
            changes=bool(changed), replaces=[], delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        news = _inputs(props)
        if news.get("state") in _STATES:
            # Never a release, even if Check was skipped: a create only adopts.
            adopted = stack.checked_state(
                news["state"], held=False, settled=news.get("settled") is True
            )
            news["state"] = adopted.value
        outs = self._converge(news, previous={})
        return pulumi.dynamic.CreateResult(str(outs["phone_number"]), outs)

    def update(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.UpdateResult:
        return pulumi.dynamic.UpdateResult(self._converge(_inputs(news), previous=olds))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        outs = _inputs(props)
        number = str(outs.get("phone_number"))
        number_id = str(outs.get("phone_number_id"))
        target_arn = str(outs.get("target_arn"))
        listing = _listing(target_arn, lambda: _access(outs))
        live = listing.by_id.get(number_id)
        if live is None or live.phone_number != number:
            live = listing.by_number.get(number)  # claimed again, under a new id
        if live is not None:
            outs.update(
                state=CLAIMED,
                settled=False,
                phone_number_id=live.phone_number_id,
                phone_number_arn=live.phone_number_arn or outs.get("phone_number_arn"),
                released_at=None,
                outcome=None,
            )
            return pulumi.dynamic.ReadResult(id_, outs)
        spec = outs.get("ledger")
        record = _done_release(spec, number, number_id)
        if record:
            outs.update(
                state=RELEASED,
                settled=True,
                released_at=record.get("at"),
                outcome=f"released {record.get('at')}, recorded done in the ledger {spec}",
            )
        else:
            why = f"no release of it is recorded in the ledger {spec}" if spec else "no ledger"
            outs.update(
                state=RELEASED,
                settled=False,
                released_at=outs.get("released_at"),
                outcome=(
                    f"released outside this stack: {number} is no longer claimed to "
                    f"{target_arn} and {why}"
                ),
            )
        return pulumi.dynamic.ReadResult(id_, outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        number = props.get("phone_number", _id)
        pulumi.log.info(
            f"{number}: removed from the stack only; deleting a resource never releases a "
            "number (the number is left as it is in Amazon Connect)"
        )

    # -- create/update -------------------------------------------------------------

    def _converge(self, news: dict[str, Any], *, previous: Mapping[str, Any]) -> dict[str, Any]:
        problems = _problem_of(news)
        if problems:
            listed = "; ".join(f"{name}: {reason}" for name, reason in problems)
            raise ReleaseFailedError(f"{news.get('phone_number')}: invalid inputs: {listed}")
        number = str(news["phone_number"])
        outs = {**news, "released_at": None, "outcome": None}
        if news["state"] == CLAIMED:
            # The number exists: adopting it costs no API call, unless its metadata
            # is to change in place (no quota cost, never a release).
            if any(_input(news, k) != _input(previous, k) for k in METADATA_KEYS):
                outs["outcome"] = _update_metadata(news, fresh=not previous)
            return outs
        if news.get("settled"):
            record = _done_release(news.get("ledger"), number, str(news["phone_number_id"]))
            outs["released_at"] = record.get("at") or previous.get("released_at")
            outs["outcome"] = "released earlier (recorded done in the ledger); nothing to do"
            return outs
        outcome = _release(news)
        if outcome.status is OutcomeStatus.RELEASED:
            assert outcome.at is not None
            outs["released_at"] = ledger_store.format_time(outcome.at)
        elif outcome.status is OutcomeStatus.ALREADY_DONE:
            record = _done_release(news.get("ledger"), number, str(news["phone_number_id"]))
            outs["released_at"] = record.get("at") or previous.get("released_at")
        elif outcome.status is OutcomeStatus.SKIPPED:
            raise ReleaseFailedError(
                f"{number}: not released: {outcome.message}. The plan is stale: run "
                "`pulumi preview` again and review the new plan"
            )
        else:
            raise ReleaseFailedError(outcome.message)
        outs["outcome"] = outcome.message
        return outs


# Every resource of a stack holds this class pickled by reference under the
# module name it had before the folders of issue 13: ``reconciler.pulumi_provider``
# (a module kept for it). Keeping the name keeps existing stacks' state loadable
# and their ``__provider`` inputs byte for byte the same: nothing is updated or
# replaced by the move.
ManagedNumberProvider.__module__ = "reconciler.pulumi_provider"


def _update_metadata(news: Mapping[str, Any], *, fresh: bool) -> str | None:
    """Make a kept number's description and named tags what the inputs say, in place.

    The planner decides the change against the number as it is now: the listing (a
    process-wide cache) has its description; only when tags are named, or the
    description differs, is it described (DescribePhoneNumber has the tags). A number
    new to the stack (``fresh``) whose metadata already matches costs no more than
    the listing. The message of what was done, or None when nothing was to do.
    """
    number_id = str(news["phone_number_id"])
    target_arn = str(news["target_arn"])
    tags = dict(_input(news, "tags") or {})
    removed = list(_input(news, "tags_removed") or [])
    description = news.get("description")
    access = functools.cache(lambda: _access(news))  # numbers.yaml read once, if at all
    if fresh and not tags and not removed:
        listed = _listing(target_arn, access).by_id.get(number_id)
        if listed is None or description in (None, listed.description):
            return None
    where = Target(arn=target_arn)
    inventory = ConnectInventory(pacer=_PACER, access=access())
    live = inventory.lookup(number_id, region=where.region, account=where.account_id)
    if live is None:
        raise ReleaseFailedError(
            f"{news['phone_number']}: not updated: it is no longer claimed to {target_arn}. "
            "Run `pulumi refresh`, then `pulumi preview` again"
        )
    wanted = DesiredNumber(
        phone_number=live.phone_number,
        description=description,
        tags=tuple(sorted([*tags.items(), *((k, None) for k in removed)])),
    )
    update = planner.metadata_update(replace(live, target_arn=target_arn), wanted)
    if update is None:
        return None
    executor = Executor(
        connect=inventory,
        ledger=None,
        clock=_now,
        owner=ledger_store.default_owner("pulumi up"),
    )
    # The client token: the stack's scope and what is asked, so a retry of this very
    # update is the same request and another update a new one.
    digest = hashlib.sha256(repr((update.description_to, wanted.tags)).encode()).hexdigest()
    scope = f"{stack.release_scope(str(news['stack']))}/{digest[:16]}"
    outcome = executor.update_single(update, plan_id=scope)
    if outcome.status is not OutcomeStatus.UPDATED:
        raise ReleaseFailedError(f"{news['phone_number']}: {outcome.message}")
    return outcome.message


def _access(props: Mapping[str, Any]) -> dict[str, TargetAccess] | None:
    """The credentials numbers.yaml gives the resource's account (``targets[].role_arn``,
    ``profile``), so that a refresh and an update in place call AWS as the plan and the
    release do. Read without resolving ``phone_numbers: auto`` (no AWS call); a file that
    cannot be read now (moved, invalid) leaves the default credentials, as before."""
    path, target_arn = props.get("numbers_file"), props.get("target_arn")
    if not isinstance(path, str) or not path or not isinstance(target_arn, str):
        return None
    try:
        state = _own_or_given_targets(_parse_only, path, target_arn)
    except (ConnectNumbersError, OSError):
        return None
    return state.access_by_account() or None


def _parse_only(path: str, targets: list[str] | None) -> DesiredState:
    """numbers.yaml parsed only: no ``phone_numbers: auto`` resolved (no AWS call)."""
    if targets is None:
        return desired.load_desired(path)
    return desired.load_desired_for(path, targets)


_Read = TypeVar("_Read")


def _own_or_given_targets(
    load: Callable[[str, list[str] | None], _Read], path: str, target_arn: str
) -> _Read:
    """``load(path, None)``; a file without ``targets`` belongs to a ``ConnectNumbers``
    component given its targets in the program: then ``load(path, [target_arn])``,
    with the number's own target."""
    try:
        return load(path, None)
    except NumbersFileError as exc:
        if exc.key != "targets" or "missing required key" not in exc.problem:
            raise
        return load(path, [target_arn])


def _load_desired(path: str, target_arn: str) -> DesiredState:
    """numbers.yaml as it is now, with ``phone_numbers: auto`` resolved as the CLI does
    (a component's file without ``targets``: with the number's own target)."""
    state, warning = _own_or_given_targets(
        lambda p, targets: service.load_numbers(p, targets=targets), path, target_arn
    )
    if warning:
        pulumi.log.warn(warning)
    return state


def _release(news: Mapping[str, Any]) -> ReleaseOutcome:
    """Release one number through the executor (quota and state re-checked there)."""
    number = str(news["phone_number"])
    spec = news.get("ledger")
    if not spec:
        raise ReleaseFailedError(
            f"{number}: not released: releasing needs a ledger to record it and re-check the "
            "quota; set `pulumi config set connect-numbers:ledger PATH` (a JSON Lines "
            "history file)"
        )
    release = Release(
        phone_number=number,
        phone_number_id=str(news["phone_number_id"]),
        phone_number_arn=str(news["phone_number_arn"]),
        target_arn=str(news["target_arn"]),
        description=news.get("description"),
    )
    state = _load_desired(str(news["numbers_file"]), str(news["target_arn"]))
    executor = Executor(
        connect=ConnectInventory(pacer=_PACER, access=state.access_by_account()),
        ledger=ledgers.open_ledger(str(spec)),
        clock=_now,
        owner=ledger_store.default_owner("pulumi up"),
    )
    scope = stack.release_scope(str(news["stack"]))
    return executor.release_single(release, state, plan_id=scope)


class ManagedNumber(pulumi.dynamic.Resource, module="connect-numbers", name="PhoneNumber"):
    """One managed phone number and its desired state (``claimed`` or ``released``).

    Type token ``pulumi-python:dynamic/connect-numbers:PhoneNumber``. Outputs:
    the inputs plus ``released_at`` (ISO 8601, or None) and ``outcome``.
    """

    phone_number: pulumi.Output[str]
    phone_number_id: pulumi.Output[str]
    phone_number_arn: pulumi.Output[str]
    target_arn: pulumi.Output[str]
    state: pulumi.Output[str]
    description: pulumi.Output[str | None]
    tags: pulumi.Output[dict[str, str] | None]
    tags_removed: pulumi.Output[list[str] | None]
    stack: pulumi.Output[str]
    numbers_file: pulumi.Output[str]
    ledger: pulumi.Output[str | None]
    settled: pulumi.Output[bool]
    released_at: pulumi.Output[str | None]
    outcome: pulumi.Output[str | None]

    def __init__(
        self,
        name: str,
        args: ManagedNumberArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Outputs must be named in the props to become attributes; None inputs are dropped.
        props: dict[str, Any] = {**args.to_props(), "released_at": None, "outcome": None}
        super().__init__(ManagedNumberProvider(), name, props, opts)
