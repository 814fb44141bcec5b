"""Near-duplicate passages: shingles, MinHash, LSH candidates, exact verification, clusters, keep policy.

The pipeline, and why each step is there:

1. **Eligibility.** Passages with fewer than ``min_words`` words ("Conclusion", "Key Takeaways")
   repeat legitimately across documents and are never removed as duplicates.
2. **Exact groups first.** Passages with the same folded key are grouped by a dictionary before any
   hashing, so a passage printed 100,000 times costs one signature and one LSH entry, not a bucket
   of 100,000 candidates.
3. **Two shingle channels.** Word n-grams give too few shingles for short passages (a ten-word
   title has six 5-grams; one changed word removes five), so passages under ``char_below_words``
   words are compared on character n-grams, and passages from ``word_from_words`` words on word
   n-grams. The ranges overlap, so a pair straddling the boundary is still compared in one channel.
4. **LSH proposes, verification decides.** Bands and rows are chosen so that a pair exactly at the
   threshold is proposed with probability ``target_recall`` (0.99 by default: 25 bands × 5 rows for
   0.75 / 128, 21 × 6 for 0.8), instead of datasketch's own choice (9 × 13 for 0.8, which proposes a
   pair at 0.8 only 40 % of the time). Candidates come from sorted band digests, or from
   ``datasketch.MinHashLSH`` itself (``neardup.lsh``); every proposed pair is then verified with the
   true Jaccard similarity of its shingle sets, and only verified pairs are edges.
6. **Whole documents** (:func:`find_document_duplicates`) before passages, with the same bands,
   verification and policy, on the union of each document's passage shingles.
5. **Keep policy.** Within a connected cluster, passages are visited in policy order (``first``:
   sorted document path, then position; ``longest``: longest text first). A passage is removed only
   if it is verified similar to a passage already *kept*, and it points at that passage; otherwise
   it is kept. So nothing is removed on the strength of a chain A~B~C, every removal names a copy
   that survives, and running again removes nothing more.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

from .arrays import distinct, stable_argsort
from .config import NeardupConfig
from .model import Passage, fast_init
from .normalize import words
from .rules import ends_sentence, matching_text
from .signatures import (
    band_keys,
    char_ngram_hash32,
    char_ngram_hashes_of,
    lean_minhashes,
    minhash_flat,
    minhash_rows,
    segment_windows,
    word_ngram_hash32,
    word_ngram_hashes_of,
)

PassageRef = tuple[int, int]  # (document number in sorted order, passage index)


@fast_init
@dataclass(frozen=True)
class Duplicate:
    """A passage to remove because a kept passage is at least ``threshold`` similar to it."""

    passage: PassageRef
    canonical: PassageRef
    similarity: float
    channel: str


@fast_init
@dataclass(frozen=True)
class NeardupResult:
    duplicates: tuple[Duplicate, ...]
    clusters: tuple[tuple[PassageRef, ...], ...]  # clusters with at least one removal, members in policy order
    bands: int
    rows: int


def word_shingles(key: str, n: int) -> frozenset[str]:
    tokens = words(key)
    if len(tokens) <= n:
        return frozenset([" ".join(tokens)]) if tokens else frozenset()
    # zip of n shifted views (shorter ones end it: strict=False) yields each window, joined at C speed
    return frozenset(map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False)))


def word_grams(key: str, n: int) -> frozenset[tuple[str, ...]]:
    """:func:`word_shingles` with each shingle as the tuple of its words instead of their join.

    Words (``\\w+``) hold no space, so two shingles are equal as tuples exactly when they are equal
    joined, and sets of either have the same Jaccard similarity. ``zip`` makes the tuples itself:
    building a set took about 60 % of the time of joining, and unions and intersections less too
    (tuples hash from their words' cached hashes). The planner compares documents' sets of these.
    """
    tokens = words(key)
    if len(tokens) <= n:
        return frozenset([tokens]) if tokens else frozenset()
    return frozenset(zip(*(tokens[i:] for i in range(n)), strict=False))


def char_shingles(key: str, n: int) -> frozenset[str]:
    text = " ".join(words(key))
    if len(text) <= n:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i:i + n] for i in range(len(text) - n + 1))


def jaccard(a: frozenset[Any], b: frozenset[Any]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def is_headline(passage: Passage, config: NeardupConfig) -> bool:
    """A short line that does not end a sentence: a title, a heading, a link's text.

    Headlines repeat across documents for reasons other than copying (a related-articles list
    prints other articles' titles), so one is never removed as a duplicate of another document's
    passage, only of a copy in its own document (a title printed twice). Shared by the cleaner
    and the hook.
    """
    return passage.words < config.char_below_words and not ends_sentence(matching_text(passage.text))


@lru_cache(maxsize=64)
def choose_bands(threshold: float, num_perm: int, target_recall: float) -> tuple[int, int]:
    """Bands × rows that propose a pair at ``threshold`` with probability ≥ ``target_recall``.

    Among the choices that reach the target, the one with the most rows per band is taken: it
    proposes the fewest dissimilar pairs, which verification would only have to reject.
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= target_recall:
            return bands, rows
    return num_perm, 1


def probability(similarity: float, bands: int, rows: int) -> float:
    """The chance that LSH with ``bands`` × ``rows`` proposes a pair of this Jaccard similarity."""
    return 1.0 - (1.0 - similarity**rows) ** bands


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def shingle_hashes(keys: Sequence[str], channel: str, config: NeardupConfig) -> tuple[Any, Any]:
    """The fast hashes of the channel's shingles of each folded key: (all hashes, count per key).

    All keys are hashed in one vectorised pass. Word shingles are hashed from the keys' code points
    (:mod:`dedup.tokens`); character shingles run over the key's words joined by single spaces, from
    :func:`dedup.normalize.words` (they are only taken of short passages).
    """
    if channel == "word":
        return word_ngram_hashes_of(keys, config.ngram)
    return char_ngram_hashes_of([" ".join(words(key)) for key in keys], config.char_ngram)


def signature_rows(keys: Sequence[str], channel: str, config: NeardupConfig) -> Any:
    """MinHash rows of the channel's shingles of each folded key, with the fast shingle hash.

    Equal to ``set_signature(shingles(key, channel, config), channel, config)`` (a test checks),
    but vectorised over all keys instead of hashing shingle strings one by one.
    """
    flat, counts = shingle_hashes(keys, channel, config)
    return minhash_flat(flat, counts, config.num_perm, config.seed)


def document_row(signatures: Iterable[tuple[str, str, Any]], keys: Iterable[str], config: NeardupConfig) -> Any:
    """A whole document's MinHash row: the minimum of the word rows of its kept passages' ``keys``
    (at least one), taken from ``signatures`` (a prepared document's rows) where they are there and
    signed here otherwise (short passages are not compared in the word channel). The minimum of
    the rows is the row of the union of the passages' shingles. Shared by the cleaner's sketch and
    the hook's cache, so both give a document the same band keys."""
    return document_rows([(signatures, keys)], config)[0]


def document_rows(documents: Sequence[tuple[Iterable[tuple[str, str, Any]], Iterable[str]]],
                  config: NeardupConfig) -> list[Any]:
    """:func:`document_row` of several documents (signatures, keys), the missing word rows of all
    of them signed in one call."""
    found: list[list[Any]] = []
    missing: list[list[str]] = []
    for signatures, keys in documents:
        wanted = dict.fromkeys(keys)
        found.append([row for channel, key, row in signatures if channel == "word" and key in wanted])
        signed = {key for channel, key, _ in signatures if channel == "word"}
        missing.append([key for key in wanted if key not in signed])
    every = [key for keys in missing for key in keys]
    if every:
        rows = signature_rows(every, "word", config)
        at = 0
        for known, keys in zip(found, missing, strict=True):
            known.extend(rows[at:at + len(keys)])
            at += len(keys)
    return [np.minimum.reduce(known) for known in found]


def set_signature(shingle_set: Iterable[str], channel: str, config: NeardupConfig) -> Any:
    """The MinHash row of an explicit set of shingle strings (a document's union, for example)."""
    hash32 = word_ngram_hash32 if channel == "word" else char_ngram_hash32
    hashed = np.array([hash32(s.encode("utf-8")) for s in shingle_set], dtype=np.uint32)
    return minhash_rows([hashed], config.num_perm, config.seed)[0]


def channels(words: int, config: NeardupConfig) -> tuple[str, ...]:
    """The shingle channels a passage of ``words`` words is compared in (empty: not comparable)."""
    if words < config.min_words:
        return ()
    out = []
    if words < config.char_below_words:
        out.append("char")
    if words >= config.word_from_words:
        out.append("word")
    return tuple(out)


def shingles(key: str, channel: str, config: NeardupConfig) -> frozenset[str]:
    return char_shingles(key, config.char_ngram) if channel == "char" else word_shingles(key, config.ngram)


class Memo:
    """Shingle sets and signatures by (channel, folded key), kept across the rounds of one run.

    The pipeline re-runs duplicate finding after re-judging boilerplate; passages do not change
    between rounds, so neither do their shingles and signatures.
    """

    def __init__(self, config: NeardupConfig) -> None:
        self.config = config
        self._shingles: dict[tuple[str, str], frozenset[Any]] = {}
        self._minhashes: dict[tuple[str, str], Any] = {}
        self._rows: dict[tuple[str, str], Any] = {}

    def add_rows(self, rows: Iterable[tuple[str, str, Any]]) -> None:
        """Signature rows computed elsewhere (the per-document stage, in worker processes)."""
        for channel, key, row in rows:
            self._rows.setdefault((channel, key), row)

    def shingles(self, channel: str, key: str) -> frozenset[Any]:
        """The key's shingles in the channel: strings of characters, or tuples of words
        (:func:`word_grams`); sets from one memo are compared only with each other."""
        found = self._shingles.get((channel, key))
        if found is None:
            found = self._shingles[(channel, key)] = (word_grams(key, self.config.ngram) if channel == "word"
                                                      else shingles(key, channel, self.config))
        return found

    def rows(self, channel: str, keys: Sequence[str]) -> Any:
        """Signature rows (uint32, one per key), computing those not yet known."""
        fresh = [k for k in dict.fromkeys(keys) if (channel, k) not in self._rows]
        if fresh:
            computed = signature_rows(fresh, channel, self.config)
            self._rows.update(((channel, k), row) for k, row in zip(fresh, computed, strict=True))
        if not keys:
            return np.zeros((0, self.config.num_perm), dtype=np.uint32)
        return np.stack([self._rows[(channel, k)] for k in keys])

    def minhashes(self, channel: str, keys: Sequence[str]) -> list[Any]:
        """The same signatures as ``datasketch.LeanMinHash`` objects."""
        missing = [k for k in dict.fromkeys(keys) if (channel, k) not in self._minhashes]
        if missing:
            wrapped = lean_minhashes(self.rows(channel, missing), self.config.seed)
            self._minhashes.update(((channel, k), m) for k, m in zip(missing, wrapped, strict=True))
        return [self._minhashes[(channel, k)] for k in keys]


def passage_signatures_many(documents: Sequence[tuple[Sequence[Passage], tuple[Any, Any]]],
                            config: NeardupConfig) -> list[tuple[tuple[str, str, Any], ...]]:
    """(channel, key, signature row) for every comparable passage of each document: the
    per-document part of MinHash. A document comes as its passages and ``tokens``, the word hashes
    of all its passages' keys with the count per key, as :func:`dedup.passages.split_many` found
    them; word shingles are hashed from them instead of finding the words again.

    Each step (hashing the character shingles, windowing the word hashes, the permutations) runs
    once for all the documents' passages: it costs a dozen array operations whatever the size of
    its input, which a single document of a few passages feels. Within a document, signatures come
    character channel first, then words, each distinct key once, in passage order.
    """
    char_keys: list[str] = []  # keys whose character shingles are hashed from their text
    token_words: list[Any] = []  # word hashes, words per passage, and whether a passage's key is signed
    token_counts: list[Any] = []
    taken: list[bool] = []
    token_labels = 0
    placed: list[list[tuple[str, str, int]]] = []  # per document: (channel, key, index in its channel)
    for passages, tokens in documents:
        mine: list[tuple[str, str, int]] = []
        compared = [channels(p.words, config) for p in passages]
        for channel in ("char", "word"):
            firsts: dict[str, int] = {}  # each distinct key's first passage, in passage order
            for i, p in enumerate(passages):
                if channel in compared[i]:
                    firsts.setdefault(p.key, i)
            if channel == "char":
                mine.extend(("char", k, len(char_keys) + j) for j, k in enumerate(firsts))
                char_keys.extend(firsts)
            else:
                chosen = set(firsts.values())
                token_words.append(tokens[0])
                token_counts.append(tokens[1])
                taken.extend(i in chosen for i in range(len(passages)))
                mine.extend(("word", k, token_labels + j) for j, k in enumerate(firsts))
                token_labels += len(firsts)
        placed.append(mine)
    parts = []
    if char_keys:
        parts.append(shingle_hashes(char_keys, "char", config))
    if token_labels:
        mask = np.array(taken, dtype=np.bool_)
        per_passage = np.concatenate(token_counts)
        words = np.concatenate(token_words)[np.repeat(mask, per_passage)]
        parts.append(segment_windows(words, per_passage[mask], config.ngram))
    if not parts:
        return [() for _ in documents]
    rows = minhash_flat(np.concatenate([flat for flat, _ in parts]), np.concatenate([n for _, n in parts]),
                        config.num_perm, config.seed)
    first = {"char": 0, "word": len(char_keys)}  # the character rows come first, then the word rows
    return [tuple((channel, key, rows[first[channel] + index]) for channel, key, index in mine)
            for mine in placed]


#: Buckets up to this size give every pair as a candidate; larger ones (one passage printed
#: thousands of times) a star to their first member and a chain, which links the same members
#: with work linear in the bucket's size (every engine's candidates and every plan use this).
SMALL_BUCKET = 32


def bucket_pairs(keys: Any) -> tuple[Any, Any]:
    """Candidate pairs among entries (given in entry order) that share a key: every pair in small
    buckets, a star to the first member and a chain in big ones, so the work stays linear in the
    bucket's size. Returns two index arrays into ``keys``."""
    order = stable_argsort(keys)
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_keys)])
    shared = sizes >= 2  # most keys are their entry's own: the loop below looks only at the others
    starts, sizes = starts[shared], sizes[shared]
    firsts: list[Any] = []
    seconds: list[Any] = []
    for size in distinct(sizes[sizes <= SMALL_BUCKET]).tolist():
        at = starts[sizes == size]
        i, j = np.triu_indices(size, 1)
        firsts.append(order[(at[:, None] + i).ravel()])
        seconds.append(order[(at[:, None] + j).ravel()])
    for at, size in zip(starts[sizes > SMALL_BUCKET].tolist(), sizes[sizes > SMALL_BUCKET].tolist(), strict=True):
        members = order[at:at + size]
        firsts.extend([np.full(size - 1, members[0]), members[:-1]])
        seconds.extend([members[1:], members[1:]])
    if not firsts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


