"""JSON lines written by dedup.jsonline are the bytes json.dumps writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import jsonline

STYLES = [(a, s) for a in (False, True) for s in ((", ", ": "), (",", ":"))]


def dumped(value: Any, ascii_only: bool, separators: tuple[str, str] = (", ", ": ")) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode("utf-8")


@pytest.mark.parametrize("ascii_only", [False, True])
def test_every_character_is_escaped_as_json_escapes_it(ascii_only: bool) -> None:
    """Every code point but the surrogates, in runs of 512 inside long strings; the control
    characters JSON escapes as ``\\u00XX`` (and DEL) alone, since one of them sends the whole string
    to json's encoder."""
    unnamed = {p for p in range(0x20) if chr(p) not in "\t\n\r"} | {0x7F}
    points = [p for p in range(0x110000) if not 0xD800 <= p < 0xE000 and p not in unnamed]
    for at in range(0, len(points), 512):
        text = "x" * jsonline.LONG + "".join(map(chr, points[at:at + 512]))
        assert jsonline.string(text, ascii_only) == dumped(text, ascii_only), hex(points[at])
    for point in sorted(unnamed):
        text = "x" * jsonline.LONG + chr(point)
        assert jsonline.string(text, ascii_only) == dumped(text, ascii_only), hex(point)


@pytest.mark.parametrize("ascii_only", [False, True])
def test_a_lone_surrogate_is_json_s_to_refuse_or_escape(ascii_only: bool) -> None:
    text = "x" * jsonline.LONG + "\ud83d"
    if ascii_only:
        assert jsonline.string(text, True) == dumped(text, True)
    else:
        with pytest.raises(UnicodeEncodeError):
            dumped(text, False)
        with pytest.raises(UnicodeEncodeError):
            jsonline.string(text, False)


_NAMED = [*"ab \"\\/\n\r\t\x85é中", "\u2028", "\U0001F600"]  # no character JSON escapes as \\u00XX
_TEXT = st.text(st.sampled_from(_NAMED), max_size=150) | st.text(st.sampled_from([*_NAMED, "\x00", "\x1f", "\x7f"]),
                                                                 max_size=150)
_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | _TEXT,
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
                       max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUES, max_size=6), st.sampled_from(STYLES))
def test_a_record_is_the_line_json_dumps_writes(value: dict[str, Any], style: tuple[bool, tuple[str, str]]) -> None:
    """Short and long strings with every kind of escape, in keys and values, nested values, NaN."""
    ascii_only, separators = style
    assert jsonline.line(value, ascii_only, separators) == dumped(value, ascii_only, separators)


def test_keys_that_are_not_strings_are_written_as_json_writes_them() -> None:
    value = {1: "a" * 100, None: 2, "k": [1.5, float("nan")]}
    for ascii_only, separators in STYLES:
        assert jsonline.line(value, ascii_only, separators) == dumped(value, ascii_only, separators)  # type: ignore[arg-type]
