"""The cleaning pipeline: read, propose changes per document, find duplicates globally, apply, write.

Per-document stages (decode, repair, passages, boilerplate) are pure functions of one document;
only the near-duplicate stage looks at the whole corpus. Everything a stage proposes comes back
here, is reconciled (a removal swallows a repair inside it; a dropped document swallows its
passage removals) and is applied in one place, :func:`dedup.changes.apply`. Before anything is
written, every document's output is inverted and compared with the input bytes: a change log that
would not restore exactly is a bug, and the run stops rather than write it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import regex

from . import changes as changelog
from .config import Config
from .errors import ConfigError, InternalError
from .evidence import EvidenceTable, Finding, Lines, document_lines
from .model import Change, DocResult, Document, Passage, Result, Skipped, Suspect, fast_init, replace
from .neardup import (
    DocumentDuplicate,
    Memo,
    NeardupResult,
    find_document_duplicates,
    find_duplicates,
    is_headline,
    jaccard,
    passage_signatures_many,
    word_shingles,
)
from .normalize import propose_repairs
from .passages import joins, split_many
from .progress import Progress
from .rules import MATCH_TIMEOUT, Decision, active_rules, find_boilerplate


@fast_init
@dataclass(frozen=True)
class Prepared:
    """A document after the per-document stages: what the global stage needs."""

    document: Document
    repairs: tuple[Change, ...]
    passages: tuple[Passage, ...]
    boilerplate: tuple[Decision, ...]
    suspects: tuple[Suspect, ...]
    occurrences: tuple[int, ...] = ()  # per passage: earlier passages with the same original text
    signatures: tuple[tuple[str, str, Any], ...] = ()  # (channel, folded key, MinHash row) per comparable passage
    evidence: tuple[tuple[int, Finding], ...] = ()  # (passage index, (rule, reason)): recurring lines of the source

    def kept_passages(self) -> list[Passage]:
        """The passages the rules did not remove, in order."""
        removed = {d.index for d in self.boilerplate}
        return [p for p in self.passages if p.index not in removed]

    def removal_id(self, passage: Passage, kind: str, rule: str) -> str:
        core = self.document.text[passage.start:passage.end]
        return changelog.stable_id(self.document.doc, kind, rule, core, "", self.occurrences[passage.index])

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle the signature rows as the bytes of one stacked array and the passages as plain
        tuples, without the text of those that read as the document has it: every document's
        prepared form is pickled for the spill. One array pickles and loads faster than a small
        array per passage, its bytes faster than the array (whose pickling has a fixed cost of
        several microseconds), a tuple three times faster than a dataclass instance, and a passage
        text already in the document need not be written and read a second time (a third of the
        pickle, which took 59 us a document before these last two)."""
        values = {f: getattr(self, f) for f in _prepared_fields() if f not in ("signatures", "passages")}
        doc, text = self.document.doc, self.document.text
        passages: tuple[Any, ...] = self.passages
        if all(p.doc == doc for p in self.passages):
            passages = tuple((p.index, p.start, p.end, p.span_end, p.line,
                              None if len(p.text) == p.end - p.start and text.startswith(p.text, p.start)
                              else p.text, p.key, p.words)
                             for p in self.passages)
        if not self.signatures:
            return _unpickle_prepared, (values, passages, (), (), None)
        channels, keys, rows = zip(*self.signatures, strict=True)
        return _unpickle_prepared, (values, passages, channels, keys, pack_rows(rows))


@lru_cache(maxsize=1)
def _prepared_fields() -> tuple[str, ...]:
    from dataclasses import fields

    return tuple(f.name for f in fields(Prepared))


#: An array as its dtype, shape and bytes: pickled, an array costs several microseconds more.
PackedArray = tuple[str, tuple[int, ...], bytes]


def pack_array(array: Any) -> PackedArray:
    return array.dtype.str, array.shape, array.tobytes()


