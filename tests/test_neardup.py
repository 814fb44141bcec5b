"""Near-duplicate passages: LSH parameters, verification, clusters and the keep policy."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import write_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Config, clean
from dedup.config import NeardupConfig
from dedup.neardup import char_shingles, choose_bands, find_duplicates, jaccard, probability, word_shingles
from dedup.passages import split

SYNDICATED = ("Meta on Wednesday debuted Muse Spark, a homegrown AI model it says significantly narrows "
              "the performance gap with models from OpenAI, Anthropic and others in the industry.")
OTHER = ("The team behind the model spent nine months building it, and the company says larger "
         "versions are already in development for release later this year.")
THIRD = "Investors cheered the announcement, sending shares of the company up four percent in early trading."


def test_bands_reach_the_target_recall() -> None:
    bands, rows = choose_bands(0.8, 128, 0.99)
    assert (bands, rows) == (21, 6)
    assert probability(0.8, bands, rows) >= 0.99
    assert probability(0.8, 9, 13) < 0.8  # datasketch's own choice misses pairs at the threshold


def test_short_passages_are_compared_on_characters() -> None:
    a, b = "Blood Rain: Stellar Blade's Slick Sequel Revealed", "Blood Rain: Stellar Blades Slick Sequel Revealed!"
    assert jaccard(word_shingles(a.lower(), 5), word_shingles(b.lower(), 5)) < 0.8
    assert jaccard(char_shingles(a.lower(), 5), char_shingles(b.lower(), 5)) >= 0.8


def run(tmp_path: Path, files: dict[str, str], **nd: object) -> dict[str, object]:
    root = write_corpus(tmp_path / "c", files)
    result = clean([root], Config(neardup=NeardupConfig(**nd)))  # type: ignore[arg-type]
    return {d.document.doc: d for d in result.documents}


def test_cross_document_duplicate_keeps_first(tmp_path: Path) -> None:
    docs = run(tmp_path, {"a.txt": f"{SYNDICATED}\n{OTHER}\n", "b.txt": f"{THIRD}\n{SYNDICATED}\n"})
    b = docs["b.txt"]
    assert [c.kind for c in b.changes] == ["duplicate"]  # type: ignore[attr-defined]
    change = b.changes[0]  # type: ignore[attr-defined]
    assert change.duplicate_of == "a.txt" and change.similarity == 1.0
    assert b.output == f"{THIRD}\n"  # type: ignore[attr-defined]
    assert docs["a.txt"].changes == ()  # type: ignore[attr-defined]


def test_light_edit_is_still_a_duplicate(tmp_path: Path) -> None:
    edited = SYNDICATED.replace("Wednesday", "Thursday")
    docs = run(tmp_path, {"a.txt": f"{SYNDICATED}\n{OTHER}\n", "b.txt": f"{THIRD}\n{edited}\n"}, threshold=0.7)
    change = docs["b.txt"].changes[0]  # type: ignore[attr-defined]
    assert change.kind == "duplicate" and 0.7 <= change.similarity < 1.0


def test_dissimilar_passages_survive(tmp_path: Path) -> None:
    docs = run(tmp_path, {"a.txt": f"{SYNDICATED}\n", "b.txt": f"{OTHER}\n{THIRD}\n"})
    assert all(d.changes == () for d in docs.values())  # type: ignore[attr-defined]


def test_within_document_duplicate(tmp_path: Path) -> None:
    docs = run(tmp_path, {"a.txt": f"{SYNDICATED}\n{OTHER}\n{SYNDICATED}\n{THIRD}\n"})
    changes = docs["a.txt"].changes  # type: ignore[attr-defined]
    assert [(c.kind, c.line) for c in changes] == [("duplicate", 3)]
    assert changes[0].duplicate_of == "a.txt" and changes[0].duplicate_start == 0


def test_whole_document_duplicate_is_dropped(tmp_path: Path) -> None:
    docs = run(tmp_path, {"a.txt": f"Title A\n{SYNDICATED}\n{OTHER}\n", "b.txt": f"Title B\n{SYNDICATED}\n{OTHER}\n"})
    b = docs["b.txt"]
    assert b.output is None  # type: ignore[attr-defined]
    (change,) = b.changes  # type: ignore[attr-defined]
    assert change.kind == "document-duplicate" and change.duplicate_of == "a.txt"
    assert change.text == f"Title B\n{SYNDICATED}\n{OTHER}\n"


def test_keep_longest_policy(tmp_path: Path) -> None:
    longer = SYNDICATED + " It will roll out in the coming weeks."
    docs = run(tmp_path, {"a.txt": f"{SYNDICATED}\n{OTHER}\n", "b.txt": f"{THIRD}\n{longer}\n"},
               keep="longest", threshold=0.7)
    assert [c.kind for c in docs["a.txt"].changes] == ["duplicate"]  # type: ignore[attr-defined]
    assert docs["a.txt"].changes[0].duplicate_of == "b.txt"  # type: ignore[attr-defined]


def test_short_passages_are_never_removed(tmp_path: Path) -> None:
    docs = run(tmp_path, {"a.txt": f"Key Takeaways\n{SYNDICATED}\n", "b.txt": f"Key Takeaways\n{OTHER}\n"})
    assert all(d.changes == () for d in docs.values())  # type: ignore[attr-defined]


def test_chains_never_remove_unverified_passages() -> None:
    """A~B and B~C verified but A !~ C: C is kept, because its only similar partner B is removed."""
    a = " ".join(f"w{i}" for i in range(0, 40))
    b = " ".join(f"w{i}" for i in range(4, 44))
    c = " ".join(f"w{i}" for i in range(8, 48))
    docs = [split("a", a), split("b", b), split("c", c)]
    config = NeardupConfig(threshold=0.7, char_below_words=10, word_from_words=10)
    sim = lambda x, y: jaccard(word_shingles(x, 5), word_shingles(y, 5))  # noqa: E731
    assert sim(a, b) >= 0.7 and sim(b, c) >= 0.7 and sim(a, c) < 0.7
    result = find_duplicates(docs, config)
    removed = {d.passage for d in result.duplicates}
    assert removed == {(1, 0)}  # b goes (similar to kept a); c stays
    for dup in result.duplicates:
        assert dup.similarity >= 0.7 and dup.canonical not in removed


def test_lsh_false_positives_are_rejected_by_verification() -> None:
    """Pairs just under the threshold are often proposed by LSH; none may be removed."""
    rng = random.Random(7)
    vocab = [f"v{i}" for i in range(5000)]
    docs = []
    for d in range(60):
        words = rng.sample(vocab, 60)
        edited = list(words)
        for k in range(0, 60, 6):  # 10 edits of 60: Jaccard well under 0.8
            edited[k] = f"e{d}_{k}"
        docs.append(split(f"d{d}a", " ".join(words)))
        docs.append(split(f"d{d}b", " ".join(edited)))
    result = find_duplicates(docs, NeardupConfig())
    for dup in result.duplicates:
        a = docs[dup.passage[0]][0].key
        b = docs[dup.canonical[0]][0].key
        assert jaccard(word_shingles(a, 5), word_shingles(b, 5)) >= 0.8
    assert result.duplicates == ()


@pytest.mark.parametrize("seed", [1, 2])
def test_duplicate_output_is_deterministic(tmp_path: Path, seed: int) -> None:
    files = {f"d{i}.txt": f"{THIRD} {i}\n{SYNDICATED}\n{OTHER} {i % 2}\n" for i in range(6)}
    first = run(tmp_path / "1", files, seed=seed)
    second = run(tmp_path / "2", files, seed=seed)
    assert {k: v.changes for k, v in first.items()} == {k: v.changes for k, v in second.items()}  # type: ignore[attr-defined]


def test_document_level_duplicate_despite_edited_passages(tmp_path: Path) -> None:
    rng = random.Random(11)
    vocab = [f"word{i}" for i in range(3000)]
    paragraphs = [" ".join(rng.sample(vocab, 40)) + "." for _ in range(20)]
    edited = list(paragraphs)
    for k in (3, 9, 15):  # three paragraphs have 6 of 40 words replaced: no longer passage duplicates
        words = edited[k].split()
        edited[k] = " ".join(words[:17] + [f"new{k}_{j}" for j in range(6)] + words[23:])
    docs = run(tmp_path, {"a.txt": "\n".join(paragraphs) + "\n", "b.txt": "\n".join(edited) + "\n"})
    (change,) = docs["b.txt"].changes  # type: ignore[attr-defined]
    assert change.kind == "document-duplicate" and change.duplicate_of == "a.txt"
    assert 0.8 <= change.similarity < 1.0
    assert "whole document near-duplicates a.txt" in change.reason
    off = run(tmp_path / "off", {"a.txt": "\n".join(paragraphs) + "\n", "b.txt": "\n".join(edited) + "\n"},
              documents=False)
    assert {c.kind for c in off["b.txt"].changes} == {"duplicate"}  # type: ignore[attr-defined]
    assert off["b.txt"].output is not None  # type: ignore[attr-defined]


def test_document_with_a_paragraph_of_its_own_is_not_dropped(tmp_path: Path) -> None:
    rng = random.Random(12)
    vocab = [f"word{i}" for i in range(3000)]
    paragraphs = [" ".join(rng.sample(vocab, 40)) + "." for _ in range(20)]
    own = " ".join(f"fresh{j}" for j in range(40)) + "."
    docs = run(tmp_path, {"a.txt": "\n".join(paragraphs) + "\n", "b.txt": "\n".join([*paragraphs, own]) + "\n"})
    b = docs["b.txt"]
    assert b.output == own + "\n"  # type: ignore[attr-defined]
    assert {c.kind for c in b.changes} == {"duplicate"}  # type: ignore[attr-defined]


def test_a_title_is_not_a_duplicate_of_a_headline_elsewhere(tmp_path: Path) -> None:
    title = "Meta Debuts Muse Spark, Its First Model From the New Lab"
    docs = run(tmp_path, {
        "a.txt": f"Another Story Entirely\n{OTHER}\nMore Headlines From Us Today\n{title}\n",
        "b.txt": f"{title}\n{SYNDICATED}\n{THIRD}\n",
    })
    assert docs["b.txt"].changes == ()  # type: ignore[attr-defined]
    inside = run(tmp_path / "inside", {"c.txt": f"{title}\n{SYNDICATED}\n{title}\n"})
    assert [c.line for c in inside["c.txt"].changes] == [3]  # type: ignore[attr-defined]


def test_a_document_is_never_a_duplicate_of_itself(tmp_path: Path) -> None:
    """Found by hypothesis: a headline (not eligible) and its copy as a sentence dropped the document."""
    text = ("’model model model model model model launch model\n"
            "’Meta model model model model model launch model.")
    docs = run(tmp_path, {"d.txt": text})
    d = docs["d.txt"]
    assert d.output is not None  # type: ignore[attr-defined]
    assert [c.kind for c in d.changes] == ["duplicate"]  # type: ignore[attr-defined]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab c-é\n", max_size=60), st.text(alphabet="ab c-é\n", max_size=60), st.integers(1, 6))
def test_word_grams_are_word_shingles_as_tuples(a: str, b: str, n: int) -> None:
    """The planner compares tuples of words (:func:`word_grams`) instead of joined shingles: the
    sets must correspond one to one, so every Jaccard similarity is the same."""
    from dedup.neardup import word_grams

    assert {" ".join(g) for g in word_grams(a, n)} == word_shingles(a, n)
    assert len(word_grams(a, n)) == len(word_shingles(a, n))
    assert jaccard(word_grams(a, n), word_grams(b, n)) == jaccard(word_shingles(a, n), word_shingles(b, n))
