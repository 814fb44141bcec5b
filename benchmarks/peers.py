"""dedup against its peers on one planted corpus: speed, memory, and pair precision / recall.

    python benchmarks/peers.py --documents 10000 [--tools ours,floor,rensa,...] [--rounds N] [--work DIR]

This is a measurement, not a timed test: it prints a Markdown table and writes
``WORK/results-<N>.json``. Every tool runs in its own subprocess pinned to one core
(``os.sched_setaffinity``) on the same corpus (``planted.py``), with word 5-grams, 128
permutations and threshold 0.8. Peers use the banding their own defaults pick for that threshold
(``MinHashLSH(threshold=0.8, num_perm=128)`` takes 9 bands × 13 rows), because what a user gets by
default is the point of the comparison; dedup chooses bands for 0.99 recall at the threshold and
verifies every candidate exactly.

Measured per tool: the work time inside the subprocess (reading the shards to knowing the duplicate
pairs; imports excluded, except for ``ours-e2e``, which is the whole CLI run), docs/s and MB/s of
document text over that time, and peak RSS of the subprocess and its children (``os.wait4``), with
the machine loop (``machine.py``) measured just before the tool ran. With ``--rounds N`` every tool
runs N times in rotated order and keeps its fastest run (:func:`run_rounds`).
Each tool writes the document pairs it flags; datatrove, which outputs clusters, is scored on every
pair inside a cluster; so is the CLI, whose removals (removed document → the kept copy it names)
link documents into clusters. Precision is the
share of flagged pairs whose exact Jaccard is at least the threshold; recall is the share of such
pairs that were flagged.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import combinations, pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

NGRAM, NUM_PERM, THRESHOLD = 5, 128, 0.8
DATASKETCH_BANDS = (9, 13)  # what MinHashLSH(threshold=0.8, num_perm=128) picks; datatrove gets it too
RENSA_BANDS = 8  # rensa's README benchmark at 0.8 / 128 (RMinHashLSH needs num_perm % num_bands == 0)
TOOLS = ("floor-tokenize", "floor", "ours", "ours-e2e", "rensa", "datasketch-bulk", "datasketch-naive", "datatrove",
         "text-dedup")
#: docs/s on a 2-core machine from the issue: used to say how long a skipped slow peer would take
#: when no smaller run of this script has measured it.
REFERENCE_RATE = {"datasketch-naive": 95.0, "datatrove": 54.0, "datasketch-bulk": 460.0, "text-dedup": 250.0}
SLOW = ("datasketch-naive", "datatrove")
NOT_INSTALLABLE = {
    "text-dedup": "not run: text-dedup 0.4.0 (latest on PyPI) requires pyspark, unisim and urllib3<=2.0, "
                  "which conflicts with datatrove's dependencies; not installed",
}
_WORD = re.compile(r"\w+")


# ---- the corpus, as every library tool reads it ----------------------------------------------

def read_docs(corpus: Path) -> Iterator[tuple[int, str]]:
    """(id, text) of every document, shard by shard: the reading every in-process tool pays for."""
    for shard in sorted(corpus.glob("part-*.jsonl")):
        with shard.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                yield row["id"], row["text"]


def shingle_list(text: str) -> list[str]:
    """Word 5-gram shingles (distinct, as strings) with the corpus's tokenisation: lowercase, ``\\w+``."""
    toks = _WORD.findall(text.lower())
    if len(toks) <= NGRAM:
        return [" ".join(toks)] if toks else []
    return list({" ".join(toks[i:i + NGRAM]) for i in range(len(toks) - NGRAM + 1)})


# ---- the tools: each returns the flagged pairs (or clusters) -----------------------------------

Pairs = list[tuple[int, int]]


def run_floor_tokenize(corpus: Path, work: Path) -> Pairs:
    """Lower bound for any tool: read the shards and tokenise."""
    for _, text in read_docs(corpus):
        _WORD.findall(text.lower())
    return []


