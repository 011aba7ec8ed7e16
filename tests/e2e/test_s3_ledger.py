"""Two pipelines, one shared S3 ledger: the CLI as real processes, real boto3, the Connect
emulator and a local S3 (moto over HTTP).

Two applies started at the same moment never spend more than the quota's
headroom together; a killed apply leaves a lease that the next apply reports,
with the command that breaks it; after `ledger unlock` the next apply resumes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconciler.aws.ledger_s3 import S3Ledger
from reconciler.ledger import LedgerRecord

from .support import FAST, cli, cli_process

ACCOUNT = "111122223333"
A, B = "aaaaaaaa-0000-0000-0000-00000000000a", "bbbbbbbb-0000-0000-0000-00000000000b"
TARGETS = {i: f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{i}" for i in (A, B)}
KEEP = {A: ["+12065550100"], B: ["+12065550110"]}
DROP = {
    A: ["+12065550201", "+12065550202", "+12065550203"],
    B: ["+12065550211", "+12065550212", "+12065550213"],
}
QUOTA = 10  # the rolling limit is 20 actions per 180 days
EARLIER = 15  # actions already in the shared history: 5 left; each plan releases 3


def seed() -> dict[str, Any]:
    return {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "instances": [{"id": A}, {"id": B}],
        "quota": {"phone_numbers": QUOTA, "window_days": 180, "limit_percent": 200},
        "numbers": [
            {"phone_number": n, "instance": i, "flow": f"{TARGETS[i]}/contact-flow/f{k}"}
            for i in (A, B)
            for k, n in enumerate(KEEP[i] + DROP[i])
        ],
    }


def make_world(emulator_factory: Any, s3: Any, directory: Path, key: str) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    server = emulator_factory(seed(), rate=50.0, burst=5)
    url = f"s3://ledgers/{key}"
    store = S3Ledger.from_url(url)
    now = datetime.now(UTC)
    for k in range(EARLIER):
        store.append(
            LedgerRecord(
                action="claim",
                phone_number=f"+1206555{3000 + k}",
                at=now - timedelta(days=1, minutes=k),
                status="done",
            )
        )
    files = {}
    for name, instance in (("a", A), ("b", B)):
        numbers = directory / f"numbers-{name}.yaml"
        numbers.write_text(
            f"version: 1\ntargets:\n  - arn: {TARGETS[instance]}\n"
            f"quota:\n  phone_numbers: {QUOTA}\nnumbers:\n"
            + "".join(f'  - "{n}"\n' for n in KEEP[instance])
        )
        saved = directory / f"plan-{name}.json"
        planned = cli(
            "plan", "--numbers", str(numbers), "--ledger", url, "--out", str(saved), *FAST
        )
        assert planned.returncode == 0, planned.stdout + planned.stderr
        assert "3 to release" in planned.stdout or "Release 3" in planned.stdout, planned.stdout
        files[name] = saved
    return {"server": server, "url": url, "key": key, "plans": files, "s3": s3}


def records(world: dict[str, Any]) -> list[dict[str, Any]]:
    client = world["s3"].client()
    text = client.get_object(Bucket="ledgers", Key=world["key"])["Body"].read().decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def released(world: dict[str, Any]) -> Counter[str]:
    history = world["server"].history("emulator")
    return Counter(e["phone_number"] for e in history if e["action"] == "release")


def check_invariants(world: dict[str, Any]) -> None:
    counts = released(world)
    assert all(c == 1 for c in counts.values()), f"released twice: {counts}"
    assert not set(counts) & {n for keep in KEEP.values() for n in keep}
    assert EARLIER + sum(counts.values()) <= 2 * QUOTA, f"the quota was exceeded: {counts}"
    done = Counter(r["phone_number"] for r in records(world) if r.get("status") == "done")
    recorded = {n for n in done if n in {d for drops in DROP.values() for d in drops}}
    assert recorded == set(counts), "a release the emulator performed is not in the ledger"


def apply_command(world: dict[str, Any], name: str, *extra: str) -> list[str]:
    plan = str(world["plans"][name])
    return [sys.executable, "-m", "reconciler", "apply", plan, "--ledger", world["url"], *extra]


ROUNDS = 6


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_applies_started_together_never_exceed_the_quota(
    emulator_factory: Any, s3: Any, tmp_path: Path, round_: int
) -> None:
    world = make_world(emulator_factory, s3, tmp_path, f"race-{round_}.jsonl")
    env = {**os.environ}
    both = [
        subprocess.Popen(
            apply_command(world, name, *FAST),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in ("a", "b")
    ]
    results = [p.communicate(timeout=120) for p in both]
    codes = [p.returncode for p in both]
    check_invariants(world)
    # One took the lease and released its 3. The other was refused by the lease,
    # or, when it took the lease after the first finished, by the quota re-check
    # (3 more no longer fit the 2 left): a plan is applied whole or not at all.
    assert 0 in codes, results
    other = codes.index(0) ^ 1
    out, err = results[other]
    if "leased by another apply" in err:
        assert codes[other] == 1
        again = cli_process(*apply_command(world, "ab"[other], *FAST)[3:])
        out, err = again.stdout, again.stderr
        codes[other] = again.returncode
    # Refused whole, exit 3: by apply's fresh plan (the quota rule re-decided on the
    # history as it is now) or, when the other apply finished in between, by the gate.
    assert codes[other] == 3, out + err
    assert "[quota_exceeded]" in out or "the quota no longer allows it" in out, out + err
    assert "nothing was released" in out, out + err
    check_invariants(world)
    assert sum(released(world).values()) == 3


def test_a_killed_apply_leaves_a_lease_the_next_apply_reports_then_unlock_resumes(
    emulator_factory: Any, s3: Any, tmp_path: Path
) -> None:
    world = make_world(emulator_factory, s3, tmp_path, "killed.jsonl")
    world["server"].set_rate_limit("ReleasePhoneNumber", 1.0, 1)  # a slow apply
    victim = subprocess.Popen(
        apply_command(world, "a", "--rate", "1", "--burst", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    deadline = time.monotonic() + 60
    while victim.poll() is None and time.monotonic() < deadline:  # wait for its first intent
        if any(r.get("status") == "intent" for r in records(world)):
            break
        time.sleep(0.05)
    if victim.poll() is not None:
        pytest.fail(f"the apply ended before it could be killed: {victim.communicate()}")
    victim.send_signal(signal.SIGKILL)
    out, err = victim.communicate(timeout=30)
    lease = S3Ledger.from_url(world["url"]).lease()
    assert lease is not None, f"a killed apply leaves its lease: {victim.returncode} {out} {err}"
    lease_id = lease[0].lease_id

    refused = cli_process(*apply_command(world, "a", *FAST)[3:])
    assert refused.returncode == 1
    assert "leased by another apply" in refused.stderr
    assert f"pid {victim.pid}" in refused.stderr
    assert f"connect-numbers ledger unlock {lease_id} --ledger {world['url']}" in refused.stderr

    wrong = cli("ledger", "unlock", "0000000000000000", "--ledger", world["url"])
    assert wrong.returncode == 1 and "left it alone" in wrong.stderr
    broke = cli("ledger", "unlock", lease_id, "--ledger", world["url"])
    assert broke.returncode == 0, broke.stderr
    assert f"Broke lease {lease_id}" in broke.stdout

    resumed = cli_process(*apply_command(world, "a", *FAST)[3:])
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    check_invariants(world)
    assert sorted(released(world)) == DROP[A]
    assert S3Ledger.from_url(world["url"]).lease() is None


def test_unlock_of_a_file_ledger_explains_that_its_lock_frees_itself(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.touch()
    result = cli("ledger", "unlock", "abc", "--ledger", str(path))
    assert result.returncode == 1
    assert "frees itself when the process holding it exits" in result.stderr
