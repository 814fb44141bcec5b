"""The signature cache: what the hook needs to check a new document against a large corpus quickly.

For every document it has seen, keyed by a hash of the document's bytes, the cache keeps the
passages that can be duplicates (position, line, words, whether a rule removes it, and the id
of that removal) and the LSH band keys of their MinHash signatures. All band keys live in one
sorted array, so the candidates for a new passage are a binary search away and a warm check
never re-reads signatures document by document.

Files, under ``<corpus root>/.dedup/cache/`` (the folder ignores itself for git):

* ``base.sig``: the bulk, rewritten only when the delta grows large or entries go stale;
* ``delta.sig``: documents added since, small and cheap to rewrite on every run.

Each file is ``MAGIC | format | params digest | payload digest | payload`` where the payload is
an ``.npz`` archive. A file whose magic, format, parameters (dedup version, rule catalogue, duplicate
settings) or payload digest does not match is ignored and rebuilt: a cache can make a run slow,
never wrong. Writers hold an exclusive ``flock`` on ``lock``, re-read under the lock, merge and
replace files atomically, so concurrent hooks do not lose each other's entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .arrays import distinct, stable_argsort
from .config import Config, as_dict
from .corpus import write_atomic

MAGIC = b"DEDUPSIG"
FORMAT = 4  # 2: a document-level row per document; 3: the fast shingle hash; 4: words hashed by dedup.tokens
ROW_FIELDS = ("passage", "line", "start", "end", "words", "boilerplate")
DOCUMENT_ROW = 0xFFFFFFFF  # ``passage`` of the row that holds the whole document's band keys


def content_hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def params_digest(config: Config) -> bytes:
    """Everything that changes what an entry holds: a change means the cache is rebuilt."""
    from .rules import active_rules

    rules = [(r.name, r.patterns, r.zone, r.max_words, r.strength, r.opens_list) for r in active_rules(config)]
    payload = {
        "format": FORMAT, "version": __version__, "neardup": as_dict(config.neardup),
        "rules": as_dict(config.rules), "catalogue": rules,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=list).encode()).digest()


@dataclass
class Entry:
    """One document's rows: ``rows`` is (n, 6) uint32 (see ROW_FIELDS), ``keys`` (n, bands) uint64
    per channel (0 where the passage is not in that channel), ``ids`` the boilerplate change ids."""

    rows: Any
    keys: Any
    ids: Any


@dataclass
class _Segment:
    hashes: list[bytes] = field(default_factory=list)
    offsets: Any = None
    rows: Any = None
    keys: Any = None
    ids: Any = None
    sorted_keys: Any = None
    sorted_rows: Any = None

    @classmethod
    def build(cls, entries: dict[bytes, Entry], key_width: int) -> _Segment:
        hashes = sorted(entries)
        counts = [len(entries[h].rows) for h in hashes]
        offsets = np.zeros(len(hashes) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(counts)
        def stack(name: str, shape: tuple[int, ...], dtype: Any) -> Any:
            parts = [getattr(entries[h], name) for h in hashes]
            return np.concatenate(parts) if parts else np.zeros(shape, dtype=dtype)
        rows = stack("rows", (0, len(ROW_FIELDS)), np.uint32)
        keys = stack("keys", (0, key_width), np.uint64)
        ids = stack("ids", (0,), np.uint64)
        flat_rows = np.repeat(np.arange(len(rows), dtype=np.uint32), keys.shape[1])
        flat_keys = keys.reshape(-1)
        used = flat_keys != 0
        flat_keys, flat_rows = flat_keys[used], flat_rows[used]
        order = stable_argsort(flat_keys)
        return cls(hashes, offsets, rows, keys, ids, flat_keys[order], flat_rows[order])

    def entries(self) -> dict[bytes, Entry]:
        out = {}
        for i, h in enumerate(self.hashes):
            lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
            out[h] = Entry(self.rows[lo:hi], self.keys[lo:hi], self.ids[lo:hi])
        return out

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, hashes=np.frombuffer(b"".join(self.hashes), dtype=np.uint8).reshape(-1, 16),
                 offsets=self.offsets, rows=self.rows, keys=self.keys, ids=self.ids,
                 sorted_keys=self.sorted_keys, sorted_rows=self.sorted_rows)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> _Segment:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            hashes = [bytes(h) for h in data["hashes"]]
            return cls(hashes, data["offsets"], data["rows"], data["keys"], data["ids"],
                       data["sorted_keys"], data["sorted_rows"])


def _encode(segment: _Segment, params: bytes) -> bytes:
    payload = segment.to_bytes()
    header = MAGIC + FORMAT.to_bytes(4, "little") + params + hashlib.sha256(payload).digest()
    return header + payload


def _decode(data: bytes, params: bytes) -> _Segment | None:
    head = len(MAGIC) + 4 + 32 + 32
    if len(data) < head or not data.startswith(MAGIC):
        return None
    if int.from_bytes(data[len(MAGIC):len(MAGIC) + 4], "little") != FORMAT:
        return None
    if data[len(MAGIC) + 4:len(MAGIC) + 36] != params:
        return None
    payload = data[head:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC) + 36:head]:
        return None
    try:
        return _Segment.from_bytes(payload)
    except (ValueError, KeyError, OSError, EOFError):
        return None


@dataclass(frozen=True)
class Candidate:
    """A cached passage that shares a band with a query passage."""

    doc_hash: bytes
    row: Any  # the uint32 row (see ROW_FIELDS)
    boilerplate_id: int


class SignatureCache:
    """Load, query and extend the cache of one corpus root."""

    def __init__(self, folder: Path, config: Config, key_width: int) -> None:
        self.folder = folder
        self.params = params_digest(config)
        self.key_width = key_width
        self.problems: list[str] = []
        base = self._read("base.sig")
        delta = self._read("delta.sig")
        if base is None and delta is None:
            self.status = "rebuilt (" + ", ".join(self.problems) + ")" if self.problems else "cold"
        else:
            self.status = "rebuilt (" + ", ".join(self.problems) + ")" if self.problems else "warm"
        self.base = base or _Segment.build({}, key_width)
        self.delta = delta or _Segment.build({}, key_width)
        self._index = {h: (0, i) for i, h in enumerate(self.base.hashes)}
        self._index.update({h: (1, i) for i, h in enumerate(self.delta.hashes)})
        self.added: dict[bytes, Entry] = {}

    def _read(self, name: str) -> _Segment | None:
        path = self.folder / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            self.problems.append(f"{name} unreadable")
            return None
        segment = _decode(data, self.params)
        if segment is None:
            self.problems.append(f"{name} stale or corrupt")
        return segment

    def __contains__(self, doc_hash: bytes) -> bool:
        return doc_hash in self._index or doc_hash in self.added

    def add(self, doc_hash: bytes, entry: Entry) -> None:
        self.added[doc_hash] = entry

    def candidates(self, keys: Iterable[int], present: set[bytes]) -> Iterator[Candidate]:
        """Cached passages of documents in ``present`` sharing any of ``keys`` (no duplicates)."""
        query = distinct(np.fromiter((k for k in keys if k), dtype=np.uint64))
        seen: set[tuple[bytes, int]] = set()
        segments = [s for s in (self.base, self.delta) if s is not None]
        if self.added:
            segments.append(_Segment.build(self.added, self.key_width))
        for segment in segments:
            if not len(segment.sorted_keys) or not len(query):
                continue
            lo = np.searchsorted(segment.sorted_keys, query, side="left")
            hi = np.searchsorted(segment.sorted_keys, query, side="right")
            for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
                for r in segment.sorted_rows[a:b].tolist():
                    doc = int(np.searchsorted(segment.offsets, r, side="right")) - 1
                    doc_hash = segment.hashes[doc]
                    if doc_hash not in present or (doc_hash, r) in seen:
                        continue
                    seen.add((doc_hash, r))
                    yield Candidate(doc_hash, segment.rows[r], int(segment.ids[r]))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            write_atomic(ignore, b"# written by dedup: the signature cache is local state\n*\n")
        with open(self.folder / "lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def save(self, present: set[bytes]) -> None:
        """Merge new entries into the files; drop entries of documents no longer present when compacting."""
        if not self.added and not self.problems:
            return
        with self._locked():
            problems = list(self.problems)
            base = self._read("base.sig") or _Segment.build({}, self.key_width)
            delta = self._read("delta.sig") or _Segment.build({}, self.key_width)
            self.problems = problems
            delta_entries = delta.entries()
            in_base = set(base.hashes)
            delta_entries.update({h: e for h, e in self.added.items() if h not in in_base})
            delta_rows = sum(len(e.rows) for e in delta_entries.values())
            stale = len(in_base - present)
            if delta_rows > max(2000, len(base.rows) // 10) or stale > len(base.hashes) // 5:
                merged = {h: e for h, e in base.entries().items() if h in present}
                merged.update({h: e for h, e in delta_entries.items() if h in present})
                write_atomic(self.folder / "base.sig", _encode(_Segment.build(merged, self.key_width), self.params))
                delta_entries = {}
            write_atomic(self.folder / "delta.sig",
                         _encode(_Segment.build(delta_entries, self.key_width), self.params))
        self.added = {}


def cache_folder(root: Path) -> Path:
    return root / ".dedup" / "cache"
