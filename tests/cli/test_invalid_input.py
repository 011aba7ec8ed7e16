"""Every malformed numbers.yaml is refused by the CLI before any AWS call."""

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
