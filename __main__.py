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
- ``connect-numbers:fitToQuota``: release what fits the rolling quota now and
  defer the rest (as ``connect-numbers plan --fit``);
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

import pulumi

from reconciler import desired
from reconciler.core.errors import ConnectNumbersError
from reconciler.core.model import DesiredState
from reconciler.pulumi.component import ConnectNumbers

DEFAULT_NUMBERS_FILE = "numbers.yaml"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The stack config this program reads."""

    numbers_file: str
    ledger: str | None
    allow_mass_release: bool
    fit_to_quota: bool
    aws_region: str | None
    aws_profile: str | None


def read_settings() -> Settings:
    config = pulumi.Config("connect-numbers")
    aws = pulumi.Config("aws")
    return Settings(
        numbers_file=config.get("numbersFile") or DEFAULT_NUMBERS_FILE,
        ledger=config.get("ledger") or None,
        allow_mass_release=bool(config.get_bool("allowMassRelease")),
        fit_to_quota=bool(config.get_bool("fitToQuota")),
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


def main() -> None:
    settings = read_settings()
    try:
        # Checked here first: the region warning needs the file's targets.
        use_aws_settings(settings, desired.load_desired(settings.numbers_file))
    except ConnectNumbersError as exc:
        raise pulumi.RunError(str(exc)) from exc
    numbers = ConnectNumbers(
        "connect-numbers",
        numbers_file=settings.numbers_file,
        ledger=settings.ledger,
        allow_mass_release=settings.allow_mass_release,
        fit_to_quota=settings.fit_to_quota,
    )
    assert numbers.known is not None  # the file's own targets: planned at once
    pulumi.export("plan", numbers.known["plan"])
    pulumi.export("quota", numbers.known["quota"])
    groups = numbers.known["quota_groups"]
    if len(groups) > 1:  # targets in several accounts or regions: each one's quota
        pulumi.export("quotaGroups", groups)


if __name__ == "__main__":
    main()
