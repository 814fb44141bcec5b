"""Deterministic benchmark corpora built from real prose.

Prose comes from the gold article bodies of ``../shared/data/web-articles-dev`` when that folder is
there (read by path, never copied), so rules and shingles see real sentences; otherwise from a
fixed word list, so the benchmark still runs anywhere. Every document gets a few site widgets, and
a share of documents repeat a paragraph of another (syndication), so the duplicate stage has work.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "web-articles-dev" / "pages.jsonl"
WIDGETS = ["Comments", "Share this article", "Sign up for our newsletter", "Advertisement", "Related Articles",
           "Loading comments...", "What do you think?", "#AI #Tech #News"]


def paragraphs(data: Path = DEFAULT_DATA) -> list[str]:
    if data.is_file():
        with data.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
        found = [p.strip() for r in rows for p in r["gold_body"].split("\n") if len(p.split()) >= 12]
        if found:
            return found
    rng = random.Random(0)
    words = ["model", "data", "market", "launch", "team", "research", "users", "growth", "policy", "city",
             "river", "council", "energy", "school", "health", "price", "vote", "court", "film", "music",
             "season", "league", "report", "study"]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(15, 60))).capitalize() + "." for _ in range(3000)]


def make_corpus(root: Path, documents: int, seed: int = 7, size: int = 5000) -> list[Path]:
    """Write ``documents`` files of about ``size`` characters under ``root``; returns their paths."""
    rng = random.Random(seed)
    pool = paragraphs()
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(documents):
        body: list[str] = [f"Report {i}: {' '.join(rng.choice(pool).split()[:8])}"]
        while sum(len(p) for p in body) < size:
            para = rng.choice(pool)
            words = para.split()
            rng.shuffle(words)  # a fresh paragraph from real words, so documents are not copies
            body.append(" ".join(words))
        if i % 10 == 3:
            body.insert(2, pool[i % len(pool)])  # syndicated passage shared with other documents
        body.extend(rng.sample(WIDGETS, 2))
        path = root / f"{i // 1000:03d}" / f"doc{i:06d}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
