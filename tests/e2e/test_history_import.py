"""A release done by hand with the AWS CLI is counted by the next plan after the import."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import run

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = str(ROOT / "numbers.yaml")
TARGET = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def aws() -> str:
    found = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")
    assert found, "the AWS CLI is a dev dependency (awscli)"
    return found


def new_ledger(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """An empty ledger of ``kind``: its --ledger value and a reader of its records."""
    if kind == "file":
        path = tmp_path / "history.jsonl"
        path.touch()
        return str(path), lambda: [json.loads(line) for line in path.read_text().splitlines()]
    s3 = request.getfixturevalue("s3")  # a local S3 (moto over HTTP)
    s3.client().put_object(Bucket="ledgers", Key="history.jsonl", Body=b"")

    def records() -> list[dict[str, Any]]:
        body = s3.client().get_object(Bucket="ledgers", Key="history.jsonl")["Body"].read()
        return [json.loads(line) for line in body.decode().splitlines() if line.strip()]

    return "s3://ledgers/history.jsonl", records


@pytest.mark.parametrize("kind", ["file", "s3"])
def test_a_release_by_hand_is_counted_after_import_cloudtrail(
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    kind: str,
) -> None:
    ledger, read_records = new_ledger(kind, tmp_path, request)
    code, out, _ = run(capsys, "plan", "--numbers", NUMBERS, "--ledger", ledger, "--format", "json")
    before = json.loads(out)["quota"]["used"]

    listed = subprocess.run(
        [
            aws(),
            "connect",
            "list-phone-numbers-v2",
            "--endpoint-url",
            emulator.url,
            "--target-arn",
            TARGET,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=True,
        timeout=60,
    )
    spare = next(
        n
        for n in json.loads(listed.stdout)["ListPhoneNumbersSummaryList"]
        if n["PhoneNumber"] == "+12065550151"
    )
    subprocess.run(
        [
            aws(),
            "connect",
            "release-phone-number",
            "--endpoint-url",
            emulator.url,
            "--phone-number-id",
            spare["PhoneNumberId"],
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=True,
        timeout=60,
    )

    code, out, _ = run(capsys, "plan", "--numbers", NUMBERS, "--ledger", ledger, "--format", "json")
    assert json.loads(out)["quota"]["used"] == before  # the ledger does not know yet

    code, out, _ = run(
        capsys, "ledger", "import-cloudtrail", "--ledger", ledger, "--numbers", NUMBERS
    )
    assert code == 0 and "Imported 1 event(s) from CloudTrail" in out
    code, out, _ = run(
        capsys, "ledger", "import-cloudtrail", "--ledger", ledger, "--numbers", NUMBERS
    )
    assert "Imported 0 event(s)" in out and "1 already recorded" in out  # no duplicates

    code, out, _ = run(capsys, "plan", "--numbers", NUMBERS, "--ledger", ledger, "--format", "json")
    data = json.loads(out)
    assert data["quota"]["used"] == before + 1
    assert data["quota"]["coverage"]["covered_since"] is not None
    records = read_records()
    imported = [r for r in records if r.get("source") == "cloudtrail" and r["status"] == "done"]
    assert len(imported) == 1 and imported[0]["phone_number_id"] == spare["PhoneNumberId"]


def test_plan_can_count_cloudtrail_on_the_fly(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import boto3

    client = boto3.client("connect", region_name="us-east-1")
    numbers = client.list_phone_numbers_v2(TargetArn=TARGET)["ListPhoneNumbersSummaryList"]
    spare = next(n for n in numbers if n["PhoneNumber"] == "+12065550151")
    client.release_phone_number(PhoneNumberId=spare["PhoneNumberId"])
    _code, out, _ = run(
        capsys, "plan", "--numbers", NUMBERS, "--history", "cloudtrail", "--format", "json"
    )
    data = json.loads(out)
    assert data["quota"]["used"] == 1
    assert data["quota"]["coverage"]["complete"] is False  # 90 days of a 180-day window


def test_ledger_add_records_a_console_action(
    emulator: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    code, out, _ = run(
        capsys,
        "ledger",
        "add",
        "release",
        "+1 206 555 0177",
        "--at",
        "2026-11-01T10:00:00Z",
        "--note",
        "console, OPS-1",
        "--ledger",
        str(ledger),
    )
    assert code == 0 and "Recorded: release +12065550177 at 2026-11-01T10:00:00Z" in out
    record = json.loads(ledger.read_text().splitlines()[0])
    assert record["status"] == "done" and record["message"] == "console, OPS-1"
    code, _, err = run(
        capsys,
        "ledger",
        "add",
        "claim",
        "+12065550177",
        "--at",
        "2099-01-01T00:00:00Z",
        "--ledger",
        str(ledger),
    )
    assert code == 1 and "in the future" in err
    code, _, err = run(
        capsys,
        "ledger",
        "add",
        "claim",
        "2065550177",
        "--at",
        "2026-11-01T10:00:00Z",
        "--ledger",
        str(ledger),
    )
    assert code == 1 and "NUMBER" in err
