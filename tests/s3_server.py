"""A local S3 for tests and benchmarks: moto's S3 app over HTTP on 127.0.0.1.

Real boto3 and the AWS CLI talk to it through ``AWS_ENDPOINT_URL_S3``.
"""

from __future__ import annotations

import threading
from typing import Any


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
