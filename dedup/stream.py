"""The streaming run: two passes over the corpus, with memory that does not grow with its text.

Pass 1 reads every document once, runs the per-document stages (in worker processes) and keeps
only a *sketch*: the LSH band keys of its passages and of the whole document with the lowest
byte of each signature value (spilled to disk, a file per band), a few hashes for the
cross-document evidence table, the changes it would get if nothing global applied, and its
pickled prepared form (both spilled to disk as well).

The global stage then works on those integers alone. Sorting each band's keys finds the pairs of
passages that share a bucket; pairs that a b-bit MinHash estimate vets link documents into
*components*, and only they can hold a near-duplicate. The evidence table names the recurring
lines of each source.

Pass 1b loads the prepared documents of each component and runs the in-memory global stage
(:func:`dedup.pipeline.plan`: verification, keep policy, boilerplate re-judged until stable) one
component per worker task; a document in no component that holds recurring lines is a task of
its own, its rules run again knowing them. Pass 2 re-reads the corpus in order and yields each
document's result: the verdict of its task, or the spilled pass-1 changes. Each is applied and
checked to restore exactly before it is handed on.

Memory is what the sketches hold (tens of bytes per short line, a few integers per document, the
vetting bytes while candidates are bucketed) plus the components in flight, not the corpus. The
result is the same whatever ``jobs`` is: workers only run pure functions, and everything is
consumed in input order.
"""

from __future__ import annotations

import os
import pickle
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import corpus
from .arrays import distinct
from .config import Config
from .errors import InputError, InternalError
from .evidence import EvidenceTable, Finding
from .formats import Fields, Row, Shard, read_rows, shard_format
from .leftovers import spill_folder
from .model import Change, DocResult, Document, Skipped, Suspect, fast_init, replace
from .neardup import bucket_pairs, choose_bands
from .pipeline import Prepared, default_jobs, uses_affixes, uses_evidence
from .progress import Progress
from .rules import active_rules, build_screen
from .stages import (
    SKETCH_BATCH,
    VET_MARGIN,
    Sketch,
    Verdict,
    components,
    configure,
    corpus_changed,
    fingerprint,
    finish,
    plan_component,
    record_fields,
    rejudged,
    sketch_batches,
    sketch_many,
    vet,
)


@fast_init
@dataclass(frozen=True)
class Item:
    """One input unit as the run hands it on: a document's result, or a file or record it skipped."""

    shard: Shard
    row: Row | None
    result: DocResult | Skipped
    suspects: tuple[Suspect, ...] = ()
    warning: str | None = None


class PreparedSpill:
    """Every document's :class:`Prepared`, pickled to temporary files, found again by number.

    Loading one back costs a few hundredths of a millisecond; running the per-document stages again
    costs a few milliseconds. The global stage needs the prepared documents of every component and
    of every document with recurring lines, so keeping them on disk (about 20 KB a document)
    spares it the work without holding anything in memory but a location per document. The tasks
    that need them read them (:func:`plan_spilled`) from where :meth:`locate` says.

    With worker processes, each worker appends the documents it prepared to a file of its own
    (:func:`sketch_to_spill`) and hands back only where it put them: receiving 20 KB a document
    from the workers, loading it and writing it out again took the main process about a fifth of
    its CPU time (3.5 s instead of 4.5-5.1 s on 10,000 documents with two workers), time the
    workers then lacked on a two-core machine. In one process, the run adds the pickles itself
    (:meth:`add`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._files: list[str] = [str(path)]
        self._numbers: dict[str, int] = {str(path): 0}
        self._file = array("H")
        self._offsets = array("Q")
        self._out: IO[bytes] | None = path.open("wb")

    def add(self, data: bytes) -> None:
        """The next document's pickle, written to this spill's own file."""
        assert self._out is not None
        self._file.append(0)
        self._offsets.append(self._out.tell())
        self._out.write(data)

    def record(self, path: str, offset: int) -> None:
        """The next document's pickle, already written by a worker to ``path`` at ``offset``."""
        number = self._numbers.get(path)
        if number is None:
            number = self._numbers[path] = len(self._files)
            self._files.append(path)
        self._file.append(number)
        self._offsets.append(offset)

    def written(self) -> None:
        """Finish writing: from here on the files are complete and may be read, here or elsewhere."""
        if self._out is not None:
            self._out.close()
            self._out = None

    def locate(self, doc: int) -> tuple[str, int]:
        """The file and offset where document ``doc`` is (for a worker that reads it itself)."""
        return self._files[self._file[doc]], self._offsets[doc]


