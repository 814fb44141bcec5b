"""MinHash signatures computed with numpy, bit-identical to ``datasketch.MinHash(scheme="affine32")``.

datasketch's ``update_batch`` hashes shingles one by one and then applies the permutations per
MinHash. Here the permutations are applied to all shingles of a batch of passages at once and the
minimum is taken per passage with ``np.minimum.reduceat``, which is several times faster and needs
no datasketch import (its ``lsh`` module imports SciPy, which costs a pre-commit hook most of its
time). The result is the same array datasketch computes for the same shingles, seed and number of
permutations (a test checks), so signatures can be wrapped in ``datasketch.LeanMinHash`` and used
with ``MinHashLSH``, its storage backends and its serialisation.

Band keys (:func:`band_keys`) are this project's own 64-bit digests of each band's slice of the
signature, used by the signature cache's sorted index. Two passages share a band key exactly when
``MinHashLSH`` would put them in the same bucket, up to 64-bit collisions, which only add
candidates that verification then rejects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from .tokens import code_points, fmix32, tokenize, word_hash32

_MAX32 = np.uint32(0xFFFFFFFF)
#: Shingles permuted at once (32,768 × 128 permutations × 4 B = 16 MiB). A sketch batch of 32
#: ordinary documents (about 26,000 word shingles) is then one block, signed with one ``reduceat``
#: and no per-chunk bookkeeping: the batches of 1,000 planted documents took 67-74 ms against
#: 111-140 ms in 2,048-shingle blocks. Bigger blocks lose again: 204,516 shingles at once took
#: 18-20 ms in 32k blocks, 17-19 in 16k, 32-35 in 64k and 29-32 in 2k.
_CHUNK = 1 << 15


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[Any, Any]:
    """The affine permutations (a, b) datasketch draws for ``scheme="affine32"``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def hash_shingles(shingles: Iterable[str]) -> Any:
    """datasketch's default ``sha1_hash32`` of each shingle's UTF-8 bytes, as a uint32 array."""
    digests = b"".join(hashlib.sha1(s.encode("utf-8")).digest()[:4] for s in shingles)
    return np.frombuffer(digests, dtype="<u4").astype(np.uint32)


def signatures(shingle_sets: Sequence[Iterable[str]], num_perm: int, seed: int) -> Any:
    """One row of ``num_perm`` uint32 hash values per shingle set (empty sets give all-max rows),
    with datasketch's default hash function (SHA-1)."""
    return minhash_rows([hash_shingles(sorted(s)) for s in shingle_sets], num_perm, seed)


# ---- the fast shingle hash -----------------------------------------------------------------------
# SHA-1 per shingle dominates signing. A word n-gram is hashed instead from the hashes of its words
# (:mod:`dedup.tokens`: a polynomial over each word's code points, found and hashed with numpy over
# all keys at once) combined by a polynomial, and a character n-gram from its code points; both are
# vectorised. ``word_ngram_hash32`` and ``char_ngram_hash32`` compute the same values from a
# shingle's bytes, so ``datasketch.MinHash(hashfunc=..., scheme="affine32")`` reproduces these
# signatures exactly.

_POLY = np.uint32(0x01000193)


