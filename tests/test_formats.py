"""JSONL (plain, gzip, zstd) and Parquet corpora: cleaned in their own format, metadata intact, restorable."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from conftest import LOCAL_NEWS, SEEDS, local_news, read_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from test_scale import generated

from dedup import Config, clean
from dedup.cli import main
from dedup.formats import STYLES, source_from
from dedup.pipeline import plan, prepare
from dedup.stages import components

SEED_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def records() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"id": f"s{i}", "text": text, "url": f"https://site{i % 2}.example/a/{i}", "date": f"2026-01-0{i + 1}",
         "meta": {"lang": "en", "tags": ["ai", i]}}
        for i, text in enumerate(SEED_TEXTS)
    ]
    rows.append({"id": "copy", "text": SEED_TEXTS[0], "url": "https://mirror.example/x", "meta": None})
    return rows


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def jsonl(rows: list[dict[str, object]], ascii_only: bool = False) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=ascii_only).encode("utf-8") + b"\n" for r in rows)


def test_jsonl_round_trip_keeps_metadata_and_restores_bytes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "web").mkdir(parents=True)
    raw = jsonl(records())
    (src / "web" / "part-0.jsonl").write_bytes(raw)
    code, _ = run("clean", str(src), "-o", str(tmp_path / "out"), "-q")
    assert code == 0
    out_lines = (tmp_path / "out" / "corpus" / "web" / "part-0.jsonl").read_bytes().splitlines()
    originals = raw.splitlines()
    kept = [json.loads(line) for line in out_lines]
    assert [r["id"] for r in kept] == ["s0", "s1", "s2", "s3", "s4"]  # the mirror copy was dropped
    for row, original in zip(kept, records(), strict=False):
        assert {k: v for k, v in row.items() if k != "text"} == {k: v for k, v in original.items() if k != "text"}
    assert kept[2]["text"] == SEED_TEXTS[2] and out_lines[2] == originals[2]  # unchanged: byte for byte
    assert "Loading comments..." not in kept[0]["text"]  # cleaned
    changes = [json.loads(line) for line in (tmp_path / "out" / "changes.jsonl").read_text().splitlines()]
    dropped = [c for c in changes if c["kind"] == "document-duplicate"]
    assert [(c["doc"], c["row"], c["duplicate_of"]) for c in dropped] == [("web/part-0.jsonl#copy", 5,
                                                                           "web/part-0.jsonl#s0")]
    assert dropped[0]["record"].encode("utf-8") == originals[5]
    assert {c["row"] for c in changes if c["doc"] == "web/part-0.jsonl#s4"} == {4}
    code, _ = run("restore", str(tmp_path / "out"), "-o", str(tmp_path / "back"))
    assert code == 0
    assert read_tree(tmp_path / "back") == read_tree(src)


@pytest.mark.parametrize("ascii_only", [True, False])
def test_changed_lines_keep_their_json_style(tmp_path: Path, ascii_only: bool) -> None:
    src = tmp_path / "in"
    src.mkdir()
    raw = jsonl(records()[:2], ascii_only)
    (src / "a.jsonl").write_bytes(raw)
    assert run("clean", str(src), "-o", str(tmp_path / "out"), "-q")[0] == 0
    out = (tmp_path / "out" / "corpus" / "a.jsonl").read_bytes()
    assert (b"\\u2019" in out) == ascii_only  # the curly quotes of the seeds, escaped only if they were
    assert run("restore", str(tmp_path / "out"), "-o", str(tmp_path / "back"))[0] == 0
    assert (tmp_path / "back" / "a.jsonl").read_bytes() == raw


def test_unusual_json_style_is_restored_from_the_record(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = records()[:1]
    raw = json.dumps(rows[0], indent=None, separators=(" ,", " : ")).encode() + b"\n"
    (src / "a.jsonl").write_bytes(raw)
    assert run("clean", str(src), "-o", str(tmp_path / "out"), "-q")[0] == 0
    first = json.loads((tmp_path / "out" / "changes.jsonl").read_text().splitlines()[0])
    assert first["encoding"] == "jsonl-raw" and first["record"].encode() + b"\n" == raw
    assert run("restore", str(tmp_path / "out"), "-o", str(tmp_path / "back"))[0] == 0
    assert (tmp_path / "back" / "a.jsonl").read_bytes() == raw


def test_gzip_and_zstd_shards(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    src = tmp_path / "in"
    src.mkdir()
    raw = jsonl(records())
    (src / "a.jsonl.gz").write_bytes(gzip.compress(raw, mtime=0))
    (src / "b.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    assert run("clean", str(src), "-o", str(tmp_path / "out"), "-q")[0] == 0
    a = gzip.decompress((tmp_path / "out" / "corpus" / "a.jsonl.gz").read_bytes())
    b = zstandard.ZstdDecompressor().stream_reader((tmp_path / "out" / "corpus" / "b.jsonl.zst").read_bytes()).read()
    assert len(a.splitlines()) == 5 and b.count(b"\n") == 0  # b's records all duplicate a's: all dropped
    assert run("restore", str(tmp_path / "out"), "-o", str(tmp_path / "back"))[0] == 0
    assert gzip.decompress((tmp_path / "back" / "a.jsonl.gz").read_bytes()) == raw
    back_b = (tmp_path / "back" / "b.jsonl.zst").read_bytes()
    assert zstandard.ZstdDecompressor().stream_reader(back_b).read() == raw


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
@pytest.mark.parametrize(("last", "how"), [("copy", "dropped"), ("s4", "changed"), ("s2", "unchanged")])
def test_a_shard_without_a_final_line_break_keeps_it_so(tmp_path: Path, compression: str | None, last: str,
                                                        how: str) -> None:
    """A JSONL file need not end with a line break: the output shard ends as its source did, and
    restore gives back every byte, whether the last record is dropped, changed or unchanged."""
    if compression == "zstd":
        pytest.importorskip("zstandard")
    rows = [r for r in records() if r["id"] != last] + [r for r in records() if r["id"] == last]
    raw = jsonl(rows)[:-1]
    suffix = {None: "", "gzip": ".gz", "zstd": ".zst"}[compression]
    src = tmp_path / "in"
    src.mkdir()
    (src / f"a.jsonl{suffix}").write_bytes(_compressed(raw, compression))
    assert run("clean", str(src), "-o", str(tmp_path / "out"), "-q")[0] == 0
    out = _decompressed((tmp_path / "out" / "corpus" / f"a.jsonl{suffix}").read_bytes(), compression)
    assert not out.endswith(b"\n") and out.count(b"\n") == 4  # five records left (the copy of s0 is dropped)
    if how == "unchanged":
        assert out.endswith(raw.rsplit(b"\n", 1)[1])  # copied byte for byte
    assert run("restore", str(tmp_path / "out"), "-o", str(tmp_path / "back"))[0] == 0
    assert _decompressed((tmp_path / "back" / f"a.jsonl{suffix}").read_bytes(), compression) == raw


def _decompressed(data: bytes, compression: str | None) -> bytes:
    if compression == "gzip":
        return gzip.decompress(data)
    if compression == "zstd":
        import zstandard

        return bytes(zstandard.ZstdDecompressor().stream_reader(data).read())
    return data


def test_parquet_round_trip(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"doc_id": i, "body": r["text"], "url": r["url"], "stamp": i * 10} for i, r in enumerate(records())]
    pq.write_table(pa.Table.from_pylist(rows), src / "p.parquet")
    code, _ = run("clean", str(src), "-o", str(tmp_path / "out"), "-q", "--text-field", "body", "--id-field", "doc_id")
    assert code == 0
    table = pq.read_table(tmp_path / "out" / "corpus" / "p.parquet")
    assert table.schema == pq.read_table(src / "p.parquet").schema
    assert table.column("doc_id").to_pylist() == [0, 1, 2, 3, 4]
    assert table.column("stamp").to_pylist() == [0, 10, 20, 30, 40]
    assert "Loading comments..." not in table.column("body").to_pylist()[0]
    changes = (tmp_path / "out" / "changes.jsonl").read_text()
    assert '"doc": "p.parquet#5"' in changes and '"kind": "document-duplicate"' in changes
    assert run("restore", str(tmp_path / "out"), "-o", str(tmp_path / "back"))[0] == 0
    assert pq.read_table(tmp_path / "back" / "p.parquet").to_pylist() == rows


def test_bad_records_are_reported_and_copied(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    good = jsonl(records()[:2])
    raw = good + b"{broken\n" + b'{"id": "x", "body": "no text field"}\n' + b"[1, 2]\n"
    (src / "a.jsonl").write_bytes(raw)
    result = CliRunner().invoke(main, ["clean", str(src), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2
    assert "a.jsonl#2: not valid JSON" in result.output
    assert "a.jsonl#3: no text field 'text'" in result.output
    assert "a.jsonl#4: record is not a JSON object" in result.output
    out = (tmp_path / "out" / "corpus" / "a.jsonl").read_bytes().splitlines()
    assert out[2:] == [b"{broken", b'{"id": "x", "body": "no text field"}', b"[1, 2]"]
    assert "Traceback" not in result.output


def test_records_without_ids_are_named_by_row(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_bytes(jsonl([{"text": SEED_TEXTS[0]}, {"text": SEED_TEXTS[0] + "\n"}]))
    result = clean([src], Config())
    assert [d.document.doc for d in result.documents] == ["a.jsonl#0", "a.jsonl#1"]
    assert result.documents[1].output is None and result.documents[1].changes[0].duplicate_of == "a.jsonl#0"


def test_source_field_scopes_cross_document_evidence(tmp_path: Path) -> None:
    rows = local_news("Read the Ledger briefing every morning", ["ledger.example"] * 3 + ["other.example"])
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_bytes(jsonl(rows))
    result = clean([src], Config())
    removed = {d.document.doc: [c.rule for c in d.changes] for d in result.documents}
    assert removed == {"a.jsonl#0": ["recurring-line"], "a.jsonl#1": ["recurring-line"],
                       "a.jsonl#2": ["recurring-line"], "a.jsonl#3": []}
    assert "source ledger.example" in result.documents[0].changes[0].reason


@pytest.mark.parametrize("jobs", [1, 2])
def test_recurring_line_in_documents_that_share_nothing_else_is_removed(tmp_path: Path, jobs: int) -> None:
    """Documents with a recurring line but no near-duplicate are in no component: they are
    re-judged alone with their source's recurring lines, in one process or in the workers."""
    rows = local_news("Ledger Media Group", ["ledger.example"] * len(LOCAL_NEWS))
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_bytes(jsonl(rows))
    result = clean([src], Config(), jobs=jobs)
    assert [[(c.rule, c.text) for c in d.changes] for d in result.documents] == [
        [("recurring-line", "Ledger Media Group\n")]] * len(rows)
    assert not result.clusters


