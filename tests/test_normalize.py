"""Repairs (golden cases in data/repairs.json, ftfy style) and the folded comparison key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.changes import apply
from dedup.model import Document
from dedup.normalize import casefold, common_prefix, common_suffix, fold, printable, propose_repairs, repair_line

CASES = json.loads((Path(__file__).parent / "data" / "repairs.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_repair_cases(case: dict[str, str | None]) -> None:
    text = case["input"]
    assert isinstance(text, str)
    got = repair_line(text)
    if case["expected"] is None:
        assert got is None, f"{case['comment']}: healthy text was rewritten to {got}"
    else:
        assert got is not None
        assert got[0] == case["expected"]
        assert got[1] == case["rule"]


def test_repairs_are_logged_with_minimal_spans() -> None:
    doc = Document("d.txt", "First line is fine.\nMeta\u00e2\u20ac\u2122s model &amp; more\nLast.\n")
    changes = propose_repairs(doc)
    assert [c.rule for c in changes] == ["repair-mojibake"]
    assert "unescape_html" in changes[0].reason and "decode" in changes[0].reason
    for change in changes:
        assert doc.text[change.start:change.end] == change.text
        assert change.line == 2
    fixed = apply(doc.text, changes)
    assert fixed == "First line is fine.\nMeta’s model & more\nLast.\n"


def test_crlf_is_not_damage() -> None:
    assert propose_repairs(Document("d.txt", "one\r\ntwo\r\n")) == []


def test_non_utf8_encoding_is_recorded() -> None:
    changes = propose_repairs(Document("d.txt", "caf\u00e9", encoding="cp1252"))
    assert changes[0].rule == "repair-encoding" and changes[0].encoding == "cp1252"
    assert changes[0].start == changes[0].end == 0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Blade's Slick Sequel", "Blade’s Slick Sequel"),
        ("closed-source", "closed‑source"),
        ("A  title\u00a0with   spaces", "a title with spaces"),
        ("“quoted”", '"quoted"'),
        ("the \ufb01rst", "the first"),
        ("ＡＢＣ", "abc"),
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_fold_unifies(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_every_space_character_but_the_space_is_unprintable() -> None:
    """``soft_fold`` skips collapsing a printable text with single inner spaces: that is only right
    if every other whitespace character is unprintable."""
    printable_spaces = [hex(c) for c in range(0x110000) if chr(c).isspace() and chr(c).isprintable()]
    assert printable_spaces == ["0x20"]


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from([*"ab ’“é`´", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\xa0",
                                "\u2003", "\u2028", "\u3000", "\ufb01", "ß", "İ"]), max_size=40))
def test_fold_is_the_reference_fold(text: str) -> None:
    """The shortcuts (collapse only when needed, ``lower`` on ASCII, no quote checks but the
    backtick's on ASCII) change no key."""
    import unicodedata

    from dedup.normalize import _UNIFY, soft_fold

    reference = " ".join(unicodedata.normalize("NFKC", text).translate(str.maketrans(_UNIFY)).split())
    assert soft_fold(text) == reference
    assert fold(text) == reference.casefold()


def test_fold_keeps_distinct_words_distinct() -> None:
    assert fold("Meta launches") != fold("Meta launched")


def test_cheap_filter_never_hides_a_repair() -> None:
    """The pre-ftfy filter must only skip lines ftfy would leave alone."""
    import ftfy

    from dedup.normalize import FTFY_CONFIG

    samples = [c["input"] for c in CASES] + [
        "Grüße aus München – »Gut«", "日本語のテキストです。", "naïve café résumé", "Ã©tÃ© chaud", "Â£100",
        "line with \ufeff zero width", "Ħello Ẃorld", "¿Qué tal? ¡Bien!", "Ð¼Ð¾Ð´ÐµÐ»ÑŒ",
    ]
    for text in samples:
        full = ftfy.fix_and_explain(text, config=FTFY_CONFIG)[0]
        got = repair_line(text)
        assert (got[0] if got else text) == full, text


def _badness_parse() -> tuple[Any, Any]:
    import sys

    from ftfy.badness import BADNESS_RE

    if sys.version_info >= (3, 11):
        import re._parser as sre_parse
    else:  # pragma: no cover - Python 3.10
        import sre_parse
    return sre_parse, sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags)


