"""The ledger as a local JSON Lines file: ``FileLedger``, its locks, and ``read_history``.

Crashes
-------
A record is one ``os.write`` of the whole line on a descriptor opened with
``O_APPEND``, then ``os.fsync``: ``append`` returns only once the line is on
disk, and concurrent appenders never interleave inside a line. A crash mid-write
can still leave the last line cut short, with no newline. Reading reports it as
a warning, and only when it is the start of a line this product writes
(``records.is_cut_record``); any other line the product cannot read
is an error. The next append moves the cut line to the sidecar ``PATH.torn``
(appended there, never deleted), so the new record never glues onto it.
A release cut short loses nothing: its ``intent`` was written whole before the
release started, and counts until a later record settles it.

Two applies at once
-------------------
``FileLedger.lock(owner)`` holds ``flock(LOCK_EX)`` on the sidecar ``PATH.lock``
for the whole apply, and fails fast, naming the holder, when another apply holds
it. The operating system drops a flock when its process dies, so a crashed
apply never leaves a stale lock behind. An apply takes the lock, *then* reads
the history and re-checks the quota, so two applies cannot spend the same
headroom. Keep the ledger on a local disk (or NFS with working locks).
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import json
import logging
import os
import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from reconciler.core.errors import LedgerFileError
from reconciler.ledger import archive as ledger_archive
from reconciler.ledger.backend import (
    Guard,
    JsonLinesLedger,
    LedgerLock,
    LedgerLockedError,
    LedgerWriteError,
    LockHolder,
    check_guard,
)
from reconciler.ledger.history import History, cut_tail, parse_history
from reconciler.ledger.records import format_time

__all__ = ["FileLedger", "default_owner", "read_history"]

_log = logging.getLogger(__name__)


# How long a lock attempt waits for a holder that has just taken the lock to
# write its name (or for one that is releasing it to finish) before giving up.
_LOCK_SETTLE_SECONDS = 0.2


# Locks this process holds, by the real path of their lock file. flock already
# refuses a second open file description, but some filesystems (NFS) emulate
# flock with per-process POSIX locks, which a second thread would get again.
_HELD: dict[str, LockHolder] = {}
_HELD_GUARD = threading.Lock()
# Appends of this process, for the same reason: one at a time through the
# ledger file's short flock.
_APPEND_GUARD = threading.Lock()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def default_owner(what: str) -> str:
    """A lock owner naming the person and machine: ``"apply plan-1 by ana@ci-7"``."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{what} by {user}@{socket.gethostname()}"


def _fsync_directory(path: str) -> None:
    # A new file's name lives in its directory: without this, a crash right
    # after creating the ledger could lose the file with its first records.
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _missing(source: str) -> LedgerFileError:
    folder = os.path.dirname(os.path.abspath(source))
    start = f"touch {shlex.quote(source)}"
    if not os.path.isdir(folder):
        start = f"mkdir -p {shlex.quote(folder)} && {start}"
    return LedgerFileError(
        source,
        "does not exist; a missing history would undercount the quota. "
        f"To start a new history, create it empty: {start}",
    )


