"""The Spark engine: the run of :mod:`dedup.stream`, with its passes spread over a cluster.

Nothing here decides what happens to a document: every decision is a function of
:mod:`dedup.stages` (the same ones the local engine calls), and this module only moves their
inputs and outputs around. That is why the output is identical to the local engine's, byte for
byte: the same sketches, the same candidate pairs, the same vetting, the same components, the same
plans, consumed in the same order.

The run, in Spark terms:

1. **Sketch.** Shards are split across tasks in input order (a contiguous slice per task); each
   task parses its shards with dedup's own readers and runs :func:`~dedup.stages.sketch` on every
   document. Sketches are persisted on the executors' disks (they hold the prepared documents,
   which the later stages need and which cost milliseconds to recompute).
2. **Evidence.** Lines that recur within a source are counted by the driver's
   :class:`~dedup.evidence.EvidenceTable`, streamed to it partition by partition in input order
   (a few integers per short line: about 300 MB per million documents).
3. **Candidates.** Each task packs the band keys of its documents into numpy blocks, routed by
   ``(band, key)`` so a bucket lands whole in one partition; there
   :func:`~dedup.neardup.bucket_pairs` turns each bucket into candidate pairs, star and chain past
   :data:`~dedup.neardup.SMALL_BUCKET` members, so a passage printed 100,000 times costs 200,000
   pairs, not 5·10⁹, and is never held as a Python list. Pairs are vetted on the executors with
   :func:`~dedup.stages.vet` after a join with each entry's vetting bytes.
4. **Components.** Up to :data:`DRIVER_EDGES` document pairs are joined on the driver by
   :func:`~dedup.stages.components`; beyond that by the large-star/small-star algorithm (Kiveris
   et al., 2014) on DataFrames, checkpointed every round so the lineage stays short.
5. **Plans.** Each component's prepared documents are grouped and planned by
   :func:`~dedup.stages.plan_component` on an executor (a component is planned in one piece, as
   locally).
6. **Results.** Shards are read again, each item is zipped with what decides it (a broadcast
   verdict, its recurring lines, or its pass-1 changes; past a million verdicts, a join) and
   finished by :func:`~dedup.stages.finish`, after a check that it is the item pass 1 read (its
   fingerprint; a corpus that changed between the passes stops the run as locally); the results
   are in input order and streamed to the driver one partition at a time, where
   :func:`dedup.output.write_items` writes ``OUT`` exactly as the local engine does; or, for an
   ``OUT`` URL, written by Spark's writers as a dataset (:func:`write_dataset`).

Shards given as paths are read by the tasks, so the path must be the same on the driver and every
executor (a shared file system: NFS, Lustre, Databricks' ``/dbfs``). Shards given as URLs
(``hdfs://``, ``s3a://``, ...) are listed and fetched through Spark's Hadoop file systems instead.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from .arrays import distinct
from .config import Config
from .corpus import matches
from .errors import InputError, UsageError
from .evidence import EvidenceTable, Finding
from .formats import Row, Shard, parquet_schema, shard_format
from .model import Document, Skipped
from .neardup import bucket_pairs, choose_bands
from .pipeline import uses_affixes, uses_evidence
from .progress import Progress
from .rules import active_rules
from .stages import (
    VET_MARGIN,
    Verdict,
    batch_full,
    components,
    configure,
    corpus_changed,
    fingerprint,
    finish,
    plan_component,
    record_fields,
    sketch_many,
    vet,
)
from .stream import Item, fields_of, find_shards, read_shard, unfetched

#: Edge sets up to this many document pairs are brought to the driver and joined there (a sort
#: and a few numpy passes, under a second per million pairs); larger ones stay on the cluster.
DRIVER_EDGES = 2_000_000

#: The ordinal of a pass-1 unit that is not a document: a skipped file or record, or the one place
#: held by a shard with no records (ordinals from 0 up number a shard's documents).
SKIPPED = -1
EMPTY = -2


INSTALL_HINT = "install it with `pip install 'dedup[spark]'` (Spark also needs Java 17 or newer)"


@contextmanager
def session(master: str | None = None, conf: Sequence[str] = (), quiet: bool = False) -> Iterator[Any]:
    """The Spark session to run on: the active one (a notebook's, a test's), or a new one for
    ``master`` (``spark-submit`` passes its master and settings to it), stopped at the end only
    if it was started here.

    Worker processes must run the driver's Python, with dedup importable: ``PYSPARK_PYTHON`` is
    set to this interpreter unless the user (or ``spark.pyspark.python``) chose another.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(f"--engine spark needs the `pyspark` package; {INSTALL_HINT}") from None
    settings: dict[str, str] = {}
    for item in conf:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--spark-conf {item}: expected KEY=VALUE, e.g. spark.executor.memory=8g")
        settings[key.strip()] = value
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    if "spark.pyspark.python" not in settings:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("dedup")
    if master:
        builder = builder.master(master)
    if quiet:
        settings.setdefault("spark.ui.showConsoleProgress", "false")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # pyspark reports a missing or broken Java as a generic runtime error
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"Spark could not start ({first}); check `java -version` (17 or newer) and "
                         "--spark-master") from None
    spark.sparkContext.setLogLevel("WARN" if not quiet else "ERROR")
    try:
        yield spark
    finally:
        spark.stop()