def test_windowed_is_bad_assumptions_hold_for_installed_ftfy() -> None:
    """normalize.is_bad searches near non-ASCII characters only; that is exact only if every match
    of ftfy's pattern is at most BAD_WIDTH long, contains a non-ASCII character, and no assertion
    but ``^`` (start of string) appears."""
    from dedup.normalize import BAD_WIDTH

    sre_parse, parsed = _badness_parse()
    assert parsed.getwidth()[1] <= BAD_WIDTH
    (op, (_, branches)), = parsed.data
    assert op is sre_parse.BRANCH

    def non_ascii(item_op: object, arg: object) -> bool:
        if item_op is sre_parse.LITERAL:
            return arg >= 128
        if item_op is sre_parse.IN:
            return all((o is sre_parse.LITERAL and a >= 128)
                       or (o is sre_parse.RANGE and a[0] >= 128) for o, a in arg)
        return False

    for branch in branches:
        assert any(non_ascii(o, a) for o, a in branch.data), branch
    from ftfy.badness import BADNESS_RE

    assert not any(t in BADNESS_RE.pattern for t in ("$", "\\Z", "\\b", "\\B", "(?=", "(?!", "(?<"))


def test_is_bad_pre_check_assumption_holds_for_installed_ftfy() -> None:
    """normalize.is_bad skips lines without two adjacent non-ASCII characters or one of LONE_BAD;
    that is exact only if every branch of ftfy's pattern has two adjacent single non-ASCII
    characters, or a character that can only be one of LONE_BAD."""
    import re
    from itertools import pairwise

    from dedup.normalize import LONE_BAD

    sre_parse, parsed = _badness_parse()
    (_, (_, branches)), = parsed.data

    def chars(item_op: object, arg: object) -> set[int] | None:
        if item_op is sre_parse.LITERAL:
            return {arg}  # type: ignore[arg-type]
        if item_op is not sre_parse.IN:
            return None
        found: set[int] = set()
        for o, a in arg:  # type: ignore[attr-defined]
            if o is sre_parse.LITERAL:
                found.add(a)
            elif o is sre_parse.RANGE:
                found.update(range(a[0], a[1] + 1))
            else:
                return None
        return found

    lone = re.compile(f"[{LONE_BAD}]")
    for branch in branches:
        sets = [chars(o, a) for o, a in branch.data]
        if any(x and y and min(x) >= 128 and min(y) >= 128 for x, y in pairwise(sets)):
            continue
        assert any(s and all(lone.fullmatch(chr(c)) for c in s) for s in sets), branch


def test_every_badness_match_holds_a_trigger_character() -> None:
    """normalize.is_bad looks only around characters of bad_trigger(); that is exact only if every
    branch of ftfy's pattern has an item that must match one of them. Checked here independently of
    how the trigger was picked, and that it leaves ordinary letters of several scripts out."""
    from dedup.normalize import bad_trigger

    trigger = bad_trigger()
    assert trigger is not None
    sre_parse, parsed = _badness_parse()
    (_, (_, branches)), = parsed.data
    for branch in branches:
        items = []
        for o, a in branch.data:
            if o in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT) and a[0] >= 1 and len(a[2].data) == 1:
                o, a = a[2].data[0]
            if o is sre_parse.LITERAL:
                items.append({a})
            elif o is sre_parse.IN and all(x is sre_parse.LITERAL or x is sre_parse.RANGE for x, _ in a):
                items.append({c for x, v in a for c in ([v] if x is sre_parse.LITERAL else range(v[0], v[1] + 1))})
        assert any(all(trigger.fullmatch(chr(c)) for c in item) for item in items), branch
    ordinary = "abzAZ09 .,-жэюяабвЖЭЮЯλμνäöüßéèñçабв漢字かなㄱ"
    assert not [c for c in ordinary if trigger.fullmatch(c)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Ã¢€™œ“”’ÂâÉé‚Ä°ГўВЂ×²ØÙ\u00a0 .,!?-«»0123456789жСРВГвΒΓΞΟλÄäöüß"),
               max_size=40))
