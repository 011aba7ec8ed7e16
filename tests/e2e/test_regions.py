"""One numbers file, targets in two regions: the CLI with real boto3 against two emulators.

boto3 reaches one endpoint per service (``AWS_ENDPOINT_URL_CONNECT``), so a small
router in front of two single-region emulators sends each request to the
emulator of the region it is signed for (SigV4's credential scope), as AWS's
regional endpoints would. What is checked: each target is read and released in
its own region, and the rolling quota is counted per region.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .test_apply_resilience import FAST, cli

ACCOUNT = "111122223333"
EAST_ID, WEST_ID = "eeeeeeee-0000-0000-0000-00000000000e", "wwwwwwww-0000-0000-0000-00000000000w"
EAST = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{EAST_ID}"
WEST = f"arn:aws:connect:us-west-2:{ACCOUNT}:instance/{WEST_ID}"
_SCOPE = re.compile(r"Credential=[^/]+/[0-9]{8}/([a-z0-9-]+)/")


def seed(region: str, instance: str, numbers: list[str]) -> dict[str, Any]:
    return {
        "account_id": ACCOUNT,
        "region": region,
        "instances": [{"id": instance}],
        "quota": {"phone_numbers": 10, "window_days": 180, "limit_percent": 200},
        "numbers": [{"phone_number": n, "instance": instance} for n in numbers],
    }


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class RegionRouter:
    """Forward each request to the emulator of the region it is signed for."""

    def __init__(self, backends: dict[str, str]) -> None:
        self.backends = backends
        self.routed: dict[str, int] = dict.fromkeys(backends, 0)
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @Request.application  # type: ignore[misc]
    def _app(self, request: Request) -> Response:
        match = _SCOPE.search(request.headers.get("Authorization", ""))
        region = match.group(1) if match else ""
        if region not in self.backends:
            return Response(f"no emulator for region {region!r}", status=502)
        self.routed[region] += 1
        backend = urlsplit(self.backends[region])
        connection = http.client.HTTPConnection(backend.hostname, backend.port, timeout=30)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        path = request.full_path.rstrip("?")
        connection.request(request.method, path, body=request.get_data(), headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        skip = {"content-length", "transfer-encoding", "connection"}
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in skip]
        connection.close()
        return Response(body, status=answer.status, headers=kept)

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture
def regions(
    emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    east = emulator_factory(seed("us-east-1", EAST_ID, ["+12065550100", "+12065550150"]))
    west = emulator_factory(seed("us-west-2", WEST_ID, ["+15035550100", "+15035550160"]))
    router = RegionRouter({"us-east-1": east.url, "us-west-2": west.url})
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", router.url)
    numbers = tmp_path / "numbers.yaml"
    numbers.write_text(
        f"version: 1\ntargets:\n  - arn: {EAST}\n  - arn: {WEST}\n"
        'quota:\n  phone_numbers: 10\nnumbers:\n  - "+12065550100"\n  - "+15035550100"\n'
    )
    yield {"east": east, "west": west, "router": router, "numbers": numbers, "dir": tmp_path}
    router.stop()


def history(path: Path, per_target: dict[str, int]) -> Path:
    now = datetime.now(UTC)
    lines = [
        json.dumps(
            {
                "action": "release",
                "phone_number": f"+1206555{7000 + k:04d}",
                "at": (now - timedelta(days=3, minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "status": "done",
                "target_arn": target,
            }
        )
        for target, count in per_target.items()
        for k in range(count)
    ]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def released(server: Any) -> list[str]:
    return [e["phone_number"] for e in server.history("emulator") if e["action"] == "release"]


def test_each_target_is_read_and_released_in_its_own_region(regions: dict[str, Any]) -> None:
    ledger = history(regions["dir"] / "h.jsonl", {WEST: 19})  # west: 1 action left
    numbers = str(regions["numbers"])
    planned = cli("plan", "--numbers", numbers, "--ledger", str(ledger), "--format", "json", *FAST)
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert sorted(r["phone_number"] for r in plan["releases"]) == ["+12065550150", "+15035550160"]
    groups = {g["region"]: g["quota"] for g in plan["quota_groups"]}
    assert (groups["us-east-1"]["used"], groups["us-east-1"]["planned"]) == (0, 1)
    assert (groups["us-west-2"]["used"], groups["us-west-2"]["after"]) == (19, 20)
    assert plan["quota"] == groups["us-west-2"]  # the binding group
    assert all(regions["router"].routed.values())  # both regions were asked

    applied = cli("apply", "--numbers", numbers, "--ledger", str(ledger), "--auto-approve", *FAST)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert released(regions["east"]) == ["+12065550150"]
    assert released(regions["west"]) == ["+15035550160"]


def test_a_full_region_refuses_the_plan_naming_it(regions: dict[str, Any]) -> None:
    ledger = history(regions["dir"] / "h.jsonl", {WEST: 20, EAST: 5})
    numbers = str(regions["numbers"])
    planned = cli("plan", "--numbers", numbers, "--ledger", str(ledger), *FAST)
    assert planned.returncode == 3, planned.stdout + planned.stderr
    assert f"[quota_exceeded] account {ACCOUNT}, us-west-2: releasing 1 number(s)" in planned.stdout
    assert f"Quota of account {ACCOUNT}, us-east-1, 1 release(s) there" in planned.stdout
    assert "before: 5 of 20 used" in planned.stdout
    applied = cli("apply", "--numbers", numbers, "--ledger", str(ledger), "--auto-approve", *FAST)
    assert applied.returncode == 3
    assert released(regions["east"]) == [] and released(regions["west"]) == []
