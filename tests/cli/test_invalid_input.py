"""Every malformed numbers.yaml is refused by the CLI before any AWS call, every problem listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from tests.desired.test_corpus import CORPUS, CORPUS_DIR

EXTRA = {
    "non_utf8": b"version: 1\ntargets: \xff\n",
    "ten_megabytes": b"version: 1\n" + b"# padding\n" * (1024 * 1024),
}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    _, err = capsys.readouterr()
    return int(info.value.code or 0), err


@pytest.mark.parametrize("stem", sorted(CORPUS))
@pytest.mark.parametrize("command", ["plan", "validate"])
def test_malformed_file_is_refused_with_no_aws_call(
    emulator: Any, capsys: pytest.CaptureFixture[str], stem: str, command: str
) -> None:
    path = str(CORPUS_DIR / f"{stem}.yaml")
    line, fragment = CORPUS[stem]
    argv = ["plan", "--numbers", path] if command == "plan" else ["validate", path]
    code, err = _run(argv, capsys)
    assert code == 1
    assert err.startswith(f"error: {path}:{line}:" if line else f"error: {path}")
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert emulator.stats()["total_calls"] == 0


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_generated_malformed_files_make_no_aws_call(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_bytes(EXTRA[name])
    code, err = _run(["plan", "--numbers", str(path)], capsys)
    assert code == 1 and err.startswith(f"error: {path}")
    assert emulator.stats()["total_calls"] == 0


SEVERAL = """\
version: 1
targets:
  - arn: arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
  - arn: not-an-arn
quota:
  phone_numbers: "10"
  window_days: 0
safty:
  max_releases: 2
numbers:
  - "+12065550100"
  - "2065550101"
  - "+1 206 555 0100"
  - number: "+12065550199"
    descripton: typo
"""

# (line, fragment) of each problem of SEVERAL, in file order: one error line each.
SEVERAL_PROBLEMS = [
    (4, "targets[1].arn: not a Connect instance or traffic distribution group ARN"),
    (6, "quota.phone_numbers: got the string '10' (remove the quotes)"),
    (7, "quota.window_days: 0 is out of range"),
    (8, "safty: unknown key (did you mean 'safety'?)"),
    (12, "numbers[1]: '2065550101' has no country code"),
    (13, "numbers[2]: '+1 206 555 0100' on line 13 is the same number as '+12065550100'"),
    (15, "numbers[3].descripton: unknown key (did you mean 'description'?)"),
]


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_every_problem_of_a_file_is_reported_one_line_each(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(SEVERAL)
    argv = ["plan", "--numbers", str(path)] if command == "plan" else ["validate", str(path)]
    code, err = _run(argv, capsys)
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == len(SEVERAL_PROBLEMS), err
    for line, (number, fragment) in zip(lines, SEVERAL_PROBLEMS, strict=True):
        assert line.startswith(f"error: {path}:{number}: "), line
        assert fragment in line, line
    assert emulator.stats()["total_calls"] == 0


def test_validate_reports_every_file_and_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(SEVERAL)
    second.write_text(SEVERAL.replace("window_days: 0", "window_days: 180"))
    code, err = _run(["validate", str(first), str(second)], capsys)
    assert code == 1
    assert sum(line.startswith(f"error: {first}:") for line in err.splitlines()) == 7
    assert sum(line.startswith(f"error: {second}:") for line in err.splitlines()) == 6
