"""Finding, reading, decoding and writing corpus files.

Reading never raises for a bad file: it returns a :class:`Skipped` with a message the user can act
on, so one bad file does not stop the rest of the corpus. Writing is atomic: a file is written to a
temporary name in the same folder and renamed over the target, and a whole output folder is built
beside the old one and swapped in, so a failed run leaves the previous output intact.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InputError, UsageError
from .model import Document, Skipped

#: Encodings dedup can read, by the name recorded in the change log. Each pair decodes bytes to
#: text and encodes the text back to the identical bytes, which ``restore`` relies on.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le-bom"),
    (b"\xfe\xff", "utf-16-be-bom"),
)


def decode_bytes(raw: bytes, encoding: str) -> str:
    if encoding == "utf-8":
        return raw.decode("utf-8")
    if encoding == "utf-8-sig":
        return raw[3:].decode("utf-8")
    if encoding == "utf-16-le-bom":
        return raw[2:].decode("utf-16-le")
    if encoding == "utf-16-be-bom":
        return raw[2:].decode("utf-16-be")
    if encoding == "cp1252":
        return raw.decode("cp1252")
    raise ValueError(f"unknown encoding {encoding!r}")


def encode_text(text: str, encoding: str) -> bytes:
    if encoding == "utf-8":
        return text.encode("utf-8")
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "utf-16-le-bom":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    if encoding == "cp1252":
        return text.encode("cp1252")
    raise ValueError(f"unknown encoding {encoding!r}")


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")

#: The largest file read as one document. Extracted web documents are kilobytes; a file of
#: hundreds of megabytes is a dump or a mistake, and reading it whole would take its size several
#: times over in memory. It is skipped (with a message) without being read.
MAX_DOCUMENT_BYTES = 64 << 20
#: The most lines one document may have. Each line is a passage with its own bookkeeping (about a
#: kilobyte of memory while the document is cleaned): ten million short lines would take over ten
#: gigabytes. A book has tens of thousands of lines.
MAX_DOCUMENT_LINES = 200_000


def _control_ratio(text: str) -> float:
    """Share of control characters (not whitespace) in the first 64 KiB: high means binary."""
    if not text:
        return 0.0
    sample = text[:65536]
    return len(_CONTROL.findall(sample)) / len(sample)


def too_large(doc: str, size: int) -> Skipped | None:
    """Why a text file of ``size`` bytes is not read at all (over :data:`MAX_DOCUMENT_BYTES`), or None.
    Decided from the size a listing reports (``stat``, or a Hadoop file system's for a URL), before
    a byte is read."""
    if size <= MAX_DOCUMENT_BYTES:
        return None
    return Skipped(doc, f"{size / (1 << 20):,.0f} MiB, more than the {MAX_DOCUMENT_BYTES >> 20} MiB one document "
                   "may have", "split it into documents; it was not read")


def too_many_lines(doc: str, text: str) -> Skipped | None:
    if len(text) <= MAX_DOCUMENT_LINES:
        return None  # no more line breaks than characters: not counted (a non-Latin-1 text counts slowly)
    lines = text.count("\n")
    if lines <= MAX_DOCUMENT_LINES:
        return None
    return Skipped(doc, f"{lines:,} lines, more than the {MAX_DOCUMENT_LINES:,} one document may have",
                   "split it into documents (one per file or record); it was not cleaned")


def decode_document(doc: str, raw: bytes) -> Document | Skipped:
    """Decode ``raw`` or explain why it cannot be used as text."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                text = decode_bytes(raw, name)
            except UnicodeDecodeError as exc:
                return Skipped(doc, f"starts with a {name} byte-order mark but is not valid ({exc.reason})",
                               "re-save it as UTF-8")
            return Document(doc=doc, text=text, encoding=name, size=len(raw))
    if b"\x00" in raw[:65536]:
        return Skipped(doc, "binary file (contains NUL bytes)", "remove it from the corpus or --exclude it")
    encoding = "utf-8"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError as exc:
            return Skipped(doc, f"not UTF-8 and not a recognisable text encoding (byte {exc.start})",
                           "convert it to UTF-8, e.g. with iconv")
    if _control_ratio(text) > 0.05:
        return Skipped(doc, "binary file (mostly control characters)", "remove it from the corpus or --exclude it")
    if encode_text(text, encoding) != raw:  # pragma: no cover - strict codecs round-trip
        return Skipped(doc, f"bytes do not round-trip through {encoding}", "convert it to UTF-8")
    crowded = too_many_lines(doc, text)
    if crowded is not None:
        return crowded
    return Document(doc=doc, text=text, encoding=encoding, size=len(raw))


@dataclass(frozen=True)
class Source:
    """A file to read: where it is and the name it gets in the corpus."""

    path: Path
    doc: str


@lru_cache(maxsize=32)
def _globs(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled regex for a set of globs (fnmatch per file per pattern is slow on 10k files)."""
    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(os.path.normcase(p)) for p in patterns))


def matches(name: str, rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether a file (by name or by path relative to the corpus root) matches one of the globs."""
    pattern = _globs(patterns)
    return pattern is not None and bool(pattern.match(os.path.normcase(name)) or pattern.match(os.path.normcase(rel)))


def corpus_root(paths: list[Path]) -> Path:
    """The folder that document names are relative to: the folder given, or the common parent."""
    dirs = [p if p.is_dir() else p.parent for p in (q.resolve() for q in paths)]
    return Path(os.path.commonpath([str(d) for d in dirs]))


def discover(paths: list[Path], include: tuple[str, ...], exclude: tuple[str, ...],
             output: Path | None = None, follow_symlinks: bool = False) -> tuple[Path, list[Source]]:
    """List the documents under ``paths`` in sorted order, refusing inputs that overlap ``output``.

    Symbolic links are listed but not followed (:func:`read_source` reports them), so a link in
    the corpus can never make dedup read a file outside it, or walk in circles. With
    ``follow_symlinks`` they are followed, each real folder at most once.
    """
    if not paths:
        raise UsageError("no input paths given; pass a file or folder, e.g. `dedup clean seeds`")
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise InputError(f"{p}: no such file or folder; check the path")
    root = corpus_root(paths)
    out = output.resolve() if output is not None else None
    if out is not None:
        for p in paths:
            rp = p.resolve()
            if out == rp or rp.is_relative_to(out):
                raise UsageError(f"{p}: input is inside the output folder {output}; choose another -o")
            if rp.is_dir() and out.is_relative_to(rp):
                raise UsageError(f"{output}: output folder is inside the input {p}; choose an -o outside it")
    found: dict[str, Source] = {}
    visited: set[tuple[int, int]] = set()
    for p in paths:
        rp = p.resolve()
        if rp.is_file():
            rel = rp.relative_to(root).as_posix()
            found[rel] = Source(rp, rel)
            continue
        for dirpath, dirnames, filenames in os.walk(rp, followlinks=follow_symlinks):
            here = Path(dirpath)
            if follow_symlinks:  # a link back up the tree would otherwise be walked forever
                st = here.stat()
                if (st.st_dev, st.st_ino) in visited:
                    dirnames[:] = []
                    continue
                visited.add((st.st_dev, st.st_ino))
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for d in dirnames if not follow_symlinks else ():
                if (here / d).is_symlink():  # not walked: say so rather than leave it out in silence
                    rel = (here / d).relative_to(root).as_posix()
                    found[rel] = Source(here / d, rel)
            for name in sorted(filenames):
                full = here / name
                rel = full.relative_to(root).as_posix()
                if name.startswith(".") or not matches(name, rel, include) or matches(name, rel, exclude):
                    continue
                found[rel] = Source(Path(os.path.realpath(full)) if follow_symlinks else full, rel)
    return root, [found[k] for k in sorted(found)]


def printable(name: str) -> str:
    """A name as it can be shown on one line and written as UTF-8: control characters and bytes that
    are not UTF-8 (held as surrogates) become backslash escapes."""
    name = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), name)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _link_problem(source: Source) -> str | None:
    """Why a symbolic link found in the corpus is not read, or None when it may be."""
    if not source.path.is_symlink():
        return None
    target = Path(os.path.realpath(source.path))
    if not target.exists():  # dangling, or a loop: reading it fails with the plainer message
        return None
    root = Path(os.path.realpath(source.path.parents[source.doc.count("/")]))
    if target.is_dir():
        return f"symbolic link to the folder {printable(str(target))}; not followed"
    if not target.is_relative_to(root):
        return f"symbolic link to {printable(str(target))}, outside the corpus; not followed"
    return None


