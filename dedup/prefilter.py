r"""What a regular expression needs of a text before it can fullmatch it, read from the pattern.

The rule screen fullmatches every passage against the widget patterns, and most passages are prose
that none of them matches. Learning that from the regex engine costs tens of microseconds a
passage: a pattern such as ``.{0,200}\b(?:all rights reserved|...)\b.{0,100}`` is tried from each
of its 200 starting offsets, and a hundred alternatives are tried at the first. This module reads a
pattern once and derives necessary conditions of a match that plain string operations check in a
fraction of a microsecond each (:class:`Needs`):

* ``prefixes``: every match starts with one of these strings (``str.startswith``);
* ``clauses``: every match contains a string of each clause (``in``);
* ``forbidden``: characters no match contains (a tag list has no full stop);
* ``longest``: no match is longer (``.{0,200}\bcookies\b.{0,300}`` cannot be a long paragraph);
* ``initials``: every match starts with one of these characters (``\d+ comments`` with a digit),
  which the screen tests once per first character, not once per text (:func:`may_start`).

Screened texts are soft-folded (:func:`dedup.normalize.soft_fold`, which the rules match on):
their only whitespace is single spaces between other characters, so a repeat of a whitespace
character (``\s*``, `` +``) matches at most one, and counts one towards ``longest``. A caller with
other texts must not use ``longest``.

Strings are compared on :func:`gate_fold`-ed text, so the conditions hold whether the pattern
ignores case or not (a case-sensitive pattern only matches less). The analysis is conservative: a
construct it does not model (``\d``, a character range, a lookahead's content) is taken to allow
anything, and one it cannot parse raises :class:`Unsupported`, after which the caller must assume
the pattern can match any text. A condition may thus be weaker than the truth, never stronger:
a text that fails one cannot match (``tests/test_prefilter.py`` checks the assumptions this rests
on against the installed ``regex`` and against the catalogue's examples).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise, product

import regex

from .normalize import casefold

#: Characters whose absence from matches is tracked (:attr:`Needs.forbidden`): caseless, and not
#: matched by ``\d``, ``\s``, ``\w``, ``\p{L}``, ``\p{Lu}`` or ``\p{N}`` (a test checks both).
TRACKED = frozenset(".,;:!?()[]{}\"'|/*#@&%+=<>~$")
#: Property classes (``\p{...}``) known to match no tracked character.
_NO_TRACKED_PROPERTIES = frozenset({"L", "Lu", "Ll", "N", "Nd"})
#: The most strings a finite set of matches or prefixes may hold before it is given up.
_LIMIT = 256
#: The characters that are syntax outside a character class.
_SPECIAL = frozenset(".^$*+?{}[]\\|()")
#: The characters that open a quantifier.
_QUANTIFIERS = frozenset("*+?{")


class Unsupported(ValueError):
    """The pattern uses syntax this analysis does not model; nothing may be concluded from it."""


def gate_fold(text: str) -> str:
    """The form conditions are compared in: case-folded, without U+0307 COMBINING DOT ABOVE.

    ``regex`` matches "i" with "İ" under IGNORECASE, which folds to "i" + U+0307; dropping the
    dot keeps every literal match a substring of the folded text (deleting characters from a text
    can only add substrings, never remove the ones a match needs).
    """
    return without_dot(casefold(text))


def without_dot(folded: str) -> str:
    """A casefolded text without U+0307, as :func:`gate_fold` leaves it (the rule screen applies it
    to passage keys, which are casefolded already)."""
    return folded if folded.isascii() else folded.replace("\u0307", "")


@dataclass(frozen=True)
class Needs:
    """What every match of a (sub)pattern is known to satisfy. None means nothing is known."""

    #: All strings the pattern can match (folded), when they are few.
    words: frozenset[str] | None
    #: Every match starts with one of these (folded); may hold "" (then nothing is known).
    prefixes: frozenset[str] | None
    #: Every match contains at least one string of each clause (folded).
    clauses: tuple[frozenset[str], ...]
    #: Tracked characters that no match contains.
    forbidden: frozenset[str]
    #: The most characters a match can have; None when unbounded.
    longest: int | None = 1
    #: The first character of every non-empty match, folded (:func:`gate_fold`), or ``\\d`` / ``\\s``
    #: for any character of that class; None when not known.
    initials: frozenset[str] | None = None
    #: Whether the empty string may match (then what follows may supply the first character).
    nullable: bool = False

    def required(self) -> tuple[frozenset[str], ...]:
        """All clauses, with the set of possible matches as one more when the empty one is not in it."""
        if self.words is not None and "" not in self.words:
            return (*self.clauses, self.words)
        return self.clauses


_ANY = Needs(None, None, (), frozenset())
_ZERO_WIDTH = Needs(frozenset({""}), frozenset({""}), (), TRACKED, 0, frozenset(), True)  # consumes nothing
_NO_TRACKED = Needs(None, None, (), TRACKED)  # some character that is not tracked
#: The classes whose characters :attr:`Needs.initials` names by escape (they fold to themselves; a
#: test checks it), each with the pattern that tells whether a character is one of them.
_CLASS_INITIALS = {"d": "\\d", "s": "\\s"}
_CLASS_TESTS = {name: regex.compile(name, regex.UNICODE) for name in _CLASS_INITIALS.values()}


def _chars(chars: Iterable[str]) -> Needs:
    chars = set(chars)
    folded = frozenset(gate_fold(c) for c in chars)
    # A character that folds to nothing (U+0307 alone) leaves the first folded character to what follows.
    initials = None if "" in folded else frozenset(f[0] for f in folded)
    return Needs(folded, folded, (), TRACKED - chars, 1, initials)


@lru_cache(maxsize=1024)
def _char(char: str) -> Needs:
    """:func:`_chars` of one literal character: the catalogue's patterns hold a few dozen distinct
    ones, thousands of times."""
    return _chars(char)


def _literal(run: str) -> Needs:
    """A run of literal characters (none quantified) as one item: what :func:`_sequence` makes of
    their :func:`_char` items, computed directly.

    Those items each match one string, so their sequence matches the join of the strings, starts
    with the first character's initials (it cannot be empty), and forbids the tracked characters
    that none of them is. Read a character at a time, the catalogue's phrases made building the
    rule screen (which every run and every hook call pays) take 0.16 s instead of 0.09-0.10 s.
    """
    if len(run) == 1:
        return _char(run)
    folded = frozenset({"".join([gate_fold(c) for c in run])})  # each character's own fold, as _chars has it
    return Needs(folded, folded, (), TRACKED - frozenset(run), len(run), _char(run[0]).initials)


def _class_initials(escape: str) -> Needs:
    """``\\d`` or ``\\s``: one character that is not tracked, named by its class."""
    return replace(_NO_TRACKED, initials=frozenset({_CLASS_INITIALS[escape]}))


def may_start(initials: frozenset[str], first: str) -> bool:
    """Whether ``first`` (a folded text's first character) is one of ``initials``."""
    return first in initials or any(name in initials and test.fullmatch(first) is not None
                                    for name, test in _CLASS_TESTS.items())


def minimal(clause: Iterable[str]) -> frozenset[str]:
    """The clause without strings that contain another of its strings (they are implied)."""
    kept: list[str] = []
    for word in sorted(set(clause), key=len):
        if not any(k in word for k in kept):
            kept.append(word)
    return frozenset(kept)


def selectivity(clause: frozenset[str]) -> tuple[int, int]:
    """Sort key, best first: long strings are rare in prose (up to a point: six characters are
    about as rare as sixty), and each string costs one search."""
    return (-min(min(map(len, clause), default=0), 6), len(clause))


def shorter(clause: frozenset[str]) -> frozenset[str]:
    """An implied clause with fewer strings: strings that share a word of four or more letters
    give way to that word ("we use cookies", "utilizamos cookies" -> "cookies").

    Every string of the result is contained in a string of ``clause``, so a text that has a string
    of ``clause`` has one of the result.
    """
    current = set(clause)
    while True:
        shared: dict[str, int] = {}
        for word in {w for s in current for w in s.split() if len(w) >= 4}:
            shared[word] = sum(word in s for s in current)
        best = max(shared.items(), key=lambda item: (item[1], len(item[0])), default=None)
        if best is None or best[1] < 2:
            return minimal(current)
        current = {s for s in current if best[0] not in s} | {best[0]}


def _concat(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > _LIMIT:
        return None
    return frozenset(a + b for a, b in product(left, right))


def _sequence(items: list[Needs]) -> Needs:
    words: frozenset[str] | None = frozenset({""})
    for n in items:
        words = None if words is None or n.words is None else _concat(words, n.words)
    lengths = [n.longest for n in items]
    initials: frozenset[str] | None = frozenset()
    for n in items:  # the items up to the first that cannot be empty may start a match
        initials = None if initials is None or n.initials is None else initials | n.initials
        if not n.nullable:
            break
    return Needs(words, words if words is not None else _sequence_prefixes(items), _sequence_clauses(items, words),
                 frozenset(TRACKED.intersection(*(n.forbidden for n in items))),
                 None if None in lengths else sum(n for n in lengths if n is not None),
                 initials, all(n.nullable for n in items))


def _sequence_prefixes(items: list[Needs]) -> frozenset[str] | None:
    """The known start of the items' matches: whole items while their matches are few, then the
    prefixes of the first item whose matches are not."""
    prefixes = frozenset({""})
    for n in items:
        extended = None if n.words is None else _concat(prefixes, n.words)
        if extended is not None:
            prefixes = extended
            continue
        if n.prefixes is not None:
            prefixes = _concat(prefixes, n.prefixes) or prefixes
        break
    return prefixes


def _sequence_clauses(items: list[Needs], words: frozenset[str] | None) -> tuple[frozenset[str], ...]:
    """The items' clauses, and each run of items that match one string only, as one string."""
    clauses: list[frozenset[str]] = []
    run = ""
    for n in items:
        if n.words is not None and len(n.words) == 1:
            run += next(iter(n.words))
            continue
        if run:
            clauses.append(frozenset({run}))
        run = ""
        clauses.extend(n.required())
    if run and words is None:
        clauses.append(frozenset({run}))
    return tuple(dict.fromkeys(clauses))


def _union(sets: list[frozenset[str] | None]) -> frozenset[str] | None:
    if any(s is None for s in sets):
        return None
    joined = frozenset().union(*(s for s in sets if s is not None))
    return joined if len(joined) <= _LIMIT else None


def _alternation(branches: list[Needs]) -> Needs:
    if len(branches) == 1:
        return branches[0]
    words = _union([b.words for b in branches])
    prefixes = _union([minimal_prefixes(b.prefixes) for b in branches])
    forbidden = frozenset(TRACKED.intersection(*(b.forbidden for b in branches)))
    lengths = [b.longest for b in branches]
    longest = None if None in lengths else max(n for n in lengths if n is not None)
    initials = None if any(b.initials is None for b in branches) else \
        frozenset().union(*(b.initials for b in branches if b.initials is not None))
    nullable = any(b.nullable for b in branches)
    if words is not None:
        return Needs(words, prefixes, (), forbidden, longest, initials, nullable)
    # Every match matches some branch, so one clause of each branch, pooled, is a clause of the whole.
    best = [min(b.required(), key=selectivity, default=None) for b in branches]
    if any(c is None or "" in c for c in best):
        return Needs(None, prefixes, (), forbidden, longest, initials, nullable)
    return Needs(None, prefixes, (minimal(w for c in best if c is not None for w in c),), forbidden, longest,
                 initials, nullable)


def _repeat(atom: Needs, low: int, high: int | None) -> Needs:
    if high == 0:
        return _ZERO_WIDTH
    words = None if atom.words is None or high is None else _powers(atom.words, low, high)
    longest = None if atom.longest is None or high is None else atom.longest * high
    if _one_space(atom):
        longest = 1  # screened texts hold no two whitespace characters in a row (see the module's notes)
    if atom.longest == 0:
        longest = 0
    if low == 0:
        prefixes = None if atom.prefixes is None else atom.prefixes | {""}
        return Needs(words, words if words is not None else prefixes, (), atom.forbidden, longest, atom.initials, True)
    return Needs(words, words if words is not None else atom.prefixes, atom.required() if words is None else (),
                 atom.forbidden, longest, atom.initials, atom.nullable)


def _one_space(atom: Needs) -> bool:
    """Whether every match of ``atom`` is empty or one whitespace character (``\\s``, a space)."""
    return atom.longest == 1 and atom.initials is not None and atom.initials <= {_CLASS_INITIALS["s"], " "}


def _powers(words: frozenset[str], low: int, high: int) -> frozenset[str] | None:
    """Every concatenation of ``low`` to ``high`` of ``words``, or None when there are too many."""
    options: set[str] = set()
    power: frozenset[str] | None = frozenset({""})
    for count in range(high + 1):
        if power is None:
            return None
        if count >= low:
            options |= power
        if count < high:
            power = _concat(power, words)
    return frozenset(options) if len(options) <= _LIMIT else None


def minimal_prefixes(prefixes: frozenset[str] | None) -> frozenset[str] | None:
    """The prefixes without those that start with another (they are implied); None if "" is one."""
    if prefixes is None or "" in prefixes:
        return prefixes
    kept: list[str] = []
    for p in sorted(prefixes, key=len):
        if not p.startswith(tuple(kept)):
            kept.append(p)
    return frozenset(kept)


class _Parser:
    """A recursive-descent reader of the ``regex`` (version 0) syntax the catalogue uses."""

    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.pos = 0

    def peek(self, ahead: int = 0) -> str:
        return self.src[self.pos + ahead:self.pos + ahead + 1]

    def take(self, expected: str = "") -> str:
        if self.pos >= len(self.src) or (expected and not self.src.startswith(expected, self.pos)):
            raise Unsupported(f"expected {expected or 'more'} at {self.pos} of {self.src!r}")
        size = len(expected) or 1
        self.pos += size
        return self.src[self.pos - size:self.pos]

    def parse(self) -> Needs:
        found = self.alternation()
        if self.pos != len(self.src):
            raise Unsupported(f"unexpected {self.peek()!r} at {self.pos} of {self.src!r}")
        return found

    def alternation(self) -> Needs:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        return _alternation(branches)

    def sequence(self) -> Needs:
        items: list[Needs] = []
        src = self.src
        while self.peek() not in ("", "|", ")"):
            end = self.pos
            while end < len(src) and src[end] not in _SPECIAL:
                end += 1
            if end < len(src) and src[end] in _QUANTIFIERS:
                end -= 1  # a quantifier applies to the last character alone
            if end > self.pos:
                items.append(_literal(src[self.pos:end]))
                self.pos = end
                continue
            items.append(self.quantified(self.atom()))
        return _sequence(items)

    def quantified(self, atom: Needs) -> Needs:
        bounds = self.quantifier()
        if bounds is None:
            return atom
        if self.peek() in ("?", "+"):  # lazy or possessive: the same strings match
            self.take()
        if self.peek() in ("*", "+", "?", "{"):
            raise Unsupported(f"quantifier after a quantifier at {self.pos} of {self.src!r}")
        return _repeat(atom, *bounds)

    def quantifier(self) -> tuple[int, int | None] | None:
        char = self.peek()
        if char in ("*", "+", "?"):
            self.take()
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        if char != "{":
            return None
        end = self.src.find("}", self.pos)
        low, comma, high = self.src[self.pos + 1:max(end, self.pos)].partition(",")
        if end < 0 or not (low or high) or not all(part.isdecimal() and part.isascii() for part in (low, high) if part):
            raise Unsupported(f"brace that is not a quantifier at {self.pos} of {self.src!r}")
        self.pos = end + 1
        if not comma:
            return int(low), int(low)
        return int(low or 0), (int(high) if high else None)

    def atom(self) -> Needs:
        char = self.take()
        if char == "(":
            return self.group()
        if char == "[":
            return self.char_class()
        if char == "\\":
            return self.escape()
        if char == ".":
            return _ANY
        if char in ("^", "$"):
            return _ZERO_WIDTH
        if char in _SPECIAL:
            raise Unsupported(f"unexpected {char!r} at {self.pos - 1} of {self.src!r}")
        return _char(char)

    def group(self) -> Needs:
        lookaround = False
        if self.peek() == "?":
            self.take()
            for opener, zero_width in ((":", False), ("i:", False), ("-i:", False), (">", False),
                                       ("=", True), ("!", True), ("<=", True), ("<!", True)):
                if self.src.startswith(opener, self.pos):
                    self.take(opener)
                    lookaround = zero_width
                    break
            else:
                raise Unsupported(f"group kind at {self.pos} of {self.src!r}")
        inner = self.alternation()
        self.take(")")
        return _ZERO_WIDTH if lookaround else inner

    def property_name(self) -> str:
        self.take("{")
        end = self.src.find("}", self.pos)
        if end < 0:
            raise Unsupported(f"unterminated property in {self.src!r}")
        name, self.pos = self.src[self.pos:end], end + 1
        return name

    def escape(self) -> Needs:
        """An escape outside a set: a class of characters, an assertion, or a literal character."""
        char = self.take()
        if char in _CLASS_INITIALS:
            return _class_initials(char)
        if char == "w":
            return _NO_TRACKED
        if char in "DSW":
            return _ANY
        if char in "bBAZ":
            return _ZERO_WIDTH
        if char in ("p", "P"):
            name = self.property_name()
            return _NO_TRACKED if char == "p" and name in _NO_TRACKED_PROPERTIES else _ANY
        if char == "n":
            return _chars("\n")
        if char == "t":
            return _chars("\t")
        if char.isalnum() or not char.isascii():
            raise Unsupported(f"escape \\{char} in {self.src!r}")
        return _chars(char)

    def char_class(self) -> Needs:
        """A set: the characters it lists when they are all single characters, else anything.

        A negated set forbids the tracked characters it lists, and all of them when it lists ``\\W``,
        ``\\D`` or ``\\S`` (each of which holds every tracked character).
        """
        negated = self.peek() == "^"
        if negated:
            self.take()
        listed: set[str] = set()
        categories: set[str] = set()  # escapes and ranges: sets of unlisted characters
        first_item = True
        while True:
            char = self.take()
            if char == "]" and not first_item:
                break
            first_item = False
            if char == "[":
                raise Unsupported(f"nested set in {self.src!r}")
            if char == "\\":
                escaped = self.take()
                if escaped in "dswDSW":
                    categories.add(escaped)
                    continue
                if escaped in ("p", "P"):
                    name = self.property_name()
                    categories.add("p" if escaped == "p" and name in _NO_TRACKED_PROPERTIES else "P")
                    continue
                if escaped.isalnum() or not escaped.isascii():
                    raise Unsupported(f"escape \\{escaped} in a set of {self.src!r}")
                char = escaped
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.take("-")
                end = self.take()
                if end in ("\\", "["):
                    raise Unsupported(f"range to an escape in {self.src!r}")
                categories.add("range")
                listed |= {c for c in TRACKED if char <= c <= end}
                continue
            listed.add(char)
        if negated:
            # [^...] matches no tracked character it lists; \W (every tracked character) forbids all.
            forbidden = TRACKED if categories & {"W", "D", "S"} else frozenset(TRACKED & listed)
            return Needs(None, None, (), forbidden)
        if categories:
            allowed_all = categories & {"D", "S", "W", "P"}
            known = _chars(listed).initials if listed else frozenset()
            initials = None if known is None or not categories <= set(_CLASS_INITIALS) else \
                known | {_CLASS_INITIALS[c] for c in categories}
            return Needs(None, None, (), frozenset() if allowed_all else frozenset(TRACKED - listed), 1, initials)
        return _chars(listed)


def needs(pattern: str) -> Needs:
    """The necessary conditions of a match of ``pattern`` (raises :class:`Unsupported`)."""
    return _Parser(pattern).parse()


def branches(pattern: str) -> list[str]:
    """Patterns whose fullmatches together are exactly ``pattern``'s: its top-level alternatives, and
    the alternatives of a group it opens with, each followed by the rest (``(?:a|b)c`` gives
    ``(?:a)c`` and ``(?:b)c``), split again in turn.

    Checks are derived per branch: a pattern that lists twenty phrases and one ``.{0,100}`` phrase
    has no prefix or clause as a whole, while each branch has its own.
    """
    top, inner, close = _bars(pattern)
    if top:
        bounds = [-1, *top, len(pattern)]
        return [b for lo, hi in pairwise(bounds) for b in branches(pattern[lo + 1:hi])]
    rest = pattern[close + 1:] if close is not None else ""
    if close is None or not inner or rest[:1] in ("*", "+", "?", "{"):
        return [pattern]
    bounds = [2, *inner, close]
    return [b for lo, hi in pairwise(bounds) for b in branches(f"(?:{pattern[lo + 1:hi]}){rest}")]


def _bars(pattern: str) -> tuple[list[int], list[int], int | None]:
    """Positions of the ``|`` at the top level, of those directly inside an opening ``(?:`` group,
    and of that group's closing parenthesis (None when the pattern opens no such group)."""
    top: list[int] = []
    inner: list[int] = []
    close: int | None = None
    opening = pattern.startswith("(?:")
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":  # a set: skip to its end (a "]" first in it, or escaped, is a member)
            i += 2 if pattern.startswith("[^", i) else 1
            i += 1 if pattern[i:i + 1] == "]" else 0
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and opening and close is None:
                close = i
        elif char == "|":
            if depth == 0:
                top.append(i)
            elif depth == 1 and opening and close is None:
                inner.append(i)
        i += 1
    return top, inner, close
