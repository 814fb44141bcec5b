"""Writing ``OUT`` from a run's stream of results, and rebuilding the input from ``OUT``.

The writer consumes :class:`~dedup.stream.Item` values one at a time, in input order, so a run of
any size writes with constant memory: each output shard is open only while its items arrive, the
change log is appended line by line, and the summary keeps counts. Everything is written into a
folder beside ``OUT`` that replaces it only when complete (:func:`dedup.corpus.publish_dir`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from . import changes as changelog
from . import corpus
from .config import Config
from .errors import InputError
from .formats import (
    RAW,
    WRITE_BUFFER,
    JsonlWriter,
    LongLine,
    ParquetWriter,
    Shard,
    dump_line,
    is_unterminated,
    lines,
    open_shard,
    record_text,
    shard_format,
)
from .model import Change, Skipped
from .pipeline import restore_text
from .stream import Item
from .summary import SummaryBuilder, summary_text

#: Above this many documents ``report.html``/``report.md`` are not built by ``clean`` (they hold every
#: changed document in full); ``dedup report OUT`` builds them on demand.
REPORT_LIMIT = 20_000

T = TypeVar("T")


def output_record(item: Item, text_field: str) -> str | bytes | dict[str, Any] | LongLine | None:
    """What an item becomes in the output corpus, whichever engine writes it: a text document's
    text, a JSONL record's line (byte for byte when unchanged, else in its original JSON style), a
    Parquet record's row, or None (a dropped document, or a file that could not be read). A bad
    record is carried over untouched: a line too long to hold as where to copy it from."""
    result, row = item.result, item.row
    if isinstance(result, Skipped):
        if row is None:
            return None
        if item.shard.format != "jsonl":
            return row.value
        return row.long if row.raw is None and row.long is not None else row.raw
    if result.output is None:
        return None
    if row is None:
        return result.output
    if item.shard.format == "jsonl" and row.raw is not None and row.value is not None:
        if not result.changes:
            return row.raw
        return dump_line(record_text(row.value, text_field, result.output), result.changes[0].encoding or RAW)
    if row.value is not None:
        return record_text(row.value, text_field, result.output)
    return None


class CorpusWriter:
    """Writes ``corpus/`` in the input's layout and format, plus ``changes.jsonl``."""

    def __init__(self, folder: Path, config: Config) -> None:
        self.corpus = folder / "corpus"
        self.corpus.mkdir()
        self.config = config
        self._log = (folder / "changes.jsonl").open("wb", buffering=WRITE_BUFFER)
        self._shard: Shard | None = None
        self._jsonl: JsonlWriter | None = None
        self._parquet: ParquetWriter | None = None

    def _switch(self, shard: Shard) -> None:
        if shard == self._shard:
            return
        self._close_shard()
        self._shard = shard
        if shard.format == "jsonl":
            self._jsonl = JsonlWriter(corpus.safe_join(self.corpus, shard.name), shard.compression)
        elif shard.format == "parquet":
            self._parquet = ParquetWriter(corpus.safe_join(self.corpus, shard.name), shard.path, shard.schema)

    def _close_shard(self) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
        if self._parquet is not None:
            self._parquet.close()
        self._jsonl = self._parquet = None

    def add(self, item: Item) -> None:
        self._switch(item.shard)
        if not isinstance(item.result, Skipped):
            self._log.write(changelog.dumps(item.result.changes))
        if self._jsonl is not None and item.row is not None and item.row.unterminated:
            self._jsonl.unterminated = True  # even if this record is dropped: the shard ends unbroken
        out = output_record(item, self.config.text_field)
        if out is None:
            return
        if item.row is None:
            assert isinstance(out, str) and not isinstance(item.result, Skipped)
            target = corpus.safe_join(self.corpus, item.result.document.doc)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(out.encode("utf-8"))
        elif self._jsonl is not None and isinstance(out, bytes):
            self._jsonl.line(out)
        elif self._jsonl is not None and isinstance(out, LongLine):
            self._jsonl.copy(item.shard.path, item.shard.compression, out)
        elif self._parquet is not None and isinstance(out, dict):
            self._parquet.row(out)

    def close(self) -> None:
        self._close_shard()
        self._log.close()


def write_items(items: Iterable[Item], out: Path, config: Config,
                clusters: Callable[[], list[tuple[str, ...]]] | None = None,
                report: bool | None = None) -> dict[str, Any]:
    """Write a run's items into ``out`` atomically; returns the summary written."""
    summary: dict[str, Any] = {}

    def build(tmp: Path) -> None:
        writer = CorpusWriter(tmp, config)
        builder = SummaryBuilder(config)
        try:
            for item in items:
                writer.add(item)
                builder.add(item.result, item.suspects, item.warning)
        finally:
            writer.close()
        summary.update(builder.finish(clusters() if clusters else []))
        (tmp / "summary.json").write_text(summary_text(summary), encoding="utf-8")
        read = summary["documents"]["read"]
        if report if report is not None else read <= REPORT_LIMIT:
            write_reports(tmp)

    corpus.publish_dir(out, build)
    return summary


