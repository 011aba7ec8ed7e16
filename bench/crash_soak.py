"""Soak: SIGKILL an apply at a random moment, rerun it, check the invariants; N times.

DESIGN.md, "Reliability targets": "A crash or kill at any point of an apply loses
no ledger event, and a rerun converges with no double release and no release of
a desired number." This is tests/e2e/test_apply_resilience.py's
test_apply_killed_at_random_moments_converges_on_rerun at soak scale: more
trials (default 100), a larger plan (default 20 releases), and kill times drawn
uniformly over the whole life of the apply process.

Each trial starts a fresh in-process emulator (2 numbers kept, 20 to release,
numbers on 3 flows, 50 requests/s per operation, burst 5), writes numbers.yaml
and an empty ledger, and saves a plan with the CLI (in this process). Then:

1. the CLI applies it as a real process (`python -m reconciler apply PLAN
   --ledger L --rate 10 --burst 1`, real boto3, AWS_ENDPOINT_URL_CONNECT and
   dummy credentials), and is sent SIGKILL after a delay drawn uniformly from
   [0, T], T being the median wall time of 3 uninterrupted applies measured
   first (start-up included), so kills land in start-up, between releases,
   between a release's intent and its done record, and after the end;
2. the ledger is classified as the kill left it (see "killed" below);
3. the same saved plan is applied again by the CLI (in this process) until it
   exits 0 (at most --max-reruns times): the reruns needed are counted;
4. the invariants are checked: no number released twice by the emulator; no
   desired number released; every release the emulator performed recorded
   `done` in the ledger exactly once, and nothing else recorded done; every
   planned number released; and a final `plan --detailed-exitcode` exits 0 with
   "Release: nothing.".

"killed" (the state the kill left): ``finished`` (the process exited before the
kill), ``before_any_intent`` (start-up, listing, first describe), ``intent_without_done``
(mid-release: a number has an intent record and no outcome; split by whether the
emulator had performed that release), ``between_releases`` (every intent has its
outcome, fewer than all done), ``after_last_done`` (all done, still reporting).

On loopback a release is answered in about a millisecond, so the window in
which a kill leaves a release performed but recorded only as an intent is
narrow; ``--release-latency 0.05`` makes every ReleasePhoneNumber answer 50 ms
after it took effect (an emulator after-effect delay fault), as a real API's
latency does, so more kills land in that window.

Run: `.venv/bin/python bench/crash_soak.py [--trials 100] [--releases 20]
[--release-latency S] [--seed S]` (about 5 s per trial on 2 cores). Exits 1 if
any invariant was violated in any trial.
Progress goes to stderr; stdout is a machine line, then one JSON document.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REGION, hermetic_aws_env, log

from connect_emulator import EmulatorServer
from reconciler.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent

ACCOUNT = "111122223333"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TARGET = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE}"
KEEP = ["+12065550100", "+12065550101"]
QUOTA = 50  # phone_numbers in the emulator and numbers.yaml: a limit of 100
FAST = ["--rate", "45", "--burst", "5"]  # planning and reruns, under the emulator's 50/s


def drop_numbers(count: int) -> list[str]:
    return [f"+1206555{300 + i:04d}" for i in range(count)]


class World:
    """One trial's emulator, numbers.yaml, ledger and saved plan."""

    def __init__(self, directory: Path, releases: int, latency: float = 0.0) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.drop = drop_numbers(releases)
        self.server = EmulatorServer(self._seed(), rate=50.0, burst=5).start()
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = self.server.url
        self.numbers = directory / "numbers.yaml"
        self.numbers.write_text(
            f"version: 1\ntargets:\n  - arn: {TARGET}\nquota:\n  phone_numbers: {QUOTA}\n"
            f"safety:\n  max_releases: {releases + 10}\n"
            "numbers:\n" + "".join(f'  - "{n}"\n' for n in KEEP)
        )
        self.ledger = directory / "history.jsonl"
        self.ledger.touch()
        self.plan = directory / "plan.json"
        result = cli(
            "plan",
            "--numbers",
            str(self.numbers),
            "--ledger",
            str(self.ledger),
            "--out",
            str(self.plan),
            *FAST,
        )
        if result[0] != 0:
            self.server.stop()
            raise SystemExit(f"soak setup: plan failed ({result[0]}):\n{result[1]}{result[2]}")
        if latency:
            # The release happens, then its answer takes `latency` seconds: the window
            # in which a kill leaves a performed release with only an intent record.
            self.server.add_fault(
                "delay", operation="ReleasePhoneNumber", rate=1.0, delay=latency, after_effect=True
            )

    def _seed(self) -> dict[str, Any]:
        return {
            "account_id": ACCOUNT,
            "region": REGION,
            "instances": [{"id": INSTANCE}],
            "quota": {"phone_numbers": QUOTA},
            "numbers": [
                {"phone_number": n, "instance": INSTANCE, "flow": f"{TARGET}/contact-flow/f{i % 3}"}
                for i, n in enumerate(KEEP + self.drop)
            ],
        }

    def stop(self) -> None:
        self.server.stop()

    def emulator_releases(self) -> list[dict[str, Any]]:
        return [e for e in self.server.history("emulator") if e["action"] == "release"]

    def ledger_records(self) -> tuple[list[dict[str, Any]], bool]:
        """The ledger's records, and whether its last line is torn (no newline)."""
        text = self.ledger.read_text(encoding="utf-8")
        records = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
        return records, bool(text) and not text.endswith("\n")


