"""Hypothesis strategies shared by all property tests: documents and corpora that look like
extracted web text (prose lines, headings, widget lines, blank lines, repeated passages, odd
characters), so properties are exercised where the rules and the duplicate finder actually act."""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = [
    "model", "meta", "launch", "spark", "muse", "open", "source", "lab", "data", "compute", "team", "wang",
    "release", "users", "apps", "glasses", "privacy", "market", "billion", "investors", "reasoning", "coding",
    "benchmark", "agents", "scale", "research", "growth", "risk",
]

WIDGETS = [
    "Comments", "Loading comments...", "What do you think?", "Share this article", "#AI #Tech #News",
    "Table of contents", "Toggle", "Advertisement", "Sign up for our newsletter", "in", "Related Articles",
    "Photo: Jane Doe/Getty Images", "© 2026 Example Media. All rights reserved.", "Tags: AI, Meta",
]

ODD = ["’", "“", "”", "—", "‑", "é", "\u00a0", "â€™", "&amp;", "\t", "ﬁ", "中文", "\u200b"]


@st.composite
def sentence(draw: st.DrawFn, min_words: int = 3, max_words: int = 30) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=min_words, max_size=max_words))
    text = " ".join(words)
    if draw(st.booleans()):
        text = text[:1].upper() + text[1:] + draw(st.sampled_from([".", "?", "!", "", ":"]))
    if draw(st.integers(0, 6)) == 0:
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(st.sampled_from(ODD)) + text[pos:]
    return text


@st.composite
def document(draw: st.DrawFn, pool: list[str] | None = None) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 14))):
        choice = draw(st.integers(0, 9))
        if choice <= 4:
            lines.append(draw(sentence(8, 40)))
        elif choice == 5:
            lines.append(draw(sentence(1, 6)))
        elif choice == 6:
            lines.append(draw(st.sampled_from(WIDGETS)))
        elif choice == 7:
            lines.append("")
        elif choice == 8 and lines:
            lines.append(draw(st.sampled_from(lines)))
        elif pool:
            lines.append(draw(st.sampled_from(pool)))
        else:
            lines.append(draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = newline.join(lines)
    if draw(st.booleans()):
        text += newline
    return text


@st.composite
def corpus(draw: st.DrawFn) -> dict[str, str]:
    """A few documents that share some passages (syndicated copies)."""
    pool = draw(st.lists(sentence(8, 30), min_size=1, max_size=4))
    n = draw(st.integers(1, 4))
    return {f"doc{i:02d}.txt": draw(document(pool)) for i in range(n)}
