"""Shared fixtures: a hermetic AWS environment and the bundled Connect emulator.

Tests that talk to "AWS" use real boto3 against ``connect_emulator`` on
127.0.0.1, pointed there through the standard ``AWS_ENDPOINT_URL_CONNECT``
setting, exactly as a user would point the product at it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connect_emulator import EmulatorServer
from tests.s3_server import S3Server

DEMO_SEED = Path(__file__).resolve().parent.parent / "examples" / "emulator-seed.yaml"

EmulatorFactory = Callable[..., EmulatorServer]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dummy credentials and no trace of the developer's real AWS setup.

    Every ``AWS_*`` variable is removed first (profiles, real endpoints, retry
    settings, web-identity roles), and the config and credentials files point
    to files that do not exist, so no test can reach or bill a real account.
    """
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    missing = tmp_path_factory.mktemp("aws-config")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def emulator_factory(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorFactory]:
    """``make(seed=None, *, rate=None, burst=5, **kw)`` starts an emulator.

    Rate limits are off unless ``rate`` is given. The most recently started
    server becomes ``AWS_ENDPOINT_URL_CONNECT``; all are stopped at teardown.
    """
    servers: list[EmulatorServer] = []

    def make(
        seed: Any = None, *, rate: float | None = None, burst: int = 5, **kw: Any
    ) -> EmulatorServer:
        server = EmulatorServer(seed, rate=rate, burst=burst, **kw).start()
        servers.append(server)
        # The emulator also answers CloudTrail, Service Quotas and STS for the account.
        for service in ("CONNECT", "CLOUDTRAIL", "SERVICE_QUOTAS", "STS"):
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", server.url)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> EmulatorServer:
    """The demo inventory (examples/emulator-seed.yaml), unthrottled, env pointed at it."""
    return emulator_factory(DEMO_SEED)


@pytest.fixture(scope="session")
def _s3_process_server() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3(aws_env: None, _s3_process_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """A local S3 (moto, over HTTP) with an empty bucket ``ledgers``; env points at it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", _s3_process_server.url)
    client = _s3_process_server.client()
    buckets = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    for name in buckets:  # start every test from nothing
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        for item in listed:
            client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)
    client.create_bucket(Bucket="ledgers")
    return _s3_process_server


@pytest.fixture
def regions(
    emulator_factory: EmulatorFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """Targets in us-east-1 and us-west-2: two emulators behind a router (tests/regions.py)."""
    from tests.regions import start_regions

    yield from start_regions(emulator_factory, monkeypatch, tmp_path)