def run_floor(corpus: Path, work: Path) -> Pairs:
    """Lower bound for a Python MinHash tool: read, tokenise and build the 5-gram shingle sets."""
    for _, text in read_docs(corpus):
        shingle_list(text)
    return []


def ours_neardup(texts: Iterable[str]) -> Pairs:
    """dedup's near-duplicate stage at document level: fold, sign, LSH by sorted band keys, and an
    exact Jaccard check of every candidate. Kept in one function so it is easy to follow the
    internals if they move (their signatures are stable).

    Texts are folded line by line, as dedup folds passages: ``fold`` memoises its input, so whole
    documents would fill its cache with 65,536 document-sized strings. Only the folded keys are kept;
    shingle sets are rebuilt for candidates through a small cache (candidates come sorted)."""
    from functools import lru_cache

    import numpy as np

    from dedup.config import NeardupConfig
    from dedup.neardup import _candidate_pairs_sorted, choose_bands, jaccard, signature_rows, word_shingles
    from dedup.normalize import fold

    config = NeardupConfig(ngram=NGRAM, threshold=THRESHOLD, num_perm=NUM_PERM)
    bands, rows_per_band = choose_bands(config.threshold, config.num_perm, config.target_recall)
    keys = ["\n".join(fold(line) for line in text.splitlines()) for text in texts]
    rows = np.concatenate([signature_rows(keys[lo:lo + 2000], "word", config) for lo in range(0, len(keys), 2000)])
    shingles = lru_cache(maxsize=1024)(lambda i: word_shingles(keys[i], config.ngram))
    return [(i, j) for i, j in _candidate_pairs_sorted(rows, bands, rows_per_band)
            if jaccard(shingles(i), shingles(j)) >= config.threshold]


def run_ours(corpus: Path, work: Path) -> Pairs:
    ids: list[int] = []

    def texts() -> Iterator[str]:
        for doc, text in read_docs(corpus):
            ids.append(doc)
            yield text

    return [(ids[i], ids[j]) for i, j in ours_neardup(texts())]


def run_rensa(corpus: Path, work: Path) -> Pairs:
    """rensa's R-MinHash per document and its LSH index (query before insert: pairs with earlier
    documents). ``RMinHashLSH`` takes no default banding and needs bands dividing ``num_perm``, so
    9 × 13 is impossible; it gets the 8 bands × 16 rows its own README benchmark uses at 0.8."""
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
    pairs: Pairs = []
    for doc, text in read_docs(corpus):
        m = RMinHash(num_perm=NUM_PERM, seed=42)
        m.update(shingle_list(text))
        pairs.extend((other, doc) for other in lsh.query(m))
        lsh.insert(doc, m)
    return pairs


def _datasketch_stream(minhashes: Iterator[tuple[int, object]]) -> Pairs:
    """MinHashLSH with its default banding for 0.8; each document queries the earlier ones, then joins."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    pairs: Pairs = []
    for doc, m in minhashes:
        pairs.extend((other, doc) for other in lsh.query(m))
        lsh.insert(doc, m)
    return pairs


def run_datasketch_naive(corpus: Path, work: Path) -> Pairs:
    """The datasketch tutorial path: ``MinHash.update`` once per shingle's bytes."""
    from datasketch import MinHash

    def sign() -> Iterator[tuple[int, object]]:
        for doc, text in read_docs(corpus):
            m = MinHash(num_perm=NUM_PERM)
            for s in shingle_list(text):
                m.update(s.encode("utf-8"))
            yield doc, m

    return _datasketch_stream(sign())


