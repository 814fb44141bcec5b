"""The main text block of a whole page rendered as plain text (menus, footers and comments around it).

``extracted_text`` has had its page furniture cut away by an HTML extractor; a whole page converted
to text has not: the article is one stretch of lines among menus, link lists, footers and comment
threads. Without the HTML, the classic signals that are left are those jusText and the Body Text
Extraction method use: a paragraph of running text is long, reads as sentences and is dense in
function words ("the", "of", "und", "que"); menu items, headlines of other articles, dates and
bylines are short and sparse in them. Each passage gets a score (positive for running text,
negative for short or sparse lines and for lines the rules already removed) and the contiguous run
of passages with the highest total is the page's body (the maximum-sum subarray, as in Body Text
Extraction). Short lines inside it (headings, captions) stay; everything before and after it goes.

This is a different question from the rest of the catalogue (is this line a widget?), and a wrong
answer costs a whole article, so it is off by default: rule ``page-body``, turned on with
``rules.enable = ["page-body"]`` or ``--enable-rule page-body``, for input that is whole pages.
When no passage reads as running text, nothing is removed.

The function-word lists are short lists of the most common articles, pronouns, prepositions,
conjunctions and auxiliaries of each language, written for this module; the language of a page is
the list with the most hits. Scripts without spaces (Chinese, Japanese) are measured in characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import regex

from .model import Passage
from .rules import ends_sentence, matching_text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words("""a about after all also an and are as at be been but by can could did do does for from had
        has have he her his how i if in into is it its more my no not of on one or our out she so than that
        the their them then there these they this to up was we were what when which who will with would you
        your"""),
    "de": _words("""aber als am an auch auf aus bei bis das dass daß dem den der des die dies diese dieser doch
        du durch ein eine einem einen einer eines er es für hat hatte ich ihr im in ist ja kann man mit nach
        nicht noch nur oder sich sie sind so um und uns von vor war wie wir wird wurde zu zum zur über"""),
    "fr": _words("""a au aux avec ce ces cette dans de des du elle en est et il ils je la le les leur mais me
        même ne nous on ou par pas plus pour qu que qui sa se ses son sont sur un une vous été être a"""),
    "es": _words("""a al como con de del el ella en es esta este fue ha hay la las le lo los más no nos o para
        pero por que se ser si sin sobre son su sus también un una y ya"""),
    "pt": _words("""a ao aos as com como da das de do dos e ela ele em entre foi há isso mais mas na nas não no
        nos o os ou para pela pelo por que se sem ser seu sua são também um uma você é"""),
    "it": _words("""a al alla anche che ci come con da dal del della di e gli ha ho i il in la le lo ma mi ne
        nel nella non per più se si sono su sua suo un una è"""),
    "nl": _words("""aan al als bij dan dat de die dit door een en er haar het hij hoe ik in is je maar met naar
        niet nog of om ook op over te tot uit van voor was wat we wel wij zijn ze zich zo"""),
    "id": _words("""ada adalah agar akan anda atau bahwa bagi bisa dalam dan dari dengan di dia harus hanya
        ini itu jangan jika juga kalau kami karena ke kita lebih maka mereka namun oleh pada saja saya sangat
        sebagai seperti sudah telah tersebut tetapi tidak untuk yang"""),
    "ru": _words("""а без бы был была были было в вы для до его ее её если же за и из или их к как когда
        который мы на не но о об он она они от по при с так также то только у что это я"""),
}

_WORD = regex.compile(r"\w+")
_DIGIT = regex.compile(r"\d")
_COUNT = regex.compile(r"\s*[(\[]\d[\d,.]*[)\]]\s*$")
_WIDE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")


@dataclass(frozen=True)
class BlockConfig:
    """Weights of the body-block score (chosen on the development pages of web-articles-dev)."""

    good_words: int = 15  # a passage this long (in words) may be running text
    good_density: float = 0.3  # ... when at least this share of its words are function words (jusText: 0.30)
    long_words: int = 30  # ... and either ends like a sentence or is this long (headlines do not end so)
    typical_density: float = 0.35  # function-word share of running text the thresholds are set for
    near_words: int = 8  # shorter sentences count when they end like one
    near_density: float = 0.2
    near_weight: float = 0.5
    short_cost: float = 3.0  # every other passage costs this ...
    word_cost: float = 0.5  # ... plus this per word
    removed_cost: float = 5.0  # a passage the rules removed
    table_run: int = 3  # this many consecutive lines holding a number are table rows ...
    row_score: float = 1.0  # ... which count a little towards a block instead of against it
    min_score: float = 20.0  # a body must score at least this, or nothing is removed
    thread_after: float = 100.0  # a comment widget after this much running text opens the thread


def _measure(text: str) -> tuple[list[str], int]:
    """Lower-cased word tokens, and the length in words (wide characters count half a word each)."""
    tokens = _WORD.findall(text.casefold())
    wide = len(_WIDE.findall(text))
    if wide:
        return tokens, len([t for t in tokens if not _WIDE.search(t)]) + wide // 2
    return tokens, len(tokens)


def language(passages: Sequence[Passage], long_words: int) -> tuple[frozenset[str] | None, float]:
    """The function-word list with the most hits over the page's long passages, and their share of
    the words of those passages; (None, 0) when no list fits the page."""
    counts = dict.fromkeys(FUNCTION_WORDS, 0)
    total = 0
    for p in passages:
        tokens = _WORD.findall(p.key)
        if len(tokens) < long_words:
            continue
        total += len(tokens)
        for name, words in FUNCTION_WORDS.items():
            counts[name] += sum(1 for t in tokens if t in words)
    best = max(counts, key=lambda k: (counts[k], k))
    share = counts[best] / total if total else 0.0
    return (FUNCTION_WORDS[best], share) if share >= 0.08 else (None, 0.0)


def scores(passages: Sequence[Passage], removed: set[int], config: BlockConfig,
           comments: AbstractSet[int] = frozenset(), measured: Sequence[Passage] | None = None) -> list[float]:
    """Each passage's contribution to a body block: positive for running text, negative otherwise.

    ``comments`` are the positions of comment-section widgets the rules removed ("34 responses to
    ...", "Leave a reply"): the first one after a good deal of running text (not a "Comment"
    button under the standfirst) opens the comment thread, whose posts read as running text too
    but are not the article, so from there on nothing counts as text. Runs of lines that each hold
    a number (table rows) count a little for a block, since articles hold tables. The language
    and its function-word share are measured on ``measured`` (default: all passages).
    """
    words, share = language(passages if measured is None else measured, config.good_words)
    # Short lists cover less of some languages' running text: the thresholds scale down with the page.
    scale = min(1.0, share / config.typical_density) if words else 1.0
    good_density, near_density = config.good_density * scale, config.near_density * scale
    table = _table_rows(passages, removed, config)
    out: list[float] = []
    text_so_far = 0.0
    thread = False
    for i, p in enumerate(passages):
        tokens, n = _measure(p.text)
        if i in comments and text_so_far >= config.thread_after:
            thread = True
        if i in removed or thread:
            out.append(-config.removed_cost - config.word_cost * n)
            continue
        density = (sum(1 for t in tokens if t in words) / len(tokens) if tokens else 0.0) if words else 1.0
        sentence = ends_sentence(matching_text(p.text))
        if n >= config.good_words and density >= good_density and (sentence or n >= config.long_words):
            out.append(float(n))
            text_so_far += n
        elif n >= config.near_words and sentence and density >= near_density:
            out.append(n * config.near_weight)
            text_so_far += n * config.near_weight
        elif i in table:
            out.append(config.row_score)
        else:
            out.append(-config.short_cost - config.word_cost * n)
    return out


def _table_rows(passages: Sequence[Passage], removed: set[int], config: BlockConfig) -> set[int]:
    """Positions in runs of at least ``table_run`` consecutive passages that hold a number: the rows
    of a table or a dated list (results, standings, tour dates), which an article may hold. Menus
    and link lists rarely carry a number on every line; a trailing count ("Politics (12)") is
    not one."""
    rows: set[int] = set()
    run: list[int] = []
    for i, p in enumerate([*passages, None]):
        if p is not None and i not in removed and _DIGIT.search(_COUNT.sub("", p.text)) \
                and p.words <= config.long_words:
            run.append(i)
            continue
        if len(run) >= config.table_run:
            rows.update(run)
        run = []
    return rows


def body(passages: Sequence[Passage], removed: set[int], config: BlockConfig | None = None,
         comments: AbstractSet[int] = frozenset()) -> range | None:
    """The positions of the page's body block in ``passages``, or None when no block qualifies.

    The block is chosen twice: the second time with the function-word share measured on the first
    block only, so that the long menus and footers around it do not set the thresholds. A second
    run over the output then measures the same passages and keeps the same block.
    """
    config = config or BlockConfig()
    span = _best_run(scores(passages, removed, config, comments), config)
    if span is None:
        return None
    inside = [p for i, p in enumerate(passages) if i in span and i not in removed]
    return _best_run(scores(passages, removed, config, comments, inside), config) or span


def _best_run(values: Sequence[float], config: BlockConfig) -> range | None:
    """The contiguous run with the highest total (Kadane), if it reaches ``config.min_score``."""
    best, current, start, span = 0.0, 0.0, 0, None
    for i, s in enumerate(values):
        if current <= 0:
            current, start = s, i
        else:
            current += s
        if current > best:
            best, span = current, (start, i + 1)
    if span is None or best < config.min_score:
        return None
    return range(*span)
