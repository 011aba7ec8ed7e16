"""The history store behind ``--ledger``: the ``Ledger`` protocol and its JSON Lines file.

A facade: the names below live in the package's modules, and callers import
them from here (``from reconciler.ledger import FileLedger``).

- ``records``: the line format, read strictly (statuses, keys, cut lines).
- ``history``: ``LedgerRecord``, ``History`` and the parsing of a ledger's text
  (the file format and what counts against the quota).
- ``archive``: old records moved into immutable archives (the S3 ledger).
- ``backend``: the ``Ledger`` protocol, the ``JsonLinesLedger`` base every
  backend shares, the guard, the lock values and the ledger's errors.
- ``file``: ``FileLedger``, the local file (crashes, torn lines, the flock).
"""

from __future__ import annotations

from reconciler.ledger.backend import (
    Guard,
    JsonLinesLedger,
    Ledger,
    LedgerLock,
    LedgerLockedError,
    LedgerWriteError,
    LockHolder,
    QuotaRaceError,
    UnsupportedLedgerError,
    check_guard,
)
from reconciler.ledger.file import FileLedger, default_owner, read_history
from reconciler.ledger.history import (
    Archived,
    History,
    LedgerRecord,
    coverage_record,
    cut_tail,
    history_of,
    parse_history,
    records_of,
)
from reconciler.ledger.records import RecordStatus, format_time, parse_time

# The names the package exported before the split, plus the ones callers
# imported from it without their being listed (Archived, check_guard,
# coverage_record, cut_tail, history_of, records_of).
__all__ = [
    "Archived",
    "FileLedger",
    "Guard",
    "History",
    "JsonLinesLedger",
    "Ledger",
    "LedgerLock",
    "LedgerLockedError",
    "LedgerRecord",
    "LedgerWriteError",
    "LockHolder",
    "QuotaRaceError",
    "RecordStatus",
    "UnsupportedLedgerError",
    "check_guard",
    "coverage_record",
    "cut_tail",
    "default_owner",
    "format_time",
    "history_of",
    "parse_history",
    "parse_time",
    "read_history",
    "records_of",
]