def run(paths: Sequence[str | Path], config: Config, output: Path | None, spark: Any,
        progress: Progress | None = None, clusters: list[tuple[str, ...]] | None = None) -> Generator[Item, None, None]:
    """Clean the corpus under ``paths`` on ``spark``: the items of :func:`dedup.stream.run`, in
    order, streamed to the driver a partition at a time (for :func:`dedup.output.write_items`)."""
    with _cleaned(paths, config, output, spark, progress, clusters) as (shards, ordered):
        for (i, _k), (row, result, suspects, warning) in ordered.toLocalIterator():
            if isinstance(result, Changed):
                raise corpus_changed(result.doc)
            yield Item(shards[i], row, result, suspects, warning)


@contextmanager
def _cleaned(paths: Sequence[str | Path], config: Config, output: Path | None, spark: Any,
             progress: Progress | None, clusters: list[tuple[str, ...]] | None) -> Iterator[tuple[list[Shard], Any]]:
    """The whole run up to its results: the shards, and an RDD of ``((shard, position), (row,
    result, suspects, warning))`` in input order, valid until the context ends."""
    from pyspark import StorageLevel

    sc = spark.sparkContext
    shards = _find(spark, paths, config, output)
    active_rules(config)  # fail on a bad rule before a task starts
    conf = sc.broadcast(config)
    shard_list = sc.broadcast(shards)
    slices = max(1, min(len(shards), sc.defaultParallelism * 4))
    fields = fields_of(config)
    source = _source(sc, shards, slices)

    def documents(part: Iterator[tuple[int, bytes | None]]) -> Iterator[tuple[int, int, Any]]:
        configure(conf.value)
        for i, data in part:
            ordinal = 0
            empty = True
            batch: list[Document] = []  # sketched together (see sketch_many), yielded in order
            for _row, item in read_shard(shard_list.value[i], fields, data):
                empty = False
                if isinstance(item, Document):
                    batch.append(item)
                    if not batch_full(batch):
                        continue
                for found in sketch_many(batch):
                    yield i, ordinal, found
                    ordinal += 1
                batch = []
                if not isinstance(item, Document):  # a skipped file or record keeps its place, so pass 2 can zip
                    yield i, SKIPPED, None
            for found in sketch_many(batch):
                yield i, ordinal, found
                ordinal += 1
            if empty:  # a shard without records keeps a place too, so pass 2 can tell if it gained some
                yield i, EMPTY, None

    if progress:
        progress.stage("reading + rules (spark)")
    # one element per input item, in input order (each partition holds a contiguous run of shards)
    units = source.mapPartitions(documents, preservesPartitioning=True)
    units.persist(StorageLevel.DISK_ONLY)
    try:
        # per shard: documents (ordinal 0 and up), skipped items and empty-shard places
        counts = units.map(lambda u: (u[0], min(u[1], 0))).countByValue()
        offsets = np.zeros(len(shards) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([counts.get((i, 0), 0) for i in range(len(shards))])
        starts = sc.broadcast(offsets)
        items = sc.broadcast([counts.get((i, 0), 0) + counts.get((i, SKIPPED), 0) for i in range(len(shards))])
        total = int(offsets[-1])
        numbered = units.filter(lambda u: u[2] is not None).map(
            lambda u: (int(starts.value[u[0]]) + u[1], u[2]), preservesPartitioning=True)

        if progress:
            progress.stage("near-duplicates (spark)")
        evidence = _evidence(numbered, config) if uses_evidence(config) else {}
        found = sc.broadcast(evidence)
        edges = _edges(spark, numbered, config, total)
        labels = _labels(spark, edges, total)
        planned = _plans(numbered, labels, conf, found, clusters)
        if progress:
            progress.stage("writing (spark)")
        shards = _with_schemas(source, shards)
        try:
            yield shards, _results(sc, slices, fields, conf, shard_list, source, units, planned, found, starts, items)
        finally:
            planned.unpersist()
    finally:
        units.unpersist()


def _is_url(path: str | Path) -> bool:
    return "://" in str(path)


def _find(spark: Any, paths: Sequence[str | Path], config: Config, output: Path | None) -> list[Shard]:
    """The shards to read: found on the local (or shared) file system as by the local engine, or,
    when any input is a URL (``hdfs://``, ``s3a://``, ``abfs://``, ``gs://``, ``file://``), listed
    through Spark's Hadoop file systems with the same include/exclude rules and naming."""
    if not any(_is_url(p) for p in paths):
        return find_shards(paths, config, output)
    from py4j.protocol import Py4JJavaError

    sc = spark.sparkContext
    hadoop = sc._jvm.org.apache.hadoop.fs  # py4j: how pyspark reaches the JVM's Hadoop file systems
    settings = sc._jsc.hadoopConfiguration()
    files: list[tuple[str, int]] = []  # (url, size in bytes)
    roots: list[str] = []
    for given in paths:
        url = str(given) if _is_url(given) else Path(given).resolve().as_uri()
        path = hadoop.Path(url)
        try:
            fs = path.getFileSystem(settings)
            status = fs.getFileStatus(path)
            if status.isFile():
                files.append((status.getPath().toString(), status.getLen()))
                roots.append(status.getPath().getParent().toString())
                continue
            roots.append(status.getPath().toString())
            listing = fs.listFiles(path, True)
            while listing.hasNext():
                entry = listing.next()
                files.append((entry.getPath().toString(), entry.getLen()))
        except Exception as exc:  # py4j's Java errors, or pyspark's conversions of them (unknown host, ...)
            if isinstance(exc, Py4JJavaError):
                problem = str(exc.java_exception.getMessage() or exc.java_exception.getClass().getSimpleName())
            else:
                problem = str(exc) or type(exc).__name__
            raise InputError(f"{url}: cannot list it ({problem.strip().splitlines()[0]}); check the URL and the "
                             "cluster's credentials") from None
    root = roots[0].rstrip("/")
    while not all(r == root or r.startswith(root + "/") for r in roots):
        root = root.rsplit("/", 1)[0]
    found: dict[str, Shard] = {}
    for url, size in files:
        rel = url[len(root):].lstrip("/")
        name = rel.rsplit("/", 1)[-1]
        if any(part.startswith(".") for part in rel.split("/")) or not matches(name, rel, config.include) \
                or matches(name, rel, config.exclude):
            continue
        fmt, compression = shard_format(rel, config.format or None)
        found[rel] = Shard(Path(rel), rel, fmt, compression, url=url, size=int(size))
    if not found:
        raise InputError(f"{', '.join(str(p) for p in paths)}: no documents found (looked for "
                         f"{', '.join(config.include)}); check the URL or set `include`")
    return [found[k] for k in sorted(found)]


#: Characters Hadoop's path globbing treats specially; escaped so a file name is read as named.
_GLOB = str.maketrans({c: "\\" + c for c in "\\{}[]*?"})


def _source(sc: Any, shards: Sequence[Shard], slices: int) -> Any:
    """(shard number, its bytes or None) in input order, a contiguous run of shards per partition.

    Shards on a shared file system are read by the tasks themselves (None: read the path). Shards
    at URLs are fetched by Spark (``binaryFiles``, through the cluster's Hadoop file systems) and
    shuffled into place once; both passes reuse that shuffle's output. A text file over the size
    limit is not fetched (None: its reader refuses it from its listed size, see
    :func:`dedup.stream.unfetched`), as the local engine does not read one.
    """
    count = len(shards)
    if not any(s.url for s in shards):
        return sc.parallelize(range(count), slices).map(lambda i: (i, None))
    urls = [s.url or "" for s in shards]
    for url in urls:
        if "," in url:
            raise InputError(f"{url}: Hadoop cannot read a file whose name holds a comma; rename it")
    refused = {i for i, s in enumerate(shards) if unfetched(s) is not None}
    wanted = [url for i, url in enumerate(urls) if i not in refused]
    number = sc.broadcast({url: i for i, url in enumerate(urls)})
    placed = sc.parallelize([(i, None) for i in sorted(refused)], 1)
    if wanted:
        fetched = sc.binaryFiles(",".join(url.translate(_GLOB) for url in wanted), minPartitions=slices)
        placed = fetched.map(lambda kv: (number.value[kv[0]], kv[1])).union(placed)
    return placed.repartitionAndSortWithinPartitions(slices, partitionFunc=lambda i: i * slices // count)


def _with_schemas(source: Any, shards: list[Shard]) -> list[Shard]:
    """Parquet shards read from URLs, with their Arrow schema for the driver's writer."""
    wanted = {i for i, s in enumerate(shards) if s.url and s.format == "parquet"}
    if not wanted:
        return shards

    def schema(kv: tuple[int, bytes]) -> tuple[int, bytes | None]:
        try:
            return kv[0], parquet_schema(kv[1])
        except Exception:  # a damaged file: its rows are reported as skipped, nothing is written
            return kv[0], None

    found = dict(source.filter(lambda kv: kv[0] in wanted).map(schema).collect())
    return [replace(s, schema=found.get(i)) if i in wanted else s for i, s in enumerate(shards)]


def _evidence(numbered: Any, config: Config) -> dict[int, dict[int, Finding]]:
    """Every document's recurring lines, counted on the driver from lines streamed in input order."""
    table = EvidenceTable(config.evidence)
    for number, lines in numbered.map(lambda kv: (kv[0], kv[1].lines)).toLocalIterator():
        table.add(number, lines)
    return table.recurring(affixes=uses_affixes(config))


#: Documents per bucketing task: their band keys (about 10 KB a document) are sorted in one piece.
DOCUMENTS_PER_BUCKET_TASK = 20_000


def _edges(spark: Any, numbered: Any, config: Config, documents: int = 0) -> Any:
    """The vetted candidate document pairs as a DataFrame ``(a, b)``, ``a <= b``, distinct."""
    nd = config.neardup
    bands, _rows = choose_bands(nd.threshold, nd.num_perm, nd.target_recall)
    cutoff = nd.threshold - VET_MARGIN
    parts = max(1, numbered.getNumPartitions(), documents // DOCUMENTS_PER_BUCKET_TASK + 1)

    def blocks(part: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, tuple[bytes, bytes, bytes, bytes]]]:
        band_l, key_l, doc_l, j_l = [], [], [], []
        for number, found in part:
            keys = found.keys
            if not len(keys):
                continue
            n = len(keys)
            key_l.append(np.ascontiguousarray(keys.T).ravel())
            band_l.append(np.repeat(np.arange(bands, dtype=np.uint16), n))
            doc_l.append(np.full(n * bands, number, dtype=np.int64))
            j_l.append(np.tile(np.arange(n, dtype=np.int32), bands))
        if not key_l:
            return
        band, key = np.concatenate(band_l), np.concatenate(key_l)
        doc, j = np.concatenate(doc_l), np.concatenate(j_l)
        with np.errstate(over="ignore"):
            target = ((key + band.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) % np.uint64(parts)).astype(
                np.int64)
        for p in distinct(target).tolist():
            at = target == p
            yield p, (band[at].tobytes(), key[at].tobytes(), doc[at].tobytes(), j[at].tobytes())

    def pairs(part: Iterator[tuple[int, tuple[bytes, bytes, bytes, bytes]]]) -> Iterator[tuple[int, int, int, int]]:
        got = [blob for _p, blob in part]
        if not got:
            return
        band = np.concatenate([np.frombuffer(b[0], dtype=np.uint16) for b in got])
        key = np.concatenate([np.frombuffer(b[1], dtype=np.uint64) for b in got])
        doc = np.concatenate([np.frombuffer(b[2], dtype=np.int64) for b in got])
        j = np.concatenate([np.frombuffer(b[3], dtype=np.int32) for b in got])
        found = []
        for b in distinct(band).tolist():
            at = np.flatnonzero(band == b)
            at = at[np.lexsort((j[at], doc[at]))]  # entry order, as the local engine appends them
            a, c = bucket_pairs(key[at])
            found.append(np.stack([doc[at[a]], j[at[a]], doc[at[c]], j[at[c]]], axis=1))
        yield from map(tuple, np.unique(np.concatenate(found), axis=0).tolist())

    def lows(part: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, int, bytes]]:
        for number, found in part:
            for j in range(len(found.low)):
                yield number, j, found.low[j].tobytes()

    def vetted(part: Iterator[Any]) -> Iterator[tuple[int, int]]:
        while chunk := list(islice(part, 1 << 16)):
            la = np.frombuffer(b"".join(r[2] for r in chunk), dtype=np.uint8).reshape(len(chunk), -1)
            lc = np.frombuffer(b"".join(r[3] for r in chunk), dtype=np.uint8).reshape(len(chunk), -1)
            for r, keep in zip(chunk, vet(la, lc, cutoff).tolist(), strict=True):
                if keep:
                    yield min(r[0], r[1]), max(r[0], r[1])

    candidates = numbered.mapPartitions(blocks).partitionBy(parts, lambda p: p).mapPartitions(pairs)
    cand = spark.createDataFrame(candidates, "ad long, aj int, cd long, cj int").distinct()
    low = spark.createDataFrame(numbered.mapPartitions(lows), "d long, j int, low binary")
    la = low.withColumnRenamed("d", "ad").withColumnRenamed("j", "aj").withColumnRenamed("low", "la")
    lc = low.withColumnRenamed("d", "cd").withColumnRenamed("j", "cj").withColumnRenamed("low", "lc")
    joined = cand.join(la, ["ad", "aj"]).join(lc, ["cd", "cj"]).select("ad", "cd", "la", "lc")
    return spark.createDataFrame(joined.rdd.mapPartitions(vetted), "a long, b long").distinct()


def _labels(spark: Any, edges: Any, documents: int) -> dict[int, int] | Any:
    """Each document in a component and its component, named by its first document: a dict when
    the edge set was small enough to join on the driver, else an RDD of (document, component)."""
    if edges.count() <= DRIVER_EDGES:
        packed = np.array([(a << 32) | b for a, b in edges.toLocalIterator()], dtype=np.uint64)
        return {d: group[0] for group in components(np.sort(packed), documents) for d in group}
    return cluster_labels(spark, edges).rdd.map(lambda r: (r[0], r[1]))


def cluster_labels(spark: Any, edges: Any, checkpoint_every: int = 1, rounds: list[int] | None = None) -> Any:
    """Connected components of an edge DataFrame ``(a, b)`` by alternating large-star and
    small-star rounds (Kiveris et al., "Connected components in MapReduce and beyond", 2014),
    as a DataFrame ``(node, label)`` where ``label`` is the smallest node of the component.

    Each round needs only per-node minima and joins (no neighbour lists), so a node with millions
    of neighbours (a hot bucket's first member) is an aggregate, not a list. Rounds are
    checkpointed (reliably when the SparkContext has a checkpoint folder, locally otherwise) so the
    lineage does not grow with the number of rounds, which is O(log² n) (``rounds``, if given,
    receives how many were needed).
    """
    from pyspark.sql import functions as F

    checkpointed = spark.sparkContext.getCheckpointDir() is not None

    def keep(df: Any) -> Any:
        return df.checkpoint(eager=True) if checkpointed else df.localCheckpoint(eager=True)

    def both(e: Any) -> Any:
        return e.select(F.col("a").alias("u"), F.col("b").alias("v")).union(
            e.select(F.col("b").alias("u"), F.col("a").alias("v")))

    def normal(e: Any) -> Any:
        e = e.where(F.col("u") != F.col("v"))
        return e.select(F.least("u", "v").alias("a"), F.greatest("u", "v").alias("b")).distinct()

    def large_star(e: Any) -> Any:
        nb = both(e)
        low = nb.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        return normal(nb.join(low, "u").where(F.col("v") > F.col("u")).select(F.col("v").alias("u"),
                                                                             F.col("m").alias("v")))

    def small_star(e: Any) -> Any:
        nb = both(e).where(F.col("v") <= F.col("u"))
        low = nb.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        moved = nb.join(low, "u").select(F.col("v").alias("u"), F.col("m").alias("v"))
        return normal(moved.union(low.select(F.col("u"), F.col("m").alias("v"))))

    current = keep(normal(edges.select(F.col("a").alias("u"), F.col("b").alias("v"))))
    done = 0
    while True:
        following = small_star(large_star(current))
        done += 1
        if done % checkpoint_every == 0:
            following = keep(following)
        if following.count() == current.count() and following.exceptAll(current).isEmpty():
            break
        current = following
    if rounds is not None:
        rounds.append(done)
    # converged: every edge joins a node to its component's smallest node
    members = current.select(F.col("b").alias("node"), F.col("a").alias("label"))
    roots = current.select(F.col("a").alias("node"), F.col("a").alias("label"))
    # a document linked only to itself (two similar passages of its own) is a component too
    alone = edges.where(F.col("a") == F.col("b")).select(F.col("a").alias("node"), F.col("a").alias("label"))
    return members.union(roots).union(alone).groupBy("node").agg(F.min("label").alias("label"))


def _plans(numbered: Any, labels: dict[int, int] | Any, conf: Any, found: Any,
           clusters: list[tuple[str, ...]] | None) -> Any:
    """Every component planned on an executor: an RDD of (component, [(document, verdict)], clusters).

    Only the prepared documents of components travel: picked out by a broadcast of the labels
    when they came back to the driver, by a join when they did not.
    """
    from pyspark import StorageLevel

    def plan_group(item: tuple[int, Any]) -> tuple[int, list[tuple[int, Verdict]], list[tuple[str, ...]]]:
        label, members = item
        configure(conf.value)
        ordered = sorted(members)
        group = [d for d, _p in ordered]
        evidence = found.value
        prepared = [pickle.loads(p) for _d, p in ordered]
        decided, near = plan_component((prepared, {i: evidence[d] for i, d in enumerate(group) if d in evidence}))
        return label, list(zip(group, decided, strict=True)), near

    if isinstance(labels, dict):
        named = numbered.context.broadcast(labels)
        members = numbered.filter(lambda kv: kv[0] in named.value).map(
            lambda kv: (named.value[kv[0]], (kv[0], kv[1].prepared)))
    else:
        members = (numbered.map(lambda kv: (kv[0], kv[1].prepared)).join(labels)
                   .map(lambda kv: (kv[1][1], (kv[0], kv[1][0]))))
    planned = members.groupByKey().map(plan_group)
    planned.persist(StorageLevel.DISK_ONLY)
    if clusters is not None:
        for _label, near in sorted(planned.map(lambda p: (p[0], p[2])).collect()):
            clusters.extend(near)
    return planned


@dataclass(frozen=True)
class Changed:
    """What pass 2 yields in place of an item that is not the one pass 1 read (a file modified, added
    or removed in between): the driver stops the run with :func:`~dedup.stages.corpus_changed`."""

    doc: str


def _aligned(name: str, found: Iterator[tuple[Row | None, Document | Skipped]],
             expected: int) -> Iterator[tuple[Row | None, Document | Skipped | Changed | None]]:
    """A shard's items as pass 2 re-reads them, exactly as many places as pass 1 gave it, so that
    the two passes zip item by item even when the shard changed: a missing item is a
    :class:`Changed`, and so is the last one when the shard now has more; a shard without records
    is its one place (``None``), or a :class:`Changed` when it has records now."""
    if expected == 0:
        yield None, (None if next(found, None) is None else Changed(name))
        return
    for k in range(expected):
        item = next(found, None)
        if item is None or (k == expected - 1 and next(found, None) is not None):
            yield None, Changed(name)
        else:
            yield item


def _checked(item: Document | Skipped | Changed, expected: bytes | None) -> Document | Skipped | Changed:
    """``item`` as re-read by pass 2, or a :class:`Changed` when it is not what pass 1 read:
    ``expected`` is pass 1's fingerprint of the document there (None: pass 1 skipped it)."""
    if isinstance(item, Changed):
        return item
    if isinstance(item, Document):
        return item if expected is not None and fingerprint(item) == expected else Changed(item.doc)
    return item if expected is None else Changed(item.path)


#: Up to this many documents' verdicts (the members of components: a few hundred bytes each) go
#: to every executor as a broadcast, so pass 2 needs no shuffle at all; beyond, they are joined.
BROADCAST_VERDICTS = 1_000_000


def _results(sc: Any, slices: int, fields: Any, conf: Any, shard_list: Any,
             source: Any, units: Any, planned: Any, found: Any, starts: Any, items: Any) -> Any:
    """Pass 2: shards read again, every item finished with what decides it, in input order.

    The re-read yields the same items in the same partitions as the sketch pass, so it is zipped
    with each item's decision (its pass-1 changes, its recurring lines or a broadcast verdict)
    and streamed to the driver in order. Past :data:`BROADCAST_VERDICTS`, verdicts are joined by
    document number instead, and the results sorted back into input order.

    A shard that changed since pass 1 must not get changes meant for another text (as in the
    local engine): each shard yields as many places as pass 1 gave it (``items``; see
    :func:`_aligned`), so the zip never fails on a count, and each item is compared with pass 1's
    fingerprint of it; one that differs comes out as a :class:`Changed` for the driver to stop on.
    """
    verdicts = planned.flatMap(lambda p: p[1])
    small = verdicts.count() <= BROADCAST_VERDICTS
    decided = sc.broadcast(dict(verdicts.collect()) if small else {})

    def how(unit: tuple[int, int, Any]) -> tuple[bytes | None, Any]:
        """Pass 1's fingerprint of the item (None if it was no document) and its decision."""
        i, ordinal, found_sketch = unit
        if found_sketch is None:
            return None, None
        number = int(starts.value[i]) + ordinal
        if number in decided.value:
            return found_sketch.fingerprint, decided.value[number]
        if number in found.value:
            return found_sketch.fingerprint, (found.value[number], found_sketch.prepared)
        return found_sketch.fingerprint, Verdict(found_sketch.changes, False, found_sketch.suspects)

    def rows(part: Iterator[tuple[int, bytes | None]]) -> Iterator[tuple[int, int, Any, Any]]:
        for i, data in part:
            shard = shard_list.value[i]
            for k, (row, item) in enumerate(_aligned(shard.name, read_shard(shard, fields, data), items.value[i])):
                yield i, k, row, item

    def done(pair: tuple[tuple[int, int, Any, Any], tuple[bytes | None, Any]]) -> list[tuple[tuple[int, int], Any]]:
        (i, k, row, item), (expected, decision) = pair
        if item is None:  # the place of a shard without records
            return []
        item = _checked(item, expected)
        if not isinstance(item, Document):  # skipped in both passes, or changed
            return [((i, k), (row, item, (), None))]
        configure(conf.value)
        if isinstance(decision, tuple):
            evidence, pickled = decision
            decision = (evidence, pickle.loads(pickled))
        result, suspects = finish((item, decision))
        warning = f"{result.document.doc}: empty file; copied as it is" if not result.document.text else None
        return [((i, k), (row, record_fields(row, result), suspects, warning))]

    read = source.mapPartitions(rows)
    if small:
        ordered = read.zip(units.map(how)).flatMap(done)
    else:
        keyed = units.map(lambda u: (int(starts.value[u[0]]) + u[1] if u[2] is not None else -1, how(u)))
        numbered_rows = read.zip(keyed).map(lambda pair: (pair[1][0], (pair[0], pair[1][1])))
        joined = numbered_rows.leftOuterJoin(verdicts).map(
            lambda kv: (kv[1][0][0], (kv[1][0][1][0], kv[1][1] if kv[1][1] is not None else kv[1][0][1][1])))
        ordered = joined.flatMap(done).sortByKey(numPartitions=max(1, slices))
    return ordered


def write_dataset(paths: Sequence[str | Path], config: Config, out: str, spark: Any,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Clean the corpus and write ``out`` (any Hadoop URL) with Spark's writers, for outputs that
    one machine cannot write; returns the summary.

    - ``out/corpus/shard=NAME/``: each shard's output lines in order, as text: a JSONL record's
      line exactly as the local engine writes it, a Parquet record as one JSON object, a text
      document as ``{"doc": ..., "text": ...}`` (all text documents under ``shard=_text``);
    - ``out/changes/``: the change log's lines, in input order across the part files;
    - ``out/summary.json``: the local engine's summary, counted per partition and merged.

    It is written beside ``out`` and renamed into place (atomic on HDFS; on object stores a rename
    is a copy). The corpus dataset is not what ``dedup restore`` reads; restore from a local run.
    """
    from pyspark import StorageLevel

    from . import changes as changelog
    from .formats import LongLine, open_shard, read_line, record_json
    from .output import output_record
    from .summary import SummaryBuilder, summary_text

    clusters: list[tuple[str, ...]] = []
    sc = spark.sparkContext
    text_field = config.text_field
    conf = sc.broadcast(config)
    with _cleaned(paths, config, None, spark, progress, clusters) as (shards, ordered):
        ordered.persist(StorageLevel.DISK_ONLY)
        shard_list = sc.broadcast(shards)

        def corpus_rows(kv: tuple[tuple[int, int], Any]) -> list[tuple[str, int, str]]:
            (i, k), (row, result, suspects, warning) = kv
            shard = shard_list.value[i]
            found = output_record(Item(shard, row, result, suspects, warning), text_field)
            if found is None:
                return []
            if isinstance(found, LongLine):  # Spark's writer takes a line as one value: read it whole here
                with open_shard(shard.path, shard.compression) as fh:
                    found = read_line(fh, found, shard.name)
            if isinstance(found, bytes):
                return [(shard.name, k, found.decode("utf-8", "replace"))]
            if isinstance(found, dict):
                return [(shard.name, k, record_json(found))]
            return [("_text", i, json.dumps({"doc": shard.name, "text": found}, ensure_ascii=False))]

        def change_rows(kv: tuple[tuple[int, int], Any]) -> list[tuple[str]]:
            result = kv[1][1]
            return [] if isinstance(result, Skipped) else [
                (line,) for line in changelog.log_lines(changelog.dumps(result.changes))]

        def count(index: int, part: Iterator[Any]) -> Iterator[tuple[int, SummaryBuilder, Changed | None]]:
            builder = SummaryBuilder(conf.value)
            for _key, (_row, result, suspects, warning) in part:
                if isinstance(result, Changed):  # the run stops on it: nothing more to count
                    yield index, builder, result
                    return
                builder.add(result, suspects, warning)
            yield index, builder, None

        staging = f"{out.rstrip('/')}.dedup-{sc.applicationId}"
        try:
            # counted first: a corpus that changed between the passes stops the run before anything is written
            builders = sorted(ordered.mapPartitionsWithIndex(count).collect(), key=lambda p: p[0])
            for _index, _builder, changed in builders:
                if changed is not None:
                    raise corpus_changed(changed.doc)
            (spark.createDataFrame(ordered.flatMap(corpus_rows), "shard string, k long, value string")
             .sortWithinPartitions("shard", "k").select("shard", "value")
             .write.partitionBy("shard").text(f"{staging}/corpus"))
            spark.createDataFrame(ordered.flatMap(change_rows), "value string").write.text(f"{staging}/changes")
            total = SummaryBuilder(config)
            for _index, builder, _changed in builders:
                total.merge(builder)
            summary = total.finish(clusters)
            _hadoop_write(sc, f"{staging}/summary.json", summary_text(summary).encode("utf-8"))
            _hadoop_publish(sc, staging, out)
        finally:
            _hadoop_delete(sc, staging)
            ordered.unpersist()
    return summary


def _hadoop_fs(sc: Any, url: str) -> tuple[Any, Any]:
    path = sc._jvm.org.apache.hadoop.fs.Path(url)  # py4j: the JVM's Hadoop file systems
    return path, path.getFileSystem(sc._jsc.hadoopConfiguration())


def _hadoop_write(sc: Any, url: str, data: bytes) -> None:
    path, fs = _hadoop_fs(sc, url)
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()


def _hadoop_delete(sc: Any, url: str) -> None:
    path, fs = _hadoop_fs(sc, url)
    if fs.exists(path):
        fs.delete(path, True)


def _hadoop_publish(sc: Any, staging: str, out: str) -> None:
    """Swap ``staging`` in as ``out``: the previous ``out`` stays until the new one is complete."""
    target, fs = _hadoop_fs(sc, out)
    source, _ = _hadoop_fs(sc, staging)
    old, _ = _hadoop_fs(sc, f"{out.rstrip('/')}.dedup-old-{sc.applicationId}")
    had = fs.exists(target)
    if had and not fs.rename(target, old):
        raise InputError(f"{out}: cannot move the previous output aside; check permissions")
    if not fs.rename(source, target):
        if had:
            fs.rename(old, target)
        raise InputError(f"{out}: cannot move the new output into place; check permissions")
    if had:
        fs.delete(old, True)
