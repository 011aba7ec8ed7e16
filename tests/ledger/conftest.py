"""Helpers for the ledger tests: records, and Python subprocesses that use the ledger."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.core.model import Action
from reconciler.ledger import LedgerRecord

ROOT = Path(__file__).resolve().parent.parent.parent
T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


def record(
    status: str = "done", number: str = "+12065550199", action: str = "release", **more: object
) -> LedgerRecord:
    fields: dict[str, object] = {
        "phone_number_id": "pn-1",
        "target_arn": "arn:aws:connect:us-east-1:111122223333:instance/i-1",
        "plan_id": "plan-1",
        "client_token": "tok-1",
        **more,
    }
    return LedgerRecord(
        action=Action(action),
        phone_number=number,
        at=T0,
        status=status,
        **fields,  # type: ignore[arg-type]
    )


def python(script: str, *args: str) -> subprocess.Popen[str]:
    """A child Python running ``script`` with the checkout importable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    """Child processes a test starts; any still running at the end are killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=10)
