"""Word tokens of folded keys, found and hashed with numpy over a whole document at once.

The duplicate stage needs, for every passage key, how many words it has and a 32-bit hash of each
word (word n-gram shingles are hashed from their words, see :mod:`dedup.signatures`). Finding words
with ``re.findall(r"\\w+")`` and hashing them through a dict costs a Python object and a lookup per
word: about 0.3 ms for a 5 KB document, the largest share of signing. Here the keys are encoded once
as UTF-32 code points, a lookup table marks word characters, and each run of them is hashed by a
polynomial over its code points, all as array operations.

A word is exactly what ``\\w+`` matches in Python's ``re`` (a character ``str.isalnum()`` or ``_``);
tests/test_tokens.py checks the table against ``re`` for every code point, and the counts and
hashes against ``re.findall`` on generated text.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from .arrays import distinct

_FMIX32 = (np.uint32(16), np.uint32(2246822507), np.uint32(13), np.uint32(3266489909), np.uint32(16))
#: The multiplier of the per-word polynomial (odd, so no information is lost mod 2**32).
_WORD_POLY = 0x9E3779B1
#: Keys are joined with this (not a word character), so no word spans two keys.
SEPARATOR = "\n"


def fmix32(hv: Any) -> Any:
    """MurmurHash3's finaliser: spreads every input bit over the whole 32-bit value."""
    s1, m1, s2, m2, s3 = _FMIX32
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


@lru_cache(maxsize=1)
def _bmp_table() -> Any:
    """Whether each Basic Multilingual Plane code point is a word character (built once, 64 KB)."""
    return np.array([c.isalnum() or c == "_" for c in map(chr, range(0x10000))], dtype=bool)


