"""Choosing a ledger backend from a ``--ledger`` value: the one place that knows both.

A path or a ``file://`` URL is the JSON Lines file (``reconciler.ledger``); an
``s3://`` URL is the S3 object (``reconciler.aws.ledger_s3``, imported only
when asked for, so a file ledger never imports boto3).
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from reconciler.ledger import FileLedger, Ledger, UnsupportedLedgerError

__all__ = ["open_ledger"]


def open_ledger(spec: str, *, must_exist: bool = True) -> Ledger:
    """The ledger a ``--ledger`` value names: a path, a ``file://`` or an ``s3://`` URL."""
    if not isinstance(spec, str) or not spec.strip():
        raise UnsupportedLedgerError("--ledger: expected a path to a JSON Lines history file")
    if "://" in spec:
        url = urlparse(spec)
        scheme = url.scheme.lower()
        if scheme == "file" and url.netloc in ("", "localhost") and url.path:
            return _file_ledger(unquote(url.path), must_exist=must_exist)
        if scheme == "s3":
            from reconciler.aws.ledger_s3 import S3Ledger  # boto3 only for an S3 ledger

            return S3Ledger.from_url(spec, must_exist=must_exist)
        raise UnsupportedLedgerError(
            f"{spec}: unknown kind of ledger {scheme}://; use a local JSON Lines file path "
            "or s3://BUCKET/KEY"
        )
    return _file_ledger(spec, must_exist=must_exist)


def _file_ledger(path: str, *, must_exist: bool) -> FileLedger:
    """A ledger file is a regular file (or none yet): a device reads as an empty history
    (`/dev/null`: "0 used") and a named pipe blocks the run forever."""
    if os.path.exists(path) and not os.path.isfile(path):
        raise UnsupportedLedgerError(
            f"{path}: not a regular file (a device, a named pipe or a folder), so not a "
            "ledger; name the JSON Lines history file, or start one: touch history.jsonl"
        )
    return FileLedger(path, must_exist=must_exist)
