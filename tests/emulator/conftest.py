"""Fixtures of the emulator's tests: one emulator URL for all three services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connect_emulator import EmulatorServer

Factory = Callable[..., EmulatorServer]


@pytest.fixture
def services_factory(emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch) -> Factory:
    """``emulator_factory`` that also points ``AWS_ENDPOINT_URL_CLOUDTRAIL`` and
    ``AWS_ENDPOINT_URL_SERVICE_QUOTAS`` at the server, as a user would."""

    def make(seed: Any = None, **kw: Any) -> EmulatorServer:
        server = emulator_factory(seed, **kw)
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", server.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", server.url)
        return server

    return make
