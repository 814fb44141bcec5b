"""The Spark engine beside the local one: same corpus, same machine, identical output?

    python benchmarks/spark.py [--sizes 100000] [--master local[2]] [--jobs 2] [--work /tmp/dedup-scale]
    python benchmarks/spark.py --rounds          # connected-component rounds on synthetic graphs

For each size, the planted corpus of ``scale.py`` (real prose, JSONL shards of 10,000 documents) is
cleaned twice with the real command: ``dedup clean ... -j JOBS`` and ``dedup clean ... --engine
spark --spark-master MASTER``, each in its own session with the resident memory of all its
processes (Python workers and the JVM included) summed ten times a second. The two ``OUT`` folders
are compared file by file. Spark's event log gives the bytes every shuffle wrote.

``--rounds`` measures how many large-star/small-star rounds :func:`dedup.spark.cluster_labels`
needs on graphs shaped like near-duplicate clusters (many small clusters, a few long chains and
one hub), the figure that, with shuffle bytes, sizes a cluster.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale import corpus, measure  # noqa: E402


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def shuffle_bytes(events: Path) -> tuple[int, int]:
    """Bytes written by all shuffles, and the number of stages, from a Spark event log folder."""
    written = stages = 0
    for log in (p for p in events.rglob("*") if p.is_file()):
        with log.open(encoding="utf-8") as fh:
            for line in fh:
                event = json.loads(line)
                if event.get("Event") == "SparkListenerTaskEnd":
                    metrics = event.get("Task Metrics") or {}
                    written += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
                elif event.get("Event") == "SparkListenerStageCompleted":
                    stages += 1
    return written, stages


def compare(args: argparse.Namespace) -> None:
    dedup = str(Path(sys.executable).with_name("dedup"))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        folder = corpus(args.work, size)
        common = [dedup, "clean", str(folder), "--include", "part-*.jsonl", "-q", "--no-report"]
        local_out, spark_out, events = (args.work / f"{kind}-{size}" for kind in ("out", "spark-out", "events"))
        events.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(events)
        events.mkdir()
        local = measure([*common, "-o", str(local_out), "-j", str(args.jobs)])
        spark = measure([*common, "-o", str(spark_out), "--engine", "spark", "--spark-master", args.master,
                         "--spark-conf", "spark.eventLog.enabled=true",
                         "--spark-conf", f"spark.eventLog.dir={events.as_uri()}",
                         "--spark-conf", "spark.eventLog.rolling.enabled=false",
                         "--spark-conf", "spark.eventLog.compress=false",
                         "--spark-conf", f"spark.driver.memory={args.driver_memory}",
                         "--spark-conf", "spark.ui.enabled=false"])
        same = local[2] == spark[2] and digest(local_out) == digest(spark_out)
        written, stages = shuffle_bytes(events)
        rows.append(f"| {size:,} | {local[0]:,.1f} | {local[1] / 2**30:.2f} | {spark[0]:,.1f} | "
                    f"{spark[1] / 2**30:.2f} | {spark[0] / local[0]:.2f}× | {written / 2**20:,.0f} | {stages} | "
                    f"{'yes' if same else 'NO'} |")
        print(rows[-1], file=sys.stderr, flush=True)
    print(f"| documents | local -j {args.jobs}: wall s | local peak RSS GiB | Spark {args.master}: wall s | "
          "Spark peak RSS GiB | Spark / local | shuffle written MiB | stages | identical output |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    print("\n".join(rows))


def graph(nodes: int, rng: random.Random) -> list[tuple[int, int]]:
    """Near-duplicate-shaped edges: 10 % of nodes in clusters of 2-8 (random trees), 1 % in
    chains of 100 (an edit trail), and one hub linked to 0.5 % of the nodes (a hot passage)."""
    order = list(range(nodes))
    rng.shuffle(order)
    edges: list[tuple[int, int]] = []
    at = 0
    while at < nodes // 10:
        size = rng.randint(2, 8)
        members = order[at:at + size]
        edges += [(members[rng.randrange(i)], members[i]) for i in range(1, len(members))]
        at += size
    for _ in range(max(1, nodes // 10_000)):
        chain = order[at:at + 100]
        edges += list(pairwise(chain))
        at += 100
    hub = order[at]
    edges += [(hub, order[at + 1 + i]) for i in range(nodes // 200)]
    return [(min(a, b), max(a, b)) for a, b in edges]


def rounds(args: argparse.Namespace) -> None:
    from dedup.spark import cluster_labels, session

    print("| nodes | edges | components | rounds |")
    print("|---:|---:|---:|---:|")
    with session(args.master, ["spark.ui.enabled=false", "spark.sql.shuffle.partitions=8"], quiet=True) as spark:
        for nodes in (10_000, 100_000, 1_000_000):
            edges = graph(nodes, random.Random(nodes))
            frame = spark.createDataFrame(edges, "a long, b long")
            found: list[int] = []
            labels = cluster_labels(spark, frame, rounds=found)
            count = labels.select("label").distinct().count()
            print(f"| {nodes:,} | {len(edges):,} | {count:,} | {found[0]} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dedup-scale"))
    parser.add_argument("--rounds", action="store_true", help="measure connected-component rounds instead")
    args = parser.parse_args()
    rounds(args) if args.rounds else compare(args)


if __name__ == "__main__":
    main()
