"""The rule catalogue: every rule's own examples and counterexamples, and the engine's evidence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import Config, CustomRule, RulesConfig
from dedup.errors import ConfigError
from dedup.model import Document
from dedup.pipeline import prepare
from dedup.rules import CATALOGUE, active_rules, matching_text

PATTERN_RULES = [r for r in CATALOGUE if not r.structural]
PROSE = ("Meta has officially unveiled Muse Spark, its latest artificial intelligence model, and the "
         "company says it is the first of many.")
PROSE2 = "The model is engineered for multimodal understanding, handling text, images, video, and audio."


def removed(text: str, config: Config | None = None) -> dict[str, str]:
    """line text -> rule, for the passages the rules remove from ``text``."""
    prep = prepare(Document("t.txt", text), config or Config())
    return {prep.passages[d.index].text: d.rule for d in prep.boilerplate}


def suspects(text: str) -> dict[str, str]:
    prep = prepare(Document("t.txt", text), Config())
    return {s.text: s.rule for s in prep.suspects}


def test_catalogue_names_are_unique_and_described() -> None:
    names = [r.name for r in CATALOGUE]
    assert len(names) == len(set(names))
    for rule in CATALOGUE:
        assert rule.description and rule.category
        if not rule.structural:
            assert rule.examples, f"{rule.name} has no positive examples"
            assert rule.counterexamples, f"{rule.name} has no negative examples"


@pytest.mark.parametrize(
    ("rule", "example"), [(r, e) for r in PATTERN_RULES for e in r.examples], ids=lambda v: getattr(v, "name", v)
)
def test_rule_matches_its_examples(rule, example) -> None:  # type: ignore[no-untyped-def]
    assert rule.matches(matching_text(example)), f"{rule.name} should match {example!r}"


@pytest.mark.parametrize(
    ("rule", "example"), [(r, e) for r in PATTERN_RULES for e in r.counterexamples],
    ids=lambda v: getattr(v, "name", v),
)
def test_rule_spares_its_counterexamples(rule, example) -> None:  # type: ignore[no-untyped-def]
    from dedup.passages import split

    words = split("t", example)[0].words
    assert not rule.matches(matching_text(example)) or words > rule.max_words, (
        f"{rule.name} would remove {example!r}"
    )


# ---- the engine: position, strength, structure --------------------------------------------------

def test_title_with_a_number_sign_keeps_it() -> None:
    text = f"AI: Meta's closed Muse Spark enters the arena. AI-RTZ #1052\n{PROSE}\n{PROSE2}\n"
    assert removed(text) == {}


def test_sentence_about_comments_and_tags_survives() -> None:
    text = (f"{PROSE}\nComments from users were mostly positive, and the company tagged the release as "
            f"experimental.\nTags are a useful way to organise posts, she said.\n{PROSE2}\n")
    assert removed(text) == {}


def test_weak_rule_needs_company_in_the_body() -> None:
    body = f"{PROSE}\nToggle\n{PROSE2}\n"
    assert removed(body) == {}
    with_widget = f"{PROSE}\nTable of contents\nToggle\n{PROSE2}\n"
    assert removed(with_widget) == {"Table of contents": "toc-header", "Toggle": "toc-toggle"}


def test_weak_rule_fires_in_the_head() -> None:
    assert removed(f"in\n\nA Title Here\n\n{PROSE}\n{PROSE2}\n") == {"in": "stray-fragment"}


def test_capitalised_single_word_is_not_a_stray() -> None:
    assert removed(f"In\n{PROSE}\n{PROSE2}\n") == {}


def test_tail_headlines_need_evidence() -> None:
    headlines = "Blood Rain: Stellar Blade's Slick Sequel Revealed\nReid Hoffman Leaves Microsoft Board\n"
    after_widget = f"{PROSE}\n{PROSE2}\nShare this article\n{headlines}"
    assert removed(after_widget) == {
        "Share this article": "share-bar",
        "Blood Rain: Stellar Blade's Slick Sequel Revealed": "tail-links",
        "Reid Hoffman Leaves Microsoft Board": "tail-links",
    }
    printed_twice = f"{PROSE}\n{PROSE2}\n{headlines}{headlines}"
    assert set(removed(printed_twice).values()) == {"tail-links"}
    alone = f"{PROSE}\n{PROSE2}\n{headlines}"
    assert removed(alone) == {}
    assert set(suspects(alone).values()) == {"tail-links"}


def test_closing_lists_of_content_are_kept() -> None:
    tour = ("Tour dates:\nJune 17 -- Bridgestone Arena, Nashville, TN\nJune 20 -- Coastal Credit Union Music "
            "Park at Walnut Creek, Raleigh, NC\n")
    assert removed(f"{PROSE}\n{PROSE2}\n{tour}") == {}


def test_single_sign_off_is_kept() -> None:
    sign_off = f"{PROSE}\n{PROSE2}\nStay tuned\n"
    assert removed(sign_off) == {}
    assert suspects(sign_off) == {"Stay tuned": "tail-links"}


def test_tail_bullet_list_is_kept_as_suspect() -> None:
    text = f"{PROSE}\n{PROSE2}\n- speed and agility\n- broad integration\n"
    assert removed(text) == {}
    assert set(suspects(text).values()) == {"tail-links"}


def test_list_under_related_header_goes_with_it() -> None:
    text = (f"{PROSE}\n{PROSE2}\nRelated Articles\nMeta debuts Muse Spark\nOpenAI readies Spud\n"
            "The end of the open model era?\n")
    got = removed(text)
    assert got["Related Articles"] == "related-header"
    assert got["Meta debuts Muse Spark"] == "list-after-header"
    assert got["OpenAI readies Spud"] == "list-after-header"


def test_related_header_list_stops_at_prose() -> None:
    text = f"{PROSE}\nRead more\n{PROSE2}\nThis is a short sentence.\n"
    got = removed(text)
    assert got == {"Read more": "related-header"}


def test_long_line_matching_a_rule_is_a_suspect_not_a_removal() -> None:
    note = ("(NOTE: The discussions here are for information purposes only, and not meant as investment "
            "advice at any time. Thanks for joining us here)")
    text = f"{PROSE}\n{PROSE2}\n{note}\n"
    assert removed(text) == {}
    assert suspects(text) == {note: "disclaimer"}


def test_repeated_title_at_the_bottom() -> None:
    text = f"My Great Title\n{PROSE}\n{PROSE2}\nMy Great Title\n"
    assert removed(text) == {"My Great Title": "repeated-title"}


def test_code_blocks_are_never_boilerplate() -> None:
    text = f"{PROSE}\n```\nComments\nShare\n```\n{PROSE2}\n"
    assert removed(text) == {}


def test_cap_protects_documents_that_are_mostly_widgets() -> None:
    text = "Comments\nLoading comments...\nShare this article\nA real short line\n"
    config = Config(rules=RulesConfig(max_removed_fraction=0.3))
    assert removed(text, config) == {}
    assert len(suspects(text)) >= 0  # the default cap lets the widgets go
    assert "Comments" in removed(text)


def test_disable_and_custom_rules() -> None:
    text = f"{PROSE}\nPowered by Acme CMS\nComments\n{PROSE2}\n"
    config = Config(rules=RulesConfig(disable=("comment-widget",), custom=(
        CustomRule(name="acme-footer", pattern=r"powered by \w+ cms"),)))
    assert removed(text, config) == {"Powered by Acme CMS": "acme-footer"}


def test_unknown_rule_name_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown rule 'no-such-rule'"):
        active_rules(Config(rules=RulesConfig(disable=("no-such-rule",))))


def test_bad_custom_pattern_is_an_error() -> None:
    with pytest.raises(ConfigError, match="rule 'broken'"):
        active_rules(Config(rules=RulesConfig(custom=(CustomRule(name="broken", pattern="(unclosed"),))))


def test_rules_are_language_aware() -> None:
    text = (f"{PROSE}\n{PROSE2}\nKommentare\nLesen Sie auch\nDas neue Modell von Meta im Test\n"
            "Newsletter abonnieren\n")
    got = removed(text)
    assert got["Kommentare"] == "comment-widget"
    assert got["Lesen Sie auch"] == "related-header"
    assert got["Newsletter abonnieren"] == "newsletter"


# ---- edge-run: short lines enclosed by removed widgets at the head or tail ----------------------


def test_edge_run_takes_an_unnamed_link_list_between_widgets() -> None:
    links = ["Blair: “The reason why we have said that we will have a”", "1. Howard: “The extent of it”"]
    text = "\n".join([PROSE, PROSE2, "Share this article", *links, "Privacy Policy"]) + "\n"
    found = removed(text)
    assert {line: found[line] for line in links} == {line: "edge-run" for line in links}


def test_edge_run_takes_a_byline_between_title_and_widget() -> None:
    text = "\n".join(["Harbour Bridge Approved", "Jane Doe", "Share this article", PROSE, PROSE2]) + "\n"
    found = removed(text)
    assert found.get("Jane Doe") == "edge-run"
    assert "Harbour Bridge Approved" not in found


def test_edge_run_keeps_lines_that_touch_prose() -> None:
    # A heading right above the first paragraph, closing lines right after the last one: not enclosed.
    head = "\n".join(["Harbour Bridge Approved", "Share this article", "What the council decided", PROSE, PROSE2])
    assert "What the council decided" not in removed(head + "\n")
    tail = "\n".join([PROSE, PROSE2, "June 17 -- Bridgestone Arena, Nashville", "June 19 -- Forum, Los Angeles",
                      "Share this article"])
    found = removed(tail + "\n")
    assert "June 17 -- Bridgestone Arena, Nashville" not in found and "June 19 -- Forum, Los Angeles" not in found


def test_edge_run_keeps_sentences_and_long_lines_between_widgets() -> None:
    closing = "The council will vote again in May."
    long_line = "a line of sixteen words that goes on and on about the bridge and the harbour and the town"
    text = "\n".join([PROSE, PROSE2, "Share this article", closing, long_line, "Privacy Policy"]) + "\n"
    found = removed(text)
    assert closing not in found and long_line not in found


def test_edge_run_never_acts_in_the_body() -> None:
    text = "\n".join([PROSE, "Advertisement", "The Reaction", "Share this article", PROSE2]) + "\n"
    assert "The Reaction" not in removed(text)


_LETTERISH = list("ab_ -.,Ab\u0301é1٣\u200b!ǅ")


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(_LETTERISH), max_size=12), st.text(st.sampled_from(_LETTERISH), max_size=12))
def test_same_letters_is_removing_the_non_letters_and_comparing(title: str, line: str) -> None:
    """repeated-title walks a line and the title's letters together instead of stripping every
    line; the answer must be the substitution's."""
    from dedup.rules import _NOT_LETTERS, _same_letters

    letters = _NOT_LETTERS.sub("", title)
    if letters:
        assert _same_letters(line, letters) == (_NOT_LETTERS.sub("", line) == letters)
        assert _same_letters(title, letters)
        assert _same_letters("« " + " - ".join(title) + " »", letters)  # the title with other separators


