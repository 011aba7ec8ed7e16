"""Opaque page tokens and key-based paging.

A token records the sort key of the last item served, so the next page starts
right after it even if numbers were claimed or released in between (offsets
would skip or repeat items). It also records the operation and a fingerprint
of the filters it was issued for: AWS rejects a token replayed with other
parameters, and so does the emulator, with ``InvalidParameterException``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from .errors import invalid_parameter

__all__ = ["SortKey", "decode_token", "encode_token", "page"]

T = TypeVar("T")
SortKey = tuple[str, str]

_VERSION = 1


def _fingerprint(operation: str, query: Mapping[str, object]) -> str:
    canonical = json.dumps([operation, query], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_token(operation: str, query: Mapping[str, object], after: SortKey) -> str:
    payload = {"v": _VERSION, "q": _fingerprint(operation, query), "a": list(after)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, operation: str, query: Mapping[str, object]) -> SortKey:
    """The sort key a token resumes after; ``InvalidParameterException`` if forged or stale."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        payload = None
    after = payload.get("a") if isinstance(payload, dict) else None
    if (
        not isinstance(payload, dict)
        or payload.get("v") != _VERSION
        or not isinstance(after, list)
        or len(after) != 2
        or not all(isinstance(part, str) for part in after)
    ):
        raise invalid_parameter("The NextToken is not valid.")
    if payload.get("q") != _fingerprint(operation, query):
        raise invalid_parameter(
            "The NextToken was issued for a request with other parameters; repeat the request "
            "that returned it."
        )
    return (after[0], after[1])


def page(
    items: Sequence[T],
    key: Callable[[T], SortKey],
    *,
    after: SortKey | None,
    max_results: int,
    where: Callable[[T], bool] | None = None,
) -> tuple[list[T], SortKey | None]:
    """Up to ``max_results`` items matching ``where`` after ``after`` in ``items``.

    ``items`` is sorted by ``key``. The scan starts by bisection and stops one
    match past the page, so reading 100,000 numbers page by page costs about
    one pass over them in all, not one per page. Returns the page and the key
    to resume after, or ``None`` on the last page: AWS omits ``NextToken``
    when nothing follows.
    """
    start = 0 if after is None else bisect.bisect_right(items, after, key=key)
    chunk: list[T] = []
    for index in range(start, len(items)):
        item = items[index]
        if where is not None and not where(item):
            continue
        if len(chunk) == max_results:
            return chunk, key(chunk[-1])
        chunk.append(item)
    return chunk, None
