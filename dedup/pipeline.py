"""The cleaning pipeline: read, propose changes per document, find duplicates globally, apply, write.

Per-document stages (decode, repair, passages, boilerplate) are pure functions of one document;
only the near-duplicate stage looks at the whole corpus. Everything a stage proposes comes back
here, is reconciled (a removal swallows a repair inside it; a dropped document swallows its
passage removals) and is applied in one place, :func:`dedup.changes.apply`. Before anything is
written, every document's output is inverted and compared with the input bytes: a change log that
would not restore exactly is a bug, and the run stops rather than write it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex

from . import changes as changelog
from . import corpus
from .config import Config
from .errors import InputError, InternalError
from .model import Change, DocResult, Document, Passage, Result, Skipped, Suspect
from .neardup import (
    DocumentDuplicate,
    Memo,
    NeardupResult,
    find_document_duplicates,
    find_duplicates,
    is_headline,
    jaccard,
    passage_signatures,
    word_shingles,
)
from .normalize import propose_repairs
from .passages import split
from .progress import Progress
from .rules import Decision, active_rules, find_boilerplate


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
    evidence: tuple[tuple[int, str], ...] = ()  # (passage index, reason): recurring lines of the source

    def removal_id(self, passage: Passage, kind: str, rule: str) -> str:
        core = self.document.text[passage.start:passage.end]
        return changelog.stable_id(self.document.doc, kind, rule, core, "", self.occurrences[passage.index])


@lru_cache(maxsize=16)
def _accept_patterns(patterns: tuple[str, ...]) -> tuple[regex.Pattern[str], ...]:
    return tuple(regex.compile(p, regex.IGNORECASE) for p in patterns)


def accepted(config: Config, change_id: str, text: str) -> bool:
    """Whether a reviewer accepted this finding (by id, or by a pattern over the passage text)."""
    if change_id in config.accept.ids:
        return True
    return any(p.search(text) for p in _accept_patterns(config.accept.patterns))


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
    repairs = [r for r in changelog.assign_ids(propose_repairs(document))
               if not (r.text and accepted(config, r.id, r.text))]
    passages = split(document.doc, document.text, repairs)
    seen: Counter[str] = Counter()
    occurrences = []
    for p in passages:
        core = document.text[p.start:p.end]
        occurrences.append(seen[core])
        seen[core] += 1
    item = Prepared(document, tuple(repairs), tuple(passages), (), (), tuple(occurrences),
                    passage_signatures(passages, config.neardup))
    return judge_boilerplate(item, passages, config)


def source_of(doc: str, how: str) -> str:
    """The source a document belongs to (a site, usually): its first folder, or its parent folder."""
    if "/" not in doc:
        return "."
    return doc.split("/", 1)[0] if how == "top" else doc.rsplit("/", 1)[0]


def recurring_lines(prepared: Sequence[Prepared], config: Config) -> dict[int, dict[int, str]]:
    """Lines that one source prints around at least ``min_documents`` different articles.

    This is the evidence CCNet and dolma use at scale: a site's widgets repeat across its pages
    in any wording, while its articles do not. "Different articles" is judged by each document's
    longest passage, so syndicated copies of one article do not make their own lines look like
    furniture; lines are counted within a source only, since a line shared across sources is a
    quote or a syndicated passage (the duplicate stage's business).
    """
    ev = config.evidence
    from .rules import is_prose, matching_text

    seen: dict[tuple[str, str], set[str]] = {}
    articles_of: list[str] = []
    for item in prepared:
        source = source_of(item.document.doc, ev.source)
        longest = max(item.passages, key=lambda p: (len(p.key), p.key), default=None)
        article = longest.key if longest is not None else item.document.doc
        articles_of.append(article)
        for p in item.passages:
            if p.key and p.words <= ev.max_words:
                seen.setdefault((source, p.key), set()).add(article)

    def recurring(source: str, key: str) -> bool:
        return len(seen.get((source, key), ())) >= ev.min_documents

    # A document's title recurs in its site's related-article lists: there it is furniture, at the
    # head of its own article it is the title. So a line in the head (before the first paragraph
    # that is neither a known widget nor itself recurring) is furniture only if it heads many
    # articles (a site banner, a standing byline).
    seen_in_head: dict[tuple[str, str], set[str]] = {}
    where: dict[tuple[str, str], list[tuple[int, int, bool]]] = {}
    for d, item in enumerate(prepared):
        source = source_of(item.document.doc, ev.source)
        removed = {dec.index for dec in item.boilerplate}
        first_prose = next((p.index for p in item.passages
                            if p.index not in removed and not recurring(source, p.key)
                            and is_prose(matching_text(p.text), p.words)), None)
        for p in item.passages:
            if p.key and p.words <= ev.max_words and recurring(source, p.key):
                head = first_prose is not None and p.index < first_prose
                if head:
                    seen_in_head.setdefault((source, p.key), set()).add(articles_of[d])
                where.setdefault((source, p.key), []).append((d, p.index, head))
    found: dict[int, dict[int, str]] = {}
    for (source, key), places in where.items():
        articles = seen[(source, key)]
        heads = len(seen_in_head.get((source, key), ()))
        reason = f"seen in {len(articles)} documents of source {source}"
        for d, i, head in places:
            if not head or heads >= ev.min_documents:
                found.setdefault(d, {})[i] = reason
    return found


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
    """
    spans = {i: (passages[i].start, passages[i].span_end) for i in removed}
    kept = [i for i in range(len(passages)) if i not in removed]
    if kept and removed and max(removed) > kept[-1]:
        last_kept = passages[kept[-1]]
        first_trailing = kept[-1] + 1
        start = _terminator_end(text, last_kept.end)
        spans[first_trailing] = (start, spans[first_trailing][1])
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
    """
    removed_dups: dict[int, frozenset[int]] = {}
    near = NeardupResult((), (), 0, 0)
    gone = {(d, p.index) for d in dropped for p in prepared[d].passages}
    for _ in range(MAX_ROUNDS):
        excluded = gone | {(d, dec.index) for d, item in enumerate(prepared) for dec in item.boilerplate}
        near = find_duplicates([p.passages for p in prepared], config.neardup, excluded, memo)
        near = replace(near, duplicates=tuple(
            dup for dup in near.duplicates
            if not accepted(config, prepared[dup.passage[0]].removal_id(
                prepared[dup.passage[0]].passages[dup.passage[1]], "duplicate", "neardup"),
                prepared[dup.passage[0]].passages[dup.passage[1]].text)))
        by_doc: dict[int, set[int]] = {}
        for dup in near.duplicates:
            by_doc.setdefault(dup.passage[0], set()).add(dup.passage[1])
        current = {d: frozenset(s) for d, s in by_doc.items()}
        if current == removed_dups:
            return near
        protected = {dup.canonical for dup in near.duplicates}
        for d in set(current) | set(removed_dups):
            item = prepared[d]
            survivors = [p for p in item.passages if p.index not in current.get(d, frozenset())]
            judged = judge_boilerplate(item, survivors, config)
            prepared[d] = replace(judged, boilerplate=tuple(
                dec for dec in judged.boilerplate if (d, dec.index) not in protected))
        removed_dups = current
    return near


def plan(prepared: Sequence[Prepared], config: Config) -> tuple[list[DocResult], NeardupResult]:
    """Run the global stage and turn every proposal into applied changes."""
    prepared = list(prepared)
    if any(r.name == "recurring-line" for r in active_rules(config)):
        for d, found in recurring_lines(prepared, config).items():
            if set(found) <= {dec.index for dec in prepared[d].boilerplate}:
                continue  # the rules already remove every recurring line: nothing new to judge
            item = replace(prepared[d], evidence=tuple(sorted(found.items())))
            prepared[d] = judge_boilerplate(item, item.passages, config)
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
        remaining = [p for p in item.passages if p.index not in boiler]
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
            target_passages = [p for p in prepared[target].passages
                               if p.index not in {dec.index for dec in prepared[target].boilerplate}]
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


def _prepare_source(task: tuple[corpus.Source, Config]) -> Prepared | Skipped:
    """Worker: read, decode and prepare one file (a top-level function, so processes can run it)."""
    source, config = task
    item = corpus.read_source(source)
    return item if isinstance(item, Skipped) else prepare(item, config)


def default_jobs(documents: int) -> int:
    """All cores, except for corpora too small to repay starting processes."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, documents // 200))


def _prepare_all(sources: Sequence[corpus.Source], config: Config, jobs: int,
                 progress: Progress | None) -> Iterator[Prepared | Skipped]:
    """Per-document stages, in input order whatever ``jobs`` is (so output never depends on it)."""
    tasks = ((s, config) for s in sources)
    if jobs <= 1:
        for task in tasks:
            item = _prepare_source(task)
            if progress:
                progress.advance(1, item.document.size if isinstance(item, Prepared) else 0)
            yield item
        return
    import multiprocessing

    # fork where there is one: workers start instantly and work from any __main__ (a script on stdin,
    # a notebook); spawn re-imports __main__, which fails there. dedup starts no threads before this.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(jobs) as pool:
        for item in pool.imap(_prepare_source, tasks, chunksize=64):
            if progress:
                progress.advance(1, item.document.size if isinstance(item, Prepared) else 0)
            yield item


def clean(paths: Sequence[str | Path], config: Config | None = None, output: Path | None = None,
          jobs: int | None = None, progress: Progress | None = None) -> Result:
    """Clean the corpus under ``paths``: the library entry point behind ``dedup clean``.

    ``output`` is only used to refuse inputs that overlap it; nothing is written here (see
    :func:`write`). ``jobs`` processes run the per-document stages (default: all cores for large
    corpora); the result is the same for every value.
    """
    config = config or Config()
    _root, sources = corpus.discover([Path(p) for p in paths], config.include, config.exclude, output)
    if not sources:
        raise InputError(
            f"{', '.join(str(p) for p in paths)}: no documents found (looked for {', '.join(config.include)}); "
            "check the path or set `include`"
        )
    active_rules(config)  # fail on a bad rule before reading anything
    prepared: list[Prepared] = []
    skipped: list[Skipped] = []
    warnings: list[str] = []
    if progress:
        progress.total = len(sources)
        progress.stage("reading + rules")
    for item in _prepare_all(sources, config, jobs or default_jobs(len(sources)), progress):
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        if not item.document.text:
            warnings.append(f"{item.document.doc}: empty file; copied as it is")
        prepared.append(item)
    if progress:
        progress.stage("near-duplicates")
    results, near = plan(prepared, config)
    docs = [p.document.doc for p in prepared]
    clusters = tuple(tuple(f"{docs[d]}:{prepared[d].passages[i].line}" for d, i in cluster)
                     for cluster in near.clusters)
    suspects = tuple(s for p in prepared for s in p.suspects)
    return Result(tuple(results), tuple(skipped), suspects, tuple(warnings), clusters)


def write(result: Result, out: Path, config: Config) -> None:
    """Write ``OUT/corpus``, ``OUT/changes.jsonl`` and ``OUT/summary.json`` atomically."""
    from .summary import build_summary

    summary = build_summary(result, config)

    def build(tmp: Path) -> None:
        corpus_dir = tmp / "corpus"
        corpus_dir.mkdir()
        for doc in result.documents:
            if doc.output is None:
                continue
            target = corpus.safe_join(corpus_dir, doc.document.doc)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(doc.output.encode("utf-8"))
        (tmp / "changes.jsonl").write_text(changelog.dumps(result.changes), encoding="utf-8")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_reports(tmp)

    corpus.publish_dir(out, build)


def write_reports(out: Path) -> None:
    """(Re)build ``report.html`` and ``report.md`` from what is in ``out``."""
    from .report import html, load, markdown

    data = load(out)
    corpus.write_atomic(out / "report.html", html.render(data).encode("utf-8"))
    corpus.write_atomic(out / "report.md", markdown.render(data).encode("utf-8"))


def restore(out: Path, target: Path) -> list[str]:
    """Rebuild the original corpus from ``OUT`` into ``target``; returns the documents written."""
    changes = changelog.read_jsonl(out / "changes.jsonl")
    corpus_dir = out / "corpus"
    if not corpus_dir.is_dir():
        raise InputError(f"{corpus_dir}: missing; is {out} a dedup output folder?")
    by_doc: dict[str, list[Change]] = {}
    for change in changes:
        by_doc.setdefault(change.doc, []).append(change)
    docs: set[str] = set(by_doc)
    for dirpath, _dirs, files in os.walk(corpus_dir):
        for name in files:
            docs.add((Path(dirpath) / name).relative_to(corpus_dir).as_posix())
    target_abs = target.resolve()
    if target_abs == out.resolve() or target_abs.is_relative_to(out.resolve()):
        raise InputError(f"{target}: restore target is inside the output folder {out}; choose another -o")
    written = []

    def build(tmp: Path) -> None:
        for doc in sorted(docs):
            doc_changes = by_doc.get(doc, [])
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
            written.append(doc)

    corpus.publish_dir(target, build)
    return written