def write_reports(out: Path) -> None:
    """(Re)build ``report.html`` and ``report.md`` from what is in ``out``."""
    from .report import html, load, markdown

    data = load(out)
    corpus.write_atomic(out / "report.html", html.render(data).encode("utf-8"))
    corpus.write_atomic(out / "report.md", markdown.render(data).encode("utf-8"))


# ---- restore ------------------------------------------------------------------------------------


def _text_field(out: Path) -> str:
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        return str(summary["config"].get("text_field", "text"))
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(f"{out}/summary.json: missing or unreadable; restore of records needs it "
                         "(it names the text field)") from None


def _record_shards(out: Path) -> dict[str, tuple[str, str | None]]:
    """The JSONL and Parquet shards under ``OUT/corpus``, with the format each was read in."""
    forced = ""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # no summary: go by extension
        forced = str(json.loads((out / "summary.json").read_text(encoding="utf-8"))["config"].get("format", ""))
    found: dict[str, tuple[str, str | None]] = {}
    for dirpath, _dirs, names in os.walk(out / "corpus"):
        for name in names:
            rel = (Path(dirpath) / name).relative_to(out / "corpus").as_posix()
            fmt, compression = shard_format(rel, forced or None)
            if fmt != "text":
                found[rel] = (fmt, compression)
    return found


def _shard_of(doc: str, shards: Iterable[str]) -> str | None:
    """The shard a record's name ``SHARD#KEY`` belongs to (ids and paths may both contain '#')."""
    matches = [s for s in shards if doc.startswith(s + "#")]
    return max(matches, key=len) if matches else None


def _dropped_records(name: str, changes: dict[int, list[Change]]) -> dict[int, str]:
    """The original record of every dropped row of a shard, by row."""
    dropped: dict[int, str] = {}
    for row, found in changes.items():
        if any(c.kind == "document-duplicate" for c in found):
            record = next((c.record for c in found if c.record is not None), None)
            if record is None:
                raise InputError(f"{name}: change log lacks the record of dropped row {row}; cannot restore")
            dropped[row] = record
    return dropped


def _original_rows(kept: Iterable[T], dropped: dict[int, str]) -> Iterator[tuple[int, T | None, str | None]]:
    """A shard's rows in their original order: (row, kept item, None) or (row, None, dropped record)."""
    row = 0
    for item in kept:
        while row in dropped:
            yield row, None, dropped[row]
            row += 1
        yield row, item, None
        row += 1
    while row in dropped:
        yield row, None, dropped[row]
        row += 1


def _restore_jsonl(source: Path, dest: Path, shard: Shard, changes: dict[int, list[Change]],
                   text_field: str) -> None:
    dropped = _dropped_records(shard.name, changes)
    writer = JsonlWriter(dest, shard.compression)
    try:
        with open_shard(source, shard.compression) as fh:
            for row, line, record in _original_rows(lines(fh), dropped):
                if line is not None and is_unterminated(line):
                    writer.unterminated = True  # the output ends without a line break: so did the original
                if record is not None:
                    writer.line(record.encode("utf-8", "surrogateescape"))
                    continue
                assert line is not None
                found = changes.get(row)
                if isinstance(line, LongLine):  # a record too long to clean was copied as it is
                    if found:
                        raise InputError(f"{shard.name}#{row}: the change log changes a line too long to have "
                                         "been cleaned; it was edited or is corrupt")
                    writer.copy(source, shard.compression, line)
                    continue
                writer.line(_restore_line(line, found, text_field, shard.name, row) if found else line)
    finally:
        writer.close()


def _restore_line(raw: bytes, changes: list[Change], text_field: str, shard: str, row: int) -> bytes:
    record = next((c.record for c in changes if c.record is not None), None)
    if record is not None:
        return record.encode("utf-8", "surrogateescape")
    style = next((c.encoding for c in changes if c.encoding), RAW)
    try:
        value = json.loads(raw)
        text = value[text_field]
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{shard}#{row}: cleaned record is not the JSON dedup wrote; it cannot be restored") from None
    original = restore_text(text, changes)
    return dump_line(record_text(value, text_field, original), style)


def _restore_parquet(source: Path, dest: Path, changes: dict[int, list[Change]], text_field: str) -> None:
    import pyarrow.parquet as pq

    dropped = _dropped_records(dest.name, changes)
    writer = ParquetWriter(dest, source)

    def values() -> Iterator[dict[str, Any]]:
        for batch in pq.ParquetFile(source).iter_batches(batch_size=4096):
            yield from batch.to_pylist()

    try:
        for row, value, record in _original_rows(values(), dropped):
            if record is not None:
                writer.row(json.loads(record))
                continue
            assert value is not None
            found = changes.get(row)
            writer.row(record_text(value, text_field, restore_text(value[text_field], found)) if found else value)
    finally:
        writer.close()


