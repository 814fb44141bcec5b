"""report.html in real headless Chromium (Debian's package, driven by Playwright): overview numbers,
highlighted removals, the keep → export → clean round trip, and hostile corpus text.

Skips, with the reason, only where Chromium or Playwright is not installed; `.ci/run` installs both.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS, read_tree, write_corpus

from dedup import Config, clean, write
from dedup.config import merge_accept

CHROMIUM = os.environ.get("DEDUP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def open_report(browser: Any, out: Path) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((out / "report.html").as_uri())
    page.wait_for_selector("body[data-ready=true]")
    page.errors, page.dialogs = errors, dialogs
    return page


def test_review_round_trip_on_the_seeds(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(clean([SEEDS], Config()), out, Config())
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    log = [json.loads(line) for line in (out / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    page = open_report(browser, out)

    def stat(key: str) -> int:
        return int(page.inner_text(f"[data-stat={key}]").replace(",", ""))

    assert stat("read") == summary["documents"]["read"]
    assert stat("changed") == summary["documents"]["changed"]
    assert stat("dropped") == summary["documents"]["dropped"]
    assert stat("bytes-in") == summary["bytes"]["in"] and stat("bytes-out") == summary["bytes"]["out"]
    assert stat("changes") == summary["changes"]["total"]
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    doc = "004_b3c88c3a39b6a40b.txt"
    page.click(f"[data-doc='{doc}']")
    page.wait_for_selector("[data-testid=doc-title]")
    assert page.inner_text("[data-testid=doc-title]") == doc
    shown = page.eval_on_selector_all(
        "[data-change-id]",
        "els => els.map(e => [e.dataset.changeId, e.dataset.rule, e.querySelector('mark').textContent])")
    expected = [[c["id"], c["rule"], c["text"]] for c in log if c["doc"] == doc]
    assert shown == expected
    page.screenshot(path=str(tmp_path / "document.png"), full_page=False)

    target = next(c for c in log if c["doc"] == doc and c["text"].strip() == "What do you think?")
    page.click(f"button[data-keep='{target['id']}']")
    assert page.inner_text("[data-testid=kept-count]") == "1 kept"
    page.click("#export")
    exported = page.input_value("[data-testid=export-text]")
    with page.expect_download() as download:
        page.click("#download")
    review = tmp_path / "review.toml"
    download.value.save_as(str(review))
    assert review.read_text(encoding="utf-8") == exported and target["id"] in exported
    page.screenshot(path=str(tmp_path / "export.png"))
    assert page.errors == [] and page.dialogs == []

    config = merge_accept(Config(), review)
    again = tmp_path / "again"
    write(clean([SEEDS], config), again, config)
    cleaned = read_tree(again / "corpus")[doc].decode("utf-8")
    assert "What do you think?" in cleaned.splitlines()
    assert "Blood Rain: Stellar Blade's Slick Sequel Revealed" not in cleaned


def test_filters_and_search(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(clean([SEEDS], Config()), out, Config())
    page = open_report(browser, out)
    page.select_option("[data-testid=rule-filter]", "toc-header")
    assert page.eval_on_selector_all("[data-doc]", "els => els.map(e => e.dataset.doc)") == ["001_9bdf0e0193ba0509.txt"]
    page.select_option("[data-testid=rule-filter]", "")
    page.fill("[data-testid=search]", "loading comments")
    from playwright.sync_api import expect

    expect(page.locator("[data-doc]")).to_have_count(1)
    assert page.inner_text("[data-doc]").startswith("000_")


def test_hostile_corpus_runs_nothing(browser: Any, tmp_path: Path) -> None:
    evil_name = "<svg onload=alert(1)>.txt"
    evil = ("<script>alert('x')</script> <img src=x onerror=alert(2)> </textarea> "
            "<a href=\"javascript:alert(3)\">link</a> and then a normal sentence that continues.")
    root = write_corpus(tmp_path / "in", {evil_name: f"Title\n{evil}\nComments\n", "b.txt": f"B\n{evil}\n"})
    out = tmp_path / "out"
    write(clean([root], Config()), out, Config())
    page = open_report(browser, out)
    page.click("#tab-documents")
    page.click(f"[data-doc='{evil_name}']")
    assert page.inner_text("[data-testid=doc-title]") == evil_name
    assert "<script>alert('x')</script>" in page.inner_text("[data-testid=doc-text]")
    assert page.query_selector("[data-testid=doc-text] img") is None
    assert page.query_selector("[data-testid=doc-text] script") is None
    assert page.errors == [] and page.dialogs == []
