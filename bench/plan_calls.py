"""Benchmark: what a plan costs in Connect calls, and how long a 100k plan takes (issue 12).

1. Calls by operation, counted by the emulator, at n = 1k, 10k, 100k numbers on
   one instance target (every number has a flow: a = n) and R = 0, 10, 100
   release candidates, against the formula

       ceil(n/1000) ListPhoneNumbersV2 + R DescribePhoneNumber
       + (R > 0) ceil(R/100) BatchGetFlowAssociation + at most ceil(a/1000) ListFlowAssociations

   with the candidates' flows "shared" with kept numbers (the listing of flow
   associations stops at its first page) or one of them "lonely" (only the last
   page proves it loses its last number), and the plans refused from the listing
   alone (a mass release, an empty file). Beside each, what the read cost before
   issue 12 (ceil(n/1000) + ceil(a/1000) + R, describes included when refused).
2. The 100k plan (R = 10, shared flows, max_releases 10) as a user runs it: a
   `connect-numbers plan` process against the emulator at AWS's default
   2 requests/s with a burst of 5 per operation, beside its bound: the 100 list
   pages of one target follow each other (NextToken), so it cannot end before
   (100 - 5) / 2 = 47.5 s; the goal is 1.1x that. The same with nothing to
   release (R = 0) and with 5 (R = 5: the describes fit in the burst), the
   read alone (in this process, paced the same) at R = 10 and R = 0, and the
   whole plan unthrottled.

Run: `.venv/bin/python bench/plan_calls.py [--quick] [--only calls|time]
[--before CHECKOUT]` (``--before`` also times the plan of another checkout,
such as the commit before issue 12, with the same emulator).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import hermetic_aws_env, log

from connect_emulator import EmulatorServer
from reconciler.app import service
from reconciler.aws.connect import ConnectInventory
from reconciler.core.model import (
    DesiredNumber,
    DesiredState,
    Policy,
    QuotaPolicy,
    Target,
)
from reconciler.core.pacing import Pacer, RateLimit

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE}"
FLOW = f"{TARGET}/contact-flow/"
NOW = datetime(2026, 11, 28, tzinfo=UTC)
OPERATIONS = (
    "ListPhoneNumbersV2",
    "DescribePhoneNumber",
    "BatchGetFlowAssociation",
    "ListFlowAssociations",
)


def number(i: int) -> str:
    return f"+1206{2000000 + i:07d}"


def seed(n: int) -> dict[str, Any]:
    """n numbers, each with a flow: number 0 alone has `lonely`, the others share 50."""
    flows = [FLOW + ("lonely" if i == 0 else f"f{i % 50}") for i in range(n)]
    numbers = [dict(phone_number=number(i), instance=INSTANCE, flow=f) for i, f in enumerate(flows)]
    return {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "instances": [{"id": INSTANCE}],
        "numbers": numbers,
    }


def candidates(r: int, spread: str) -> range:
    """Which numbers the file drops: 1..r share their flows; 0..r-1 include `lonely`."""
    return range(0, r) if spread == "lonely" else range(1, r + 1)


def desired(n: int, drop: range, *, max_releases: int | None) -> DesiredState:
    keep = [number(i) for i in range(n) if i not in drop]
    return DesiredState(
        targets=(Target(arn=TARGET),),
        quota=QuotaPolicy(phone_numbers=1_000_000),
        numbers=tuple(DesiredNumber(phone_number=p) for p in keep),
        max_releases=max_releases,
    )


def read_calls(server: EmulatorServer, state: DesiredState) -> tuple[dict[str, int], float, Any]:
    server.reset_stats()
    reader = ConnectInventory(pacer=Pacer(RateLimit(rate=None)))
    start = time.perf_counter()
    plan = service.make_plan(state, reader, [], policy=Policy(), now=NOW)
    elapsed = time.perf_counter() - start
    calls = server.stats()["calls"]
    return {op: calls.get(op, 0) for op in OPERATIONS}, elapsed, plan


def expected(n: int, r: int, spread: str, refused: bool) -> dict[str, int]:
    pages = math.ceil(n / 1000)
    if refused or r == 0:
        return {"ListPhoneNumbersV2": pages}
    flows = 1 if spread == "shared" else math.ceil(n / 1000)
    return {
        "ListPhoneNumbersV2": pages,
        "DescribePhoneNumber": r,
        "BatchGetFlowAssociation": math.ceil(r / 100),
        "ListFlowAssociations": flows,
    }


def bench_calls(sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        log(f"calls: seeding {n} numbers")
        with EmulatorServer(seed(n), rate=None) as server:
            os.environ["AWS_ENDPOINT_URL_CONNECT"] = server.url
            cases: list[tuple[str, int, str, int | None]] = [("plan", 0, "shared", None)]
            cases += [("plan", r, s, None) for r in (10, 100) for s in ("shared", "lonely")]
            cases += [("refused: mass release", 100, "lonely", 10)]
            cases += [("refused: empty file", n, "lonely", None)]
            for kind, r, spread, cap in cases:
                state = desired(n, candidates(r, spread), max_releases=cap)
                calls, seconds, plan = read_calls(server, state)
                refused = kind.startswith("refused")
                assert plan.refused == refused and plan.described == (not refused), kind
                total = sum(calls.values())
                bound = math.ceil(n / 1000) + (0 if refused else r)
                if r and not refused:
                    bound += math.ceil(r / 100) + math.ceil(n / 1000)
                before = math.ceil(n / 1000) + math.ceil(n / 1000) + r
                want = expected(n, r, spread, refused)
                rows.append(
                    {
                        "n": n,
                        "R": r,
                        "case": kind if refused else f"{kind}, flows {spread}",
                        "calls": {op: c for op, c in calls.items() if c},
                        "total": total,
                        "formula_bound": bound,
                        "within_formula": total <= bound,
                        "as_predicted": {op: c for op, c in calls.items() if c} == want,
                        "before_issue_12": before,
                        "read_seconds_unthrottled": round(seconds, 2),
                    }
                )
                log(f"  n={n} R={r} {rows[-1]['case']}: {rows[-1]['calls']} ({total} <= {bound})")
    return rows


def numbers_file(directory: Path, n: int, drop: range, max_releases: int) -> Path:
    path = directory / "numbers.yaml"
    with path.open("w") as out:
        out.write(f"version: 1\ntargets:\n  - arn: {TARGET}\n")
        out.write(f"quota:\n  phone_numbers: 1000000\nsafety:\n  max_releases: {max_releases}\n")
        out.write("numbers:\n")
        out.writelines(f'  - "{number(i)}"\n' for i in range(n) if i not in drop)
    return path


def fresh_buckets(server: EmulatorServer, rate: float | None) -> None:
    """Every Connect operation's bucket full again (a new minute of the account)."""
    for op in (*OPERATIONS, "ReleasePhoneNumber"):
        server.set_rate_limit(op, rate, burst=5)


