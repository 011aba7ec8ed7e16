"""Progress on stderr: a bar or a line rewritten in place on a terminal, plain lines in
CI logs, nothing for JSON (apply) or with --quiet: apply's releases and every read of the
inventory (plan, and apply's planning)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.cli import _Progress
from reconciler.cli_progress import PLAIN_EVERY, ReadingProgress
from reconciler.inventory import ReadProgress
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


# --- reading the inventory (plan, and apply's planning) ---------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def reading(tty: bool, *, enabled: bool = True, expected: int = 100_000) -> tuple[Any, Clock]:
    clock = Clock()
    progress = ReadProgress()
    shown = ReadingProgress(
        progress, expected=expected, rate=2.0, enabled=enabled, tty=tty, clock=clock
    )
    return shown, clock


def test_a_terminal_sees_the_read_after_one_second_and_a_clean_line_after(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown, clock = reading(tty=True)
    shown.progress.count(targets=1, pages=3, numbers=3000)
    clock.now = 0.9
    shown.tick()
    assert capsys.readouterr().err == ""  # a quick read stays silent
    clock.now = 1.0
    shown.tick()
    # 97 pages left at 1.9 requests/s (2/s paced 5% under): 52 s. (click drops the
    # erase-line escape when stderr is not a real terminal, as here.)
    assert capsys.readouterr().err == (
        "\rreading the inventory: 3 page(s) listed (3,000 numbers); about 52 s left at 2 requests/s"
    )
    shown.progress.count(targets_done=1, pages=97, numbers=97_000, lookups=10, looked_up=4)
    shown.progress.count(flow_calls=1)
    clock.now = 1.3
    shown.tick()
    assert capsys.readouterr().err == (
        "\rreading the inventory: 100 page(s) listed (100,000 numbers), 4 of 10 number(s) "
        "looked up, 1 flow lookup(s); about 4 s left at 2 requests/s"
    )
    shown.finish()
    assert capsys.readouterr().err == "\r"


def test_a_log_gets_a_plain_line_every_ten_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    shown, clock = reading(tty=False, expected=1000)
    shown.progress.count(targets=1, pages=1, numbers=1000)  # more than numbers.yaml said
    for now in (1.0, 5.0, 9.9):
        clock.now = now
        shown.tick()
    assert capsys.readouterr().err == ""
    clock.now = PLAIN_EVERY
    shown.tick()
    clock.now = PLAIN_EVERY + 5
    shown.tick()
    assert capsys.readouterr().err.splitlines() == [
        "reading the inventory: 1 page(s) listed (1,000 numbers); about 1 s left at 2 requests/s"
    ]
    shown.progress.count(targets_done=1)
    clock.now = 2 * PLAIN_EVERY
    shown.tick()
    shown.finish()
    assert capsys.readouterr().err.splitlines() == [
        "reading the inventory: 1 page(s) listed (1,000 numbers), nothing to look up; "
        "about 0 s left at 2 requests/s"
    ]


def test_quiet_reads_show_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    for tty in (True, False):
        shown, clock = reading(tty=tty, enabled=False)
        clock.now = 60.0
        shown.tick()
        shown.finish()
    assert capsys.readouterr().err == ""


def test_a_long_plan_shows_its_read_in_the_log_and_nothing_with_quiet(
    emulator_factory: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real CLI against an emulator at 2 requests/s: 12 describes take ~4 s.

    The plans run one after another against fresh buckets: a plan right after
    another finds AWS's buckets spent, is throttled and backs off (slow, correct)."""
    from tests.inventory.test_aws import TARGET, seed

    from .support import run

    monkeypatch.setattr("reconciler.cli_progress.PLAIN_EVERY", 1.0)
    emulator_factory(seed(12), rate=2.0, burst=5)
    numbers = tmp_numbers(monkeypatch, TARGET)
    code, out, err = run(capsys, "plan", "--numbers", numbers, "--format", "json")
    assert code == 3, err  # 12 releases: more than max_releases 10... refused
    assert err == ""  # refused from the listing alone: quick, silent
    code, out, err = run(capsys, "plan", "--numbers", numbers, "--allow-mass-release")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("reading the inventory: ")]
    assert lines and "of 12 number(s) looked up" in lines[-1], err
    assert "\r" not in err  # plain lines in a log
    assert out.startswith("connect-numbers plan for ")  # stdout holds the plan alone
    emulator_factory(seed(12), rate=2.0, burst=5)  # full buckets again
    code, _, err = run(capsys, "plan", "--numbers", numbers, "--allow-mass-release", "--quiet")
    assert code == 0 and "reading the inventory" not in err


def tmp_numbers(monkeypatch: pytest.MonkeyPatch, target: str) -> str:
    import tempfile

    directory = tempfile.mkdtemp(prefix="progress-")
    monkeypatch.chdir(directory)
    path = f"{directory}/numbers.yaml"
    with open(path, "w") as out:
        out.write(f"version: 1\ntargets:\n  - arn: {target}\nquota:\n  phone_numbers: 100\n")
        out.write("safety:\n  max_releases: 10\nnumbers:\n  - '+12065550300'\n")
    return path
