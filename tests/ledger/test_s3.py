"""The S3 ledger against a real S3 API served locally (moto over HTTP), with real boto3.

Conditional appends never lose a record and re-check the caller's guard on the
history that won; the lease serializes applies, names its holder, survives only
explicit breaking, and is checked before every intent.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from reconciler import ledger
from reconciler.app import ledgers
from reconciler.aws.ledger_s3 import (
    LeaseHeldError,
    LeaseLostError,
    S3Ledger,
    UnlockError,
    parse_url,
)
from reconciler.core.errors import InputError, LedgerFileError
from reconciler.ledger import History, LedgerLockedError, QuotaRaceError

from .conftest import T0, python, record

URL = "s3://ledgers/team/history.jsonl"


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make(clock: Clock | None = None, **kw: Any) -> S3Ledger:
    return S3Ledger("ledgers", "team/history.jsonl", clock=clock or Clock(), **kw)


def body(s3: Any, key: str = "team/history.jsonl") -> list[dict[str, Any]]:
    text = s3.client().get_object(Bucket="ledgers", Key=key)["Body"].read().decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def at_most(limit: int) -> ledger.Guard:
    """A guard allowing a record while the history holds fewer than ``limit`` events."""

    def guard(history: History) -> str | None:
        used = len(history.events)
        return None if used < limit else f"{used} of {limit} used"

    return guard


# -- addressing and reading ---------------------------------------------------------


def test_open_ledger_takes_an_s3_url(s3: Any) -> None:
    store = ledgers.open_ledger(URL)
    assert isinstance(store, S3Ledger)
    assert (store.bucket, store.key, store.source) == ("ledgers", "team/history.jsonl", URL)


@pytest.mark.parametrize("spec", ["s3://", "s3://bucket", "s3://bucket/", "s3://bucket/dir/"])
def test_a_url_without_bucket_and_key_is_refused_with_an_example(spec: str) -> None:
    with pytest.raises(InputError, match=r"expected s3://BUCKET/KEY .*like s3://"):
        parse_url(spec)


def test_a_missing_object_is_an_error_naming_the_command_that_starts_one(s3: Any) -> None:
    with pytest.raises(LedgerFileError) as caught:
        make().read()
    text = str(caught.value)
    assert text.startswith(URL)
    assert "undercount" in text
    assert "aws s3api put-object --bucket ledgers --key team/history.jsonl" in text


def test_the_suggested_aws_cli_command_starts_an_empty_history(s3: Any) -> None:
    command = ["aws", "s3api", "put-object", "--bucket", "ledgers", "--key", "team/history.jsonl"]
    import os
    import sys
    from pathlib import Path

    aws = Path(sys.executable).with_name("aws")
    done = subprocess.run(
        [str(aws), *command[1:], "--endpoint-url", s3.url],
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    history = make().read()
    assert history.events == () and history.warnings == ()


def test_a_missing_bucket_is_named(s3: Any) -> None:
    store = S3Ledger("no-such-bucket", "h.jsonl")
    with pytest.raises(LedgerFileError, match="the bucket no-such-bucket does not exist"):
        store.read()


def test_must_exist_false_reads_a_missing_object_as_a_new_history(s3: Any) -> None:
    history = make(must_exist=False).read()
    assert history.events == ()
    assert "does not exist yet" in history.warnings[0]


HAND = '{"action": "release", "phone_number": "+12065550100", "at": "2026-05-01T12:00:00Z"'


def put(s3: Any, text: str) -> None:
    s3.client().put_object(Bucket="ledgers", Key="team/history.jsonl", Body=text.encode())


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (HAND + ', "status": "Done"}', "status 'Done': not a status this tool knows"),
        (HAND + ', "status": 1}', "status 1: not a status this tool knows"),
        (HAND.replace("2026", "9999") + "}", "out of range"),
        (HAND + "},", "not valid JSON"),
    ],
)
def test_an_s3_ledger_is_read_as_strictly_as_a_file(s3: Any, line: str, fragment: str) -> None:
    put(s3, HAND + "}\n" + line + "\n")
    for call in (make().read, make().records):
        with pytest.raises(LedgerFileError, match=rf"^{URL}:2: .*{fragment}"):
            call()


def test_a_cut_last_line_in_s3_is_a_warning_and_appends_are_refused_until_fixed(
    s3: Any,
) -> None:
    cut = record("done", number="+12065550111").to_line().decode()[:50]
    put(s3, HAND + "}\n" + cut)
    history = make().read()
    assert len(history.events) == 1 and "the last line is a record cut short" in history.warnings[0]
    with pytest.raises(
        LedgerFileError, match=rf"^{URL}:2: the last line is a record cut short; S3"
    ):
        make().append(record("done"))
    text = s3.client().get_object(Bucket="ledgers", Key="team/history.jsonl")["Body"].read()
    assert text.decode() == HAND + "}\n" + cut  # nothing dropped, nothing appended


def test_a_complete_last_line_without_newline_in_s3_gets_one(s3: Any) -> None:
    put(s3, HAND + "}")
    make().append(record("done"))
    assert len(make().read().events) == 2 and len(body(s3)) == 2


# -- appending ---------------------------------------------------------------------


def test_the_first_append_creates_the_object_and_says_so(s3: Any) -> None:
    store = make()
    store.append(record("done"))
    assert [r["status"] for r in body(s3)] == ["done"]
    assert any("created it" in n for n in store.notices)
    assert len(make().read().events) == 1


def test_appends_from_two_writers_with_stale_copies_lose_nothing(s3: Any) -> None:
    first, second = make(), make()
    first.append(record("done", number="+12065550101"))
    second.read()  # second now holds a copy with one line
    first.append(record("done", number="+12065550102"))
    second.append(record("done", number="+12065550103"))  # its copy is stale: S3 refuses, retry
    numbers = [r["phone_number"] for r in body(s3)]
    assert numbers == ["+12065550101", "+12065550102", "+12065550103"]


def test_a_guarded_append_is_refused_when_another_writer_spent_the_headroom(s3: Any) -> None:
    ours, theirs = make(), make()
    ours.append(record("done", number="+12065550101"))
    assert ours.read().events  # our check saw 1 event of 2 allowed
    theirs.append(record("done", number="+12065550102"))  # ... but they took the last one
    with pytest.raises(QuotaRaceError) as caught:
        ours.append(record("intent", number="+12065550103"), guard=at_most(2))
    assert "2 of 2 used" in str(caught.value)
    assert "NOT recorded and nothing was released" in str(caught.value)
    assert [r["phone_number"] for r in body(s3)] == ["+12065550101", "+12065550102"]


def test_a_guarded_append_goes_in_when_the_new_history_still_allows_it(s3: Any) -> None:
    ours, theirs = make(), make()
    ours.append(record("done", number="+12065550101"))
    theirs.append(record("done", number="+12065550102"))
    ours.append(record("intent", number="+12065550103"), guard=at_most(3))
    assert len(body(s3)) == 3


RACER = """
import sys, time
from reconciler.ledger import LedgerRecord, QuotaRaceError
from reconciler.aws.ledger_s3 import S3Ledger
from datetime import UTC, datetime
key, me, limit, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
store = S3Ledger("ledgers", key)
store.read()  # check, then race to write, as an apply does
def guard(history):
    return None if len(history.events) < limit else "full"
