"""Corpus formats: a folder of text files, JSONL shards (plain, gzip, zstd) and Parquet shards.

A *shard* is one input file. A text file is a shard of one document; a JSONL or Parquet file is a
shard of many *records*, each holding the document text in one field beside metadata (id, url,
date, ...). Readers turn a shard into :class:`~dedup.model.Document` values in order; writers take
the same shard back with each record's cleaned text (or ``None`` when the document was dropped)
and write it in the same format, so the output mirrors the input's layout, sharding and metadata.

Records are named ``SHARD#ID`` (with ``--id-field``, when the record has a unique id) or
``SHARD#ROW`` (the 0-based row), so the change log points at one record of one file.

JSONL output keeps each unchanged line byte for byte. A changed line is re-serialised in the
style the original line was written in (``ensure_ascii`` or not, compact separators or not); the
style is recorded in the change log (as the ``encoding``) so ``restore`` rebuilds the exact line.
A line written in another style, and every dropped record, carries its original line in the
change log's ``record`` field instead. Compression libraries beyond gzip (zstd) and pyarrow are
optional: imported only when such a shard is read, with an install hint when missing.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast
from urllib.parse import urlsplit

from . import corpus, jsonline
from .corpus import Source, too_many_lines, unreadable
from .errors import InputError, UsageError
from .model import Document, Skipped, fast_init, replace

Format = Literal["text", "jsonl", "parquet"]
FORMATS: tuple[str, ...] = ("text", "jsonl", "parquet")

#: Extensions that select a format when ``--format`` is not given (longest match wins).
EXTENSIONS: dict[str, tuple[Format, str | None]] = {
    ".jsonl": ("jsonl", None),
    ".jsonl.gz": ("jsonl", "gzip"),
    ".jsonl.zst": ("jsonl", "zstd"),
    ".ndjson": ("jsonl", None),
    ".parquet": ("parquet", None),
}

#: JSON serialisation styles a changed line is written back in: (ensure_ascii, separators).
STYLES: dict[str, tuple[bool, tuple[str, str]]] = {
    "jsonl": (True, (", ", ": ")),
    "jsonl-utf8": (False, (", ", ": ")),
    "jsonl-compact": (True, (",", ":")),
    "jsonl-utf8-compact": (False, (",", ":")),
}
#: The ``encoding`` of a record whose original line matches no style: its line is in ``record``.
RAW = "jsonl-raw"


@dataclass(frozen=True)
class Fields:
    """Which record fields hold the text, the id and the source (``--text-field`` and friends)."""

    text: str = "text"
    id: str = "id"
    source: str = "url"


@dataclass(frozen=True)
class Shard:
    """One input file: where it is, its name relative to the corpus root, and how to read it."""

    path: Path
    name: str
    format: Format = "text"
    compression: str | None = None
    url: str | None = None  # a Hadoop file system URL, for a shard an engine reads itself (Spark)
    size: int | None = None  # bytes, as the URL's listing reported them (to refuse a text file unread)
    schema: bytes | None = None  # a Parquet shard's serialised Arrow schema, when its file is not at hand

    @property
    def records(self) -> bool:
        return self.format != "text"


def shard_format(name: str, forced: str | None = None) -> tuple[Format, str | None]:
    """The format and compression of a file, from ``--format`` or its extension (default: text)."""
    lower = name.lower()
    compression = "gzip" if lower.endswith(".gz") else "zstd" if lower.endswith(".zst") else None
    if forced:
        if forced not in FORMATS:
            raise UsageError(f"--format {forced}: unknown format; use one of {', '.join(FORMATS)}")
        return forced, compression  # type: ignore[return-value]
    for ext, found in sorted(EXTENSIONS.items(), key=lambda kv: -len(kv[0])):
        if lower.endswith(ext):
            return found
    return "text", None


def record_name(shard: str, row: int, record_id: object) -> str:
    return f"{shard}#{record_id if record_id not in (None, '') else row}"


#: ``scheme://host[:port]`` followed by the path, query, fragment or nothing: the plain URLs nearly
#: every record has, whose host ``urlsplit`` would give as it stands (no user, brackets, escapes or
#: characters it drops).
_PLAIN_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|\Z)")


def source_from(value: object) -> str | None:
    """A record's source: the host of a URL, or the value itself; None when empty.

    Both passes ask for every record's source, and ``urlsplit`` took 15 µs a record, more than
    parsing its JSON; a plain URL's host is read with one match instead. Anything else goes to
    ``urlsplit``, and a URL it refuses (an unclosed ``[``) is a source named as it is written.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if "://" in value:
        plain = _PLAIN_URL.match(value)
        if plain is not None:
            return plain.group(1).lower()
        try:
            host = urlsplit(value).hostname
        except ValueError:
            return value
        return host.lower() if host else value
    return value


def _missing(package: str, extra: str, what: str) -> InputError:
    return InputError(f"{what} needs the `{package}` package; install it with `pip install 'dedup[{extra}]'`")


#: Bytes read from a shard at once.
READ_BUFFER = 1 << 20


def open_shard(path: Path, compression: str | None, data: bytes | None = None) -> IO[bytes]:
    """A shard's bytes, decompressed, as a buffered stream (iterating it gives lines): read from
    ``path``, or from ``data`` when an engine has fetched the file's bytes itself."""
    def raw() -> IO[bytes]:
        # a large buffer: reading a 5 KB line took 3.9 us through the default 8 KiB one, 1.3 us here
        return io.BytesIO(data) if data is not None else path.open("rb", buffering=READ_BUFFER)

    if compression == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw(), mode="rb") if data is not None else gzip.open(path, "rb"))
    if compression == "zstd":
        try:
            import zstandard
        except ImportError:
            raise _missing("zstandard", "zstd", f"{path.name}: reading zstd shards") from None
        return cast(IO[bytes], io.BufferedReader(_ZstdReader(raw(), zstandard.ZstdDecompressor())))
    return raw()


