"""The global stage's shortcuts decide exactly what the plain computation decides.

Each shortcut in planning (a skipped round, a cheaper way to the same pairs or sets) is checked
against a straightforward version of the same step, kept here as the oracle, on generated corpora
where duplicates, boilerplate and re-judgement all happen.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import corpus

from dedup import Config
from dedup import pipeline as pipeline_module
from dedup.model import Document
from dedup.neardup import (
    UNIQUE_FLOOR,
    Memo,
    NeardupResult,
    _DocumentSimilarity,
    _owner_pairs,
    _owner_pairs_sorted,
    adds_content,
    document_shingles,
    jaccard,
    passage_similarity,
)
from dedup.pipeline import MAX_ROUNDS, Prepared, duplicates_round, plan, prepare, rejudge, removed_by_document

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _settle_every_round(prepared: list[Prepared], config: Config, memo: Memo, dropped: set[int]) -> NeardupResult:
    """The reconciliation loop without its shortcut: every round runs the duplicate finder again."""
    removed_dups: dict[int, frozenset[int]] = {}
    near = NeardupResult((), (), 0, 0)
    gone = {(d, p.index) for d in dropped for p in prepared[d].passages}
    for _ in range(MAX_ROUNDS):
        excluded = gone | {(d, dec.index) for d, item in enumerate(prepared) for dec in item.boilerplate}
        near = duplicates_round(prepared, config, memo, excluded)
        current = removed_by_document(near)
        if current == removed_dups:
            return near
        rejudge(prepared, config, near, current, set(current) | set(removed_dups))
        removed_dups = current
    return near


def _prepared(files: dict[str, str], config: Config) -> list[Prepared]:
    return [prepare(Document(name, text), config) for name, text in sorted(files.items())]


@SETTINGS
@given(corpus())
def test_settle_gives_what_running_every_round_gives(files: dict[str, str]) -> None:
    config = Config()
    fast = plan(_prepared(files, config), config)
    original: Any = pipeline_module._settle
    try:
        pipeline_module._settle = _settle_every_round
        slow = plan(_prepared(files, config), config)
    finally:
        pipeline_module._settle = original
    assert fast == slow


def _kept(item: Prepared) -> list[Any]:
    removed = {dec.index for dec in item.boilerplate}
    return [p for p in item.passages if p.index not in removed]


@SETTINGS
@given(corpus())
def test_document_similarity_is_the_jaccard_of_the_document_sets(files: dict[str, str]) -> None:
    config = Config()
    documents = [_kept(item) for item in _prepared(files, config)]
    documents += [list(reversed(ps)) for ps in documents]  # same passages, another order: equal sets
    similarity = _DocumentSimilarity(documents, config.neardup, Memo(config.neardup))
    for a in range(len(documents)):
        for b in range(len(documents)):
            expected = jaccard(document_shingles(documents[a], config.neardup),
                               document_shingles(documents[b], config.neardup))
            assert similarity(a, b) == expected


@SETTINGS
@given(corpus())
def test_adds_content_is_a_passage_without_a_version_in_the_other(files: dict[str, str]) -> None:
    config = Config()
    nd = config.neardup
    documents = [_kept(item) for item in _prepared(files, config)]
    for mine in documents:
        for other in documents:
            expected = any(p.words >= nd.min_words and not any(
                passage_similarity(p, q, nd) >= UNIQUE_FLOOR for q in other) for p in mine)
            assert adds_content(mine, other, nd) == expected


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6), st.data())
def test_owner_pairs_by_dict_are_the_pairs_by_sorting(bands: int, data: st.DataObject) -> None:
    import numpy as np

    owners = data.draw(st.integers(0, 40) | st.just(2))  # two owners: a path of their own
    spread = data.draw(st.sampled_from([2, 5, 50, 2**64 - 1]))  # few values: big buckets (star and chain)
    keys = data.draw(st.lists(st.integers(0, spread), min_size=owners * bands, max_size=owners * bands))
    array = np.array(keys, dtype=np.uint64)
    assert _owner_pairs(keys, bands) == _owner_pairs_sorted(array, bands)
