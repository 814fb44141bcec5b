"""A one-line progress display on stderr for long runs: stage, documents/s, MB/s, ETA.

Silent unless stderr is a terminal (and not ``--quiet``), so logs and pipes stay clean; redrawn
at most ten times a second so it never costs the run anything measurable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts documents and bytes per stage; ``total`` is the input's size in bytes (for % and ETA).

    Each stage (reading + rules, near-duplicates, writing) restarts the counters, so the rates and
    the ETA shown are the current stage's own.
    """

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = total
        self.done = 0
        self.bytes = 0
        self.stage_name = "reading"
        self.start = time.monotonic()
        self._drawn = 0.0

    def stage(self, name: str) -> None:
        self.stage_name = name
        self.done = self.bytes = 0
        self.start = time.monotonic()
        self._draw(force=True)

    def advance(self, documents: int = 1, size: int = 0) -> None:
        self.done += documents
        self.bytes += size
        self._draw()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.bytes / elapsed
        if self.total and self.bytes:
            share = min(self.bytes / self.total, 1.0)
            eta = f"{share:4.0%}  ETA {(self.total - self.bytes) / rate if rate else 0:5.0f}s"
        else:
            eta = f"{elapsed:6.0f}s"
        return (f"dedup: {self.stage_name:<16} {self.done:>10,} docs  {self.done / elapsed:7.0f} docs/s  "
                f"{rate / 1e6:6.1f} MB/s  {eta}")

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        self.stream.write("\r" + self.line() + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