class _ZstdReader(io.RawIOBase):
    """A zstd stream that fails at a truncated end: ``zstandard``'s own stream reader just stops there,
    so a cut-off shard would silently lose its last rows."""

    def __init__(self, fh: IO[bytes], decompressor: Any) -> None:
        self._fh = fh
        self._decompressor = decompressor
        self._dobj = decompressor.decompressobj()
        self._decompressor_error: type[Exception] = sys.modules["zstandard"].ZstdError
        self._pending = b""
        self._started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._dobj.unused_data if self._dobj.eof else b""
            if self._dobj.eof:
                if not chunk:
                    chunk = self._fh.read(1 << 16)
                    if not chunk:
                        return 0
                self._dobj = self._decompressor.decompressobj()
            else:
                chunk = self._fh.read(1 << 16)
                if not chunk:
                    if self._started:
                        raise EOFError("zstd stream ended before the end of its frame (truncated)")
                    return 0
            self._started = True
            try:
                self._pending = self._dobj.decompress(chunk)
            except self._decompressor_error as exc:  # not zstd, or damaged: a ValueError the reader reports
                raise ValueError(f"not a valid zstd stream ({exc})") from None
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


#: Bytes read at a time while a line too long to hold is skipped or copied.
CHUNK = 1 << 20


@dataclass(frozen=True)
class LongLine:
    """A JSONL line longer than one document may be (:data:`dedup.corpus.MAX_DOCUMENT_BYTES`).

    It is never held whole: the reader skips it in chunks and keeps only where it sits in its
    shard's (decompressed) bytes, and a writer copies it from there in chunks (:func:`copy_line`).
    """

    offset: int
    length: int  # without its line break
    ended: bool = True  # False: the shard's last line, with no line break after it


class Unterminated(bytes):
    """The last line of a stream that does not end with a line break.

    Writers end a shard without a line break when its source did, so an output shard, and a shard
    restored from it, keep every byte of the original (a JSONL file need not end with ``\\n``).
    """


