"""Benchmark the pre-commit check: cold run on N documents, then warm runs adding one document.

    python benchmarks/hook.py [--documents 10000] [--work /tmp/dedup-hook-bench]

Each run is the real command (`dedup check FILE --root ROOT`) in a subprocess, timed by wall clock,
with its peak memory (max RSS) read from the kernel. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_corpus

NEW = ("A council meeting ran late into the night as residents argued over the new bridge, its cost and "
       "the years of roadworks it would bring to the old town.\nComments\n")


def timed(args: list[str]) -> tuple[float, float, int]:
    """Wall time, peak RSS (MiB) of that one process, and its exit status."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed with status {code}")
    return wall, usage.ru_maxrss / 1024, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/dedup-hook-bench"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    root = args.work / "corpus"
    paths = make_corpus(root, args.documents)
    size = sum(p.stat().st_size for p in paths)
    dedup = [sys.executable, "-m", "dedup.cli", "check", "--root", str(root)]

    cold, cold_rss, _ = timed([*dedup, str(paths[0])])
    same = [timed([*dedup, str(paths[0])]) for _ in range(args.repeat)]
    warm_same = [w for w, _, _ in same]
    warm_new = []
    rss_new = 0.0
    for k in range(args.repeat):
        new = root / f"new{k}.txt"
        new.write_text(NEW.replace("bridge", f"bridge number {k}"), encoding="utf-8")
        wall, rss_new, code = timed([*dedup, str(new)])
        assert code == 1, "the new document has a widget and must be flagged"
        warm_new.append(wall)
    best_new = statistics.median(warm_new)
    print(f"corpus: {args.documents} documents, {size / 1e6:.1f} MB; {len(os.sched_getaffinity(0))} cores; "
          f"cache {sum(p.stat().st_size for p in (root / '.dedup' / 'cache').glob('*.sig')) / 1e6:.0f} MB")
    print()
    print("| run | wall time (s) | peak RSS (MiB) | vs cold |")
    print("|---|---|---|---|")
    print(f"| cold: empty cache, check 1 document against {args.documents} | {cold:.2f} | {cold_rss:.0f} | 100 % |")
    print(f"| warm: check 1 cached document (median of {args.repeat}) | {statistics.median(warm_same):.2f} | "
          f"{max(r for _, r, _ in same):.0f} | {100 * statistics.median(warm_same) / cold:.1f} % |")
    print(f"| warm: add and check 1 new document (median of {args.repeat}) | {best_new:.2f} | {rss_new:.0f} | "
          f"{100 * best_new / cold:.1f} % |")


if __name__ == "__main__":
    main()
