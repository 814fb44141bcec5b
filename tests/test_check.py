"""`dedup check`: findings per file, duplicates against the whole corpus, --fix, accepting, the cache."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SEEDS, write_corpus

from dedup import Config, clean
from dedup.cache import cache_folder
from dedup.check import check, render
from dedup.config import AcceptConfig

P1 = ("Meta has officially unveiled Muse Spark, its latest artificial intelligence model, and the company "
      "says it is the first of many to come from its new laboratory.")
P2 = ("Investors cheered the announcement, sending shares of the company up four percent in early trading "
      "on Thursday morning in New York.")
P3 = "The weather in Paris was mild for the season, and the river rose a little after a week of rain upstream."


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", {"a.txt": f"Title A\n{P1}\n{P2}\n", "b.txt": f"Title B\n{P3}\n"})


def test_clean_file_passes(corpus: Path) -> None:
    new = write_corpus(corpus, {"new.txt": "A New Title\nSomething entirely new was said today about the harbour "
                                           "and its boats, which nobody had written about before.\n"}) / "new.txt"
    report = check([new], corpus, Config())
    assert report.findings == ()


def test_widget_is_flagged_with_rule_and_line(corpus: Path) -> None:
    new = write_corpus(corpus, {"new.txt": f"New Title\n{P3.replace('Paris', 'Lyon')} Yes.\nComments\n"}) / "new.txt"
    report = check([new], corpus, Config())
    (finding,) = [f for f in report.findings if f.kind == "boilerplate"]
    assert finding.rule == "comment-widget" and finding.line == 3
    assert "new.txt:3: boilerplate [comment-widget]" in render(report, "text")


def test_duplicate_of_an_unchecked_document(corpus: Path) -> None:
    new = write_corpus(corpus, {"0new.txt": f"Other Title\n{P1}\nA fresh closing line for this one, with words.\n"})
    report = check([new / "0new.txt"], corpus, Config())
    (finding,) = report.findings
    assert finding.kind == "duplicate" and finding.duplicate_of is not None
    assert finding.duplicate_of.endswith("a.txt") and finding.duplicate_line == 2
    assert finding.similarity == 1.0
    # existing documents win even though 0new.txt sorts first
    assert "duplicate of" in finding.message()


def test_whole_document_duplicate(corpus: Path) -> None:
    new = write_corpus(corpus, {"copy.txt": f"Copied Title\n{P1}\n{P2}\n"}) / "copy.txt"
    (finding,) = check([new], corpus, Config()).findings
    assert finding.kind == "document-duplicate" and finding.duplicate_of and finding.duplicate_of.endswith("a.txt")


def test_fix_rewrites_logs_and_then_passes(corpus: Path) -> None:
    text = f"New Title\n{P1}\nSomething entirely new was said today about the harbour and its boats.\nComments\n"
    new = write_corpus(corpus, {"new.txt": text}) / "new.txt"
    report = check([new], corpus, Config(), fix=True)
    assert report.fixed and len(report.findings) == 2
    assert new.read_text(encoding="utf-8") == ("New Title\nSomething entirely new was said today about the harbour "
                                                "and its boats.\n")
    log = [json.loads(line) for line in (corpus / ".dedup" / "fixes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {c["kind"] for c in log} == {"duplicate", "boilerplate"}
    assert "".join(c["text"] for c in log if c["kind"] == "duplicate").strip() == P1
    assert check([new], corpus, Config()).findings == ()


def test_fix_leaves_a_line_break_where_a_removal_would_join_two_lines(corpus: Path) -> None:
    """The hook's --fix edits with the cleaner's own removal spans: a duplicate removed from between
    a line without closing punctuation and one starting in lower case leaves a blank line, so the
    fixed file does not read as one hard-wrapped paragraph it never had, and it restores."""
    from dedup.changes import from_json, invert

    opening = "Here is what the company told reporters on the phone"
    text = f"New Title\n{opening}\n{P1}\nand nobody else had heard it before that afternoon.\n"
    new = write_corpus(corpus, {"new.txt": text}) / "new.txt"
    report = check([new], corpus, Config(), fix=True)
    assert report.fixed and [f.kind for f in report.findings] == ["duplicate"]
    fixed = new.read_text(encoding="utf-8")
    assert fixed == f"New Title\n{opening}\n\nand nobody else had heard it before that afternoon.\n"
    log = [from_json(json.loads(line), "fixes.jsonl")
           for line in (corpus / ".dedup" / "fixes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert invert(fixed, log) == text
    assert check([new], corpus, Config()).findings == ()


def test_accepted_findings_pass(corpus: Path) -> None:
    new = write_corpus(corpus, {"new.txt": "New Title\nA council meeting ran late into the night as residents "
                                           "argued over the new bridge and its cost.\nComments\n"}) / "new.txt"
    (finding,) = check([new], corpus, Config()).findings
    by_id = Config(accept=AcceptConfig(ids=(finding.id,)))
    assert check([new], corpus, by_id).findings == ()
    by_pattern = Config(accept=AcceptConfig(patterns=(r"^comments$",)))
    assert check([new], corpus, by_pattern).findings == ()


def test_warm_and_cold_runs_agree_and_corruption_is_rebuilt(corpus: Path) -> None:
    new = write_corpus(corpus, {"new.txt": f"T\n{P1}\n{P3} Again.\nShare this article\n"}) / "new.txt"
    cold = check([new], corpus, Config())
    assert cold.cache == "cold"
    warm = check([new], corpus, Config())
    assert warm.cache == "warm" and warm.findings == cold.findings
    for name in ("delta.sig", "base.sig"):
        path = cache_folder(corpus) / name
        if path.exists():
            data = bytearray(path.read_bytes())
            data[-5] ^= 0xFF
            path.write_bytes(bytes(data))
    rebuilt = check([new], corpus, Config())
    assert rebuilt.cache.startswith("rebuilt") and rebuilt.findings == cold.findings
    assert check([new], corpus, Config()).cache == "warm"


def test_parameter_change_invalidates_the_cache(corpus: Path) -> None:
    new = write_corpus(corpus, {"new.txt": f"T\n{P1}\n"}) / "new.txt"
    check([new], corpus, Config())
    other = replace(Config(), neardup=replace(Config().neardup, threshold=0.9))
    assert check([new], corpus, other).cache.startswith("rebuilt")


def test_cache_ignores_itself_for_git(corpus: Path) -> None:
    check([], corpus, Config())
    assert (cache_folder(corpus) / ".gitignore").read_text(encoding="utf-8").strip().endswith("*")


def test_check_agrees_with_clean_on_the_seeds(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    report = check([], seeds, Config())
    result = clean([seeds], Config())
    assert sorted(f.id for f in report.findings) == sorted(c.id for c in result.changes)


def test_check_agrees_with_clean_on_duplicates(corpus: Path) -> None:
    write_corpus(corpus, {"c.txt": f"Title C\n{P2}\n{P3}\nA closing line that is its own and nobody else's.\n",
                          "d.txt": f"Title D\n{P1.replace('first', 'very first')}\nAnother line that is new here.\n"})
    report = check([], corpus, Config())
    result = clean([corpus], Config())
    assert sorted(f.id for f in report.findings) == sorted(c.id for c in result.changes)


def test_concurrent_checks_keep_a_valid_cache(corpus: Path) -> None:
    files = {f"n{i}.txt": f"Title {i}\n{P1} Number {i} of many, said the editor today.\n" for i in range(6)}
    write_corpus(corpus, files)
    code = (f"import sys; from pathlib import Path; from dedup.check import check; from dedup import Config; "
            f"check([], Path({str(corpus)!r}), Config())")
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert check([], corpus, Config()).cache == "warm"


def test_cli_exit_codes_and_formats(corpus: Path) -> None:
    from click.testing import CliRunner

    from dedup.cli import main

    write_corpus(corpus, {"new.txt": f"New\n{P3} More words.\nLoading comments...\n"})
    runner = CliRunner()
    ok = runner.invoke(main, ["check", "--root", str(corpus), str(corpus / "a.txt")])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["check", "--root", str(corpus), str(corpus / "new.txt"), "--format", "json"])
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert data["findings"][0]["rule"] == "comment-widget"
    gh = runner.invoke(main, ["check", "--root", str(corpus), str(corpus / "new.txt"), "--format", "github"])
    assert gh.stdout.startswith("::error file=") and "title=dedup boilerplate comment-widget" in gh.stdout


def test_whole_document_near_duplicate_agrees_with_clean(tmp_path: Path) -> None:
    import random

    rng = random.Random(11)
    vocab = [f"word{i}" for i in range(3000)]
    paragraphs = [" ".join(rng.sample(vocab, 40)) + "." for _ in range(20)]
    edited = list(paragraphs)
    for k in (3, 9, 15):
        words = edited[k].split()
        edited[k] = " ".join(words[:17] + [f"new{k}_{j}" for j in range(6)] + words[23:])
    root = write_corpus(tmp_path / "c", {"a.txt": "\n".join(paragraphs) + "\n", "b.txt": "\n".join(edited) + "\n"})
    report = check([root / "b.txt"], root, Config())
    (finding,) = report.findings
    assert finding.kind == "document-duplicate" and finding.duplicate_of and finding.duplicate_of.endswith("a.txt")
    result = clean([root], Config())
    assert [c.id for c in result.changes] == [finding.id]
    assert check([root / "b.txt"], root, Config()).findings == report.findings  # warm cache agrees
