"""Fuzzing the normaliser and the readers with hypothesis: arbitrary text and arbitrary bytes never
crash them, and whatever they accept round-trips.

Bounded for CI (a few hundred examples per target; ``FUZZ_EXAMPLES`` raises it for a long local
run). A crash found here becomes a regression test below the targets.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.changes import apply, invert
from dedup.corpus import decode_document, encode_text
from dedup.formats import Fields, Shard, read_rows
from dedup.model import Document, Skipped
from dedup.normalize import fold, propose_repairs, soft_fold
from dedup.passages import split

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

#: Text the repairs care about: mojibake pieces, entities, controls, odd spaces and line breaks.
PIECES = ["â€™", "Ã©", "&amp;", "&#8217;", "&nbsp", "\x1b[31m", "\x00", "\x7f", "\u200b", "\ufeff", "\r\n", "\r",
          "\n", "\u2028", "\x85", "é", "ﬁ", "中文", "\ud83d", "’", "—", " ", "\t"]
texts = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map("".join),
)


def _document(text: str) -> Document:
    return Document("d.txt", text)


@FUZZ
@given(texts)
def test_repairs_apply_and_invert_on_any_text(text: str) -> None:
    changes = propose_repairs(_document(text))
    output = apply(text, changes)
    assert invert(output, changes) == text


@FUZZ
@given(texts)
def test_folding_and_passages_accept_any_text(text: str) -> None:
    fold(text)
    soft_fold(text)
    passages = split("d.txt", text)
    for p in passages:
        assert 0 <= p.start <= p.end <= len(text)


@FUZZ
@given(st.one_of(st.binary(max_size=300), texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
                 texts.map(lambda t: b"\xff\xfe" + t.encode("utf-16-le", "surrogatepass"))))
def test_decoding_any_bytes_skips_or_round_trips(raw: bytes) -> None:
    found = decode_document("d.txt", raw)
    if isinstance(found, Document):
        assert encode_text(found.text, found.encoding) == raw
    else:
        assert isinstance(found, Skipped) and found.problem and found.hint


def _records(tmp: Path, name: str, data: bytes, compression: str | None, fmt: str = "jsonl") -> list[object]:
    path = tmp / name
    path.write_bytes(data)
    return [row.item for row in read_rows(Shard(path, name, fmt, compression), Fields())]  # type: ignore[arg-type]


jsonl_lines = st.lists(st.one_of(
    st.binary(max_size=40),
    st.dictionaries(st.sampled_from(["text", "id", "url", "x"]),
                    st.one_of(st.text(max_size=30), st.integers(), st.none(), st.lists(st.integers(), max_size=2)),
                    max_size=4).map(lambda d: json.dumps(d).encode()),
), max_size=8).map(lambda lines: b"\n".join(lines))


@FUZZ
@given(jsonl_lines, st.integers(0, 400))
def test_jsonl_readers_never_crash_on_any_bytes(tmp_path_factory: object, data: bytes, cut: int) -> None:
    import zstandard

    tmp = Path(str(tmp_path_factory.mktemp("fuzz")))  # type: ignore[attr-defined]
    for name, blob, compression, whole in [
        ("a.jsonl", data, None, True),
        ("b.jsonl.gz", gzip.compress(data, mtime=0)[:cut or None], "gzip", not cut),
        ("c.jsonl.zst", zstandard.ZstdCompressor().compress(data)[:cut or None], "zstd", not cut),
        ("d.jsonl.gz", data, "gzip", False),  # not gzip at all
        ("e.jsonl.zst", data, "zstd", False),  # not zstd at all
    ]:
        items = _records(tmp, name, blob, compression)
        for item in items:
            assert isinstance(item, (Document, Skipped))
            if isinstance(item, Skipped):
                assert item.path.startswith(name) and item.problem
        if whole:  # complete input: every line is accounted for
            assert len(items) == len(data.split(b"\n")) - (data.endswith(b"\n") or not data)


@settings(max_examples=min(EXAMPLES, 100), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400), st.integers(0, 2000))
def test_parquet_reader_never_crashes_on_damaged_files(tmp_path_factory: object, noise: bytes, cut: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = Path(str(tmp_path_factory.mktemp("fuzzpq")))  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": ["one", "two"], "id": [1, 2]}), buffer)
    whole = buffer.getvalue()
    for name, blob in [("a.parquet", whole[:cut]), ("b.parquet", noise), ("c.parquet", whole[:cut] + noise)]:
        for item in _records(tmp, name, blob, None, "parquet"):
            assert isinstance(item, (Document, Skipped))


# ---- regressions found by the targets above -------------------------------------------------------

def test_truncated_zstd_frame_is_an_error_not_an_early_end(tmp_path: Path) -> None:
    """Found while probing hostile input (not by the fuzz targets): zstandard's stream reader ends
    quietly at a cut frame, so the rows of a truncated .jsonl.zst vanished without a message."""
    import zstandard

    data = b"\n".join(json.dumps({"text": f"row {i} " + os.urandom(8).hex()}).encode() for i in range(50))
    items = _records(tmp_path, "a.jsonl.zst", zstandard.ZstdCompressor().compress(data)[:-3], "zstd")
    assert isinstance(items[-1], Skipped) and "truncated" in items[-1].problem


def test_bytes_that_are_not_zstd_are_reported_not_a_crash(tmp_path: Path) -> None:
    """Found by the jsonl target (data=b'\\x00' in a .jsonl.zst): ``ZstdError`` escaped the reader
    and ended the run as an internal error."""
    items = _records(tmp_path, "a.jsonl.zst", b"\x00", "zstd")
    assert len(items) == 1 and isinstance(items[0], Skipped) and "not a valid zstd stream" in items[0].problem
