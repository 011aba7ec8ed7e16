"""An endpoint that does not answer fails in seconds, naming it and the setting it came from.

Through the real CLI and real boto3: a refused port, a connect timeout (a
listener whose backlog is full drops new connections), credentials in the URL
masked, and the same for the S3 ledger and CloudTrail clients.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.aws.errors import CONNECT_ATTEMPTS, CONNECT_TIMEOUT, endpoint_setting, mask_url
from tests.cli.support import run

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = str(ROOT / "numbers.yaml")


@pytest.fixture
def refused_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener never completes a new connection: its backlog is full."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fill = []
    for _ in range(8):
        client = socket.socket()
        client.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            client.connect(("127.0.0.1", port))
        fill.append(client)
    time.sleep(0.2)
    yield port
    for client in fill:
        client.close()
    listener.close()


def timed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[float, int, str]:
    start = time.monotonic()
    code, _, err = run(capsys, *argv)
    return time.monotonic() - start, code, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_refused_connect_endpoint_fails_at_once_naming_it_and_its_setting(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    refused_port: int,
) -> None:
    url = f"http://127.0.0.1:{refused_port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", url)
    elapsed, code, err = timed(capsys, "plan", "--numbers", NUMBERS)
    assert code == 1 and elapsed < 5
    assert one_line(err) == (
        f"error: ListPhoneNumbersV2 failed: cannot reach {url} (the endpoint set by "
        "AWS_ENDPOINT_URL_CONNECT): [Errno 111] Connection refused; check "
        "AWS_ENDPOINT_URL_CONNECT (is that service running? `connect-numbers emulator` "
        "prints the URL to use), or unset it to reach AWS itself"
    )


def test_a_silent_endpoint_times_out_within_seconds(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    silent_port: int,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent_port}")
    elapsed, code, err = timed(capsys, "plan", "--numbers", NUMBERS)
    assert code == 1
    # Two attempts of 2 s and one short backoff: seconds, not a minute of silence.
    assert CONNECT_ATTEMPTS * CONNECT_TIMEOUT <= elapsed < CONNECT_ATTEMPTS * CONNECT_TIMEOUT + 4
    line = one_line(err)
    assert (
        f"cannot reach http://127.0.0.1:{silent_port} (the endpoint set by AWS_ENDPOINT_URL)"
        in (line)
    )
    assert f"no connection within {CONNECT_TIMEOUT:g} s" in line


def test_credentials_in_an_endpoint_url_are_masked(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    refused_port: int,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://ana:s3cr3t@127.0.0.1:{refused_port}")
    _, code, err = timed(capsys, "plan", "--numbers", NUMBERS)
    assert code == 1
    assert (
        f"cannot reach http://***@127.0.0.1:{refused_port} (the endpoint set by AWS_ENDPOINT_URL)"
        in (one_line(err))
    )
    assert "s3cr3t" not in err and "ana:" not in err


def test_the_s3_ledger_and_cloudtrail_clients_are_bounded_and_named_too(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    refused_port: int,
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{refused_port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", url)
    elapsed, code, err = timed(
        capsys, "plan", "--numbers", NUMBERS, "--ledger", "s3://ledgers/history.jsonl"
    )
    assert code == 1 and elapsed < 5
    assert f"cannot reach {url} (the endpoint set by AWS_ENDPOINT_URL_S3)" in one_line(err)

    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", url)
    elapsed, code, err = timed(
        capsys, "ledger", "import-cloudtrail", "--ledger", str(ledger), "--numbers", NUMBERS
    )
    assert code == 1 and elapsed < 5
    line = one_line(err)
    assert line.startswith("error: LookupEvents failed: cannot reach")
    assert "(the endpoint set by AWS_ENDPOINT_URL_CLOUDTRAIL)" in line


def test_the_setting_named_is_the_one_botocore_used(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CONNECT", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", "http://127.0.0.1:2/")
    assert endpoint_setting("http://127.0.0.1:2/phone-number/list", "connect") == (
        "AWS_ENDPOINT_URL_CONNECT"
    )
    assert endpoint_setting("http://127.0.0.1:1/bucket/key", "s3") == "AWS_ENDPOINT_URL"
    assert endpoint_setting("https://connect.us-east-1.amazonaws.com/x", "connect") is None


def test_mask_url_hides_user_and_password_anywhere_in_a_message() -> None:
    assert mask_url('Could not connect to "https://u:p@host:1/x" or http://t@h') == (
        'Could not connect to "https://***@host:1/x" or http://***@h'
    )
    assert mask_url("http://host/a@b") == "http://host/a@b"  # an @ in the path is not a user


@pytest.fixture
def web_page_port() -> Iterator[int]:
    """Some other web server (not an AWS API): every request gets an HTML error page."""
    import http.server
    import threading

    class Page(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = b"<!DOCTYPE HTML>\n<html><body><h1>Not here</h1>\n</body></html>\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_an_endpoint_that_is_not_an_aws_api_is_named_in_one_line(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    web_page_port: int,
) -> None:
    """A wrong port (a web server answering HTML) names the endpoint and its setting,
    credentials masked, instead of printing the page line by line."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", f"http://ana:s3cr3t@127.0.0.1:{web_page_port}")
    _, code, err = timed(capsys, "plan", "--numbers", NUMBERS)
    assert code == 1
    assert one_line(err) == (
        f"error: ListPhoneNumbersV2 failed: http://***@127.0.0.1:{web_page_port} (the endpoint "
        "set by AWS_ENDPOINT_URL_CONNECT) answered HTTP 404 with no AWS error: it is not the "
        "connect API. Check AWS_ENDPOINT_URL_CONNECT (`connect-numbers emulator` prints the URL "
        "to use), or unset it to reach AWS itself"
    )
    assert "s3cr3t" not in err and "<html" not in err
