"""The ledger as one S3 object (``--ledger s3://BUCKET/KEY``), shared by every pipeline.

One of the AWS adapters allowed to import boto3. The object holds the same JSON
Lines text as a ``FileLedger`` file. S3 has no append, so an append rewrites the
whole object with a *conditional* write: ``If-Match`` on the ETag of the text
it extends, or ``If-None-Match: *`` when the object does not exist yet. If
anybody wrote in between, S3 refuses the write (412 PreconditionFailed, or 409
ConditionalRequestConflict while another conditional write is in flight) and
nothing is lost: the append reads the object again, asks the caller's ``guard``
whether the record is still allowed on top of the new history (for a release's
intent: does the quota still have room?), and either retries or refuses. Two
pipelines therefore can never both spend the same headroom.

Whole applies are serialized by a lease: the object ``KEY.lease`` (JSON: lease
id, owner, pid, host, since, expires), created with ``If-None-Match: *``. A
second apply is refused with a message naming the holder. The holder renews the
lease while it works and checks, before every release, that the lease is still
its own. A lease is never broken implicitly, not even after it expires: a slow
apply must not be overtaken by a second one. When its holder is gone (killed,
its runner lost), break it with ``connect-numbers ledger unlock LEASE_ID``;
the next apply then re-reads the history, in which an intent without outcome
counts against the quota until settled.

An append rewrites only the window: once enough records are older than the
window and a margin, an append first moves them into an immutable archive
``KEY.archive/<first>-<last>-<digest>.jsonl`` (created with ``If-None-Match:
*``, read back and compared), then rewrites the live object, with the same
``If-Match`` as every append, naming the archive in place of the records it
took (``ledger_archive``). Reads open the archives the live object names, so
every reader sees the whole history, as if nothing had moved.

Permissions: ``s3:GetObject`` and ``s3:PutObject`` on ``KEY``, ``KEY.lease``
and ``KEY.archive/*``, ``s3:DeleteObject`` on ``KEY.lease`` only (the ledger
and its archives are never deleted); plans need only ``s3:GetObject`` on
``KEY`` and ``KEY.archive/*``. Without access to ``KEY.archive/*``, appends
still work (moving nothing, with a warning). The endpoint follows the
standard settings (``AWS_ENDPOINT_URL_S3``).
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions

from reconciler.aws.clients import make_client
from reconciler.aws.errors import map_error
from reconciler.core.errors import ConnectNumbersError, InputError, LedgerFileError
from reconciler.ledger import (
    Archived,
    Guard,
    JsonLinesLedger,
    LedgerLock,
    LedgerLockedError,
    LedgerWriteError,
    LockHolder,
    UnsupportedLedgerError,
    check_guard,
    cut_tail,
    format_time,
    parse_time,
)
from reconciler.ledger import archive as ledger_archive

__all__ = [
    "DEFAULT_LEASE_TTL",
    "Lease",
    "LeaseHeldError",
    "LeaseLostError",
    "S3Ledger",
    "UnlockError",
]

_log = logging.getLogger(__name__)

# How long a lease lasts without renewal. An apply renews it whenever it writes
# and a third of this has passed, so only a holder that stopped working (or a
# single AWS call hung for this long) lets it expire.
DEFAULT_LEASE_TTL = timedelta(minutes=15)
# Conditional writes that lost a race before an append gives up (each one means
# another writer got a record in: the ledger is busy, not broken).
_MAX_CONFLICTS = 25
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LeaseHeldError(LedgerLockedError):
    """Another apply holds the S3 ledger's lease: wait, or break a dead holder's lease."""

    def __init__(self, source: str, lease: Lease | None, now: datetime) -> None:
        self.lease = lease
        if lease is None:
            text = (
                f"{source}: the ledger's lease changed hands while this apply tried to take "
                "it; another apply is starting. Wait for it to finish, then run again"
            )
        else:
            if lease.expires <= now:
                minutes = int((now - lease.expires).total_seconds() // 60)
                state = (
                    f"it expired at {format_time(lease.expires)} ({minutes} min ago), so its "
                    "holder has most likely died"
                )
            else:
                expires = format_time(lease.expires)
                state = f"it is renewed while that apply works; it expires at {expires}"
            text = (
                f"{source}: the ledger is leased by another apply: {lease.holder.describe()}, "
                f"lease {lease.lease_id}; {state}. Wait for it to finish, then run again. "
                "If that apply is gone (killed, its runner lost), make sure nothing is "
                "running, then break the lease: connect-numbers ledger unlock "
                f"{lease.lease_id} --ledger {source}"
            )
        holder = lease.holder if lease is not None else None
        super().__init__(source, f"{source}.lease", holder, text=text)


class LeaseLostError(LedgerWriteError):
    """The apply's lease was broken (``ledger unlock``) or replaced while it worked."""


