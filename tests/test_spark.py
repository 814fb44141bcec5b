"""The Spark engine gives the local engine's output exactly, and survives a hot bucket.

Every test here shares one ``local[2]`` session (the ``spark`` fixture in conftest.py), started from
a temporary working folder so the workers must import dedup from its installation, not from the
checkout. Deselect them with ``-m "not spark"`` where Java or pyspark is missing.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import local_news, read_tree, write_corpus
from hypothesis import HealthCheck, given, settings
from strategies import corpus as corpora
from test_scale import WIDGETS, WORDS

from dedup import Config
from dedup.cli import main
from dedup.errors import InputError, UsageError
from dedup.evidence import Lines
from dedup.output import write_items
from dedup.stages import Sketch, components
from dedup.stream import run as local_run

pytestmark = pytest.mark.spark

HOT = ("Our newsroom follows the council, the courts and the schools of the valley every day of the year, "
       "and relies on readers like you to keep doing it.")
HOSTS = ["valley-courier.example", "north-ledger.example", "river-post.example", "hill-times.example"]
FURNITURE = {host: f"More from the {host.split('.')[0].replace('-', ' ').title()} desk this week" for host in HOSTS}


def paragraph(rng: random.Random, low: int = 12, high: int = 45) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))) + "."


def edited(rng: random.Random, text: str, rate: float) -> str:
    """``text`` with about ``rate`` of its words replaced, line by line."""
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        lines.append(" ".join(rng.choice(WORDS) if w and rng.random() < rate else w for w in words))
    return "\n".join(lines)


def planted_corpus(root: Path, documents: int = 2400, seed: int = 7) -> Path:
    """JSONL shards (one gzip), a text folder, bad records; near-duplicate documents, shared and
    hot paragraphs, and per-site furniture lines only cross-document evidence can find."""
    rng = random.Random(seed)
    shared = [paragraph(rng, 30, 40) for _ in range(40)]
    texts: list[str] = []
    rows: list[dict[str, Any]] = []
    for i in range(documents):
        host = HOSTS[i % len(HOSTS)]
        if i > 50 and i % 11 == 0:  # a near-duplicate of an earlier document
            text = edited(rng, texts[rng.randrange(len(texts))], 0.02)
        else:
            lines = [f"Story {i}"] + [paragraph(rng) for _ in range(rng.randint(3, 6))]
            if i % 4 == 0:
                lines.insert(2, edited(rng, rng.choice(shared), 0.03))
            if i % 9 == 0:
                lines.append(HOT)
            if i % 3 == 0:
                lines.append(FURNITURE[host])
            lines.append(rng.choice(WIDGETS))
            text = "\n".join(lines) + "\n"
        texts.append(text)
        rows.append({"id": f"n{i}", "text": text, "url": f"https://{host}/{i}", "meta": {"n": i, "é": "ü"}})
    shards = 6
    per = len(rows) // shards
    for s in range(shards):
        part = rows[s * per:(s + 1) * per] if s < shards - 1 else rows[s * per:]
        data = b"".join(json.dumps(r, ensure_ascii=s % 2 == 0).encode() + b"\n" for r in part)
        if s == 2:
            data += b"{not json\n" + json.dumps({"id": "x", "text": 5}).encode() + b"\n"
        path = root / "web" / (f"part-{s:04d}.jsonl" + (".gz" if s == 3 else ""))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(data, mtime=0) if s == 3 else data)
    for k in range(12):
        (root / "notes").mkdir(exist_ok=True)
        (root / "notes" / f"note{k:02d}.txt").write_text(texts[k * 37] if k % 4 == 0 else
                                                         "\n".join(paragraph(rng) for _ in range(3)) + "\n")
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted_corpus(tmp_path_factory.mktemp("spark") / "in")


def outputs(tmp: Path, corpus: Path, spark: Any, config: Config) -> tuple[dict[str, bytes], dict[str, bytes]]:
    from dedup.spark import run as spark_run

    local_clusters: list[tuple[str, ...]] = []
    write_items(local_run([corpus], config, None, 2, None, local_clusters), tmp / "local", config,
                lambda: local_clusters)
    spark_clusters: list[tuple[str, ...]] = []
    write_items(spark_run([corpus], config, None, spark, None, spark_clusters), tmp / "spark", config,
                lambda: spark_clusters)
    return read_tree(tmp / "local"), read_tree(tmp / "spark")


def test_spark_output_equals_the_local_engine_byte_for_byte(tmp_path: Path, corpus: Path, spark: Any) -> None:
    local, distributed = outputs(tmp_path, corpus, spark, Config())
    assert sorted(local) == sorted(distributed)
    for name in local:
        assert local[name] == distributed[name], name
    summary = json.loads(local["summary.json"])
    kinds = summary["changes"]["by_kind"]
    # the corpus exercises every global stage: whole-document and passage duplicates, evidence, bad rows
    assert kinds.get("document-duplicate", 0) >= 150 and kinds.get("duplicate", 0) >= 300
    assert summary["documents"]["skipped"] == 2
    changes = [json.loads(line) for line in local["changes.jsonl"].decode().splitlines()]
    # the hot paragraph (in 267 documents: a bucket past SMALL_BUCKET) goes everywhere but once
    assert sum(1 for c in changes if HOT in c.get("text", "") and c["kind"] != "document-duplicate") >= 220
    assert any(c.get("rule") == "recurring-line" for c in changes)


def test_spark_rejudges_documents_in_no_component_as_the_local_engine_does(tmp_path: Path, spark: Any) -> None:
    """Documents that share only a recurring line of their source are in no component: both
    engines judge them again with it, and agree."""
    rows = local_news("Ledger Media Group", ["ledger.example"] * 4)
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    local, distributed = outputs(tmp_path, corpus, spark, Config())
    assert local == distributed
    changes = [json.loads(line) for line in local["changes.jsonl"].decode().splitlines()]
    assert [c["rule"] for c in changes] == ["recurring-line"] * len(rows)


def test_spark_follows_the_configuration(tmp_path: Path, corpus: Path, spark: Any) -> None:
    """A stricter threshold and no evidence: still the local engine's output."""
    from dataclasses import replace

    config = Config()
    config = replace(config, neardup=replace(config.neardup, threshold=0.9),
                     rules=replace(config.rules, disable=("recurring-line",)))
    local, distributed = outputs(tmp_path, corpus, spark, config)
    assert local == distributed


