"""``dedup check``: judge some documents of a corpus the way ``dedup clean`` would, fast enough for a hook.

Boilerplate and repairs are judged per checked file, exactly as the cleaner judges them (the same
``prepare``). Near-duplicates are judged against the whole corpus under the root, not only the
checked files: the signature cache (:mod:`dedup.cache`) holds every other document's band keys,
so a warm check hashes the corpus' bytes, signs only what is new, and verifies the few candidates
LSH proposes with the true Jaccard similarity, as the cleaner does.

Which copy is "the duplicate" follows the cleaner's keep-first policy, with one twist for a hook:
documents already in the corpus come before the checked ones, so a new file that repeats an old
one is the one flagged, never the other way round.

``--fix`` rewrites the checked files with the same edits the cleaner makes
(:func:`dedup.pipeline.passage_changes`) and appends every change to a change log, so nothing is
lost. A file that is a duplicate as a whole is reported, not deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import changes as changelog
from . import corpus
from .cache import DOCUMENT_ROW, Entry, SignatureCache, cache_folder, content_hash
from .config import AcceptConfig, Config
from .errors import InputError
from .model import Change, Document, Passage, Skipped
from .neardup import (
    Memo,
    adds_content,
    channels,
    choose_bands,
    document_row,
    document_shingles,
    is_headline,
    jaccard,
    passage_similarity,
    signature_rows,
)
from .normalize import propose_repairs
from .passages import split
from .pipeline import CanonicalCopy, Prepared, accepted, passage_changes, prepare


@dataclass(frozen=True)
class Finding:
    """One thing the check objects to, with what a user needs to fix or accept it."""

    path: str  # the file as the user names it
    doc: str  # its name relative to the corpus root (what ids are computed from)
    line: int
    kind: str
    rule: str
    text: str
    id: str
    reason: str
    duplicate_of: str | None = None  # path of the other document, as the user names it
    duplicate_line: int | None = None
    similarity: float | None = None

    def message(self) -> str:
        snippet = " ".join(self.text.split())
        snippet = snippet if len(snippet) <= 80 else snippet[:77] + "..."
        if self.kind == "duplicate":
            what = f"duplicate of {self.duplicate_of}:{self.duplicate_line} (similarity {self.similarity:.2f})"
        elif self.kind == "document-duplicate":
            what = f"whole document duplicates {self.duplicate_of} (similarity {self.similarity:.2f})"
        elif self.kind == "unreadable":
            return f"{self.path}: {self.reason}"
        else:
            what = f"{self.kind} [{self.rule}]"
        return f"{self.path}:{self.line}: {what}: \"{snippet}\" (id {self.id})"

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class CheckReport:
    findings: tuple[Finding, ...]
    fixed: tuple[str, ...]
    checked: int
    corpus: int
    cache: str


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


def _entry(item: Prepared, config: Config, bands: int, rows_per_band: int) -> Entry:
    """The cache rows of one document: its comparable passages and their band keys per channel."""
    import numpy as np

    from .signatures import band_keys

    nd = config.neardup
    boiler = {d.index: d for d in item.boilerplate}
    passages = [p for p in item.passages if channels(p.words, nd)]
    rows = np.array([[p.index, p.line, p.start, p.end, p.words, int(p.index in boiler)] for p in passages],
                    dtype=np.uint32).reshape(-1, 6)
    keys = np.zeros((len(passages), 2 * bands), dtype=np.uint64)
    known = {(channel, key): row for channel, key, row in item.signatures}  # computed by prepare()
    for c, channel in enumerate(("char", "word")):
        members = [i for i, p in enumerate(passages) if channel in channels(p.words, nd)]
        if members:
            missing = [passages[i].key for i in members if (channel, passages[i].key) not in known]
            if missing:
                fresh = signature_rows(missing, channel, nd)
                known.update(((channel, k), row) for k, row in zip(missing, fresh, strict=True))
            sigs = np.stack([known[(channel, passages[i].key)] for i in members])
            keys[members, c * bands:(c + 1) * bands] = band_keys(sigs, bands, rows_per_band)
    ids = np.array([int(item.removal_id(p, "boilerplate", boiler[p.index].rule), 16) if p.index in boiler else 0
                    for p in passages], dtype=np.uint64)
    whole = _document_keys(item, config, bands, rows_per_band)
    if whole is not None:
        rows = np.vstack([rows, np.array([[DOCUMENT_ROW, 0, 0, 0, 0, 0]], dtype=np.uint32)])
        doc_keys = np.zeros((1, 2 * bands), dtype=np.uint64)
        doc_keys[0, bands:] = whole
        keys = np.vstack([keys, doc_keys])
        ids = np.append(ids, np.uint64(0))
    return Entry(rows, keys, ids)


def _document_set(item: Prepared, config: Config) -> frozenset[str]:
    return document_shingles(item.kept_passages(), config.neardup)


def _document_keys(item: Prepared, config: Config, bands: int, rows_per_band: int) -> Any:
    """Band keys of the whole document's signature (as the cleaner's document stage computes it)."""
    import numpy as np

    from .signatures import band_keys

    keys = [p.key for p in item.kept_passages() if p.key]
    if not keys:
        return None
    # The row of the union of the passages' shingles, from the rows prepare() signed (as the
    # cleaner's sketch takes it, so both give the same band keys).
    sig = document_row(item.signatures, keys, config.neardup)
    return band_keys(np.stack([sig]), bands, rows_per_band)[0]


def _query_keys(passage: Passage, config: Config, bands: int, rows_per_band: int) -> list[int]:
    from .signatures import band_keys

    out: list[int] = []
    for channel in channels(passage.words, config.neardup):
        sig = signature_rows([passage.key], channel, config.neardup)
        out.extend(band_keys(sig, bands, rows_per_band)[0].tolist())
    return out


def check(files: Sequence[Path], root: Path, config: Config, fix: bool = False,
          log: Path | None = None) -> CheckReport:
    """Check ``files`` (all documents under ``root`` when empty) against the corpus under ``root``."""
    if not root.is_dir():
        raise InputError(f"{root}: corpus root is not a folder; pass --root")
    root = root.resolve()
    nd = config.neardup
    bands, rows_per_band = choose_bands(nd.threshold, nd.num_perm, nd.target_recall)
    _, sources = corpus.discover([root], config.include, config.exclude)

    raw: dict[str, bytes] = {}
    for source in sources:
        try:
            raw[source.doc] = source.path.read_bytes()
        except OSError:
            continue  # an unreadable corpus file cannot be a duplicate source; checked files report it
    expanded: list[Path] = []
    for f in files or [root]:
        if f.is_dir():
            _, inside = corpus.discover([f], config.include, config.exclude)
            expanded.extend(s.path for s in inside)
        else:
            expanded.append(f)
    targets: list[tuple[Path, str]] = []
    for f in expanded:
        resolved = f.resolve()
        doc = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else f.as_posix()
        targets.append((f, doc))
        if doc not in raw and resolved.is_file():  # a checked file outside the globs still counts
            with contextlib.suppress(OSError):
                raw[doc] = resolved.read_bytes()
    checked_docs = {doc for _, doc in targets}
    hashes = {doc: content_hash(data) for doc, data in raw.items()}
    docs_by_hash: dict[bytes, list[str]] = {}
    for doc in sorted(hashes):
        docs_by_hash.setdefault(hashes[doc], []).append(doc)

    cache_config = replace(config, accept=AcceptConfig())
    cache = SignatureCache(cache_folder(root), cache_config, 2 * bands)
    decoded: dict[bytes, Document | None] = {}

    def document(doc: str) -> Document | None:
        h = hashes[doc]
        if h not in decoded:
            item = corpus.decode_document(doc, raw[doc])
            decoded[h] = item if isinstance(item, Document) else None
        return decoded[h]

    for doc in sorted(hashes):
        if hashes[doc] in cache:
            continue
        d = document(doc)
        if d is not None:
            cache.add(hashes[doc], _entry(prepare(d, cache_config), cache_config, bands, rows_per_band))

    passages_by_hash: dict[bytes, list[Passage]] = {}
    memo = Memo(nd)  # shingle sets of the passages compared in this run
    prepared_by_hash: dict[bytes, Prepared | None] = {}

    def prepared_of(doc: str) -> Prepared | None:
        h = hashes[doc]
        if h not in prepared_by_hash:
            d = document(doc)
            prepared_by_hash[h] = prepare(d, cache_config) if d else None
        return prepared_by_hash[h]

    def passages_of(doc: str) -> list[Passage]:
        h = hashes[doc]
        if h not in passages_by_hash:
            d = document(doc)
            passages_by_hash[h] = split(doc, d.text, propose_repairs(d)) if d else []
        return passages_by_hash[h]

    findings: list[Finding] = []
    fixed: list[str] = []
    fix_log: list[Change] = []
    for path, doc in sorted(targets, key=lambda t: t[1]):
        shown = _display(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            findings.append(Finding(shown, doc, 0, "unreadable", "unreadable", "", "",
                                    f"cannot read file ({exc.strerror or exc}); check that it exists"))
            continue
        decoded_doc = corpus.decode_document(doc, data)
        if isinstance(decoded_doc, Skipped):
            findings.append(Finding(shown, doc, 0, "unreadable", "unreadable", "", "",
                                    f"{decoded_doc.problem}; {decoded_doc.hint}"))
            continue
        item = prepare(decoded_doc, config)
        own: list[Finding] = []
        for change in item.repairs:
            own.append(Finding(shown, doc, change.line, "repair", change.rule, change.text or decoded_doc.encoding,
                               change.id, change.reason))
        boiler = {d.index: d for d in item.boilerplate}
        for dec in item.boilerplate:
            p = item.passages[dec.index]
            own.append(Finding(shown, doc, p.line, "boilerplate", dec.rule, p.text,
                               item.removal_id(p, "boilerplate", dec.rule), dec.reason))

        dups: dict[int, CanonicalCopy] = {}
        dup_findings: list[Finding] = []
        mine = (0 if doc not in checked_docs else 1, doc)
        for p in item.passages:
            if p.index in boiler or not channels(p.words, nd):
                continue
            headline = is_headline(p, nd)
            best: tuple[float, tuple[Any, ...], str, Passage] | None = None
            for cand in cache.candidates(_query_keys(p, config, bands, rows_per_band), set(hashes.values())):
                j = int(cand.row[0])
                for other in docs_by_hash.get(cand.doc_hash, []):
                    order = (int(other in checked_docs), other, j)
                    if order >= (*mine, p.index):
                        continue  # only copies that come first (existing documents first) count
                    if other != doc and headline:
                        continue  # headlines repeat across documents without being copies
                    theirs = passages_of(other)
                    if j >= len(theirs):
                        continue
                    q = theirs[j]  # a passage's index is its position in its document
                    if cand.row[5] and not accepted(config, f"{cand.boilerplate_id:016x}", q.text):
                        continue  # the other copy is boilerplate the cleaner removes: not a kept copy
                    sim = passage_similarity(p, q, nd, memo)
                    if sim >= nd.threshold and (best is None or (-sim, order) < (-best[0], best[1])):
                        best = (sim, order, other, q)
            if best is None:
                continue
            fid = item.removal_id(p, "duplicate", "neardup")
            if accepted(config, fid, p.text):
                continue
            sim, _, other, q = best
            dups[p.index] = CanonicalCopy(other, q, round(sim, 4), other == doc)
            dup_findings.append(Finding(shown, doc, p.line, "duplicate", "neardup", p.text, fid,
                                        f"near-duplicate of {other} line {q.line}",
                                        _display(root / other), q.line, round(sim, 4)))

        eligible = [p for p in item.passages if p.index not in boiler and channels(p.words, nd)
                    and not is_headline(p, nd)]
        whole_id = changelog.stable_id(doc, "document-duplicate", "neardup", "")
        whole = _whole_document_match(item, doc, checked_docs, config, cache, hashes, docs_by_hash,
                                      prepared_of, bands, rows_per_band, memo) if nd.documents else None
        if whole is not None and whole_id not in config.accept.ids:
            other, sim = whole
            own.append(Finding(shown, doc, 1, "document-duplicate", "neardup", decoded_doc.text[:200], whole_id,
                               f"the whole document near-duplicates {other} (shingle Jaccard {sim:.2f}); "
                               "delete the file or accept it", _display(root / other), 1, round(sim, 4)))
            findings.extend(own)
            continue
        if (eligible and all(p.index in dups and not dups[p.index].same_document for p in eligible)
                and whole_id not in config.accept.ids):
            owners = sorted({dups[p.index].doc for p in eligible},
                            key=lambda o: (-sum(1 for p in eligible if dups[p.index].doc == o), o))
            share = sum(1 for p in eligible if dups[p.index].doc == owners[0]) / len(eligible)
            own.append(Finding(shown, doc, 1, "document-duplicate", "neardup", decoded_doc.text[:200], whole_id,
                               "every passage repeats passages already in the corpus; delete the file or accept it",
                               _display(root / owners[0]), 1, round(share, 4)))
            findings.extend(own)
            continue
        own.extend(dup_findings)
        findings.extend(sorted(own, key=lambda f: (f.line, f.kind)))
        if fix and (boiler or dups or item.repairs):
            changes = passage_changes(item, boiler, dups)
            output = changelog.apply(decoded_doc.text, changes)
            corpus.write_atomic(path, output.encode("utf-8"))
            fix_log.extend(changes)
            fixed.append(shown)

    if fix_log:
        target = log or root / ".dedup" / "fixes.jsonl"
        previous = target.read_bytes() if target.exists() else b""
        corpus.write_atomic(target, previous + changelog.dumps(fix_log))
    cache.save(set(hashes.values()))
    return CheckReport(tuple(findings), tuple(fixed), len(targets), len(hashes), cache.status)


def _whole_document_match(item: Prepared, doc: str, checked: set[str], config: Config, cache: SignatureCache,
                          hashes: dict[str, bytes], docs_by_hash: dict[bytes, list[str]], prepared_of: Any,
                          bands: int, rows_per_band: int, memo: Memo) -> tuple[str, float] | None:
    """The earlier document this one near-duplicates as a whole (the cleaner's document stage), if any."""
    keys = _document_keys(item, config, bands, rows_per_band)
    if keys is None:
        return None
    mine = _document_set(item, config)
    best: tuple[float, tuple[int, str]] | None = None
    for cand in cache.candidates(keys.tolist(), set(hashes.values())):
        if int(cand.row[0]) != DOCUMENT_ROW:
            continue
        for other in docs_by_hash.get(cand.doc_hash, []):
            order = (int(other in checked), other)
            if order >= (1, doc):
                continue
            theirs = prepared_of(other)
            if theirs is None:
                continue
            sim = jaccard(mine, _document_set(theirs, config))
            if sim < config.neardup.threshold or (best is not None and (-sim, order) >= (-best[0], best[1])):
                continue
            if not adds_content(item.kept_passages(), theirs.kept_passages(), config.neardup, memo):
                best = (sim, order)
    return None if best is None else (best[1][1], best[0])


def render(report: CheckReport, fmt: str) -> str:
    """The report as text (people), json (tools) or github (workflow annotations)."""
    if fmt == "json":
        return json.dumps({"findings": [f.as_json() for f in report.findings], "fixed": list(report.fixed),
                           "checked": report.checked, "corpus": report.corpus, "cache": report.cache},
                          ensure_ascii=False, indent=2)
    lines = []
    for f in report.findings:
        if fmt == "github":
            title = f"dedup {f.kind} {f.rule}".strip()
            body = f.message().replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            lines.append(f"::error file={f.path},line={max(f.line, 1)},title={title}::{body}")
        else:
            lines.append(f.message())
    return "\n".join(lines)
