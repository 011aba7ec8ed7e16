"""The Pulumi program: ``pulumi preview`` shows every release, ``pulumi up`` applies it.

A thin front door over the same core as ``connect-numbers plan`` (DESIGN.md,
"Pulumi front door"): load numbers.yaml, read the live inventory and the
ledger's history through the same adapters, plan with ``service.make_plan``,
and register one ``ManagedNumber`` per entry of ``stack.stack_resources``. It
decides nothing itself: a refused plan fails the program with the text the CLI
prints, so ``pulumi preview`` fails in the pull request.

Stack config (declared in Pulumi.yaml; see Pulumi.example.yaml):

- ``connect-numbers:numbersFile``: the numbers file (default ``numbers.yaml``);
- ``connect-numbers:ledger``: the history, a JSON Lines file or ``s3://BUCKET/KEY``
  (must exist when set);
- ``connect-numbers:allowMassRelease``: allow more than ``safety.max_releases``;
- ``aws:region`` (falls back to ``AWS_REGION``/``AWS_DEFAULT_REGION``) and
  ``aws:profile`` (exported as ``AWS_PROFILE`` for boto3), read with
  ``pulumi.Config("aws")``: the program needs no pulumi-aws, so the engine asks
  for no aws provider plugin. Every API call goes to the region of its
  target's ARN, whatever ``aws:region`` says.

A release is never a create: a number the stack does not hold yet is adopted
(created as claimed, no AWS call) and released by a later ``pulumi up``, after a
preview that shows it as an update of its own row, with a warning on that row.

Everything is in functions: Pulumi runs this file with ``runpy``, and so do the
tests (tests/pulumi/).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pulumi

from reconciler import desired, ledger, render, service, stack
from reconciler.errors import ConnectNumbersError
from reconciler.model import DesiredState, HistorySource, Plan, Policy

DEFAULT_NUMBERS_FILE = "numbers.yaml"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The stack config this program reads."""

    numbers_file: str
    ledger: str | None
    allow_mass_release: bool
    aws_region: str | None
    aws_profile: str | None


def read_settings() -> Settings:
    config = pulumi.Config("connect-numbers")
    aws = pulumi.Config("aws")
    return Settings(
        numbers_file=config.get("numbersFile") or DEFAULT_NUMBERS_FILE,
        ledger=config.get("ledger") or None,
        allow_mass_release=bool(config.get_bool("allowMassRelease")),
        # As pulumi-aws reads them: aws:region, else AWS_REGION/AWS_DEFAULT_REGION.
        aws_region=aws.get("region")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION"),
        aws_profile=aws.get("profile"),
    )


def use_aws_settings(settings: Settings, state: DesiredState) -> None:
    """Hand aws:profile to boto3, and say so if aws:region is not where the targets are."""
    if settings.aws_profile:
        os.environ["AWS_PROFILE"] = settings.aws_profile
    regions = sorted({t.region for t in state.targets})
    if settings.aws_region and any(r != settings.aws_region for r in regions):
        pulumi.log.warn(
            f"aws:region is {settings.aws_region} but the targets of {state.source} are in "
            f"{', '.join(regions)}; each Connect call goes to the region of its target's ARN"
        )


def read_history(spec: str | None) -> tuple[ledger.History, list[dict[str, Any]]]:
    """The ledger's history (events and coverage, for the quota) and raw records (for the stack)."""
    if spec is None:
        pulumi.log.warn(
            "connect-numbers:ledger is not set: the quota counts no earlier claims or "
            "releases, numbers released by earlier runs are not kept in the stack, and "
            "`pulumi up` refuses to release"
        )
        return ledger.History(events=()), []
    store = ledger.open_ledger(spec)  # a missing ledger is an error: it would undercount
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


def settle_interrupted(spec: str, connect: Any) -> None:
    """Before an update plans: settle the releases interrupted runs left (an intent
    with no outcome), by looking each number up, as `connect-numbers apply` does."""
    from reconciler.executor import Executor

    sweep = Executor(
        connect=connect,
        ledger=ledger.open_ledger(spec),
        clock=lambda: datetime.now(UTC),
        owner=ledger.default_owner("pulumi up"),
    )
    for done in sweep.confirm_interrupted():
        pulumi.log.info(f"recorded the release of {done.phone_number}: {done.message}")


