"""examples/iam-policy.json grants exactly what the product calls: no more, no less.

Every AWS operation the end-to-end flows make is recorded with botocore's
`before-call` event on every client the product creates (the product's code is
not changed for it), then compared with the plan and apply policies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from reconciler.cli import main

ROOT = Path(__file__).resolve().parent.parent
POLICY = json.loads((ROOT / "examples" / "iam-policy.json").read_text())
NUMBERS = str(ROOT / "numbers.yaml")
TARGET = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
MUTATING = ("Release", "Claim", "Put", "Delete", "Create", "Update", "Associate", "Disassociate")


def actions(policy: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in policy["Statement"]:
        listed = statement["Action"]
        found.update([listed] if isinstance(listed, str) else listed)
    return found


# S3 objects each S3 action touched (bucket/key), for the resource-level checks.
S3_CALLS: dict[str, set[str]] = {}


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """IAM actions (prefix:Operation) of every API call made while the test runs."""
    seen: set[str] = set()
    S3_CALLS.clear()
    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        prefix = client.meta.service_model.signing_name

        def record(model: Any, **_: Any) -> None:
            seen.add(f"{prefix}:{model.name}")

        def record_key(model: Any, params: Any = None, **_: Any) -> None:
            if prefix == "s3" and isinstance(params, dict) and "Key" in params:
                S3_CALLS.setdefault(f"s3:{model.name}", set()).add(params["Key"])

        client.meta.events.register("before-parameter-build", record_key)

        client.meta.events.register("before-call", record)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    yield seen


def cli(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def plan_flows(tmp: Path) -> None:
    ledger = tmp / "history.jsonl"
    ledger.touch()
    auto = tmp / "auto.yaml"
    text = (
        Path(NUMBERS)
        .read_text()
        .replace("phone_numbers: 10 ", "phone_numbers: auto\n  fallback: 10 ")
    )
    auto.write_text(text)
    assert cli("validate", NUMBERS) == 0
    assert cli("plan", "--numbers", NUMBERS, "--ledger", str(ledger)) == 0
    assert cli("plan", "--numbers", NUMBERS, "--format", "markdown") == 0
    assert cli("plan", "--numbers", NUMBERS, "--history", "cloudtrail") == 0
    assert cli("plan", "--numbers", str(auto), "--format", "json") == 0
    assert cli("init", "--target", TARGET, "--out", str(tmp / "init.yaml")) == 0
    assert cli("ledger", "import-cloudtrail", "--ledger", str(ledger), "--numbers", NUMBERS) == 0
    assert (
        cli(
            "ledger",
            "add",
            "claim",
            "+12065550177",
            "--at",
            "2026-11-01T00:00:00Z",
            "--ledger",
            str(ledger),
        )
        == 0
    )


def apply_flows(tmp: Path) -> None:
    ledger = tmp / "apply.jsonl"
    ledger.touch()
    saved = tmp / "plan.json"
    assert cli("plan", "--numbers", NUMBERS, "--ledger", str(ledger), "--out", str(saved)) == 0
    assert cli("apply", str(saved), "--ledger", str(ledger)) == 0
    # A description changed in numbers.yaml: updated in place (issue 15).
    renamed = tmp / "renamed.yaml"
    renamed.write_text(Path(NUMBERS).read_text().replace("Main line", "Main line, renamed"))
    assert cli("apply", "--numbers", str(renamed), "--ledger", str(ledger), "--auto-approve") == 0
    # Tags named in numbers.yaml: set, then removed, in place (TagResource, UntagResource).
    for value in ("policy-check", "null"):
        tagged = tmp / "tagged.yaml"
        tagged.write_text(
            renamed.read_text().replace(
                "description: Main line, renamed",
                f"description: Main line, renamed\n    tags: {{team: {value}}}",
            )
        )
        assert (
            cli("apply", "--numbers", str(tagged), "--ledger", str(ledger), "--auto-approve") == 0
        )


def test_the_plan_policy_is_exactly_what_the_read_only_flows_use(
    emulator: Any, recorder: set[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_flows(tmp_path)
    assert "servicequotas:GetServiceQuota" in recorder  # the `auto` plan really read it
    assert recorder == actions(POLICY["PlanPolicy"])


def test_the_apply_policy_is_exactly_what_every_flow_uses(
    emulator: Any, recorder: set[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_flows(tmp_path)
    apply_flows(tmp_path)
    assert "connect:ReleasePhoneNumber" in recorder
    assert recorder == actions(POLICY["ApplyPolicy"])


def test_the_plan_policy_grants_nothing_that_mutates() -> None:
    for action in actions(POLICY["PlanPolicy"]):
        operation = action.split(":", 1)[1]
        assert not operation.startswith(MUTATING), action
    assert actions(POLICY["PlanPolicy"]) < actions(POLICY["ApplyPolicy"])


@pytest.mark.parametrize(
    "name",
    [
        "PlanPolicy",
        "ApplyPolicy",
        "S3LedgerReadPolicy",
        "S3LedgerWritePolicy",
        "AssumeTargetRolesPolicy",
    ],
)
def test_the_policies_are_well_formed(name: str) -> None:
    policy = POLICY[name]
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] and statement["Resource"]
        assert all(":" in a and "*" not in a for a in statement["Action"])


# S3 answers a GET of a missing object with 403 unless the caller may list the
# bucket: granted so a missing ledger reads as "does not exist", never called.
LIST_FOR_404 = {"s3:ListBucket"}


def s3_actions(seen: set[str]) -> set[str]:
    return {a for a in seen if a.startswith("s3:")}


def test_the_s3_ledger_policies_are_exactly_what_plan_and_apply_use(
    emulator: Any, s3: Any, recorder: set[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "s3://ledgers/connect-numbers/history.jsonl"
    saved = tmp_path / "plan.json"
    assert cli("apply", "--numbers", NUMBERS, "--ledger", url, "--auto-approve") == 1  # missing
    assert "does not exist" in capsys.readouterr().err
    s3.client().put_object(Bucket="ledgers", Key="connect-numbers/history.jsonl", Body=b"")
    recorder.clear()
    assert cli("plan", "--numbers", NUMBERS, "--ledger", url, "--out", str(saved)) == 0
    assert s3_actions(recorder) | LIST_FOR_404 == actions(POLICY["S3LedgerReadPolicy"])
    assert cli("apply", str(saved), "--ledger", url) == 0
    assert cli("ledger", "unlock", "0000", "--ledger", url) == 1  # no lease held: a read
    assert s3_actions(recorder) | LIST_FOR_404 == actions(POLICY["S3LedgerWritePolicy"])
    written = POLICY["S3LedgerWritePolicy"]["Statement"][0]["Resource"]
    assert written == [
        "arn:aws:s3:::BUCKET/KEY",
        "arn:aws:s3:::BUCKET/KEY.lease",
        "arn:aws:s3:::BUCKET/KEY.archive/*",  # older records moved out (ledger_archive)
    ]
    # The tool deletes only the lease (released, or broken by unlock), never the ledger.
    assert S3_CALLS["s3:DeleteObject"] == {"connect-numbers/history.jsonl.lease"}
    assert resources_of("S3LedgerWritePolicy", "s3:DeleteObject") == {
        "arn:aws:s3:::BUCKET/KEY.lease"
    }
    assert resources_of("S3LedgerWritePolicy", "s3:PutObject") == {
        "arn:aws:s3:::BUCKET/KEY",
        "arn:aws:s3:::BUCKET/KEY.lease",
        "arn:aws:s3:::BUCKET/KEY.archive/*",
    }


def resources_of(name: str, action: str) -> set[str]:
    """Every resource a policy grants ``action`` on, across its statements."""
    found: set[str] = set()
    for statement in POLICY[name]["Statement"]:
        if action in statement["Action"]:
            listed = statement["Resource"]
            found.update([listed] if isinstance(listed, str) else listed)
    return found


def test_every_placeholder_the_comment_names_is_used_and_every_used_one_is_named() -> None:
    """No placeholder to replace that no statement uses (and none left unexplained)."""
    policies = {k: v for k, v in POLICY.items() if k != "Comment"}
    # A trust policy's Principal key "AWS" is IAM's syntax, not a placeholder.
    text = json.dumps(policies).replace('"AWS":', "")
    used = set(re.findall(r"\b[A-Z][A-Z_]{2,}\b", text))
    named: set[str] = set()
    for sentence in re.findall(r"[Rr]eplace ([A-Za-z_, ]+?)(?: \(|\.|;)", POLICY["Comment"]):
        named.update(re.findall(r"\b[A-Z][A-Z_]{2,}\b", sentence))
    assert (
        named
        == used
        == {
            *("REGION", "ACCOUNT", "BUCKET", "KEY"),
            *("RUNNER_ACCOUNT", "RUNNER_ROLE", "EXTERNAL_ID", "TARGET_ROLE"),
        }
    )


def test_a_target_role_trusts_the_runner_with_the_external_id() -> None:
    """targets[].role_arn (issue 14): the trust policy of a target account's role lets
    the runner's role call sts:AssumeRole, only with the file's external id; the runner
    may assume the target roles and nothing else (tests/e2e/test_target_roles.py)."""
    (trust,) = POLICY["TargetRoleTrustPolicy"]["Statement"]
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"] == {"AWS": "arn:aws:iam::RUNNER_ACCOUNT:role/RUNNER_ROLE"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "EXTERNAL_ID"}}
    assert "Resource" not in trust  # a trust policy names no resource
    assert actions(POLICY["AssumeTargetRolesPolicy"]) == {"sts:AssumeRole"}
    (runner,) = POLICY["AssumeTargetRolesPolicy"]["Statement"]
    assert runner["Resource"] == "arn:aws:iam::*:role/TARGET_ROLE"