def test_the_cluster_side_paths_give_the_same_output(tmp_path: Path, spark: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Past DRIVER_EDGES the components are found by large-star/small-star; past
    BROADCAST_VERDICTS the verdicts are joined: forced here on a smaller corpus, same output."""
    from dedup import spark as engine

    monkeypatch.setattr(engine, "DRIVER_EDGES", -1)
    monkeypatch.setattr(engine, "BROADCAST_VERDICTS", -1)
    small = planted_corpus(tmp_path / "in", documents=600, seed=11)
    local, distributed = outputs(tmp_path, small, spark, Config())
    assert local == distributed
    assert b"document-duplicate" in local["changes.jsonl"]


def test_shards_at_urls_are_read_through_hadoop(tmp_path: Path, spark: Any) -> None:
    """The corpus given as a file:// URL (Spark lists it and fetches the bytes through its Hadoop
    file systems, as for hdfs:// or s3a://): the same output as the local engine on its path,
    including a Parquet shard (its schema travels to the driver) and a name with glob characters."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dedup.spark import run as spark_run

    root = planted_corpus(tmp_path / "in", documents=500, seed=5)
    rows = [json.loads(line) for line in (root / "web" / "part-0000.jsonl").read_bytes().splitlines()[:40]]
    table = pa.Table.from_pylist([{"id": r["id"] + "p", "text": r["text"], "url": r["url"], "n": i}
                                  for i, r in enumerate(rows)])
    pq.write_table(table, root / "web" / "extra.parquet")
    (root / "notes" / "odd [1] {x}.txt").write_text(paragraph(random.Random(1), 30, 40) + "\n")
    config = Config()
    local_clusters: list[tuple[str, ...]] = []
    write_items(local_run([root], config, None, 1, None, local_clusters), tmp_path / "local", config,
                lambda: local_clusters)
    spark_clusters: list[tuple[str, ...]] = []
    write_items(spark_run([root.as_uri()], config, None, spark, None, spark_clusters), tmp_path / "spark", config,
                lambda: spark_clusters)
    local, distributed = read_tree(tmp_path / "local"), read_tree(tmp_path / "spark")
    assert "corpus/web/extra.parquet" in distributed and "corpus/notes/odd [1] {x}.txt" in distributed
    assert local == distributed
    with pytest.raises(InputError, match="cannot list it"):
        list(spark_run([(tmp_path / "missing").as_uri()], config, None, spark))


def test_an_out_url_gets_a_dataset_with_the_local_engines_lines(tmp_path: Path, spark: Any) -> None:
    """``-o URL``: corpus and change log written by Spark's writers, partitioned by shard; every
    shard's lines, the change log and the summary are the local engine's, in order."""
    from dedup.spark import write_dataset

    root = planted_corpus(tmp_path / "in", documents=500, seed=9)
    # a copy dropped whole: its change holds its text, with a line separator JSON leaves unescaped
    copied = {"id": "sep", "text": "The launch was covered by every site that morning.\u2028 " * 12}
    (root / "separators.jsonl").write_text(json.dumps(copied) + "\n" + json.dumps(copied) + "\n")
    config = Config()
    clusters: list[tuple[str, ...]] = []
    write_items(local_run([root], config, None, 1, None, clusters), tmp_path / "local", config, lambda: clusters)
    local = read_tree(tmp_path / "local")
    assert "\u2028".encode() in local["changes.jsonl"]
    url = (tmp_path / "dataset").as_uri()
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "stale.txt").write_text("the previous output")
    summary = write_dataset([root], config, url, spark)
    out = tmp_path / "dataset"
    assert not (out / "stale.txt").exists()  # replaced whole
    assert (out / "summary.json").read_bytes() == local["summary.json"]
    assert summary == json.loads(local["summary.json"])

    def lines(folder: Path) -> bytes:
        return b"".join(p.read_bytes() for p in sorted(folder.glob("part-*")))

    assert lines(out / "changes") == local["changes.jsonl"]
    for name, data in local.items():
        if not name.startswith("corpus/"):
            continue
        shard = name.removeprefix("corpus/")
        if shard.startswith("notes/"):
            continue  # text documents come out as {"doc", "text"} records under shard=_text
        folder = out / "corpus" / f"shard={shard.replace('/', '%2F')}"
        expected = gzip.decompress(data) if shard.endswith(".gz") else data
        assert lines(folder) == expected, shard
    texts = [json.loads(line) for line in lines(out / "corpus" / "shard=_text").splitlines()]
    kept = sorted(n.removeprefix("corpus/") for n in local if n.startswith("corpus/notes/"))
    assert [t["doc"] for t in texts] == kept
    assert all(local["corpus/" + t["doc"]] == t["text"].encode() for t in texts)


