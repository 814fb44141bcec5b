"""The stage functions every engine calls: per document, per candidate pair, per component.

An *engine* (:mod:`dedup.stream` on one machine, :mod:`dedup.spark` on a cluster) decides where
documents are read, where these functions run and how their results meet: it groups band keys
into buckets, turns buckets into candidate pairs, links pairs into components and brings each
document's verdict back to it in input order. Everything that decides what happens to a document
is here (or below, in :mod:`dedup.pipeline`), so the engines hold no cleaning logic and give the
same output by construction:

- :func:`sketch` (and :func:`sketch_many`, which engines call on batches of documents): the
  per-document stages (read, repair, boilerplate, passages, signatures) and what the global stage
  needs of them: band keys, vetting bytes, evidence lines, the changes the document gets alone,
  and its prepared form;
- :func:`vet`: whether a candidate pair of entries is similar enough to link their documents;
- :func:`components`: connected components of the linked documents (on one machine, or on a
  driver once a distributed engine has shrunk the edge set);
- :func:`plan_component`: verification, keep policy and boilerplate re-judgement of a component;
- :func:`finish`: a document's final changes and text, checked to restore exactly, and
  :func:`record_fields`, which marks a record's changes for restore.

Workers get the run's configuration once (:func:`configure`), not with every task.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import changes as changelog
from .arrays import distinct
from .config import Config
from .errors import InputError
from .evidence import Finding, Lines
from .formats import RAW, Row, json_style, record_json
from .model import Change, DocResult, Document, Suspect, fast_init, replace
from .neardup import choose_bands, document_rows
from .pipeline import (
    PackedArray,
    Prepared,
    _verify,
    evidence_lines,
    pack_array,
    passage_changes,
    plan,
    prepare_many,
    unpack_array,
    with_evidence,
)
from .signatures import band_keys

#: Salts that keep the three kinds of band key apart (a passage's word and character signatures,
#: a whole document's) so that only like is bucketed with like.
_SALT = {"word": np.uint64(0), "char": np.uint64(0x5BD1E9955BD1E995), "doc": np.uint64(0xC2B2AE3D27D4EB4F)}


@fast_init
@dataclass(frozen=True)
class Sketch:
    """What pass 1 keeps of a document."""

    lines: Lines
    keys: Any  # (n, bands) uint64: band keys of its comparable passages and of the whole document
    low: Any  # (n, num_perm) uint8: the lowest byte of each signature value, to vet candidates
    changes: tuple[Change, ...]
    suspects: tuple[Suspect, ...]
    prepared: bytes  # the pickled Prepared, so later passes need not run the stages again
    fingerprint: bytes  # of the document as read: pass 2 must re-read the same one (see fingerprint)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle the two arrays as their bytes: every sketch is pickled by a worker and loaded by
        the main process, and an array's own pickling has a fixed cost of several microseconds
        (a sketch took 20 us to pickle and 20 us to load, most of it the two arrays)."""
        return _unpickle_sketch, (self.lines, pack_array(self.keys), pack_array(self.low), self.changes,
                                  self.suspects, self.prepared, self.fingerprint)


def _unpickle_sketch(lines: Lines, keys: PackedArray, low: PackedArray, changes: tuple[Change, ...],
                     suspects: tuple[Suspect, ...], prepared: bytes, fingerprint: bytes) -> Sketch:
    return Sketch(lines, unpack_array(keys), unpack_array(low), changes, suspects, prepared, fingerprint)


_CONFIG: Config | None = None


def configure(config: Config) -> None:
    """Set the configuration this process's stage functions use (once per worker)."""
    global _CONFIG
    _CONFIG = config


def current_config() -> Config:
    assert _CONFIG is not None, "worker not configured (call configure first)"
    return _CONFIG


