"""`connect-numbers emulator`: URL on the first line, real boto3 works, stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]


def test_emulator_command_serves_the_seed_until_stopped(aws_env: None) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "--port",
            "0",
            "--seed",
            str(ROOT / "examples" / "emulator-seed.yaml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        client = boto3.client("connect", endpoint_url=url, region_name="us-east-1")
        numbers = client.list_phone_numbers_v2(
            TargetArn="arn:aws:connect:us-east-1:111122223333:instance/"
            "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        )["ListPhoneNumbersSummaryList"]
        assert "+12065550100" in {n["PhoneNumber"] for n in numbers}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_emulator_state_file_survives_a_restart(aws_env: None, tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    target = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

    def start(*extra: str) -> tuple[subprocess.Popen[str], Any]:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reconciler",
                "emulator",
                "--quiet",
                "--state",
                str(state),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        return proc, boto3.client("connect", endpoint_url=url, region_name="us-east-1")

    def numbers(client: Any) -> dict[str, str]:
        page = client.list_phone_numbers_v2(TargetArn=target)["ListPhoneNumbersSummaryList"]
        return {n["PhoneNumber"]: n["PhoneNumberId"] for n in page}

    proc, client = start("--seed", str(ROOT / "examples" / "emulator-seed.yaml"))
    try:
        client.release_phone_number(PhoneNumberId=numbers(client)["+12065550151"])
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    proc, client = start()  # no seed: resumes from the state file
    try:
        assert "+12065550151" not in numbers(client)
        assert "+12065550150" in numbers(client)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
