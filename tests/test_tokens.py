"""The numpy word tokeniser agrees with ``re.findall(r"\\w+")``, and its word hash with its scalar form."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import tokens
from dedup.tokens import code_points, run_hashes, tokenize, word_hash32, word_mask, word_runs

_WORD = re.compile(r"\w+")


def test_word_characters_are_exactly_what_re_calls_word_characters() -> None:
    codes = np.arange(0x110000, dtype=np.uint32)
    expected = np.fromiter((_WORD.fullmatch(chr(c)) is not None for c in range(0x110000)), dtype=bool,
                           count=0x110000)
    mismatched = np.flatnonzero(word_mask(codes) != expected)
    assert not len(mismatched), [hex(c) for c in mismatched[:10].tolist()]


# Letters from several scripts, digits, punctuation, spaces, astral characters and lone surrogates.
texts = st.text(st.sampled_from([*"ab_Z9 ,.-\n\t’é߀ß漢字", "\U0001F600", "\U00010400", "\U0001D7D8", "\ud800",
                                 "\udfff"]), max_size=120)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, max_size=8))
def test_counts_and_hashes_agree_with_re(keys: list[str]) -> None:
    found = [_WORD.findall(k) for k in keys]
    hashes, counts = tokenize(keys)
    assert counts.tolist() == [len(f) for f in found]
    assert hashes.tolist() == [word_hash32(w) for f in found for w in f]


def test_text_past_the_cached_power_tables_hashes_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long text is hashed in spans; a word longer than a span gets tables of its own."""
    text = " ".join(f"w{i} {'x' * (i % 50)}y" for i in range(2000)) + " " + "z" * 3000 + " tail"
    codes = code_points(text)
    starts, ends = word_runs(codes)
    cached = run_hashes(codes, starts, ends)
    monkeypatch.setattr(tokens, "_CACHED_POWERS", 1000)
    assert np.array_equal(run_hashes(codes, starts, ends), cached)
    assert len(codes) > 50 * 1000
    assert cached[-2] == word_hash32("z" * 3000)


def test_distinct_words_rarely_share_a_hash() -> None:
    """2**32 values for 200,000 words: a handful of collisions is chance, more is a weak hash.
    Words that differ by order, by one letter or by length must all differ."""
    affixes = (("", ""), ("a", "b"), ("b", "a"), ("ab", ""), ("", "ab"), ("ba", ""), ("x", "x"), ("xx", ""),
               ("", "xx"), ("é", "ß"))
    words = [f"{a}{i}{b}" for i in range(20_000) for a, b in affixes]
    hashes, counts = tokenize([" ".join(words)])
    assert counts.tolist() == [len(words)] == [len(set(words))] == [200_000]
    assert len(words) - len(np.unique(hashes)) <= 10
    assert len({word_hash32(w) for w in ("ab", "ba", "aab", "aba", "baa", "a", "aa", "aaa")}) == 8


@settings(max_examples=200, deadline=None)
@given(size=st.integers(0, 300), seed=st.integers(0, 2**32 - 1), blocked_from=st.sampled_from([0, 1, 7, 4096]))
def test_blocked_prefix_sums_are_the_running_sums(size: int, seed: int, blocked_from: int) -> None:
    """The blocked running sum equals numpy's one-by-one accumulation mod 2**32, for lengths that
    leave every remainder after the last whole block, and for values whose sums wrap around."""
    values = np.random.default_rng(seed).integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32)
    out = np.zeros(size + 1, dtype=np.uint32)
    saved = tokens._BLOCKED_FROM
    tokens._BLOCKED_FROM = blocked_from
    try:
        tokens.prefix_sums(values, out)
    finally:
        tokens._BLOCKED_FROM = saved
    expected = np.zeros(size + 1, dtype=np.uint32)
    np.add.accumulate(values, dtype=np.uint32, out=expected[1:])
    assert np.array_equal(out, expected)
