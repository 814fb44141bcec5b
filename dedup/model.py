"""The values that flow between stages.

Every stage receives frozen values and returns new frozen values: a stage *proposes* changes and
never edits a document. Only :mod:`dedup.changes` turns proposals into text, which is what keeps
the change log complete and ``restore`` exact.

Offsets (``start``/``end``) are always character offsets into a document's *original* decoded
text, never into an intermediate version, so changes from different stages can be compared,
merged and inverted without tracking edits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")


def fast_init(cls: type[_T]) -> type[_T]:
    """Give a frozen dataclass an ``__init__`` that stores its fields in the instance's dict directly.

    A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__`` (its
    own ``__setattr__`` refuses): 1.19 us for a passage's nine fields, against 0.41 us for one
    dictionary store each, and a run builds about 27 of these values per document (ten passages,
    the document twice, its prepared form, ...). The values are stored exactly as the generated
    ``__init__`` stores them (same signature, defaults, dict), so equality, hashing, ``replace``,
    pickling and the refusal of assignment are unchanged (``tests/test_model.py`` checks each
    decorated class against its generated ``__init__``). Only plain fields are supported: a default
    factory, ``init=False`` or a ``__post_init__`` is refused when the class is defined.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__post_init__") or any(
            not f.init or f.default_factory is not dataclasses.MISSING or f.kw_only is True
            or f.name.startswith("__fast_init_") for f in fields):
        raise TypeError(f"fast_init: {cls.__name__} is not a frozen dataclass of plain fields")
    defaults = {f"__fast_init_default_{f.name}": f.default for f in fields if f.default is not dataclasses.MISSING}
    signature = ", ".join(f.name if f.default is dataclasses.MISSING else f"{f.name}=__fast_init_default_{f.name}"
                          for f in fields)
    # The instance's dict under a name no field can have (fields named like it are refused above).
    body = "".join(f"    __fast_init_dict[{f.name!r}] = {f.name}\n" for f in fields)
    namespace: dict[str, Any] = {}
    me = "__dataclass_self__" if any(f.name == "self" for f in fields) else "self"  # as dataclasses names it
    exec(f"def __init__({me}, {signature}):\n    __fast_init_dict = {me}.__dict__\n{body}", defaults, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)  # what inspect.signature and get_type_hints show
    cls.__dataclass_init__ = cls.__init__  # type: ignore[attr-defined]  # the generated one, for the tests
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def replace(obj: _T, /, **changes: Any) -> _T:
    """``dataclasses.replace``, about twice as fast for a value whose class :func:`fast_init` built:
    the new value is made by that ``__init__`` from the old value's fields with ``changes`` over
    them (an unknown field is refused by it as by ``dataclasses.replace``). Stages replace a
    field or two of about three values per document."""
    cls = type(obj)
    if "__dataclass_init__" in cls.__dict__:
        return cls(**{**obj.__dict__, **changes})
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


ChangeKind = Literal["repair", "boilerplate", "duplicate", "document-duplicate"]
KINDS: tuple[ChangeKind, ...] = ("repair", "boilerplate", "duplicate", "document-duplicate")


@fast_init
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


@fast_init
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


@fast_init
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


@fast_init
@dataclass(frozen=True)
class Suspect:
    """A line that looked like boilerplate but was kept because the evidence was not conclusive."""

    doc: str
    line: int
    rule: str
    text: str
    reason: str


@fast_init
@dataclass(frozen=True)
class Skipped:
    """An input file that could not be processed, with a message a user can act on."""

    path: str
    problem: str
    hint: str

    def message(self) -> str:
        return f"{self.path}: {self.problem}; {self.hint}"


@fast_init
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