def lines(fh: IO[bytes]) -> Iterator[bytes | LongLine]:
    """The lines of a JSONL stream without their line breaks, each held whole only up to the size
    limit of one document: a longer line is read past in chunks and given as a :class:`LongLine`.
    A last line without a line break comes as :class:`Unterminated` (or a ``LongLine`` not ``ended``).

    Iterating the stream itself would read a 200 MB line into memory at once (several times over,
    once parsed); here memory is bounded by the limit, which a record must fit in to be cleaned.
    """
    limit = corpus.MAX_DOCUMENT_BYTES
    offset = 0
    while chunk := fh.readline(CHUNK):
        parts = [chunk]
        size = len(chunk)
        while not chunk.endswith(b"\n") and size <= limit and (chunk := fh.readline(CHUNK)):
            parts.append(chunk)
            size += len(chunk)
        ended = parts[-1].endswith(b"\n")
        if size - ended <= limit:
            line = parts[0] if len(parts) == 1 else b"".join(parts)
            yield line[:-1] if ended else Unterminated(line)
        else:
            del parts
            while not ended and (chunk := fh.readline(CHUNK)):
                size += len(chunk)
                ended = chunk.endswith(b"\n")
            yield LongLine(offset, size - ended, ended)
        offset += size


def is_unterminated(line: bytes | LongLine) -> bool:
    """Whether ``line`` (from :func:`lines`) is a last line with no line break after it."""
    return isinstance(line, Unterminated) or (isinstance(line, LongLine) and not line.ended)


def copy_line(fh: IO[bytes], line: LongLine, write: Callable[[bytes], object], name: str) -> None:
    """Write the bytes of ``line`` (without its line break) from ``fh``, its shard opened afresh, in
    chunks of :data:`CHUNK`."""
    if fh.seekable():
        fh.seek(line.offset)
    else:  # a zstd stream: decompressed up to the line
        skip = line.offset
        while skip and (chunk := fh.read(min(CHUNK, skip))):
            skip -= len(chunk)
    left = line.length
    while left and (chunk := fh.read(min(CHUNK, left))):
        write(chunk)
        left -= len(chunk)
    if left:
        raise InputError(f"{name}: ended before its line of {line.length:,} bytes at byte {line.offset:,} could be "
                         "copied; the file changed while dedup read it; rerun when nothing writes to it (the "
                         "previous output is intact)")


def read_line(fh: IO[bytes], line: LongLine, name: str) -> bytes:
    """The bytes of ``line``, whole: for a writer that needs one value per line (Spark's), or a
    shard already held whole (fetched from a URL)."""
    parts: list[bytes] = []
    copy_line(fh, line, parts.append, name)
    return b"".join(parts)


@fast_init
@dataclass(frozen=True)
class Row:
    """One record as read: its position, raw line (JSONL), parsed value, and document or problem.

    A JSONL line too long to read (``long``) has no value and, when read from a path, no raw line
    either: the writer copies it from the shard."""

    row: int
    raw: bytes | None
    value: dict[str, Any] | None
    item: Document | Skipped
    long: LongLine | None = None
    unterminated: bool = False  # the shard's last line, with no line break after it


def _jsonl_rows(shard: Shard, fields: Fields, data: bytes | None = None) -> Iterator[Row]:
    seen: set[str] = set()
    try:
        fh = open_shard(shard.path, shard.compression, data)
    except OSError as exc:
        yield Row(0, None, None, Skipped(shard.name, f"cannot read file ({exc.strerror or exc})",
                                         "check that it exists and is readable"))
        return
    with fh:
        row = 0
        try:
            for line in lines(fh):
                if isinstance(line, LongLine):
                    found = _long_row(shard, row, line, data)
                else:
                    found = _jsonl_row(shard, row, line, fields, seen)
                yield replace(found, unterminated=True) if is_unterminated(line) else found
                row += 1
        except (OSError, EOFError, ValueError) as exc:  # a truncated or corrupt compressed stream
            yield Row(row, None, None, Skipped(f"{shard.name}#{row}", f"unreadable from here on ({exc})",
                                               "re-create the shard; the rows before it were read"))


