"""Terminal output: colour on a terminal, none with NO_COLOR or when piped; --quiet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

NUMBERS = str(Path(__file__).resolve().parents[2] / "numbers.yaml")


def test_colour_on_a_terminal(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = CliRunner().invoke(cli, ["plan", "--numbers", NUMBERS], color=True)
    assert result.exit_code == 0, result.output
    assert "\x1b[33m\x1b[1mRelease (4)" in result.output
    assert "\x1b[31m\x1b[1mDEACTIVATED\x1b[0m" in result.output


def test_no_color_turns_it_off(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(cli, ["plan", "--numbers", NUMBERS], color=True)
    assert "\x1b[" not in result.output and "Release (4)" in result.output


def test_piped_output_is_plain(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = CliRunner().invoke(cli, ["plan", "--numbers", NUMBERS])  # not a terminal
    assert "\x1b[" not in result.output


def test_quiet_plan_prints_only_the_summary(emulator: Any) -> None:
    result = CliRunner().invoke(cli, ["plan", "--numbers", NUMBERS, "--quiet"])
    assert result.output == "Plan: 4 to release, 3 to keep, 1 missing, 1 skipped.\n"


def test_every_command_has_help_with_examples() -> None:
    for name, command in cli.commands.items():
        text = CliRunner().invoke(cli, [name, "--help"]).output
        if hasattr(command, "commands"):  # a group: its subcommands
            for sub in command.commands:  # type: ignore[attr-defined]
                sub_text = CliRunner().invoke(cli, [name, sub, "--help"]).output
                assert "Examples:" in sub_text, f"{name} {sub} --help has no examples"
            continue
        assert "Examples:" in text, f"{name} --help has no examples"
