"""Splitting a document into passages: the units that rules judge and duplicates are found among.

A passage is one line, because extracted web text puts one paragraph (or one widget) on a line.
The exception is hard-wrapped prose, common in Markdown: a line that breaks mid-sentence (no
closing punctuation) followed by a line starting in lower case is the same paragraph, and is kept
in one passage so that nothing is ever removed from the middle of a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .model import Change, Passage
from .normalize import fold
from .tokens import tokenize

#: A line ending in one of these (closing punctuation) ends its paragraph.
_CLOSING = frozenset(".!?:;…。！？\"”’)]")
_LIST_START = re.compile(r"\s*([-*+•]|\d{1,3}[.)])\s")


def joins(previous: str, line: str) -> bool:
    """Whether ``line`` continues the hard-wrapped paragraph whose last line is ``previous`` (both
    repaired, without their line terminators, and with no blank line between them).

    :func:`split` decides with it, and so does the removal of passages
    (:func:`dedup.pipeline._removal_spans`): a removal that leaves two lines adjacent must not let
    a second run read them as one paragraph the first run never saw.
    """
    last = previous.strip()  # strip removes what ``\s`` matches, so the last character decides
    # (a regex search for a closer before the end was tried at every offset of the line: 3 us)
    return (len(last) >= 30 and last[-1] not in _CLOSING
            and line.lstrip()[:1].islower() and not _LIST_START.match(line))


def _repaired(text: str, start: int, end: int, repairs: Sequence[Change]) -> str:
    """``text[start:end]`` with the repairs that fall inside it applied."""
    if not repairs:  # most documents: a slice, without building and joining a list per line
        return text[start:end]
    out: list[str] = []
    pos = start
    for change in repairs:
        if start <= change.start and change.end <= end and (change.end > change.start or change.replacement):
            out.append(text[pos:change.start])
            out.append(change.replacement)
            pos = change.end
    out.append(text[pos:end])
    return "".join(out)


def split(doc: str, text: str, repairs: Sequence[Change] = ()) -> list[Passage]:
    """The passages of ``text``, in order, with offsets into ``text``."""
    return split_many([(doc, text, repairs)])[0][0]


def split_many(documents: Sequence[tuple[str, str, Sequence[Change]]]) -> list[tuple[list[Passage], tuple[Any, Any]]]:
    """:func:`split` of several documents (doc, text, repairs) at once, each with the hash of every
    word of every passage key and how many each key has (:func:`dedup.tokens.tokenize`): counting
    words finds them anyway, and the signature stage needs their hashes
    (:func:`dedup.neardup.passage_signatures_many`), so they are found once.

    The words of all their keys are hashed by one :func:`~dedup.tokens.tokenize` call: it costs a
    dozen array operations whatever the length of its input, which a single document of a few
    passages feels (a batch of 16 documents took half the time per document of one at a time).
    """
    grouped = [_passage_bodies(text, repairs) for _doc, text, repairs in documents]
    keys = [fold(body) for _groups, bodies in grouped for body in bodies]
    hashes, per_key = tokenize(keys)
    counts: list[int] = per_key.tolist()
    out: list[tuple[list[Passage], tuple[Any, Any]]] = []
    key_at = word_at = 0
    for (doc, text, _repairs), (groups, bodies) in zip(documents, grouped, strict=True):
        passages: list[Passage] = []
        for i, group in enumerate(groups):
            span_end = groups[i + 1][0][0] if i + 1 < len(groups) else len(text)
            passages.append(Passage(doc=doc, index=i, start=group[0][0], end=group[-1][1], span_end=span_end,
                                    line=group[0][2], text=bodies[i], key=keys[key_at + i],
                                    words=counts[key_at + i]))
        words = sum(counts[key_at:key_at + len(groups)])
        out.append((passages, (hashes[word_at:word_at + words], per_key[key_at:key_at + len(groups)])))
        key_at += len(groups)
        word_at += words
    return out


def _passage_bodies(text: str, repairs: Sequence[Change]) -> tuple[list[list[tuple[int, int, int]]], list[str]]:
    """The passages of ``text`` as groups of lines (start, content end, line number) and the
    repaired text of each.

    Lines are the pieces of one ``str.split``, walked once: a line is compared with the line before
    it only when both hold text, and a document without repairs (most) reads its lines as they are.
    """
    ordered = sorted((c for c in repairs if c.kind == "repair"), key=lambda c: (c.start, c.end))
    groups: list[list[tuple[int, int, int]]] = []
    previous = ""  # the repaired content of the line before, when it held text
    previous_blank = True
    start = 0
    for number, line in enumerate(text.split("\n"), 1):
        end = start + len(line)
        if not line or line.isspace():
            previous_blank = True
            start = end + 1
            continue
        content_end = end - 1 if line.endswith("\r") else end
        # The wrap heuristic looks at repaired lines, so a line whose mojibake is repaired splits the
        # same way as its clean copy (and a second run over the output splits as the first did).
        content = _repaired(text, start, content_end, ordered) if ordered else line[:content_end - start]
        if groups and not previous_blank and joins(previous, content):
            groups[-1].append((start, content_end, number))
        else:
            groups.append([(start, content_end, number)])
        previous = content
        previous_blank = False
        start = end + 1
    return groups, [_repaired(text, group[0][0], group[-1][1], ordered) for group in groups]