def fingerprint(document: Document) -> bytes:
    """8 bytes that tell whether pass 2 read the same document as pass 1.

    Pass 2 re-reads the corpus and applies changes decided on what pass 1 read; a file modified,
    added or removed in between would get changes meant for another text. Every engine keeps the
    fingerprints of pass 1 (in the :class:`Sketch`) and stops with :func:`corpus_changed` when
    the re-read differs.
    """
    # SHA-1 (hardware-accelerated where the CPU has SHA extensions) fed in pieces: blake2b of the
    # joined string cost 9.6-12.2 us a document, this 6.7-7.8; the main process pays it again in
    # pass 2.
    digest = hashlib.sha1(document.doc.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    digest.update(b"\0")
    digest.update(document.text.encode("utf-8", "surrogatepass"))
    return digest.digest()[:8]


def corpus_changed(doc: str | None = None) -> InputError:
    """The one-line error of a run whose corpus changed between its passes (``doc``: the first item
    that differs; None: items at the corpus's end are missing), the same from every engine."""
    if doc is None:
        return InputError("the corpus changed while dedup read it (files at its end were removed or became "
                          "unreadable between the two passes); rerun when nothing writes to it (the previous "
                          "output is intact)")
    return InputError(f"{doc}: the corpus changed while dedup read it ({doc} or a file before it was modified, "
                      "added or removed between the two passes); rerun when nothing writes to it (the previous "
                      "output is intact)")


def alone_changes(item: Prepared) -> tuple[Change, ...]:
    """A document's changes when no other document bears on it: its boilerplate and repairs."""
    return tuple(changelog.assign_ids(passage_changes(item, {d.index: d for d in item.boilerplate}, {})))


def rejudged(item: Prepared, found: dict[int, Finding]) -> Verdict:
    """The verdict on a document in no component that holds recurring lines: its rules run again,
    knowing them."""
    item = with_evidence(item, found, current_config())
    return Verdict(alone_changes(item), False, item.suspects)


def sketch(document: Document) -> Sketch:
    """Worker: run the per-document stages and keep what the global stage needs."""
    return sketch_many([document])[0]


#: Documents an engine hands :func:`sketch_many` at once: the array steps of splitting and
#: signing cost about 100 us a document one at a time and about half that in batches of 16 (on the
#: planted benchmark corpus; whole runs gained a little more up to 32 or 64).
SKETCH_BATCH = 32
#: A batch ends early at this many characters of text, so that a batch of long documents does not
#: hold several times the memory of one (the array steps take a few bytes per character).
SKETCH_BATCH_CHARS = 1 << 20


def _full(documents: int, chars: int) -> bool:
    return documents >= SKETCH_BATCH or chars >= SKETCH_BATCH_CHARS


def batch_full(batch: Sequence[Document]) -> bool:
    """Whether ``batch`` is as large as a batch for :func:`sketch_many` gets."""
    return _full(len(batch), sum(len(d.text) for d in batch))


def sketch_batches(documents: Iterable[Document]) -> Iterator[list[Document]]:
    """``documents`` in batches for :func:`sketch_many` (see :func:`batch_full`), read lazily."""
    batch: list[Document] = []
    chars = 0  # counted as the batch grows: batch_full would sum the whole batch at each document
    for document in documents:
        batch.append(document)
        chars += len(document.text)
        if _full(len(batch), chars):
            yield batch
            batch = []
            chars = 0
    if batch:
        yield batch


def sketch_many(documents: Sequence[Document]) -> list[Sketch]:
    """:func:`sketch` of each document, with the array steps run once for all of them."""
    config = current_config()
    nd = config.neardup
    bands, rows_per_band = choose_bands(nd.threshold, nd.num_perm, nd.target_recall)
    items = prepare_many(documents, config)
    kept = [item.kept_passages() for item in items]
    whole = [[p.key for p in passages if p.key] if nd.documents else [] for passages in kept]
    wholes = iter(document_rows([(item.signatures, keys) for item, keys in zip(items, whole, strict=True) if keys],
                                nd))
    rows: list[Any] = []
    salts: list[Any] = []
    sizes: list[int] = []
    for item, passages, keys in zip(items, kept, whole, strict=True):
        before = len(rows)
        kept_keys = Counter(p.key for p in passages)
        for channel, key, row in item.signatures:
            # one entry per kept passage: a passage repeated within the document collides with itself
            rows.extend([row] * kept_keys[key])
            salts.extend([_SALT[channel]] * kept_keys[key])
        if keys:  # the whole document's row
            rows.append(next(wholes))
            salts.append(_SALT["doc"])
        sizes.append(len(rows) - before)
    if rows:
        stacked = np.stack(rows)
        keys_array = band_keys(stacked, bands, rows_per_band) ^ np.array(salts, dtype=np.uint64)[:, None]
        low = (stacked & 0xFF).astype(np.uint8)
    else:
        keys_array = np.zeros((0, bands), dtype=np.uint64)
        low = np.zeros((0, nd.num_perm), dtype=np.uint8)
    out = []
    at = 0
    for document, item, size in zip(documents, items, sizes, strict=True):
        out.append(Sketch(evidence_lines(item, config), keys_array[at:at + size], low[at:at + size],
                          alone_changes(item), item.suspects, pickle.dumps(item, protocol=5), fingerprint(document)))
        at += size
    return out


#: A candidate pair is linked when its b-bit estimate reaches ``threshold - VET_MARGIN``
#: (see :class:`dedup.stream.BandSpill` for why candidates are vetted at all).
VET_MARGIN = 0.25


def vet(low_a: Any, low_b: Any, cutoff: float) -> Any:
    """For rows of vetting bytes (the lowest byte of each signature value) of candidate pairs, a
    boolean mask of the pairs whose b-bit MinHash estimate of Jaccard similarity reaches ``cutoff``."""
    chance = 1 / 256
    agree = (low_a == low_b).mean(axis=1)
    return (agree - chance) / (1 - chance) >= cutoff


def components(edges: Any, documents: int) -> list[list[int]]:
    """Groups of documents linked by candidate pairs (``a << 32 | b``), each sorted, ordered by
    first member."""
    if not len(edges):
        return []
    a = (edges >> np.uint64(32)).astype(np.int64)
    c = (edges & np.uint64(0xFFFFFFFF)).astype(np.int64)
    label = np.arange(documents, dtype=np.int64)
    while True:  # label propagation with pointer jumping: each document ends at its component's minimum
        low = np.minimum(label[a], label[c])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, c, low)
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            break
        label = new
    involved = distinct(np.concatenate([a, c]))
    groups: dict[int, list[int]] = {}
    for d in involved.tolist():
        groups.setdefault(int(label[d]), []).append(d)
    return [groups[k] for k in sorted(groups)]


