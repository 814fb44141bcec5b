"""Hostile input, one test each: the run completes (or stops) with a plain message, the rest of the
corpus is cleaned, and nothing is lost: the input is untouched and what was read restores exactly."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import read_tree, write_corpus

from dedup import corpus as corpus_module
from dedup.cli import main
from dedup.corpus import MAX_DOCUMENT_BYTES, MAX_DOCUMENT_LINES
from dedup.rules import CATALOGUE, MATCH_TIMEOUT

PROSE = ("Meta has officially unveiled Muse Spark, its latest artificial intelligence model, and the "
         "company says it is the first of many.")
PROSE2 = ("Investors cheered the announcement, sending shares of the company up four percent in early "
          "trading on Thursday morning.")
DEDUP = str(Path(sys.executable).with_name("dedup"))


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


def one_line_each(err: str) -> list[str]:
    lines = err.strip().splitlines()
    assert all(line.startswith("dedup: ") for line in lines), err
    assert "Traceback" not in err
    return lines


def restored_equals_input(root: Path, out: Path, tmp: Path, skipped: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    code, err = invoke("restore", str(out), "-o", str(tmp / "restored"))
    assert code == 0, err
    original = {k: v for k, v in read_tree(root).items() if k not in skipped}
    assert read_tree(tmp / "restored") == original


def measured_run(*args: str) -> tuple[int, str, int]:
    """A real ``dedup`` run in a fresh process; its exit status, stderr and peak RSS in MiB."""
    script = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
              "sys.stderr.write(p.stderr); print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.run([sys.executable, "-c", script, DEDUP, *args], capture_output=True, text=True, timeout=600)
    code, rss = proc.stdout.split()
    return int(code), proc.stderr, int(rss) // 1024


# ---- size -----------------------------------------------------------------------------------------

def test_a_200_mb_single_line_file_is_skipped_without_being_read(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"good.txt": f"{PROSE}\nComments\n"})
    with open(root / "huge.txt", "wb") as fh:
        block = (PROSE.replace(".", ",") + " ").encode() * 8000  # about 1 MB, no newline
        for _ in range(200 * (1 << 20) // len(block) + 1):
            fh.write(block)
    assert (root / "huge.txt").stat().st_size > 200 << 20 > MAX_DOCUMENT_BYTES
    code, err, rss = measured_run("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert f"huge.txt: 201 MiB, more than the {MAX_DOCUMENT_BYTES >> 20} MiB one document may have" in err
    assert len(one_line_each(err)) == 2  # the file, then the count of skipped files
    assert rss < 200, f"peak RSS {rss} MiB: the file was read"
    assert read_tree(tmp_path / "out" / "corpus") == {"good.txt": f"{PROSE}\n".encode()}


def test_a_text_shard_at_a_url_is_refused_from_its_listed_size() -> None:
    """What the Spark engine relies on to leave a big text file at a URL unfetched: the reader refuses
    it from the size the listing reported (no path to read, no bytes given), with the message of a
    file read by path. At the limit it is read; record shards and shards read by path are not
    refused by this (a shard of records is read a line at a time)."""
    from dataclasses import replace

    from dedup.formats import Fields, Shard
    from dedup.model import Document, Skipped
    from dedup.stream import read_shard, unfetched

    big = Shard(Path("nowhere/huge.txt"), "huge.txt", url="file:///nowhere/huge.txt", size=MAX_DOCUMENT_BYTES + 1)
    [(_row, item)] = list(read_shard(big, Fields()))
    assert isinstance(item, Skipped)
    assert item.message() == (f"huge.txt: 64 MiB, more than the {MAX_DOCUMENT_BYTES >> 20} MiB one document may "
                              "have; split it into documents; it was not read")
    at_limit = replace(big, size=MAX_DOCUMENT_BYTES)
    assert unfetched(at_limit) is None
    [(_row, item)] = list(read_shard(at_limit, Fields(), b"Hello there.\n"))
    assert isinstance(item, Document) and item.text == "Hello there.\n"
    assert unfetched(replace(big, name="huge.jsonl", format="jsonl")) is None
    assert unfetched(replace(big, url=None)) is None


def test_ten_million_short_lines_are_refused_in_bounded_memory(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"good.txt": f"{PROSE}\n"})
    (root / "lines.txt").write_bytes(b"w x\n" * 10_000_000)
    code, err, rss = measured_run("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert f"lines.txt: 10,000,000 lines, more than the {MAX_DOCUMENT_LINES:,} one document may have" in err
    assert rss < 600, f"peak RSS {rss} MiB"
    assert read_tree(tmp_path / "out" / "corpus") == {"good.txt": f"{PROSE}\n".encode()}


def test_a_record_with_too_many_lines_is_copied_not_cleaned(tmp_path: Path) -> None:
    text = "x\n" * (MAX_DOCUMENT_LINES + 1)
    raw = json.dumps({"id": 1, "text": text}).encode() + b"\n" + json.dumps({"id": 2, "text": PROSE}).encode() + b"\n"
    root = write_corpus(tmp_path / "in", {"a.jsonl": raw})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and f"a.jsonl#0: {MAX_DOCUMENT_LINES + 1:,} lines" in err
    assert read_tree(tmp_path / "out" / "corpus")["a.jsonl"] == raw
    restored_equals_input(root, tmp_path / "out", tmp_path)


def test_a_200_mb_record_line_is_copied_without_being_held(tmp_path: Path) -> None:
    """One JSONL line of 200 MB between two good records: reported as a bad record (not read whole:
    peak RSS under 200 MiB, where reading it took 3.4 GB), the good records cleaned, the line copied
    to the output byte for byte, and restore (also in bounded memory) gives the shard back."""
    import filecmp

    good = json.dumps({"id": "a", "text": f"{PROSE}\nComments\n"}).encode() + b"\n"
    block = (PROSE + " ").encode() * 8000  # about 1 MB
    blocks = 200 * (1 << 20) // len(block) + 1
    with open(write_corpus(tmp_path / "in", {"ok.txt": "Hello there, a short one.\n"}) / "records.jsonl", "wb") as fh:
        fh.write(good + b'{"id": "huge", "text": "')
        for _ in range(blocks):
            fh.write(block)
        fh.write(b'"}\n' + json.dumps({"id": "b", "text": f"Share this article\n{PROSE2}"}).encode() + b"\n")
    root = tmp_path / "in"
    code, err, rss = measured_run("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert (f"records.jsonl#1: a line of 201 MiB, more than the {MAX_DOCUMENT_BYTES >> 20} MiB one record may "
            "have; split it into records; it is copied to the output as it is") in err
    assert len(one_line_each(err)) == 2  # the record, then the count of skipped files and records
    assert rss < 200, f"peak RSS {rss} MiB: the line was read whole"
    with open(tmp_path / "out" / "corpus" / "records.jsonl", "rb") as out:
        assert json.loads(out.readline())["text"] == f"{PROSE}\n"  # the good records were cleaned
        assert out.read(24) == b'{"id": "huge", "text": "'
        assert all(out.read(len(block)) == block for _ in range(blocks))  # the line, byte for byte
        assert out.read(3) == b'"}\n'
        assert json.loads(out.readline())["text"] == PROSE2
        assert out.read() == b""
    code, err, rss = measured_run("restore", str(tmp_path / "out"), "-o", str(tmp_path / "restored"))
    assert code == 0, err
    assert rss < 200, f"peak RSS {rss} MiB: restore read the line whole"
    assert filecmp.cmp(root / "records.jsonl", tmp_path / "restored" / "records.jsonl", shallow=False)


@pytest.mark.parametrize("name", ["a.jsonl", "a.jsonl.gz", "a.jsonl.zst"])
def test_a_record_line_over_the_limit_is_a_bad_record_copied_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      name: str) -> None:
    """The same with the limit lowered to 1 MiB, for every JSONL compression: a line of 3 MiB (valid
    JSON, a record dedup would otherwise clean) is reported as ``SHARD#ROW`` and copied unchanged,
    the records around it are cleaned, the run exits 2, and restore, report and diff read the
    output shard without holding the line."""
    import zstandard

    from dedup import corpus

    monkeypatch.setattr(corpus, "MAX_DOCUMENT_BYTES", 1 << 20)
    huge = json.dumps({"id": "huge", "text": f"{PROSE}\nComments\n" * 25_000}).encode()
    assert len(huge) > 3 << 20
    raw = b"".join([json.dumps({"id": "a", "text": f"{PROSE}\nComments\n"}).encode() + b"\n", huge + b"\n",
                    json.dumps({"id": "b", "text": f"Share this article\n{PROSE2}"}).encode() + b"\n"])
    stored = (gzip.compress(raw, mtime=0) if name.endswith(".gz") else
              zstandard.ZstdCompressor().compress(raw) if name.endswith(".zst") else raw)
    root = write_corpus(tmp_path / "in", {name: stored})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert (f"{name}#1: a line of 3 MiB, more than the 1 MiB one record may have; split it into records; it is "
            "copied to the output as it is") in err
    written = read_tree(tmp_path / "out" / "corpus")[name]
    out_lines = (gzip.decompress(written) if name.endswith(".gz") else
                 zstandard.ZstdDecompressor().decompressobj().decompress(written) if name.endswith(".zst")
                 else written).split(b"\n")
    assert out_lines[1] == huge
    assert [json.loads(out_lines[i])["text"] for i in (0, 2)] == [f"{PROSE}\n", PROSE2]
    code, err = invoke("restore", str(tmp_path / "out"), "-o", str(tmp_path / "restored"))
    assert code == 0, err
    restored = read_tree(tmp_path / "restored")[name]
    assert (gzip.decompress(restored) if name.endswith(".gz") else
            zstandard.ZstdDecompressor().decompressobj().decompress(restored) if name.endswith(".zst")
            else restored) == raw
    assert invoke("report", str(tmp_path / "out"))[0] == 0
    assert invoke("diff", str(tmp_path / "out"), "--no-color")[0] == 0


# ---- bytes ----------------------------------------------------------------------------------------

def test_nul_bytes(tmp_path: Path) -> None:
    """A NUL near the start means binary (skipped, said so); one deep inside text is a control
    character: repaired away, logged, and restored."""
    late = (f"{PROSE}\n" * 600).encode() + b"tab\x00le\n" + f"{PROSE2}\n".encode()
    root = write_corpus(tmp_path / "in", {"early.txt": b"\x00\x01binary" + PROSE.encode(), "late.txt": late})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and "early.txt: binary file (contains NUL bytes)" in err
    assert b"\x00" not in read_tree(tmp_path / "out" / "corpus")["late.txt"]
    restored_equals_input(root, tmp_path / "out", tmp_path, {"early.txt"})


def test_invalid_utf8_in_the_middle_of_valid_text(tmp_path: Path) -> None:
    """One stray byte in ASCII text: read as cp1252 and restored byte for byte. Stray bytes beside
    UTF-8 characters that cp1252 cannot read either: skipped, naming the byte."""
    ascii_bad = f"{PROSE}\n".encode() + b"caf\xe9 \xff\n" + f"{PROSE2}\n".encode()
    mixed_bad = "“quoted” ".encode() + b"\x81\xff " + f"{PROSE}\n".encode()
    root = write_corpus(tmp_path / "in", {"ascii.txt": ascii_bad, "mixed.txt": mixed_bad})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and "mixed.txt: not UTF-8 and not a recognisable text encoding (byte" in err
    assert len(one_line_each(err)) == 2
    restored_equals_input(root, tmp_path / "out", tmp_path, {"mixed.txt"})


@pytest.mark.parametrize("bom,codec", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_with_bom(tmp_path: Path, bom: bytes, codec: str) -> None:
    root = write_corpus(tmp_path / "in", {"u.txt": bom + f"{PROSE}\r\nComments\r\n".encode(codec)})
    assert invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")[0] == 0
    assert read_tree(tmp_path / "out" / "corpus")["u.txt"] == f"{PROSE}\r\n".encode()
    restored_equals_input(root, tmp_path / "out", tmp_path)


# ---- records --------------------------------------------------------------------------------------

def test_jsonl_rows_without_a_string_text_field(tmp_path: Path) -> None:
    rows = [{"id": 1, "text": PROSE}, {"id": 2}, {"id": 3, "text": None}, {"id": 4, "text": 42},
            {"id": 5, "text": ["a"]}, {"id": 6, "text": f"{PROSE2}\nComments"}]
    raw = b"".join(json.dumps(r).encode() + b"\n" for r in rows) + b"\n" + b"not json\n"
    root = write_corpus(tmp_path / "in", {"a.jsonl": raw})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    for row, problem in [(1, "no text field 'text'"), (2, "no text field 'text'"), (3, "field 'text' is not a string"),
                         (4, "field 'text' is not a string"), (6, "blank line"), (7, "not valid JSON")]:
        assert f"a.jsonl#{row}: {problem}" in err
    out_lines = read_tree(tmp_path / "out" / "corpus")["a.jsonl"].split(b"\n")
    assert out_lines[1:5] == raw.split(b"\n")[1:5] and out_lines[6:8] == [b"", b"not json"]
    assert json.loads(out_lines[5])["text"].strip() == PROSE2  # the good record was cleaned
    restored_equals_input(root, tmp_path / "out", tmp_path)


def _rows(n: int) -> bytes:
    """Records of unrelated text (none duplicates another)."""
    import random

    rng = random.Random(n)
    words = PROSE.lower().replace(",", "").replace(".", "").split() + PROSE2.lower().replace(",", "").split()
    return b"".join(json.dumps({"id": i, "text": " ".join(rng.choice(words) + str(rng.randrange(99))
                                                          for _ in range(30))}).encode() + b"\n" for i in range(n))


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    whole = gzip.compress(_rows(2000), mtime=0)
    root = write_corpus(tmp_path / "in", {"a.jsonl.gz": whole[: len(whole) * 3 // 5], "b.txt": f"{PROSE}\n"})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and "a.jsonl.gz#" in err and "unreadable from here on" in err and "re-create the shard" in err
    kept = gzip.decompress(read_tree(tmp_path / "out" / "corpus")["a.jsonl.gz"]).splitlines()
    assert len(kept) > 100 and kept == _rows_prefix(whole, len(kept))
    assert read_tree(tmp_path / "out" / "corpus")["b.txt"] == f"{PROSE}\n".encode()


def _rows_prefix(whole: bytes, n: int) -> list[bytes]:
    return gzip.decompress(whole).splitlines()[:n]


def test_truncated_zstd_stream(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    rows = _rows(2000)
    whole = zstandard.ZstdCompressor().compress(rows)
    root = write_corpus(tmp_path / "in", {"a.jsonl.zst": whole[: len(whole) * 3 // 5], "b.txt": f"{PROSE}\n"})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and "a.jsonl.zst#" in err and "truncated" in err, err
    out = zstandard.ZstdDecompressor().stream_reader(read_tree(tmp_path / "out" / "corpus")["a.jsonl.zst"]).read()
    assert rows.startswith(out)


def test_parquet_with_the_wrong_schema(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    root = tmp_path / "in"
    root.mkdir()
    pq.write_table(pa.table({"body": [PROSE] * 500, "n": list(range(500))}), root / "a.parquet")
    pq.write_table(pa.table({"text": list(range(3))}), root / "b.parquet")
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    lines = one_line_each(err)
    assert len(lines) <= 8, err  # not one line per row
    assert "skipped 497 more records of a.parquet for the same problem (no text field 'text')" in err
    assert "b.parquet#0: field 'text' is not a string" in err
    assert pq.read_table(tmp_path / "out" / "corpus" / "a.parquet").to_pylist() == \
        pq.read_table(root / "a.parquet").to_pylist()


# ---- the file system ------------------------------------------------------------------------------

def test_symlink_loops_do_not_hang_discovery(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"sub/a.txt": f"{PROSE}\n"})
    os.symlink("loop2.txt", root / "loop1.txt")
    os.symlink("loop1.txt", root / "loop2.txt")
    os.symlink("..", root / "sub" / "up")
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    assert "loop1.txt: cannot read file (Too many levels of symbolic links)" in err
    assert "sub/up: symbolic link to the folder" in err and "--follow-symlinks" in err
    assert sorted(read_tree(tmp_path / "out" / "corpus")) == ["sub/a.txt"]
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out2"), "-q", "--follow-symlinks")
    assert code == 2 and "sub/up" not in err  # followed once: the loop back to the root is not walked again
    assert sorted(read_tree(tmp_path / "out2" / "corpus")) == ["sub/a.txt"]


def test_a_file_that_vanishes_between_discovery_and_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_corpus(tmp_path / "in", {"a.txt": f"{PROSE}\n", "b.txt": f"{PROSE2}\n", "c.txt": "Comments\nhi\n"})
    real = corpus_module.discover

    def discover_then_delete(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        (root / "b.txt").unlink()
        return found

    monkeypatch.setattr(corpus_module, "discover", discover_then_delete)
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and "b.txt: cannot read file (No such file or directory)" in err
    assert sorted(read_tree(tmp_path / "out" / "corpus")) == ["a.txt", "c.txt"]


def test_file_names_with_newlines_and_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"new\nline.txt": f"{PROSE}\nComments\n", "plain.txt": f"{PROSE2}\n"})
    (root / os.fsdecode(b"caf\xe9.txt")).write_bytes(PROSE.encode())
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2
    lines = one_line_each(err)
    assert any("caf\\udce9.txt: file name is not valid UTF-8" in line for line in lines), err
    corpus = read_tree(tmp_path / "out" / "corpus")
    assert corpus["new\nline.txt"] == f"{PROSE}\n".encode()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert [s["path"] for s in summary["skipped"]] == ["caf\\udce9.txt"]
    restored_equals_input(root, tmp_path / "out", tmp_path, {os.fsdecode(b"caf\xe9.txt")})


def test_two_thousand_identical_short_documents(tmp_path: Path) -> None:
    """One passage shared by 2,000 records: all but the first dropped, each drop logged, and the
    shard restores byte for byte."""
    text = "The same short document, printed two thousand times over, word for word."
    raw = b"".join(json.dumps({"id": i, "text": text}).encode() + b"\n" for i in range(2_000))
    root = write_corpus(tmp_path / "in", {"same.jsonl": raw})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q", "--no-report")
    assert code == 0, err
    assert read_tree(tmp_path / "out" / "corpus")["same.jsonl"] == raw.split(b"\n")[0] + b"\n"
    restored_equals_input(root, tmp_path / "out", tmp_path)


@pytest.mark.skipif(not os.environ.get("DEDUP_SLOW"), reason="about a minute; DEDUP_SLOW=1 runs it")
def test_a_hundred_thousand_identical_short_documents(tmp_path: Path) -> None:
    """The same at 100,000 records, in at most 3 GB of address space. (Before big buckets gave a
    star and a chain instead of every pair, 20,000 hit a 4 GB limit and 100,000 a worker was
    OOM-killed at 23 GB.)"""
    text = "The same short document, printed one hundred thousand times over."
    raw = b"".join(json.dumps({"id": i, "text": text}).encode() + b"\n" for i in range(100_000))
    root = write_corpus(tmp_path / "in", {"same.jsonl": raw})
    script = ("import resource, subprocess, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30));"
              "sys.exit(subprocess.run(sys.argv[1:], capture_output=True).returncode)")
    proc = subprocess.run([sys.executable, "-c", script, DEDUP, "clean", str(root), "-o", str(tmp_path / "out"),
                           "-q", "-j", "1", "--no-report"], timeout=900)
    assert proc.returncode == 0
    assert read_tree(tmp_path / "out" / "corpus")["same.jsonl"] == raw.split(b"\n")[0] + b"\n"


# ---- patterns -------------------------------------------------------------------------------------

def _adversarial(rule_examples: tuple[str, ...]) -> list[str]:
    """Inputs that make backtracking engines work hard: long runs of what patterns repeat (letters,
    spaces, punctuation), examples repeated until they no longer fit, and near misses that fail
    only at the last character."""
    texts = ["a" * 20_000, " " * 20_000, "a " * 10_000 + "!", ".:" * 10_000, "-" * 20_000 + "x",
             "(" * 5_000 + ")" * 4_999, "1," * 10_000, "é" * 20_000, "ab" * 10_000 + "\u00a0"]
    for example in rule_examples:
        texts += [example * 200, (example + " ") * 200 + "§", example + " x" * 5_000, example[:-1] * 300 + "\t"]
    return texts


@pytest.mark.parametrize("rule", [r for r in CATALOGUE if r.patterns], ids=lambda r: r.name)
def test_every_rule_finishes_adversarial_input_within_its_timeout(rule) -> None:  # type: ignore[no-untyped-def]
    """The rules run with the regex module's per-match timeout; none needs it on hostile lines (a
    timeout raises TimeoutError here, and in a run stops it naming the rule)."""
    pattern = rule.compiled
    for text in _adversarial(rule.examples):
        pattern.fullmatch(text, timeout=MATCH_TIMEOUT)
        pattern.fullmatch(text.upper(), timeout=MATCH_TIMEOUT)


def test_a_catastrophic_custom_pattern_stops_the_run_naming_the_rule(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"a.txt": f"{PROSE}\n" + "a" * 40 + "!\n"})
    config = tmp_path / "dedup.toml"
    config.write_text('[[rules.custom]]\nname = "greedy"\npattern = "(a|aa)+$"\n', encoding="utf-8")
    out = write_corpus(tmp_path / "out", {"previous.txt": "previous\n"})
    code, err = invoke("clean", str(root), "-o", str(out), "--config", str(config), "-q")
    assert code == 2
    assert "rule 'greedy': pattern took over" in err and "simplify it" in err
    assert len(one_line_each(err)) == 1
    assert read_tree(out) == {"previous.txt": b"previous\n"}


def test_a_catastrophic_accept_pattern_stops_the_run_naming_it(tmp_path: Path) -> None:
    """Accept patterns are searched in every passage a rule would remove (here a custom rule's)."""
    root = write_corpus(tmp_path / "in", {"a.txt": f"{PROSE}\n" + "a" * 40 + "!\n"})
    config = tmp_path / "dedup.toml"
    config.write_text('[accept]\npatterns = ["(a|aa)+$"]\n[[rules.custom]]\nname = "shout"\npattern = "a+!"\n',
                      encoding="utf-8")
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "--config", str(config), "-q")
    assert code == 2 and "accept.patterns: '(a|aa)+$' took over" in err, err
    assert not (tmp_path / "out").exists()