def _windows(values: Any, n: int) -> Any:
    """The polynomial hash of every window of ``n`` values (one window if there are at most ``n``)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint32)
    width = min(n, len(values))
    count = len(values) - width + 1
    acc = np.zeros(count, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for j in range(width):
            acc = acc * _POLY + values[j:j + count]
    return fmix32(acc)


def segment_windows(values: Any, lengths: Any, n: int) -> tuple[Any, Any]:
    """:func:`_windows` of each segment of ``values`` (consecutive runs of ``lengths``), in one pass.

    Returns the window hashes of all segments, in order, and how many each segment has. The
    polynomial runs once over the whole array; windows that would straddle two segments are simply
    not picked. Segments shorter than ``n`` get one window of their own width.
    """
    lens = np.asarray(lengths, dtype=np.int64)
    counts = np.where(lens >= n, lens - n + 1, np.minimum(lens, 1))
    if len(lens) and int(lens.min()) >= n:
        # The usual case (word shingles are only taken of passages of 16+ words): every segment
        # has full windows, so the ones to drop are just the n - 1 that straddle each boundary.
        span = len(values) - n + 1
        with np.errstate(over="ignore"):
            acc = values[:span].astype(np.uint32)
            for j in range(1, n):
                acc *= _POLY
                acc += values[j:j + span]
        if len(lens) > 1 and n > 1:
            keep = np.ones(span, dtype=bool)
            ends = np.cumsum(lens)[:-1]
            for j in range(1, n):
                keep[ends - j] = False
            acc = acc[keep]
        return fmix32(acc), counts
    out = np.zeros(int(counts.sum()), dtype=np.uint32)
    if not len(out):
        return out, counts
    starts = np.cumsum(lens) - lens
    first_out = np.cumsum(counts) - counts
    full = np.flatnonzero(lens >= n)
    with np.errstate(over="ignore"):
        if len(full):
            span = len(values) - n + 1
            acc = np.zeros(span, dtype=np.uint32)
            for j in range(n):
                acc = acc * _POLY + values[j:j + span]
            per = counts[full]
            within = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
            out[np.repeat(first_out[full], per) + within] = acc[np.repeat(starts[full], per) + within]
        # Short segments (one window of their own width), a step per position for all of them at
        # once: a whole page's menu lines are hundreds of them, and a Python loop over each one's
        # values cost about 5 us a line.
        short = np.flatnonzero((lens > 0) & (lens < n))
        if len(short):
            begin, width = starts[short], lens[short]
            acc = np.zeros(len(short), dtype=np.uint32)
            for j in range(int(width.max())):
                live = width > j
                acc[live] = acc[live] * _POLY + values[begin[live] + j]
            out[first_out[short]] = acc
    return fmix32(out), counts


def char_ngram_hashes(text: str, n: int) -> Any:
    return _windows(code_points(text), n)


def word_ngram_hashes_of(keys: Sequence[str], n: int) -> tuple[Any, Any]:
    """Word n-gram hashes of the ``\\w+`` words of many keys at once: (all hashes, count per key)."""
    hashes, counts = tokenize(keys)
    return segment_windows(hashes, counts, n)


def char_ngram_hashes_of(texts: Sequence[str], n: int) -> tuple[Any, Any]:
    """Character n-gram hashes of many texts at once: (all hashes, count per text)."""
    return segment_windows(code_points("".join(texts)), [len(t) for t in texts], n)


def word_ngram_hash32(shingle: bytes) -> int:
    """The fast hash of one word-n-gram shingle (words joined by single spaces), from its bytes."""
    tokens = shingle.decode("utf-8").split(" ")
    return int(_windows(np.array([word_hash32(t) for t in tokens], dtype=np.uint32), len(tokens))[0])


def char_ngram_hash32(shingle: bytes) -> int:
    """The fast hash of one character-n-gram shingle, from its bytes."""
    text = shingle.decode("utf-8")
    return int(char_ngram_hashes(text, len(text))[0])


def minhash_rows(hashed: Sequence[Any], num_perm: int, seed: int) -> Any:
    """MinHash rows from each set's uint32 shingle hashes (duplicates in a set do not matter)."""
    hashed = list(hashed)
    if not hashed:
        return np.full((0, num_perm), _MAX32, dtype=np.uint32)
    return minhash_flat(np.concatenate(hashed), [len(h) for h in hashed], num_perm, seed)


def minhash_flat(flat: Any, sizes: Any, num_perm: int, seed: int) -> Any:
    """:func:`minhash_rows` of sets given as one array of hashes and the size of each set, in order.

    The permuted values are laid out one permutation per row, shingles along the row: each set's
    minimum is then a ``reduceat`` over a contiguous run of every row, which numpy vectorises. The
    other way round (a row per shingle) calls the inner loop once per shingle on only ``num_perm``
    values, and was 2-4 times slower. A document's shingles usually fit in one chunk; then each
    set's minimum is one ``reduceat`` at the set starts, with no owner array.
    """
    a, b = permutations(num_perm, seed)
    counts = np.asarray(sizes, dtype=np.int64)
    out = np.full((len(counts), num_perm), _MAX32, dtype=np.uint32)
    if not len(counts) or not counts.sum():
        return out
    flat = fmix32(np.asarray(flat, dtype=np.uint32))
    width = min(len(flat), _CHUNK)
    buf = np.empty((_group(num_perm, width), width), dtype=np.uint32)
    if len(flat) <= _CHUNK:
        filled = np.flatnonzero(counts)
        out[filled] = _minima(flat, (np.cumsum(counts) - counts)[filled], a, b, buf)
        return out
    owner = np.repeat(np.arange(len(counts)), counts)
    for lo in range(0, len(flat), _CHUNK):
        rows = owner[lo:lo + _CHUNK]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        targets = rows[starts]
        out[targets] = np.minimum(out[targets], _minima(flat[lo:lo + _CHUNK], starts, a, b, buf))
    return out