def unreadable(source: Source) -> Skipped | None:
    """Why a listed file is not read at all (its name, or a link that is not followed), or None."""
    try:
        source.doc.encode("utf-8")
    except UnicodeEncodeError:
        return Skipped(printable(source.doc), "file name is not valid UTF-8",
                       "rename it (e.g. `convmv -f latin1 -t utf8`); it was not read")
    problem = _link_problem(source)
    if problem is not None:
        return Skipped(source.doc, problem, "pass --follow-symlinks to read it, or copy the file into the corpus")
    return None


def read_source(source: Source) -> Document | Skipped:
    refused = unreadable(source)
    if refused is not None:
        return refused
    try:
        refused = too_large(source.doc, source.path.stat().st_size)
        if refused is not None:
            return refused
        raw = source.path.read_bytes()
    except IsADirectoryError:
        return Skipped(source.doc, "is a folder, not a file", "pass its files or the folder itself")
    except OSError as exc:
        return Skipped(source.doc, f"cannot read file ({exc.strerror or exc})", "check that it exists and is readable")
    return decode_document(source.doc, raw)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported.

    With it, a reader (or a run killed at any instant) sees the old folder or the new one at the
    target, never neither.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover - a libc without renameat2 (glibc < 2.28)
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # the file system cannot: fall back
        return False
    raise OSError(err, os.strerror(err), str(b))


def publish_dir(target: Path, build: Callable[[Path], None]) -> None:
    """Build a folder with ``build(tmpdir)`` next to ``target`` and swap it in.

    The previous ``target`` stays in place until the new one is complete; if ``build`` fails the
    temporary folder is removed and ``target`` is untouched. The swap is one atomic exchange where
    the system offers one; elsewhere it is two renames, and a run killed between them leaves the
    previous output in ``.NAME.old-*``, which the next run puts back
    (:func:`dedup.leftovers.sweep_output`). Temporary names carry the owner's pid and start time
    so a later run can tell a dead run's leftovers from a live run's work.
    """
    from .leftovers import owner_tag

    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{owner_tag()}")
    old = target.with_name(f".{target.name}.old-{owner_tag()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        build(tmp)
        if target.exists() and _exchange(tmp, target):
            old = tmp  # the previous output now sits at the temporary name
        else:
            if target.exists():
                os.replace(target, old)
            os.replace(tmp, target)
    except BaseException:
        if old.exists() and not target.exists():
            os.replace(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def safe_join(base: Path, doc: str) -> Path:
    """``base / doc``, refusing names that would land outside ``base``."""
    parts = doc.split("/")
    if doc.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise InputError(f"{doc}: unsafe document name; rename the file")
    return base.joinpath(*parts)
