"""Rule page-body (off by default): on a whole page rendered as text, only the main text block stays."""

from __future__ import annotations

from dataclasses import replace

from dedup.config import Config, RulesConfig
from dedup.model import Document
from dedup.pipeline import prepare

PAGE = replace(Config(), rules=RulesConfig(enable=("page-body",)))

PARAGRAPHS = [
    "The harbour council voted on Tuesday to approve the new bridge, ending a debate that has divided the "
    "town for more than a decade and cost two mayors their jobs.",
    "Supporters say the bridge will cut the drive to the hospital by twenty minutes, while opponents argue "
    "that the money would be better spent on the ferry, which has served the island since 1952.",
    "The vote was close. Four members backed the plan and three were against it, with the chair casting the "
    "deciding vote after a session that ran late into the evening.",
    "Construction is expected to begin next spring, and the council said it would publish the full contract "
    "and the costs of the project on its website before the end of the month.",
]
MENU = ["Home", "News", "Sport", "Weather", "Business", "Culture", "Travel", "Search"]
FOOTER = ["About us", "Contact", "Careers", "Advertise with us", "Terms of use", "Privacy Policy",
          "© 2026 Harbour Times"]
LINKS = ["Ferry timetable changes for the winter season", "Island school wins national science prize",
         "Mayor opens new library wing on Main Street"]


def kept(lines: list[str], config: Config = PAGE) -> list[str]:
    text = "\n".join(lines) + "\n"
    prep = prepare(Document("page.txt", text), config)
    gone = {d.index for d in prep.boilerplate}
    return [p.text for p in prep.passages if p.index not in gone]


def reasons(lines: list[str]) -> dict[str, str]:
    prep = prepare(Document("page.txt", "\n".join(lines) + "\n"), PAGE)
    return {prep.passages[d.index].text: f"{d.rule}: {d.reason}" for d in prep.boilerplate}


def test_only_the_main_text_block_stays() -> None:
    page = [*MENU, "Council approves the harbour bridge", "By Jane Doe", *PARAGRAPHS[:2], "What happens next",
            *PARAGRAPHS[2:], "More from the Harbour Times", *LINKS, *FOOTER]
    assert kept(page) == [*PARAGRAPHS[:2], "What happens next", *PARAGRAPHS[2:]]
    assert any(r.startswith("page-body: outside the page's main text block (lines 11-15)")
               for r in reasons(page).values())


def test_it_is_off_by_default() -> None:
    article = ["Council approves the harbour bridge", *PARAGRAPHS, "Ferry timetable changes for the winter season"]
    assert kept(article, Config()) == article


def test_a_table_inside_the_article_stays() -> None:
    table = ["1. North Shore 12 4 40", "2. Harbour Town 11 5 37", "3. Bay City 9 7 30"]
    page = [*MENU, *PARAGRAPHS[:2], *table, *PARAGRAPHS[2:], *FOOTER]
    assert kept(page) == [*PARAGRAPHS[:2], *table, *PARAGRAPHS[2:]]


def test_a_page_without_running_text_is_left_alone() -> None:
    page = [*MENU, *LINKS, "1. North Shore 12 4 40", "2. Harbour Town 11 5 37"]
    assert not any(r.startswith("page-body") for r in reasons(page).values())


def test_the_comment_thread_is_not_the_body() -> None:
    comments = ["12 responses to “Council approves the harbour bridge”", "harbourfan says:",
                "This is the best news the island has had in years, and I hope they build it quickly and well.",
                "oldsalt says:",
                "The ferry was good enough for my grandfather and it is good enough for me, whatever they say."]
    page = [*MENU, *PARAGRAPHS, *comments, *FOOTER]
    assert kept(page) == PARAGRAPHS


def test_a_comment_button_under_the_standfirst_does_not_end_the_body() -> None:
    standfirst = "The vote ends a decade of debate over how the island should be reached from the mainland."
    page = [*MENU, "Council approves the harbour bridge", standfirst, "Comments", *PARAGRAPHS, *FOOTER]
    assert set(PARAGRAPHS) <= set(kept(page))


def test_other_languages_use_their_own_function_words() -> None:
    absätze = [
        "Der Stadtrat hat am Dienstag den Bau der neuen Brücke beschlossen, nachdem die Frage die Stadt mehr "
        "als zehn Jahre lang gespalten hatte.",
        "Die Befürworter sagen, dass die Brücke den Weg zum Krankenhaus um zwanzig Minuten verkürzt, während "
        "die Gegner das Geld lieber für die Fähre ausgeben würden.",
        "Die Abstimmung war knapp, und der Vorsitzende gab am Ende mit seiner Stimme den Ausschlag für das "
        "Projekt, das im Frühjahr beginnen soll.",
    ]
    page = ["Startseite", "Politik", "Wirtschaft", "Sport", *absätze, "Impressum", "Datenschutz", "Kontakt"]
    assert kept(page) == absätze


def test_a_second_pass_keeps_the_same_block() -> None:
    table = ["1. North Shore 12 4 40", "2. Harbour Town 11 5 37", "3. Bay City 9 7 30"]
    page = [*MENU, "Council approves the harbour bridge", "By Jane Doe", *PARAGRAPHS[:2], *table, "What happens next",
            *PARAGRAPHS[2:], "More from the Harbour Times", *LINKS, *FOOTER]
    once = kept(page)
    assert kept(once) == once