class UnlockError(InputError):
    """``ledger unlock`` was asked to break a lease that is not there or not the one named."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Lease:
    """The lease object's content."""

    lease_id: str
    holder: LockHolder
    expires: datetime

    def to_bytes(self) -> bytes:
        data = {
            "lease_id": self.lease_id,
            "owner": self.holder.owner,
            "pid": self.holder.pid,
            "host": self.holder.host,
            "thread": self.holder.thread,
            "since": format_time(self.holder.since) if self.holder.since else None,
            "expires": format_time(self.expires),
        }
        return (json.dumps(data) + "\n").encode("utf-8")

    @classmethod
    def parse(cls, body: bytes, source: str) -> Lease:
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            lease_id = data["lease_id"]
            expires = parse_time(data.get("expires"))
            holder = LockHolder.parse(json.dumps(data))
        except (ValueError, KeyError) as exc:
            raise LedgerFileError(
                source,
                f"the lease object is not one this tool wrote ({exc}); if no apply is running, "
                "delete it",
            ) from None
        if not isinstance(lease_id, str) or holder is None:
            raise LedgerFileError(source, "the lease object has no lease_id or owner")
        return cls(lease_id=lease_id, holder=holder, expires=expires)


@dataclass(slots=True)
class _Held:
    lease: Lease
    etag: str
    renew_at: datetime


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def parse_url(spec: str) -> tuple[str, str]:
    """``s3://bucket/key`` as (bucket, key). Raises UnsupportedLedgerError (an InputError)."""
    rest = spec[len("s3://") :] if spec.lower().startswith("s3://") else ""
    bucket, _, key = rest.partition("/")
    if not bucket or not key or key.endswith("/"):
        raise UnsupportedLedgerError(
            f"--ledger {spec}: expected s3://BUCKET/KEY naming the ledger object, "
            "like s3://acme-connect/numbers/ledger.jsonl"
        )
    return bucket, key


