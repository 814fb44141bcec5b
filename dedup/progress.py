"""A one-line progress display on stderr for long runs: stage, documents/s, MB/s, ETA.

Silent unless stderr is a terminal (and not ``--quiet``), so logs and pipes stay clean; redrawn
at most ten times a second so it never costs the run anything measurable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
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
        self._draw(force=True)

    def advance(self, documents: int = 1, size: int = 0) -> None:
        self.done += documents
        self.bytes += size
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate and self.done < self.total else 0.0
        line = (f"dedup: {self.stage_name:<16} {self.done:>9,}/{self.total:,} docs  {rate:7.0f} docs/s  "
                f"{self.bytes / elapsed / 1e6:6.1f} MB/s  ETA {eta:5.0f}s")
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