@settings(max_examples=300)
@given(st.text(st.sampled_from("-*•·▪►▸»› \u00a0\taZ1_.\uff0d\u2022"), max_size=12))
def test_matching_text_strips_bullets_as_the_anchored_pattern_does(text: str) -> None:
    """Only texts starting with a bullet character run the bullet pattern; the result must be
    the pattern's, also for characters NFKC folds into a bullet (a full-width hyphen)."""
    from dedup.normalize import soft_fold
    from dedup.rules import _BULLET

    assert matching_text(text) == str(_BULLET.sub("", soft_fold(text)))


_FOLDING = "-•* İißẞﬁ\u00a0\u0307ΣσςÅÆ\u212a  aZ.,(\uff0d"


@settings(max_examples=300)
@given(st.lists(st.text(st.sampled_from(_FOLDING), min_size=1, max_size=14), min_size=1, max_size=6))
def test_the_screen_reads_a_passages_folded_form_off_its_key(lines: list[str]) -> None:
    """The screen takes a passage's gate-folded matching text from its key when no bullet was cut:
    it must equal gate-folding the matching text, for bullets, dotted capitals (İ folds to i +
    U+0307), ß, ligatures, the Kelvin sign and spaces that folding collapses."""
    from dedup import prefilter
    from dedup.passages import split
    from dedup.rules import _gate_folded

    for passage in split("d", "\n\n".join(lines)):
        text = matching_text(passage.text)
        assert _gate_folded(passage, text) == prefilter.gate_fold(text), passage.text