def make_plan(settings: Settings, now: datetime) -> tuple[Plan, list[dict[str, Any]]]:
    # Imported here: boto3 is loaded only once numbers.yaml is known to be valid.
    from reconciler.inventory.aws import ConnectInventory

    use_aws_settings(settings, desired.load_desired(settings.numbers_file))
    # The same resolution of `phone_numbers: auto` and the same coverage as the CLI.
    state, warning = service.load_numbers(settings.numbers_file)
    if warning:
        pulumi.log.warn(warning)
    if settings.ledger is not None and not pulumi.runtime.is_dry_run():
        settle_interrupted(settings.ledger, ConnectInventory())
    history, records = read_history(settings.ledger)
    plan = service.make_plan(
        state,
        ConnectInventory(),
        history.events,
        policy=Policy(allow_mass_release=settings.allow_mass_release),
        now=now,
        covered_since=history.tracking_since,
        history_source=HistorySource(ledger=settings.ledger),
    )
    return plan, records


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


#: Quota figures that follow the clock (the uncovered part of the window ends now):
#: left out of the stack outputs, which must not change from one run to the next.
#: The engine holds outputs to a saved plan too: with them, `pulumi up --plan`
#: fails after applying (exit 1, no message; measured with the real engine).
RUN_DEPENDENT_COVERAGE = ("uncovered_from", "uncovered_until")


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


def warn_on_release(row: pulumi.Resource, resource: stack.StackResource) -> None:
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


def register(resources: tuple[stack.StackResource, ...]) -> None:
    from reconciler.pulumi_provider import ManagedNumber, ManagedNumberArgs

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
                # Belt and braces with the provider's no-op delete: removing a number
                # from the stack, or `pulumi destroy`, must never release it.
                retain_on_delete=True,
                # What the plan cannot know (a settled number's description): keep
                # the stack's value instead of showing a change.
                ignore_changes=list(resource.unknown) or None,
            ),
        )
        warn_on_release(row, resource)


def refuse_shared_targets(
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
        + f"\nTwo stacks with their own numbers files would each release what the other "
        f"keeps. Manage each target from one stack: remove it from the numbers file of "
        f"stack {name} (connect-numbers:numbersFile), or select the stack that manages it "
        "(`pulumi stack select`)."
    )


def main() -> None:
    settings = read_settings()
    now = datetime.now(UTC)
    try:
        plan, records = make_plan(settings, now)
    except ConnectNumbersError as exc:
        # Our errors say what to fix; a traceback would bury that.
        raise pulumi.RunError(str(exc)) from exc
    if plan.refused:
        raise pulumi.RunError(render.render_text(plan).rstrip("\n"))
    if plan.releases and settings.ledger is None and not pulumi.runtime.is_dry_run():
        # As `connect-numbers apply` requires --ledger: every release is recorded
        # before it is reported, and the quota is re-checked against that history.
        raise pulumi.RunError(
            f"connect-numbers:ledger is not set, and this update releases "
            f"{len(plan.releases)} number(s): each release must be recorded in a ledger, and "
            "the rolling quota re-checked against it. Set it with `pulumi config set "
            "connect-numbers:ledger PATH` (a JSON Lines history file; `touch PATH` starts "
            "an empty one)"
        )
    pulumi.log.info(render.render_text(plan).rstrip("\n"))
    for line in render.over_limit_lines(plan):
        # Not refused (nothing is released there), but claiming is blocked: say so loudly.
        pulumi.log.warn(line)
    name = f"{pulumi.get_project()}/{pulumi.get_stack()}"
    refuse_shared_targets(records, plan.targets, name, settings.ledger)
    register(stack.stack_resources(plan, records, now=now, ledger=settings.ledger, stack=name))
    pulumi.export("plan", plan_summary(plan))
    pulumi.export("quota", quota_summary(plan))
    groups = [
        {**g, "quota": stable_quota(g["quota"])}
        for g in render.plan_to_dict(plan).get("quota_groups", [])
    ]
    if len(groups) > 1:  # targets in several accounts or regions: each one's quota
        pulumi.export("quotaGroups", groups)


if __name__ == "__main__":
    main()