# ---- security -------------------------------------------------------------------------------------

def _outside(tmp_path: Path, *inside: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_tree(tmp_path).items() if not any(k.startswith(p.name + "/") for p in inside)}


def test_hostile_record_ids_never_become_paths(tmp_path: Path) -> None:
    ids = ["../../escape", "/etc/passwd", "a/../../b", "..", "", "same", "same", "x\ny", "C:\\windows"]
    raw = b"".join(json.dumps({"id": i, "text": f"{PROSE} {n}\nComments"}).encode() + b"\n" for n, i in enumerate(ids))
    root = write_corpus(tmp_path / "in", {"a.jsonl": raw})
    before = _outside(tmp_path)
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 0, err
    assert sorted(read_tree(tmp_path / "out" / "corpus")) == ["a.jsonl"]
    assert _outside(tmp_path, tmp_path / "out") == before
    docs = [json.loads(line)["doc"] for line in (tmp_path / "out" / "changes.jsonl").read_text().splitlines()]
    assert len(set(docs)) == len(ids)  # the repeated id is named by its row: no two records collide
    restored_equals_input(root, tmp_path / "out", tmp_path)


def test_a_tampered_change_log_cannot_write_outside_the_restore_folder(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"a.txt": f"{PROSE}\nComments\n"})
    assert invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")[0] == 0
    log = tmp_path / "out" / "changes.jsonl"
    change = json.loads(log.read_text().splitlines()[0])
    for doc in ["../../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"]:
        log.write_text(json.dumps({**change, "doc": doc, "kind": "document-duplicate", "start": 0,
                                   "end": 4, "text": "evil", "duplicate_of": "a.txt"}) + "\n")
        code, err = invoke("restore", str(tmp_path / "out"), "-o", str(tmp_path / "restored"))
        assert code == 2 and "unsafe document name" in err, err
        assert not (tmp_path / "restored").exists() and not (tmp_path.parent / "evil.txt").exists()
        assert not Path("/tmp/evil.txt").exists()