def run_datasketch_bulk(corpus: Path, work: Path) -> Pairs:
    """datasketch's batch constructor, ``MinHash.bulk``, over 1,000 documents at a time."""
    from datasketch import MinHash

    def sign() -> Iterator[tuple[int, object]]:
        batch: list[tuple[int, list[bytes]]] = []
        for doc, text in read_docs(corpus):
            batch.append((doc, [s.encode("utf-8") for s in shingle_list(text)]))
            if len(batch) == 1000:
                yield from zip([d for d, _ in batch], MinHash.bulk([b for _, b in batch], num_perm=NUM_PERM),
                               strict=True)
                batch = []
        if batch:
            yield from zip([d for d, _ in batch], MinHash.bulk([b for _, b in batch], num_perm=NUM_PERM), strict=True)

    return _datasketch_stream(sign())


def run_datatrove(corpus: Path, work: Path) -> Pairs:
    """datatrove's four MinHash blocks on the JSONL shards, local executor, one worker. The buckets
    stage needs one task per bucket; they run one after another in this process. Returns the pairs
    of every cluster the cluster stage saved (``save_cluster_id``)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    shutil.rmtree(work, ignore_errors=True)
    config = MinhashConfig(n_grams=NGRAM, num_buckets=DATASKETCH_BANDS[0], hashes_per_bucket=DATASKETCH_BANDS[1])
    stages = [
        ([JsonlReader(str(corpus), glob_pattern="part-*.jsonl"),
          MinhashDedupSignature(output_folder=str(work / "sigs"), config=config)], 1),
        ([MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config)],
         config.num_buckets),
        ([MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"), config=config,
                              save_cluster_id=True)], 1),
        ([JsonlReader(str(corpus), glob_pattern="part-*.jsonl"),
          MinhashDedupFilter(input_folder=str(work / "remove")), JsonlWriter(str(work / "out"))], 1),
    ]
    for n, (pipeline, tasks) in enumerate(stages):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=str(work / f"logs{n}")).run()
    return _datatrove_cluster_pairs(work / "remove" / "000000.clusters", corpus)


def _datatrove_cluster_pairs(path: Path, corpus: Path) -> Pairs:
    """Pairs inside each cluster; the file holds (document index in the task's stream, cluster id)."""
    import struct

    ids = [doc for doc, _ in read_docs(corpus)]
    clusters: dict[int, list[int]] = {}
    data = path.read_bytes() if path.is_file() else b""
    for doc, cluster in struct.iter_unpack("<II", data):
        clusters.setdefault(cluster, []).append(ids[doc])
    return [p for members in clusters.values() for p in combinations(sorted(members), 2)]


IN_PROCESS: dict[str, Callable[[Path, Path], Pairs]] = {
    "floor-tokenize": run_floor_tokenize, "floor": run_floor, "ours": run_ours, "rensa": run_rensa,
    "datasketch-naive": run_datasketch_naive, "datasketch-bulk": run_datasketch_bulk, "datatrove": run_datatrove,
}
#: Scored on all pairs inside a reported cluster: datatrove removes all but one document of each
#: cluster, so it claims every pair in it. The CLI is scored on its edges instead: a removed document
#: names one kept copy it verified, and claims nothing about copies of copies.
CLUSTERS = {"datatrove", "ours-e2e"}  # scored on every pair inside each group they report


def child(tool: str, corpus: Path, work: Path, pairs_out: Path) -> None:
    """Body of a tool's subprocess: import, time the work, write pairs and a JSON line of timing."""
    run = IN_PROCESS[tool]
    started = time.perf_counter()
    pairs = run(corpus, work)
    seconds = time.perf_counter() - started
    pairs_out.write_text("".join(f"{min(i, j)} {max(i, j)}\n" for i, j in pairs if i != j), encoding="utf-8")
    print(json.dumps({"seconds": seconds}))


# ---- ours end to end: the CLI --------------------------------------------------------------------

def e2e_command(corpus: Path, txt: Path, out: Path) -> tuple[list[str], str]:
    """The ``dedup clean`` command and which input it reads: the JSONL shards once the JSONL reader
    is there (``--text-field`` in the help), otherwise the ``--txt`` copy of the same corpus."""
    dedup = str(Path(sys.executable).with_name("dedup"))
    # pip compiles an installed package's modules to bytecode, as it did the peers'; an editable
    # install (or PYTHONDONTWRITEBYTECODE, set on the machine these tables come from) would have
    # the CLI compile dedup's modules again on every run (0.06 s)
    import dedup as package

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(package.__file__).parent)], check=True)
    knobs = ["-q", "-j", "1", "--no-report", "--ngram", str(NGRAM), "--threshold", str(THRESHOLD),
             "--num-perm", str(NUM_PERM)]
    helptext = subprocess.run([dedup, "clean", "--help"], capture_output=True, text=True).stdout
    if "--text-field" in helptext:
        return [dedup, "clean", str(corpus), "-o", str(out), "--include", "part-*.jsonl", *knobs], "jsonl"
    return [dedup, "clean", str(txt), "-o", str(out), *knobs], "txt"