time.sleep(max(0.0, start - time.time()))
try:
    store.append(LedgerRecord(action="release", phone_number="+1206555" + me, status="intent",
        at=datetime.now(UTC), phone_number_id="pn-" + me, client_token="t-" + me), guard=guard)
    print("WON")
except QuotaRaceError:
    print("REFUSED")
"""


@pytest.mark.parametrize("round_", range(3))
def test_racing_processes_never_record_more_than_the_guard_allows(
    s3: Any, children: list[subprocess.Popen[str]], round_: int
) -> None:
    key, racers, limit = f"race-{round_}.jsonl", 8, 3
    s3.client().put_object(Bucket="ledgers", Key=key, Body=b"")
    start = time.time() + 2.5  # every child is up and has read by then
    for i in range(racers):
        children.append(python(RACER, key, f"{1000 + i}", str(limit), str(start)))
    results = [child.communicate(timeout=60) for child in children]
    assert all(child.returncode == 0 for child in children), results
    outcomes = sorted(out.strip() for out, _ in results)
    assert outcomes.count("WON") == limit, results
    assert outcomes.count("REFUSED") == racers - limit
    assert len(body(s3, key)) == limit  # every winner's record, nothing else


# -- the lease ---------------------------------------------------------------------


def test_a_second_apply_is_refused_naming_the_holder_and_the_way_out(s3: Any) -> None:
    first, second = make(), make()
    with first.lock("apply p1 by ana@ci-7") as held:
        assert held.lock_path == URL + ".lease"
        lease_id = json.loads(
            s3.client().get_object(Bucket="ledgers", Key="team/history.jsonl.lease")["Body"].read()
        )["lease_id"]
        with pytest.raises(LeaseHeldError) as caught, second.lock("apply p2"):
            pass
    assert isinstance(caught.value, LedgerLockedError)
    text = str(caught.value)
    assert "leased by another apply: 'apply p1 by ana@ci-7'" in text
    assert f"lease {lease_id}" in text
    assert "expires at 2026-06-01T12:15:00Z" in text
    assert f"connect-numbers ledger unlock {lease_id} --ledger {URL}" in text
    with second.lock("apply p2"):  # released at the end of the block
        pass


def test_the_lease_creates_a_missing_ledger(s3: Any) -> None:
    store = make()
    with store.lock("apply"):
        assert store.exists()
    assert make().read().events == ()


def test_an_expired_lease_is_still_refused_but_called_stale(s3: Any) -> None:
    clock = Clock()
    dead = make(clock)
    killed = dead.lock("apply p1")  # a killed apply never leaves the block (kept
    killed.__enter__()  # referenced: a collected generator would run its cleanup)
    clock.now = T0 + timedelta(hours=2)
    with pytest.raises(LeaseHeldError) as caught, make(clock).lock("apply p2"):
        pass
    text = str(caught.value)
    assert "expired at 2026-06-01T12:15:00Z (105 min ago)" in text
    assert "most likely died" in text
    del killed


def test_unlock_breaks_only_the_lease_it_names(s3: Any) -> None:
    dead = make()
    killed = dead.lock("apply p1")
    killed.__enter__()
    current = make().lease()
    assert current is not None
    lease_id = current[0].lease_id
    with pytest.raises(UnlockError, match=f"the lease held now is {lease_id}"):
        make().unlock("0123456789abcdef")
    broken = make().unlock(lease_id)
    assert broken.holder.owner == "apply p1"
    with pytest.raises(UnlockError, match="no lease is held"):
        make().unlock(lease_id)
    with make().lock("apply p2"):
        pass
    del killed


def test_an_apply_whose_lease_was_broken_starts_nothing_more_but_records_outcomes(s3: Any) -> None:
    store = make()
    with store.lock("apply p1"):
        store.append(record("intent", number="+12065550101"))
        lease = make().lease()
        assert lease is not None
        make().unlock(lease[0].lease_id)
        with make().lock("apply p2"):
            store.append(record("done", number="+12065550101"))  # it happened: recorded
            with pytest.raises(LeaseLostError, match="stopped before the intent"):
                store.append(record("intent", number="+12065550102"))
        assert any("recording the done record" in n for n in store.notices)
    assert [r["status"] for r in body(s3)] == ["intent", "done"]
    assert any("left the current lease alone" in n for n in store.notices)


def test_the_holder_renews_its_lease_while_it_works(s3: Any) -> None:
    clock = Clock()
    store = make(clock)
    with store.lock("apply p1"):
        clock.now = T0 + timedelta(minutes=6)  # past a third of the 15-minute lease
        store.append(record("intent"))
        lease = make().lease()
        assert lease is not None
        assert lease[0].expires == T0 + timedelta(minutes=21)
        clock.now = T0 + timedelta(minutes=7)
        store.append(record("done"))  # not yet due again: one HEAD-like read, no renewal
        assert make().lease() == lease


def test_two_locks_in_one_process_on_one_object_refuse_the_second(s3: Any) -> None:
    store = make()
    with (
        store.lock("apply p1"),
        pytest.raises(LedgerLockedError, match="this same process"),
        store.lock("apply p2"),
    ):
        pass


def test_a_ledger_deleted_under_a_writer_is_an_error_not_a_new_history(s3: Any) -> None:
    store = make()
    store.append(record("done", number="+12065550101"))
    s3.client().delete_object(Bucket="ledgers", Key="team/history.jsonl")
    with pytest.raises(LedgerFileError, match="was deleted while this run used it"):
        store.append(record("done", number="+12065550102"))
    assert "Contents" not in s3.client().list_objects_v2(Bucket="ledgers")
