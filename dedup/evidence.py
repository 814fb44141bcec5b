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

A site's templates also print lines with a slot: "{author} is a correspondent for the Ledger.",
"{photographer} / Ledger Photo", "See also: {headline}", "{n} readers recommend this". The whole line
differs from page to page, but its first or last few tokens (digits folded) recur in many articles
of the source while the slot varies: rule ``recurring-affix``. A shared opening alone is weak
(paragraphs start alike: "In the end", "Es ist"), so the recurring affixes must cover the line:
at least two tokens, one of them a word (or four tokens: "| 06.11.1992"), and for a line that
reads as a sentence at least half of it; an affix shared by three lines of one document is that
document's own list (steps, chapters), not a template. Titles share a prefix with the site's links to them (a
speaker's name), so in the head the affix must open lines in the heads of many articles, and the
rules never take the title this way.

The table holds a few integers per short line (64-bit hashes of the line, its source and its
article, and of up to ten affixes), not the lines, and is resolved with sorted numpy arrays:
memory stays near two hundred bytes per short line, so a corpus of a million documents is counted
in a few gigabytes at most.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import EvidenceConfig
from .model import Passage, fast_init
from .rules import is_prose, matching_text

#: Affix sizes (in tokens) counted for each short line, at its start and at its end.
AFFIX_SIZES = (2, 3, 4, 6, 8)
_TOKEN = re.compile(r"\w+|[^\w\s]")
_DIGITS = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W\d_]")

#: Lines of one document sharing an affix from which they are a list of the document's own.
LIST_LINES = 3

#: What the evidence found for one passage: (rule, reason).
Finding = tuple[str, str]


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


@fast_init
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
    affixes: tuple[tuple[int, int, bool, bool, tuple[tuple[int, int], ...]], ...] = ()
    """Per short line: (passage index, tokens, already boilerplate, reads as prose, ((code, hash), ...)),
    where ``code`` is the affix size, negative for a suffix."""


def affix_keys(key: str) -> tuple[int, tuple[tuple[int, int], ...]]:
    """A folded line's token count and the hashes of its affixes (sizes :data:`AFFIX_SIZES`, digits
    folded to 0) that leave at least one token over and hold a word or four tokens."""
    tokens = _TOKEN.findall(_DIGITS.sub("0", key))
    n = len(tokens)
    # An affix of k tokens holds a word exactly when the first (last) token with a letter is among
    # its k: found once from each end instead of searching every token of every affix.
    first = next((i for i, t in enumerate(tokens) if _LETTER.search(t)), n)
    last = next((i for i in range(n - 1, -1, -1) if _LETTER.search(tokens[i])), -1)
    found: list[tuple[int, int]] = []
    for k in AFFIX_SIZES:
        if k >= n:
            break
        if k >= 4 or first < k:
            found.append((k, _affix_hash(f"{k}\x00" + " ".join(tokens[:k]))))
        if k >= 4 or last >= n - k:
            found.append((-k, _affix_hash(f"{-k}\x00" + " ".join(tokens[n - k:]))))
    return n, tuple(found)


def _affix_hash(text: str) -> int:
    """64 bits from two different checksums: a tenth of a cryptographic hash's cost, and ten affixes
    are hashed for each short line. A rare collision only adds one affix's count to another's."""
    data = text.encode("utf-8", "surrogatepass")
    return zlib.crc32(data) << 32 | zlib.adler32(data)


def document_lines(source: str, doc: str, passages: Sequence[Passage], removed: set[int],
                   config: EvidenceConfig) -> Lines:
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
    affixes = []
    for p in passages:
        if p.key and p.words <= config.max_words:
            n, keys = affix_keys(p.key)
            if keys:
                affixes.append((p.index, n, p.index in removed, is_prose(matching_text(p.text), p.words), keys))
    return Lines(source, article, short, tuple(prose), tuple(affixes))


def _mix(source: Any, line: Any) -> Any:
    with np.errstate(over="ignore"):
        return line ^ (source.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1))