def _host_by_urlsplit(value: object) -> str | None:
    """source_from as it was: every URL through ``urlsplit`` (a refused one: the value itself)."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if "://" not in value:
        return value
    try:
        host = urlsplit(value).hostname
    except ValueError:
        return value
    return host.lower() if host else value


URL_PIECES = ["http", "HTTPS", "s3", "x+y.z-1", "1a", "://", ":", "//", "/", "?", "#", "@", "[", "]", "::1",
              "Example.COM", "a-b.c", "ex_ample", "bücher.de", "80", "abc", " ", "\t", "\n", "\x00", "%41", "."]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(URL_PIECES), max_size=8).map("".join) | st.text(max_size=30))
def test_source_is_the_host_urlsplit_gives(value: str) -> None:
    assert source_from(value) == _host_by_urlsplit(value)


def test_a_url_urlsplit_refuses_is_a_source_as_written(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": "a", "text": SEED_TEXTS[0], "url": "https://[unclosed/x"},
            {"id": "b", "text": SEED_TEXTS[1], "url": "https://Site.Example:8080/b"}]
    (src / "a.jsonl").write_bytes(jsonl(rows))
    assert [d.document.source for d in clean([src], Config()).documents] == ["https://[unclosed/x", "site.example"]
    result = CliRunner().invoke(main, ["clean", str(src), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output


def test_jobs_give_identical_jsonl_output(tmp_path: Path) -> None:
    corpus = generated(tmp_path / "txt", 300)
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": p.stem, "text": p.read_text(), "url": f"https://{p.parent.name}.example/"}
            for p in sorted(corpus.rglob("*.txt"))]
    (src / "a.jsonl").write_bytes(jsonl(rows[:150]))
    (src / "b.jsonl").write_bytes(jsonl(rows[150:]))
    assert run("clean", str(src), "-o", str(tmp_path / "one"), "-q", "-j", "1")[0] == 0
    assert run("clean", str(src), "-o", str(tmp_path / "two"), "-q", "-j", "2")[0] == 0
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")
    assert (tmp_path / "one" / "changes.jsonl").read_text().count('"kind": "duplicate"') > 0


def test_streaming_run_equals_planning_everything_at_once(tmp_path: Path) -> None:
    """Splitting the global stage into components loses nothing: same changes as one big plan."""
    corpus = generated(tmp_path / "c", 240)
    streamed = clean([corpus], Config(), jobs=1)
    from dedup.corpus import Source, read_source

    documents = [read_source(Source(p, p.relative_to(corpus).as_posix())) for p in sorted(corpus.rglob("*.txt"))]
    whole, _ = plan([prepare(d, Config()) for d in documents], Config())  # type: ignore[arg-type]
    assert [d.changes for d in streamed.documents] == [d.changes for d in whole]
    assert sum(1 for d in whole for c in d.changes if c.kind == "duplicate") > 5


def test_components_link_documents_through_shared_buckets() -> None:
    import numpy as np

    edges = np.array([(0 << 32) | 3, (3 << 32) | 7, (5 << 32) | 5, (8 << 32) | 9], dtype=np.uint64)
    assert components(edges, 10) == [[0, 3, 7], [5], [8, 9]]
    assert components(np.zeros(0, dtype=np.uint64), 4) == []


def test_missing_parquet_library_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "in"
    src.mkdir()
    pq.write_table(pa.Table.from_pylist([{"text": "One line of text."}]), src / "p.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import fails as if not installed
    result = CliRunner().invoke(main, ["clean", str(src), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2
    assert "pip install 'dedup[parquet]'" in result.output and "Traceback" not in result.output


def test_bucket_pairs_cover_small_buckets_fully_and_big_ones_linearly() -> None:
    import numpy as np

    from dedup.neardup import SMALL_BUCKET, bucket_pairs

    a, c = bucket_pairs(np.array([5, 1, 5, 5, 2, 1], dtype=np.uint64))
    assert sorted(zip(a.tolist(), c.tolist(), strict=True)) == [(0, 2), (0, 3), (1, 5), (2, 3)]
    big = SMALL_BUCKET + 8
    a, c = bucket_pairs(np.zeros(big, dtype=np.uint64))
    assert len(a) == 2 * (big - 1)  # a star to the first member and a chain, not big² pairs
    assert {int(x) for x in np.concatenate([a, c])} == set(range(big))


def test_vetting_keeps_similar_signatures_and_drops_chance_collisions() -> None:
    import numpy as np

    from dedup.stream import _vetted

    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, size=(1, 128), dtype=np.uint8)
    close = base.copy()
    close[0, :24] = rng.integers(0, 256, size=24, dtype=np.uint8)  # about 0.81 of the values agree
    low = np.concatenate([base, close, rng.integers(0, 256, size=(1, 128), dtype=np.uint8)])
    a, c = _vetted(low, np.array([0, 0]), np.array([1, 2]), cutoff=0.5)
    assert list(zip(a.tolist(), c.tolist(), strict=True)) == [(0, 1)]


def test_band_pairs_sorted_by_workers_give_the_same_edges(tmp_path: Path) -> None:
    """The pool sorts the bands while the main process vets: the edges are those of one process."""
    import numpy as np

    from dedup.stream import BandSpill, _pool, _stop

    rng = np.random.default_rng(1)
    low = rng.integers(0, 256, size=(300, 16), dtype=np.uint8)
    keys = rng.integers(0, 40, size=(300, 4), dtype=np.uint64)
    found = []
    for folder, jobs in ((tmp_path / "one", 1), (tmp_path / "pool", 2)):
        folder.mkdir()
        spill = BandSpill(folder, bands=4, threshold=0.8)
        for doc in range(100):  # three entries a document; near-copies share their low bytes
            at = slice(3 * doc, 3 * doc + 3)
            spill.add(doc, keys[at], low[at] if doc % 2 else low[0:3])
        pool = _pool(jobs, Config()) if jobs > 1 else None
        try:
            found.append(spill.edges(pool))
        finally:
            if pool is not None:
                _stop(pool, interrupted=False)
    assert len(found[0]) > 10
    assert np.array_equal(found[0], found[1])


def test_hot_passage_shared_by_many_documents_matches_the_one_big_plan(tmp_path: Path) -> None:
    """A paragraph printed in 60 documents (a bucket past SMALL_BUCKET) is handled like everything else."""
    hot = ("Our newsroom follows the council, the courts and the schools of the valley every day of the "
           "year, and relies on readers like you to keep doing it.")
    corpus = generated(tmp_path / "c", 120)
    for i, path in enumerate(sorted(corpus.rglob("*.txt"))):
        if i % 2 == 0:
            path.write_text(path.read_text() + hot + "\n")
    streamed = clean([corpus], Config(), jobs=2)
    from dedup.corpus import Source, read_source

    documents = [read_source(Source(p, p.relative_to(corpus).as_posix())) for p in sorted(corpus.rglob("*.txt"))]
    whole, _ = plan([prepare(d, Config()) for d in documents], Config())  # type: ignore[arg-type]
    assert [d.changes for d in streamed.documents] == [d.changes for d in whole]
    removed = sum(1 for d in streamed.documents for c in d.changes if hot in c.text)
    assert removed >= 59


def test_ids_with_hashes_and_forced_format_restore(tmp_path: Path) -> None:
    """Names are SHARD#ID: an id holding '#' (or a shard read as JSONL whatever its extension)
    still finds its shard on restore."""
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": f"post#{i}", "text": t} for i, t in enumerate(SEED_TEXTS[:2])] + [
        {"id": "post#copy", "text": SEED_TEXTS[0]}]
    raw = jsonl(rows)
    (src / "dump.data").write_bytes(raw)
    code, _ = run("clean", str(src), "-o", str(tmp_path / "out"), "-q", "--format", "jsonl", "--include", "*.data")
    assert code == 0
    changes = (tmp_path / "out" / "changes.jsonl").read_text()
    assert '"doc": "dump.data#post#copy"' in changes
    assert run("report", str(tmp_path / "out"))[0] == 0
    assert run("restore", str(tmp_path / "out"), "-o", str(tmp_path / "back"))[0] == 0
    assert (tmp_path / "back" / "dump.data").read_bytes() == raw


def _compressed(data: bytes, compression: str | None) -> bytes:
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "zstd":
        import zstandard

        return bytes(zstandard.ZstdCompressor().compress(data))
    return data


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_lines_are_held_only_up_to_the_limit_and_longer_ones_are_copied(compression: str | None,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSONL line reader with a 16-byte limit and 5-byte chunks: lines at the limit are lines
    (with or without a line break, CRLF kept as read), longer ones are where to copy them from, and
    copying gives their bytes back from a fresh stream; one cut short says the file changed."""
    import io

    from dedup import corpus, formats
    from dedup.errors import InputError
    from dedup.formats import LongLine, Unterminated, copy_line, is_unterminated, lines, open_shard, read_line

    monkeypatch.setattr(corpus, "MAX_DOCUMENT_BYTES", 16)
    monkeypatch.setattr(formats, "CHUNK", 5)
    at_limit, over = b"a" * 16, b"b" * 17
    long_one, last = b'{"text": "' + b"c" * 40 + b'"}', b"d" * 30
    data = b"\n".join([b"", at_limit, over, b"short\r", long_one, at_limit, last])  # no final line break
    blob = _compressed(data, compression)
    found = list(lines(open_shard(Path("x"), compression, blob)))
    assert found == [b"", at_limit, LongLine(18, 17), b"short\r", LongLine(43, len(long_one)), at_limit,
                     LongLine(113, 30, ended=False)]
    assert [is_unterminated(line) for line in found] == [False] * 6 + [True]
    short_last = list(lines(open_shard(Path("x"), compression, _compressed(b"x\nshort", compression))))
    assert short_last == [b"x", b"short"] and isinstance(short_last[1], Unterminated)
    for line, original in [(found[2], over), (found[4], long_one), (found[6], last)]:
        assert isinstance(line, LongLine)
        copied = io.BytesIO()
        copy_line(open_shard(Path("x"), compression, blob), line, copied.write, "x")
        assert copied.getvalue() == original
        assert read_line(open_shard(Path("x"), compression, blob), line, "x") == original
    assert list(lines(open_shard(Path("x"), compression, _compressed(at_limit + b"\n", compression)))) == [at_limit]
    with pytest.raises(InputError, match="the file changed while dedup read it"):
        copy_line(open_shard(Path("x"), compression, _compressed(data[:100], compression)), found[6], print, "x")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "text", "url", "é"]),
                       st.one_of(st.text(max_size=20), st.integers(), st.none()), max_size=4),
       st.sampled_from([*STYLES, "indented"]))
def test_json_style_is_the_first_style_that_reproduces_the_line(value: dict[str, object], written: str) -> None:
    """``json_style`` skips the ASCII styles for a line with non-ASCII bytes: it must still name
    the first style (in STYLES order) whose dump equals the line, or RAW when none does."""
    from dedup.formats import RAW, json_style

    if written == "indented":
        raw = json.dumps(value, indent=1, ensure_ascii=False).encode("utf-8")
    else:
        ascii_only, separators = STYLES[written]
        raw = json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode("utf-8")
    expected = next((name for name, (a, s) in STYLES.items()
                     if json.dumps(value, ensure_ascii=a, separators=s).encode("utf-8") == raw), RAW)
    assert json_style(value, raw) == expected
