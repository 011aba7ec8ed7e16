"""Every call to AWS, and nothing else: Connect, S3 (the ledger), CloudTrail, Service Quotas.

boto3 and botocore are imported only in this package (an import-linter contract).
``clients`` is the one way to build a client, ``errors`` the one way to map an
AWS error to ours.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SHARED", "forget_sessions"]

# The AWS sessions of one run, by credentials (``sessions.shared_sessions``): a role
# is assumed once per run. Kept here, free of boto3, so a front door can start
# each run afresh (``forget_sessions``) without importing boto3.
SHARED: dict[str, Any] = {}


def forget_sessions() -> None:
    """Start the next run with no session: each role is assumed again."""
    SHARED.clear()