def test_windowed_is_bad_equals_ftfy(text: str) -> None:
    from ftfy.badness import is_bad as ftfy_is_bad

    from dedup.normalize import is_bad

    assert is_bad(text) == ftfy_is_bad(text)


def _repairs_line_by_line(document: Document) -> list[tuple[int, int, str, str, str]]:
    """(line, its offset, its content, repaired content, rule) for each line a plain loop over every
    line repairs: what the one-search scan of :func:`propose_repairs` must find."""
    found = []
    offset = 0
    for number, line in enumerate(document.text.split("\n"), start=1):
        content = line[:-1] if line.endswith("\r") else line
        repaired = repair_line(content)
        if repaired is not None:
            found.append((number, offset, content, repaired[0], repaired[1]))
        offset += len(line) + 1
    return found


_DAMAGE = ["&amp;", "&#8217;", "&nbsp", "\x1b[31m", "\x07", "\ufeff", "\x85", "\u0080", "Ã©", "â€™", "Â ",
           "é", "’", "\r", "\n", "\r\n", "中文", "\u00a0", "x", " ", "&", "#",
           # astral characters: a tag character is a control to repair, an emoji is not
           "\U000e0041", "\U0001f600", "\ud83d"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_DAMAGE) | st.text(max_size=6), max_size=30))
def test_repairs_are_found_on_the_lines_a_line_by_line_pass_finds(parts: list[str]) -> None:
    document = Document("d.txt", "".join(parts))
    changes = propose_repairs(document)
    expected = _repairs_line_by_line(document)
    assert [c.line for c in changes] == [number for number, *_ in expected]
    for change, (_number, offset, content, fixed, rule) in zip(changes, expected, strict=True):
        assert change.rule == rule
        assert offset <= change.start <= change.end <= offset + len(content)
        assert document.text[change.start:change.end] == change.text
        assert content[:change.start - offset] + change.replacement + content[change.end - offset:] == fixed


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_DAMAGE) | st.text(max_size=6), max_size=30))
def test_spots_are_in_the_lines_the_patterns_find(parts: list[str]) -> None:
    """The table lookup of ``_spots`` marks exactly the lines that hold an entity, a control
    character or (in non-ASCII text) a trigger character, one offset per line; whether there are
    few such characters (lines found by searching) or many (by array operations)."""
    from dedup.normalize import _CONTROL, _ENTITY, _FEW_SPOTS, _spots, bad_trigger

    trigger = bad_trigger()
    patterns = [_ENTITY, _CONTROL] + ([trigger] if trigger is not None else [])
    for text in ("".join(parts), "".join(parts) * _FEW_SPOTS):
        expected = [n for n, line in enumerate(text.split("\n")) if any(p.search(line) for p in patterns)]
        spots = _spots(text)
        assert len(set(spots)) == len(spots) == len(expected)
        assert [text.count("\n", 0, spot) for spot in spots] == expected
        assert all(any(p.match(text, spot) for p in patterns) for spot in spots)


def test_the_faster_badness_check_is_only_lent_to_ftfy_during_a_repair() -> None:
    """repair_line lends ftfy this module's is_bad for the call (same answers, searched only near
    the characters a match needs) and gives ftfy its own back, even when the repair raises."""
    import ftfy
    from ftfy.badness import is_bad as ftfy_is_bad

    from dedup import normalize

    assert ftfy.is_bad is ftfy_is_bad  # ftfy still calls it by this name: the stand-in takes effect
    seen = []
    original = normalize.is_bad

    def spy(text: str) -> bool:
        seen.append(text)
        return original(text)

    normalize.is_bad = spy  # type: ignore[assignment]
    try:
        assert repair_line("CafÃ© au lait, crÃ¨me brÃ»lÃ©e") == ("Café au lait, crème brûlée", "repair-mojibake",
                                                              "encode latin-1, decode utf-8")
    finally:
        normalize.is_bad = original  # type: ignore[assignment]
    assert len(seen) >= 2 and ftfy.is_bad is ftfy_is_bad  # once by the pre-check, then by ftfy

    during = _lent_to_a_failing_ftfy()
    assert during["is_bad"] is normalize.is_bad  # lent for the call
    assert ftfy.is_bad is ftfy_is_bad  # given back although the call raised