def e2e_pairs(out: Path) -> tuple[Pairs, int]:
    """Every whole-document removal in the change log as an edge to the kept copy it names, and how
    many of them were decided passage by passage (every passage a duplicate of one kept elsewhere)
    rather than by whole-document Jaccard. Edges are scored as clusters, like datatrove's."""
    pairs: Pairs = []
    by_passages = 0
    log = out / "changes.jsonl"
    if not log.is_file():
        return pairs, by_passages
    for line in log.open(encoding="utf-8"):
        change = json.loads(line)
        if change.get("kind") != "document-duplicate":
            continue
        pairs.append((_doc_id(change["doc"]), _doc_id(change["duplicate_of"])))
        if "whole document near-duplicates" not in change.get("reason", ""):
            by_passages += 1
    return pairs, by_passages


def _doc_id(name: str) -> int:
    """The trailing number of a document name: ``site07/0001234.txt`` or ``part-00000.jsonl#1234``."""
    found = re.findall(r"\d+", name)
    return int(found[-1])


# ---- the runner ------------------------------------------------------------------------------------

def measure(cmd: list[str], log: Path) -> tuple[float, float, int, str]:
    """Run ``cmd``; wall seconds, peak RSS MiB (the process and its waited children), exit status and
    stdout. No ``preexec_fn``: it forces a fork, and the forked child's RSS would count the runner's
    pages until exec (the runner pins itself instead, and children inherit the core)."""
    started = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, proc.returncode, stdout


def run_tool(tool: str, corpus: Path, txt: Path, work: Path) -> dict[str, object]:
    """One row of results for ``tool`` (or the reason it did not run)."""
    pairs_file = work / f"{tool}.pairs"
    log = work / f"{tool}.log"
    if tool == "ours-e2e":
        out = work / "e2e-out"
        shutil.rmtree(out, ignore_errors=True)
        cmd, reads = e2e_command(corpus, txt, out)
        wall, rss, code, _ = measure(cmd, log)
        if code != 0:
            return {"tool": tool, "error": f"exit {code}, see {log}"}
        pairs, by_passages = e2e_pairs(out)
        pairs_file.write_text("".join(f"{min(p)} {max(p)}\n" for p in pairs), encoding="utf-8")
        return {"tool": tool, "seconds": wall, "wall": wall, "rss_mib": rss, "input": reads, "command": " ".join(cmd),
                "removed_by_passages": by_passages}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", tool, str(corpus), str(work / f"{tool}-work"),
           str(pairs_file)]
    wall, rss, code, stdout = measure(cmd, log)
    if code != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return {"tool": tool, "error": f"exit {code}: {tail[0][:200]}"}
    return {"tool": tool, "seconds": json.loads(stdout.strip().splitlines()[-1])["seconds"], "wall": wall,
            "rss_mib": rss}


