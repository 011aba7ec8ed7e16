"""The emulator from the outside: the AWS CLI against it, and ``serve()`` as a process."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from connect_emulator import EmulatorServer, serve

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "emulator-seed.yaml"
A_ARN = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def aws_cli() -> str | None:
    beside_python = Path(sys.executable).parent / "aws"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("aws")


def test_the_aws_cli_works_unchanged(emulator: EmulatorServer) -> None:
    exe = aws_cli()
    if exe is None:
        pytest.skip("the AWS CLI is not installed")
    # The CLI follows NextToken itself: a page size of 3 forces three calls.
    result = subprocess.run(
        [exe, "connect", "list-phone-numbers-v2", "--endpoint-url", emulator.url,
         "--target-arn", A_ARN, "--page-size", "3", "--output", "json"],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)["ListPhoneNumbersSummaryList"]
    assert len(listed) == 8
    assert "+18005550199" in {item["PhoneNumber"] for item in listed}
    assert emulator.stats()["calls"] == {"ListPhoneNumbersV2": 3}

    missing = subprocess.run(
        [exe, "connect", "describe-phone-number", "--endpoint-url", emulator.url,
         "--phone-number-id", "no-such-number"],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(),
    )  # fmt: skip
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr


def test_the_aws_cli_releases_a_number(emulator: EmulatorServer) -> None:
    exe = aws_cli()
    if exe is None:
        pytest.skip("the AWS CLI is not installed")
    number_id = "77638870-571f-57cf-bee4-1ecd1853580d"  # +12065550150 in the demo seed
    released = subprocess.run(
        [exe, "connect", "release-phone-number", "--endpoint-url", emulator.url,
         "--phone-number-id", number_id, "--client-token", "cli-1"],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(),
    )  # fmt: skip
    assert released.returncode == 0, released.stderr
    assert released.stdout.strip() == ""  # no output shape
    assert [(e["phone_number"], e["client_token"]) for e in emulator.history()] == [
        ("+12065550150", "cli-1")
    ]
    assert "+12065550150" not in {n.phone_number for n in emulator.state.phone_numbers()}


def read_first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first stdout line, without hanging the test if the child never writes."""
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not lines:
        process.kill()
        pytest.fail("serve() printed no URL")
    return lines[0]


@pytest.mark.parametrize(
    ("signum", "code"),
    [
        (signal.SIGTERM, "serve()"),
        (signal.SIGINT, f"serve(seed={str(DEMO)!r})"),
    ],
)
def test_serve_prints_the_url_first_and_stops_on_a_signal(
    aws_env: None, signum: signal.Signals, code: str
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", f"from connect_emulator import serve; {code}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        url = read_first_line(process, timeout=15).strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
        request = urllib.request.Request(f"{url}/phone-number/list", data=b"{}", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())
        expected = 9 if "seed=" in code else 0
        assert len(body["ListPhoneNumbersSummaryList"]) == expected
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read() == ""  # only the URL on stdout
    assert "Traceback" not in process.stderr.read()


def test_serve_in_process_stops_on_its_event() -> None:
    out = io.StringIO()
    stop = threading.Event()
    thread = threading.Thread(
        target=serve, kwargs={"seed": DEMO, "out": out, "quiet": True, "stop": stop}
    )
    thread.start()
    try:
        for _ in range(200):
            if out.getvalue():
                break
            threading.Event().wait(0.01)
        url = out.getvalue().splitlines()[0]
        assert url.startswith("http://127.0.0.1:")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_the_server_binds_loopback_only_and_stops_answering() -> None:
    server = EmulatorServer(None).start()
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/phone-number/list", data=b"{}", timeout=2)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_a_port_in_use_is_an_os_error_not_an_exit() -> None:
    with EmulatorServer(None) as first, pytest.raises(OSError):
        EmulatorServer(None, port=first.port).start()


def test_a_port_in_use_is_a_serve_error_naming_host_and_port() -> None:
    from connect_emulator import ServeError

    with EmulatorServer(None) as first, pytest.raises(ServeError) as caught:
        port = first.port
        EmulatorServer(None, port=port).start()
    assert str(caught.value) == (
        f"cannot listen on 127.0.0.1:{port}: the port is already in use "
        "(another emulator, or another program)"
    )


def connect_numbers(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it."""
    exe = Path(sys.executable).with_name("connect-numbers")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1 and done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_the_emulator_command_on_a_busy_port_is_one_line_naming_the_fix() -> None:
    with EmulatorServer(None) as busy:
        port = busy.port
        line = one_error_line(connect_numbers("emulator", "--port", str(port), "--quiet"))
    assert line == (
        f"error: cannot listen on 127.0.0.1:{port}: the port is already in use (another "
        "emulator, or another program); choose another port with --port N, or --port 0 for a "
        "free one"
    )
    line = one_error_line(connect_numbers("emulator", "--port", "70000", "--quiet"))
    assert "cannot listen on 127.0.0.1:70000: " in line and "--port 0" in line


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("hello: [\n", ":2: not valid YAML"),
        ("numbers: 5\n", ":1: 'numbers' must be a list, not int 5"),
        ("# connect-numbers\n\n`plan` and `apply`\n", ":3: not valid YAML"),
        ("", "the file is empty"),
        ("- a\n- b\n", "the seed must be a mapping with 'numbers', not list"),
    ],
)
def test_the_emulator_command_given_a_file_that_is_not_a_seed_is_one_line(
    tmp_path: Path, text: str, fragment: str
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)
    line = one_error_line(connect_numbers("emulator", "--seed", str(seed), "--quiet"))
    assert line.startswith(f"error: invalid emulator seed {seed}")
    assert fragment in line
    assert line.endswith("A seed is a YAML file like examples/emulator-seed.yaml")


def test_the_emulator_command_with_an_unusable_state_file_is_one_line(tmp_path: Path) -> None:
    line = one_error_line(
        connect_numbers("emulator", "--state", str(tmp_path / "no" / "state.json"), "--quiet")
    )
    assert "cannot write the emulator state file" in line and "folder exists" in line
    broken = tmp_path / "state.json"
    broken.write_text("{")
    line = one_error_line(connect_numbers("emulator", "--state", str(broken), "--quiet"))
    assert "is not valid JSON" in line and "delete it to start again from the seed" in line


def test_the_emulator_command_usage_errors_use_the_same_error_prefix(tmp_path: Path) -> None:
    done = connect_numbers("emulator", "--seed", str(tmp_path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"error: Invalid value for '--seed': File '{tmp_path}' is a directory."
    )
    assert "Error:" not in done.stderr