#: This worker's own file of prepared documents: (the run's spill folder, the file's path, the
#: file, its size so far).
_OWN_SPILL: tuple[str, str, IO[bytes], int] | None = None


def sketch_to_spill(task: tuple[str, list[Document]]) -> list[tuple[Sketch, tuple[str, int]]]:
    """Worker: :func:`~dedup.stages.sketch_many` a batch of documents, append their prepared forms
    to this worker's own file in the run's spill folder, and return the sketches without them and
    where each is.

    The file is written unbuffered, one ``write`` per batch, so the main process (or another
    worker) may read a document back as soon as its location has been returned.
    """
    global _OWN_SPILL
    folder, documents = task
    found = sketch_many(documents)
    if _OWN_SPILL is None or _OWN_SPILL[0] != folder:
        if _OWN_SPILL is not None:
            _OWN_SPILL[2].close()
        path = str(Path(folder) / f"prepared-{os.getpid()}.pickle")
        _OWN_SPILL = (folder, path, open(path, "ab", buffering=0), 0)  # noqa: SIM115 - kept open
    _, path, fh, offset = _OWN_SPILL
    out = []
    for one in found:
        out.append((replace(one, prepared=b""), (path, offset)))
        offset += len(one.prepared)
    view = memoryview(b"".join(one.prepared for one in found))
    while view:
        view = view[fh.write(view) or 0:]
    _OWN_SPILL = (folder, path, fh, offset)
    return out


# ---- reading ------------------------------------------------------------------------------------


def find_shards(paths: Sequence[str | Path], config: Config, output: Path | None) -> list[Shard]:
    _root, sources = corpus.discover([Path(p) for p in paths], config.include, config.exclude, output,
                                     follow_symlinks=config.follow_symlinks)
    shards = []
    for source in sources:
        fmt, compression = shard_format(source.doc, config.format or None)
        shards.append(Shard(source.path, source.doc, fmt, compression))
    if not shards:
        raise InputError(
            f"{', '.join(str(p) for p in paths)}: no documents found (looked for {', '.join(config.include)}); "
            "check the path or set `include`"
        )
    return shards


def fields_of(config: Config) -> Fields:
    return Fields(config.text_field, config.id_field, config.source_field)


def unfetched(shard: Shard) -> Skipped | None:
    """Why a shard at a URL is not fetched at all, or None: a text file over the size limit, refused
    from the size its listing reported, as a file read by path is refused from its ``stat``."""
    if shard.url is None or shard.records or shard.size is None:
        return None
    return corpus.too_large(shard.name, shard.size)


def read_shard(shard: Shard, fields: Fields,
               data: bytes | None = None) -> Iterator[tuple[Row | None, Document | Skipped]]:
    """Every document (or problem) of one shard in order: a text file is one, a record shard many.
    The shard is read from its path, or from ``data`` when an engine fetched its bytes (a shard at
    a URL that is not fetched, see :func:`unfetched`, is its refusal)."""
    if not shard.records:
        refused = unfetched(shard)
        if refused is not None:
            yield None, refused
        elif data is not None:
            yield None, corpus.decode_document(shard.name, data)
        else:
            yield None, corpus.read_source(corpus.Source(shard.path, shard.name))
        return
    for row in read_rows(shard, fields, data):
        yield row, row.item


def read(shards: Sequence[Shard], config: Config) -> Iterator[tuple[Shard, Row | None, Document | Skipped, int]]:
    """Every document (or problem) of every shard in order, with its document number (-1 if skipped)."""
    fields = fields_of(config)
    number = 0
    for shard in shards:
        for row, item in read_shard(shard, fields):
            if isinstance(item, Document):
                yield shard, row, item, number
                number += 1
            else:
                yield shard, row, item, -1


# ---- pass 1: sketches ---------------------------------------------------------------------------

