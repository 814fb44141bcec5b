"""Passages: offsets, separators, CRLF, and hard-wrapped paragraphs kept whole."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from strategies import document

from dedup.passages import split


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