def test_spark_submit_runs_dedups_main(tmp_path: Path, spark: Any) -> None:
    """``spark-submit .../dedup/__main__.py clean ...`` (as on a cluster) writes the local engine's OUT."""
    import os
    import subprocess

    import pyspark

    import dedup.__main__

    home = Path(pyspark.__file__).parent
    submit = home / "bin" / "spark-submit"
    if not submit.exists():
        pytest.skip("this pyspark has no bin/spark-submit")
    env = {**os.environ, "SPARK_HOME": str(home), "PYSPARK_PYTHON": sys.executable,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    done = subprocess.run([str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false",
                           dedup.__main__.__file__, "clean", str(seeds), "-o", str(tmp_path / "out"), "--engine",
                           "spark", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert read_tree(tmp_path / "out") == read_tree(seeds.parent / "out")


def test_cli_engine_spark_runs_from_any_folder(tmp_path: Path, corpus: Path, spark: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", "spark-out", "--engine", "spark", "-q"])
    assert result.exit_code == 2, result.output  # the two bad records
    local = CliRunner().invoke(main, ["clean", str(corpus), "-o", "local-out", "-q"])
    assert local.exit_code == 2
    assert read_tree(tmp_path / "spark-out") == read_tree(tmp_path / "local-out")


def random_edges(rng: random.Random, nodes: int, count: int) -> Any:
    pairs = {tuple(sorted((rng.randrange(nodes), rng.randrange(nodes)))) for _ in range(count)}
    pairs |= {(0, k) for k in range(1, nodes, 5)}  # a hub: one node linked to a fifth of the graph
    return np.array(sorted((a << 32) | b for a, b in pairs), dtype=np.uint64)


@pytest.mark.parametrize("seed", [1, 2])
def test_large_star_small_star_equals_the_local_components(spark: Any, seed: int) -> None:
    from dedup.spark import cluster_labels

    rng = random.Random(seed)
    nodes = 3000
    edges = random_edges(rng, nodes, 1200)
    frame = spark.createDataFrame([(int(e >> np.uint64(32)), int(e & np.uint64(0xFFFFFFFF))) for e in edges],
                                  "a long, b long")
    labels = dict(cluster_labels(spark, frame).collect())
    expected = {d: group[0] for group in components(edges, nodes) for d in group}
    assert labels == expected
    assert len(set(labels.values())) > 10  # many components, not one


def test_a_passage_in_100k_documents_is_a_star_and_a_chain_not_a_crash(spark: Any) -> None:
    """A hot bucket (one passage in 100,000 documents) costs linear work on the executors."""
    from dedup.spark import _edges, cluster_labels

    n = 100_000
    config = Config()
    bands = 25
    hot = np.arange(1, bands + 1, dtype=np.uint64)[None, :]
    low = np.full((1, 128), 7, dtype=np.uint8)
    lines = Lines("s", 0, (), ())

    def sketches(part: Any) -> Any:
        for d in part:
            yield d, Sketch(lines, hot, low, (), (), b"", b"")

    numbered = spark.sparkContext.parallelize(range(n), 8).mapPartitions(sketches, preservesPartitioning=True)
    edges = _edges(spark, numbered, config)
    assert edges.count() == 2 * (n - 1) - 1  # a star to document 0 and a chain; they share (0, 1)
    labels = cluster_labels(spark, edges)
    assert labels.select("label").distinct().collect() == [(0,)] and labels.count() == n


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup import spark as engine

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(UsageError, match=r"dedup\[spark\]"), engine.session():
        pass


def test_spark_options_need_the_spark_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["clean", str(tmp_path), "--spark-master", "local[2]"])
    assert result.exit_code == 2 and "need --engine spark" in result.output
    result = CliRunner().invoke(main, ["clean", str(tmp_path), "-o", "hdfs://nn/out"])
    assert result.exit_code == 2 and "need --engine spark" in result.output
    result = CliRunner().invoke(main, ["clean", str(tmp_path), "--engine", "spark", "-j", "2"])
    assert result.exit_code == 2 and "--jobs is for the local engine" in result.output


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=corpora())
def test_engines_agree_on_generated_corpora(spark: Any, files: dict[str, str]) -> None:
    """Corpora drawn by the property tests' strategy (odd characters, widgets, repeated lines,
    CRLF, shared passages), as text files and as a JSONL shard: both engines write the same OUT."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write_corpus(Path(tmp) / "in", {f"site{i % 2}/{name}": text
                                                for i, (name, text) in enumerate(files.items())})
        rows = b"".join(json.dumps({"id": name, "text": text, "url": f"https://s{i % 2}.example/{i}"}).encode()
                        + b"\n" for i, (name, text) in enumerate(files.items()))
        (root / "shard.jsonl").write_bytes(rows)
        local, distributed = outputs(Path(tmp), root, spark, Config())
        assert local == distributed


CHANGES = {  # how a corpus changes between the passes, and the item the run then names
    "modified": ("a.txt", lambda root: (root / "a.txt").write_text("short\n")),
    "removed": ("b.txt", lambda root: (root / "b.txt").unlink()),
    "row edited": ("web/shard.jsonl#r1", lambda root: (root / "web" / "shard.jsonl").write_bytes(
        (root / "web" / "shard.jsonl").read_bytes().replace(b"second", b"2nd"))),
    "row added": ("web/shard.jsonl", lambda root: (root / "web" / "shard.jsonl").write_bytes(
        (root / "web" / "shard.jsonl").read_bytes() + b'{"id": "r3", "text": "a late row."}\n')),
    "row removed": ("web/shard.jsonl", lambda root: (root / "web" / "shard.jsonl").write_bytes(
        b"".join((root / "web" / "shard.jsonl").read_bytes().splitlines(keepends=True)[:-1]))),
    "rows in an empty shard": ("web/empty.jsonl", lambda root: (root / "web" / "empty.jsonl").write_bytes(
        b'{"id": "e0", "text": "now it has one."}\n')),
}


def changing_corpus(root: Path) -> Path:
    rows = [{"id": f"r{i}", "text": f"The {word} record of the shard, with enough words to be a paragraph.\nComments\n"}
            for i, word in enumerate(["first", "second", "third"])]
    write_corpus(root, {"a.txt": f"{HOT}\nComments\n", "b.txt": f"Share this article\n{FURNITURE[HOSTS[0]]}.\n",
                        "c.txt": "Hello there, a short one.\nComments\n", "web/empty.jsonl": "",
                        "web/shard.jsonl": "".join(json.dumps(r) + "\n" for r in rows)})
    return root


@pytest.mark.parametrize(("how", "joined"), [(how, False) for how in sorted(CHANGES)]
                         + [("modified", True), ("row added", True)])
def test_a_file_changed_between_the_passes_stops_the_spark_run_plainly(tmp_path: Path, spark: Any,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       how: str, joined: bool) -> None:
    """As in the local engine: pass 2 re-reads the corpus, and an item that differs from pass 1 (a
    file modified or removed, a record edited, added or removed, rows in a shard that had none)
    would get changes meant for another text. The run stops with the local engine's one line and
    exit 2, not Spark's error about zipping partitions, and OUT is untouched; also when verdicts
    are joined rather than broadcast (``joined``)."""
    from dedup import spark as engine
    from dedup.stages import corpus_changed

    if joined:
        monkeypatch.setattr(engine, "BROADCAST_VERDICTS", -1)
    root = changing_corpus(tmp_path / "in")
    out = write_corpus(tmp_path / "out", {"previous.txt": "previous\n"})
    named, change = CHANGES[how]
    real = engine._plans

    def then_change(*args: Any, **kwargs: Any) -> Any:  # on the driver, after pass 1, before pass 2
        change(root)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_plans", then_change)
    result = CliRunner().invoke(main, ["clean", str(root), "-o", str(out), "--engine", "spark", "-q"])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"dedup: error: {corpus_changed(named).message}\n"
    assert read_tree(out) == {"previous.txt": b"previous\n"}


def test_spark_and_local_engines_stop_with_the_same_line_when_a_file_changes(tmp_path: Path, spark: Any,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The same change between the passes, each engine: the same message, word for word."""
    import dedup.stream as stream
    from dedup import spark as engine

    errors = []
    for name, module, hook, args in [("local", stream, "components", []),
                                     ("spark", engine, "_plans", ["--engine", "spark"])]:
        root = changing_corpus(tmp_path / name)
        real = getattr(module, hook)

        def then_change(*a: Any, real: Any = real, root: Path = root, **k: Any) -> Any:
            (root / "a.txt").write_text("short\n")
            return real(*a, **k)

        monkeypatch.setattr(module, hook, then_change)
        result = CliRunner().invoke(main, ["clean", str(root), "-o", str(tmp_path / f"{name}-out"), "-q", *args])
        assert result.exit_code == 2
        errors.append(result.stderr)
    assert errors[0] == errors[1] and "a.txt: the corpus changed while dedup read it" in errors[0]


def test_an_unchanged_corpus_with_an_empty_shard_passes_the_check(tmp_path: Path, spark: Any) -> None:
    """The place an empty shard holds between the passes never reaches the output: OUT is the local
    engine's, with no file for the empty shard."""
    root = changing_corpus(tmp_path / "in")
    spark_run = CliRunner().invoke(main, ["clean", str(root), "-o", str(tmp_path / "spark"), "--engine", "spark", "-q"])
    local_run = CliRunner().invoke(main, ["clean", str(root), "-o", str(tmp_path / "local"), "-q"])
    assert spark_run.exit_code == local_run.exit_code == 0, spark_run.output
    assert read_tree(tmp_path / "spark") == read_tree(tmp_path / "local")
    assert "corpus/web/shard.jsonl" in read_tree(tmp_path / "spark")
    assert "corpus/web/empty.jsonl" not in read_tree(tmp_path / "spark")


def test_a_dataset_run_whose_corpus_changes_stops_before_writing(tmp_path: Path, spark: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``-o URL`` too: the check runs before Spark's writers, and the previous dataset stays."""
    from dedup import spark as engine

    root = changing_corpus(tmp_path / "in")
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "previous.txt").write_text("previous\n")
    real = engine._plans

    def then_change(*args: Any, **kwargs: Any) -> Any:
        CHANGES["row added"][1](root)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_plans", then_change)
    with pytest.raises(InputError, match=r"web/shard\.jsonl: the corpus changed while dedup read it"):
        engine.write_dataset([root], Config(), (tmp_path / "dataset").as_uri(), spark)
    assert read_tree(tmp_path / "dataset") == {"previous.txt": b"previous\n"}
    assert not list(tmp_path.glob("dataset.dedup-*"))  # no staging left behind


def test_a_text_file_over_64_mib_at_a_url_is_skipped_without_being_fetched(tmp_path: Path, spark: Any) -> None:
    """The size guard of files read by path holds for shards Spark fetches itself (``binaryFiles``):
    decided from the size the listing reports, with the same message, and the rest is cleaned as
    by the local engine. The big file is sparse and all NUL bytes, so had it been fetched it would
    have been skipped as binary instead."""
    from dedup.corpus import MAX_DOCUMENT_BYTES

    root = write_corpus(tmp_path / "in", {"good.txt": f"{HOT}\nComments\n",
                                          "web/shard.jsonl": json.dumps({"id": "r", "text": HOT}) + "\n"})
    with open(root / "huge.txt", "wb") as fh:
        fh.truncate(MAX_DOCUMENT_BYTES + (1 << 20))
    line = (f"dedup: skipped huge.txt: 65 MiB, more than the {MAX_DOCUMENT_BYTES >> 20} MiB one document may "
            "have; split it into documents; it was not read\n")
    fetched = CliRunner().invoke(main, ["clean", root.as_uri(), "-o", str(tmp_path / "spark"), "--engine", "spark",
                                        "-q"])
    assert fetched.exit_code == 2, fetched.output
    assert line in fetched.stderr and "binary" not in fetched.stderr
    local = CliRunner().invoke(main, ["clean", str(root), "-o", str(tmp_path / "local"), "-q"])
    assert local.exit_code == 2 and line in local.stderr
    assert read_tree(tmp_path / "spark") == read_tree(tmp_path / "local")
    assert sorted(n for n in read_tree(tmp_path / "spark") if n.startswith("corpus/")) == [
        "corpus/good.txt", "corpus/web/shard.jsonl"]


def test_a_record_line_over_64_mib_gives_the_local_engines_output(tmp_path: Path, spark: Any) -> None:
    """A JSONL line over the limit is a bad record copied as it is, in the Spark engine too. The
    executors cannot see a lowered limit, so the line is real (65 MiB): read by path, the driver
    copies it from the shard in chunks; from a URL, the fetched shard's line travels to the driver.
    Both give the local engine's output. (The dataset writer, which takes the line as one value,
    is left out: sorting a 65 MiB row needs more than the shared test session's memory.)"""
    import filecmp

    from dedup.corpus import MAX_DOCUMENT_BYTES

    root = tmp_path / "in"
    (root / "web").mkdir(parents=True)
    block = (HOT + " ").encode() * 4000
    with open(root / "web" / "records.jsonl", "wb") as fh:
        fh.write(json.dumps({"id": "a", "text": f"{HOT}\nComments\n"}).encode() + b'\n{"id": "huge", "text": "')
        for _ in range(MAX_DOCUMENT_BYTES // len(block) + 2):
            fh.write(block)
        fh.write(b'"}\n' + json.dumps({"id": "b", "text": f"Share this article\n{FURNITURE[HOSTS[1]]}."}).encode()
                 + b"\n")
    local = CliRunner().invoke(main, ["clean", str(root), "-o", str(tmp_path / "local"), "-q"])
    assert local.exit_code == 2 and "web/records.jsonl#1: a line of 65 MiB, more than the 64 MiB" in local.stderr
    for name, where in [("path", str(root)), ("url", root.as_uri())]:
        result = CliRunner().invoke(main, ["clean", where, "-o", str(tmp_path / name), "--engine", "spark", "-q"])
        assert result.exit_code == 2 and result.stderr == local.stderr, name
        for part in ["corpus/web/records.jsonl", "changes.jsonl", "summary.json"]:
            assert filecmp.cmp(tmp_path / "local" / part, tmp_path / name / part, shallow=False), (name, part)
