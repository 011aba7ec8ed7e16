"""Progress of a long read of the inventory, on stderr (issue 12, part 4).

Listing 100,000 numbers takes about 50 s at AWS's default rate (100 pages at
2 requests/s), and describing 1,000 candidates minutes: a plan must not be
silent that long. What the reader counts (``reconciler.aws.reading.ReadProgress``) is shown:

- on a terminal, from one second on, one line rewritten in place and cleared
  when the read ends, so the plan prints on a clean screen;
- elsewhere (a CI log), a plain line every ``PLAIN_EVERY`` seconds, none for a
  read shorter than that;
- nothing with ``--quiet``.

The estimate is what is left at the paced API rate: the pages still expected
(numbers.yaml's count is the guess of how many numbers there are, until the
listing shows more) and the numbers still to describe.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable

import click

from reconciler.aws.reading import ReadProgress
from reconciler.core.pacing import HEADROOM

__all__ = ["PLAIN_EVERY", "TTY_AFTER", "ReadingProgress"]

TTY_AFTER = 1.0  # seconds of silence a terminal user waits before a progress line
PLAIN_EVERY = 10.0  # seconds between two plain lines in a log
_PAGE = 1000  # numbers per ListPhoneNumbersV2 page


class ReadingProgress:
    """``with ReadingProgress(progress, ...):`` around a read shows how it goes."""

    def __init__(
        self,
        progress: ReadProgress,
        *,
        expected: int,
        rate: float | None,
        enabled: bool,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.progress = progress
        self.expected = expected
        self.rate = rate
        self.enabled = enabled
        self.tty = sys.stderr.isatty() if tty is None else tty
        self._clock = clock
        self._start = clock()
        self._next = self._start + (TTY_AFTER if self.tty else PLAIN_EVERY)
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def line(self) -> str:
        """What the read has done, and an estimate of what is left."""
        p = self.progress.snapshot()
        listing = p["targets_done"] < max(p["targets"], 1)
        text = f"reading the inventory: {p['pages']} page(s) listed ({p['numbers']:,} numbers)"
        if p["lookups"]:
            text += f", {p['looked_up']} of {p['lookups']} number(s) looked up"
        elif not listing:
            text += ", nothing to look up"
        if p["flow_calls"]:
            text += f", {p['flow_calls']} flow lookup(s)"
        if self.rate is None:
            return text
        pages_left = 0
        if listing:
            expected_pages = math.ceil(max(self.expected, p["numbers"] + 1) / _PAGE)
            pages_left = max(1, expected_pages - p["pages"])
        left = pages_left + p["lookups"] - p["looked_up"]
        seconds = math.ceil(left / (self.rate * HEADROOM))
        return f"{text}; about {seconds} s left at {self.rate:g} requests/s"

    def tick(self) -> None:
        """Show the line if it is time (called a few times a second while reading)."""
        now = self._clock()
        if not self.enabled or now < self._next:
            return
        if self.tty:
            click.echo(f"\r{self.line()}\033[K", err=True, nl=False)
            self._next = now + 0.25
        else:
            click.echo(self.line(), err=True)
            self._next = now + PLAIN_EVERY
        self._shown = True

    def finish(self) -> None:
        if self.tty and self._shown:
            click.echo("\r\033[K", err=True, nl=False)  # the plan prints on a clean line
        self._shown = False

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.tick()

    def __enter__(self) -> ReadingProgress:
        if self.enabled:
            self._thread = threading.Thread(
                target=self._run, name="connect-numbers-progress", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.finish()
