"""The decoded request, the handler signature, and one route of the table.

``ApiRequest`` is what every service's handlers take (Connect's here, and
``cloudtrail`` and ``servicequotas``); ``Route`` matches a ``requestUri`` of
botocore's model against a raw request path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ..state import ConnectState
from ..trail import TrailInfo


@dataclass(frozen=True, kw_only=True)
class ApiRequest:
    """A request decoded from HTTP: URI labels, query parameters, JSON body, and
    who sent it (``caller``: what CloudTrail records of the call)."""

    operation: str
    path: Mapping[str, str]
    query: Mapping[str, Sequence[str]]
    body: Mapping[str, Any]
    caller: TrailInfo = field(default_factory=TrailInfo)


Handler = Callable[[ConnectState, ApiRequest], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    uri: str
    operation: str

    def match(self, method: str, segments: Sequence[str]) -> dict[str, str] | None:
        """URI labels if ``segments`` (still percent-encoded) fit this route.

        Matching on the raw path matters: botocore percent-encodes ``/`` inside
        a label (an instance ARN given as InstanceId), which a decoded
        PATH_INFO would turn into extra path segments.
        """
        if method != self.method:
            return None
        pattern = self.uri.split("/")
        if len(pattern) != len(segments):
            return None
        labels: dict[str, str] = {}
        for expected, actual in zip(pattern, segments, strict=True):
            decoded = unquote(actual)
            if expected.startswith("{") and expected.endswith("}"):
                labels[expected[1:-1]] = decoded
            elif expected != decoded:
                return None
        return labels