def cli(*argv: str) -> tuple[int, str, str]:
    """The CLI in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli_main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def apply_process(world: World, rate: float, burst: int) -> subprocess.Popen[bytes]:
    argv = ["apply", str(world.plan), "--ledger", str(world.ledger)]
    argv += ["--rate", f"{rate:g}", "--burst", str(burst)]
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *argv],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def calibrate(base: Path, args: argparse.Namespace, runs: int) -> dict[str, Any]:
    """Wall time of uninterrupted applies, and where their releases fall in it."""
    walls, starts, spans = [], [], []
    releases = args.releases
    for run in range(runs):
        world = World(base / f"calibrate-{run}", releases, args.release_latency)
        try:
            launched = datetime.now(UTC)
            start = time.perf_counter()
            proc = apply_process(world, args.rate, args.burst)
            code = proc.wait(timeout=120)
            walls.append(time.perf_counter() - start)
            records, _ = world.ledger_records()
            done = [r for r in records if r.get("status") == "done"]
            if code != 0 or len(done) != releases:
                raise SystemExit(f"calibration apply failed: exit {code}, {len(done)} done")
            first = min(parse_time(r["at"]) for r in records if r.get("status") == "intent")
            last = max(parse_time(r["at"]) for r in done)
            starts.append((first - launched).total_seconds())
            spans.append((last - first).total_seconds())
        finally:
            world.stop()
    return {
        "runs": runs,
        "apply_process_seconds_median": round(statistics.median(walls), 3),
        "first_intent_after_seconds_median": round(statistics.median(starts), 3),
        "releases_span_seconds_median": round(statistics.median(spans), 3),
    }


def classify(
    world: World, finished: bool, releases: int
) -> tuple[str, int, int, bool, dict[str, int]]:
    """What the kill left: (kind, dangling intents, of them performed, torn, statuses)."""
    records, torn = world.ledger_records()
    outcome: dict[str, str] = {}
    for r in records:
        if r.get("action") == "release" and "phone_number_id" in r:
            outcome[r["phone_number_id"]] = r["status"]
    statuses = Counter(r.get("status", "?") for r in records)
    dangling = {pid for pid, status in outcome.items() if status == "intent"}
    performed = {e["phone_number_id"] for e in world.emulator_releases()}
    done = statuses.get("done", 0)
    if finished:
        kind = "finished"
    elif not outcome:
        kind = "before_any_intent"
    elif dangling:
        kind = "intent_without_done"
    elif done < releases:
        kind = "between_releases"
    else:
        kind = "after_last_done"
    return kind, len(dangling), len(dangling & performed), torn, dict(statuses)


def check_invariants(world: World) -> list[str]:
    violations = []
    released = world.emulator_releases()
    counts = Counter(e["phone_number"] for e in released)
    twice = sorted(n for n, c in counts.items() if c > 1)
    if twice:
        violations.append(f"released twice by the emulator: {twice}")
    desired = sorted(set(counts) & set(KEEP))
    if desired:
        violations.append(f"desired numbers released: {desired}")
    records, torn = world.ledger_records()
    if torn:
        violations.append("the ledger ends with a torn line after the rerun")
    done = Counter(r["phone_number"] for r in records if r.get("status") == "done")
    done_twice = sorted(n for n, c in done.items() if c > 1)
    if done_twice:
        violations.append(f"recorded done twice: {done_twice}")
    unrecorded = sorted(set(counts) - set(done))
    if unrecorded:
        violations.append(f"released by the emulator but not recorded done: {unrecorded}")
    phantom = sorted(set(done) - set(counts))
    if phantom:
        violations.append(f"recorded done but not released by the emulator: {phantom}")
    left = sorted(set(world.drop) - set(counts))
    if left:
        violations.append(f"planned numbers not released: {left}")
    code, out, err = cli(
        "plan",
        "--numbers",
        str(world.numbers),
        "--ledger",
        str(world.ledger),
        "--detailed-exitcode",
        *FAST,
    )
    if code != 0 or "Release: nothing." not in out:
        violations.append(f"the final plan is not empty (exit {code}): {out}{err}".strip())
    return violations


def trial(
    index: int,
    base: Path,
    args: argparse.Namespace,
    delay: float,
) -> dict[str, Any]:
    world = World(base / f"trial-{index}", args.releases, args.release_latency)
    try:
        proc = apply_process(world, args.rate, args.burst)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.05)  # let the emulator finish a request the killed client left in flight
        kind, dangling, performed, torn, statuses = classify(world, finished, args.releases)
        reruns, rerun_counts, resumed, last_exit, last_output = 0, Counter[str](), 0, None, ""
        while reruns < args.max_reruns:
            reruns += 1
            code, out, err = cli(
                "apply", str(world.plan), "--ledger", str(world.ledger), "--format", "json", *FAST
            )
            last_exit, last_output = code, (out + err)[-2000:]
            with contextlib.suppress(ValueError):
                report = json.loads(out)
                rerun_counts.update(report["counts"])
                # Retried with the same token, or found gone after the killed intent
                # (recorded done, before planning or in the loop).
                resumed += len(report.get("confirmed", [])) + sum(
                    "interrupted earlier attempt" in o["message"]
                    or o["message"].startswith("confirmed:")
                    for o in report["outcomes"]
                )
            if code == 0:
                break
        violations = check_invariants(world)
        if last_exit != 0:
            violations.append(
                f"no rerun succeeded in {reruns} (last exit {last_exit}): {last_output}"
            )
        return {
            "trial": index,
            "kill_after_seconds": round(delay, 3),
            "killed": kind,
            "exit_before_kill": proc.returncode if finished else None,
            "dangling_intents": dangling,
            "dangling_intents_performed": performed,
            "torn_tail": torn,
            "ledger_statuses_after_kill": statuses,
            "reruns": reruns,
            "rerun_counts": {k: v for k, v in rerun_counts.items() if v},
            "rerun_resumed": resumed,
            "violations": violations,
        }
    finally:
        world.stop()


def summarize(trials: list[dict[str, Any]], releases: int) -> dict[str, Any]:
    kinds = Counter(t["killed"] for t in trials)
    rerun_totals: Counter[str] = Counter()
    for t in trials:
        rerun_totals.update(t["rerun_counts"])
    done_at_kill = [t["ledger_statuses_after_kill"].get("done", 0) for t in trials]
    return {
        "trials": len(trials),
        "releases_per_trial": releases,
        "killed": {k: kinds.get(k, 0) for k in KINDS},
        "killed_mid_apply_intent_without_done": kinds.get("intent_without_done", 0),
        "dangling_intents": sum(t["dangling_intents"] for t in trials),
        "dangling_intents_release_performed": sum(t["dangling_intents_performed"] for t in trials),
        "dangling_intents_release_not_performed": sum(
            t["dangling_intents"] - t["dangling_intents_performed"] for t in trials
        ),
        "torn_ledger_tails": sum(t["torn_tail"] for t in trials),
        "releases_done_before_kill_total": sum(done_at_kill),
        "reruns_needed": dict(sorted(Counter(t["reruns"] for t in trials).items())),
        "rerun_outcomes_total": dict(rerun_totals),
        "rerun_resumed_interrupted_total": sum(t["rerun_resumed"] for t in trials),
        "trials_with_violations": sum(bool(t["violations"]) for t in trials),
        "violations": [
            {"trial": t["trial"], "violations": t["violations"]} for t in trials if t["violations"]
        ],
    }


KINDS = (
    "before_any_intent",
    "intent_without_done",
    "between_releases",
    "after_last_done",
    "finished",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--releases", type=int, default=20, help="numbers each plan releases")
    parser.add_argument("--rate", type=float, default=10.0, help="the killed apply's --rate")
    parser.add_argument("--burst", type=int, default=1, help="the killed apply's --burst")
    parser.add_argument("--seed", type=int, default=20261126, help="RNG seed of kill times")
    parser.add_argument(
        "--max-kill",
        type=float,
        help="kill delays are uniform on [0, this] (default: calibrated apply wall time)",
    )
    parser.add_argument("--max-reruns", type=int, default=3)
    parser.add_argument(
        "--release-latency",
        type=float,
        default=0.0,
        help="every ReleasePhoneNumber answers this many seconds after it took effect "
        "(an emulator delay fault; default 0: loopback speed)",
    )
    parser.add_argument("--trials-out", help="also write every trial's record (JSON) here")
    args = parser.parse_args()
    hermetic_aws_env("soak")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="crash-soak-") as directory:
        base = Path(directory)
        log(f"calibrating: 3 uninterrupted applies of {args.releases} releases ...")
        calibration = calibrate(base, args, 3)
        log(f"  {calibration}")
        max_kill = args.max_kill or calibration["apply_process_seconds_median"]
        trials = []
        for index in range(args.trials):
            record = trial(index, base, args, rng.uniform(0.0, max_kill))
            trials.append(record)
            log(
                f"trial {index + 1}/{args.trials}: kill at {record['kill_after_seconds']:.2f} s, "
                f"{record['killed']}, done {record['ledger_statuses_after_kill'].get('done', 0)}"
                f"/{args.releases}, reruns {record['reruns']}"
                + (f", VIOLATIONS {record['violations']}" if record["violations"] else "")
            )
    summary = summarize(trials, args.releases)
    result = {
        "crash_soak": {
            "command": " ".join(sys.argv),
            "seed": args.seed,
            "killed_apply": {"rate": args.rate, "burst": args.burst},
            "release_latency_seconds": args.release_latency,
            "calibration": calibration,
            "kill_delay_range_seconds": [0.0, round(max_kill, 3)],
            **summary,
            "wall_seconds": round(time.perf_counter() - started, 1),
        }
    }
    print(json.dumps(result, indent=2))
    if args.trials_out:
        Path(args.trials_out).write_text(json.dumps(trials, indent=2) + "\n")
    if summary["trials_with_violations"]:
        log(f"FAILED: {summary['trials_with_violations']} trial(s) violated an invariant")
        sys.exit(1)


if __name__ == "__main__":
    main()