#: Permuted values held at once (1 MiB). All 128 permutations of a sketch batch (about 26,000
#: shingles) made a 13 MB block, which the permuting, the adding and the ``reduceat`` each streamed
#: through memory; a group of permutations whose block fits this stays in a core's 2 MB L2 cache
#: between the three. Fastest of 30 calls, four rounds alternated with all at once: 25,977 shingles
#: in 544 sets 2.12-2.25 ms against 2.65-2.74; 59,943 shingles 5.17-5.37 against 6.51-6.59; 2,975
#: shingles (all 128 rows at once either way) 0.30-0.33 against 0.33-0.34. Fixed groups of 4 or 16
#: rows were slower than 8; 8 rows of a small batch made 2,975 shingles 15 % slower.
_BLOCK = 1 << 18
_GROUP = 8


def _minima(hv: Any, starts: Any, a: Any, b: Any, buf: Any) -> Any:
    """The minimum of each run of ``hv`` that begins at ``starts`` (runs end where the next one
    begins), under each permutation (a, b): one row per run. ``buf`` is a scratch block of
    :func:`_group` rows and at least ``len(hv)`` columns, reused rather than allocated (a fresh
    temporary per step is a fresh ``mmap`` and its page faults)."""
    mins = np.empty((len(starts), len(a)), dtype=np.uint32)
    step = len(buf)
    with np.errstate(over="ignore"):
        for lo in range(0, len(a), step):
            hi = min(lo + step, len(a))
            permuted = np.multiply(a[lo:hi, None], hv[None, :], out=buf[:hi - lo, :len(hv)])
            np.add(permuted, b[lo:hi, None], out=permuted)
            mins[:, lo:hi] = np.minimum.reduceat(permuted, starts, axis=1).T
    return mins


def _group(num_perm: int, width: int) -> int:
    """Permutations applied at once to ``width`` shingles: as many as fit :data:`_BLOCK`, at least
    :data:`_GROUP`, at most all."""
    return min(num_perm, max(_GROUP, _BLOCK // max(width, 1)))


def lean_minhashes(rows: Any, seed: int) -> list[Any]:
    """Wrap signature rows as ``datasketch.LeanMinHash`` objects (imports datasketch)."""
    from datasketch import LeanMinHash

    return [LeanMinHash(seed=seed, hashvalues=row, scheme="affine32") for row in rows]


_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=8)
def _band_weights(rows_per_band: int) -> Any:
    """One odd 64-bit multiplier per position in a band (seeded: keys must agree across processes)."""
    drawn = np.random.RandomState(0x5EED).randint(0, 1 << 62, rows_per_band, dtype=np.int64).astype(np.uint64)
    return drawn * np.uint64(2) + np.uint64(1)


def _fmix64(h: Any) -> Any:
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def band_keys(rows: Any, bands: int, rows_per_band: int) -> Any:
    """A uint64 key per (signature, band): equal keys mean the band slices are equal (up to collisions).

    Each band's values are combined by one weighted sum (a ``matmul``) and mixed: a handful of array
    operations per call, where folding value by value took four per row of the band (a document's
    passages make small arrays, so the number of operations is the cost). Unequal slices collide
    with probability about 2**-64 for MinHash values; a collision only adds a candidate, which
    verification rejects. The band number is mixed into the key, so keys of all bands can live in
    one sorted array.
    """
    n = rows.shape[0]
    if n == 0:
        return np.zeros((0, bands), dtype=np.uint64)
    sliced = rows[:, : bands * rows_per_band].reshape(n, bands, rows_per_band).astype(np.uint64)
    with np.errstate(over="ignore"):
        keys = sliced @ _band_weights(rows_per_band)
        keys ^= np.arange(1, bands + 1, dtype=np.uint64) * _BAND_MIX
        return _fmix64(keys)