def run_rounds(tools: list[str], rounds: int, run: Callable[[str], dict[str, object]]) -> list[dict[str, object]]:
    """Each tool's row from its fastest of ``rounds`` runs, with every run's seconds and the machine
    loop measured just before it.

    This shared machine's speed drifts within one run of this script (the fixed loop took 1.51 s
    before one run and 1.30 s after it), and a single pass runs the tools in a fixed order, so the
    last tools got the faster minutes. Round r starts at tool r (mod the number of tools), so over
    as many rounds as tools every tool runs once in every position, and the fastest run of each is
    the one least slowed by the machine: the usual choice of a benchmark timer (``timeit`` advises
    the minimum), and the ratios come from the best of each side.
    """
    from machine import loop_seconds

    runs: dict[str, list[dict[str, object]]] = {tool: [] for tool in tools}
    for r in range(rounds):
        for k in range(len(tools)):
            tool = tools[(r + k) % len(tools)]
            loop = loop_seconds()
            print(f"running {tool} (round {r + 1} of {rounds}) ...", file=sys.stderr, flush=True)
            row = run(tool)
            row["loop_s"] = round(loop, 2)
            runs[tool].append(row)
            print(f"  {json.dumps(row, default=str)}", file=sys.stderr, flush=True)
    out = []
    for tool in tools:
        done = [row for row in runs[tool] if "error" not in row]
        if not done:
            out.append(runs[tool][-1])
            continue
        best = dict(min(done, key=lambda row: _num(row, "seconds")).items())
        best["rounds"] = [{"seconds": row["seconds"], "loop_s": row["loop_s"]} for row in done]
        out.append(best)
    return out


def load_truth(corpus: Path) -> dict[tuple[int, int], float]:
    with (corpus / "truth.jsonl").open(encoding="utf-8") as fh:
        return {(t["i"], t["j"]): t["jaccard"] for t in map(json.loads, fh)}


def read_pairs(path: Path, closure: bool) -> set[tuple[int, int]]:
    """Flagged pairs; with ``closure``, every pair inside each connected group of the edges."""
    edges = {tuple(map(int, line.split())) for line in path.open()} if path.is_file() else set()
    if not closure:
        return edges  # type: ignore[return-value]
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in edges:
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return {p for g in groups.values() for p in combinations(sorted(g), 2)}


def score(flagged: set[tuple[int, int]], truth: dict[tuple[int, int], float]) -> tuple[float, float]:
    """(precision, recall) at THRESHOLD against the exact Jaccard of the planted pairs."""
    positives = {p for p, j in truth.items() if j >= THRESHOLD}
    hits = len(flagged & positives)
    precision = hits / len(flagged) if flagged else float("nan")
    return precision, hits / len(positives) if positives else float("nan")


def ensure_corpus(work: Path, documents: int, seed: int, need_txt: bool) -> tuple[Path, Path, dict[str, object]]:
    """Generate the corpus (and its .txt copy) unless a matching one is already in ``work``."""
    import planted

    corpus, txt = work / f"corpus-{documents}-s{seed}", work / f"txt-{documents}-s{seed}"
    manifest = planted.current(corpus, documents) or {}
    if not manifest or (need_txt and not manifest.get("txt")):
        shutil.rmtree(txt, ignore_errors=True)
        print(f"generating {documents} documents in {corpus} ...", file=sys.stderr)
        manifest = planted.write(corpus, documents, seed, 0.15, txt if need_txt else None)
    return corpus, txt, manifest


def earlier_rate(work: Path, tool: str, documents: int) -> float | None:
    """docs/s of ``tool`` from the largest earlier run in ``work`` with fewer documents."""
    best = None
    for path in work.glob("results-*.json"):
        n = int(path.stem.split("-")[1])
        if n < documents:
            for row in json.loads(path.read_text())["rows"]:
                if row["tool"] == tool and row.get("docs_per_s") and (best is None or n > best[0]):
                    best = (n, row["docs_per_s"])
    return best[1] if best else None


def skipped(tool: str, documents: int, work: Path) -> dict[str, object]:
    rate = earlier_rate(work, tool, documents)
    source = "measured on a smaller run" if rate else "reference figure"
    rate = rate or REFERENCE_RATE[tool]
    hours = documents / rate / 3600
    return {"tool": tool, "error": f"not run (would take ~{hours:.1f} h at {rate:.0f} docs/s, {source})"}


