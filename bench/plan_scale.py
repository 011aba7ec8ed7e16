"""Benchmark: planning at scale, and what reading the inventory costs in API calls.

1. Plan 100,000 live numbers against 100,000 desired with 1,000,000 history
   events (DESIGN.md target: under 2 s and under 1 GiB on one core). Reports
   the median wall time of the pure planner over several runs, and the peak
   memory the planning itself allocates (tracemalloc, in a separate run so the
   tracing does not distort the timing) beside the process's peak RSS.
2. Read 10,000 numbers from the bundled emulator with real boto3 and count the
   API calls by operation, beside the calls a call-per-number refresh (as
   Terraform's aws_connect_phone_number does with DescribePhoneNumber) costs,
   and the time each would take at AWS's default 2 requests/s, burst 5.

Run: `.venv/bin/python bench/plan_scale.py [--quick]` (`make bench` runs it with `--quick`,
`make bench-all` without).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler.app import service
from reconciler.core import planner
from reconciler.core.model import (
    Action,
    DesiredNumber,
    DesiredState,
    HistoryEvent,
    Inventory,
    LiveNumber,
    NumberStatus,
    Policy,
    QuotaPolicy,
    Target,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)
ACCOUNT = "111122223333"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE}"
FLOW_PREFIX = f"{TARGET}/contact-flow/"


def number(i: int) -> str:
    # +1 206 2xx xxxx .. valid NANP numbers, distinct for i < 8,000,000
    return f"+1206{2000000 + i:07d}"


def build(
    live_count: int, desired_count: int, events: int
) -> tuple[DesiredState, Inventory, list[HistoryEvent]]:
    """Live numbers 0..L-1; desired numbers 1% fewer shared plus 1% missing ones."""
    released = live_count // 100
    desired_numbers = tuple(
        DesiredNumber(phone_number=number(i)) for i in range(released, released + desired_count)
    )
    state = DesiredState(
        targets=(Target(arn=TARGET),),
        quota=QuotaPolicy(phone_numbers=100_000),
        numbers=desired_numbers,
        max_releases=None,
        source="bench-numbers.yaml",
        fingerprint="sha256:bench",
    )
    flows = [
        f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE}/contact-flow/f{i}"
        for i in range(500)
    ]
    live = tuple(
        LiveNumber(
            phone_number=number(i),
            phone_number_id=f"{i:08d}-0000-4000-8000-000000000000",
            phone_number_arn=f"arn:aws:connect:us-east-1:{ACCOUNT}:phone-number/{i:08d}",
            target_arn=TARGET,
            number_type="DID",
            status=NumberStatus.CLAIMED,
            flows=(flows[i % len(flows)],),
        )
        for i in range(live_count)
    )
    step = timedelta(days=400) / max(events, 1)
    history = [
        HistoryEvent(
            action=Action.RELEASE if i % 2 else Action.CLAIM,
            phone_number=number(i % 5_000_000),
            at=NOW - timedelta(days=400) + step * i,
        )
        for i in range(events)
    ]
    return state, Inventory(targets=(TARGET,), numbers=live), history


def bench_plan(live_count: int, desired_count: int, events: int, runs: int) -> dict[str, object]:
    state, inventory, history = build(live_count, desired_count, events)
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = planner.plan(state, inventory, history, policy=Policy(), now=NOW)
        times.append(time.perf_counter() - start)
    assert result is not None
    tracemalloc.start()
    planner.plan(state, inventory, history, policy=Policy(), now=NOW)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "live": live_count,
        "desired": desired_count,
        "history_events": events,
        "releases": len(result.releases),
        "keeps": len(result.keeps),
        "missing": len(result.missing),
        "quota_used": result.quota.used,
        "plan_seconds_median": round(statistics.median(times), 3),
        "plan_seconds_max": round(max(times), 3),
        "plan_peak_alloc_mib": round(peak / 2**20, 1),
        "process_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def paced_seconds(calls: int, rate: float = 2.0, burst: int = 5) -> float:
    """Time for `calls` requests of one operation through a full token bucket."""
    return max(0.0, (calls - burst) / rate)


def bench_read(count: int) -> dict[str, object]:
    from connect_emulator import EmulatorServer
    from reconciler.aws.connect import ConnectInventory
    from reconciler.core.model import DesiredState as DS
    from reconciler.core.pacing import Pacer, RateLimit

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1"
    )
    seed = {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "instances": [{"id": INSTANCE}],
        "numbers": [
            {
                "phone_number": number(i),
                "instance": INSTANCE,
                "flow": f"{FLOW_PREFIX}f{i % 50}",
            }
            for i in range(count)
        ],
    }
    # Keep 99% of the numbers: the plan describes only the 1% it would release.
    keep = tuple(DesiredNumber(phone_number=number(i)) for i in range(count // 100, count))
    state = DS(targets=(Target(arn=TARGET),), quota=QuotaPolicy(phone_numbers=count), numbers=keep)
    with EmulatorServer(seed, rate=None) as server:
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = server.url
        start = time.perf_counter()
        inventory = service.read_inventory(
            ConnectInventory(pacer=Pacer(RateLimit(rate=None))), state
        )
        elapsed = time.perf_counter() - start
        stats = server.stats()
    calls = {op: n for op, n in stats.get("calls", stats).items() if n}
    ours = sum(calls.values())
    list_calls = calls.get("ListPhoneNumbersV2", 0)
    per_number = list_calls + count  # list once, then describe every number
    ours_paced = sum(paced_seconds(n) for n in calls.values())
    return {
        "numbers": len(inventory.numbers),
        "calls_by_operation": calls,
        "calls_total": ours,
        "call_per_number_refresh_calls": per_number,
        "ratio": round(per_number / ours, 1),
        "read_seconds_unthrottled": round(elapsed, 2),
        "seconds_at_2_per_s_ours": ours_paced,
        "seconds_at_2_per_s_call_per_number": paced_seconds(list_calls) + paced_seconds(count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}; pinned to one core")
    plan = bench_plan(100_000 // scale, 100_000 // scale, 1_000_000 // scale, args.runs)
    print(json.dumps({"plan": plan}, indent=2))
    read = bench_read(10_000 // scale)
    print(json.dumps({"read": read}, indent=2))


if __name__ == "__main__":
    main()
