"""The rule prefilter may skip a pattern only when the pattern cannot match: its assumptions about the
installed ``regex``, its analysis of single patterns, and the screen over the whole catalogue."""

from __future__ import annotations

import re
import sys

import pytest
import regex
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dedup import prefilter
from dedup.config import Config
from dedup.prefilter import TRACKED, Unsupported, branches, gate_fold, may_start, needs
from dedup.rules import CATALOGUE, Rule, _check, _screen, active_rules, matching_text

PATTERN_RULES = [r for r in CATALOGUE if r.patterns]
CHECKS = [_check(r, b) for r in PATTERN_RULES for p in r.patterns for b in dict.fromkeys([p, *branches(p)])]
#: Every character but the surrogates, to ask ``regex`` which characters a literal matches.
ALL_CHARS = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)


def _used_characters() -> set[str]:
    used: set[str] = set()
    for check in CHECKS:
        for string in (*(check.prefixes or ()), *(s for clause in check.clauses for s in clause),
                       *(c for c in check.initials or () if len(c) == 1)):
            used |= set(string)
    # The folded strings come from these literal characters, in either case.
    for rule in PATTERN_RULES:
        for pattern in rule.patterns:
            used |= {c for c in pattern if c.isalpha()}
    return used


def test_case_variants_fold_alike() -> None:
    """What ``regex`` matches case-insensitively to a literal folds like the literal does: the
    assumption that lets a folded text stand in for every case variant a rule would match."""
    for char in sorted(_used_characters()):
        literal = regex.compile(regex.escape(char), regex.IGNORECASE | regex.UNICODE)
        for variant in literal.findall(ALL_CHARS):
            assert gate_fold(variant) == gate_fold(char), (char, variant)


def test_initial_classes_fold_to_themselves() -> None:
    """A digit or space character starting a match starts the folded text as it is, so the screen
    can test a text's first folded character against ``\\d`` and ``\\s``."""
    for name in (r"\d", r"\s"):
        for char in regex.compile(name, regex.IGNORECASE | regex.UNICODE).findall(ALL_CHARS):
            assert gate_fold(char) == char, (name, char)
            assert may_start(frozenset({name}), char)


def test_tracked_characters_are_caseless_and_outside_the_letter_classes() -> None:
    for char in TRACKED:
        assert regex.compile(regex.escape(char), regex.IGNORECASE).findall(ALL_CHARS) == [char]
        for cls in (r"\d", r"\s", r"\w", r"\p{L}", r"\p{Lu}", r"\p{Ll}", r"\p{N}", r"\p{Nd}"):
            assert regex.fullmatch(cls, char, regex.IGNORECASE) is None, (cls, char)


def test_analysis_of_single_patterns() -> None:
    cookies = needs(r".{0,120}\b(?:we use cookies|usamos cookies)\b.{0,300}")
    assert cookies.prefixes is None or "" in cookies.prefixes  # starts anywhere
    assert cookies.longest == 120 + 14 + 300
    assert prefilter.shorter(cookies.required()[0]) == {"cookies"}
    assert needs(r"(?:a|b)c").prefixes == {"ac", "bc"}
    assert needs(r"Share(?: this)?").words == {"share", "share this"}
    tags = needs(r"[^\W\d_][^\s,.!?;:|]*(?:\s*[,|]\s*[^\W\d_][^\s,.!?;:|]*){2,15}")
    assert {".", "!", "?", ";", ":"} <= tags.forbidden and "," not in tags.forbidden
    assert needs(r"x\d+").longest is None and needs(r"x\d{1,3}").longest == 4
    assert needs(r"(?=ab)a.").words is None
    assert needs(r"\d+ comments").initials == {"\\d"}
    assert needs(r"(?:the |our )*News").initials == {"t", "o", "n"}
    assert needs(r"[(\[]?\s*(?:Photo|Bild):").initials == {"(", "[", "\\s", "p", "b"}
    assert needs(r"(?=x)(?:ab)?c").initials == {"a", "c"}
    assert needs(r".{0,5}x").initials is None and needs(r"\w+").initials is None and needs(r"[a-z]x").initials is None
    assert needs(r"a?").nullable and not needs(r"a?b*c").nullable and needs(r"(?:a|b?)").nullable


#: Pieces of patterns: literal characters (tracked ones, ones that fold to two or to none among
#: them) and constructs that are parsed item by item.
_LITERALS = ["a", "B", "s", "ß", "İ", "\u0307", "é", " ", ",", ":", "'", "-", "1"]
_CONSTRUCTS = ["a?", "b{1,3}", "c*", "d+", "(?:x|yz)", "(?:no|ok)?", "[a,]", "[^.]", ".{0,20}", "\\d+",
               "\\b", "\\.", "\\s*", "(?i:q)", "^", "$"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_LITERALS + _CONSTRUCTS), max_size=12), min_size=1, max_size=3))
