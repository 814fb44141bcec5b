"""``dedup diff``: each document's changes as a unified diff with the reason on every hunk."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from ..model import Change
from .data import DocReport, ReportData

_COLOURS = {"header": "\x1b[1m", "hunk": "\x1b[36m", "del": "\x1b[31m", "add": "\x1b[32m", "reason": "\x1b[33m",
            "reset": "\x1b[0m"}


def use_colour(is_tty: bool) -> bool:
    """Colour on a terminal, unless NO_COLOR is set; FORCE_COLOR turns it on anywhere."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return is_tty


def _paint(text: str, style: str, colour: bool) -> str:
    return f"{_COLOURS[style]}{text}{_COLOURS['reset']}" if colour else text


def _hunk(doc: DocReport, change: Change, shift: int, colour: bool) -> Iterator[str]:
    """One hunk; ``shift`` is how many lines earlier changes moved this one in the output."""
    assert doc.original is not None
    before = doc.original.count("\n", 0, change.start) + 1
    removed = change.text.splitlines() or [""]
    added = change.replacement.splitlines() if change.replacement else []
    label = change.rule if change.kind != "duplicate" else f"duplicate of {change.duplicate_of}"
    yield _paint(f"@@ -{before},{len(removed)} +{before + shift},{len(added)} @@ {change.kind} {label} "
                 f"[{change.id}]", "hunk", colour)
    yield _paint(f"# {change.reason}", "reason", colour)
    for line in removed:
        yield _paint(f"-{line}", "del", colour)
    for line in added:
        yield _paint(f"+{line}", "add", colour)


def render(data: ReportData, docs: Sequence[str] = (), colour: bool = False) -> Iterator[str]:
    wanted = set(docs)
    for doc in data.documents:
        if doc.status == "unchanged" or (wanted and doc.doc not in wanted):
            continue
        yield _paint(f"diff --dedup a/{doc.doc} b/{doc.doc}", "header", colour)
        yield _paint(f"--- a/{doc.doc}", "header", colour)
        yield _paint("+++ /dev/null" if doc.status == "dropped" else f"+++ b/{doc.doc}", "header", colour)
        shift = 0
        for change in doc.changes:
            if change.start == change.end and not change.replacement:
                yield _paint(f"# {change.rule}: {change.reason}", "reason", colour)
                continue
            yield from _hunk(doc, change, shift, colour)
            shift += change.replacement.count("\n") - change.text.count("\n")
