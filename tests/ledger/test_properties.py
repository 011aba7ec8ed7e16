"""Whatever is written, reading gives back exactly the completed events, in order."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.model import E164_PATTERN, Action, HistoryEvent
from reconciler.ledger import FileLedger, LedgerRecord, RecordStatus, coverage_record
from reconciler.ledger.records import is_cut_record

RESERVED = {"action", "phone_number", "at", "status", "phone_number_id", "target_arn"}
RESERVED |= {"plan_id", "client_token", "error", "message"}
# A key the reader checks the value of (test_records covers it): not a free extra.
RESERVED |= {"scope"}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
optional_text = st.none() | st.text()

records = st.builds(
    LedgerRecord,
    action=st.sampled_from(Action),
    phone_number=st.from_regex(E164_PATTERN, fullmatch=True),
    # The years a ledger time may have (2000-2999): a wider one is refused on write.
    at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
    ),
    # Every status the product writes; any other is refused on write and on read.
    status=st.sampled_from(RecordStatus),
    phone_number_id=optional_text,
    target_arn=optional_text,
    plan_id=optional_text,
    client_token=optional_text,
    error=optional_text,
    message=optional_text,
    extra=st.dictionaries(st.text().filter(lambda k: k not in RESERVED), json_values, max_size=3),
)


def _answer(written: list[LedgerRecord], i: int) -> LedgerRecord | None:
    """The outcome that answers the intent ``written[i]``: records of one client token
    pair up like brackets (an intent opens, an outcome closes the latest open one)."""
    token = written[i].client_token
    depth = 0
    for later in written[i + 1 :]:
        if not token or later.client_token != token:
            continue
        if later.status == "intent":
            depth += 1
        elif later.status in ("done", "failed", "skipped", "unknown"):
            if depth == 0:
                return later
            depth -= 1
    return None


def _settled(written: list[LedgerRecord], i: int) -> bool:
    """An intent is settled by a later done of its call or of its number (any plan), or
    by the failed or skipped outcome that answers this very call; nothing else."""
    intent = written[i]
    for later in written[i + 1 :]:
        same_call = bool(later.client_token) and later.client_token == intent.client_token
        same_number = (
            bool(later.phone_number_id)
            and later.phone_number_id == intent.phone_number_id
            and later.action == intent.action
        )
        if later.status == "done" and (same_call or same_number):
            return True
    answer = _answer(written, i)
    return answer is not None and answer.status in ("failed", "skipped")


def _done(written: list[LedgerRecord]) -> tuple[HistoryEvent, ...]:
    """What reading counts: every done record in order, then every intent no later
    record settles (its outcome is unknown, so it counts: never undercount)."""

    def event(r: LedgerRecord) -> HistoryEvent:
        return HistoryEvent(action=Action(r.action), phone_number=r.phone_number, at=r.at)

    done = [event(r) for r in written if r.status == "done"]
    unsettled = [
        event(r)
        for i, r in enumerate(written)
        if r.status == "intent"
        and (r.client_token or r.phone_number_id)
        and not _settled(written, i)
    ]
    return tuple(done + unsettled)


def _unsettled(written: list[LedgerRecord]) -> int:
    """How many intents reading warns about (each counted, outcome unknown)."""
    return len(_done(written)) - sum(1 for r in written if r.status == "done")


@settings(max_examples=60, deadline=None)
@given(st.lists(records, max_size=8))
def test_reading_gives_back_exactly_the_done_events_in_order(written: list[LedgerRecord]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ledger = FileLedger(os.path.join(folder, "h.jsonl"), must_exist=False)
        for item in written:
            ledger.append(item)
        history = ledger.read()
        assert history.events == _done(written)
        # One warning per unsettled intent; "does not exist yet" when nothing was written.
        assert len(history.warnings) == (_unsettled(written) if written else 1)
        raw = ledger.records()
        assert raw == [item.to_dict() for item in written]
        assert [LedgerRecord.from_dict(item) for item in raw] == written


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(records, max_size=4),
    torn=records,
    cut=st.floats(min_value=0, max_value=1, exclude_max=True),
    after=st.lists(records, min_size=1, max_size=4),
)
def test_a_crash_mid_write_loses_only_the_torn_record(
    before: list[LedgerRecord], torn: LedgerRecord, cut: float, after: list[LedgerRecord]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ledger = FileLedger(os.path.join(folder, "h.jsonl"), must_exist=False)
        for item in before:
            ledger.append(item)
        line = torn.to_line()
        keep = 1 + int(cut * (len(line) - 1))  # 1 .. len-1 bytes: never the newline
        with open(ledger.path, "ab") as handle:
            handle.write(line[:keep])
        complete = keep == len(line) - 1  # everything but the newline: a whole record
        for item in after:
            ledger.append(item)
        history = ledger.read()
        kept = [*before, *([torn] if complete else []), *after]
        assert history.events == _done(kept)
        # The cut line is set aside, never counted; a complete one only lacked its newline.
        assert len(history.warnings) == _unsettled(kept)
        torn_path = ledger.path + ".torn"
        if complete:
            assert not os.path.exists(torn_path)
        else:
            with open(torn_path) as handle:
                assert [json.loads(entry)["text"] for entry in handle] == [line[:keep].decode()]
        # Created it (if it did); moved the cut line (if it was cut).
        assert len(ledger.notices) == (1 if before else 0) + (0 if complete else 1)


@settings(max_examples=60, deadline=None)
@given(written=records, since=st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)))
def test_every_start_of_a_line_the_product_writes_is_a_cut_record_and_nothing_else(
    written: LedgerRecord, since: datetime
) -> None:
    coverage = coverage_record(
        since.replace(year=2026), source="cloudtrail", at=since.replace(year=2026)
    )
    for line in (written.to_line().decode(), json.dumps(coverage, ensure_ascii=True) + "\n"):
        body = line[:-1]
        assert all(is_cut_record(body[:n]) for n in range(1, len(body)))
        # A complete line is not cut short, and nothing the product never writes
        # after it (a trailing comma, a second object) is either.
        assert not is_cut_record(body)
        assert not is_cut_record(body + ",")
        assert not is_cut_record(body + " ")
