"""A role or profile per target (issue 14, part 3): the CLI with real boto3 against
one emulator per account, each reached through a router as AWS's endpoints would be.

The router sends an STS call to the emulator of the role's account (RoleArn in
the form body) and a Connect call to the emulator of the account its access key
was issued for (the emulator's keys encode it); the default credentials reach
the first account. Each emulator records which key signed each Connect call
(``/_emulator/calls``): the tests prove each account was read and changed with
its own role's keys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request

from tests.regions import RegionRouter

from .support import FAST, cli

A, B = "111122223333", "444455556666"
ROLE_A = f"arn:aws:iam::{A}:role/connect-numbers"
ROLE_B = f"arn:aws:iam::{B}:role/connect-numbers"
INSTANCE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
_ROLE_IN_BODY = re.compile(r"RoleArn=arn%3Aaws%3Aiam%3A%3A([0-9]{12})")
_ISSUED_KEY = re.compile(r"Credential=ASIA([0-9]{12})")


def target(account: str) -> str:
    return f"arn:aws:connect:us-east-1:{account}:instance/{INSTANCE}"


class AccountRouter(RegionRouter):
    """Route by account: the role's (STS) or the access key's (Connect)."""

    def __init__(self, backends: dict[str, str], default: str) -> None:
        super().__init__(backends)
        self.default = default

    def pick(self, request: Request) -> str:
        if (request.content_type or "").startswith("application/x-www-form-urlencoded"):
            found = _ROLE_IN_BODY.search(request.get_data(as_text=True))
            if found:
                return found.group(1)
        key = _ISSUED_KEY.search(request.headers.get("Authorization", ""))
        return key.group(1) if key else self.default


def account_seed(account: str, prefix: str, **extra: Any) -> dict[str, Any]:
    return {
        "account_id": account,
        "region": "us-east-1",
        "instances": [{"id": INSTANCE}],
        "quota": {"phone_numbers": 10},
        "numbers": [
            {"phone_number": f"{prefix}0100", "instance": INSTANCE},
            {"phone_number": f"{prefix}0150", "instance": INSTANCE},
        ],
        **extra,
    }


@pytest.fixture
def accounts(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    def start(seed_a: dict[str, Any] | None = None, seed_b: dict[str, Any] | None = None) -> Any:
        servers = {
            A: emulator_factory(seed_a or account_seed(A, "+1206555")),
            B: emulator_factory(seed_b or account_seed(B, "+1503555")),
        }
        router = AccountRouter({a: s.url for a, s in servers.items()}, default=A)
        for service in ("CONNECT", "STS", "CLOUDTRAIL", "SERVICE_QUOTAS"):
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", router.url)
        ledger = tmp_path / "history.jsonl"
        ledger.touch()
        return servers, ledger

    return start


def numbers_file(path: Path, *targets: str, quota: str = "10") -> Path:
    path.write_text(
        "version: 1\ntargets:\n"
        + "".join(targets)
        + f"quota:\n  phone_numbers: {quota}\n"
        + 'numbers:\n  - "+12065550100"\n  - "+15035550100"\n'
    )
    return path


def entry(account: str, **extra: str) -> str:
    return f"  - arn: {target(account)}\n" + "".join(f"    {k}: {v}\n" for k, v in extra.items())


def calls(server: Any) -> list[dict[str, Any]]:
    from tests.emulator.support import admin

    status, body = admin(server, "GET", "/_emulator/calls")
    assert status == 200
    result: list[dict[str, Any]] = body["calls"]
    return result


def released(server: Any) -> list[str]:
    return [e["phone_number"] for e in server.history("emulator") if e["action"] == "release"]


def test_two_accounts_in_one_file_each_use_their_own_role(accounts: Any, tmp_path: Path) -> None:
    servers, ledger = accounts()
    numbers = numbers_file(
        tmp_path / "numbers.yaml", entry(A, role_arn=ROLE_A), entry(B, role_arn=ROLE_B)
    )
    planned = cli("plan", "--numbers", str(numbers), "--ledger", str(ledger), "--format", "json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert sorted(r["phone_number"] for r in plan["releases"]) == ["+12065550150", "+15035550150"]
    assert {d["account_id"] for d in plan["target_details"]} == {A, B}
    for fmt in ("text", "markdown"):  # the account of each target, in every view
        shown = cli("plan", "--numbers", str(numbers), "--ledger", str(ledger), "--format", fmt)
        assert shown.returncode == 0, shown.stderr
        for account in (A, B):
            assert f"Target: instance {INSTANCE} (account {account}, us-east-1)" in shown.stdout

    applied = cli(
        "apply", "--numbers", str(numbers), "--ledger", str(ledger), "--auto-approve", *FAST
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert released(servers[A]) == ["+12065550150"]
    assert released(servers[B]) == ["+15035550150"]
    for account, role in ((A, ROLE_A), (B, ROLE_B)):
        seen = calls(servers[account])
        operations = {c["operation"] for c in seen}
        assert {"ListPhoneNumbersV2", "DescribePhoneNumber", "ReleasePhoneNumber"} <= operations
        # Every Connect call of the account was signed by a key of its own role.
        assert {(c["account"], c["role_arn"]) for c in seen} == {(account, role)}
        assert all(c["access_key_id"].startswith("ASIA" + account) for c in seen)
        assert {c["session_name"] for c in seen} == {seen[0]["session_name"]}
        assert re.fullmatch(r"connect-numbers-[\w+=,.@-]{1,48}", seen[0]["session_name"])


def test_a_role_that_cannot_be_assumed_is_one_clean_error(accounts: Any, tmp_path: Path) -> None:
    refusing = account_seed(B, "+1503555", roles=[{"arn": ROLE_B, "refuse": True}])
    servers, ledger = accounts(seed_b=refusing)
    numbers = numbers_file(tmp_path / "numbers.yaml", entry(A), entry(B, role_arn=ROLE_B))
    planned = cli("plan", "--numbers", str(numbers), "--ledger", str(ledger))
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "Traceback" not in planned.stderr
    lines = [line for line in planned.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, planned.stderr
    assert f"target {target(B)}: cannot assume role {ROLE_B}" in lines[0]
    assert "AccessDenied" in lines[0] and "trust policy" in lines[0]
    assert "targets[].external_id" in lines[0]
    assert all(c["account"] is None for c in calls(servers[A]))  # A: default credentials
    assert calls(servers[B]) == []  # nothing reached B's Connect


def test_an_external_id_the_role_requires(accounts: Any, tmp_path: Path) -> None:
    audited = account_seed(B, "+1503555", roles=[{"arn": ROLE_B, "external_id": "tenant-42"}])
    servers, ledger = accounts(seed_b=audited)
    missing = numbers_file(tmp_path / "missing.yaml", entry(A), entry(B, role_arn=ROLE_B))
    refused = cli("plan", "--numbers", str(missing), "--ledger", str(ledger))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"cannot assume role {ROLE_B}" in refused.stderr
    assert "set targets[].external_id" in refused.stderr

    wrong = numbers_file(
        tmp_path / "wrong.yaml", entry(A), entry(B, role_arn=ROLE_B, external_id="tenant-41")
    )
    refused = cli("plan", "--numbers", str(wrong), "--ledger", str(ledger))
    assert refused.returncode == 1 and "matches targets[].external_id" in refused.stderr

    given = numbers_file(
        tmp_path / "given.yaml", entry(A), entry(B, role_arn=ROLE_B, external_id="tenant-42")
    )
    planned = cli("plan", "--numbers", str(given), "--ledger", str(ledger), "--format", "json")
    assert planned.returncode == 0, planned.stderr
    assert {(c["account"], c["role_arn"]) for c in calls(servers[B])} == {(B, ROLE_B)}


def test_a_profile_from_the_aws_config_file(
    accounts: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers, ledger = accounts()
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile ops-a]\naws_access_key_id = AKIAOPSACCOUNTA00001\n"
        "aws_secret_access_key = secret-a\nregion = us-east-1\n"
        "[profile hub]\naws_access_key_id = AKIAHUBSOURCE0000001\n"
        "aws_secret_access_key = secret-hub\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    numbers = numbers_file(
        tmp_path / "numbers.yaml",
        entry(A, profile="ops-a"),
        entry(B, role_arn=ROLE_B, profile="hub"),  # the hub profile assumes B's role
    )
    planned = cli("plan", "--numbers", str(numbers), "--ledger", str(ledger), "--format", "json")
    assert planned.returncode == 0, planned.stderr
    assert {c["access_key_id"] for c in calls(servers[A])} == {"AKIAOPSACCOUNTA00001"}
    assert {(c["account"], c["role_arn"]) for c in calls(servers[B])} == {(B, ROLE_B)}

    unknown = numbers_file(tmp_path / "unknown.yaml", entry(A, profile="nope"), entry(B))
    failed = cli("plan", "--numbers", str(unknown), "--ledger", str(ledger))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert f"target {target(A)}: AWS profile 'nope' not found" in failed.stderr


def test_service_quotas_and_cloudtrail_are_read_with_each_accounts_role(
    accounts: Any, tmp_path: Path
) -> None:
    """Service Quotas and CloudTrail answer for the caller's account: each account's
    quota (``phone_numbers: auto``) and trail (``--history cloudtrail``) are read
    with its own role; the ledger (a file here, S3 alike) with the default ones."""
    servers, ledger = accounts()
    numbers = numbers_file(
        tmp_path / "numbers.yaml",
        entry(A, role_arn=ROLE_A),
        entry(B, role_arn=ROLE_B),
        quota="auto\n  fallback: 10",
    )
    planned = cli(
        "plan", "--numbers", str(numbers), "--ledger", str(ledger), "--history", "cloudtrail"
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "warning" not in planned.stderr  # the quota was read, not the fallback
    for account, role in ((A, ROLE_A), (B, ROLE_B)):
        seen = calls(servers[account])
        operations = {c["operation"] for c in seen}
        assert {"GetServiceQuota", "LookupEvents", "ListPhoneNumbersV2"} <= operations
        assert {(c["account"], c["role_arn"]) for c in seen} == {(account, role)}
