"""numpy signatures equal datasketch's, and band keys behave like MinHashLSH buckets."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash, MinHashLSH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import document

from dedup.signatures import band_keys, lean_minhashes, signatures

shingle_sets = st.lists(st.frozensets(st.text(min_size=1, max_size=12), max_size=40), min_size=1, max_size=12)


@settings(max_examples=50, deadline=None)
@given(shingle_sets, st.sampled_from([16, 64, 128]), st.integers(0, 2**31))
def test_bit_identical_to_datasketch(sets: list[frozenset[str]], num_perm: int, seed: int) -> None:
    ours = signatures(sets, num_perm, seed)
    for row, shingles in zip(ours, sets, strict=True):
        ref = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
        ref.update_batch([s.encode("utf-8") for s in shingles])
        assert np.array_equal(row, ref.hashvalues)


def test_lean_minhashes_work_with_minhashlsh() -> None:
    sets = [frozenset(f"s{i}" for i in range(50)), frozenset(f"s{i}" for i in range(2, 50)),
            frozenset(f"t{i}" for i in range(50))]
    rows = signatures(sets, 128, 1)
    lsh = MinHashLSH(threshold=0.8, num_perm=128, params=(21, 6))
    for i, m in enumerate(lean_minhashes(rows, 1)):
        lsh.insert(i, m)
    assert sorted(lsh.query(lean_minhashes(rows[:1], 1)[0])) == [0, 1]


def test_band_keys_match_when_bands_match() -> None:
    rows = signatures([frozenset({"a", "b", "c"}), frozenset({"a", "b", "c"}), frozenset({"x"})], 128, 1)
    keys = band_keys(rows, 21, 6)
    assert keys.shape == (3, 21)
    assert np.array_equal(keys[0], keys[1])
    assert not np.intersect1d(keys[0], keys[2]).size
    assert len(set(keys[0].tolist())) == 21  # the band number is part of the key


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=60, deadline=None)
@given(texts, st.sampled_from(["word", "char"]), st.integers(1, 6))
def test_fast_rows_equal_datasketch_with_the_same_hash_function(text: str, channel: str, n: int) -> None:
    from dedup.config import NeardupConfig
    from dedup.neardup import set_signature, shingles, signature_rows
    from dedup.normalize import fold
    from dedup.signatures import char_ngram_hash32, word_ngram_hash32

    config = NeardupConfig(ngram=n, char_ngram=n)
    key = fold(text)
    fast = signature_rows([key], channel, config)[0]
    shingle_set = shingles(key, channel, config)
    assert np.array_equal(fast, set_signature(shingle_set, channel, config))
    reference = MinHash(num_perm=128, seed=1, scheme="affine32",
                        hashfunc=word_ngram_hash32 if channel == "word" else char_ngram_hash32)
    reference.update_batch([s.encode("utf-8") for s in shingle_set])
    assert np.array_equal(fast, reference.hashvalues)


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=12), st.sampled_from(["word", "char"]), st.integers(1, 6))
def test_rows_of_many_keys_at_once_equal_each_key_alone(many: list[str], channel: str, n: int) -> None:
    """Keys signed together (segments of one array, short ones and long ones mixed) get the rows
    each gets alone, which equal the rows of its explicit shingle set."""
    from dedup.config import NeardupConfig
    from dedup.neardup import set_signature, shingles, signature_rows
    from dedup.normalize import fold

    config = NeardupConfig(ngram=n, char_ngram=n)
    keys = [fold(text) for text in many]
    together = signature_rows(keys, channel, config)
    for key, row in zip(keys, together, strict=True):
        assert np.array_equal(row, signature_rows([key], channel, config)[0])
        assert np.array_equal(row, set_signature(shingles(key, channel, config), channel, config))


def test_a_document_row_is_the_minimum_of_its_passage_rows() -> None:
    from dedup.config import NeardupConfig
    from dedup.neardup import set_signature, signature_rows, word_shingles

    config = NeardupConfig()
    keys = ["the first passage of the document", "a second one follows here", "third"]
    union = frozenset().union(*(word_shingles(k, config.ngram) for k in keys))
    assert np.array_equal(np.minimum.reduce(signature_rows(keys, "word", config), axis=0),
                          set_signature(union, "word", config))


def test_a_document_row_from_prepared_rows_is_the_row_of_its_union() -> None:
    """document_row takes the word rows a prepared document has and signs the keys it lacks (short
    passages, character rows only); the result is the row of the union of the keys' word shingles."""
    from dedup.config import NeardupConfig
    from dedup.neardup import document_row, set_signature, signature_rows, word_shingles

    config = NeardupConfig()
    long_key = "the first passage of the document runs on for quite a few words before it ends"
    keys = [long_key, "a short title", "third", long_key]
    given = [("word", long_key, signature_rows([long_key], "word", config)[0]),
             ("char", "a short title", signature_rows(["a short title"], "char", config)[0])]
    union = frozenset().union(*(word_shingles(k, config.ngram) for k in keys))
    assert np.array_equal(document_row(given, keys, config), set_signature(union, "word", config))
    assert np.array_equal(document_row((), keys, config), set_signature(union, "word", config))