def pack_rows(rows: Sequence[Any]) -> PackedArray:
    """:func:`pack_array` of ``np.stack(rows)``, without stacking when the rows are alike: joining
    their bytes costs a fifth of ``np.stack`` (7.5 us for a document's eight signature rows), which
    every document's spilled prepared form paid."""
    first = rows[0]
    if first.dtype.isnative and all(r.dtype == first.dtype and r.shape == first.shape and r.ndim == 1 for r in rows):
        return first.dtype.str, (len(rows), *first.shape), b"".join([r.tobytes() for r in rows])
    return pack_array(np.stack(rows))


def unpack_array(packed: PackedArray) -> Any:
    """The array :func:`pack_array` packed (read-only: it reads the bytes in place)."""
    dtype, shape, data = packed
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _unpickle_prepared(values: dict[str, Any], passages: tuple[Any, ...], channels: tuple[str, ...],
                       keys: tuple[str, ...], rows: PackedArray | None) -> Prepared:
    doc, text = values["document"].doc, values["document"].text
    unpacked = tuple(p if isinstance(p, Passage) else
                     Passage(doc, p[0], p[1], p[2], p[3], p[4], text[p[1]:p[2]] if p[5] is None else p[5], p[6], p[7])
                     for p in passages)
    signatures: tuple[tuple[str, str, Any], ...] = ()
    if rows is not None:
        signatures = tuple(zip(channels, keys, unpack_array(rows), strict=True))
    return Prepared(**values, passages=unpacked, signatures=signatures)


@lru_cache(maxsize=16)
def _accept_patterns(patterns: tuple[str, ...]) -> tuple[regex.Pattern[str], ...]:
    return tuple(regex.compile(p, regex.IGNORECASE) for p in patterns)


def accepted(config: Config, change_id: str, text: str) -> bool:
    """Whether a reviewer accepted this finding (by id, or by a pattern over the passage text)."""
    if change_id in config.accept.ids:
        return True
    for pattern in _accept_patterns(config.accept.patterns):
        try:
            if pattern.search(text, timeout=MATCH_TIMEOUT):
                return True
        except TimeoutError:  # a pattern from a config file must not hang the run
            raise ConfigError(f"accept.patterns: {pattern.pattern!r} took over {MATCH_TIMEOUT}s on one passage; "
                              "simplify it (avoid nested quantifiers)") from None
    return False


def judge_boilerplate(item: Prepared, passages: Sequence[Passage], config: Config) -> Prepared:
    """Run the rules over ``passages`` (all of the document's, or its survivors) minus accepted findings."""
    decisions, suspects = find_boilerplate(passages, active_rules(config), config.rules.max_removed_fraction,
                                           total_chars=sum(p.end - p.start for p in item.passages),
                                           given=dict(item.evidence))
    kept = tuple(d for d in decisions if not accepted(
        config, item.removal_id(item.passages[d.index], "boilerplate", d.rule), item.passages[d.index].text))
    return replace(item, boilerplate=kept, suspects=tuple(suspects))


def prepare(document: Document, config: Config) -> Prepared:
    """Repair, split and judge one document. Pure: the same document gives the same result."""
    return prepare_many([document], config)[0]


def prepare_many(documents: Sequence[Document], config: Config) -> list[Prepared]:
    """:func:`prepare` of each document, with the array work of splitting and signing done once for
    all of them (:func:`~dedup.passages.split_many`, :func:`~dedup.neardup.passage_signatures_many`)."""
    repairs = [[r for r in changelog.assign_ids(propose_repairs(document))
                if not (r.text and accepted(config, r.id, r.text))] for document in documents]
    split = split_many([(d.doc, d.text, r) for d, r in zip(documents, repairs, strict=True)])
    signatures = passage_signatures_many(split, config.neardup)
    out = []
    for document, fixes, (passages, _tokens), signed in zip(documents, repairs, split, signatures, strict=True):
        seen: dict[str, int] = {}  # a Counter's missing key calls a Python method: most keys are new
        occurrences = []
        for p in passages:
            core = document.text[p.start:p.end]
            occurrence = seen.get(core, 0)
            occurrences.append(occurrence)
            seen[core] = occurrence + 1
        item = Prepared(document, tuple(fixes), tuple(passages), (), (), tuple(occurrences), signed)
        out.append(judge_boilerplate(item, passages, config))
    return out