@fast_init
@dataclass(frozen=True)
class Verdict:
    """A document's changes decided before pass 2 (its text is filled in when it is re-read)."""

    changes: tuple[Change, ...]
    dropped: bool
    suspects: tuple[Suspect, ...]


def finish(task: tuple[Document, Verdict | tuple[dict[int, Finding], Prepared]]) -> tuple[DocResult,
                                                                                       tuple[Suspect, ...]]:
    """A document's final changes and output, checked to restore exactly."""
    document, how = task
    if isinstance(how, tuple):  # recurring lines to judge: the rules again, knowing them
        found, item = how
        how = rejudged(item, found)
    changes = tuple(replace(c, text=document.text) if c.kind == "document-duplicate" else c for c in how.changes)
    output = None if how.dropped else changelog.apply(document.text, changes)
    _verify(document, output, changes)
    return DocResult(document, changes, output), how.suspects


def record_fields(row: Row | None, result: DocResult) -> DocResult:
    """Mark a record's changes with its row, JSON style and, when restore needs it, the original."""
    if row is None or not result.changes:
        return result
    record: str | None = None
    style: str | None = None
    if row.raw is not None and row.value is not None:
        style = json_style(row.value, row.raw) if result.output is not None else RAW
        if style == RAW:
            record = row.raw.decode("utf-8", "surrogateescape")
    elif row.value is not None and result.output is None:
        record = record_json(row.value)
    marked = []
    for i, change in enumerate(result.changes):
        marked.append(replace(change, row=row.row, encoding=style if i == 0 and style else change.encoding,
                              record=record if i == 0 else None))
    return replace(result, changes=tuple(marked))


def plan_component(task: tuple[list[Prepared], dict[int, dict[int, Finding]]]) -> tuple[list[Verdict],
                                                                                     list[tuple[str, ...]]]:
    """Worker: plan one component; the verdicts (whole-document texts left out) and clusters."""
    items, evidence = task
    config = current_config()
    results, near = plan(items, config, evidence)
    verdicts = [Verdict(tuple(replace(c, text="") if c.kind == "document-duplicate" else c for c in result.changes),
                        result.output is None, item.suspects)
                for item, result in zip(items, results, strict=True)]
    names = [item.document.doc for item in items]
    found = [tuple(f"{names[d]}:{items[d].passages[i].line}" for d, i in cluster) for cluster in near.clusters]
    return verdicts, found