def test_band_keys_for_any_band_width() -> None:
    """A band as wide as a 512-permutation signature still gets keys; one differing value changes it."""
    rows = np.random.default_rng(3).integers(0, 2**32, (2, 512), dtype=np.uint32)
    rows[1] = rows[0]
    rows[1, 511] ^= 1
    keys = band_keys(rows, 1, 512)
    assert keys.shape == (2, 1) and keys[0, 0] != keys[1, 0]
    assert np.array_equal(band_keys(rows[:1], 2, 256)[0, :1], band_keys(rows[1:], 2, 256)[0, :1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document())
def test_a_prepared_documents_signatures_are_those_of_its_comparable_keys(text: str) -> None:
    """prepare() signs word shingles from the word hashes split() found: every comparable passage's
    key has one row per channel it is compared in, equal to signing the key alone, and nothing else."""
    from dedup.config import Config
    from dedup.model import Document
    from dedup.neardup import channels, signature_rows
    from dedup.pipeline import prepare

    config = Config()
    item = prepare(Document("a.txt", text), config)
    expected = list(dict.fromkeys((c, p.key) for c in ("char", "word") for p in item.passages
                                  if c in channels(p.words, config.neardup)))
    assert [(c, k) for c, k, _ in item.signatures] == expected
    for channel, key, row in item.signatures:
        assert np.array_equal(row, signature_rows([key], channel, config.neardup)[0])


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(0, 40), max_size=12), chunk=st.sampled_from([1, 3, 7, 64, 1 << 15]),
       seed=st.integers(0, 2**32 - 1), num_perm=st.sampled_from([1, 5, 8, 13, 16, 20]),
       block=st.sampled_from([1, 100, 1 << 18]))
def test_minhash_in_blocks_equals_each_set_alone(sizes: list[int], chunk: int, seed: int, num_perm: int,
                                                 block: int) -> None:
    """Sets that straddle block boundaries (and empty ones) get the minimum of every block they
    touch, and every permutation is applied whatever the size of the last group of permutations:
    the rows equal each set's own minimum over all its permuted hashes."""
    import dedup.signatures as sig

    rng = np.random.default_rng(seed)
    flat = rng.integers(0, 2**32, sum(sizes), dtype=np.uint64).astype(np.uint32)
    saved = sig._CHUNK, sig._BLOCK
    sig._CHUNK, sig._BLOCK = chunk, block
    try:
        got = sig.minhash_flat(flat, sizes, num_perm, 7)
    finally:
        sig._CHUNK, sig._BLOCK = saved
    a, b = sig.permutations(num_perm, 7)
    mixed = sig.fmix32(flat).astype(np.uint64)
    at = 0
    for row, size in zip(got, sizes, strict=True):
        part = mixed[at:at + size]
        at += size
        expected = ((a[:, None].astype(np.uint64) * part[None, :] + b[:, None]) % (1 << 32)).min(axis=1) if size \
            else np.full(num_perm, 0xFFFFFFFF)
        assert np.array_equal(row, expected)