def source_of(doc: str, how: str) -> str:
    """The source a document belongs to (a site, usually): its first folder, or its parent folder."""
    if "/" not in doc:
        return "."
    return doc.split("/", 1)[0] if how == "top" else doc.rsplit("/", 1)[0]


def document_source(document: Document, config: Config) -> str:
    """A record's own source (its url host) when it has one, else its folder."""
    return document.source or source_of(document.doc, config.evidence.source)


def evidence_lines(item: Prepared, config: Config) -> Lines:
    """What this document tells the cross-document evidence table (see :mod:`dedup.evidence`)."""
    return document_lines(document_source(item.document, config), item.document.doc, item.passages,
                          {dec.index for dec in item.boilerplate}, config.evidence)


def recurring_lines(prepared: Sequence[Prepared], config: Config) -> dict[int, dict[int, Finding]]:
    """Recurring lines of each document that the rules do not already remove."""
    table = EvidenceTable(config.evidence)
    for d, item in enumerate(prepared):
        table.add(d, evidence_lines(item, config))
    return table.recurring(affixes=uses_affixes(config))


def with_evidence(item: Prepared, found: dict[int, Finding], config: Config) -> Prepared:
    """Re-judge a document's boilerplate knowing which of its lines recur across its source."""
    return judge_boilerplate(replace(item, evidence=tuple(sorted(found.items()))), item.passages, config)


def _terminator_end(text: str, pos: int) -> int:
    if text.startswith("\r\n", pos):
        return pos + 2
    if text.startswith("\n", pos):
        return pos + 1
    return pos


def _removal_spans(text: str, passages: Sequence[Passage], removed: set[int]) -> dict[int, tuple[int, int]]:
    """The span each removed passage takes: itself and the blank lines after it.

    When the removed passages run to the end of the document, the first of them also takes the
    blank lines before it, so the cleaned text ends with its last kept line, not a gap.

    When removed passages sit between two kept lines that :func:`dedup.passages.joins` would read
    as one hard-wrapped paragraph once they are adjacent (the first has no closing punctuation,
    the second starts in lower case), the last removed passage stops one line break short of the
    next kept one, leaving a blank line between them. The cleaned text then splits into the same
    passages as the original, so a second run judges the paragraphs the first one judged and
    changes nothing (idempotence); without it, the joined paragraph could near-duplicate another
    passage. The line break is left by shortening the span, not by a replacement: the change log
    still holds exactly the characters removed, so restore (and every reader of the log) needs
    nothing new, and the lines keep their own line endings.
    """
    spans = {i: (passages[i].start, passages[i].span_end) for i in removed}
    kept = [i for i in range(len(passages)) if i not in removed]
    if kept and removed and max(removed) > kept[-1]:
        last_kept = passages[kept[-1]]
        first_trailing = kept[-1] + 1
        start = _terminator_end(text, last_kept.end)
        spans[first_trailing] = (start, spans[first_trailing][1])
    for before, after in pairwise(kept):
        previous, following = passages[before], passages[after]
        if after == before + 1 or previous.span_end != _terminator_end(text, previous.end):
            continue  # nothing removed between them, or blank lines after the first stay anyway
        if joins(previous.text.rsplit("\n", 1)[-1], following.text.split("\n", 1)[0]):
            line_break = 2 if text[following.start - 2:following.start] == "\r\n" else 1
            spans[after - 1] = (spans[after - 1][0], following.start - line_break)
    return spans


def _document_similarity(a: Sequence[Passage], b: Sequence[Passage], n: int) -> float:
    return jaccard(word_shingles(" ".join(p.key for p in a), n), word_shingles(" ".join(p.key for p in b), n))


#: Rounds of boilerplate ↔ duplicate reconciliation before giving up (each round is cheap).
MAX_ROUNDS = 6


