"""Benchmark: apply's release rate against the API's per-operation limit, and its 429s.

DESIGN.md target: "Apply keeps releases at no less than 90% of the API's allowed
rate with no failed release from throttling; the rate is configurable for raised
limits."

For each limit (the emulator's default, AWS's default: 2 requests/s with a burst
of 5 per operation; and a raised limit, 20/s by default), an in-process emulator
is seeded with N + 2 claimed numbers (quota 1000), numbers.yaml keeps 2, and the
N others are released twice over, each time on a fresh emulator:

- by the product: ``service.make_plan`` with ``ConnectInventory`` (mass release
  allowed), then ``Executor.apply`` with a real ``FileLedger`` in a temporary
  directory and a real ``ConnectInventory`` paced at the emulator's limit
  (``--rate``/``--burst`` of the CLI). Planning runs before the limits are set
  (a saved plan is reviewed before it is applied), so only the apply is measured;
- by a naive loop: ``client.release_phone_number(PhoneNumberId=id)`` for each id,
  with a default boto3 client (botocore's default retries, no pacing). A failure
  that escapes botocore's retries is counted and the loop goes on.

Reported per run: releases completed and failed; the wall time of the release
phase (from the first per-number call to the last release's answer; for the
product each release is preceded by a DescribePhoneNumber, which has its own
bucket, so releases are bounded by the per-operation rate) and of the whole
apply (lock, staleness listing, quota check, then the release phase); releases
per second and that as a fraction of the allowed rate (the ReleasePhoneNumber
limit; the target is at least 0.9); the release phase's lower bound through a
full token bucket, (N - burst) / rate; and, from the emulator, the calls and the
429s per operation. Every run also checks that the emulator released each number
at most once and exactly the numbers reported released.

Run: `.venv/bin/python bench/apply_rate.py [--quick]` (--quick: 40 numbers; the
full 200 take about 100 s per run at 2/s, so about 4 minutes in all). Progress
goes to stderr; stdout is a machine line, then one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REGION, hermetic_aws_env, log

from connect_emulator import EmulatorServer
from connect_emulator.constants import RATE_LIMITED_OPERATIONS
from reconciler.app import service
from reconciler.app.executor import Executor
from reconciler.aws.connect import ConnectInventory
from reconciler.core.model import (
    DesiredNumber,
    DesiredState,
    OutcomeStatus,
    Plan,
    Policy,
    QuotaPolicy,
    ReleaseOutcome,
    Target,
)
from reconciler.core.pacing import Pacer, RateLimit
from reconciler.ledger import FileLedger

ACCOUNT = "111122223333"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE}"
QUOTA = 1000  # phone_numbers: a limit of 2000 claims plus releases per window
KEEP = 2


def number(i: int) -> str:
    return f"+1206{2000000 + i:07d}"


def seed(count: int) -> dict[str, Any]:
    return {
        "account_id": ACCOUNT,
        "region": REGION,
        "instances": [{"id": INSTANCE}],
        "quota": {"phone_numbers": QUOTA},
        "numbers": [{"phone_number": number(i), "instance": INSTANCE} for i in range(count + KEEP)],
    }


def desired_state() -> DesiredState:
    return DesiredState(
        targets=(Target(arn=TARGET),),
        quota=QuotaPolicy(phone_numbers=QUOTA),
        numbers=tuple(DesiredNumber(phone_number=number(i)) for i in range(KEEP)),
        max_releases=None,
        source="bench-numbers.yaml",
        fingerprint="sha256:bench-apply-rate",
    )


def start_emulator(count: int) -> tuple[EmulatorServer, Plan, DesiredState]:
    """An unthrottled emulator with count + 2 numbers, and the product's plan for it."""
    server = EmulatorServer(seed(count), rate=None).start()
    os.environ["AWS_ENDPOINT_URL_CONNECT"] = server.url
    desired = desired_state()
    plan = service.make_plan(
        desired,
        ConnectInventory(pacer=Pacer(RateLimit(rate=None))),
        [],
        policy=Policy(allow_mass_release=True),
        now=datetime.now(UTC),
    )
    if plan.refused or len(plan.releases) != count:
        server.stop()
        raise SystemExit(
            f"bench setup: expected a plan of {count} releases, got {len(plan.releases)} "
            f"(refusals: {[r.message for r in plan.refusals]})"
        )
    return server, plan, desired


def limit_emulator(server: EmulatorServer, rate: float, burst: int) -> None:
    """Give every operation the scenario's bucket (full) and forget the planning calls."""
    for operation in RATE_LIMITED_OPERATIONS:
        server.set_rate_limit(operation, rate, burst)
    server.reset_stats()


class TimedInventory(ConnectInventory):
    """The product's ConnectInventory, stamping when per-number calls start and end."""

    def __init__(self, pacer: Pacer) -> None:
        super().__init__(pacer=pacer)
        self.first_lookup: float | None = None
        self.last_release_end: float | None = None

    def lookup(self, phone_number_id: str, *, region: str, account: str | None = None) -> Any:
        if self.first_lookup is None:
            self.first_lookup = time.perf_counter()
        return super().lookup(phone_number_id, region=region)

    def release(
        self, phone_number_id: str, *, region: str, client_token: str, account: str | None = None
    ) -> None:
        try:
            super().release(phone_number_id, region=region, client_token=client_token)
        finally:
            self.last_release_end = time.perf_counter()


