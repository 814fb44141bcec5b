"""Cross-document evidence: lines a source prints around many different articles are furniture."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from conftest import write_corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import WORDS

from dedup import Config, clean
from dedup.config import EvidenceConfig

WIDGET = "Get the Ledger Morning Note in your mailbox at dawn"  # no rule knows this phrasing


def article(seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 40))) + "." for _ in range(3)]


def changes(root: Path, config: Config | None = None) -> dict[str, list[tuple[str, str, str]]]:
    result = clean([root], config or Config())
    return {d.document.doc: [(c.rule, c.text.strip(), c.reason) for c in d.changes] for d in result.documents}


def test_unknown_widget_recurring_in_one_site_is_removed(tmp_path: Path) -> None:
    files = {f"ledger/a{i}.txt": "\n".join([f"Story number {i}", *article(i), WIDGET]) + "\n" for i in range(4)}
    found = changes(write_corpus(tmp_path / "c", files))
    for doc, doc_changes in found.items():
        assert doc_changes == [("recurring-line", WIDGET, "seen in 4 documents of source ledger")], doc


def test_below_the_minimum_it_is_kept(tmp_path: Path) -> None:
    files = {f"ledger/a{i}.txt": "\n".join([f"Story number {i}", *article(i), WIDGET]) + "\n" for i in range(2)}
    assert all(c == [] for c in changes(write_corpus(tmp_path / "c", files)).values())
    config = replace(Config(), evidence=EvidenceConfig(min_documents=2))
    assert all(c and c[0][0] == "recurring-line"
               for c in changes(write_corpus(tmp_path / "c2", files), config).values())


def test_lines_shared_across_sources_are_not_furniture(tmp_path: Path) -> None:
    quote = "We will not be moved on this, the minister told the house on Tuesday"
    files = {f"{site}/a{i}.txt": "\n".join([f"Story {site} {i}", *article(i * 7 + len(site)), quote]) + "\n"
             for site in ("ledger", "herald") for i in range(2)}
    found = changes(write_corpus(tmp_path / "c", files))
    assert not any(rule == "recurring-line" for doc in found.values() for rule, _, _ in doc)


def test_syndicated_copies_do_not_make_their_own_lines_furniture(tmp_path: Path) -> None:
    body = article(1)
    files = {f"ledger/copy{i}.txt": "\n".join([f"Copy {i} of the story", *body, "A closing line of the story"]) + "\n"
             for i in range(4)}
    found = changes(write_corpus(tmp_path / "c", files))
    assert not any(rule == "recurring-line" for doc in found.values() for rule, _, _ in doc)


def test_a_title_listed_elsewhere_stays_the_title(tmp_path: Path) -> None:
    title = "Harbour Council Approves the New Bridge After Long Debate"
    files = {"ledger/bridge.txt": "\n".join([title, *article(100)]) + "\n"}
    for i in range(3):
        lines = [f"Other story {i}", *article(i), "More from the Ledger", title]
        files[f"ledger/other{i}.txt"] = "\n".join(lines) + "\n"
    found = changes(write_corpus(tmp_path / "c", files))
    assert found["ledger/bridge.txt"] == []
    for i in range(3):
        assert title in [text for _, text, _ in found[f"ledger/other{i}.txt"]]


# ---- recurring-affix: template lines with a slot ------------------------------------------------

NAMES = ["Jane Doe", "John Smith", "Ana Ruiz", "Lee Park", "Omar Haddad"]


def test_template_line_with_a_slot_is_removed(tmp_path: Path) -> None:
    files = {f"ledger/a{i}.txt": "\n".join([f"Story number {i}", *article(i), f"{NAMES[i]} / Ledger Wire Photo",
                                            f"{NAMES[i]} is a correspondent in the Ledger's Berlin bureau."]) + "\n"
             for i in range(4)}
    found = changes(write_corpus(tmp_path / "c", files))
    for i in range(4):
        rules = {text: rule for rule, text, _ in found[f"ledger/a{i}.txt"]}
        assert rules == {f"{NAMES[i]} / Ledger Wire Photo": "recurring-affix",
                         f"{NAMES[i]} is a correspondent in the Ledger's Berlin bureau.": "recurring-affix"}
    reason = found["ledger/a0.txt"][0][2]
    assert "recur in 4 documents of source ledger" in reason


def test_shared_openings_of_sentences_are_not_templates(tmp_path: Path) -> None:
    # Short sentences that open alike ("It is the ...") are prose: three shared tokens do not cover half.
    endings = ["harbour plan that the council backed at last.", "second vote on the bridge, and it failed.",
               "mayor who will decide the matter by June.", "cheapest option the town has had in years."]
    files = {f"ledger/a{i}.txt": "\n".join([f"Story number {i}", *article(i), f"It is the {endings[i]}"])
             + "\n" for i in range(4)}
    found = changes(write_corpus(tmp_path / "c", files))
    assert all(doc == [] for doc in found.values())


def test_affixes_shared_across_sources_are_not_furniture(tmp_path: Path) -> None:
    files = {f"{site}/a{i}.txt": "\n".join([f"Story {site} {i}", *article(i * 7 + len(site)),
                                            f"{NAMES[i]} / Wire Photo"]) + "\n"
             for site in ("ledger", "herald") for i in range(2)}
    found = changes(write_corpus(tmp_path / "c", files))
    assert not any(rule == "recurring-affix" for doc in found.values() for rule, _, _ in doc)


def test_titles_sharing_a_prefix_stay_titles(tmp_path: Path) -> None:
    # A site whose titles all open "Review: ..." keeps them; its byline lines go.
    files = {f"ledger/a{i}.txt": "\n".join([f"Review: the {NAMES[i]} show at the harbour", f"By {NAMES[i]} for Ledger",
                                            *article(i)]) + "\n" for i in range(4)}
    found = changes(write_corpus(tmp_path / "c", files))
    for i in range(4):
        texts = [text for _, text, _ in found[f"ledger/a{i}.txt"]]
        assert f"Review: the {NAMES[i]} show at the harbour" not in texts


def test_affix_evidence_can_be_disabled(tmp_path: Path) -> None:
    from dedup.config import RulesConfig

    files = {f"ledger/a{i}.txt": "\n".join([f"Story number {i}", *article(i), f"{NAMES[i]} / Ledger Wire Photo"])
             + "\n" for i in range(4)}
    config = replace(Config(), rules=RulesConfig(disable=("recurring-affix",)))
    found = changes(write_corpus(tmp_path / "c", files), config)
    assert all(doc == [] for doc in found.values())


def test_a_page_s_own_numbered_steps_are_not_templates(tmp_path: Path) -> None:
    # Every recipe of the site has "Step 1: ...", "Step 2: ...": a list of the page, not a site template.
    files = {}
    for i in range(4):
        rng = random.Random(i)
        steps = [f"Step {k + 1}: " + " ".join(rng.choice(WORDS) for _ in range(4)) for k in range(4)]
        body = article(i)
        files[f"kitchen/r{i}.txt"] = "\n".join([f"Recipe number {i}", body[0], *steps, body[1], body[2]]) + "\n"
    found = changes(write_corpus(tmp_path / "c", files))
    assert not any(rule == "recurring-affix" for doc in found.values() for rule, _, _ in doc)


def _affix_keys_reference(key: str) -> tuple[int, tuple[tuple[int, int], ...]]:
    """affix_keys as first written: every token of every affix searched for a letter."""
    from dedup.evidence import _DIGITS, _LETTER, _TOKEN, AFFIX_SIZES, _affix_hash

    tokens = _TOKEN.findall(_DIGITS.sub("0", key))
    n = len(tokens)
    found: list[tuple[int, int]] = []
    for k in AFFIX_SIZES:
        if k >= n:
            break
        for code, part in ((k, tokens[:k]), (-k, tokens[n - k:])):
            if k >= 4 or any(_LETTER.search(t) for t in part):
                found.append((code, _affix_hash(f"{code}\x00" + " ".join(part))))
    return n, tuple(found)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["the", "Ledger", "12", "2026", "_", "|", "·", "-", "²", "x1", "é", "漢字", "/"]),
                max_size=14).map(" ".join))
def test_affix_keys_equal_searching_every_token(key: str) -> None:
    from dedup.evidence import affix_keys

    assert affix_keys(key) == _affix_keys_reference(key)


_AFFIX_ALPHABET = "ab Zé_ßªµº1٣²\t\u00a0\u0085\u2003.,|·-/中ř\n"


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(_AFFIX_ALPHABET), max_size=60))
def test_affix_keys_equal_searching_every_token_on_any_text(key: str) -> None:
    """The same as above on text that is not words joined by single spaces: punctuation glued to
    words, every kind of whitespace (no-break, NEL, em space), digits of other scripts folded to 0,
    letters that are words (ª, µ, º) and superscripts that are not letters."""
    from dedup.evidence import affix_keys

    assert affix_keys(key) == _affix_keys_reference(key)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 4)), max_size=40), st.booleans())
def test_counts_per_row_equal_counting_each_key(rows: list[tuple[int, int]], by_article: bool) -> None:
    """Each row's count (distinct articles with its key, or rows with its key) and the distinct
    keys with their counts, read off one sort, equal counting them one key at a time."""
    import numpy as np

    from dedup.evidence import _counted

    keys = np.array([k for k, _ in rows], dtype=np.uint64)
    articles = np.array([a for _, a in rows], dtype=np.uint64)
    distinct, counts, per_row = _counted(keys, articles if by_article else None)

    def count(key: int) -> int:
        return len({a for k, a in rows if k == key}) if by_article else sum(1 for k, _ in rows if k == key)

    assert per_row.tolist() == [count(k) for k, _ in rows]
    assert distinct.tolist() == sorted({k for k, _ in rows})
    assert counts.tolist() == [count(k) for k in sorted({k for k, _ in rows})]