def _settle(prepared: list[Prepared], config: Config, memo: Memo, dropped: set[int]) -> NeardupResult:
    """Find duplicates, then re-judge boilerplate as if the duplicates were already gone, until stable.

    Removing a duplicate can move a document's last prose paragraph, and with it the tail zone
    where positional rules act. A second run over the output would see that new shape; judging
    boilerplate on the survivors here, and repeating until nothing moves, makes the first run
    final, so a second run changes nothing (idempotence). Rounds only ever see fewer passages
    for a document when its duplicates change, so this settles in a few rounds.

    Finding duplicates is a pure function of the passages it may use, so a round whose
    re-judgement left that set as it was would find what the previous round found: it is not run,
    and the previous round's result is final (the usual case: most re-judgements change nothing).
    """
    removed_dups: dict[int, frozenset[int]] = {}
    near = NeardupResult((), (), 0, 0)
    gone = {(d, p.index) for d in dropped for p in prepared[d].passages}
    previous: set[tuple[int, int]] | None = None
    for _ in range(MAX_ROUNDS):
        excluded = gone | {(d, dec.index) for d, item in enumerate(prepared) for dec in item.boilerplate}
        if excluded == previous:
            return near
        previous = excluded
        near = duplicates_round(prepared, config, memo, excluded)
        current = removed_by_document(near)
        if current == removed_dups:
            return near
        rejudge(prepared, config, near, current, set(current) | set(removed_dups))
        removed_dups = current
    return near


def duplicates_round(prepared: Sequence[Prepared], config: Config, memo: Memo,
                     excluded: set[tuple[int, int]]) -> NeardupResult:
    """One round's duplicates: those among the passages not ``excluded`` that no reviewer accepted."""
    near = find_duplicates([p.passages for p in prepared], config.neardup, excluded, memo)
    return replace(near, duplicates=tuple(
        dup for dup in near.duplicates
        if not accepted(config, prepared[dup.passage[0]].removal_id(
            prepared[dup.passage[0]].passages[dup.passage[1]], "duplicate", "neardup"),
            prepared[dup.passage[0]].passages[dup.passage[1]].text)))


def removed_by_document(near: NeardupResult) -> dict[int, frozenset[int]]:
    """The passages each document loses as duplicates."""
    by_doc: dict[int, set[int]] = {}
    for dup in near.duplicates:
        by_doc.setdefault(dup.passage[0], set()).add(dup.passage[1])
    return {d: frozenset(s) for d, s in by_doc.items()}


def rejudge(prepared: list[Prepared], config: Config, near: NeardupResult, current: dict[int, frozenset[int]],
            documents: set[int]) -> None:
    """Judge the boilerplate of ``documents`` again on their survivors of ``current``, in place;
    a passage that is some duplicate's kept copy is never boilerplate."""
    protected = {dup.canonical for dup in near.duplicates}
    for d in documents:
        item = prepared[d]
        survivors = [p for p in item.passages if p.index not in current.get(d, frozenset())]
        judged = judge_boilerplate(item, survivors, config)
        prepared[d] = replace(judged, boilerplate=tuple(
            dec for dec in judged.boilerplate if (d, dec.index) not in protected))


def uses_evidence(config: Config) -> bool:
    return any(r.name in ("recurring-line", "recurring-affix") for r in active_rules(config))


def uses_affixes(config: Config) -> bool:
    return any(r.name == "recurring-affix" for r in active_rules(config))