def _counted(keys: Any, articles: Any | None = None) -> tuple[Any, Any, Any]:
    """How many distinct articles (or, without ``articles``, rows) each key appears with: as the
    sorted distinct keys and their counts, and as the count of each row's own key.

    The per-row counts come from the sort that finds the distinct keys, scattered back through its
    order: looking every row up again with a binary search cost two thirds of the stage at a
    million documents (cache misses on tens of millions of rows).
    """
    if not len(keys):
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(keys) if articles is None else np.lexsort((articles, keys))  # counts need no stable order
    k = keys[order]
    first = np.r_[True, k[1:] != k[:-1]]
    starts = np.flatnonzero(first)
    rows = np.diff(np.r_[starts, len(k)])
    if articles is None:
        counts = rows
    else:
        a = articles[order]
        counts = np.add.reduceat((first | np.r_[True, a[1:] != a[:-1]]).astype(np.int64), starts)
    per_row = np.empty(len(keys), dtype=np.int64)
    per_row[order] = np.repeat(counts, rows)
    return k[starts], counts, per_row


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
        # Affix rows (one per affix of a short line) point at line rows (one per short line).
        self._a_line, self._a_code, self._a_key = array("I"), array("b"), array("Q")
        self._l_doc, self._l_idx, self._l_tokens = array("I"), array("I"), array("I")
        self._l_removed, self._l_prose = array("B"), array("B")

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
        for idx, tokens, removed, prose, keys in lines.affixes:
            row = len(self._l_doc)
            self._l_doc.append(doc)
            self._l_idx.append(idx)
            self._l_tokens.append(tokens)
            self._l_removed.append(removed)
            self._l_prose.append(prose)
            for code, key in keys:
                self._a_line.append(row)
                self._a_code.append(code)
                self._a_key.append(key)

    def recurring(self, only_new: bool = True, affixes: bool = True) -> dict[int, dict[int, Finding]]:
        """Per document: its recurring lines (passage index → (rule, reason)).

        With ``only_new``, documents whose recurring lines the rules already remove are left out:
        there is nothing new to judge for them. With ``affixes``, lines whose opening or closing
        tokens recur (rule ``recurring-affix``) are named too.
        """
        minimum = self.config.min_documents
        doc_source = np.frombuffer(self._doc_source, dtype=np.uint32) if len(self._doc_source) else \
            np.zeros(0, dtype=np.uint32)
        s_doc = np.asarray(self._s_doc, dtype=np.int64)
        s_idx = np.asarray(self._s_idx, dtype=np.int64)
        s_key = _mix(doc_source[s_doc], np.asarray(self._s_line, dtype=np.uint64))
        s_art = np.asarray(self._s_art, dtype=np.uint64)
        keys, counts, seen = _counted(s_key, s_art)
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
        found = recurring_row.copy()
        found[head] = _counted(s_key[head], s_art[head])[2] >= minimum  # a head line must head many articles
        names = self._source_names
        out: dict[int, dict[int, Finding]] = {}
        new: set[int] = set()
        removed = np.asarray(self._s_removed, dtype=bool)
        for row in np.flatnonzero(found):
            d = int(s_doc[row])
            out.setdefault(d, {})[int(s_idx[row])] = (
                "recurring-line", f"seen in {int(seen[row])} documents of source {names[int(doc_source[d])]}")
            if not removed[row]:
                new.add(d)
        if affixes:
            for d, idx, reason in self._affixed(doc_source, first_prose, minimum):
                if idx not in out.get(d, {}):
                    out.setdefault(d, {})[idx] = ("recurring-affix", reason)
                    new.add(d)
        if only_new:
            out = {d: found_ for d, found_ in out.items() if d in new}
        return out

    def _affixed(self, doc_source: Any, first_prose: Any, minimum: int) -> list[tuple[int, int, str]]:
        """Short lines (not yet boilerplate) whose recurring opening and closing tokens cover them."""
        if not len(self._a_key):
            return []
        l_doc = np.asarray(self._l_doc, dtype=np.int64)
        l_idx = np.asarray(self._l_idx, dtype=np.int64)
        a_line = np.asarray(self._a_line, dtype=np.int64)
        a_code = np.asarray(self._a_code, dtype=np.int64)
        a_doc = l_doc[a_line]
        a_key = _mix(doc_source[a_doc], np.asarray(self._a_key, dtype=np.uint64))
        a_art = np.asarray(self._article, dtype=np.uint64)[a_doc]
        seen = _counted(a_key, a_art)[2]
        # In the head, an affix counts only among heads (a speaker's name opens titles and links).
        fp = first_prose[a_doc]
        head = (fp != np.iinfo(np.int64).max) & (l_idx[a_line] < fp)
        seen[head] = _counted(a_key[head], a_art[head])[2]
        # A template prints its slot line once or twice a page; an affix that opens or closes three
        # lines of one page is that page's own list (steps, chapters, questions), not evidence.
        in_doc_key = _mix(a_doc, a_key)
        in_doc = _counted(in_doc_key)[2]
        hits = np.flatnonzero((seen >= minimum) & (in_doc < LIST_LINES))
        prefix: dict[int, int] = {}
        suffix: dict[int, int] = {}
        most: dict[int, int] = {}
        for row in hits:
            line, code = int(a_line[row]), int(a_code[row])
            side = prefix if code > 0 else suffix
            if abs(code) > side.get(line, 0):
                side[line] = abs(code)
            most[line] = max(most.get(line, 0), int(seen[row]))
        tokens = np.asarray(self._l_tokens, dtype=np.int64)
        names = self._source_names
        out = []
        for line in sorted(most):
            if self._l_removed[line]:
                continue
            n = int(tokens[line])
            covered = min(prefix.get(line, 0) + suffix.get(line, 0), n - 1)
            if covered < 2 or (self._l_prose[line] and 2 * covered < n):
                continue
            parts = [f"opens with {prefix[line]} tokens"] if line in prefix else []
            parts += [f"ends with {suffix[line]} tokens"] if line in suffix else []
            d = int(l_doc[line])
            out.append((d, int(l_idx[line]),
                        f"{' and '.join(parts)} that recur in {most[line]} documents of source "
                        f"{names[int(doc_source[d])]}"))
        return out
