"""Shared fixtures: a hermetic AWS environment and the bundled Connect emulator.

Tests that talk to "AWS" use real boto3 against ``reconciler.emulator`` on
127.0.0.1, pointed there through the standard ``AWS_ENDPOINT_URL_CONNECT``
setting, exactly as a user would point the product at it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmulatorServer

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
        # The emulator also answers CloudTrail and Service Quotas for the account.
        for service in ("CONNECT", "CLOUDTRAIL", "SERVICE_QUOTAS"):
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", server.url)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> EmulatorServer:
    """The demo inventory (examples/emulator-seed.yaml), unthrottled, env pointed at it."""
    return emulator_factory(DEMO_SEED)


class _AtomicRequests:
    """Handle one request at a time, as S3 handles conditional writes atomically.

    moto checks ``If-Match``/``If-None-Match`` and then stores the object in a
    second step, so two concurrent writes can both pass the check; real S3 does
    the check and the write as one step (that is the point of conditional
    writes). Serializing moto's request handling gives it S3's guarantee; the
    product's code under test is unchanged.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


class S3Server:
    """moto's S3 over HTTP on 127.0.0.1 (real boto3 and the AWS CLI talk to it)."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class Quiet(MotoRequestHandler):  # type: ignore[misc]
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        app = _AtomicRequests(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def client(self) -> Any:
        import boto3

        return boto3.session.Session().client("s3", endpoint_url=self.url, region_name="us-east-1")

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


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
