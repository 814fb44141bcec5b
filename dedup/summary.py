"""``summary.json``: the numbers of a run, for people and for CI.

It holds no timestamps, timings or absolute paths, so the same input gives the same summary on
every machine and a committed ``out/`` can be checked for staleness byte for byte.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from . import __version__, jsonline
from .config import Config, as_dict
from .model import KINDS, DocResult, Skipped, Suspect
from .neardup import choose_bands

SUMMARY_KEYS: dict[str, str] = {
    "dedup_version": "version of dedup that wrote the output",
    "documents": "read, written, changed, unchanged, dropped (whole-document duplicates), skipped, empty",
    "bytes": "bytes read (as on disk) and written (UTF-8)",
    "changes": "total changes, by kind and by rule",
    "clusters": "near-duplicate clusters with a removal: count, passages in them, and each cluster's members",
    "lsh": "the bands and rows used, and the chance a pair at the threshold is proposed",
    "suspects": "lines kept although a rule half-matched them: count and each one (doc, line, rule, reason)",
    "skipped": "input files that could not be read, each with the problem and what to do",
    "warnings": "things worth knowing that did not stop the run (e.g. empty files)",
    "per_document": "for each document: changes by kind, characters removed, dropped or not",
    "config": "the effective configuration",
}


def summary_text(summary: dict[str, Any]) -> str:
    """The text of ``summary.json``: indented by two spaces, except that each document's entry in
    ``per_document`` is one line.

    Indented JSON goes through the json module's pure-Python encoder: at a million documents the
    per-document entries took nine seconds that way, at the end of a run when nothing else runs,
    and a document's entry on one line is also what ``grep`` finds.
    """
    per_document = summary.get("per_document")
    text = json.dumps({**summary, "per_document": {}} if per_document else summary, indent=2, ensure_ascii=False)
    if per_document:
        # top-level keys alone start a line with two spaces (a string's line breaks are escaped)
        one_line = jsonline.encoder(False)
        entries = ",\n".join([f"    {one_line.encode(doc)}: {one_line.encode(entry)}"
                              for doc, entry in per_document.items()])
        text = text.replace('\n  "per_document": {}', '\n  "per_document": {\n' + entries + "\n  }", 1)
    return text + "\n"


class SummaryBuilder:
    """Counts a run's results as they stream past, so the summary never needs the whole run in memory."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.by_kind: Counter[str] = Counter()
        self.by_rule: Counter[str] = Counter()
        self.per_document: dict[str, Any] = {}
        self.bytes_in = self.bytes_out = 0
        self.read = self.changed = self.dropped = self.empty = 0
        self.suspects: list[Suspect] = []
        self.skipped: list[Skipped] = []
        self.warnings: list[str] = []

    def add(self, result: DocResult | Skipped, suspects: Sequence[Suspect] = (), warning: str | None = None) -> None:
        if isinstance(result, Skipped):
            self.skipped.append(result)
            return
        self.suspects.extend(suspects)
        if warning:
            self.warnings.append(warning)
        self.read += 1
        self.bytes_in += result.document.size
        kinds: dict[str, int] = {}  # a plain dict: a Counter per document cost more than the counting
        removed = 0
        for change in result.changes:
            self.by_kind[change.kind] += 1
            self.by_rule[change.rule] += 1
            kinds[change.kind] = kinds.get(change.kind, 0) + 1
            removed += len(change.text) - len(change.replacement)
        output = result.output
        if output is None:
            self.dropped += 1
        else:
            self.bytes_out += len(output) if output.isascii() else len(output.encode("utf-8"))
            if not output:
                self.empty += 1
        if result.changes:
            self.changed += 1
        self.per_document[result.document.doc] = {
            "changes": {k: kinds[k] for k in KINDS if k in kinds} if kinds else {},
            "chars_removed": removed,
            "dropped": output is None,
        }

    def merge(self, other: SummaryBuilder) -> None:
        """Add the counts of a builder that saw the items after this one's (a distributed run
        counts each partition apart and merges them in input order)."""
        self.by_kind.update(other.by_kind)
        self.by_rule.update(other.by_rule)
        self.per_document.update(other.per_document)
        self.bytes_in += other.bytes_in
        self.bytes_out += other.bytes_out
        self.read += other.read
        self.changed += other.changed
        self.dropped += other.dropped
        self.empty += other.empty
        self.suspects.extend(other.suspects)
        self.skipped.extend(other.skipped)
        self.warnings.extend(other.warnings)

    def finish(self, clusters: Sequence[Sequence[str]]) -> dict[str, Any]:
        nd = self.config.neardup
        bands, rows = choose_bands(nd.threshold, nd.num_perm, nd.target_recall)
        return {
            "dedup_version": __version__,
            "documents": {
                "read": self.read,
                "written": self.read - self.dropped,
                "changed": self.changed,
                "unchanged": self.read - self.changed,
                "dropped": self.dropped,
                "skipped": len(self.skipped),
                "empty": self.empty,
            },
            "bytes": {"in": self.bytes_in, "out": self.bytes_out},
            "changes": {
                "total": sum(self.by_kind.values()),
                "by_kind": {k: self.by_kind[k] for k in KINDS},
                "by_rule": dict(sorted(self.by_rule.items())),
            },
            "clusters": {
                "count": len(clusters),
                "passages": sum(len(c) for c in clusters),
                "members": [list(c) for c in clusters],
            },
            "lsh": {
                "bands": bands,
                "rows": rows,
                "recall_at_threshold": round(1 - (1 - nd.threshold**rows) ** bands, 4),
            },
            "suspects": {
                "count": len(self.suspects),
                "items": [
                    {"doc": s.doc, "line": s.line, "rule": s.rule, "text": s.text[:200], "reason": s.reason}
                    for s in self.suspects
                ],
            },
            "skipped": [{"path": s.path, "problem": s.problem, "hint": s.hint} for s in self.skipped],
            "warnings": list(self.warnings),
            "per_document": self.per_document,
            "config": as_dict(self.config),
        }