def plan(prepared: Sequence[Prepared], config: Config,
         evidence: dict[int, dict[int, Finding]] | None = None) -> tuple[list[DocResult], NeardupResult]:
    """Run the global stage and turn every proposal into applied changes.

    ``evidence`` is each document's recurring lines when the caller counted them over a larger
    corpus (the streaming run does); by default they are counted over ``prepared``.
    """
    prepared = list(prepared)
    if uses_evidence(config):
        found_by_doc = recurring_lines(prepared, config) if evidence is None else evidence
        for d, found in found_by_doc.items():
            prepared[d] = with_evidence(prepared[d], found, config)
    memo = Memo(config.neardup)
    for item in prepared:
        memo.add_rows(item.signatures)
    whole: dict[int, DocumentDuplicate] = {}
    if config.neardup.documents:
        boilerplate = {(d, dec.index) for d, item in enumerate(prepared) for dec in item.boilerplate}
        accepted_docs = {d for d, item in enumerate(prepared) if changelog.stable_id(
            item.document.doc, "document-duplicate", "neardup", "") in config.accept.ids}
        whole = {dd.document: dd for dd in find_document_duplicates(
            [p.passages for p in prepared], config.neardup, boilerplate, memo, accepted_docs)}
    near = _settle(prepared, config, memo, set(whole))
    dups_by_doc: dict[int, dict[int, tuple[int, int, float]]] = {}
    for dup in near.duplicates:
        d, i = dup.passage
        dups_by_doc.setdefault(d, {})[i] = (dup.canonical[0], dup.canonical[1], dup.similarity)

    results: list[DocResult] = []
    for d, item in enumerate(prepared):
        doc, text = item.document.doc, item.document.text
        boiler = {dec.index: dec for dec in item.boilerplate}
        dups = dups_by_doc.get(d, {})
        remaining = item.kept_passages()
        eligible = [p for p in remaining
                    if p.words >= config.neardup.min_words and not is_headline(p, config.neardup)]
        doc_dup_id = changelog.stable_id(doc, "document-duplicate", "neardup", "")
        # Dropped whole only when every passage has its kept copy in *another* document.
        dropped = (bool(dups) and bool(eligible) and all(p.index in dups and dups[p.index][0] != d for p in eligible)
                   and doc_dup_id not in config.accept.ids)

        encoding_changes = [c for c in item.repairs if c.rule == "repair-encoding"]
        if d in whole:
            dd = whole[d]
            target_doc = prepared[dd.canonical].document
            changes: list[Change] = [*encoding_changes, Change(
                doc=doc, kind="document-duplicate", rule="neardup", start=0, end=len(text), text=text,
                reason=f"the whole document near-duplicates {target_doc.doc} (shingle Jaccard {dd.similarity:.2f})",
                line=1, duplicate_of=target_doc.doc, duplicate_start=0, duplicate_end=len(target_doc.text),
                similarity=dd.similarity, id=doc_dup_id,
            )]
            output: str | None = None
        elif dropped:
            owners = Counter(dups[p.index][0] for p in eligible)
            target = min(owners, key=lambda o: (-owners[o], o))
            target_passages = prepared[target].kept_passages()
            similarity = round(_document_similarity(remaining, target_passages, config.neardup.ngram), 4)
            share = sum(1 for p in eligible if dups[p.index][0] == target)
            changes = [*encoding_changes, Change(
                doc=doc, kind="document-duplicate", rule="neardup", start=0, end=len(text), text=text,
                reason=f"all {len(eligible)} passages of {config.neardup.min_words}+ words are duplicates "
                       f"({share} of them of {prepared[target].document.doc})",
                line=1, duplicate_of=prepared[target].document.doc, duplicate_start=0,
                duplicate_end=len(prepared[target].document.text), similarity=similarity, id=doc_dup_id,
            )]
            output = None
        else:
            canonicals = {i: CanonicalCopy(prepared[cd].document.doc, prepared[cd].passages[ci], sim, cd == d)
                          for i, (cd, ci, sim) in dups.items()}
            changes = passage_changes(item, boiler, canonicals)
            output = None
        changes = changelog.assign_ids(changes)
        if not dropped and d not in whole:
            output = changelog.apply(text, changes)
        _verify(item.document, output, changes)
        results.append(DocResult(item.document, tuple(changes), output))
    return results, near


@dataclass(frozen=True)
class CanonicalCopy:
    """The kept copy a duplicate passage points at."""

    doc: str
    passage: Passage
    similarity: float
    same_document: bool = False