def progress(total: int, label: str) -> Callable[[ReleaseOutcome], None]:
    seen = Counter[str]()
    step = max(1, total // 10)
    start = time.perf_counter()

    def on_outcome(outcome: ReleaseOutcome) -> None:
        seen[outcome.status.value] += 1
        done = sum(seen.values())
        if done % step == 0 or done == total or outcome.status is OutcomeStatus.FAILED:
            log(f"  {label}: {done}/{total} ({dict(seen)}) {time.perf_counter() - start:.1f} s")

    return on_outcome


def emulator_figures(server: EmulatorServer, released_ids: set[str]) -> dict[str, Any]:
    stats = server.stats()
    releases = [e for e in server.history("emulator") if e["action"] == "release"]
    twice = {n: c for n, c in Counter(e["phone_number"] for e in releases).items() if c > 1}
    performed = {e["phone_number_id"] for e in releases}
    return {
        "calls_by_operation": {op: n for op, n in sorted(stats["calls"].items()) if n},
        "throttled_429_by_operation": {op: n for op, n in sorted(stats["throttled"].items()) if n},
        "errors_by_operation": {op: n for op, n in sorted(stats["errors"].items()) if n},
        "total_calls": stats["total_calls"],
        "releases_performed": len(releases),
        "released_twice": twice,
        "performed_equals_reported": performed == released_ids,
    }


def rates(released: int, phase: float, rate: float, burst: int, count: int) -> dict[str, Any]:
    per_second = released / phase if phase > 0 else 0.0
    bound = max(0.0, (count - burst) / rate)
    return {
        "release_phase_seconds": round(phase, 2),
        "releases_per_second": round(per_second, 3),
        "fraction_of_allowed_rate": round(per_second / rate, 3),
        "release_phase_lower_bound_seconds": round(bound, 2),
        "release_phase_over_lower_bound": round(phase / bound, 3) if bound else None,
    }


def run_product(
    count: int, rate: float, burst: int, client_rate: float | None = None
) -> dict[str, Any]:
    client_rate = client_rate or rate
    server, plan, desired = start_emulator(count)
    try:
        limit_emulator(server, rate, burst)
        pacer = Pacer(RateLimit(rate=client_rate, burst=burst))
        connect = TimedInventory(pacer)
        with tempfile.TemporaryDirectory(prefix="bench-apply-") as directory:
            ledger = FileLedger(Path(directory) / "history.jsonl")
            Path(ledger.path).touch()
            executor = Executor(
                connect=connect,
                ledger=ledger,
                clock=lambda: datetime.now(UTC),
                owner="bench/apply_rate.py",
                on_outcome=progress(count, f"product {client_rate:g}/s against {rate:g}/s"),
            )
            start = time.perf_counter()
            report = executor.apply(plan, desired)
            end = time.perf_counter()
            done_records = sum(1 for r in ledger.records() if r.get("status") == "done")
        assert connect.first_lookup is not None and connect.last_release_end is not None
        released = report.count(OutcomeStatus.RELEASED)
        released_ids = {
            o.phone_number_id for o in report.outcomes if o.status is OutcomeStatus.RELEASED
        }
        return {
            "client": "connect-numbers Executor.apply",
            "client_pacing": {"rate": client_rate, "burst": burst},
            "releases_planned": count,
            "released": released,
            "failed": report.count(OutcomeStatus.FAILED),
            "not_released": count - released,
            "stopped": report.stopped,
            "ledger_done_records": done_records,
            "apply_seconds": round(end - start, 2),
            "prechecks_seconds": round(connect.first_lookup - start, 2),
            **rates(released, connect.last_release_end - connect.first_lookup, rate, burst, count),
            "client_429s_seen": pacer.throttles,
            "client_paced_wait_seconds": round(pacer.waited, 2),
            "emulator": emulator_figures(server, released_ids),
        }
    finally:
        server.stop()


def run_naive(count: int, rate: float, burst: int) -> dict[str, Any]:
    import boto3
    import botocore.exceptions

    server, plan, _ = start_emulator(count)
    try:
        limit_emulator(server, rate, burst)
        client = boto3.client("connect", region_name=REGION)
        ids = [r.phone_number_id for r in plan.releases]
        failures: Counter[str] = Counter()
        released_ids: set[str] = set()
        step = max(1, count // 10)
        start = time.perf_counter()
        for index, phone_number_id in enumerate(ids, 1):
            try:
                client.release_phone_number(PhoneNumberId=phone_number_id)
                released_ids.add(phone_number_id)
            except botocore.exceptions.ClientError as exc:
                failures[str(exc.response.get("Error", {}).get("Code", "Unknown"))] += 1
            except botocore.exceptions.BotoCoreError as exc:
                failures[type(exc).__name__] += 1
            if index % step == 0 or index == count:
                log(
                    f"  naive {rate:g}/s: {index}/{count} (released {len(released_ids)}, "
                    f"failed {sum(failures.values())}) {time.perf_counter() - start:.1f} s"
                )
        phase = time.perf_counter() - start
        retries = client.meta.config.retries or {}
        return {
            "client": "naive loop: boto3 release_phone_number, default retries, no pacing",
            "client_retries": {
                "mode": retries.get("mode", "legacy"),
                "total_max_attempts": retries.get("total_max_attempts", 3),
            },
            "releases_planned": count,
            "released": len(released_ids),
            "failed": sum(failures.values()),
            "failures_by_code": dict(failures),
            "apply_seconds": round(phase, 2),
            **rates(len(released_ids), phase, rate, burst, count),
            "emulator": emulator_figures(server, released_ids),
        }
    finally:
        server.stop()


def aggregate(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per scenario, over its repeats: the spread of the rate, and 429s and failures."""
    names = list(dict.fromkeys(r["name"] for r in results))
    scenarios = []
    for name in names:
        runs = [r for r in results if r["name"] == name]
        fractions = [r["fraction_of_allowed_rate"] for r in runs]
        throttled = [sum(r["emulator"]["throttled_429_by_operation"].values()) for r in runs]
        scenarios.append(
            {
                "name": name,
                "runs": len(runs),
                "fraction_of_allowed_rate_min": min(fractions),
                "fraction_of_allowed_rate_median": round(statistics.median(fractions), 3),
                "fraction_of_allowed_rate_max": max(fractions),
                "runs_meeting_target": sum(r["meets_target"] for r in runs),
                "failed_releases_total": sum(r["failed"] for r in runs),
                "throttled_429_total": sum(throttled),
                "throttled_429_per_run_max": max(throttled),
            }
        )
    return scenarios


def summary_line(run: dict[str, Any]) -> str:
    throttled = run["emulator"]["throttled_429_by_operation"]
    return (
        f"{run['name']:<34} released {run['released']:>3}/{run['releases_planned']:<3} "
        f"failed {run['failed']:>2}  phase {run['release_phase_seconds']:>6.2f} s  "
        f"{run['releases_per_second']:>6.2f}/s = {run['fraction_of_allowed_rate']:.3f} of "
        f"{run['rate']:g}/s  429s {sum(throttled.values()):>3} {throttled or ''}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 numbers instead of 200")
    parser.add_argument("--numbers", type=int, help="numbers to release (default 200)")
    parser.add_argument("--raised-rate", type=float, default=20.0, help="default: 20/s")
    parser.add_argument("--raised-burst", type=int, default=5, help="default: 5")
    parser.add_argument(
        "--probe-factor",
        type=float,
        default=0.95,
        help="also apply at the raised limit with the product paced at this fraction of "
        "it (--rate of the CLI); 0 skips this extra run (default: 0.95)",
    )
    parser.add_argument(
        "--only", choices=["product", "naive"], help="run only the product or the naive loop"
    )
    parser.add_argument("--limits", choices=["default", "raised"], help="run only at these limits")
    parser.add_argument(
        "--repeats", type=int, default=1, help="run each scenario this many times (default 1)"
    )
    args = parser.parse_args()
    count = args.numbers or (40 if args.quick else 200)
    hermetic_aws_env("bench")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    plans: list[tuple[str, str, float, int, Callable[[], dict[str, Any]]]] = []
    for limits, rate, burst in [
        ("default", 2.0, 5),
        ("raised", args.raised_rate, args.raised_burst),
    ]:
        plans.append(("product", limits, rate, burst, partial(run_product, count, rate, burst)))
        plans.append(("naive", limits, rate, burst, partial(run_naive, count, rate, burst)))
    if args.probe_factor:
        rate, burst = args.raised_rate, args.raised_burst
        client_rate = round(rate * args.probe_factor, 3)
        plans.append(
            (
                f"product at {client_rate:g}/s",
                "raised",
                rate,
                burst,
                partial(run_product, count, rate, burst, client_rate),
            )
        )
    results = []
    for kind, limits, rate, burst, runner in plans:
        if (args.only and not kind.startswith(args.only)) or args.limits not in (None, limits):
            continue
        name = f"{kind}, {limits} limits ({rate:g}/s, burst {burst})"
        for repeat in range(args.repeats):
            log(f"{name}: {count} releases (run {repeat + 1}/{args.repeats}) ...")
            figures = {"name": name, "limits": limits, "rate": rate, "burst": burst, **runner()}
            figures["meets_target"] = (
                figures["fraction_of_allowed_rate"] >= 0.9 and figures["failed"] == 0
            )
            results.append(figures)
            log(f"  -> {summary_line(figures)}")
    log("summary:")
    for figures in results:
        log(f"  {summary_line(figures)}")
    scenarios = aggregate(results)
    for scenario in scenarios:
        log(f"  {json.dumps(scenario)}")
    document = {"numbers": count, "repeats": args.repeats, "scenarios": scenarios, "runs": results}
    print(json.dumps({"apply_rate": document}, indent=2))


if __name__ == "__main__":
    main()
