"""Passages: offsets, separators, CRLF, and hard-wrapped paragraphs kept whole."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import document

from dedup.model import Change, Document
from dedup.normalize import propose_repairs
from dedup.passages import _passage_bodies, _repaired, joins, split


def test_lines_are_passages_with_their_gaps() -> None:
    text = "\nTitle\n\nFirst paragraph here.\nSecond one.\n\n\nLast"
    ps = split("d", text)
    assert [p.text for p in ps] == ["Title", "First paragraph here.", "Second one.", "Last"]
    assert [p.line for p in ps] == [2, 4, 5, 8]
    assert text[ps[0].start:ps[0].span_end] == "Title\n\n"
    assert text[ps[2].start:ps[2].span_end] == "Second one.\n\n\n"
    assert ps[-1].span_end == len(text)


def test_crlf_terminators_are_not_content() -> None:
    ps = split("d", "one line\r\ntwo line\r\n")
    assert [p.text for p in ps] == ["one line", "two line"]
    assert ps[0].span_end == ps[1].start == len("one line\r\n")


def test_hard_wrapped_paragraph_is_one_passage() -> None:
    text = ("Meta has officially unveiled Muse Spark, its latest\nartificial intelligence model, and the company\n"
            "says it is the first of many.\nNext paragraph starts Here.\n")
    ps = split("d", text)
    assert len(ps) == 2
    assert ps[0].key.startswith("meta has officially unveiled muse spark, its latest artificial")
    assert ps[0].words == 21


def test_list_items_are_not_joined() -> None:
    ps = split("d", "Key characteristics of the model include these\n- speed\n- reasoning\n")
    assert len(ps) == 3


@settings(max_examples=100, deadline=None)
@given(document())
def test_passages_tile_the_text(text: str) -> None:
    ps = split("d", text)
    for a, b in itertools.pairwise(ps):
        assert a.span_end == b.start
        assert not text[a.end:a.span_end].strip()
    if ps:
        assert not text[:ps[0].start].strip()
        assert ps[-1].span_end == len(text)
    else:
        assert not text.strip()


def _reference_bodies(text: str, repairs: Sequence[Change]) -> tuple[list[list[tuple[int, int, int]]], list[str]]:
    """The line walk as first written (a find per line, every line repaired first): the oracle."""
    lines: list[tuple[int, int, int]] = []
    pos, number = 0, 1
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        content_end = end - 1 if end > pos and text[end - 1] == "\r" else end
        lines.append((pos, content_end, number))
        if nl < 0:
            break
        pos, number = nl + 1, number + 1
    ordered = sorted((c for c in repairs if c.kind == "repair"), key=lambda c: (c.start, c.end))
    repaired = {start: _repaired(text, start, end, ordered) for start, end, _ in lines}
    groups: list[list[tuple[int, int, int]]] = []
    previous_blank = True
    for start, content_end, num in lines:
        if not text[start:content_end].strip():
            previous_blank = True
            continue
        if groups and not previous_blank and joins(repaired[groups[-1][-1][0]], repaired[start]):
            groups[-1].append((start, content_end, num))
        else:
            groups.append([(start, content_end, num)])
        previous_blank = False
    return groups, [_repaired(text, g[0][0], g[-1][1], ordered) for g in groups]


@settings(max_examples=300, deadline=None)
@given(st.one_of(document(), st.text(alphabet="ab Cd.\r\n\t\u00a0\u2028é", max_size=80),
                 st.lists(st.sampled_from(["caf\u00c3\u00a9 latte and more words in a long line without end",
                                           "and it goes on in lower case", "", " ", "\r", "Next."]),
                          max_size=8).map("\n".join)))
def test_the_line_walk_matches_the_reference(text: str) -> None:
    """``_passage_bodies`` walks lines once and reads a line as it is when the document has no
    repairs: its groups and bodies must be the reference walk's, with and without repairs."""
    repairs = propose_repairs(Document("d", text))
    assert _passage_bodies(text, repairs) == _reference_bodies(text, repairs)
    assert _passage_bodies(text, []) == _reference_bodies(text, [])


_SPACES = "".join(c for c in map(chr, range(0x3000 + 1)) if c.isspace())


@settings(max_examples=200)
@given(filler=st.text(st.sampled_from("ab .!)\u00a0"), min_size=24, max_size=36),
       after=st.text(st.sampled_from(_SPACES), max_size=3), line=st.text(st.sampled_from("aB 1-*•.)\t"), max_size=8))
def test_a_paragraph_ends_at_closing_punctuation_before_any_whitespace(filler: str, after: str, line: str) -> None:
    """``joins`` reads the last character of the stripped line; the rule it implements is the
    pattern ``[closers]\\s*$`` searched in that line, for every kind of trailing whitespace and
    every closer (and some characters that are none)."""
    import re

    open_end = re.compile(r"[.!?:;…。！？\"”’)\]]\s*$")
    for end in ".!?:;…。！？\"”’)](['-xZ7 \u00a0":
        body = filler + end + after
        last = body.strip()
        for following in (line, "and so on"):
            expected = (len(last) >= 30 and not open_end.search(last) and following.lstrip()[:1].islower()
                        and not re.match(r"\s*([-*+•]|\d{1,3}[.)])\s", following))
            assert joins(body, following) == expected, (body, following)
