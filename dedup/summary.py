"""``summary.json``: the numbers of a run, for people and for CI.

It holds no timestamps, timings or absolute paths, so the same input gives the same summary on
every machine and a committed ``out/`` can be checked for staleness byte for byte.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from . import __version__
from .config import Config, as_dict
from .model import KINDS, Result
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


def build_summary(result: Result, config: Config) -> dict[str, Any]:
    by_kind: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    per_document: dict[str, Any] = {}
    bytes_in = bytes_out = 0
    changed = dropped = empty = 0
    for doc in result.documents:
        bytes_in += doc.document.size
        kinds: Counter[str] = Counter()
        removed = 0
        for change in doc.changes:
            by_kind[change.kind] += 1
            by_rule[change.rule] += 1
            kinds[change.kind] += 1
            removed += len(change.text) - len(change.replacement)
        if doc.output is None:
            dropped += 1
        else:
            bytes_out += len(doc.output.encode("utf-8"))
            if not doc.output:
                empty += 1
        if doc.changes:
            changed += 1
        per_document[doc.document.doc] = {
            "changes": {k: kinds[k] for k in KINDS if kinds[k]},
            "chars_removed": removed,
            "dropped": doc.output is None,
        }
    nd = config.neardup
    bands, rows = choose_bands(nd.threshold, nd.num_perm, nd.target_recall)
    read = len(result.documents)
    return {
        "dedup_version": __version__,
        "documents": {
            "read": read,
            "written": read - dropped,
            "changed": changed,
            "unchanged": read - changed,
            "dropped": dropped,
            "skipped": len(result.skipped),
            "empty": empty,
        },
        "bytes": {"in": bytes_in, "out": bytes_out},
        "changes": {
            "total": sum(by_kind.values()),
            "by_kind": {k: by_kind[k] for k in KINDS},
            "by_rule": dict(sorted(by_rule.items())),
        },
        "clusters": {
            "count": len(result.clusters),
            "passages": sum(len(c) for c in result.clusters),
            "members": [list(c) for c in result.clusters],
        },
        "lsh": {
            "bands": bands,
            "rows": rows,
            "recall_at_threshold": round(1 - (1 - nd.threshold**rows) ** bands, 4),
        },
        "suspects": {
            "count": len(result.suspects),
            "items": [
                {"doc": s.doc, "line": s.line, "rule": s.rule, "text": s.text[:200], "reason": s.reason}
                for s in result.suspects
            ],
        },
        "skipped": [{"path": s.path, "problem": s.problem, "hint": s.hint} for s in result.skipped],
        "warnings": list(result.warnings),
        "per_document": per_document,
        "config": as_dict(config),
    }