def passage_changes(item: Prepared, boiler: dict[int, Decision], dups: dict[int, CanonicalCopy]) -> list[Change]:
    """The changes for one kept document: its removals (with their spans) and the repairs outside them.

    Shared by the batch run and the hook's ``--fix``, so both edit a document the same way.
    """
    doc, text = item.document.doc, item.document.text
    removed = set(boiler) | set(dups)
    spans = _removal_spans(text, item.passages, removed)
    changes: list[Change] = []
    for i in sorted(removed):
        p = item.passages[i]
        start, end = spans[i]
        if i in boiler:
            dec = boiler[i]
            changes.append(Change(doc=doc, kind="boilerplate", rule=dec.rule, start=start, end=end,
                                  text=text[start:end], reason=dec.reason, line=p.line,
                                  id=item.removal_id(p, "boilerplate", dec.rule)))
        else:
            copy = dups[i]
            where = "this document" if copy.same_document else copy.doc
            changes.append(Change(
                doc=doc, kind="duplicate", rule="neardup", start=start, end=end, text=text[start:end],
                reason=f"near-duplicate of line {copy.passage.line} of {where} (similarity {copy.similarity:.2f})",
                line=p.line, duplicate_of=copy.doc, duplicate_start=copy.passage.start,
                duplicate_end=copy.passage.end, similarity=copy.similarity,
                id=item.removal_id(p, "duplicate", "neardup"),
            ))
    taken = [(c.start, c.end) for c in changes]
    for repair in item.repairs:
        if repair.rule == "repair-encoding" or not any(
            s <= repair.start < e or s < repair.end <= e or (repair.start <= s and e <= repair.end) for s, e in taken
        ):
            changes.append(repair)
    changes.sort(key=lambda c: (c.start, c.end))
    return changelog.assign_ids(changes)


def _verify(document: Document, output: str | None, changes: Sequence[Change]) -> None:
    """Refuse to continue if the change log would not rebuild the original bytes."""
    rebuilt = restore_text(output, changes)
    if rebuilt != document.text:
        raise InternalError(f"{document.doc}: the change log would not restore the original; please report this bug")


def restore_text(output: str | None, changes: Sequence[Change]) -> str:
    whole = [c for c in changes if c.kind == "document-duplicate"]
    if whole:
        return whole[0].text
    return changelog.invert(output or "", [c for c in changes if c.start != c.end or c.replacement or c.text])


def default_jobs(documents: int) -> int:
    """All cores, except for corpora too small to repay starting processes."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, documents // 200))


def clean(paths: Sequence[str | Path], config: Config | None = None, output: Path | None = None,
          jobs: int | None = None, progress: Progress | None = None) -> Result:
    """Clean the corpus under ``paths`` in memory: the library entry point.

    ``output`` is only used to refuse inputs that overlap it; nothing is written here (see
    :func:`write`). ``jobs`` processes run the per-document stages (default: all cores for large
    corpora); the result is the same for every value. ``dedup clean`` streams the same run
    straight to disk instead (:func:`dedup.stream.run`), which is what large corpora need.
    """
    from .stream import run

    config = config or Config()
    clusters: list[tuple[str, ...]] = []
    items = tuple(run(paths, config, output, jobs, progress, clusters))
    documents = tuple(i.result for i in items if isinstance(i.result, DocResult))
    skipped = tuple(i.result for i in items if isinstance(i.result, Skipped))
    suspects = tuple(s for i in items for s in i.suspects)
    warnings = tuple(i.warning for i in items if i.warning)
    return Result(documents, skipped, suspects, warnings, tuple(clusters), items)


def write(result: Result, out: Path, config: Config) -> None:
    """Write ``OUT/corpus``, ``OUT/changes.jsonl``, ``OUT/summary.json`` and the reports atomically."""
    from .output import write_items

    write_items(result.items, out, config, lambda: list(result.clusters))


def restore(out: Path, target: Path) -> list[str]:
    """Rebuild the original corpus from ``OUT`` into ``target``; returns the files written."""
    from .output import restore as run_restore

    return run_restore(out, target)