def _long_row(shard: Shard, row: int, line: LongLine, data: bytes | None) -> Row:
    """A bad record: a line longer than one document may be, copied to the output as it is."""
    limit = corpus.MAX_DOCUMENT_BYTES
    skipped = Skipped(f"{shard.name}#{row}", f"a line of {line.length / (1 << 20):,.0f} MiB, more than the "
                      f"{limit >> 20} MiB one record may have", "split it into records; it is copied to the output "
                      "as it is")
    raw = None
    if data is not None:  # a shard an engine fetched is in memory already, and its path not at hand
        with open_shard(shard.path, shard.compression, data) as fh:
            raw = read_line(fh, line, shard.name)
    return Row(row, raw, None, skipped, line)


def _jsonl_row(shard: Shard, row: int, raw: bytes, fields: Fields, seen: set[str]) -> Row:
    where = f"{shard.name}#{row}"
    if not raw.strip():
        return Row(row, raw, None, Skipped(where, "blank line", "remove it; it is copied to the output as it is"))
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return Row(row, raw, None, Skipped(where, f"not valid JSON ({exc})", "fix or remove the line; it is copied "
                                           "to the output as it is"))
    return _record_row(shard, row, raw, value, fields, seen)


def _record_row(shard: Shard, row: int, raw: bytes | None, value: object, fields: Fields,
                seen: set[str]) -> Row:
    where = f"{shard.name}#{row}"
    if not isinstance(value, dict):
        return Row(row, raw, None, Skipped(where, "record is not a JSON object", "it is copied to the output as it is"))
    text = value.get(fields.text)
    if not isinstance(text, str):
        problem = f"no text field {fields.text!r}" if text is None else f"field {fields.text!r} is not a string"
        return Row(row, raw, value, Skipped(where, problem, "set --text-field; the record is copied as it is"))
    crowded = too_many_lines(where, text)
    if crowded is not None:
        return Row(row, raw, value, crowded)
    record_id = value.get(fields.id)
    name = record_name(shard.name, row, record_id if isinstance(record_id, (str, int)) else None)
    if name in seen:
        name = record_name(shard.name, row, None) if name != record_name(shard.name, row, None) else name
    seen.add(name)
    size = len(raw) if raw is not None else len(text.encode("utf-8"))
    doc = Document(doc=name, text=text, encoding="utf-8", size=size,
                   source=source_from(value.get(fields.source)) or "", row=row)
    return Row(row, raw, value, doc)


def _parquet_module(shard: Shard) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise _missing("pyarrow", "parquet", f"{shard.name}: reading Parquet shards") from None
    return pq


def _parquet_rows(shard: Shard, fields: Fields, data: bytes | None = None) -> Iterator[Row]:
    pq = _parquet_module(shard)
    try:
        parquet = pq.ParquetFile(io.BytesIO(data) if data is not None else shard.path)
    except Exception as exc:  # pyarrow raises its own error types for a damaged file
        yield Row(0, None, None, Skipped(shard.name, f"not a readable Parquet file ({exc})",
                                         "re-create it or --exclude it"))
        return
    seen: set[str] = set()
    row = 0
    for batch in parquet.iter_batches(batch_size=4096):
        for value in batch.to_pylist():
            yield _record_row(shard, row, None, value, fields, seen)
            row += 1


def read_rows(shard: Shard, fields: Fields, data: bytes | None = None) -> Iterator[Row]:
    """Every record of a record shard in order (a record without a source of its own gets "": its
    folder), read from its path or from ``data``, the file's bytes."""
    refused = unreadable(Source(shard.path, shard.name)) if data is None else None
    if refused is not None:
        return iter([Row(0, None, None, refused)])
    if shard.format == "jsonl":
        return _jsonl_rows(shard, fields, data)
    if shard.format == "parquet":
        return _parquet_rows(shard, fields, data)
    raise ValueError(f"{shard.name}: not a record shard")


