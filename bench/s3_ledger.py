"""What a shared S3 ledger costs: append latency as the history grows, and contention.

S3 has no append: each record rewrites the live object with a conditional
write. Records older than the window and a margin (210 days) move into
immutable archives once 1 MiB is due (``ledger_archive``), so an append
rewrites only the window. This measures, against moto's S3 served over HTTP
on 127.0.0.1:

1. the time of one append (GET-free: the ledger keeps the text it last wrote)
   and of one fresh read, for ledgers of 0 to 100,000 records (about 390 bytes
   each), one record an hour (100,000 records: 11 years), three ways:
   ``archived`` (the product: the first append moves the old records, timed
   apart, then the appends that follow), ``whole`` (moving disabled: every
   append rewrites everything, as before issue 12) and ``window`` (every
   record within the last day: nothing may move, the cost the window sets);
   beside it, a file ledger's append (one O_APPEND write, any size);
2. the S3 requests an apply makes per release (lease check, conditional PUTs);
3. N processes appending at the same moment: conflicts retried, records lost
   (must be 0), and the time until all are in.

Local S3 has no network latency: on real S3 add one round trip (typically
10-30 ms within a region) per request. Usage::

    .venv/bin/python bench/s3_ledger.py [--sizes 0,10000,100000] [--writers 8]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import hermetic_aws_env, log
from reconciler.aws.ledger_s3 import S3Ledger
from reconciler.ledger import FileLedger, LedgerRecord
from tests.s3_server import S3Server

BUCKET = "bench"
T0 = datetime(2026, 6, 1, tzinfo=UTC)


NOW = datetime(2026, 11, 28, tzinfo=UTC)
SPACING = {"archived": timedelta(hours=1), "whole": timedelta(hours=1), "window": timedelta(0)}


def record(i: int, status: str = "done", at: datetime | None = None) -> LedgerRecord:
    return LedgerRecord(
        action="release",
        phone_number=f"+1206{5550000 + i % 10000000:07d}",
        at=at or T0 + timedelta(seconds=i),
        status=status,
        phone_number_id=f"{i:08d}-aaaa-bbbb-cccc-dddddddddddd",
        target_arn="arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeee",
        plan_id="sha256:" + "0" * 64,
        client_token=f"sha256:{'0' * 16}/{i:08d}",
    )


def counting(store: S3Ledger) -> Counter[str]:
    calls: Counter[str] = Counter()
    store.client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    return calls


def history(size: int, spacing: timedelta) -> bytes:
    """``size`` records, the last one now, ``spacing`` apart (0: all within the last day)."""
    step = spacing if spacing else timedelta(seconds=86_000 / max(size, 1))
    return b"".join(record(i, at=NOW - (size - i) * step).to_line() for i in range(size))


def latency(client: Any, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        for how, spacing in SPACING.items():
            key = f"size-{size}-{how}.jsonl"
            body = history(size, spacing)
            client.put_object(Bucket=BUCKET, Key=key, Body=body)
            kept = {"archive_min_bytes": None} if how == "whole" else {}
            store = S3Ledger(BUCKET, key, clock=lambda: NOW, **kept)  # type: ignore[arg-type]
            start = time.perf_counter()
            store.read()
            read_s = time.perf_counter() - start
            start = time.perf_counter()
            store.append(record(size, at=NOW))
            first_s = time.perf_counter() - start
            appends = []
            for i in range(repeats):
                start = time.perf_counter()
                store.append(record(size + 1 + i, at=NOW))
                appends.append(time.perf_counter() - start)
            live = client.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
            listed = client.list_objects_v2(Bucket=BUCKET, Prefix=key + ".archive/")
            start = time.perf_counter()
            S3Ledger(BUCKET, key, clock=lambda: NOW).read()
            fresh_read_s = time.perf_counter() - start
            rows.append(
                {
                    "records": size,
                    "how": how,
                    "bytes": len(body),
                    "read_ms": round(read_s * 1000, 1),
                    "first_append_ms": round(first_s * 1000, 1),
                    "append_ms_median": round(statistics.median(appends) * 1000, 1),
                    "append_ms_max": round(max(appends) * 1000, 1),
                    "live_bytes_after": live,
                    "archives": len(listed.get("Contents", [])),
                    "fresh_read_ms": round(fresh_read_s * 1000, 1),
                }
            )
            log(f"  {size} records, {how}: {rows[-1]}")
    return rows


def file_latency(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """A file ledger's append: one O_APPEND write and an fsync, whatever the size."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"size-{size}.jsonl"
            path.write_bytes(history(size, SPACING["archived"]))
            store = FileLedger(path, clock=lambda: NOW)
            appends = []
            for i in range(repeats):
                start = time.perf_counter()
                store.append(record(size + i, at=NOW))
                appends.append(time.perf_counter() - start)
            rows.append(
                {
                    "records": size,
                    "append_ms_median": round(statistics.median(appends) * 1000, 2),
                    "append_ms_max": round(max(appends) * 1000, 2),
                }
            )
            log(f"  file, {size} records: {rows[-1]}")
    return rows


def per_release(client: Any) -> dict[str, Any]:
    """The S3 requests of an apply's lease and of one release's three records."""
    client.put_object(Bucket=BUCKET, Key="apply.jsonl", Body=b"")
    store = S3Ledger(BUCKET, "apply.jsonl")
    calls = counting(store)
    with store.lock("bench apply"):
        store.read()
        setup = sum(calls.values())
        calls.clear()
        for i in range(10):
            store.append(record(i, "intent"))
            store.append(record(i, "done"))
        per = {k: v / 10 for k, v in calls.items()}
    return {"lease_and_first_read": setup, "per_release_intent_and_done": per}


WRITER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from bench.s3_ledger import record
from reconciler.aws.ledger_s3 import S3Ledger
store = S3Ledger("bench", "race.jsonl")
store.read()
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))
start = time.perf_counter()
for i in range(int(sys.argv[4])):
    store.append(record(int(sys.argv[2]) * 1000 + i))
print(time.perf_counter() - start)
"""


def contention(client: Any, endpoint: str, writers: int, each: int) -> dict[str, Any]:
    import os

    client.put_object(Bucket=BUCKET, Key="race.jsonl", Body=b"")
    root = str(Path(__file__).resolve().parent.parent)
    start_at = time.time() + 3
    env = {**os.environ, "AWS_ENDPOINT_URL_S3": endpoint}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, root, str(w), str(start_at), str(each)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(writers)
    ]
    times = [float(child.communicate(timeout=600)[0]) for child in children]
    text = client.get_object(Bucket=BUCKET, Key="race.jsonl")["Body"].read().decode()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {
        "writers": writers,
        "records_each": each,
        "records_in_ledger": len(lines),
        "lost": writers * each - len(lines),
        "slowest_writer_s": round(max(times), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0,10000,100000")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--each", type=int, default=20)
    args = parser.parse_args()
    hermetic_aws_env("s3-bench")
    import os

    import boto3

    endpoint = S3Server().url
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    log("append latency by ledger size")
    sizes = [int(s) for s in args.sizes.split(",")]
    result = {
        "latency": latency(client, sizes, args.repeats),
        "file_latency": file_latency(sizes, args.repeats),
        "requests": per_release(client),
    }
    log("contention")
    result["contention"] = contention(client, endpoint, args.writers, args.each)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
