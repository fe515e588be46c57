"""A one-line progress counter for long loops outside ``fit`` (conversion, generation).

On a terminal it rewrites one line (``\\r``) at most ten times a second and ends it with a
newline; when the output is not a terminal (logs, CI, tests) it writes nothing, so logs
keep only the summary lines the commands print anyway.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``with Progress("converting", total=None) as bar: bar.update()`` per item."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        unit: str = "images",
        stream: TextIO | None = None,
        interval_s: float = 0.1,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stdout
        self.interval_s = interval_s
        self.count = 0
        self.start = time.monotonic()
        self._last = 0.0
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items; redraw when the interval has passed."""
        self.count += n
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.interval_s or self.count == self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.count / max(now - self.start, 1e-9)
        if self.total:
            done = min(self.count / self.total, 1.0)
            bar = "#" * int(done * 20)
            text = f"{self.label} [{bar:<20}] {self.count}/{self.total} {self.unit}"
        else:
            text = f"{self.label}: {self.count} {self.unit}"
        self.stream.write(f"\r{text} ({rate:.0f}/s)")
        self.stream.flush()

    def close(self) -> None:
        """Draw the final count and end the line."""
        if self.enabled and self.count:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