def parquet_schema(data: bytes) -> bytes:
    """A Parquet file's Arrow schema, serialised (so a writer elsewhere can reproduce it)."""
    import pyarrow.parquet as pq

    schema: bytes = pq.ParquetFile(io.BytesIO(data)).schema_arrow.serialize().to_pybytes()
    return schema


# ---- writing ------------------------------------------------------------------------------------


def json_style(value: dict[str, Any], raw: bytes) -> str:
    """The style a JSONL line was written in, or :data:`RAW` when none of ours reproduces it.

    A line with non-ASCII bytes was not written with ``ensure_ascii``: those styles are not tried
    (each try dumps the whole record again)."""
    ascii_line = raw.isascii()
    for name, (ascii_only, separators) in STYLES.items():
        if ascii_only and not ascii_line:
            continue
        if jsonline.line(value, ascii_only, separators) == raw:
            return name
    return RAW


def dump_line(value: dict[str, Any], style: str) -> bytes:
    ascii_only, separators = STYLES.get(style, STYLES["jsonl-utf8-compact"])
    return jsonline.line(value, ascii_only, separators)


#: Bytes an output shard or the change log buffers before writing.
WRITE_BUFFER = 1 << 20


def _open_out(path: Path, compression: str | None) -> IO[bytes]:
    if compression == "gzip":
        # mtime=0 and no file name: the same output bytes on every run
        return cast(IO[bytes], gzip.GzipFile(filename="", mode="wb", fileobj=path.open("wb"), mtime=0))
    if compression == "zstd":
        import zstandard

        return cast(IO[bytes], zstandard.ZstdCompressor(level=3).stream_writer(path.open("wb"), closefd=True))
    # a megabyte of buffer: with the default 8 KB, lines of a few kilobytes were a write call each
    return path.open("wb", buffering=WRITE_BUFFER)


class JsonlWriter:
    """Writes one output JSONL shard line by line (same compression as the input).

    Each line's break is written when the next line comes or the shard is closed, so a shard whose
    source had no break after its last line (``unterminated``, set by the caller) ends without one.
    """

    def __init__(self, path: Path, compression: str | None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = _open_out(path, compression)
        self._written = False
        self.unterminated = False

    def _next(self) -> None:
        if self._written:
            self._fh.write(b"\n")
        self._written = True

    def line(self, data: bytes) -> None:
        self._next()
        self._fh.write(data)

    def copy(self, path: Path, compression: str | None, line: LongLine) -> None:
        """Write a line too long to hold, copied from the shard at ``path`` in chunks."""
        self._next()
        with open_shard(path, compression) as source:
            copy_line(source, line, self._fh.write, str(path))

    def close(self) -> None:
        if self._written and not self.unterminated:
            self._fh.write(b"\n")
        self._fh.close()
        if isinstance(self._fh, gzip.GzipFile) and self._fh.fileobj is not None:
            self._fh.fileobj.close()


class ParquetWriter:
    """Writes one output Parquet shard with the input's schema, a batch at a time."""

    def __init__(self, path: Path, source: Path, schema: bytes | None = None) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        self._schema = pa.ipc.read_schema(pa.py_buffer(schema)) if schema else pq.ParquetFile(source).schema_arrow
        self._writer = pq.ParquetWriter(path, self._schema)
        self._rows: list[dict[str, Any]] = []

    def row(self, value: dict[str, Any]) -> None:
        self._rows.append(value)
        if len(self._rows) >= 4096:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def record_text(value: dict[str, Any], text_field: str, text: str) -> dict[str, Any]:
    """The record with its text replaced (key order kept)."""
    return {k: (text if k == text_field else v) for k, v in value.items()}


def record_json(value: dict[str, Any]) -> str:
    """A record as one JSON line for the change log (values JSON cannot hold become strings)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str, sort_keys=False)
