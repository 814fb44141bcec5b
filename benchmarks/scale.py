"""How `dedup clean` scales: throughput and peak memory on 10k, 100k, 1M planted documents.

    python benchmarks/scale.py [--sizes 10000,100000,1000000] [--jobs 2] [--work /tmp/dedup-scale]

Each size is a planted corpus (``planted.py``: real prose, JSONL shards of 10,000 documents, about
4.8 KB each), generated once into ``WORK/corpus-N`` and reused. The run is the real command,
``dedup clean WORK/corpus-N --include 'part-*.jsonl' -o WORK/out-N -q --no-report -j JOBS``, in its
own session; a sampler adds up the resident memory of every process of that session (the main
process and its workers) ten times a second, so "peak RSS" is what the machine had to hold, not
one process's share; "CPU s" is the user and system time of all of them (steadier than wall time on a
shared machine). Prints a Markdown table and the scaling exponent k of time ∝ documents^k
(least squares on the log-log points; 1.0 is linear), and the machine's speed before and after
(``machine.py``: figures from hours whose speeds differ are not comparable).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PAGE = os.sysconf("SC_PAGE_SIZE")


def session_rss(sid: int) -> int:
    """Bytes resident in all processes of session ``sid`` (read from /proc)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if int(fields[3]) != sid:  # field 6 of stat: the session id
                continue
            with open(f"/proc/{entry.name}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(args: list[str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds, peak summed RSS (bytes) and exit status of a command run in its
    own session.

    CPU seconds are user plus system time of the command and every process it waited for (its
    workers): on a shared machine whose speed drifts, the work a run did varies less than its wall
    time, and the two together say how busy the cores were."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, session_rss(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    done.set()
    sampler.join()
    if proc.returncode not in (0, 2):
        sys.stderr.write(err.decode("utf-8", "replace"))
    return elapsed, cpu, peak, proc.returncode


def corpus(work: Path, documents: int) -> Path:
    import planted

    folder = work / f"corpus-{documents}"
    if planted.current(folder, documents) is None:
        subprocess.run([sys.executable, str(HERE / "planted.py"), str(folder), "--documents", str(documents)],
                       check=True, stdout=subprocess.DEVNULL)
    return folder


def exponent(points: list[tuple[int, float]]) -> float | None:
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--work", type=Path, default=Path("/tmp/dedup-scale"))
    args = parser.parse_args()
    from machine import loop_seconds, machine_line

    dedup = str(Path(sys.executable).with_name("dedup"))
    before = loop_seconds()
    rows = []
    points = []
    for size in (int(s) for s in args.sizes.split(",")):
        folder = corpus(args.work, size)
        manifest = json.loads((folder / "manifest.json").read_text())
        megabytes = manifest["text_bytes"] / 1e6
        out = args.work / f"out-{size}"
        elapsed, cpu, peak, code = measure([dedup, "clean", str(folder), "--include", "part-*.jsonl", "-o", str(out),
                                            "-q", "--no-report", "-j", str(args.jobs)])
        summary = json.loads((out / "summary.json").read_text()) if code in (0, 2) else {}
        docs = summary.get("documents", {})
        points.append((size, elapsed))
        rows.append(f"| {size:,} | {megabytes:,.0f} | {args.jobs} | {elapsed:,.1f} | {size / elapsed:,.0f} | "
                    f"{size / elapsed / args.jobs:,.0f} | {megabytes / elapsed:,.1f} | {cpu:,.1f} | "
                    f"{cpu / size * 1e6:,.0f} | {cpu / elapsed:.2f} | {peak / 2**30:.2f} | "
                    f"{docs.get('dropped', '?'):,} | {code} |")
        print(rows[-1], file=sys.stderr, flush=True)
    print("| documents | MB of text | jobs | wall s | docs/s | docs/s per core | MB/s | CPU s (all processes) | "
          "CPU us per document | cores busy | peak RSS GiB (all processes) | dropped as duplicates | exit |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    k = exponent(points)
    if k is not None:
        print(f"\nscaling exponent (time ∝ documents^k): k = {k:.2f}")
    print(f"\n{machine_line(before, loop_seconds())}")


if __name__ == "__main__":
    main()
