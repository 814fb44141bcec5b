"""How big report.html gets and how fast it becomes usable, on a generated corpus.

    python benchmarks/report.py [--documents 10000]   # needs the test extras and Debian's chromium

Cleans a generated corpus, then opens OUT/report.html from disk in headless Chromium and times:
load until the page is interactive, opening one document, and a search over all changes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_corpus

from dedup import Config, clean, write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/dedup-report-bench"))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or sys.exit("chromium is not installed")
    from playwright.sync_api import expect, sync_playwright

    shutil.rmtree(args.work, ignore_errors=True)
    make_corpus(args.work / "corpus", args.documents)
    out = args.work / "out"
    start = time.perf_counter()
    result = clean([args.work / "corpus"], Config())
    write(result, out, Config())
    cleaned = time.perf_counter() - start
    size = (out / "report.html").stat().st_size
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        start = time.perf_counter()
        page.goto((out / "report.html").as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        ready = time.perf_counter() - start
        start = time.perf_counter()
        page.click("[data-doc]")
        page.wait_for_selector("[data-testid=doc-text] [data-change-id]")
        opened = time.perf_counter() - start
        start = time.perf_counter()
        page.fill("[data-testid=search]", "newsletter")
        expect(page.locator("[data-doc]").first).to_be_visible()
        page.wait_for_timeout(200)  # the search box waits 150 ms for typing to stop
        searched = time.perf_counter() - start - 0.2
        browser.close()
    print(f"corpus: {args.documents} documents, {len(result.changes)} changes; clean + write: {cleaned:.1f} s")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| report.html size | {size / 1e6:.1f} MB |")
    print(f"| load from disk until interactive | {ready:.2f} s |")
    print(f"| open one document | {opened:.2f} s |")
    print(f"| search all changes ('newsletter') | {max(searched, 0):.2f} s |")


if __name__ == "__main__":
    main()