def plan_process(checkout: Path, numbers: Path, rate: float | None) -> dict[str, Any]:
    argv = [sys.executable, "-m", "reconciler", "plan", "--numbers", str(numbers), "--quiet"]
    if rate is None:
        argv += ["--rate", "1000000"]  # no pacing worth the name
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=checkout, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 2):
        raise RuntimeError(f"plan failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = next(line for line in done.stdout.splitlines() if line.startswith("Plan: "))
    return {"seconds": round(seconds, 1), "summary": summary}


def bench_time(n: int, r: int, before: Path | None) -> dict[str, Any]:
    pages = math.ceil(n / 1000)
    bound = (pages - 5) / 2.0
    drop = candidates(r, "shared")
    result: dict[str, Any] = {
        "n": n,
        "R": r,
        "bound_seconds": bound,
        "goal_seconds": round(1.1 * bound, 2),
        "paced_floor_seconds": round((pages - 5) / (2.0 * 0.95), 2),
    }
    log(f"time: seeding {n} numbers")
    with (
        EmulatorServer(seed(n), rate=None) as server,
        tempfile.TemporaryDirectory(prefix="plan-calls-") as tmp,
    ):
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = server.url
        numbers = numbers_file(Path(tmp), n, drop, max_releases=10)
        state = desired(n, drop, max_releases=10)

        for label, read_state in (
            ("read_at_2_per_s", state),
            ("read_at_2_per_s_nothing_to_release", desired(n, range(0), max_releases=10)),
        ):
            fresh_buckets(server, 2.0)
            server.reset_stats()
            log(f"time: {label} (the read alone, in this process)")
            reader = ConnectInventory(pacer=Pacer(RateLimit(rate=2.0, burst=5)))
            start = time.perf_counter()
            service.make_plan(read_state, reader, [], policy=Policy(), now=NOW)
            read = time.perf_counter() - start
            result[label] = {
                "seconds": round(read, 1),
                "of_bound": round(read / bound, 3),
                "calls": {op: c for op, c in server.stats()["calls"].items() if c},
                "throttled": server.stats()["throttled"],
            }

        (Path(tmp) / "all").mkdir()
        everything = numbers_file(Path(tmp) / "all", n, range(0), max_releases=10)
        (Path(tmp) / "burst").mkdir()
        # R = 5: the describes fit in the burst of 5 (a sixth waits 1 / 1.9 s).
        five = numbers_file(Path(tmp) / "burst", n, candidates(5, "shared"), max_releases=10)
        for label, file in (
            ("plan_at_2_per_s", numbers),
            ("plan_at_2_per_s_nothing_to_release", everything),
            ("plan_at_2_per_s_five_to_release", five),
        ):
            fresh_buckets(server, 2.0)
            server.reset_stats()
            log(f"time: {label} (a connect-numbers plan process)")
            run = plan_process(ROOT, file, 2.0)
            run["of_bound"] = round(run["seconds"] / bound, 3)
            run["throttled"] = server.stats()["throttled"]
            result[label] = run

        fresh_buckets(server, None)
        log("time: connect-numbers plan unthrottled")
        result["plan_unthrottled"] = plan_process(ROOT, numbers, None)
        if before is not None:
            fresh_buckets(server, 2.0)
            log(f"time: the plan of {before} at 2 requests/s")
            old = plan_process(before, numbers, 2.0)
            old["of_bound"] = round(old["seconds"] / bound, 3)
            result["before_at_2_per_s"] = old
            fresh_buckets(server, None)
            log(f"time: the plan of {before} unthrottled")
            result["before_unthrottled"] = plan_process(before, numbers, None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n up to 10k only")
    parser.add_argument("--only", choices=["calls", "time"])
    parser.add_argument("--before", type=Path, help="a checkout to time as well")
    args = parser.parse_args()
    hermetic_aws_env("plan-calls")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}; load average {os.getloadavg()[0]:.1f} at start")
    out: dict[str, Any] = {}
    if args.only in (None, "calls"):
        out["calls"] = bench_calls([1000, 10_000] if args.quick else [1000, 10_000, 100_000])
    if args.only in (None, "time"):
        out["time"] = bench_time(10_000 if args.quick else 100_000, 10, args.before)
    out["load_average_at_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