def finish_row(row: dict[str, object], manifest: dict[str, object], truth: dict[tuple[int, int], float],
               work: Path) -> dict[str, object]:
    if "error" in row:
        return row
    seconds = _num(row, "seconds")
    row["docs_per_s"] = _num(manifest, "documents") / seconds
    row["mb_per_s"] = _num(manifest, "text_bytes") / 1e6 / seconds
    if not str(row["tool"]).startswith("floor"):
        flagged = read_pairs(work / f"{row['tool']}.pairs", closure=row["tool"] in CLUSTERS)
        row["flagged"] = len(flagged)
        row["precision"], row["recall"] = score(flagged, truth)
    return row


def _num(row: dict[str, object], key: str) -> float:
    value = row.get(key)
    return float(value) if isinstance(value, (int, float)) else float("nan")


HEADER = ("| tool | docs/s | MB/s | peak RSS MiB | precision | recall | work s | loop s before | ours (near-dup) is "
          "| ours (e2e) is |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def table_row(r: dict[str, object], rate: dict[str, float]) -> str:
    """One Markdown row; the last two cells say how many times faster ours is than this tool."""
    if "error" in r:
        return f"| {r['tool']} | {r['error']} | | | | | | | | |"
    dps = _num(r, "docs_per_s")
    ratios = [f"{rate[o] / dps:.2f}×" if o in rate else "" for o in ("ours", "ours-e2e")]
    name = str(r["tool"])
    if r.get("input"):
        name += f" (reads {r['input']}; {r.get('removed_by_passages', '?')} of its removals decided passage by passage)"
    prec = f"{_num(r, 'precision'):.3f}" if "precision" in r else ""
    rec = f"{_num(r, 'recall'):.3f}" if "recall" in r else ""
    loop = f"{_num(r, 'loop_s'):.2f}" if "loop_s" in r else ""
    return (f"| {name} | {dps:,.0f} | {_num(r, 'mb_per_s'):.2f} | {_num(r, 'rss_mib'):,.0f} | {prec} | {rec} | "
            f"{_num(r, 'seconds'):.1f} | {loop} | {ratios[0]} | {ratios[1]} |")


def table(rows: list[dict[str, object]], manifest: dict[str, object], positives: int) -> str:
    """The Markdown table, with how many times faster ours (near-dup stage and CLI) is than each row."""
    rate = {str(r["tool"]): _num(r, "docs_per_s") for r in rows if "docs_per_s" in r}
    docs, size = _num(manifest, "documents"), _num(manifest, "text_bytes")
    head = (f"{docs:,.0f} documents, {size / 1e6:.1f} MB of text ({size / docs / 1e3:.2f} KB/doc), {positives} true "
            f"pairs at Jaccard ≥ {THRESHOLD}; word {NGRAM}-grams, {NUM_PERM} permutations, one core per tool\n\n")
    spread = []
    for r in rows:
        runs = r.get("rounds")
        if isinstance(runs, list) and len(runs) > 1:
            each = (f"{docs / _num(run, 'seconds'):,.0f} (loop {_num(run, 'loop_s'):.2f})" for run in runs)
            spread.append(f"{r['tool']} {', '.join(each)}")
    foot = f"\nEvery round's docs/s (the table keeps each tool's fastest): {'; '.join(spread)}\n" if spread else ""
    return head + "\n".join([HEADER, *(table_row(r, rate) for r in rows)]) + "\n" + foot


def scaling(work: Path) -> str:
    """Per tool, the exponent k in time ∝ documents^k between successive sizes run in ``work``
    (1.0 is linear), from the saved ``results-<N>.json``."""
    seconds: dict[str, dict[int, float]] = {}
    for path in work.glob("results-*.json"):
        n = int(path.stem.split("-")[1])
        for row in json.loads(path.read_text())["rows"]:
            if "seconds" in row:
                seconds.setdefault(row["tool"], {})[n] = float(row["seconds"])
    lines = []
    for tool, by_n in seconds.items():
        sizes = sorted(by_n)
        steps = [f"{a:,}→{b:,}: {math.log(by_n[b] / by_n[a]) / math.log(b / a):.2f}"
                 for a, b in pairwise(sizes)]
        if steps:
            lines.append(f"- {tool}: {', '.join(steps)}")
    return ("Scaling exponent (time ∝ documents^k):\n" + "\n".join(lines) + "\n") if lines else ""


def merged(path: Path, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """This run's rows over those of an earlier run of the same size, in the usual tool order: the
    slow peers need running once, ours after every change."""
    by_tool = {str(r["tool"]): r for r in json.loads(path.read_text())["rows"]} if path.is_file() else {}
    by_tool.update({str(r["tool"]): r for r in rows})
    return [by_tool[t] for t in TOOLS if t in by_tool]


def rescore(work: Path, documents: int) -> None:
    """Recompute precision/recall from the saved pairs files (when the scoring changes, not the run)."""
    saved = json.loads((work / f"results-{documents}.json").read_text())
    manifest = saved["manifest"]
    corpus = work / f"corpus-{documents}-s{manifest['seed']}"
    truth = load_truth(corpus)
    rows = [finish_row(row, manifest, truth, work / f"n{documents}") for row in saved["rows"]]
    (work / f"results-{documents}.json").write_text(
        json.dumps({"manifest": manifest, "rows": rows}, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(rows, manifest, sum(j >= THRESHOLD for j in truth.values())))
    print(scaling(work))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--documents", type=int, default=10_000)
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, from {', '.join(TOOLS)}")
    ap.add_argument("--work", type=Path, default=Path("/tmp/dedup-bench"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--core", type=int, default=0, help="the core every tool is pinned to")
    ap.add_argument("--max-docs-for-slow-peers", type=int, default=10_000,
                    help=f"skip {', '.join(SLOW)} above this many documents (they run at ~50-100 docs/s)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run every tool this many times, each round starting one tool later; keep each "
                         "tool's fastest run")
    ap.add_argument("--rescore", action="store_true",
                    help="re-score and print the saved results of this size without running anything")
    args = ap.parse_args(argv)
    if args.rescore:
        rescore(args.work, args.documents)
        return
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    work = args.work / f"n{args.documents}"
    work.mkdir(parents=True, exist_ok=True)
    # Generated in a child process: a tool's peak RSS (``os.wait4``) also counts this process's memory
    # that the tool's process started from, which generating the corpus here raised (the floor's 20 MiB
    # read 66 MiB in the run that made it).
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        corpus, txt, manifest = pool.apply(ensure_corpus, (args.work, args.documents, args.seed, "ours-e2e" in tools))
    os.sched_setaffinity(0, {args.core})  # after generating; every tool's subprocess inherits the one core
    truth = load_truth(corpus)
    from machine import loop_seconds, machine_line

    before = loop_seconds()  # on the one core every tool runs on
    rows = []
    runnable = []
    for tool in tools:
        if tool in NOT_INSTALLABLE:
            rows.append({"tool": tool, "error": NOT_INSTALLABLE[tool]})
        elif tool in SLOW and args.documents > args.max_docs_for_slow_peers:
            rows.append(skipped(tool, args.documents, args.work))
        else:
            runnable.append(tool)
    rows += run_rounds(runnable, args.rounds, lambda tool: finish_row(
        run_tool(tool, corpus, txt, work), manifest, truth, work))
    positives = sum(j >= THRESHOLD for j in truth.values())
    rows = merged(args.work / f"results-{args.documents}.json", rows)
    (args.work / f"results-{args.documents}.json").write_text(
        json.dumps({"manifest": manifest, "rows": rows}, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(rows, manifest, positives))
    print(scaling(args.work))
    print(machine_line(before, loop_seconds()))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
    else:
        main()
