"""Two single-region Connect emulators behind one endpoint, routed by SigV4 scope.

boto3 reaches one endpoint per service (``AWS_ENDPOINT_URL_CONNECT``), so this
router sends each request to the emulator of the region it is signed for, as
AWS's regional endpoints would. The ``regions`` fixture (tests/conftest.py)
starts it with a numbers file whose targets are in us-east-1 and us-west-2.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

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

    def pick(self, request: Request) -> str:
        """The backend's key for ``request``: the region it is signed for."""
        match = _SCOPE.search(request.headers.get("Authorization", ""))
        return match.group(1) if match else ""

    @Request.application  # type: ignore[misc]
    def _app(self, request: Request) -> Response:
        region = self.pick(request)
        if region not in self.backends:
            return Response(f"no emulator for {region!r}", status=502)
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


def start_regions(
    emulator_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """Both emulators, the router (env pointed at it) and a two-region numbers file."""
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
