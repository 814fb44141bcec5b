"""The report model and its renderers (unit level); the browser test is in test_report_browser.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEEDS, write_corpus

from dedup import Config, clean, write
from dedup.report import html, load, markdown, terminal


@pytest.fixture(scope="module")
def seeds_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    write(clean([SEEDS], Config()), out, Config())
    return out


def test_model_restores_originals_and_matches_the_log(seeds_out: Path) -> None:
    data = load(seeds_out)
    assert [d.doc for d in data.documents] == sorted(p.name for p in SEEDS.iterdir())
    log = [json.loads(line) for line in (seeds_out / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [c.id for c in data.changes] == [c["id"] for c in log]
    for doc in data.documents:
        original = (SEEDS / doc.doc).read_text(encoding="utf-8")
        assert doc.status in ("changed", "unchanged")
        assert doc.original is None if doc.status == "unchanged" else doc.original == original
        for change in doc.changes:
            assert original[change.start:change.end] == change.text


def test_markdown_summary(seeds_out: Path) -> None:
    text = markdown.render(load(seeds_out))
    summary = json.loads((seeds_out / "summary.json").read_text(encoding="utf-8"))
    assert f"{summary['documents']['read']} read" in text
    assert "| `tail-links` | 4 |" in text
    assert len(text.splitlines()) < 40


def test_terminal_diff_has_reasons_and_is_plain_without_colour(seeds_out: Path) -> None:
    lines = list(terminal.render(load(seeds_out), ["000_06b8e4ba7b91a7a8.txt"], colour=False))
    assert lines[0] == "diff --dedup a/000_06b8e4ba7b91a7a8.txt b/000_06b8e4ba7b91a7a8.txt"
    assert any(line.startswith("@@ ") and "comment-widget" in line for line in lines)
    assert "-Loading comments..." in lines
    assert any(line.startswith("# ") for line in lines)
    assert not any("\x1b[" in line for line in lines)
    coloured = list(terminal.render(load(seeds_out), ["000_06b8e4ba7b91a7a8.txt"], colour=True))
    assert any("\x1b[31m-Loading comments..." in line for line in coloured)


def test_colour_follows_no_color_and_force_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert terminal.use_colour(True) and not terminal.use_colour(False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal.use_colour(True)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert terminal.use_colour(False)


def test_html_is_self_contained(seeds_out: Path) -> None:
    page = (seeds_out / "report.html").read_text(encoding="utf-8")
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page
    assert "<link" not in page and "src=" not in page.split("<script id=\"dedup-data\"")[0]


def test_hostile_text_cannot_break_out_of_the_data_block(tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script> <img src=x onerror=alert(2)> &amp; \u2028"
    root = write_corpus(tmp_path / "in", {"x.txt": f"A title\n{evil} is a line of prose that goes on for a while.\n"
                                                   "Comments\n"})
    out = tmp_path / "out"
    write(clean([root], Config()), out, Config())
    page = (out / "report.html").read_text(encoding="utf-8")
    data_block = page.split('<script id="dedup-data" type="application/json">')[1].split("</script>")[0]
    assert "<" not in data_block and ">" not in data_block
    assert json.loads(data_block)["docs"][0]["t"].count("</script>") == 2
    assert html.embed_json("</script>") == '"\\u003c/script\\u003e"'


def test_dropped_document_in_the_report(tmp_path: Path) -> None:
    para = ("Meta has officially unveiled Muse Spark, its latest artificial intelligence model, and the company "
            "says it is the first of many.")
    root = write_corpus(tmp_path / "in", {"a.txt": f"A\n{para}\n", "b.txt": f"B\n{para}\n"})
    out = tmp_path / "out"
    write(clean([root], Config()), out, Config())
    b = next(d for d in load(out).documents if d.doc == "b.txt")
    assert b.status == "dropped" and b.original == f"B\n{para}\n"
    assert "dropped" in markdown.render(load(out))
