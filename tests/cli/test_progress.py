"""Apply's progress: a bar on a terminal, plain lines in CI logs, nothing for JSON."""

from __future__ import annotations

import pytest

from reconciler.cli import _Progress
from reconciler.model import OutcomeStatus, ReleaseOutcome


def outcome(number: str) -> ReleaseOutcome:
    return ReleaseOutcome(
        phone_number=number,
        phone_number_id="id",
        status=OutcomeStatus.RELEASED,
        message="released",
    )


def test_plain_lines_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    progress = _Progress(2, enabled=True)
    progress(outcome("+12065550150"))
    progress(outcome("+12065550151"))
    progress.finish()
    assert capsys.readouterr().err.splitlines() == [
        "     released  +12065550150",
        "     released  +12065550151",
    ]


def test_a_bar_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    progress = _Progress(2, enabled=True)
    progress(outcome("+12065550150"))
    progress(outcome("+12065550151"))
    progress.finish()
    err = capsys.readouterr().err
    assert "\r[" + "#" * 15 + "." * 15 + "] 1/2 released +12065550150" in err
    assert "\r[" + "#" * 30 + "] 2/2 released +12065550151" in err
    assert err.endswith("\n")


def test_silent_for_json(capsys: pytest.CaptureFixture[str]) -> None:
    progress = _Progress(1, enabled=False)
    progress(outcome("+12065550150"))
    progress.finish()
    assert capsys.readouterr().err == ""
