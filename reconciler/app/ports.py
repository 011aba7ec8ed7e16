"""The ports of the use cases: what the executor calls (``Connect``) and how it retries.

``Connect`` is the port the executor drives (``reconciler.aws.connect.ConnectInventory``
is the adapter; tests and the emulator give others); ``RetryPolicy`` is the backoff
of our retries on top of botocore's, each one safe because it repeats the client token.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from reconciler.core.inventory import InventoryReader
from reconciler.core.model import LiveNumber

__all__ = ["Connect", "RetryPolicy"]


class Connect(InventoryReader, Protocol):
    """What the executor needs from Connect: read, look up one number, release one."""

    # ``account``: the number's account, whose credentials the call uses (a target's
    # role or profile); None: the default credentials.
    def lookup(
        self, phone_number_id: str, *, region: str, account: str | None = None
    ) -> LiveNumber | None: ...

    def release(
        self, phone_number_id: str, *, region: str, client_token: str, account: str | None = None
    ) -> None: ...

    def update_metadata(
        self,
        phone_number_id: str,
        *,
        region: str,
        description: str,
        client_token: str,
        account: str | None = None,
    ) -> None: ...

    def tag(
        self,
        phone_number_arn: str,
        tags: Mapping[str, str],
        *,
        region: str,
        account: str | None = None,
    ) -> None: ...

    def untag(
        self,
        phone_number_arn: str,
        keys: Sequence[str],
        *,
        region: str,
        account: str | None = None,
    ) -> None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    """Our retries on top of botocore's: the same client token makes each one safe."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, attempt: int) -> float:
        # Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter").
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