def test_literal_runs_read_as_their_characters_one_by_one(alternatives: list[list[str]]) -> None:
    """A run of literal characters is read as one item (:func:`dedup.prefilter._literal`); it must
    give what reading each character as an item of its own gives (``(?:c)`` forces that)."""
    def joined(wrap: bool) -> str:
        return "|".join("".join(f"(?:{t})" if wrap and t in _LITERALS else t for t in tokens)
                        for tokens in alternatives)

    assert needs(joined(False)) == needs(joined(True)), joined(False)


def test_branches_split_alternatives_only() -> None:
    assert branches(r"a|b(?:c|d)") == ["a", "b(?:c|d)"]
    assert branches(r"(?:a|b(?:c|d))e") == ["(?:a)e", "(?:b(?:c|d))e"]
    assert branches(r"(?:x|(?:y|z)w)v") == ["(?:x)v", "(?:(?:y|z)w)v"]  # a group inside a branch stays
    for whole in (r"(?:a|b)*c", r"(?:a|b){2}", r"(?:a|b)?", r"[|(]a", r"\|a", r"(?i:a|b)c", r"[]|]x", r"[^]|]x"):
        assert branches(whole) == [whole], whole


@pytest.mark.parametrize("pattern", [r"(?x)a b", r"(a)\1", r"a{2", r"[[a]]", r"(?P<n>a)", r"\G"])
def test_unknown_syntax_is_refused(pattern: str) -> None:
    with pytest.raises(Unsupported):
        needs(pattern)


@pytest.mark.parametrize("rule", PATTERN_RULES, ids=lambda r: r.name)
def test_examples_are_candidates(rule: Rule) -> None:
    screen = _screen(active_rules(Config()))
    for example in (*rule.examples, *rule.counterexamples):
        text = matching_text(example)
        matching = [r for r in screen.rules if r.matches(text)]
        assert set(map(id, matching)) <= set(map(id, screen.candidates(text))), (example, matching)


def _variants(draw: st.DrawFn, text: str) -> str:
    """``text`` with case changed and characters inserted, deleted or replaced at random."""
    chars = list(text)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["upper", "insert", "delete", "prefix", "suffix"]))
        pos = draw(st.integers(0, len(chars)))
        extra = draw(st.sampled_from([" ", ".", ",", "x", "İ", "ß", "(", "1", "Cookies", " in the comments"]))
        if action == "upper" and pos < len(chars):
            chars[pos] = chars[pos].upper()
        elif action == "insert":
            chars[pos:pos] = list(extra)
        elif action == "delete" and pos < len(chars):
            del chars[pos]
        elif action == "prefix":
            chars[:0] = list(extra + " ")
        elif action == "suffix":
            chars.extend(" " + extra)
    return "".join(chars)