class BandSpill:
    """Band keys on disk, one file per band, so candidate search loads one band at a time.

    Candidates only decide which documents are planned together; the plan verifies every pair
    exactly. But at a million documents, chance collisions of unrelated passages (a few per
    million pairs) are enough to chain most of the corpus into one group, which would then have
    to be planned in one piece. So each candidate pair is vetted first with a b-bit MinHash
    estimate (Li and König): the lowest byte of each of the signature values, kept per entry (128
    bytes). Two unrelated passages agree on a byte 1 time in 256; a pair at the threshold agrees
    on about as many values as its Jaccard. A pair is kept when its estimate reaches
    ``threshold - VET_MARGIN``: at 0.75 with 128 values the estimate's standard deviation is 0.04,
    so a pair at the threshold falls below 0.5 about once in 10^10, while chance pairs (Jaccard
    near 0) essentially never reach it.
    """

    #: Entries held in memory before they are appended to the band files.
    FLUSH_ENTRIES = 1 << 18
    #: Candidate pairs of several bands held apart before they are merged into the distinct ones.
    MERGE_PAIRS = 1 << 24

    def __init__(self, folder: Path, bands: int, threshold: float) -> None:
        self.folder = folder
        self.bands = bands
        self.cutoff = threshold - VET_MARGIN
        self._keys: list[Any] = []  # (n, bands) per document, split into bands when flushed
        self._docs, self._counts = array("L"), array("L")  # each document's number and entries
        self._low: list[Any] = []
        self._buffered = 0
        self._width = 0

    def add(self, doc: int, keys: Any, low: Any) -> None:
        if not len(keys):
            return
        self._keys.append(keys)
        self._docs.append(doc)
        self._counts.append(len(keys))
        self._low.append(low)
        self._width = low.shape[1]
        self._buffered += len(keys)
        if self._buffered >= self.FLUSH_ENTRIES:
            self.flush()

    def flush(self) -> None:
        if not self._docs:
            return
        # One concatenation, then a column per band: slicing each document's keys per band and
        # concatenating per band cost a small array per document and band (about 0.4 s per 10,000
        # documents in the main process).
        keys = np.concatenate(self._keys)
        for b in range(self.bands):
            with open(self.folder / f"band{b}.u64", "ab") as fh:
                np.ascontiguousarray(keys[:, b]).tofile(fh)
        self._keys = []
        with open(self.folder / "docs.u32", "ab") as fh:
            np.repeat(np.asarray(self._docs).astype(np.uint32), np.asarray(self._counts).astype(np.int64)).tofile(fh)
        with open(self.folder / "low.u8", "ab") as fh:
            np.concatenate(self._low).tofile(fh)
        self._docs, self._counts = array("L"), array("L")
        self._low = []
        self._buffered = 0

    def edges(self, pool: Any = None) -> Any:
        """Distinct (a, b) document pairs, a ≤ b, with a vetted candidate pair of entries in some
        band (a == b: a document with two similar passages of its own), packed as ``a << 32 | b``.

        With a pool, the workers sort the bands (:func:`band_pairs`) while this process merges the
        pairs of the bands before: sorting was two thirds of this stage, which no one else runs
        alongside (about 3.5 s per 100,000 documents, growing a little faster than the corpus).

        A pair of entries is vetted once, however many bands it collides in: most candidates are
        copies of one passage, which collide in every band (at 100,000 planted documents, 2.7
        million pairs over 25 bands held 157,000 distinct ones). Vetting each band's pairs cost a
        third of this stage at a million documents.
        """
        self.flush()
        docs_path = self.folder / "docs.u32"
        if not docs_path.exists():
            return np.zeros(0, dtype=np.uint64)
        bands = [str(self.folder / f"band{b}.u64") for b in range(self.bands)]
        # handed out before this process loads what vetting needs (lazy _map would wait for it)
        paired = pool.imap(band_pairs, bands) if pool is not None else map(band_pairs, bands)
        pairs = np.zeros(0, dtype=np.uint64)
        pending: list[Any] = []
        for found in paired:  # merged in a few sorts, holding at most MERGE_PAIRS pairs apart
            pending.append(found)
            if sum(len(p) for p in pending) >= self.MERGE_PAIRS:
                pairs = distinct(np.concatenate([pairs, *pending]))
                pending = []
        pairs = distinct(np.concatenate([pairs, *pending]))
        docs = np.fromfile(docs_path, dtype=np.uint32).astype(np.uint64)
        low = np.fromfile(self.folder / "low.u8", dtype=np.uint8).reshape(len(docs), self._width)
        a, c = _vetted(low, pairs >> np.uint64(32), pairs & np.uint64(0xFFFFFFFF), self.cutoff)
        da, dc = docs[a], docs[c]
        return distinct((np.minimum(da, dc) << np.uint64(32)) | np.maximum(da, dc))


