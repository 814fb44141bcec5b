"""Regenerate docs/report.png (the README's screenshot) from the seeds' report.

    python docs/screenshot.py   # needs the test extras and Debian's chromium
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from dedup import Config, clean, write

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    chromium = shutil.which("chromium") or sys.exit("chromium is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        write(clean([ROOT / "seeds"], Config()), out, Config())
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1300, "height": 760})
            page.goto((out / "report.html").as_uri())
            page.click("[data-doc='004_b3c88c3a39b6a40b.txt']")
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.screenshot(path=str(ROOT / "docs" / "report.png"))
            browser.close()


if __name__ == "__main__":
    main()
