"""The layer rules of the README, enforced with import-linter (pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [exe, str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_the_contracts_catch_boto3_in_the_core(tmp_path: Path) -> None:
    """A planner that imports boto3 breaks two contracts: proof the contracts bite."""
    shutil.copytree(
        ROOT / "reconciler", tmp_path / "reconciler", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    planner = tmp_path / "reconciler" / "planner.py"
    planner.write_text("import boto3  # noqa\n" + planner.read_text())
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "The core is pure" in result.stdout
    assert "reconciler.planner -> boto3" in result.stdout
