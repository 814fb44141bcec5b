"""The data every report renders: read back from ``OUT`` (summary, change log, cleaned corpus).

Building it from the written output rather than from the in-memory run means ``dedup report OUT``
and ``dedup diff OUT`` show exactly what is on disk, and a report can be rebuilt at any time.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import corpus
from ..changes import read_jsonl
from ..errors import InputError
from ..model import Change
from ..pipeline import restore_text


@dataclass(frozen=True)
class DocReport:
    doc: str
    folder: str
    status: str  # changed, unchanged or dropped
    original: str | None  # the original text (None for unchanged documents: nothing to show)
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class ReportData:
    summary: dict[str, Any]
    documents: tuple[DocReport, ...]

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for d in self.documents for c in d.changes)

    def by_rule(self) -> list[tuple[str, int]]:
        counts = Counter(c.rule for c in self.changes)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def by_kind(self) -> list[tuple[str, int]]:
        counts = Counter(c.kind for c in self.changes)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def clusters(self) -> list[list[str]]:
        members = self.summary.get("clusters", {}).get("members", [])
        return sorted((list(m) for m in members), key=lambda m: (-len(m), m))


def load(out: Path) -> ReportData:
    """Read ``OUT`` back into report data (the original text of each changed document is restored)."""
    summary_path = out / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{summary_path}: missing; is {out} a dedup output folder?") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{summary_path}: unreadable ({exc}); rerun `dedup clean`") from None
    changes = read_jsonl(out / "changes.jsonl")
    by_doc: dict[str, list[Change]] = {}
    for change in changes:
        by_doc.setdefault(change.doc, []).append(change)
    from ..output import cleaned_records

    records = cleaned_records(out, changes)
    docs: list[DocReport] = []
    names = set(summary.get("per_document", {})) | set(by_doc)
    for doc in sorted(names):
        doc_changes = tuple(sorted(by_doc.get(doc, []), key=lambda c: (c.start, c.end)))
        folder = doc.rsplit("/", 1)[0] if "/" in doc else "."
        if any(c.kind == "document-duplicate" for c in doc_changes):
            docs.append(DocReport(doc, folder, "dropped", restore_text(None, doc_changes), doc_changes))
            continue
        if not doc_changes:
            docs.append(DocReport(doc, folder, "unchanged", None, ()))
            continue
        if doc in records:
            docs.append(DocReport(doc, folder, "changed", restore_text(records[doc], doc_changes), doc_changes))
            continue
        path = corpus.safe_join(out / "corpus", doc)
        try:
            output = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the cleaned document ({exc}); rerun `dedup clean`") from None
        docs.append(DocReport(doc, folder, "changed", restore_text(output, doc_changes), doc_changes))
    return ReportData(summary, tuple(docs))
