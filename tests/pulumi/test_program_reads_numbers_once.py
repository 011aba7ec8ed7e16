"""The Pulumi program reads numbers.yaml once (issue 12): it checks the file for the
region warning, then its component plans with it; the second read parses nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler import desired

from .test_program_mocks import config, run_program, write_ledger


def test_the_program_composes_and_validates_numbers_yaml_once(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = write_ledger(tmp_path / "history.jsonl", [])
    desired._parsed.clear()
    composed: list[str] = []
    real = desired._compose

    def counted(text: str, source: str) -> Any:
        composed.append(source)
        return real(text, source)

    monkeypatch.setattr(desired, "_compose", counted)
    run = run_program(config(ledger=ledger), preview=True)
    assert run.outputs["plan"]["releases"] == 4  # the whole program ran
    assert len(composed) == 1, composed
