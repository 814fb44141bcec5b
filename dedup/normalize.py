"""Repairing damaged text, and the folded keys that comparisons run on.

Two ideas keep the author's text intact:

* Repairs fix damage only. ftfy's defaults also rewrite healthy typography (curly quotes become
  straight, ligatures split, full-width letters narrowed, Unicode re-normalised); those steps are
  turned off below, so "Blade’s" stays "Blade’s" in the output. Each repair is proposed as a
  :class:`Change` over the smallest span that changed, with the original characters kept.
* Comparisons never look at raw text. :func:`fold` builds a key (NFKC, casefold, one kind of quote
  and dash, no zero-width characters, collapsed whitespace) so that "Blade's" and "Blade’s", or a
  title with a non-breaking hyphen and one without, compare equal.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from typing import Any

import ftfy
import numpy as np
import regex
from ftfy.badness import BADNESS_RE

from .arrays import distinct
from .model import Change, Document

_UNIFY = {
    **dict.fromkeys("‘’‚‛′`´ʼ", "'"),
    **dict.fromkeys("“”„‟″«»〝〞＂", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃﹘﹣－", "-"),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
}
#: (character, replacement) pairs. ``str.translate`` looks every character of a non-ASCII string up
#: in a dict; a C-level ``in`` and ``replace`` per pair is several times faster on ordinary text, where
#: most pairs are absent, and gives the same string (no replacement produces another pair's character).
_UNIFY_PAIRS = tuple(_UNIFY.items())
_WORD = re.compile(r"\w+")
@lru_cache(maxsize=65536)
def soft_fold(text: str) -> str:
    """NFKC, unified quotes and dashes, collapsed whitespace; case is kept (rules need it).

    ``" ".join(s.split())`` collapses and strips exactly the characters ``\\s`` and ``strip`` do
    (both use Python's ``str.isspace``). It builds a string per word, and splitting was two thirds
    of the cost of folding a paragraph, so it runs only when there may be whitespace to collapse.
    Every whitespace character but " " is unprintable (tests/test_normalize.py checks all of them),
    so a printable text without two spaces in a row or a space at either end has none; these checks
    are C loops that allocate nothing (a regex search for the same took as long as splitting).
    A hard-wrapped paragraph holds line breaks: with each one made a space it usually passes the
    same checks, and is then what splitting and joining would give (the planted corpus's wrapped
    paragraphs: 18.6 us each instead of 31.6).
    """
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        for char, replacement in _UNIFY_PAIRS:
            if char in text:
                text = text.replace(char, replacement)
    elif "`" in text:  # the one ASCII character unified (an ASCII text skips the other checks)
        text = text.replace("`", "'")
    if _single_spaced(text):
        return text
    if "\n" in text:
        spaced = text.replace("\n", " ")
        if _single_spaced(spaced):
            return spaced
    return " ".join(text.split())


def _single_spaced(text: str) -> bool:
    """Whether ``text`` has no whitespace but single spaces between other characters (so
    ``" ".join(text.split())`` would return it as it is)."""
    return printable(text) and "  " not in text and text[:1] != " " and text[-1:] != " "


#: The printable Latin-1 characters, for ``bytes.translate`` to delete.
_LATIN1_PRINTABLE = bytes(c for c in range(256) if chr(c).isprintable())


def printable(text: str) -> bool:
    """``text.isprintable()``, faster on Latin-1 text.

    ``isprintable`` looks each character up in the Unicode database; whether a character is
    printable is a property of the character alone, so deleting the printable ones from the Latin-1
    bytes and finding none left gives the same answer with one table lookup a byte: 0.58 us against
    0.92 us a paragraph of the planted corpus (44 % of them ASCII).
    """
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return text.isprintable()
    return not data.translate(None, _LATIN1_PRINTABLE)


def fold(text: str) -> str:
    """The comparison key: :func:`soft_fold` plus :func:`casefold`."""
    return casefold(soft_fold(text))


#: The Latin-1 characters whose casefolding is not their lowercase (and no lowercase is them).
_LATIN1_CASEFOLDS = (("ß", "ss"), ("µ", "μ"))
#: Each Latin-1 byte's lowercase, for ``bytes.translate`` (a Latin-1 letter's lowercase is Latin-1).
_LATIN1_LOWER = bytes(ord(chr(c).lower()) for c in range(256))


def casefold(text: str) -> str:
    """``str.casefold``, faster on the text most corpora hold.

    ``lower`` is per character too, and the same on every Latin-1 character but two, which are
    replaced after it. ``casefold`` is slower even on ASCII text, which the rule screen folded with
    it: on the paragraphs of the planted corpus this took 1.5 us on average against 2.4 (2.3
    against 2.5 on those with accents), and rules and keys fold every paragraph. Other text is
    casefolded.

    ``lower`` of a non-ASCII string looks every character up in the Unicode database; a Latin-1
    text is lowered through its bytes instead, by one ``bytes.translate`` with a 256-byte table: on
    the soft-folded paragraphs of the planted corpus (55 % of them Latin-1 with accents) 1.2 us on
    average against 2.4.
    """
    if text.isascii():
        return text.lower()
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return text.casefold()
    folded = data.translate(_LATIN1_LOWER).decode("latin-1")
    for char, replacement in _LATIN1_CASEFOLDS:
        if char in folded:
            folded = folded.replace(char, replacement)
    return folded


#: For the code points up to U+00FF: the byte itself where ``\\w`` matches it, else a space.
_LATIN1_WORDS = bytes(c if _WORD.fullmatch(chr(c)) else 0x20 for c in range(256))


@lru_cache(maxsize=4096)
def words(key: str) -> tuple[str, ...]:
    """The word tokens (``\\w+``) of a folded key, shared rather than recomputed.

    The planner shingles the keys of every document it compares. A key written in Latin-1
    characters (English and most Western European text) is split by a byte table instead of the
    regex: whether ``\\w`` matches is a property of each character, so turning every other one
    into a space and splitting on spaces gives the same words, about six times faster.
    """
    try:
        data = key.encode("latin-1")
    except UnicodeEncodeError:
        return tuple(_WORD.findall(key))
    return tuple(data.translate(_LATIN1_WORDS).decode("latin-1").split())


#: ftfy settings that repair damage but keep healthy typography, with why each is off.
FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,  # curly quotes are the author's typography, not damage
    fix_latin_ligatures=False,  # "ﬁ" is a valid character; comparisons fold it via NFKC instead
    fix_character_width=False,  # full-width letters are valid text in CJK documents
    normalization=None,  # re-normalising would rewrite every precomposed character
    fix_line_breaks=False,  # CRLF and U+2028 are not damage, and line structure must not move
    explain=True,
)

#: ftfy step → the repair rule name used in the change log.
_STEP_RULES = {
    "unescape_html": "repair-html-entities",
    "remove_terminal_escapes": "repair-control-characters",
    "remove_control_chars": "repair-control-characters",
    "fix_surrogates": "repair-surrogates",
}

#: The repair rules, documented in the README like the boilerplate catalogue.
REPAIR_RULES: dict[str, str] = {
    "repair-mojibake": "text decoded with the wrong encoding (\"â€™\" for \"’\"), fixed by ftfy",
    "repair-html-entities": "HTML entities left in plain text (\"&amp;\", \"&#8217;\"), unescaped",
    "repair-control-characters": "terminal escapes and invisible control characters, removed",
    "repair-surrogates": "UTF-16 surrogate pairs in decoded text, joined",
    "repair-encoding": "a file that is not UTF-8 (e.g. cp1252, UTF-16 with BOM); recorded so restore can re-encode",
}

_ENTITY = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u206a-\u206f\ufeff\ufff9-\ufffc"
                      r"\ud800-\udfff\U000e0000-\U000e007f]")


#: Every match of ftfy's badness pattern is at most this long and holds a non-ASCII character, and
#: the pattern has no end anchor (tests/test_normalize.py checks all three against installed ftfy).
BAD_WIDTH = 7
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
#: Every match of ftfy's badness pattern holds two adjacent non-ASCII characters or one of these
#: (tests/test_normalize.py derives the set from installed ftfy's pattern).
LONE_BAD = r"\x80-\x9fŒœÂÃ"  # a character class body
#: What every match of ftfy's badness pattern holds, in two parts: ``regex`` scans for a pair of
#: non-ASCII characters about seven times faster than ``re``, which is faster for the rest (one
#: ``re`` pattern for both took 8.5 us a line of non-ASCII prose, the two searches 2.7 us).
_PAIR = regex.compile(r"[^\x00-\x7f]{2}")
_LONE = re.compile(f"[{LONE_BAD}]")


def _prose_weight(code: int) -> int:
    """How common a character is in healthy prose, roughly: a trigger is chosen to avoid these.

    ASCII letters, digits and spaces are everywhere; lower-case letters of other alphabets (é, ж,
    λ) and the usual quotes and dashes are common; capitals with diacritics (É, Ä, Ж) rarer;
    symbols (¦, ¤, ±, ™, box drawing) are what mojibake is made of.
    """
    char = chr(code)
    if code < 0x80:
        return 100 if char.isalnum() or char.isspace() else 10
    if char in "\u201c\u201d\u2018\u2019\u00ab\u00bb\u2013\u2014\u2026\u00a0":
        return 10
    if char.isalpha():
        return 10 if char.islower() else 3
    return 0


def _single_chars(op: Any, arg: Any, parser: Any) -> frozenset[int] | None:
    """The characters a mandatory one-character item of a parsed pattern matches, else None."""
    if op is parser.LITERAL:
        return frozenset({arg})
    if op is parser.IN:
        found: set[int] = set()
        for o, a in arg:
            if o is parser.LITERAL:
                found.add(a)
            elif o is parser.RANGE and a[1] - a[0] < 0x1000:
                found.update(range(a[0], a[1] + 1))
            else:  # a negated class or a category (\w): not a short list of characters
                return None
        return frozenset(found)
    if op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and arg[0] >= 1 and len(arg[2].data) == 1:
        inner_op, inner_arg = arg[2].data[0]
        return _single_chars(inner_op, inner_arg, parser)
    return None


@lru_cache(maxsize=1)
def bad_trigger() -> Any:
    """A character class such that every match of ftfy's badness pattern holds one of its
    characters, derived from the installed ftfy's pattern (None if its shape is not understood).

    Each branch of the pattern is a sequence of items; one item that every match of the branch
    must pass is picked per branch, the one whose characters are rarest in prose
    (:func:`_prose_weight`), and the class is the union of the picks. A line without any of them
    cannot match, so one C-level scan clears it, and a line with some is searched only around
    them: Russian, Greek or German prose is mostly letters that no pick contains, where searching
    around every non-ASCII character covered the whole line at about 0.2 us a character.
    """
    if sys.version_info >= (3, 11):
        import re._parser as parser
    else:  # pragma: no cover - Python 3.10
        import sre_parse as parser
    parsed: Any = parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    if len(parsed.data) != 1 or parsed.data[0][0] is not parser.BRANCH:
        return None
    picked: set[int] = set()
    for branch in parsed.data[0][1][1]:
        items = [chars for op, arg in branch.data if (chars := _single_chars(op, arg, parser)) is not None]
        if not items:
            return None
        picked |= min(items, key=lambda chars: (sum(map(_prose_weight, chars)), len(chars)))
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(picked)) + "]")


def is_bad(line: str) -> bool:
    """``ftfy.badness.is_bad(line)``, searching only within ``BAD_WIDTH`` of the characters that
    every match must hold (:func:`bad_trigger`; any non-ASCII character if it is not derived).

    ftfy tries its pattern at every position of the line, at about 0.2 us a character; English
    prose has a few curly quotes per line, Russian or German prose a few capitals the trigger names,
    so this is several times faster. Exact: a match lies within a window around a character it
    contains, ``search(line, pos, endpos)`` never lets ``^`` match at ``pos`` > 0, and the pattern
    has no assertion that could see the window's end.

    Before that, one C-level search rules out most lines with accented letters: a match needs two
    non-ASCII characters side by side or one of ``LONE_BAD``, and German, Spanish or Dutch prose
    mostly has its ä, ñ and ë between ASCII letters, so it never reaches the windows.
    """
    if not (_LONE.search(line) or _PAIR.search(line)):
        return False
    trigger = bad_trigger()
    windows: list[list[int]] = []
    for m in (trigger or _NON_ASCII).finditer(line):
        lo, hi = max(0, m.start() - BAD_WIDTH + 1), m.end() + BAD_WIDTH - 1
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    return any(BADNESS_RE.search(line, lo, hi) for lo, hi in windows)


def _may_need_repair(line: str) -> bool:
    """A cheap filter in front of ftfy: only entities, control characters, surrogates or text that
    ftfy's own heuristic finds "bad" (possible mojibake) can change; ftfy itself re-decodes nothing
    that ``is_bad`` clears, so healthy non-ASCII text (German, Spanish, CJK) skips the full pass."""
    if _ENTITY.search(line) or _CONTROL.search(line):
        return True
    return not line.isascii() and is_bad(line)


def _to_line_end(pattern: Any) -> Any:
    """``pattern`` and then the rest of its line, compiled by the same module (``re`` or ``regex``)."""
    return (regex if isinstance(pattern, regex.Pattern) else re).compile(f"(?:{pattern.pattern})[^\n]*")


#: Each pattern :func:`_may_need_repair` looks for, then the rest of its line: one match per line, so
#: a Russian or Chinese text (a pair of non-ASCII characters at every position) gives one spot per
#: line rather than thousands.
_SPOT_PATTERNS = tuple(_to_line_end(p) for p in (_ENTITY, _CONTROL, _PAIR, _LONE))


@lru_cache(maxsize=1)
def _spot_chars() -> tuple[Any, Any] | None:
    """The characters :func:`_spots` looks for, as a flag per BMP code point (and one more, False,
    that every astral code point is looked up at) and the pattern that the flags were read from
    (for astral characters); None when :func:`bad_trigger` is not derived.

    Control characters and trigger characters, one pattern each, cost a regex scan each, about
    3 ns a character of a non-ASCII text; encoding the text to code points and one table lookup
    per code point cost less than both scans together (about 19 us instead of 35-65 us for a 5 KB
    document). The table is read off the patterns themselves (one scan of every BMP character), so
    it says exactly what they say.
    """
    trigger = bad_trigger()
    if trigger is None:
        return None
    pattern = re.compile(f"{_CONTROL.pattern}|{trigger.pattern}")
    table = np.zeros(0x10001, dtype=bool)
    every = np.arange(0x10000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    table[[m.start() for m in pattern.finditer(every)]] = True
    return table, pattern


def _spots(text: str) -> list[int]:
    """Offsets in ``text`` of what :func:`_may_need_repair` looks for, one in each line that holds
    any: no match of its patterns spans a line break or depends on what lies beyond it, so a line
    holds one within the whole text exactly when it holds one alone.

    Control and trigger characters are found by a table lookup over the text's code points
    (:func:`_spot_chars`), entities by their pattern where there is an ampersand at all. The
    lookup reads the encoded text in place with ``take(mode="clip")``: a copy of the code points
    and a separate clamp of the astral ones made it cost twice as much (18 instead of 10 us for a
    5 KB document).
    """
    chars = _spot_chars()
    if chars is None:
        patterns = _SPOT_PATTERNS[:2] if text.isascii() else _SPOT_PATTERNS
        return sorted({m.start() for pattern in patterns for m in pattern.finditer(text)})
    table, pattern = chars
    # Read in place (no copy): a code point above the table, astral, is looked up at its last
    # entry, False, and checked against the pattern below.
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    flags = table.take(points, mode="clip")  # the methods, not np.take/np.flatnonzero: 2 us less a document
    if len(points) and int(points.max()) > 0xFFFF:
        astral = np.flatnonzero(points > 0xFFFF)
        for point in distinct(points[astral]).tolist():
            if pattern.fullmatch(chr(point)):
                flags[astral[points[astral] == point]] = True
    found = flags.nonzero()[0]
    if "&" in text:
        found = distinct(np.concatenate([found, np.array([m.start() for m in _SPOT_PATTERNS[0].finditer(text)],
                                                         dtype=np.int64)]))
    if len(found) > _FEW_SPOTS:
        line = np.searchsorted(np.flatnonzero(points == 10), found)
        found = found[np.r_[True, line[1:] != line[:-1]]]
        spots: list[int] = found.tolist()
        return spots
    spots = []
    line_end = -1
    for spot in found.tolist():
        if spot > line_end:
            spots.append(spot)
            line_end = text.find("\n", spot)
            if line_end < 0:
                break
    return spots


#: Up to this many characters to look at, :func:`_spots` finds the first of each line by searching
#: for line breaks from them; more (a Cyrillic text) are placed on lines with array operations.
_FEW_SPOTS = 64


def _rule_for(steps: list[tuple[str, str]]) -> str:
    """The rule that names a repair; re-decoding (mojibake) wins when several steps ran."""
    rules = {_STEP_RULES.get(name, "repair-mojibake") if action == "apply" else "repair-mojibake"
             for action, name in steps}
    if not rules or "repair-mojibake" in rules:
        return "repair-mojibake"
    return sorted(rules)[0]


@lru_cache(maxsize=1)
def _ftfy_control_chars() -> Any:
    """A pattern matching exactly the characters ftfy's ``remove_control_chars`` translates
    (the keys of the installed ftfy's ``chardata.CONTROL_CHARS``), or None if it has no such table."""
    table = getattr(getattr(ftfy, "chardata", None), "CONTROL_CHARS", None)
    if not isinstance(table, dict) or not table or not all(isinstance(c, int) for c in table):
        return None
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]")


@lru_cache(maxsize=4)
def _without_control_chars(own: Any) -> Any:
    """ftfy's ``remove_control_chars`` (``own``), which returns a text with none of them as it is.

    ``str.translate`` looks every character up in ftfy's table, about 29 us for a 550-character
    paragraph, and ftfy runs it at least twice per repaired line; one C-level search finds that
    there is nothing to remove in about a tenth of that. Same result: translating a text that
    holds no key of the table changes nothing.
    """
    pattern = _ftfy_control_chars()

    def remove_control_chars(text: str) -> str:
        if pattern is not None and not pattern.search(text):
            return text
        fixed: str = own(text)
        return fixed

    return remove_control_chars


def _fix_and_explain(line: str) -> tuple[str, Any]:
    """``ftfy.fix_and_explain`` with two faster stand-ins lent to ftfy while it runs: this module's
    :func:`is_bad` for its own, and :func:`_without_control_chars` for its control-character fixer.

    A line with mojibake is a whole paragraph, and ftfy searches all of it with its badness
    pattern at every step of its loop (twice or more per line repaired, at about 0.2 us a
    character): lending it the windowed check took about 40 % off repairing the planted benchmark
    corpus (1,096 repaired lines in its first 3,000 documents), and the control-character check
    about a third of what was left. Each stand-in gives the same answer for every text
    (tests/test_normalize.py checks them against ftfy's on generated text, and the pre-checks'
    assumptions against ftfy's pattern and table), so the repair is the same. ftfy calls ``is_bad``
    by its module-level name and its fixers through its ``FIXERS`` table; both are swapped for the
    call and put back after it (even when the call raises), so code outside the call sees ftfy's
    own. If an ftfy release stops calling them that way, the swap does nothing and ftfy runs its own.
    """
    own_bad = getattr(ftfy, "is_bad", None)
    fixers = getattr(ftfy, "FIXERS", None)
    own_control = fixers.get("remove_control_chars") if isinstance(fixers, dict) else None
    if own_bad is not None:
        setattr(ftfy, "is_bad", is_bad)  # noqa: B010 - a module attribute ftfy does not export
    if own_control is not None:
        fixers["remove_control_chars"] = _without_control_chars(own_control)  # type: ignore[index]
    try:
        return ftfy.fix_and_explain(line, config=FTFY_CONFIG)
    finally:
        if own_bad is not None:
            setattr(ftfy, "is_bad", own_bad)  # noqa: B010
        if own_control is not None:
            fixers["remove_control_chars"] = own_control  # type: ignore[index]


def repair_line(line: str) -> tuple[str, str, str] | None:
    """The repaired line, its rule and the ftfy steps, or None when the line is healthy."""
    if not _may_need_repair(line):
        return None
    fixed, explanation = _fix_and_explain(line)
    if fixed == line or "\n" in fixed or "\r" in fixed:
        return None
    steps = [(a, str(n)) for a, n in (explanation or [])]
    reason = ", ".join(f"{a} {n}" for a, n in steps) or "ftfy"
    return fixed, _rule_for(steps), reason


def common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of ``a`` and ``b``.

    Found by halving with slice comparisons (C loops) rather than a Python loop per character: a
    repaired line's first change is often far into it (the loop cost about 5 us a document).
    """
    low, high = 0, min(len(a), len(b))  # a[:low] == b[:low]; the prefix is no longer than high
    while low < high:
        mid = (low + high + 1) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def common_suffix(a: str, b: str, limit: int) -> int:
    """The length of the longest common suffix of ``a`` and ``b``, at most ``limit``."""
    return max(0, min(limit, common_prefix(a[::-1], b[::-1])))


def propose_repairs(document: Document) -> list[Change]:
    """One change per repaired line, over the smallest span that differs.

    Only the lines where a few searches over the whole text find something to look at (an entity, a
    control character, possible mojibake) are taken apart: most lines of most documents hold none,
    and the searches cost less than splitting the text and testing each line in Python.
    """
    changes: list[Change] = []
    if document.encoding != "utf-8":
        changes.append(
            Change(doc=document.doc, kind="repair", rule="repair-encoding", start=0, end=0, text="",
                   reason=f"file is not UTF-8; decoded as {document.encoding}, written as UTF-8",
                   line=1, encoding=document.encoding)
        )
    text = document.text
    counted = 0  # the start of the line after the last one taken apart
    number = 1  # the number of that line
    for spot in _spots(text):
        if spot < counted:
            continue
        offset = text.rfind("\n", 0, spot) + 1
        end = text.find("\n", spot)
        end = len(text) if end < 0 else end
        number += text.count("\n", counted, offset)
        counted = end + 1
        line = text[offset:end]
        content = line[:-1] if line.endswith("\r") else line
        repaired = repair_line(content)
        if repaired is not None:
            fixed, rule, reason = repaired
            pre = common_prefix(content, fixed)
            post = common_suffix(content, fixed, min(len(content), len(fixed)) - pre)
            changes.append(
                Change(doc=document.doc, kind="repair", rule=rule, start=offset + pre,
                       end=offset + len(content) - post, text=content[pre:len(content) - post],
                       replacement=fixed[pre:len(fixed) - post], reason=reason, line=number)
            )
        number += 1
    return changes