def _lent_to_a_failing_ftfy() -> dict[str, object]:
    """Run a repair whose ftfy call raises; return what ftfy had lent to it during the call."""
    import ftfy

    seen: dict[str, object] = {}

    def failing(text: str, config: object = None) -> object:
        seen.update(is_bad=ftfy.is_bad, remove_control_chars=ftfy.FIXERS["remove_control_chars"])
        raise RuntimeError("ftfy failed")

    real_fix = ftfy.fix_and_explain
    ftfy.fix_and_explain = failing  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError):
            repair_line("CafÃ© au lait")
    finally:
        ftfy.fix_and_explain = real_fix  # type: ignore[assignment]
    return seen


def test_the_control_character_check_is_only_lent_to_ftfy_during_a_repair() -> None:
    """ftfy's control-character fixer is swapped in its FIXERS table for the call and given back
    (also when the call raises); a repair that needs it still removes the characters."""
    import ftfy
    from ftfy.fixes import remove_control_chars

    assert ftfy.FIXERS["remove_control_chars"] is remove_control_chars  # ftfy still looks it up there
    during = _lent_to_a_failing_ftfy()
    assert during["remove_control_chars"] not in (None, remove_control_chars)
    assert ftfy.FIXERS["remove_control_chars"] is remove_control_chars
    assert repair_line("CafÃ© au\x07 lait") == ("Café au lait", "repair-mojibake",
                                                 "encode latin-1, decode utf-8, apply remove_control_chars")


@settings(max_examples=300, deadline=None)
@given(st.text(st.one_of(st.characters(), st.sampled_from(
    [chr(c) for c in (0x00, 0x08, 0x0B, 0x0C, 0x1F, 0x7F, 0x85, 0x206A, 0x206F, 0xFEFF, 0xFFF9, 0xFFFC, 0xFFFD)])),
    max_size=80))
def test_the_control_character_stand_in_equals_ftfy(text: str) -> None:
    from ftfy.fixes import remove_control_chars

    from dedup.normalize import _ftfy_control_chars, _without_control_chars

    assert _ftfy_control_chars() is not None  # the installed ftfy has the table the stand-in reads
    assert _without_control_chars(remove_control_chars)(text) == remove_control_chars(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=0xFF)), st.text()))
def test_words_are_the_regex_words(text: str) -> None:
    """``words`` splits Latin-1 keys by a byte table: it must give exactly ``\\w+``'s tokens, for
    every Latin-1 character (controls, NBSP, the feminine ordinal, superscripts) and beyond."""
    import re

    from dedup.normalize import words

    assert words.__wrapped__(text) == tuple(re.findall(r"\w+", text))


def test_casefold_is_str_casefold_on_every_character() -> None:
    for point in range(0x110000):
        if not 0xD800 <= point < 0xE000:
            char = chr(point)
            assert casefold(char) == char.casefold(), hex(point)


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(max_codepoint=0xFF)) | st.text(st.sampled_from("aZßµÄÉİΣς\u0130 ")) | st.text())
def test_casefold_is_str_casefold(text: str) -> None:
    assert casefold(text) == text.casefold()


def test_printable_is_str_isprintable_on_every_character() -> None:
    for point in range(0x110000):
        char = chr(point)
        assert printable(char) == char.isprintable(), hex(point)


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(max_codepoint=0xFF)) | st.text(st.sampled_from("a \t\n\x85\xa0\xad\x7f\u2028é"))
       | st.text())
def test_printable_is_str_isprintable(text: str) -> None:
    assert printable(text) == text.isprintable()


@given(st.text(st.sampled_from("ab’")), st.text(st.sampled_from("ab’")))
def test_common_prefix_and_suffix_are_the_character_walks(a: str, b: str) -> None:
    """The halving search gives what walking character by character gives (the repair span's
    bounds: the suffix may not overlap the prefix)."""
    limit = min(len(a), len(b))
    pre = 0
    while pre < limit and a[pre] == b[pre]:
        pre += 1
    post = 0
    while post < limit - pre and a[-1 - post] == b[-1 - post]:
        post += 1
    assert common_prefix(a, b) == pre
    assert common_suffix(a, b, limit - pre) == post