class S3Ledger(JsonLinesLedger):
    """The ``Ledger`` protocol over one S3 object, with conditional appends and a lease.

    ``must_exist`` as for ``FileLedger``: a plan of a missing object is an error
    (a mistyped key must not read as an empty history); ``lock`` and ``append``
    create it. ``client`` defaults to an S3 client for the standard settings.
    ``archive_after`` and ``archive_min_bytes``: records older than the first
    move to an archive once the second is due (``None``: never).
    """

    def __init__(
        self,
        bucket: str,
        key: str,
        *,
        must_exist: bool = True,
        client: Any = None,
        clock: Callable[[], datetime] = _utcnow,
        lease_ttl: timedelta = DEFAULT_LEASE_TTL,
        sleep: Callable[[float], None] = time.sleep,
        archive_after: timedelta = ledger_archive.KEEP,
        archive_min_bytes: int | None = ledger_archive.MIN_BYTES,
    ) -> None:
        self.bucket = bucket
        self.key = key
        self.lease_key = key + ".lease"
        self.must_exist = must_exist
        self._client = client
        self._clock = clock
        self._ttl = lease_ttl
        self._sleep = sleep
        self._notices: list[str] = []
        # The text this process last read or wrote, with its ETag: appends
        # extend it, and S3 refuses the write if it is no longer current.
        self._cache: tuple[bytes, str] | None = None
        self._held: _Held | None = None
        self._guard = threading.Lock()
        self._archive_after = archive_after
        # None once moving failed in this process (no permission on KEY.archive/*):
        # appends go on without moving, and say so once.
        self._archive_min_bytes = archive_min_bytes

    @classmethod
    def from_url(cls, spec: str, **kwargs: Any) -> S3Ledger:
        bucket, key = parse_url(spec)
        return cls(bucket, key, **kwargs)

    def __repr__(self) -> str:
        return f"S3Ledger({self.source!r}, must_exist={self.must_exist})"

    @property
    def source(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def lease_source(self) -> str:
        return f"s3://{self.bucket}/{self.lease_key}"

    @property
    def notices(self) -> tuple[str, ...]:
        return tuple(self._notices)

    # -- S3 calls ---------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("s3")
        return self._client

    def _error(self, exc: Exception, operation: str, where: str) -> ConnectNumbersError:
        if isinstance(exc, botocore.exceptions.ClientError):
            code = _code(exc)
            if code == "NoSuchBucket":
                return LedgerFileError(
                    where, f"the bucket {self.bucket} does not exist (or is in another account)"
                )
            if code in ("AccessDenied", "403"):
                return LedgerFileError(
                    where,
                    f"access denied to {operation}; grant s3:GetObject and s3:PutObject on "
                    f"{self.key} and {self.lease_key} in {self.bucket}, s3:DeleteObject on "
                    f"{self.lease_key}, and s3:ListBucket (without it S3 answers a missing "
                    "object with access denied); see examples/iam-policy.json",
                )
        mapped = map_error(exc, f"S3 {operation} of {where}", service="s3")
        return mapped

    def _get(self, key: str) -> tuple[bytes, str] | None:
        where = f"s3://{self.bucket}/{key}"
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read(), str(answer["ETag"])
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in _MISSING_CODES:
                return None
            raise self._error(exc, "GetObject", where) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._error(exc, "GetObject", where) from exc

    def _put(self, key: str, body: bytes, *, etag: str | None) -> str | None:
        """Write ``body`` if ``key`` still has ``etag`` (or is absent when None).

        Returns the new ETag, or None when the condition failed (someone else wrote).
        """
        where = f"s3://{self.bucket}/{key}"
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            answer = self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/json" if key == self.lease_key else "application/x-ndjson",
                **condition,
            )
        except botocore.exceptions.ClientError as exc:
            code = _code(exc)
            if code in _CONFLICT_CODES or (etag and code in _MISSING_CODES):
                return None
            raise self._error(exc, "PutObject", where) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._error(exc, "PutObject", where) from exc
        return str(answer["ETag"])

    def _delete(self, key: str, *, etag: str) -> bool:
        """Delete ``key`` if it still has ``etag``; False if it changed or is gone."""
        where = f"s3://{self.bucket}/{key}"
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key, IfMatch=etag)
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in _CONFLICT_CODES | _MISSING_CODES:
                return False
            raise self._error(exc, "DeleteObject", where) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._error(exc, "DeleteObject", where) from exc
        return True

    # -- reading --------------------------------------------------------------------

    def exists(self) -> bool:
        return self._fetch() is not None

    def _fetch(self) -> tuple[bytes, str] | None:
        got = self._get(self.key)
        if got is not None:
            self._cache = got
        return got

    def _archive_source(self, name: str) -> str:
        return f"s3://{self.bucket}/{ledger_archive.archive_location(self.key, name)}"

    def _archive_data(self, name: str) -> bytes | None:
        got = self._get(ledger_archive.archive_location(self.key, name))
        return None if got is None else got[0]

    def _lines(self) -> list[str] | None:
        got = self._fetch()
        if got is None:
            if self.must_exist:
                raise LedgerFileError(
                    self.source,
                    "does not exist; a missing history would undercount the quota. To start "
                    "a new history, create it empty: aws s3api put-object --bucket "
                    f"{self.bucket} --key {self.key}",
                )
            return None
        return _text_lines(got[0], self.source)

    # -- writing ----------------------------------------------------------------------

    def _append_line(
        self, line: bytes, what: str, *, guard: Guard | None = None, starts: bool = False
    ) -> None:
        with self._guard:
            if self._held is not None:
                # Before an action starts, make sure this apply still owns the ledger;
                # an outcome (done, failed) is recorded whatever happened to the lease.
                self._keep_lease(what, strict=starts)
            current = self._cache if self._cache is not None else self._fetch()
            for attempt in range(_MAX_CONFLICTS):
                if attempt:
                    # Lost a race: back off a little (with jitter) and read what won.
                    self._sleep(min(0.05 * 2**attempt, 1.0) * random.uniform(0.5, 1.0))
                    existed = current is not None
                    current = self._fetch()
                    if existed and current is None:
                        # Never start a new, empty history over one that was there:
                        # it would undercount the quota.
                        raise LedgerFileError(
                            self.source,
                            f"was deleted while this run used it; {what} is NOT recorded. "
                            "Restore it (from S3 versioning or a copy) before running again",
                        )
                body, etag = current if current is not None else (b"", None)
                if guard is not None:
                    # Checked on exactly the text this write extends: if the write
                    # wins, the record went in on top of the history that allowed it.
                    check_guard(guard, self._history(_text_lines(body, self.source)), what)
                if body and not body.endswith(b"\n"):
                    cut = cut_tail(body, self.source, what)
                    if cut is not None:
                        # S3 replaces whole objects: no crash of this tool cuts a
                        # line short, so someone wrote it; never drop it silently.
                        raise LedgerFileError(
                            self.source,
                            "the last line is a record cut short; S3 writes whole objects, so "
                            f"it was written so by hand or by another tool; {what} is NOT "
                            "recorded. Complete or remove the line, then run again",
                            line=cut[1],
                        )
                    body += b"\n"  # a complete record that only lacks its newline
                new_body = self._archive(body + line)
                new_etag = self._put(self.key, new_body, etag=etag)
                if new_etag is not None:
                    self._cache = (new_body, new_etag)
                    if etag is None:
                        self._notice(
                            f"{self.source}: did not exist; created it, starting a new, "
                            "empty history"
                        )
                    return
            raise LedgerWriteError(
                f"{self.source}: {what} lost {_MAX_CONFLICTS} conditional writes in a row to "
                "other writers; it is NOT recorded. The ledger is very busy: run again"
            )

    def _archive(self, body: bytes) -> bytes:
        """``body``, or the same history with its older records moved to an archive.

        The archive is written and read back before this returns the live text
        naming it; the caller's conditional write of that text completes the
        move. Moving is an optimisation: when it fails, the append goes in as is.
        """
        if self._archive_min_bytes is None:
            return body
        move = ledger_archive.plan_compaction(
            body, now=self._clock(), keep=self._archive_after, min_bytes=self._archive_min_bytes
        )
        if move is None:
            return body
        key = ledger_archive.archive_location(self.key, move.name)
        where = f"s3://{self.bucket}/{key}"
        try:
            # Create-only: an archive is never overwritten. Already there means an
            # earlier attempt wrote it (a crash, a lost race): the same name is the
            # same digest, and the read-back below proves the content.
            self._put(key, move.archive, etag=None)
            got = self._get(key)
            if got is None or got[0] != move.archive:
                raise LedgerWriteError(f"{where}: reads back other content than was written")
        except ConnectNumbersError as exc:
            self._archive_min_bytes = None
            self._notice(
                f"{self.source}: could not move {move.moved} records older than "
                f"{format_time(self._clock() - self._archive_after)} into {where} ({exc}); "
                "appended without moving them (each append rewrites them). Grant "
                f"s3:PutObject and s3:GetObject on {self.key}.archive/* (examples/iam-policy.json)"
            )
            return body
        memo = self.__dict__.setdefault("_archives_read", {})
        memo[move.name] = Archived.of(move.records, where)
        return move.live

    def _notice(self, text: str) -> None:
        self._notices.append(text)
        _log.warning("%s", text)

    # -- the lease ----------------------------------------------------------------------

    def lease(self) -> tuple[Lease, str] | None:
        """The current lease and its ETag, or None if nobody holds one."""
        got = self._get(self.lease_key)
        if got is None:
            return None
        return Lease.parse(got[0], self.lease_source), got[1]

    @contextmanager
    def lock(self, owner: str) -> Iterator[LedgerLock]:
        """Hold the lease for a whole apply; fail fast, naming the holder, if it is held."""
        if not isinstance(owner, str) or not owner.strip():
            raise ValueError("the lock owner must be a non-empty string")
        now = self._clock()
        holder = LockHolder(
            owner=owner,
            pid=os.getpid(),
            host=socket.gethostname(),
            since=now,
            thread=threading.current_thread().name,
        )
        with self._guard:
            if self._held is not None:
                raise LedgerLockedError(
                    self.source, self.lease_source, self._held.lease.holder, same_process=True
                )
            lease = Lease(lease_id=uuid.uuid4().hex[:16], holder=holder, expires=now + self._ttl)
            etag = self._put(self.lease_key, lease.to_bytes(), etag=None)
            if etag is None:
                current = self.lease()
                raise LeaseHeldError(self.source, current[0] if current else None, now)
            self._held = _Held(lease=lease, etag=etag, renew_at=now + self._ttl / 3)
        try:
            if self._fetch() is None:
                self._append_line(b"", "the new ledger", guard=None, starts=False)
            yield LedgerLock(path=self.source, lock_path=self.lease_source, holder=holder)
        finally:
            with self._guard:
                held, self._held = self._held, None
            if held is not None and not self._delete(self.lease_key, etag=held.etag):
                self._notice(
                    f"{self.lease_source}: lease {held.lease.lease_id} was no longer this "
                    "apply's when it finished (broken with ledger unlock?); left the "
                    "current lease alone"
                )

    def _keep_lease(self, what: str, *, strict: bool) -> None:
        held = self._held
        assert held is not None
        now = self._clock()
        current = self.lease()
        ours = current is not None and current[1] == held.etag
        if ours and now >= held.renew_at:
            renewed = Lease(
                lease_id=held.lease.lease_id, holder=held.lease.holder, expires=now + self._ttl
            )
            etag = self._put(self.lease_key, renewed.to_bytes(), etag=held.etag)
            if etag is not None:
                self._held = _Held(lease=renewed, etag=etag, renew_at=now + self._ttl / 3)
            ours = etag is not None
        if ours:
            return
        text = (
            f"{self.lease_source}: this apply's lease {held.lease.lease_id} was broken "
            "(connect-numbers ledger unlock) or replaced while it ran"
        )
        if strict:
            raise LeaseLostError(
                f"{text}; stopped before {what}: it is NOT recorded and nothing more is "
                "released. Check who else is applying, then plan again"
            )
        self._notice(f"{text}; recording {what} anyway, since it happened")

    def unlock(self, lease_id: str) -> Lease:
        """Break the lease ``lease_id`` (its holder is gone). Returns what was broken."""
        current = self.lease()
        if current is None:
            raise UnlockError(
                f"{self.lease_source}: no lease is held; nothing to unlock "
                "(the apply finished, or someone already broke it)"
            )
        lease, etag = current
        if lease.lease_id != lease_id:
            raise UnlockError(
                f"{self.lease_source}: the lease held now is {lease.lease_id} "
                f"({lease.holder.describe()}), not {lease_id}; left it alone. Breaking a "
                "lease you did not name could let two applies spend the same headroom"
            )
        if not self._delete(self.lease_key, etag=etag):
            raise UnlockError(
                f"{self.lease_source}: lease {lease_id} changed while unlocking (its holder "
                "renewed or released it, so it is alive); left it alone"
            )
        return lease


def _text_lines(body: bytes, source: str) -> list[str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerFileError(source, f"is not UTF-8 text ({exc.reason})") from exc
    return text.splitlines(keepends=True)