@st.composite
def near_examples(draw: st.DrawFn) -> str:
    rule = draw(st.sampled_from(PATTERN_RULES))
    return _variants(draw, draw(st.sampled_from(rule.examples)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_examples())
def test_no_matching_rule_is_screened_out(text: str) -> None:
    """Around the examples, where matches and near misses are, every rule that fullmatches a text is
    among its candidates (texts as the rules see them: soft-folded, bullets off)."""
    text = matching_text(text)
    screen = _screen(active_rules(Config()))
    candidates = set(map(id, screen.candidates(text)))
    for rule in screen.rules:
        if rule.matches(text):
            assert id(rule) in candidates, (rule.name, text)


#: Every pattern and its branches (the screen checks each branch on its own).
_RE_PATTERNS = [(r, b) for r in PATTERN_RULES for p in r.patterns if "\\p" not in p
                for b in dict.fromkeys([p, *branches(p)])]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_generated_matches_pass_the_checks(data: st.DataObject) -> None:
    """Strings generated from a pattern (with ``re`` semantics, kept when ``regex`` agrees) pass
    that pattern's checks."""
    rule, pattern = data.draw(st.sampled_from(_RE_PATTERNS))
    flags = 0 if rule.case_sensitive else re.IGNORECASE
    text = data.draw(st.from_regex(re.compile(pattern, flags), fullmatch=True))
    compiled = regex.compile(pattern, regex.UNICODE | (0 if rule.case_sensitive else regex.IGNORECASE))
    assume(compiled.fullmatch(text) is not None)
    check = _check(rule, pattern)
    folded = gate_fold(text)
    if " ".join(text.split()) == text:  # whitespace as in a screened (soft-folded) text
        assert len(text) <= check.longest
    assert check.forbidden.isdisjoint(text)
    assert check.prefixes is None or folded.startswith(check.prefixes)
    assert check.initials is None or not folded or may_start(check.initials, folded[0]), (check.initials, text)
    for clause in check.clauses:
        assert any(s in folded for s in clause), (clause, text)


_BRANCHED = [(r, p) for r in PATTERN_RULES for p in r.patterns if "\\p" not in p and len(branches(p)) > 1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_branches_match_what_their_pattern_matches(data: st.DataObject) -> None:
    """A text one branch fullmatches, the whole pattern fullmatches, and the other way round (the
    screen derives checks per branch, so together they must cover the pattern exactly)."""
    rule, pattern = data.draw(st.sampled_from(_BRANCHED))
    flags = regex.UNICODE | (0 if rule.case_sensitive else regex.IGNORECASE)
    parts = branches(pattern)
    source = data.draw(st.sampled_from([pattern, *parts]))
    text = data.draw(st.from_regex(re.compile(source, 0 if rule.case_sensitive else re.IGNORECASE), fullmatch=True))
    whole = regex.compile(pattern, flags).fullmatch(text) is not None
    assert whole == any(regex.compile(b, flags).fullmatch(text) is not None for b in parts), (pattern, text)


def test_branches_of_the_catalogue_agree_on_its_examples() -> None:
    for rule in PATTERN_RULES:
        flags = regex.UNICODE | (0 if rule.case_sensitive else regex.IGNORECASE)
        for pattern in rule.patterns:
            parts = [regex.compile(b, flags) for b in branches(pattern)]
            for example in (*rule.examples, *rule.counterexamples):
                text = matching_text(example)
                assert (regex.compile(pattern, flags).fullmatch(text) is not None) == \
                    any(b.fullmatch(text) is not None for b in parts), (rule.name, pattern, text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029"
                                         "\u202f\u205f\u3000\u180e\u200b\ufeff-•*ab.é1")))
def test_screened_texts_hold_single_spaces_only(text: str) -> None:
    """The screen bounds a repeated whitespace character at one (``\\s*`` counts one towards a
    check's ``longest``): that holds only if every text it screens has no whitespace but single
    spaces between other characters. Rules see :func:`matching_text`; so does the screen."""
    seen = matching_text(text)
    assert " ".join(seen.split()) == seen
    assert all(c == " " for c in regex.findall(r"\s", seen))


def test_a_repeated_space_counts_one_towards_the_longest_match() -> None:
    assert needs(r"a\s*b").longest == 3
    assert needs(r"a +b").longest == 3
    assert needs(r"(?:\s|)+x").longest == 2
    assert needs(r"a[\s:]*b").longest is None  # not only whitespace
    assert needs(r"a.*b").longest is None


def _every_check_passed(text: str) -> set[int]:
    """The rules whose checks ``text`` passes, testing every check (what the screen must find)."""
    from dedup.rules import _has_clauses

    screen = _screen(active_rules(Config()))
    folded = gate_fold(text)
    union, prefixed, others = screen._static_checks(folded[:1], "".join(c for c in screen.tracked if c in text))
    found = {id(c.rule) for c in prefixed
             if union and folded.startswith(union) and len(text) <= c.longest
             and folded.startswith(c.prefixes or ()) and _has_clauses(folded, c.clauses)}
    return found | {id(c.rule) for c in others if len(text) <= c.longest and _has_clauses(folded, c.clauses)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(near_examples(), min_size=1, max_size=5).map(" ".join))
def test_candidates_are_every_check_the_text_passes(text: str) -> None:
    """The screen walks its checks longest first and stops at the first one the text is too long
    for: it must find exactly the checks that testing every one of them finds (lines joined here
    make texts longer than most checks)."""
    text = matching_text(text)
    assert set(map(id, _screen(active_rules(Config())).candidates(text))) == _every_check_passed(text)


def test_a_text_as_long_as_a_check_allows_is_still_its_candidate() -> None:
    """At each check's exact length limit (a text holding one string of each of its clauses, padded
    to the limit), the screen still finds what testing every check finds."""
    screen = _screen(active_rules(Config()))
    tried = 0
    for check in screen.checks:
        if check.longest >= sys.maxsize or check.prefixes:
            continue
        text = " ".join(clause[0] for clause in check.clauses)
        if not text or len(text) > check.longest:
            continue
        text = (text + " " + "x" * check.longest)[:check.longest].rstrip() or text
        if len(text) != check.longest:
            continue
        tried += 1
        assert set(map(id, screen.candidates(text))) == _every_check_passed(text), (check.rule.name, text)
    assert tried >= 10, tried