def _read_lines(source: str) -> list[str]:
    try:
        with open(source, encoding="utf-8", newline="\n") as handle:
            return list(handle)
    except FileNotFoundError as exc:
        raise _missing(source) from exc
    except UnicodeDecodeError as exc:
        raise LedgerFileError(source, f"is not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise LedgerFileError(source, f"cannot read: {exc.strerror}") from exc


def read_history(path: str | os.PathLike[str]) -> History:
    """Read a JSON Lines ledger file. A missing file is an error, not an empty history."""
    source = os.fspath(path)
    return parse_history(_read_lines(source), source)


class FileLedger(JsonLinesLedger):
    """The ledger as a local JSON Lines file (``--ledger PATH``).

    A missing file: ``read`` and ``records`` raise LedgerFileError ("does not
    exist ... create it empty") when ``must_exist`` is true (the default, the
    rule for plans: a mistyped path must not read as an empty history and
    undercount the quota); with ``must_exist=False`` they return an empty
    history (with a warning) and ``[]``. ``lock`` and ``append`` always create
    the file (an apply starts a new history), fsync its directory, and say so in
    ``notices``.

    Holds no open file between calls; ``clock`` stamps lock files and the lines
    set aside into ``PATH.torn`` (tests pass a fixed one).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        must_exist: bool = True,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.path = os.fspath(path)
        self.lock_path = self.path + ".lock"
        self.torn_path = self.path + ".torn"
        self.must_exist = must_exist
        self._clock = clock
        self._notices: list[str] = []

    def __repr__(self) -> str:
        return f"FileLedger({self.path!r}, must_exist={self.must_exist})"

    @property
    def source(self) -> str:
        return self.path

    @property
    def notices(self) -> tuple[str, ...]:
        """What writing did besides appending (created the file, set a cut line aside)."""
        return tuple(self._notices)

    def exists(self) -> bool:
        return os.path.exists(self.path)

    # reading

    def _lines(self) -> list[str] | None:
        if not self.must_exist and not os.path.exists(self.path):
            return None
        return _read_lines(self.path)

    # A file ledger never archives (an append is one O_APPEND write, whatever the
    # size), but it reads the archives of a copied S3 ledger (KEY and KEY.archive/).

    def _archive_source(self, name: str) -> str:
        return ledger_archive.archive_location(self.path, name)

    def _archive_data(self, name: str) -> bytes | None:
        try:
            with open(self._archive_source(name), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise LedgerFileError(
                self._archive_source(name), f"cannot read: {exc.strerror}"
            ) from exc

    # writing

    def _append_line(
        self, line: bytes, what: str, *, guard: Guard | None = None, starts: bool = False
    ) -> None:
        # `starts` needs nothing here: the flock lock cannot be lost while held.
        fd = self._open()
        try:
            # The write itself needs no lock (one O_APPEND write). The tail check
            # does: while another appender's write is in flight, the file can
            # briefly end mid-line, and we must not "repair" that. So check and
            # write under a short flock of the ledger file itself (not the
            # apply's PATH.lock), and fsync after it, so fsyncs still overlap.
            with _APPEND_GUARD:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    if guard is not None and not self._lock_held():
                        # Every appender takes this flock: the guard sees exactly
                        # the history the record lands on. Under this process's
                        # apply lock nobody else can append (every writer takes
                        # it), so the history is the one the caller checked.
                        text = _read_all(fd).decode("utf-8", "replace")
                        history = self._history(text.splitlines(keepends=True))
                        check_guard(guard, history, what)
                    closing = self._settle_tail(fd, what)
                    self._write(fd, closing + line, what)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            os.fsync(fd)
        except OSError as exc:
            raise LedgerWriteError(
                f"{self.path}: cannot append {what} ({exc.strerror}); it is NOT recorded. "
                "Stop, fix the disk, then run again"
            ) from exc
        finally:
            os.close(fd)

    def _lock_held(self) -> bool:
        with _HELD_GUARD:
            return os.path.realpath(self.lock_path) in _HELD

    def _open(self) -> int:
        """A read-write O_APPEND descriptor; creates the file (and says so) if missing."""
        flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC
        for _ in range(2):
            try:
                return os.open(self.path, flags)
            except FileNotFoundError:
                pass  # created below
            except OSError as exc:
                raise LedgerFileError(
                    self.path, f"cannot open for writing: {exc.strerror}"
                ) from exc
            try:
                fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                continue  # another process created it just now: open that one
            except FileNotFoundError as exc:
                folder = os.path.dirname(os.path.abspath(self.path))
                raise LedgerFileError(
                    self.path, f"cannot create: the directory {folder} does not exist"
                ) from exc
            except OSError as exc:
                raise LedgerFileError(self.path, f"cannot create: {exc.strerror}") from exc
        else:
            raise LedgerFileError(self.path, "cannot open: it keeps appearing and disappearing")
        try:
            os.fsync(fd)
            _fsync_directory(self.path)
        except OSError as exc:
            os.close(fd)
            raise LedgerWriteError(
                f"{self.path}: created, but cannot make it durable ({exc.strerror})"
            ) from exc
        notice = f"{self.path}: did not exist; created it, starting a new, empty history"
        self._notices.append(notice)
        _log.warning("%s", notice)
        return fd

    def _write(self, fd: int, data: bytes, what: str) -> None:
        # One write of the whole line: with O_APPEND the kernel places it at the
        # end atomically, so concurrent appenders never interleave. Writing the
        # rest of a short write would land after someone else's line, so a short
        # write is an error; the next append sets aside the cut line it leaves.
        written = os.write(fd, data)
        if written != len(data):
            raise LedgerWriteError(
                f"{self.path}: wrote only {written} of {len(data)} bytes of {what}; it is NOT "
                "recorded. Stop, fix the disk (is it full?), then run again"
            )

    def _settle_tail(self, fd: int, what: str) -> bytes:
        """Make room for an append after the last line; returns what to write first.

        A complete last line without its newline (cut just before it, or saved so
        by an editor) gets one, in the same write as the record. A record cut
        short by a crash is moved to ``PATH.torn`` (appended there, never
        deleted) and cut off the ledger. Anything else is refused: it may be a
        record someone meant to be counted.
        """
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return b""
        # Rare (after a crash mid-write): read it all to name the line.
        data = _read_all(fd)
        cut = cut_tail(data, self.path, what)
        if cut is None:
            return b"\n"  # a complete record that only lacks its newline
        start, number = cut
        fragment = data[start:]
        text = fragment.decode("ascii")
        self._set_aside(number, text)
        os.ftruncate(fd, start)
        notice = (
            f"{self.path}:{number}: the last line was a record cut short ({len(fragment)} bytes, "
            f"as a crash mid-append leaves; never counted); moved it to {self.torn_path} "
            "before appending"
        )
        self._notices.append(notice)
        _log.warning("%s", notice)
        return b""

    def _set_aside(self, number: int, fragment: str) -> None:
        """Append a cut line to ``PATH.torn``, durably, before it leaves the ledger."""
        entry = {
            "ledger": self.path,
            "line": number,
            "moved_at": format_time(self._clock()),
            "text": fragment,
            "why": "a record cut short by a crash mid-append (no newline); never counted",
        }
        data = (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        fd = os.open(self.torn_path, flags, 0o666)
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, f"short write to {self.torn_path}")
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_directory(self.torn_path)

    # locking

    @contextmanager
    def lock(self, owner: str) -> Iterator[LedgerLock]:
        """Hold ``PATH.lock`` exclusively until the block ends; fail fast if held.

        Creates the ledger file if it does not exist (once the lock is held).
        Raises LedgerLockedError naming the holder; LedgerFileError if the lock
        file cannot be opened or locked.
        """
        if not isinstance(owner, str) or not owner.strip():
            raise ValueError("the lock owner must be a non-empty string")
        holder = LockHolder(
            owner=owner,
            pid=os.getpid(),
            host=socket.gethostname(),
            since=self._clock(),
            thread=threading.current_thread().name,
        )
        key = os.path.realpath(self.lock_path)
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is not None:
                raise LedgerLockedError(self.path, self.lock_path, held, same_process=True)
            _HELD[key] = holder
        try:
            fd = self._flock(holder)
            try:
                if not os.path.exists(self.path):
                    os.close(self._open())  # an apply starts a new history
                yield LedgerLock(path=self.path, lock_path=self.lock_path, holder=holder)
            finally:
                # Emptied so a stale name never misleads; the file itself stays,
                # because unlinking a lock file races with the next locker.
                try:
                    os.ftruncate(fd, 0)
                finally:
                    os.close(fd)  # releases the flock
        finally:
            with _HELD_GUARD:
                _HELD.pop(key, None)

    def _flock(self, holder: LockHolder) -> int:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise LedgerFileError(
                self.lock_path, f"cannot open the ledger's lock file: {exc.strerror}"
            ) from exc
        try:
            deadline = time.monotonic() + _LOCK_SETTLE_SECONDS
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    other = LockHolder.parse(_read_all(fd).decode("utf-8", "replace"))
                    # An empty lock file means the holder has just taken the lock
                    # and not yet named itself, or is releasing it: look again.
                    if other is not None or time.monotonic() >= deadline:
                        raise LedgerLockedError(self.path, self.lock_path, other) from None
                    time.sleep(0.01)
            os.ftruncate(fd, 0)
            os.pwrite(fd, holder.to_text().encode("utf-8"), 0)
        except OSError as exc:
            os.close(fd)
            raise LedgerFileError(
                self.lock_path,
                f"cannot lock ({exc.strerror}); keep the ledger on a local disk or a "
                "filesystem with working locks",
            ) from exc
        except BaseException:
            os.close(fd)
            raise
        return fd