#: Up to this many band keys, candidate pairs are found with a dict rather than by sorting: a
#: plan's component makes small arrays, where numpy's cost per call is the whole cost.
SMALL_INPUT = 4096


def _owner_pairs(keys: list[int], bands: int) -> list[tuple[int, int]]:
    """The pairs :func:`bucket_pairs` gives for ``keys`` (``bands`` consecutive keys per owner),
    as sorted distinct (owner, owner) pairs of different owners, found with a dict.

    Only keys that occur twice make pairs; their entries are visited in entry order, which is the
    order of a stable sort within a bucket, so big buckets get the same star and chain.
    """
    if len(keys) == 2 * bands:  # two owners (most components are pairs): does a key of one recur in the other?
        return [] if set(keys[:bands]).isdisjoint(keys[bands:]) else [(0, 1)]
    repeated = {key for key, count in Counter(keys).items() if count > 1}
    if not repeated:
        return []
    buckets: dict[int, list[int]] = defaultdict(list)
    for entry, key in enumerate(keys):
        if key in repeated:
            buckets[key].append(entry // bands)
    pairs: set[tuple[int, int]] = set()
    for owners in buckets.values():
        if len(owners) <= SMALL_BUCKET:
            linked = [(x, y) for i, x in enumerate(owners) for y in owners[i + 1:]]
        else:
            linked = [(owners[0], y) for y in owners[1:]] + list(pairwise(owners))
        pairs.update((x, y) if x < y else (y, x) for x, y in linked if x != y)
    return sorted(pairs)


def _candidate_pairs_sorted(signature_rows: Any, bands: int, rows: int) -> list[tuple[int, int]]:
    """LSH candidate pairs (i < j) from sorted band keys.

    Two signatures share a bucket of ``MinHashLSH(params=(bands, rows))`` exactly when a band of
    ``rows`` hash values is equal in both; here each band is digested to a 64-bit key and equal
    keys are found by sorting. In buckets of up to :data:`SMALL_BUCKET` entries these are the pairs
    MinHashLSH proposes; a bigger bucket gives a star and a chain (:func:`bucket_pairs`), which
    links the same members, so 100,000 copies of one document cost 200,000 pairs, not 5·10⁹. A
    digest collision can only add a candidate, which verification then rejects.
    """
    if len(signature_rows) < 2:
        return []
    keys = band_keys(signature_rows, bands, rows).reshape(-1)
    if len(keys) <= SMALL_INPUT:
        return _owner_pairs(keys.tolist(), bands)
    return _owner_pairs_sorted(keys, bands)


def _owner_pairs_sorted(keys: Any, bands: int) -> list[tuple[int, int]]:
    """What :func:`_owner_pairs` gives, by sorting (for inputs too big for a dict to be faster)."""
    n = len(keys) // bands
    owners = np.repeat(np.arange(n, dtype=np.int64), bands)
    a, c = bucket_pairs(keys)
    first, second = owners[a], owners[c]
    keep = first != second
    packed = distinct(np.minimum(first[keep], second[keep]) * n + np.maximum(first[keep], second[keep]))
    return [(int(p // n), int(p % n)) for p in packed.tolist()]


def _candidate_pairs(signatures: Sequence[Any], config: NeardupConfig, bands: int, rows: int) -> list[tuple[int, int]]:
    """LSH candidate pairs (i < j) among the given signatures, from datasketch's MinHashLSH, sorted."""
    if len(signatures) < 2:
        return []
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, params=(bands, rows))
    with lsh.insertion_session() as session:
        for i, sig in enumerate(signatures):
            session.insert(i, sig, check_duplication=False)
    pairs: set[tuple[int, int]] = set()
    for i, sig in enumerate(signatures):
        for j in lsh.query(sig):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


def find_duplicates(documents: Sequence[Sequence[Passage]], config: NeardupConfig,
                    exclude: set[PassageRef] | None = None, memo: Memo | None = None) -> NeardupResult:
    """Near-duplicate passages across and within ``documents`` (given in sorted order)."""
    bands, rows = choose_bands(config.threshold, config.num_perm, config.target_recall)
    exclude = exclude or set()
    memo = memo or Memo(config)

    # 1-2: eligible passages, grouped by exact folded key.
    groups: dict[str, list[PassageRef]] = defaultdict(list)
    lookup: dict[PassageRef, Passage] = {}
    for d, passages in enumerate(documents):
        for p in passages:
            ref = (d, p.index)
            if ref in exclude or p.words < config.min_words:
                continue
            groups[p.key].append(ref)
            lookup[ref] = p
    keys = sorted(groups, key=lambda k: groups[k][0])
    if not keys:
        return NeardupResult((), (), bands, rows)
    word_counts = [lookup[groups[k][0]].words for k in keys]

    # 3-4: candidate pairs of distinct keys per channel, verified. Shingle sets are built (and
    # memoised) only for keys in a pair: most passages have no candidate at all.
    uf = _UnionFind(len(keys))
    in_channel: dict[str, set[int]] = {}
    for channel in ("char", "word"):
        members = [i for i in range(len(keys)) if channel in channels(word_counts[i], config)]
        in_channel[channel] = set(members)
        member_keys = [keys[i] for i in members]
        if config.lsh == "minhashlsh":
            pairs = _candidate_pairs(memo.minhashes(channel, member_keys), config, bands, rows)
        else:
            pairs = _candidate_pairs_sorted(memo.rows(channel, member_keys), bands, rows)
        for a, b in pairs:
            similar = jaccard(memo.shingles(channel, member_keys[a]), memo.shingles(channel, member_keys[b]))
            if similar >= config.threshold:
                uf.union(members[a], members[b])

    def similarity(i: int, j: int) -> tuple[float, str]:
        if i == j:
            return 1.0, "exact"
        best = (0.0, "")
        for channel, members in in_channel.items():
            if i in members and j in members:
                sim = jaccard(memo.shingles(channel, keys[i]), memo.shingles(channel, keys[j]))
                best = max(best, (sim, channel))
        return best

    # 5: clusters and the keep policy.
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(keys)):
        clusters[uf.find(i)].append(i)

    def order(ref: PassageRef) -> tuple[Any, ...]:
        p = lookup[ref]
        if config.keep == "longest":
            return (-len(p.text), ref)
        return (ref,)

    duplicates: list[Duplicate] = []
    found_clusters: list[tuple[PassageRef, ...]] = []
    for root in sorted(clusters):
        key_ids = clusters[root]
        members_refs = sorted(((ref, k) for k in key_ids for ref in groups[keys[k]]), key=lambda rk: order(rk[0]))
        if len(members_refs) < 2:
            continue
        kept: list[tuple[PassageRef, int]] = []
        removed_any = False
        for ref, k in members_refs:
            best: tuple[float, PassageRef, str] | None = None
            headline = is_headline(lookup[ref], config)
            for kref, kk in kept:
                same_doc = kref[0] == ref[0]
                if (same_doc and not config.within_documents) or (not same_doc and not config.across_documents):
                    continue
                if headline and not same_doc:
                    continue
                sim, channel = similarity(k, kk)
                if sim >= config.threshold and (best is None or sim > best[0]):
                    best = (sim, kref, channel)
            if best is None:
                kept.append((ref, k))
            else:
                duplicates.append(Duplicate(ref, best[1], round(best[0], 4), best[2]))
                removed_any = True
        if removed_any:
            found_clusters.append(tuple(ref for ref, _ in members_refs))
    duplicates.sort(key=lambda d: d.passage)
    return NeardupResult(tuple(duplicates), tuple(found_clusters), bands, rows)


#: A passage whose best match in the kept document is below this Jaccard similarity is its own
#: content, not an edit of something there.
UNIQUE_FLOOR = 0.5


def passage_similarity(p: Passage, q: Passage, config: NeardupConfig, memo: Memo | None = None) -> float:
    """Best Jaccard similarity of two passages over the shingle channels they share (0 if none)."""
    memo = memo or Memo(config)
    shared = set(channels(p.words, config)) & set(channels(q.words, config))
    return max((jaccard(memo.shingles(c, p.key), memo.shingles(c, q.key)) for c in shared), default=0.0)


def adds_content(passages: Sequence[Passage], other: Sequence[Passage], config: NeardupConfig,
                 memo: Memo | None = None) -> bool:
    """Whether ``passages`` say something ``other`` does not: a passage with no version in it.

    A near-duplicate document is an edited copy; a document that adds a paragraph of its own is
    not dropped as a whole, so no unique content is lost (the passage stage still removes the
    paragraphs it shares). Shared by the cleaner and the hook.
    """
    memo = memo or Memo(config)
    return any(not _has_version(p, i, other, config, memo) for i, p in enumerate(passages)
               if p.words >= config.min_words)


def _has_version(p: Passage, i: int, other: Sequence[Passage], config: NeardupConfig, memo: Memo) -> bool:
    """Whether some passage of ``other`` is at least ``UNIQUE_FLOOR`` similar to ``p`` (the ``i``-th
    passage of its document): the best match's score only matters against the floor, so the search
    stops at the first match, trying the passage at the same position first (an edited copy keeps
    its order). Pairs whose shingle counts alone keep Jaccard under the floor are not compared."""
    mine = channels(p.words, config)
    if not mine:
        return False
    order = (other[i], *other[:i], *other[i + 1:]) if i < len(other) else other
    for q in order:
        if q.key == p.key:
            return True  # the same key: equal sets in every channel, similarity 1
        for channel in mine:
            if channel not in channels(q.words, config):
                continue
            a, b = memo.shingles(channel, p.key), memo.shingles(channel, q.key)
            if min(len(a), len(b)) < UNIQUE_FLOOR * max(len(a), len(b)):
                continue  # Jaccard ≤ |smaller| / |larger| < floor
            if jaccard(a, b) >= UNIQUE_FLOOR:
                return True
    return False


@fast_init
@dataclass(frozen=True)
class DocumentDuplicate:
    """A whole document whose shingle Jaccard with a kept document reaches the threshold."""

    document: int
    canonical: int
    similarity: float


def document_shingles(passages: Iterable[Passage], config: NeardupConfig,
                       memo: Memo | None = None) -> frozenset[Any]:
    """A document's shingles: the union of its passages' word n-grams (strings, or with a ``memo``
    its tuples of words: compare a set only with sets made the same way).

    Using the union (n-grams never span two passages) makes a document's MinHash the element-wise
    minimum of its passages' rows, which the per-document stage has already computed. One
    ``union`` of all the passages' sets builds the frozenset directly: adding them to a set and
    copying it took a third longer (48 instead of 33 us for a 1,000-word document).
    """
    return frozenset().union(*[memo.shingles("word", p.key) if memo else word_shingles(p.key, config.ngram)
                               for p in passages])


class _DocumentSimilarity:
    """The exact Jaccard similarity of two documents' shingle sets (:func:`document_shingles`),
    building a document's set only when the answer needs it.

    A document's set is the union of its passages' sets, so two documents made of the same set of
    passage keys have equal sets, whose similarity is 1 whatever they hold: exact copies (the
    most common near-duplicates) are compared without building either set. Each pair is
    computed once: the keep policy asks again for pairs that verification already scored.
    """

    def __init__(self, passages: Sequence[Sequence[Passage]], config: NeardupConfig, memo: Memo) -> None:
        self._passages = passages
        self._config = config
        self._memo = memo
        self._keys = [frozenset(p.key for p in ps) for ps in passages]
        self._sets: dict[int, frozenset[Any]] = {}
        self._scores: dict[tuple[int, int], float] = {}

    def _shingles(self, d: int) -> frozenset[Any]:
        found = self._sets.get(d)
        if found is None:
            found = self._sets[d] = document_shingles(self._passages[d], self._config, self._memo)
        return found

    def __call__(self, a: int, b: int) -> float:
        if self._keys[a] == self._keys[b]:
            return 1.0  # equal sets (``jaccard`` gives 1.0 for two empty ones too)
        pair = (a, b) if a < b else (b, a)
        found = self._scores.get(pair)
        if found is None:
            found = self._scores[pair] = jaccard(self._shingles(a), self._shingles(b))
        return found


def find_document_duplicates(documents: Sequence[Sequence[Passage]], config: NeardupConfig,
                             exclude: set[PassageRef], memo: Memo,
                             accepted: set[int] | None = None) -> list[DocumentDuplicate]:
    """Whole documents that near-duplicate an earlier kept one (same threshold, bands and policy).

    A document's exact shingle set is built only when LSH pairs it with another: the signatures
    come from the passage rows already computed, and a document has shingles at all exactly when
    one of its kept keys has a word.
    """
    bands, rows = choose_bands(config.threshold, config.num_perm, config.target_recall)
    accepted = accepted or set()
    kept_passages = [[p for p in passages if (d, p.index) not in exclude] for d, passages in enumerate(documents)]
    # ``words`` counts the key's ``\w+`` runs (:func:`dedup.passages.split_many`): no regex search here
    candidates = [d for d, ps in enumerate(kept_passages) if any(p.words for p in ps)]
    if len(candidates) < 2:
        return []
    signature_rows = np.stack([
        np.minimum.reduce(memo.rows("word", [p.key for p in kept_passages[d] if p.key]), axis=0)
        for d in candidates
    ])
    similarity = _DocumentSimilarity(kept_passages, config, memo)
    uf = _UnionFind(len(candidates))
    for a, b in _candidate_pairs_sorted(signature_rows, bands, rows):
        if similarity(candidates[a], candidates[b]) >= config.threshold:
            uf.union(a, b)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(candidates)):
        clusters[uf.find(i)].append(candidates[i])

    def order(d: int) -> tuple[Any, ...]:
        if config.keep == "longest":
            return (-sum(len(p.text) for p in kept_passages[d]), d)
        return (d,)

    def has_unique_passage(d: int, k: int) -> bool:
        return adds_content(kept_passages[d], kept_passages[k], config, memo)

    found: list[DocumentDuplicate] = []
    for members in clusters.values():
        if len(members) < 2:
            continue
        kept: list[int] = []
        for d in sorted(members, key=order):
            scored = sorted(((similarity(d, k), -k) for k in kept), reverse=True)
            best = next(((s, k) for s, k in scored if s >= config.threshold and not has_unique_passage(d, -k)), None)
            if best is not None and d not in accepted:
                found.append(DocumentDuplicate(d, -best[1], round(best[0], 4)))
            else:
                kept.append(d)
    return sorted(found, key=lambda x: x.document)
