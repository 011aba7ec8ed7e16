"""An S3 ledger's append rewrites only the window: old records move into archives.

Against moto's S3 over HTTP with real boto3: the move, what readers see
afterwards, the guard counting archived events, a writer racing a move, a
crash at every step of a move (nothing lost; a left-over archive is ignored,
or adopted by the next move), no permission on ``KEY.archive/*``, and a file
ledger reading a copied S3 ledger.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from reconciler.aws.ledger_s3 import S3Ledger
from reconciler.ledger import FileLedger, History, LedgerRecord, QuotaRaceError, parse_history

KEY = "team/history.jsonl"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=700)
MIN = 16 * 1024  # small archives, so a test needs few records


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def entry(i: int, at: datetime, status: str = "done", token: str | None = None) -> LedgerRecord:
    return LedgerRecord(
        action="release",
        phone_number=f"+1206{2000000 + i:07d}",
        at=at,
        status=status,
        phone_number_id=f"pn-{i}",
        target_arn="arn:aws:connect:us-east-1:111122223333:instance/i-1",
        plan_id="plan-1",
        client_token=token or f"tok-{i}",
    )


def old_lines(count: int) -> list[str]:
    """``count`` releases, one every 12 hours from 700 days ago (all older than the window)."""
    return [entry(i, OLD + timedelta(hours=12 * i)).to_line().decode() for i in range(count)]


def make(**kw: Any) -> S3Ledger:
    kw.setdefault("clock", Clock())
    kw.setdefault("archive_min_bytes", MIN)
    return S3Ledger("ledgers", KEY, **kw)


def put(s3: Any, lines: list[str]) -> None:
    s3.client().put_object(Bucket="ledgers", Key=KEY, Body="".join(lines).encode())


def live_text(s3: Any) -> str:
    return str(s3.client().get_object(Bucket="ledgers", Key=KEY)["Body"].read().decode())


def archives(s3: Any) -> list[str]:
    listed = s3.client().list_objects_v2(Bucket="ledgers", Prefix=KEY + ".archive/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def events(history: History) -> Counter[tuple[Any, ...]]:
    return Counter((e.action, e.phone_number, e.at) for e in history.events)


def expected(lines: list[str]) -> History:
    return parse_history(lines, "expected")


def test_an_append_moves_the_old_records_and_readers_see_the_whole_history(s3: Any) -> None:
    lines = old_lines(300)
    put(s3, lines)
    store = make()
    new = entry(9000, NOW)
    store.append(new)
    whole = [*lines, new.to_line().decode()]
    # The live object: one archive record, then only the new record.
    live = live_text(s3).splitlines()
    assert json.loads(live[0])["status"] == "archive" and len(live) == 2
    assert json.loads(live[0])["records"] == 300
    assert archives(s3) == [f"{KEY}.archive/{json.loads(live[0])['archive']}"]
    # Any reader (a fresh process) sees every record.
    fresh = make()
    assert events(fresh.read()) == events(expected(whole))
    assert [json.dumps(r) for r in fresh.records()] == [
        json.dumps(json.loads(line)) for line in whole
    ]


def test_an_append_after_a_move_rewrites_only_the_live_records(s3: Any) -> None:
    put(s3, old_lines(600))
    store = make()
    sizes: list[int] = []

    def measure(params: dict[str, Any], **_: Any) -> None:
        if params["Key"] == KEY:
            sizes.append(len(params["Body"]))

    store.client.meta.events.register("before-parameter-build.s3.PutObject", measure)
    for i in range(5):
        store.append(entry(9000 + i, NOW))
    total = len(live_text(s3)) + sum(
        s3.client().head_object(Bucket="ledgers", Key=k)["ContentLength"] for k in archives(s3)
    )
    assert max(sizes) < 0.02 * total  # the archive record and the 5 new records


def test_an_intent_that_still_counts_stays_live_until_settled(s3: Any) -> None:
    crashed = entry(5000, OLD, status="intent", token="tok-crashed")
    put(s3, [crashed.to_line().decode(), *old_lines(300)])
    store = make()
    store.append(entry(9000, NOW))
    live = live_text(s3)
    assert '"tok-crashed"' in live  # 700 days old, still live: it counts
    history = make().read()
    assert any("was started but its outcome is not recorded" in w for w in history.warnings)
    store.append(entry(5000, NOW, token="tok-crashed"))  # a later apply confirms it
    assert not any("was started" in w for w in make().read().warnings)


def test_the_guard_counts_the_archived_events(s3: Any) -> None:
    put(s3, old_lines(300))
    store = make()
    store.append(entry(9000, NOW))  # moves 300 records out of the live object

    def at_most(limit: int) -> Any:
        return lambda history: None if len(history.events) < limit else "full"

    store = make()
    store.append(entry(9001, NOW, status="intent"), guard=at_most(302))  # 301 events so far
    with pytest.raises(QuotaRaceError, match="full"):
        store.append(entry(9002, NOW, status="intent"), guard=at_most(302))


def test_a_writer_with_a_stale_copy_loses_nothing_to_a_move(s3: Any) -> None:
    lines = old_lines(300)
    put(s3, lines)
    stale, mover = make(), make()
    stale.read()  # holds the text before the move
    mover.append(entry(9000, NOW))
    stale.append(entry(9001, NOW, status="intent"), guard=lambda history: None)
    whole = [*lines, entry(9000, NOW).to_line().decode(), entry(9001, NOW).to_line().decode()]
    assert events(make().read()) == events(expected(whole))
    assert len(archives(s3)) == 1


class Crash(Exception):
    """The process dies here."""


# (event, operation, which object, what the crash leaves in the live object)
CRASHES = [
    ("before-call", "PutObject", "archive", "old"),
    ("after-call", "PutObject", "archive", "old"),
    ("after-call", "GetObject", "archive", "old"),
    ("before-call", "PutObject", "live", "old"),
    ("after-call", "PutObject", "live", "new"),
]


@pytest.mark.parametrize(("event", "operation", "target", "leaves"), CRASHES)
def test_a_crash_at_any_step_of_a_move_loses_nothing(
    s3: Any, event: str, operation: str, target: str, leaves: str
) -> None:
    lines = old_lines(300)
    put(s3, lines)
    store = make()
    store.read()
    current: dict[str, str] = {}

    def remember(params: dict[str, Any], **_: Any) -> None:
        current["key"] = params["Key"]

    def crash(**_: Any) -> None:
        is_archive = current["key"].startswith(KEY + ".archive/")
        if is_archive == (target == "archive") and not current.get("done"):
            current["done"] = "yes"
            raise Crash

    store.client.meta.events.register(f"before-parameter-build.s3.{operation}", remember)
    store.client.meta.events.register(f"{event}.s3.{operation}", crash)
    first, second = entry(9000, NOW), entry(9001, NOW)
    with pytest.raises(Crash):
        store.append(first)
    assert current.get("done")
    whole = [*lines, first.to_line().decode()] if leaves == "new" else list(lines)
    rerun = make()  # the next process
    assert events(rerun.read()) == events(expected(whole))
    rerun.append(second)
    whole.append(second.to_line().decode())
    assert events(make().read()) == events(expected(whole))
    # The archive a crash left behind was adopted (same records, same name): one archive.
    assert len(archives(s3)) == 1
    assert json.loads(live_text(s3).splitlines()[0])["status"] == "archive"


def test_an_archive_no_archive_record_names_is_never_read(s3: Any) -> None:
    lines = old_lines(10)
    put(s3, lines)
    s3.client().put_object(Bucket="ledgers", Key=f"{KEY}.archive/stray.jsonl", Body=b"junk\n")
    assert events(make().read()) == events(expected(lines))


def test_a_missing_archive_is_an_error_naming_it(s3: Any) -> None:
    put(s3, old_lines(300))
    make().append(entry(9000, NOW))
    (archive,) = archives(s3)
    s3.client().delete_object(Bucket="ledgers", Key=archive)
    with pytest.raises(Exception, match=r"history.jsonl.archive/.*: is missing; .* 300 older"):
        make().read()


def test_without_permission_on_the_archives_appends_go_on_unmoved(s3: Any) -> None:
    lines = old_lines(300)
    put(s3, lines)
    store = make()
    refused: list[str] = []

    def deny(params: dict[str, Any], **_: Any) -> None:
        if params["Key"].startswith(KEY + ".archive/"):
            refused.append(params["Key"])
            error = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
            raise botocore.exceptions.ClientError(error, "PutObject")

    store.client.meta.events.register("before-parameter-build.s3.PutObject", deny)
    store.append(entry(9000, NOW))
    store.append(entry(9001, NOW))
    assert len(refused) == 1  # tried once, then not again by this process
    (notice,) = store.notices
    assert "could not move 300 records" in notice and f"{KEY}.archive/*" in notice
    assert archives(s3) == []
    assert len(live_text(s3).splitlines()) == 302


def test_a_file_ledger_reads_a_copied_s3_ledger_with_its_archives(s3: Any, tmp_path: Path) -> None:
    put(s3, old_lines(300))
    make().append(entry(9000, NOW))
    path = tmp_path / "history.jsonl"
    path.write_text(live_text(s3))
    for key in archives(s3):
        local = tmp_path / key.removeprefix("team/")
        local.parent.mkdir(exist_ok=True)
        local.write_bytes(s3.client().get_object(Bucket="ledgers", Key=key)["Body"].read())
    assert events(FileLedger(path).read()) == events(make().read())
    assert FileLedger(path).records() == make().records()


def test_the_archives_are_where_the_published_policies_grant_access(s3: Any) -> None:
    from fnmatch import fnmatchcase

    policy = json.loads((Path(__file__).parents[2] / "examples" / "iam-policy.json").read_text())
    touched: dict[str, set[str]] = {}
    put(s3, old_lines(300))
    store, reader = make(), make()

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        touched.setdefault(f"s3:{model.name}", set()).add(params["Key"])

    for client in (store.client, reader.client):
        client.meta.events.register("before-parameter-build.s3", record)
    store.append(entry(9000, NOW))
    reader.read()
    assert any(".archive/" in key for key in touched["s3:PutObject"])
    for name in ("S3LedgerWritePolicy",):
        for action, keys in touched.items():
            granted = {
                resource.removeprefix("arn:aws:s3:::BUCKET/").replace("KEY", KEY)
                for statement in policy[name]["Statement"]
                if action in statement["Action"]
                for resource in statement["Resource"]
            }
            for key in keys:
                assert any(fnmatchcase(key, pattern) for pattern in granted), (action, key)
    read_granted = {
        r.removeprefix("arn:aws:s3:::BUCKET/").replace("KEY", KEY)
        for s in policy["S3LedgerReadPolicy"]["Statement"]
        if "s3:GetObject" in s["Action"]
        for r in s["Resource"]
    }
    assert all(any(fnmatchcase(k, p) for p in read_granted) for k in touched["s3:GetObject"])
