"""Sorting helpers: the same results as numpy's own, faster."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import arrays


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 3 * 4096), distinct=st.integers(1, 5000), seed=st.integers(0, 2**32 - 1),
       fast_from=st.sampled_from([2, 4096]), low_bits=st.sampled_from([0, 1, 16]),
       dtype=st.sampled_from(["u8", "i8"]))
def test_stable_argsort_is_numpys_stable_argsort(size: int, distinct: int, seed: int, fast_from: int,
                                                 low_bits: int, dtype: str) -> None:
    """Buckets of equal band keys must list their entries in entry order (a big bucket's star and
    chain depend on it): the fast paths must give exactly the stable sort's permutation, on keys
    with many repeats, few repeats and none, keys that differ only in their lowest bits, signed
    and unsigned, at and around the size where they take over."""
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 2**64 - 1, distinct, dtype=np.uint64, endpoint=True)
    keys = pool[rng.integers(0, distinct, size)]
    if low_bits:  # keys that differ only where the fast path keeps the index
        keys ^= rng.integers(0, 1 << low_bits, size, dtype=np.uint64)
    keys = keys.astype(dtype)
    saved = arrays._STABLE_BELOW
    arrays._STABLE_BELOW = fast_from
    try:
        got = arrays.stable_argsort(keys)
    finally:
        arrays._STABLE_BELOW = saved
    assert np.array_equal(got, np.argsort(keys, kind="stable"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=60), st.sampled_from(["u8", "i8", "u4"]))
def test_distinct_is_numpys_unique(values: list[int], dtype: str) -> None:
    """The sorted distinct values, as ``np.unique`` gives them, for empty, one-element and
    repetitive arrays of each key type used."""
    keys = np.array(values, dtype=np.uint64).astype(dtype)
    got = arrays.distinct(keys)
    assert got.dtype == keys.dtype
    assert np.array_equal(got, np.unique(keys))
