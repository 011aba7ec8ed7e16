"""The layer rules of the README, enforced with import-linter (pyproject.toml)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reconciler", "connect_emulator")


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


def _copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _prepend(path: Path, line: str) -> None:
    text = path.read_text()
    # after the docstring and ``from __future__``, as a real import would be
    head, future, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + future + line + "\n" + rest if future else line + "\n" + text)


# (module changed, import added, what lint-imports must then print)
BITES = [
    pytest.param(
        "reconciler/core/planner.py",
        "import boto3  # noqa",
        (
            "The core is pure: no boto3, botocore, pulumi, YAML, I/O adapters or front doors"
            " BROKEN",
            "reconciler.core.planner -> boto3",
            "boto3 and botocore are imported only in reconciler.aws BROKEN",
        ),
        id="boto3 in the core",
    ),
    pytest.param(
        "connect_emulator/state.py",
        "import reconciler.core.model  # noqa",
        ("The emulator is independent: it imports nothing from the product BROKEN",),
        id="the emulator importing the product",
    ),
    pytest.param(
        "reconciler/core/quota.py",
        "import reconciler.ledger  # noqa",
        ("Layers: front doors on top, the pure core at the bottom BROKEN",),
        id="the core reaching up to the ledger",
    ),
    pytest.param(
        "reconciler/ledger/history.py",
        "import os  # noqa",
        ("The ledger's records and history are pure: no I/O, no file backend BROKEN",),
        id="I/O in the ledger's pure part",
    ),
]


@pytest.mark.parametrize(("module", "line", "expected"), BITES)
def test_the_contracts_bite(
    tmp_path: Path, module: str, line: str, expected: tuple[str, ...]
) -> None:
    """One forbidden import added to a copy of the tree breaks the contracts it should."""
    root = _copy(tmp_path)
    _prepend(root / module, line)
    result = _lint_imports(root)
    assert result.returncode != 0
    for text in expected:
        assert text in result.stdout, result.stdout


def test_no_import_cycles() -> None:
    """No module imports, directly or not, a module that imports it back.

    Imports inside functions count: they are cycles all the same, only deferred.
    """
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported == importer or imported.startswith(importer + "."):
                continue  # a package importing its own module (a facade) is no cycle
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None and not importer.startswith(imported + "."):
                cycles.append(" -> ".join((importer, *back)))
    assert cycles == []


LONG = 600
REASON = "Why one module:"


def test_no_long_module_without_a_reason() -> None:
    """A module above 600 lines says in its docstring why it is one module."""
    unexplained = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") > LONG:
                docstring = ast.get_docstring(ast.parse(text)) or ""
                if REASON not in docstring:
                    unexplained.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert unexplained == []
