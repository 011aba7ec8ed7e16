"""Interrupts during `connect-numbers apply`: SIGINT and SIGTERM stop it between releases.

The executor knows nothing of signals: it asks an injected ``should_stop``
before each release. This module is that callable's other half, for the CLI:

- before the releases start (planning, the prompt), a signal stops at once:
  nothing was written, so there is nothing to settle;
- once they started (``releases_begin()``), the first SIGINT or SIGTERM only sets a
  flag: the ReleasePhoneNumber call in flight settles, its outcome is recorded,
  and the apply stops before the next release with its usual end report;
- a second signal stops at once, as a kill would: a release in flight then
  counts against the quota until the next apply confirms it.

An interrupted apply exits 128 + the signal's number (130 for SIGINT, 143 for
SIGTERM), as shells report a process a signal ended.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from types import FrameType, TracebackType
from typing import Any

__all__ = ["Interrupts"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _say(text: str) -> None:
    # One unbuffered write: a handler runs between two bytecodes of the main
    # thread, possibly inside a buffered write to stderr (progress lines).
    with suppress(OSError):
        os.write(2, text.encode("utf-8", "replace"))


class Interrupts:
    """Install with ``with Interrupts() as stop:``; pass ``stop.reason`` as ``should_stop``."""

    def __init__(self, early_report: Callable[[str], str | None] | None = None) -> None:
        """``early_report(reason)``: what to print on stdout when a signal stops the apply
        before its releases (the JSON report, so a pipeline always gets one), or None."""
        self._early_report = early_report
        self.signum: int | None = None
        self._releasing = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        # Python delivers signals to the main thread only; elsewhere (a test
        # runner's worker thread) the defaults stay.
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def releases_begin(self) -> None:
        """From now on (the releases, then the report) a first signal only asks the
        apply to stop: it never again means that nothing was released."""
        self._releasing = True

    def reason(self) -> str | None:
        """Why the apply must stop (``Executor(should_stop=...)``), or None."""
        if self.signum is None:
            return None
        return f"interrupted by {signal.Signals(self.signum).name}"

    @property
    def exit_code(self) -> int | None:
        return None if self.signum is None else 128 + self.signum

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self._releasing:
            report = self._early_report(f"interrupted by {name}") if self._early_report else None
            if report is not None:
                with suppress(OSError):
                    os.write(1, report.encode("utf-8", "replace"))
            _say(f"\nerror: interrupted by {name} before any release; nothing was released\n")
            raise SystemExit(128 + signum)
        if self.signum is not None:
            _say(
                f"\nerror: {name} again: stopping at once. A release in flight, if any, "
                "counts against the quota until the next apply confirms it: run the same "
                "apply again\n"
            )
            raise SystemExit(128 + signum)
        self.signum = signum
        _say(
            f"\n{name} received: finishing the release in flight and recording it, then "
            f"stopping before the next one (send {name} again to stop at once)\n"
        )
