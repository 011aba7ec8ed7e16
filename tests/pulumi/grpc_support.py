"""Drive a dynamic provider through its real process, as the Pulumi engine does.

``ProviderProcess`` starts ``python -m pulumi.dynamic`` (what the engine runs for
Python dynamic providers), reads the port from the first line of its stdout,
keeps draining stdout in a thread (``print`` output would otherwise fill the pipe
and block the process), and talks to it with the gRPC stubs bundled in the SDK.
The traps of PULUMI_TESTING.md are handled here, once:

- ``Configure`` is called first (the engine always does);
- the provider is serialized exactly as ``pulumi.dynamic.Resource`` does and sent
  as the *plain* ``__provider`` property (the process answers
  ``acceptSecrets=False``, so a secret-wrapped one would fail);
- properties are serialized with ``rpc.serialize_properties`` under
  ``asyncio.run`` (never inside a running loop), and read back with
  ``rpc.deserialize_properties`` (numbers come back as floats);
- a provider error arrives as ``grpc.RpcError`` (code UNKNOWN) whose details end
  with the exception's line; ``ProviderError`` keeps that line.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import grpc
import pulumi.dynamic
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_KEY = "__provider"
STACK, PROJECT = "dev", "connect-numbers"


def serialize_provider(provider: pulumi.dynamic.ResourceProvider) -> str:
    """The ``__provider`` string, exactly as ``pulumi.dynamic.Resource`` makes it."""
    serialized: str = _serialize(True, pulumi.dynamic.dynamic.serialize_provider, provider)[0]
    return serialized


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    result: struct_pb2.Struct = asyncio.run(rpc.serialize_properties(props, {}))
    return result


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    result: dict[str, Any] = rpc.deserialize_properties(struct)
    return result


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_token}::{name}"


class ProviderError(Exception):
    """A provider method raised: ``message`` is the exception line the engine would show."""

    def __init__(self, error: grpc.RpcError) -> None:
        self.code = error.code()
        self.details = error.details() or ""
        lines = [line for line in self.details.strip().splitlines() if line.strip()]
        self.message = lines[-1] if lines else ""
        super().__init__(self.message)


class ProviderProcess:
    """One ``python -m pulumi.dynamic`` child serving ``provider`` for ``type_token``."""

    def __init__(
        self,
        provider: pulumi.dynamic.ResourceProvider,
        *,
        type_token: str,
        workdir: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.type_token = type_token
        self.provider_string = serialize_provider(provider)
        self.stdout_lines: list[str] = []
        self.stderr_path = workdir / "provider.stderr"
        child_env = {**(env if env is not None else os.environ)}
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), child_env.get("PYTHONPATH", "")) if p
        )
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=child_env,
            cwd=workdir,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().decode().strip()
        if not first.isdigit():
            self.stop()
            raise RuntimeError(f"the provider process did not print its port: {first!r}")
        self.port = int(first)
        self._drain = threading.Thread(target=self._read_stdout, daemon=True)
        self._drain.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=10)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=to_struct({})))

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout_lines.append(line.decode(errors="replace"))

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if hasattr(self, "channel"):
            self.channel.close()
        self._stderr.close()

    # -- the engine's calls --------------------------------------------------------

    def _props(self, props: dict[str, Any]) -> struct_pb2.Struct:
        return to_struct({**props, PROVIDER_KEY: self.provider_string})

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=60)
        except grpc.RpcError as error:
            raise ProviderError(error) from None

    def check(
        self, name: str, news: dict[str, Any], olds: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self._call(
            "Check",
            provider_pb2.CheckRequest(
                urn=urn(self.type_token, name),
                olds=self._props(olds or {}),
                news=self._props(news),
            ),
        )
        failures = [(f.property, f.reason) for f in response.failures]
        return self._own(from_struct(response.inputs)), failures

    def diff(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self._call(
            "Diff",
            provider_pb2.DiffRequest(
                id=name,
                urn=urn(self.type_token, name),
                olds=self._props(olds),
                news=self._props(news),
            ),
        )

    def create(self, name: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self._call(
            "Create",
            provider_pb2.CreateRequest(
                urn=urn(self.type_token, name), properties=self._props(props)
            ),
        )
        return response.id, self._own(from_struct(response.properties))

    def adopt_then_update(self, name: str, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """What the engine does for a release: adopt the number (create, claimed), then update.

        A release is never a create (the provider's Check and Create adopt a number
        the stack does not hold yet), so a test that releases goes through both steps.
        """
        id_, olds = self.create(name, {**news, "state": "claimed", "settled": False})
        return id_, self.update(name, id_, olds, news)

    def update(
        self, name: str, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        response = self._call(
            "Update",
            provider_pb2.UpdateRequest(
                id=id_,
                urn=urn(self.type_token, name),
                olds=self._props(olds),
                news=self._props(news),
            ),
        )
        return self._own(from_struct(response.properties))

    def read(self, name: str, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self._call(
            "Read",
            provider_pb2.ReadRequest(
                id=id_,
                urn=urn(self.type_token, name),
                properties=self._props(props),
                inputs=self._props(props),
            ),
        )
        return response.id, self._own(from_struct(response.properties))

    def delete(self, name: str, id_: str, props: dict[str, Any]) -> None:
        self._call(
            "Delete",
            provider_pb2.DeleteRequest(
                id=id_, urn=urn(self.type_token, name), properties=self._props(props)
            ),
        )

    @staticmethod
    def _own(props: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in props.items() if k != PROVIDER_KEY}