def test_a_symlink_out_of_the_corpus_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret outside the corpus\n")
    root = write_corpus(tmp_path / "in", {"a.txt": f"{PROSE}\n", "sub/inner.txt": f"{PROSE2}\n"})
    os.symlink(secret, root / "leak.txt")
    os.symlink(root / "sub" / "inner.txt", root / "alias.txt")  # inside the corpus: read
    os.symlink(secret, root / "leak.jsonl")
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and "leak.txt: symbolic link to" in err and "outside the corpus; not followed" in err
    assert "leak.jsonl: symbolic link to" in err
    out = tmp_path / "out"
    assert all(b"the secret outside" not in v for v in read_tree(out).values())
    assert read_tree(out / "corpus")["alias.txt"] == f"{PROSE2}\n".encode()
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out2"), "-q", "--follow-symlinks", "--exclude",
                       "*.jsonl")
    assert code == 0, err
    assert read_tree(tmp_path / "out2" / "corpus")["leak.txt"] == b"the secret outside the corpus\n"


def test_a_text_file_named_like_a_record_does_not_collide(tmp_path: Path) -> None:
    """``a.jsonl#x.txt`` (a text file) and the record with id ``x.txt`` of ``a.jsonl`` share a name
    in the change log; each still restores to itself."""
    raw = (json.dumps({"id": "x.txt", "text": f"{PROSE}\nComments"}) + "\n"
           + json.dumps({"id": "y", "text": f"{PROSE2}\nComments"}) + "\n")
    text = "Share this article\nSnow fell early in the mountain villages, and the lifts opened a week ahead of plan.\n"
    root = write_corpus(tmp_path / "in", {"a.jsonl": raw, "a.jsonl#x.txt": text})
    code, err = invoke("clean", str(root), "-o", str(tmp_path / "out"), "-q")
    assert code == 0, err
    docs = [json.loads(line)["doc"] for line in (tmp_path / "out" / "changes.jsonl").read_text().splitlines()]
    assert docs.count("a.jsonl#x.txt") == 2  # the record's change and the file's
    assert sorted(read_tree(tmp_path / "out" / "corpus")) == ["a.jsonl", "a.jsonl#x.txt"]
    restored_equals_input(root, tmp_path / "out", tmp_path)


@pytest.mark.parametrize("how", ["modified", "removed", "removed-last"])
def test_a_file_changed_between_the_two_passes_stops_the_run_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    how: str) -> None:
    """Pass 2 re-reads the corpus: a document that differs from pass 1 would get changes meant for
    another text. The run stops (exit 2, not 'a bug'), naming the file, and OUT is untouched."""
    import dedup.stream as stream

    root = write_corpus(tmp_path / "in", {"a.txt": f"{PROSE}\nComments\n", "b.txt": f"Share this article\n{PROSE2}\n",
                                          "c.txt": "Hello there, a short one.\nComments\n"})
    out = write_corpus(tmp_path / "out", {"previous.txt": "previous\n"})
    real = stream.components

    def then_change(*args: object, **kwargs: object) -> object:
        if how == "modified":
            (root / "a.txt").write_text("short\n")
        else:
            (root / ("b.txt" if how == "removed" else "c.txt")).unlink()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stream, "components", then_change)
    code, err = invoke("clean", str(root), "-o", str(out), "-q")
    assert code == 2, err
    assert "the corpus changed while dedup read it" in err and "bug" not in err
    assert len(one_line_each(err)) == 1
    assert read_tree(out) == {"previous.txt": b"previous\n"}
