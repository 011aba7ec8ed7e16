"""The state file: the account surviving a restart.

A state file is a seed (see ``seed``) written as JSON: the seed's
configuration and the account as it is now, with the whole claim/release
history (from which cooldowns and idempotency tokens derive, see
``history``). Restarting from it is starting from that seed.

``write_state`` replaces the file atomically after each change: the document
goes to a temporary file in the same directory, is flushed to disk, and
``os.replace`` swaps it in, so a crash leaves the old file or the new one,
never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .seed import Seed, SeedError, parse_seed

__all__ = ["StateFileError", "read_state", "write_state"]

StatePath = str | os.PathLike[str]


class StateFileError(ValueError):
    """A state file cannot be used: fix or delete it to start again from the seed."""


def read_state(path: StatePath) -> Seed | None:
    """The seed a state file holds, or ``None`` if there is no file."""
    location = Path(path)
    try:
        text = location.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateFileError(f"cannot read the emulator state file {location}: {exc}") from exc
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise StateFileError(
            f"the emulator state file {location} is not valid JSON ({exc}); delete it to start "
            "again from the seed"
        ) from exc
    try:
        return parse_seed(document, source=str(location))
    except SeedError as exc:
        raise StateFileError(
            f"invalid emulator state file {location}: {exc.entry + ': ' if exc.entry else ''}"
            f"{exc.problem}; delete it to start again from the seed"
        ) from exc


def write_state(path: StatePath, document: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``document`` atomically."""
    location = Path(path)
    data = json.dumps(document, indent=1, sort_keys=False) + "\n"
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{location.name}.", suffix=".tmp", dir=location.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, location)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