def band_pairs(path: str) -> Any:
    """Worker: the candidate pairs of entries that share a key in one band's file (see
    :func:`~dedup.neardup.bucket_pairs`), each packed as ``first << 32 | second`` (repeats are
    merged away with the other bands' in :meth:`BandSpill.edges`)."""
    a, c = bucket_pairs(np.fromfile(path, dtype=np.uint64))
    a, c = a.astype(np.uint64), c.astype(np.uint64)
    return (np.minimum(a, c) << np.uint64(32)) | np.maximum(a, c)


def _vetted(low: Any, a: Any, c: Any, cutoff: float, chunk: int = 1 << 18) -> tuple[Any, Any]:
    """The pairs whose b-bit MinHash estimate of Jaccard similarity reaches ``cutoff``."""
    keep = np.zeros(len(a), dtype=bool)
    for lo in range(0, len(a), chunk):
        keep[lo:lo + chunk] = vet(low[a[lo:lo + chunk]], low[c[lo:lo + chunk]], cutoff)
    return a[keep], c[keep]


# ---- pass 2: results ----------------------------------------------------------------------------


class _Alone:
    """Reads back the pass-1 changes spilled in document order."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self._next: tuple[int, tuple[Change, ...], tuple[Suspect, ...]] | None = None
        self._advance()

    def _advance(self) -> None:
        try:
            self._next = pickle.load(self._fh)
        except EOFError:
            self._next = None

    def take(self, doc: int) -> Verdict:
        while self._next is not None and self._next[0] < doc:  # decided elsewhere: skip
            self._advance()
        if self._next is not None and self._next[0] == doc:
            _, changes, suspects = self._next
            self._advance()
            return Verdict(changes, False, suspects)
        return Verdict((), False, ())


def _pool(jobs: int, config: Config) -> Any:
    from .workers import WatchedPool

    # A pool whose waits notice a dead worker (a lost task would otherwise be awaited forever).
    return WatchedPool(jobs, _init_worker, (config,))


def _stop(pool: Any, interrupted: bool) -> None:
    """End the workers. After an interruption, ``Pool.terminate`` can wait forever on a worker that
    is busy sending back a large result, so it gets a few seconds before the workers are killed."""
    if not interrupted:
        pool.terminate()
        return
    import multiprocessing
    import threading

    workers = multiprocessing.active_children()
    stopper = threading.Thread(target=pool.terminate, daemon=True)
    stopper.start()
    stopper.join(5)
    if stopper.is_alive():
        for worker in workers:
            worker.kill()
        stopper.join(5)


def _init_worker(config: Config) -> None:
    """A worker stops at once on SIGTERM (the pool's way to end it) and leaves Ctrl-C to the main
    process, which unwinds and cleans up for everyone."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure(config)


#: Tasks handed to the pool at once. ``Pool.imap`` would drain a whole generator into its queue;
#: feeding it in batches, one batch ahead, bounds memory and keeps every worker busy.
BATCH = 2048


def _map(pool: Any, func: Any, tasks: Iterable[Any], chunksize: int = 16, ahead: int = BATCH) -> Iterator[Any]:
    """``func`` of each task, in order, in the pool's workers (or here, without one): ``ahead``
    tasks are handed out at once, ``chunksize`` to a message."""
    if pool is None:
        yield from map(func, tasks)
        return
    it = iter(tasks)
    running: Iterator[Any] | None = None
    while True:
        chunk = list(islice(it, ahead))
        following = pool.imap(func, chunk, chunksize=chunksize) if chunk else None
        if running is not None:
            yield from running
        if following is None:
            return
        running = following


def run(paths: Sequence[str | Path], config: Config, output: Path | None = None, jobs: int | None = None,
        progress: Progress | None = None, clusters: list[tuple[str, ...]] | None = None) -> Iterator[Item]:
    """Clean the corpus under ``paths``, yielding every document's result in input order.

    ``clusters`` (if given) receives the near-duplicate clusters, named ``doc:line``, as the
    components are planned (during pass 2): whole once the last item has been yielded.
    """
    shards = find_shards(paths, config, output)
    build_screen(active_rules(config))  # fail on a bad rule before reading anything; workers fork with it
    records = any(s.records for s in shards)
    jobs = jobs or default_jobs(10**9 if records else len(shards))
    configure(config)
    nd = config.neardup
    bands, _rows = choose_bands(nd.threshold, nd.num_perm, nd.target_recall)
    pool = _pool(jobs, config) if jobs > 1 else None
    try:
        # named after this process, so a later run can remove it if this one is killed
        with spill_folder() as folder:
            spill = BandSpill(folder, bands, nd.threshold)
            table = EvidenceTable(config.evidence)
            if progress:
                progress.total = sum(_size(s) for s in shards)
                progress.stage("reading + rules")
            documents = 0
            seen = bytearray()  # a fingerprint per document: pass 2 must read what pass 1 read
            def counted() -> Iterator[Document]:
                for _s, _r, doc, _n in read(shards, config):
                    if isinstance(doc, Document):
                        if progress:
                            progress.advance(1, doc.size)
                        yield doc

            prepared = PreparedSpill(folder / "prepared.pickle")
            sketches: Iterator[tuple[Sketch, tuple[str, int] | None]]
            if pool is None:
                sketches = ((found, None) for batch in sketch_batches(counted()) for found in sketch_many(batch))
            else:  # a task is a batch of documents, sent one at a time
                tasks = ((str(folder), batch) for batch in sketch_batches(counted()))
                done = _map(pool, sketch_to_spill, tasks, chunksize=1, ahead=BATCH // SKETCH_BATCH)
                sketches = (pair for found in done for pair in found)
            with open(folder / "alone.pickle", "wb") as alone:
                for sketch_, where in sketches:
                    seen.extend(sketch_.fingerprint)
                    table.add(documents, sketch_.lines)
                    spill.add(documents, sketch_.keys, sketch_.low)
                    if where is None:
                        prepared.add(sketch_.prepared)
                    else:
                        prepared.record(*where)
                    if sketch_.changes or sketch_.suspects:
                        pickle.dump((documents, sketch_.changes, sketch_.suspects), alone, protocol=5)
                    documents += 1
            if progress:
                progress.stage("near-duplicates")
            evidence = table.recurring(affixes=uses_affixes(config)) if uses_evidence(config) else {}
            del table
            groups = components(spill.edges(pool), documents)
            verdicts = _Verdicts(groups, evidence, pool, clusters, prepared)
            if progress:
                progress.stage("writing")
            with open(folder / "alone.pickle", "rb") as fh:
                yield from _results(shards, config, verdicts, _Alone(fh), progress, seen)
    except BaseException:
        if pool is not None:
            _stop(pool, interrupted=True)
            pool = None
        raise
    finally:
        if pool is not None:
            _stop(pool, interrupted=False)


def _size(shard: Shard) -> int:
    try:
        return shard.path.stat().st_size
    except OSError:
        return 0


class _Verdicts:
    """Pass 1b, the in-memory global stage, run while pass 2 writes: every component planned, and
    every other document with recurring lines re-judged, one task each.

    Tasks run in order of their first document, and pass 2 asks for a verdict when it reaches the
    document, so it takes each result as soon as it needs it: the workers plan ahead while this
    process reads and writes the documents before them (most documents need neither). On two
    cores, planning and writing each took about a second of a seven-second run on the planted 10k
    corpus, one after the other.

    Re-judging is a task of this one stream, not one sent when pass 2 reaches the document: such
    a task waited behind every component handed out ahead of it (5.4 of the 19 s of pass 2 on the
    100k scale corpus), and the main process loaded the prepared document to send it.

    A task names where its documents' prepared forms are in the spill, and the task loads them
    (:func:`plan_spilled`), so memory holds the tasks in flight and the verdicts not yet written.
    """

    def __init__(self, groups: list[list[int]], evidence: dict[int, dict[int, Finding]], pool: Any,
                 clusters: list[tuple[str, ...]] | None, prepared: PreparedSpill) -> None:
        prepared.written()
        in_group = {d for group in groups for d in group}
        units = sorted([(group, True) for group in groups] + [([d], False) for d in evidence if d not in in_group],
                       key=lambda unit: unit[0][0])
        self._unit_of = {d: u for u, (docs, _planned) in enumerate(units) for d in docs}
        self._clusters = clusters

        def tasks() -> Iterator[tuple[list[tuple[str, int]], dict[int, dict[int, Finding]], bool]]:
            for docs, planned in units:
                found = {i: evidence[d] for i, d in enumerate(docs) if d in evidence}
                yield [prepared.locate(d) for d in docs], found, planned

        self._planned = zip(units, _map(pool, plan_spilled, tasks()), strict=True)
        self._done = 0  # tasks whose verdicts are in
        self._verdicts: dict[int, Verdict] = {}

    def _next(self) -> None:
        (docs, _planned), (decided, found) = next(self._planned)
        self._verdicts.update(zip(docs, decided, strict=True))
        if self._clusters is not None:
            self._clusters.extend(found)
        self._done += 1

    def take(self, doc: int) -> Verdict | None:
        """Document ``doc``'s verdict, or None when neither a component nor its recurring lines decide it."""
        u = self._unit_of.get(doc)
        if u is None:
            return None
        while self._done <= u:
            self._next()
        return self._verdicts.pop(doc)

    def finish(self) -> None:
        """Plan what is left (nothing, once every document was taken), so the clusters are whole."""
        for _ in self._planned:
            raise InternalError("a task was planned that no document of pass 2 asked for")


def plan_spilled(task: tuple[list[tuple[str, int]], dict[int, dict[int, Finding]], bool]) -> tuple[
        list[Verdict], list[tuple[str, ...]]]:
    """Worker: plan one component, or re-judge one document with its recurring lines (``planned``
    False), reading the prepared documents from the spill (file, offset each).

    The main process only hands out where they are: loading them there and pickling them again
    for the worker cost it more than the worker's own read of the file.
    """
    locations, evidence, planned = task
    items: list[Prepared] = []
    files: dict[str, IO[bytes]] = {}
    try:
        for path, offset in locations:
            fh = files.get(path)
            if fh is None:
                fh = files[path] = open(path, "rb")  # noqa: SIM115 - closed below
            fh.seek(offset)
            items.append(pickle.load(fh))
    finally:
        for fh in files.values():
            fh.close()
    if not planned:
        return [rejudged(items[0], evidence[0])], []
    return plan_component((items, evidence))


def _results(shards: Sequence[Shard], config: Config, verdicts: _Verdicts, alone: _Alone,
             progress: Progress | None, seen: bytes | bytearray = b"") -> Iterator[Item]:
    """Pass 2: every shard re-read in order, each document finished and yielded in input order.

    Every document's changes are decided by now (a verdict of the global stage, or its pass-1
    changes), so finishing it is applying and checking them: cheaper here than sending the text
    to a worker and back.
    """
    count = 0
    for shard, row, doc, number in read(shards, config):
        if isinstance(doc, Skipped):
            yield Item(shard, row, doc)
            continue
        count = number + 1
        if seen and seen[number * 8:number * 8 + 8] != fingerprint(doc):
            raise corpus_changed(doc.doc)
        how = verdicts.take(number)
        result, suspects = finish((doc, how if how is not None else alone.take(number)))
        if progress:
            progress.advance(1, result.document.size)
        warning = f"{result.document.doc}: empty file; copied as it is" if not result.document.text else None
        yield Item(shard, row, record_fields(row, result), suspects, warning)
    if seen and count != len(seen) // 8:
        raise corpus_changed()
    verdicts.finish()