def _output_values(source: Path, fmt: str, compression: str | None) -> Iterable[dict[str, Any]]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(source).iter_batches(batch_size=4096):
            yield from batch.to_pylist()
        return
    with open_shard(source, compression) as fh:
        for line in lines(fh):
            try:
                value = json.loads(line) if isinstance(line, bytes) else None
            except ValueError:
                value = None
            yield value if isinstance(value, dict) else {}


def cleaned_records(out: Path, changes: Iterable[Change]) -> dict[str, str]:
    """The cleaned text of every changed, kept record, read back from the output shards."""
    dropped: dict[str, list[int]] = {}
    wanted: dict[str, dict[int, str]] = {}
    shards = _record_shards(out)
    for change in changes:
        shard = _shard_of(change.doc, shards) if change.row is not None else None
        if shard is None or change.row is None:
            continue
        if change.kind == "document-duplicate":
            dropped.setdefault(shard, []).append(change.row)
        else:
            wanted.setdefault(shard, {})[change.row] = change.doc
    if not wanted:
        return {}
    text_field = _text_field(out)
    found: dict[str, str] = {}
    for shard, rows in wanted.items():
        gone = sorted(set(dropped.get(shard, [])))
        by_output_row = {row - sum(1 for g in gone if g < row): doc for row, doc in rows.items()}
        fmt, compression = shards[shard]
        source = corpus.safe_join(out / "corpus", shard)
        if not source.is_file():
            raise InputError(f"{source}: missing; rerun `dedup clean`")
        for i, value in enumerate(_output_values(source, fmt, compression)):
            doc = by_output_row.get(i)
            if doc is not None and isinstance(value.get(text_field), str):
                found[doc] = value[text_field]
    return found


def restore(out: Path, target: Path) -> list[str]:
    """Rebuild the original corpus from ``OUT`` into ``target``; returns the files written."""
    changes = changelog.read_jsonl(out / "changes.jsonl")
    corpus_dir = out / "corpus"
    if not corpus_dir.is_dir():
        raise InputError(f"{corpus_dir}: missing; is {out} a dedup output folder?")
    target_abs = target.resolve()
    if target_abs == out.resolve() or target_abs.is_relative_to(out.resolve()):
        raise InputError(f"{target}: restore target is inside the output folder {out}; choose another -o")
    files: set[str] = set()
    for dirpath, _dirs, names in os.walk(corpus_dir):
        for name in names:
            files.add((Path(dirpath) / name).relative_to(corpus_dir).as_posix())
    shards = _record_shards(out)
    by_shard: dict[str, dict[int, list[Change]]] = {s: {} for s in shards}
    # A record's changes carry its row; a text file's do not. Telling them apart by that, not by
    # name, keeps a text file named like a record ("a.jsonl#1" beside a.jsonl) a file of its own.
    by_doc: dict[str, list[Change]] = {}
    for change in changes:
        shard_name = _shard_of(change.doc, shards) if change.row is not None else None
        if shard_name is not None and change.row is not None:
            by_shard.setdefault(shard_name, {}).setdefault(change.row, []).append(change)
        else:
            by_doc.setdefault(change.doc, []).append(change)
    written: list[str] = []
    text_field = _text_field(out) if by_shard else "text"

    def build(tmp: Path) -> None:
        for name in sorted(by_shard):
            source = corpus.safe_join(corpus_dir, name)
            if not source.is_file():
                raise InputError(f"{source}: listed in the change log but missing; restore needs it")
            fmt, compression = shards.get(name, shard_format(name))
            dest = corpus.safe_join(tmp, name)
            if fmt == "parquet":
                _restore_parquet(source, dest, by_shard[name], text_field)
            else:
                _restore_jsonl(source, dest, Shard(source, name, "jsonl", compression), by_shard[name], text_field)
            written.append(name)
        for doc in sorted((files - set(shards)) | set(by_doc)):
            _restore_file(corpus_dir, tmp, doc, by_doc.get(doc, []))
            written.append(doc)

    corpus.publish_dir(target, build)
    return written


def _restore_file(corpus_dir: Path, tmp: Path, doc: str, doc_changes: list[Change]) -> None:
    encoding = next((c.encoding for c in doc_changes if c.encoding), "utf-8")
    if any(c.kind == "document-duplicate" for c in doc_changes):
        text = restore_text(None, doc_changes)
    else:
        source = corpus.safe_join(corpus_dir, doc)
        try:
            output = source.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise InputError(f"{source}: listed in the change log but missing; restore needs it") from None
        except UnicodeDecodeError:
            raise InputError(f"{source}: not UTF-8, so not written by dedup; restore cannot use it") from None
        text = restore_text(output, doc_changes)
    dest = corpus.safe_join(tmp, doc)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(corpus.encode_text(text, encoding))
