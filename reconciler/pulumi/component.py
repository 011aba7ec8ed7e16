"""``ConnectNumbers``: connect-numbers as a component of any Pulumi program.

A user adds it to an existing program::

    instance = aws.connect.Instance("contact-center", ...)
    numbers = ConnectNumbers(
        "numbers",
        numbers_file="numbers.yaml",          # version 1, without `targets`
        targets=[instance.arn],               # inputs: outputs of other resources
        ledger="s3://bucket/history.jsonl",
    )
    pulumi.export("released", numbers.plan["release_numbers"])

and the repository's own ``__main__.py`` is a thin use of it (the numbers
file's own targets, the stack config). The component plans with the same core
as ``connect-numbers plan`` (same inventory reads, history, rules) and
registers one ``ManagedNumber`` child per entry of ``stack.stack_resources``:
it decides nothing itself. A refused plan fails the program with the text the
CLI prints. With ``targets`` given as outputs, the plan is made once they are
known (in a preview of a program that creates the instance, there is nothing
to show yet: a new instance has no numbers).

Outputs (also the component's own ``plan``, ``quota`` and ``quota_groups``
attributes): the plan summary and the quota, with nothing that changes from
run to run (no plan id, no times that follow the clock), so an unchanged
account previews with no change and a saved plan (``pulumi preview
--save-plan``) can be applied with ``pulumi up --plan``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pulumi

from reconciler import ledger
from reconciler.app import ledgers, service
from reconciler.core import render, stack
from reconciler.core.errors import ConnectNumbersError
from reconciler.core.model import HistorySource, Plan, Policy

__all__ = [
    "COMPONENT_TYPE",
    "ConnectNumbers",
    "plan_summary",
    "quota_summary",
    "release_warning",
    "stable_quota",
]

#: The component's type token.
COMPONENT_TYPE = "connect-numbers:index:ConnectNumbers"

#: Quota figures that follow the clock (the uncovered part of the window ends now):
#: left out of the outputs, which must not change from one run to the next. The
#: engine holds outputs to a saved plan too: with them, `pulumi up --plan` fails
#: after applying (exit 1, no message; measured with the real engine).
RUN_DEPENDENT_COVERAGE = ("uncovered_from", "uncovered_until")


class ConnectNumbers(pulumi.ComponentResource):
    """Keep the numbers claimed to ``targets`` equal to ``numbers_file``.

    ``numbers_file``: a version-1 numbers file; it lists its own ``targets``
    unless ``targets`` is given (then it must not). ``targets``: instance or
    traffic distribution group ARNs, plain or outputs. ``ledger``: the history
    (a JSON Lines path or ``s3://BUCKET/KEY``; required to release).
    ``allow_mass_release``: as ``connect-numbers plan --allow-mass-release``.
    ``fit_to_quota``: as ``connect-numbers plan --fit``.
    """

    plan: pulumi.Output[dict[str, Any]]
    quota: pulumi.Output[dict[str, Any]]
    quota_groups: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        name: str,
        *,
        numbers_file: str,
        targets: Sequence[pulumi.Input[str]] | None = None,
        ledger: str | None = None,
        allow_mass_release: bool = False,
        fit_to_quota: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self._numbers_file = numbers_file
        self._ledger = ledger
        self._allow_mass_release = allow_mass_release
        self._fit_to_quota = fit_to_quota
        result: pulumi.Output[dict[str, Any]]
        #: The outputs as plain values when they are known at once (no ``targets``).
        self.known: dict[str, Any] | None = None
        if targets is None:
            # The file's own targets: plan now, so a refusal fails the program at once.
            self.known = self._reconcile(None)
            result = pulumi.Output.from_input(self.known)
        else:
            result = pulumi.Output.all(*targets).apply(
                lambda arns: self._reconcile([str(a) for a in arns])
            )
        self.plan = result.apply(lambda r: r["plan"])
        self.quota = result.apply(lambda r: r["quota"])
        self.quota_groups = result.apply(lambda r: r["quota_groups"])
        self.register_outputs(
            {"plan": self.plan, "quota": self.quota, "quota_groups": self.quota_groups}
        )

    # -- planning -------------------------------------------------------------------------

    def _reconcile(self, targets: list[str] | None) -> dict[str, Any]:
        now = datetime.now(UTC)
        try:
            plan, records = self._make_plan(targets, now)
        except ConnectNumbersError as exc:
            # Our errors say what to fix; a traceback would bury that.
            raise pulumi.RunError(str(exc)) from exc
        if plan.refused:
            raise pulumi.RunError(render.render_text(plan).rstrip("\n"))
        if plan.releases and self._ledger is None and not pulumi.runtime.is_dry_run():
            # As `connect-numbers apply` requires --ledger: every release is recorded
            # before it is reported, and the quota is re-checked against that history.
            raise pulumi.RunError(
                f"connect-numbers:ledger is not set, and this update releases "
                f"{len(plan.releases)} number(s): each release must be recorded in a ledger, "
                "and the rolling quota re-checked against it. Set it with `pulumi config set "
                "connect-numbers:ledger PATH` (a JSON Lines history file; `touch PATH` starts "
                "an empty one)"
            )
        pulumi.log.info(render.render_text(plan).rstrip("\n"), resource=self)
        for line in render.over_limit_lines(plan):
            # Not refused (nothing is released there), but claiming is blocked: say so.
            pulumi.log.warn(line, resource=self)
        name = f"{pulumi.get_project()}/{pulumi.get_stack()}"
        _refuse_shared_targets(records, plan.targets, name, self._ledger)
        resources = stack.stack_resources(plan, records, now=now, ledger=self._ledger, stack=name)
        self._register(resources)
        return {
            "plan": plan_summary(plan),
            "quota": quota_summary(plan),
            "quota_groups": [
                {**g, "quota": stable_quota(g["quota"])}
                for g in render.plan_to_dict(plan).get("quota_groups", [])
            ],
        }

    def _make_plan(
        self, targets: list[str] | None, now: datetime
    ) -> tuple[Plan, list[dict[str, Any]]]:
        # Imported here: boto3 is loaded only once the numbers file is known to be valid.
        from reconciler.aws.connect import ConnectInventory

        # The same resolution of `phone_numbers: auto` and the same coverage as the CLI.
        state, warning = service.load_numbers(self._numbers_file, targets=targets)
        if warning:
            pulumi.log.warn(warning, resource=self)
        if self._ledger is not None and not pulumi.runtime.is_dry_run():
            _settle_interrupted(self._ledger, ConnectInventory(access=state.access_by_account()))
        history, records = _read_history(self._ledger)
        plan = service.make_plan(
            state,
            ConnectInventory(access=state.access_by_account()),  # targets[].role_arn
            history.events,
            policy=Policy(allow_mass_release=self._allow_mass_release, fit=self._fit_to_quota),
            now=now,
            covered_since=history.tracking_since,
            history_source=HistorySource(ledger=self._ledger),
        )
        return plan, records

    def _register(self, resources: tuple[stack.StackResource, ...]) -> None:
        from reconciler.pulumi.inputs import ManagedNumberArgs
        from reconciler.pulumi.provider import ManagedNumber

        try:
            # All inputs first: a bad one fails the program before any registration.
            args = [ManagedNumberArgs(**resource.as_args()) for resource in resources]
        except ValueError as exc:  # the provider's own checks of its inputs
            raise pulumi.RunError(str(exc)) from exc
        for resource, inputs in zip(resources, args, strict=True):
            row = ManagedNumber(
                resource.name,
                inputs,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Stacks made before the component registered the numbers at the
                    # top level: the same resources, not a forget and an adopt.
                    aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)],
                    # Belt and braces with the provider's no-op delete: removing a number
                    # from the stack, or `pulumi destroy`, must never release it.
                    retain_on_delete=True,
                    # What the plan cannot know (a settled number's description): keep
                    # the stack's value instead of showing a change.
                    ignore_changes=list(resource.unknown) or None,
                ),
            )
            _warn_on_release(row, resource)


# -- helpers ------------------------------------------------------------------------------


def _read_history(spec: str | None) -> tuple[ledger.History, list[dict[str, Any]]]:
    """The ledger's history (events and coverage, for the quota) and raw records (for the stack)."""
    if spec is None:
        pulumi.log.warn(
            "connect-numbers:ledger is not set: the quota counts no earlier claims or "
            "releases, numbers released by earlier runs are not kept in the stack, and "
            "`pulumi up` refuses to release"
        )
        return ledger.History(events=()), []
    store = ledgers.open_ledger(spec)  # a missing ledger is an error: it would undercount
    history = store.read()
    for warning in history.warnings:
        pulumi.log.warn(in_pulumi_terms(warning))
    return history, store.records()


def in_pulumi_terms(message: str) -> str:
    """A ledger message as a Pulumi user acts on it (there is no apply to run again)."""
    return message.replace(
        "run the same apply again to confirm it",
        "the next `pulumi up` settles it by looking the number up",
    )


def _settle_interrupted(spec: str, connect: Any) -> None:
    """Before an update plans: settle the releases interrupted runs left (an intent
    with no outcome), by looking each number up, as `connect-numbers apply` does."""
    from reconciler.app.executor import Executor

    sweep = Executor(
        connect=connect,
        ledger=ledgers.open_ledger(spec),
        clock=lambda: datetime.now(UTC),
        owner=ledger.default_owner("pulumi up"),
    )
    for done in sweep.confirm_interrupted():
        pulumi.log.info(f"recorded the release of {done.phone_number}: {done.message}")


def plan_summary(plan: Plan) -> dict[str, Any]:
    data = render.plan_to_dict(plan)
    # No plan id or creation time: outputs that change on every run would make
    # every preview show a change (and a saved plan never match its `up`).
    return {
        "numbers_file": data["numbers_file"],
        **data["summary"],
        "release_numbers": [r.phone_number for r in plan.releases],
        "missing_numbers": [m.phone_number for m in plan.missing],
        "skipped_numbers": [s.phone_number for s in plan.skipped],
    }


def stable_quota(quota: dict[str, Any]) -> dict[str, Any]:
    """``quota`` without the figures that change with the clock alone."""
    coverage = quota.get("coverage")
    if not isinstance(coverage, dict):
        return quota
    kept = {k: v for k, v in coverage.items() if k not in RUN_DEPENDENT_COVERAGE}
    return {**quota, "coverage": kept}


def quota_summary(plan: Plan) -> dict[str, Any]:
    """The plan JSON's quota figures, as `connect-numbers plan --format json`, minus
    those that change with the clock alone (``stable_quota``)."""
    return stable_quota(render.plan_to_dict(plan)["quota"])


def release_warning(resource: stack.StackResource) -> str:
    return (
        f"{resource.phone_number} is RELEASED from {resource.target_arn} by `pulumi up` "
        "(irreversible: Amazon Connect keeps a released number in a cooldown of up to "
        "180 days, and it cannot be claimed back)"
    )


def _warn_on_release(row: pulumi.Resource, resource: stack.StackResource) -> None:
    """Put the release warning on the row whose update releases the number.

    The provider's Check adopts a number the stack does not hold yet (created as
    claimed), so the row's checked ``state`` says whether this run releases it.
    """
    if resource.state is not stack.NumberState.RELEASED or resource.settled:
        return

    def say(state: str | None) -> None:
        if state == stack.NumberState.RELEASED.value:
            pulumi.log.warn(release_warning(resource), resource=row)
        else:
            pulumi.log.info(
                f"{resource.phone_number} is not in this stack yet: adopted as claimed (no "
                "AWS call); the next `pulumi preview` shows its release as an update",
                resource=row,
            )

    row.state.apply(say)  # type: ignore[attr-defined]


def _refuse_shared_targets(
    records: list[dict[str, Any]], targets: tuple[str, ...], name: str, spec: str | None
) -> None:
    """Fail the program if another stack releases on one of our targets through this ledger."""
    shared = stack.other_stacks(records, targets, name)
    if not shared:
        return
    lines = [
        f"  {target}: released by the stack {', '.join(others)}"
        for target, others in shared.items()
    ]
    raise pulumi.RunError(
        f"another Pulumi stack manages the same target through the ledger {spec}:\n"
        + "\n".join(lines)
        + "\nTwo stacks with their own numbers files would each release what the other "
        f"keeps. Manage each target from one stack: remove it from the numbers file of "
        f"stack {name} (connect-numbers:numbersFile), or select the stack that manages it "
        "(`pulumi stack select`)."
    )
