"""`connect-numbers emulator`: URL on the first line, real boto3 works, stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

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
