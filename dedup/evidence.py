"""Cross-document evidence: lines one source prints around many different articles.

This is the evidence CCNet and dolma use at scale: a site's widgets repeat across its pages in
any wording, while its articles do not. "Different articles" is judged by each document's longest
passage, so syndicated copies of one article do not make their own lines look like furniture;
lines are counted within a source only, since a line shared across sources is a quote or a
syndicated passage (the duplicate stage's business).

A document's title recurs in its site's related-article lists: there it is furniture, at the head
of its own article it is the title. So a line in the head (before the first paragraph that is
neither a known widget nor itself recurring) is furniture only if it heads many articles (a site
banner, a standing byline).

The table holds a few integers per short line (64-bit hashes of the line, its source and its
article), not the lines, and is resolved with sorted numpy arrays: memory stays at tens of bytes
per line, so a corpus of a million documents is counted in a few hundred megabytes.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import EvidenceConfig
from .model import Passage


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class Lines:
    """What one document contributes: computed next to the rules, in whichever process ran them.

    ``short`` holds (passage index, line hash, already boilerplate) for every line short enough to
    recur; ``prose`` holds (passage index, line hash or 0 when too long to recur) for the prose
    paragraphs the rules kept, up to the first one too long to recur (the head can end no later).
    """

    source: str
    article: int
    short: tuple[tuple[int, int, bool], ...]
    prose: tuple[tuple[int, int], ...]


def document_lines(source: str, doc: str, passages: Sequence[Passage], removed: set[int],
                   config: EvidenceConfig) -> Lines:
    from .rules import is_prose, matching_text

    longest = max(passages, key=lambda p: (len(p.key), p.key), default=None)
    article = _h64(longest.key if longest is not None else doc)
    short = tuple((p.index, _h64(p.key), p.index in removed) for p in passages
                  if p.key and p.words <= config.max_words)
    prose: list[tuple[int, int]] = []
    for p in passages:
        if p.index in removed or not is_prose(matching_text(p.text), p.words):
            continue
        recurrable = bool(p.key) and p.words <= config.max_words
        prose.append((p.index, _h64(p.key) if recurrable else 0))
        if not recurrable:
            break
    return Lines(source, article, short, tuple(prose))


def _mix(source: Any, line: Any) -> Any:
    with np.errstate(over="ignore"):
        return line ^ (source.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1))


def _distinct_counts(keys: Any, articles: Any) -> tuple[Any, Any]:
    """For each distinct key: how many distinct articles it appears with (sorted keys, counts)."""
    if not len(keys):
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((articles, keys))
    k, a = keys[order], articles[order]
    first = np.r_[True, (k[1:] != k[:-1]) | (a[1:] != a[:-1])]
    return np.unique(k[first], return_counts=True)


def _lookup(sorted_keys: Any, counts: Any, keys: Any) -> Any:
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=np.int64)
    at = np.clip(np.searchsorted(sorted_keys, keys), 0, len(sorted_keys) - 1)
    return np.where(sorted_keys[at] == keys, counts[at], 0)


class EvidenceTable:
    """Collects :class:`Lines` document by document, then names the recurring lines of each."""

    def __init__(self, config: EvidenceConfig) -> None:
        self.config = config
        self._sources: dict[str, int] = {}
        self._source_names: list[str] = []
        self._doc_source = array("I")
        self._s_doc, self._s_idx, self._s_line, self._s_art = array("I"), array("I"), array("Q"), array("Q")
        self._s_removed = array("B")
        self._p_doc, self._p_idx, self._p_line = array("I"), array("I"), array("Q")
        self._article = array("Q")

    def add(self, doc: int, lines: Lines) -> None:
        """Add document number ``doc`` (numbers must be 0, 1, 2, ... in order)."""
        if doc != len(self._doc_source):
            raise ValueError("documents must be added in order")
        src = self._sources.setdefault(lines.source, len(self._sources))
        if src == len(self._source_names):
            self._source_names.append(lines.source)
        self._doc_source.append(src)
        self._article.append(lines.article)
        for idx, line, removed in lines.short:
            self._s_doc.append(doc)
            self._s_idx.append(idx)
            self._s_line.append(line)
            self._s_art.append(lines.article)
            self._s_removed.append(removed)
        for idx, line in lines.prose:
            self._p_doc.append(doc)
            self._p_idx.append(idx)
            self._p_line.append(line)

    def recurring(self, only_new: bool = True) -> dict[int, dict[int, str]]:
        """Per document: its recurring lines (passage index → reason).

        With ``only_new``, documents whose recurring lines the rules already remove are left out:
        there is nothing new to judge for them.
        """
        minimum = self.config.min_documents
        doc_source = np.frombuffer(self._doc_source, dtype=np.uint32) if len(self._doc_source) else \
            np.zeros(0, dtype=np.uint32)
        s_doc = np.asarray(self._s_doc, dtype=np.int64)
        s_idx = np.asarray(self._s_idx, dtype=np.int64)
        s_key = _mix(doc_source[s_doc], np.asarray(self._s_line, dtype=np.uint64))
        s_art = np.asarray(self._s_art, dtype=np.uint64)
        keys, counts = _distinct_counts(s_key, s_art)
        seen = _lookup(keys, counts, s_key)
        recurring_row = seen >= minimum

        p_doc = np.asarray(self._p_doc, dtype=np.int64)
        p_idx = np.asarray(self._p_idx, dtype=np.int64)
        p_line = np.asarray(self._p_line, dtype=np.uint64)
        p_key = _mix(doc_source[p_doc], p_line)
        p_recurring = (p_line != 0) & (_lookup(keys, counts, p_key) >= minimum)
        none = np.iinfo(np.int64).max
        first_prose = np.full(len(doc_source), none, dtype=np.int64)
        np.minimum.at(first_prose, p_doc[~p_recurring], p_idx[~p_recurring])

        fp = first_prose[s_doc]
        head = recurring_row & (fp != none) & (s_idx < fp)
        head_keys, head_counts = _distinct_counts(s_key[head], s_art[head])
        heads = _lookup(head_keys, head_counts, s_key)
        found = recurring_row & (~head | (heads >= minimum))
        if only_new:
            wanted = np.unique(s_doc[found & (np.asarray(self._s_removed, dtype=bool) == 0)])
            found &= np.isin(s_doc, wanted)
        out: dict[int, dict[int, str]] = {}
        names = self._source_names
        for row in np.flatnonzero(found):
            d = int(s_doc[row])
            out.setdefault(d, {})[int(s_idx[row])] = (
                f"seen in {int(seen[row])} documents of source {names[int(doc_source[d])]}")
        return out