def code_points(text: str) -> Any:
    """The code points of ``text`` as uint32 (lone surrogates pass through as themselves)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint32)


def word_mask(codes: Any) -> Any:
    """A boolean array: which code points are word characters.

    Characters outside the BMP are rare (emoji, historic scripts, some CJK); they are looked up one
    distinct value at a time, so the table stays 64 KB instead of 1.1 MB built at every start.
    """
    table = _bmp_table()
    astral = codes >= 0x10000
    if not astral.any():
        # ``take``: indexing with ``table[codes]`` took twice as long (432 against 229 us for the
        # 152,314 code points of a sketch batch)
        return table.take(codes)
    mask = table.take(np.where(astral, 0, codes))
    values = codes[astral]
    points = distinct(values)
    is_word = np.array([chr(int(c)).isalnum() for c in points.tolist()], dtype=bool)
    mask[astral] = is_word[np.searchsorted(points, values)]
    return mask


def word_runs(codes: Any) -> tuple[Any, Any]:
    """(starts, ends) of the runs of word characters, as int64 indexes into ``codes``.

    Runs alternate with gaps, so the positions where the padded mask changes are start, end,
    start, end, ...: one comparison and one ``flatnonzero`` find both.
    """
    padded = np.zeros(len(codes) + 2, dtype=bool)
    padded[1:-1] = word_mask(codes)
    bounds = np.flatnonzero(padded[1:] != padded[:-1])
    return bounds[0::2], bounds[1::2]


#: The power tables cover spans of this many code points (8 MiB, built once). Longer text is hashed
#: in spans of whole words that fit; only a single word longer than this gets tables of its own.
_CACHED_POWERS = 1 << 20


@lru_cache(maxsize=1)
def _cached_powers() -> tuple[Any, Any]:
    return _compute_powers(_CACHED_POWERS)


def _compute_powers(length: int) -> tuple[Any, Any]:
    """``P**k`` and ``P**-k`` mod 2**32 for k < ``length`` (P is odd, so it has an inverse)."""
    up = np.full(length, _WORD_POLY, dtype=np.uint32)
    down = np.full(length, pow(_WORD_POLY, -1, 1 << 32), dtype=np.uint32)
    up[0] = down[0] = 1
    with np.errstate(over="ignore"):
        return np.multiply.accumulate(up, dtype=np.uint32), np.multiply.accumulate(down, dtype=np.uint32)


def run_hashes(codes: Any, starts: Any, ends: Any) -> Any:
    """The 32-bit hash of each run ``codes[s:e]``: ``fmix32(sum c[k] * P**(k - s))`` mod 2**32.

    A run's hash does not depend on where it sits, so runs are hashed in spans that the cached
    power tables cover (one span for any ordinary document).
    """
    out = np.empty(len(starts), dtype=np.uint32)
    first = 0
    while first < len(starts):
        lo = int(starts[first])
        last = max(first + 1, int(np.searchsorted(ends, lo + _CACHED_POWERS - 1, side="right")))
        hi = int(ends[last - 1])
        powers = _cached_powers() if hi - lo < _CACHED_POWERS else _compute_powers(hi - lo + 1)
        out[first:last] = _span_hashes(codes[lo:hi], starts[first:last] - lo, ends[first:last] - lo, powers)
        first = last
    return out


def _span_hashes(codes: Any, starts: Any, ends: Any, powers: tuple[Any, Any]) -> Any:
    """:func:`run_hashes` within one span shorter than the power tables.

    With prefix sums ``S`` of ``c[k] * P**k``, a run's sum is ``(S[e] - S[s]) * P**-s``: a few array
    operations for all words of the span, whatever their lengths (arithmetic mod 2**32 is a ring, so
    the wrap-around of uint32 is exactly what the formula needs).
    """
    up, down = powers
    prefix = np.zeros(len(codes) + 1, dtype=np.uint32)
    with np.errstate(over="ignore"):
        prefix_sums(codes * up[:len(codes)], prefix)
        return fmix32((prefix[ends] - prefix[starts]) * down[starts])


#: Values a block of :func:`prefix_sums` adds up side by side; below ``_BLOCKED_FROM`` values the
#: plain accumulation is used (the blocked one's extra steps cost more than they save).
_LANES = 4
_BLOCKED_FROM = 4096


def prefix_sums(values: Any, out: Any) -> None:
    """Write the running sums of uint32 ``values`` (mod 2**32) to ``out[1:]``; ``out[0]`` stays.

    ``np.add.accumulate`` adds one value after another, each waiting for the last (about 2.7 ns a
    value here). The sum of each block of four values is three vectorised additions; accumulating
    the quarter-length array of block sums gives each block's base, and the base plus the partial
    sums within the block gives every running sum. Addition mod 2**32 is associative, so the sums
    are the same, and the 152,314 code points of a sketch batch took 269 us instead of 410 (four
    lanes; two took 327, eight 290).
    """
    n = len(values)
    whole = n - n % _LANES
    with np.errstate(over="ignore"):
        if whole < _BLOCKED_FROM:
            np.add.accumulate(values, dtype=np.uint32, out=out[1:n + 1])
            return
        lanes = values[:whole].reshape(-1, _LANES)
        partial = [lanes[:, 0]]
        for j in range(1, _LANES):
            partial.append(partial[-1] + lanes[:, j])
        base = np.zeros(whole // _LANES + 1, dtype=np.uint32)
        np.add.accumulate(partial[-1], dtype=np.uint32, out=base[1:])
        blocks = out[1:whole + 1].reshape(-1, _LANES)
        for j in range(_LANES - 1):
            np.add(base[:-1], partial[j], out=blocks[:, j])
        blocks[:, -1] = base[1:]
        if whole < n:
            np.add.accumulate(values[whole:], dtype=np.uint32, out=out[whole + 1:n + 1])
            out[whole + 1:n + 1] += out[whole]


def word_hash32(word: str) -> int:
    """:func:`run_hashes` of one word given as a string (the scalar form, for reference hashing)."""
    codes = code_points(word)
    return int(run_hashes(codes, np.array([0]), np.array([len(codes)]))[0])


def tokenize(keys: Sequence[str]) -> tuple[Any, Any]:
    """The hash of every word of every key, in order, and how many words each key has."""
    if not keys:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    codes = code_points(SEPARATOR.join(keys))
    starts, ends = word_runs(codes)
    return run_hashes(codes, starts, ends), _per_key(starts, keys)


def _per_key(starts: Any, keys: Sequence[str]) -> Any:
    """How many of the word ``starts`` fall in each key of ``SEPARATOR.join(keys)``."""
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    bounds = np.cumsum(lengths + 1)  # one past each key's separator
    before = np.searchsorted(starts, bounds)  # words in this key and all earlier ones
    before[1:] -= before[:-1].copy()
    return before
