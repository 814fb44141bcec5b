"""Applying and inverting changes, stable ids, and the change log (``changes.jsonl``).

This is the one place where text is edited. A document's changes are non-overlapping spans of its
original text; applying them left to right gives the cleaned text, and because every change keeps
the original characters, walking the cleaned text with the same changes gives the original back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from . import jsonline
from .errors import InputError, InternalError
from .model import KINDS, Change, replace

#: Fields of one change-log line, in the order they are written (the README documents each).
FIELDS: dict[str, str] = {
    "id": "stable id: the same change gets the same id on every run (hash of doc, kind, rule, text, occurrence)",
    "doc": "document path relative to the corpus root",
    "kind": "repair, boilerplate, duplicate or document-duplicate",
    "rule": "the rule that proposed the change (catalogue name, repair name, or neardup)",
    "line": "1-based line of the original document where the change starts",
    "start": "character offset in the original (decoded) text where the change starts",
    "end": "character offset where it ends (exclusive)",
    "text": "the original characters (what was removed or repaired)",
    "replacement": "what replaced them in the output (empty for removals)",
    "reason": "why, in words: the evidence for a rule, the ftfy steps for a repair",
    "duplicate_of": "duplicates only: the document holding the kept copy",
    "duplicate_start": "duplicates only: offset of the kept copy in that document's original text",
    "duplicate_end": "duplicates only: end of the kept copy",
    "similarity": "duplicates only: verified Jaccard similarity with the kept copy",
    "encoding": "how the file was decoded (restore re-encodes with it); for a JSONL record, the line's JSON style",
    "row": "records only: the record's 0-based row in its JSONL or Parquet shard",
    "record": "records only: the original record (a JSONL line, or a Parquet row as JSON) when restore needs it",
}


def stable_id(doc: str, kind: str, rule: str, core: str, replacement: str = "", occurrence: int = 0) -> str:
    """The id of a change: what changed, not where.

    ``core`` is the passage's own text for a removal (without the blank lines its span takes, which
    depend on its neighbours), the original characters for a repair, and empty for a whole
    document. ``occurrence`` tells apart identical passages in one document. An edit elsewhere in
    the document does not change the id, so a reviewer's decision keyed by id survives it.
    """
    payload = "\0".join((doc, kind, rule, core, replacement, str(occurrence)))
    return hashlib.blake2b(payload.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def assign_ids(changes: Sequence[Change]) -> list[Change]:
    """Give changes that have no id one, using their own text as the core (repairs)."""
    # A plain dict: a Counter costs a microsecond to make, and most documents have no change to name.
    seen: dict[tuple[str, str, str, str, str], int] = {}
    out = []
    for change in changes:
        key = (change.doc, change.kind, change.rule, change.text, change.replacement)
        occurrence = seen.get(key, 0)
        if not change.id:
            change = replace(change, id=stable_id(*key, occurrence=occurrence))
        out.append(change)
        seen[key] = occurrence + 1
    return out


def _ordered(changes: Iterable[Change], length: int) -> list[Change]:
    ordered = sorted(changes, key=lambda c: (c.start, c.end))
    pos = 0
    for change in ordered:
        if change.start < pos or change.end < change.start or change.end > length:
            raise InternalError(
                f"{change.doc}: changes overlap or fall outside the text at {change.start}-{change.end}; "
                "this is a bug in dedup, please report it"
            )
        pos = change.end
    return ordered


def apply(text: str, changes: Iterable[Change]) -> str:
    """The cleaned text: every change applied to the original ``text``."""
    out: list[str] = []
    pos = 0
    for change in _ordered(changes, len(text)):
        if text[change.start:change.end] != change.text:
            raise InternalError(f"{change.doc}: change {change.id or change.rule} does not match the text it names")
        out.append(text[pos:change.start])
        out.append(change.replacement)
        pos = change.end
    out.append(text[pos:])
    return "".join(out)


def invert(output: str, changes: Iterable[Change], doc: str = "") -> str:
    """The original text, rebuilt from the cleaned ``output`` and the changes applied to it."""
    parts: list[str] = []
    out_pos = 0
    orig_pos = 0
    for change in sorted(changes, key=lambda c: (c.start, c.end)):
        gap = change.start - orig_pos
        if gap < 0:
            raise InputError(f"{doc}: change log has overlapping changes; it was edited or is corrupt")
        parts.append(output[out_pos:out_pos + gap])
        out_pos += gap
        if output[out_pos:out_pos + len(change.replacement)] != change.replacement:
            raise InputError(
                f"{doc}: cleaned text does not match the change log at line {change.line}; "
                "the output was edited after the run, so it cannot be restored exactly"
            )
        parts.append(change.text)
        out_pos += len(change.replacement)
        orig_pos = change.end
    parts.append(output[out_pos:])
    return "".join(parts)


def to_json(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": change.id, "doc": change.doc, "kind": change.kind, "rule": change.rule, "line": change.line,
        "start": change.start, "end": change.end, "text": change.text, "replacement": change.replacement,
        "reason": change.reason,
    }
    if change.duplicate_of is not None:
        data["duplicate_of"] = change.duplicate_of
        data["duplicate_start"] = change.duplicate_start
        data["duplicate_end"] = change.duplicate_end
        data["similarity"] = change.similarity
    if change.encoding is not None:
        data["encoding"] = change.encoding
    if change.row is not None:
        data["row"] = change.row
    if change.record is not None:
        data["record"] = change.record
    return data


def from_json(data: dict[str, Any], where: str) -> Change:
    try:
        if data["kind"] not in KINDS:
            raise ValueError(f"unknown kind {data['kind']!r}")
        change = Change(
            doc=str(data["doc"]), kind=data["kind"], rule=str(data["rule"]), start=int(data["start"]),
            end=int(data["end"]), text=str(data["text"]), replacement=str(data.get("replacement", "")),
            reason=str(data.get("reason", "")), line=int(data.get("line", 0)),
            duplicate_of=data.get("duplicate_of"), duplicate_start=data.get("duplicate_start"),
            duplicate_end=data.get("duplicate_end"), similarity=data.get("similarity"),
            encoding=data.get("encoding"), id=str(data.get("id", "")),
            row=None if data.get("row") is None else int(data["row"]),
            record=None if data.get("record") is None else str(data["record"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: not a valid change record ({exc}); regenerate it with `dedup clean`") from None
    return change


def dumps(changes: Iterable[Change]) -> bytes:
    """Lines of the change log, in UTF-8 (:mod:`dedup.jsonline`: a change that drops a document
    holds its text and its record)."""
    return b"".join([jsonline.line(to_json(c), False, (", ", ": ")) + b"\n" for c in changes])


def log_lines(data: bytes) -> list[str]:
    """The lines of change-log bytes (:func:`dumps`), without their line feeds.

    Split at line feeds only: a change's text may hold U+2028, U+2029 or U+0085, which JSON leaves
    unescaped and ``str.splitlines`` would break at.
    """
    lines = data.decode("utf-8").split("\n")
    return lines[:-1] if lines and not lines[-1] else lines


def read_jsonl(path: Path) -> list[Change]:
    try:
        lines = log_lines(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: no change log; is this a dedup output folder?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the change log ({exc})") from None
    changes = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not valid JSON ({exc.msg}); the change log is corrupt") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}:{number}: expected a JSON object; the change log is corrupt")
        changes.append(from_json(data, f"{path}:{number}"))
    return changes
