"""The real Pulumi CLI on a local file backend: the harness of test_engine.py.

Finding the CLI: ``PULUMI_CLI_DIR`` if set, else ``.tools/pulumi/bin`` (what
``make pulumi-cli`` builds), else a ``pulumi`` on PATH (a user's own install).
Without one the engine tests are skipped on a developer's machine and FAIL in
CI (``CI`` set, as .ci/run runs): a CI that cannot run the engine must say so.

Each :class:`Project` is a temporary Pulumi project: the repository's
Pulumi.yaml (its virtualenv made absolute: the project's own ``.venv``) and
``__main__.py`` copied in, a numbers file and a ledger of its own, its stacks
in ``file://`` state under the test's folder, a private PULUMI_HOME and no
update check. The Connect API is the bundled emulator (the ``emulator``
fixtures set ``AWS_ENDPOINT_URL_CONNECT``), so nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / ".tools" / "pulumi" / "bin"
TYPE_TOKEN = "pulumi-python:dynamic/connect-numbers:PhoneNumber"
# A whole `pulumi up` of the demo inventory takes a few seconds; a hang is a failure.
TIMEOUT = 300


def cli_dir() -> Path | None:
    """The folder of the ``pulumi`` binary to use, or None if there is none."""
    configured = os.environ.get("PULUMI_CLI_DIR")
    if configured:
        return Path(configured) if (Path(configured) / "pulumi").exists() else None
    if (BUILT / "pulumi").exists():
        return BUILT
    found = shutil.which("pulumi")
    return Path(found).parent if found else None


def require_cli() -> Path:
    """The CLI folder; skip without one, except in CI, where its absence fails the run."""
    found = cli_dir()
    if found is not None:
        return found
    message = (
        "the Pulumi CLI is missing: run `make pulumi-cli` (builds it into .tools/pulumi/bin), "
        "or set PULUMI_CLI_DIR to the folder of your own `pulumi`"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the real-engine tests: {message}", pytrace=False)
    pytest.skip(message)


@dataclass
class Result:
    """One CLI run: its exit code and output."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data


@dataclass
class Project:
    """A temporary Pulumi project running this repository's program."""

    dir: Path
    bin: Path
    env: dict[str, str] = field(default_factory=dict)
    stack: str = "dev"

    @classmethod
    def make(cls, tmp_path: Path, *, numbers: str | None = None, ledger: bool = True) -> Project:
        """A project running this checkout's program with the project's own .venv."""
        project_dir = tmp_path / "project"
        project_dir.mkdir(parents=True, exist_ok=True)
        spec = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
        spec["runtime"]["options"]["virtualenv"] = str(ROOT / ".venv")
        (project_dir / "Pulumi.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        shutil.copy(ROOT / "__main__.py", project_dir / "__main__.py")
        (project_dir / "numbers.yaml").write_text(
            numbers if numbers is not None else (ROOT / "numbers.yaml").read_text()
        )
        project = cls.at(project_dir, tmp_path, venv=ROOT / ".venv")
        project.new_stack("dev", ledger=ledger)
        return project

    @classmethod
    def at(cls, project_dir: Path, tmp_path: Path, *, venv: Path) -> Project:
        """The CLI's environment for an existing project folder (no stack yet)."""
        home = tmp_path / "pulumi-home"
        state = tmp_path / "state"
        for folder in (home, state):
            folder.mkdir(parents=True, exist_ok=True)
        binary = require_cli()
        env = {
            **os.environ,
            "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": "engine-tests",
            "PULUMI_HOME": str(home),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "NO_COLOR": "1",
            "PATH": os.pathsep.join([str(binary), str(venv / "bin"), os.environ["PATH"]]),
        }
        return cls(dir=project_dir, bin=binary, env=env)

    @property
    def ledger(self) -> Path:
        return self.dir / f"ledger-{self.stack}.jsonl"

    def new_stack(self, name: str, *, ledger: bool = True) -> None:
        """Create and select a stack (region us-east-1, its own empty ledger if asked)."""
        self.run("stack", "init", name, check=True)
        self.stack = name
        self.run("config", "set", "aws:region", "us-east-1", check=True)
        if ledger:
            self.ledger.touch()
            self.run("config", "set", "connect-numbers:ledger", self.ledger.name, check=True)

    def select(self, name: str) -> None:
        self.run("stack", "select", name, check=True)
        self.stack = name

    def run(self, *args: str, check: bool = False) -> Result:
        done = subprocess.run(
            [str(self.bin / "pulumi"), *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        result = Result(tuple(args), done.returncode, done.stdout, done.stderr)
        if check and result.code != 0:
            raise AssertionError(f"pulumi {' '.join(args)} exited {result.code}:\n{result.text}")
        return result

    # -- the verbs the tests use --------------------------------------------------------

    def preview(self, *extra: str) -> Result:
        return self.run("preview", "--json", *extra)

    def up(self, *extra: str) -> Result:
        return self.run("up", "--yes", "--skip-preview", *extra)

    def exported(self) -> dict[str, Any]:
        """The stack's state (``pulumi stack export``)."""
        data: dict[str, Any] = self.run("stack", "export", check=True).json()
        return data

    def numbers(self) -> dict[str, dict[str, Any]]:
        """Each phone-number resource of the stack: its outputs, by resource name."""
        resources = self.exported()["deployment"].get("resources", [])
        return {
            r["urn"].rsplit("::", 1)[1]: r.get("outputs", {})
            for r in resources
            if r["type"] == TYPE_TOKEN
        }

    def write_numbers(self, text: str) -> None:
        (self.dir / "numbers.yaml").write_text(text)


def steps(preview: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The phone-number steps of a ``pulumi preview --json``, by resource name."""
    return {
        s["urn"].rsplit("::", 1)[1]: s
        for s in preview.get("steps", [])
        if s["urn"].split("::")[-2].split("$")[-1] == TYPE_TOKEN
    }


def ops(preview: dict[str, Any]) -> dict[str, str]:
    """Each phone-number resource's step op (create, update, same, delete...)."""
    return {name: step["op"] for name, step in steps(preview).items()}


def diagnostics(preview: dict[str, Any], severity: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = preview.get("diagnostics", [])
    return [d for d in found if severity is None or d.get("severity") == severity]
