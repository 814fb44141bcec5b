"""The seeds: what must go, what must stay, and the committed out/ (a lock file: stale means fail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import OUT, ROOT, SEEDS, read_tree

from dedup import Config, clean, restore, write
from dedup.normalize import fold

SHARED = ROOT.parent / "shared" / "seeds"

# (document prefix, line text) that the cleaner must remove; (prefix, text, copies that must remain).
MUST_GO = [
    ("000", "Comments"),
    ("000", "Want to join the conversation?"),
    ("000", "Loading comments..."),
    ("001", "(Background: IG launched a paid “invisible peek at your ex’s Stories” subscription! "
            "Meta has started testing subscriber accounts)"),
    ("001", "(Additional context: Meta smart glasses face a federal class-action lawsuit—after allegations "
            "of privacy leaks, users have sued in court; what do lawyers think?)"),
    ("001", "Table of contents"),
    ("001", "Toggle"),
    ("004", "in"),
    ("004", "#AI #FutureTech #Innovation #Motivation #Wellness #TravelGoals #Foodie #DigitalArt "
            "#EntrepreneurLife #Mindfulness #SustainableLiving #TechTrends"),
    ("004", "What do you think?"),
    ("004", "Blood Rain: Stellar Blade's Slick Sequel Revealed"),
    ("004", "Blood Rain: Stellar Blade’s Slick Sequel Revealed"),
    ("004", "Reid Hoffman Leaves Microsoft Board; Goes 'Founder Mode' w/ Manus"),
    ("004", "Reid Hoffman Leaves Microsoft Board; Goes ‘Founder Mode’ w/ Manus"),
]
TITLES = [  # (document, title, copies left in the output)
    ("000", "Meta Unveils New A.I. Model, Its First From the Superintelligence Lab", 1),
    ("004", "Meta’s AI Push: Wang Calls Muse Spark ‘Appetizer’", 1),
]
# Lines that are not prose but are not boilerplate either: they may go (the category line is a
# tag list) or stay, and the test does not pin them.
NOT_PINNED = {("004", "Artificial Intelligence, Cloud, Cybersecurity")}


def _doc(folder: Path, prefix: str) -> Path:
    return next(folder.glob(f"{prefix}_*.txt"))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def seeds_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    config = Config()
    write(clean([SEEDS], config, out), out, config)
    return out


def test_seeds_are_the_shared_seeds() -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    assert read_tree(SEEDS) == read_tree(SHARED)


@pytest.mark.parametrize(("prefix", "line"), MUST_GO)
def test_boilerplate_is_gone(seeds_out: Path, prefix: str, line: str) -> None:
    assert line in _lines(_doc(SEEDS, prefix).read_text(encoding="utf-8")), "test data drifted"
    assert line not in _lines(_doc(seeds_out / "corpus", prefix).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("prefix", "title", "copies"), TITLES)
def test_repeated_title_keeps_one_copy(seeds_out: Path, prefix: str, title: str, copies: int) -> None:
    out_lines = _lines(_doc(seeds_out / "corpus", prefix).read_text(encoding="utf-8"))
    assert sum(1 for line in out_lines if fold(line) == fold(title)) == copies
    assert out_lines[0] == title, "the first copy (the real title) is the one kept"


def test_every_other_line_survives(seeds_out: Path) -> None:
    gone = set(MUST_GO) | NOT_PINNED
    for source in sorted(SEEDS.glob("*.txt")):
        prefix = source.name[:3]
        titles = {fold(t) for p, t, _ in TITLES if p == prefix}
        out_lines = _lines(_doc(seeds_out / "corpus", prefix).read_text(encoding="utf-8"))
        for line in _lines(source.read_text(encoding="utf-8")):
            if (prefix, line) in gone or fold(line) in titles:
                continue
            assert line in out_lines, f"{source.name}: content line lost: {line!r}"


def test_healthy_typography_is_kept(seeds_out: Path) -> None:
    text = _doc(seeds_out / "corpus", "000").read_text(encoding="utf-8")
    assert "closed‑source" in text  # non-breaking hyphen
    assert "Meta’s" in text and "“Watermelon,”" in text
    title = _doc(seeds_out / "corpus", "003").read_text(encoding="utf-8").splitlines()[0]
    assert title.endswith("AI-RTZ #1052")


def test_seeds_change_log_is_complete(seeds_out: Path) -> None:
    changes = [json.loads(line) for line in (seeds_out / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {c["kind"] for c in changes} == {"boilerplate"}
    assert all(c["rule"] and c["reason"] and c["id"] for c in changes)
    summary = json.loads((seeds_out / "summary.json").read_text(encoding="utf-8"))
    assert summary["documents"]["read"] == 5 and summary["documents"]["written"] == 5
    assert summary["changes"]["total"] == len(changes)
    removed = sum(len(c["text"]) for c in changes)
    assert summary["bytes"]["in"] - summary["bytes"]["out"] == sum(len(c["text"].encode()) for c in changes)
    assert removed > 0


def test_restore_rebuilds_the_seeds(seeds_out: Path, tmp_path: Path) -> None:
    restore(seeds_out, tmp_path / "restored")
    assert read_tree(tmp_path / "restored") == read_tree(SEEDS)


def test_second_run_changes_nothing(seeds_out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = clean([seeds_out / "corpus"], Config(), again)
    assert result.changes == ()
    write(result, again, Config())
    assert read_tree(again / "corpus") == read_tree(seeds_out / "corpus")


def test_committed_out_is_up_to_date(seeds_out: Path) -> None:
    """out/ is committed like a lock file: regenerate it with `dedup clean` when this fails."""
    assert OUT.is_dir(), "out/ is missing: run `dedup clean` and commit it"
    assert read_tree(seeds_out) == read_tree(OUT), "out/ is stale: run `dedup clean` and commit out/"


def test_same_input_same_output(seeds_out: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write(clean([SEEDS], Config(), other), other, Config())
    assert read_tree(other) == read_tree(seeds_out)
