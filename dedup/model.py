"""The values that flow between stages.

Every stage receives frozen values and returns new frozen values: a stage *proposes* changes and
never edits a document. Only :mod:`dedup.changes` turns proposals into text, which is what keeps
the change log complete and ``restore`` exact.

Offsets (``start``/``end``) are always character offsets into a document's *original* decoded
text, never into an intermediate version, so changes from different stages can be compared,
merged and inverted without tracking edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ChangeKind = Literal["repair", "boilerplate", "duplicate", "document-duplicate"]
KINDS: tuple[ChangeKind, ...] = ("repair", "boilerplate", "duplicate", "document-duplicate")


@dataclass(frozen=True)
class Document:
    """One input document, decoded.

    ``doc`` is the path relative to the corpus root in POSIX form: it names the document in the
    change log, orders documents for the keep policy, and places the cleaned copy under
    ``OUT/corpus``. ``encoding`` is how the bytes were decoded; anything other than ``utf-8`` is
    recorded in the change log so ``restore`` can rebuild the original bytes.
    """

    doc: str
    text: str
    encoding: str = "utf-8"
    size: int = 0  # bytes on disk
    source: str = ""  # the site it came from (a record's url host); "" means: its folder
    row: int | None = None  # position in its shard, for a record of a JSONL or Parquet file


@dataclass(frozen=True)
class Passage:
    """A unit of comparison and removal: one line, or a hard-wrapped paragraph of lines.

    ``start``/``end`` delimit the passage's content (without its line terminator) in the original
    text. ``span_end`` extends through the terminator and any blank lines that follow, so removing
    ``[start, span_end)`` removes the passage and its separator and leaves no hole behind.
    ``text`` is the content after repairs; ``key`` is the folded comparison key of ``text``.
    """

    doc: str
    index: int
    start: int
    end: int
    span_end: int
    line: int  # 1-based line number of the first line
    text: str
    key: str
    words: int


@dataclass(frozen=True)
class Change:
    """One proposed or applied edit of a document: replace ``original[start:end]`` by ``replacement``.

    Removals have an empty replacement. ``text`` always holds the original characters, so the log
    plus the cleaned text rebuild the original exactly.
    """

    doc: str
    kind: ChangeKind
    rule: str
    start: int
    end: int
    text: str
    replacement: str = ""
    reason: str = ""
    line: int = 0
    duplicate_of: str | None = None
    duplicate_start: int | None = None
    duplicate_end: int | None = None
    similarity: float | None = None
    encoding: str | None = None
    id: str = ""
    row: int | None = None  # a record's 0-based row in its shard (records of JSONL/Parquet shards only)
    record: str | None = None  # the original record, when restore cannot rebuild it from the output


@dataclass(frozen=True)
class Suspect:
    """A line that looked like boilerplate but was kept because the evidence was not conclusive."""

    doc: str
    line: int
    rule: str
    text: str
    reason: str


@dataclass(frozen=True)
class Skipped:
    """An input file that could not be processed, with a message a user can act on."""

    path: str
    problem: str
    hint: str

    def message(self) -> str:
        return f"{self.path}: {self.problem}; {self.hint}"


@dataclass(frozen=True)
class DocResult:
    """The outcome for one document: its changes and its cleaned text (None when dropped)."""

    document: Document
    changes: tuple[Change, ...]
    output: str | None


@dataclass(frozen=True)
class Result:
    """Everything ``dedup.clean`` produced, ready to be written or inspected."""

    documents: tuple[DocResult, ...]
    skipped: tuple[Skipped, ...]
    suspects: tuple[Suspect, ...]
    warnings: tuple[str, ...]
    clusters: tuple[tuple[str, ...], ...] = field(default=())
    items: tuple[Any, ...] = field(default=(), repr=False, compare=False)  # stream.Item, in input order


    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for d in self.documents for c in d.changes)
