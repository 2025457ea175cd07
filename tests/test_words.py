"""The words table (bbn_scraper/parsers/words.py) and the rules that read it: section headings, byline
prefixes, publisher-as-author traps and site-name headlines."""
from __future__ import annotations

import pytest

from bbn_scraper.parsers import parse_article
from bbn_scraper.parsers.blocks import iter_blocks
from bbn_scraper.parsers.names import in_site_header, looks_like_names, strip_site_name
from bbn_scraper.parsers.sections import (
    ALSO_LIKE_HEADING, BOILERPLATE, END_HEADING, FAQ_HEADING, MORE_HEADING, SHARE_HEADING, split_sections,
)
from bbn_scraper.parsers.text import split_authors, strip_byline_prefix
from bbn_scraper.parsers.words import KINDS, WORDS, openers

from lxml import html as lxml_html

LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "pl")
PARA = ("This paragraph of the story is long enough to count as story text: it goes on for a while, and it "
        "carries no link at all in it. {}")


def test_every_language_has_words_of_every_kind():
    assert set(LANGUAGES) <= set(WORDS)
    for lang in LANGUAGES:
        for kind in KINDS:
            assert getattr(WORDS[lang], kind), f"{lang} has no {kind} words"


@pytest.mark.parametrize(("pattern", "texts"), [
    (FAQ_HEADING, ["Frequently Asked Questions", "Häufig gestellte Fragen", "Questions fréquentes", "Preguntas frecuentes",
                   "Domande frequenti", "Perguntas frequentes", "Veelgestelde vragen", "Najczęściej zadawane pytania"]),
    (MORE_HEADING, ["More about housing", "Mehr zum Wohnungsbau", "Plus sur le logement", "Más sobre vivienda",
                    "Altro su casa", "Mais sobre habitação", "Meer over wonen", "Więcej o mieszkaniach"]),
    (ALSO_LIKE_HEADING, ["You may also like", "Das könnte Sie auch interessieren", "Lire aussi", "Leer más",
                         "Leggi anche", "Leia também", "Lees ook", "Czytaj także:"]),
    (END_HEADING, ["Leave a Reply", "3 Kommentare", "Laisser un commentaire", "Deja un comentario",
                   "Lascia un commento", "Deixe um comentário", "Laat een reactie achter", "Dodaj komentarz"]),
    (SHARE_HEADING, ["Share this:", "Jetzt teilen", "Partager cet article", "Compartir", "Condividi", "Compartilhe",
                     "Delen", "Udostępnij"]),
    (BOILERPLATE, ["Advertisement", "Anzeige", "Publicité", "Publicidad", "Pubblicità", "Publicidade", "Advertentie",
                   "Reklama"]),
])
def test_the_section_patterns_know_every_language(pattern, texts):
    assert len(texts) == len(LANGUAGES)
    for text in texts:
        assert pattern.match(text), text


def test_section_patterns_match_whole_headings_only():
    assert not ALSO_LIKE_HEADING.match("Related reading on the housing crisis in three cities")
    assert not BOILERPLATE.match("Anzeige gegen den Bürgermeister erstattet")
    assert not END_HEADING.match("Comments from the mayor")


@pytest.mark.parametrize(("byline", "name"), [
    ("By Jane Doe", "Jane Doe"), ("Written by Jane Doe", "Jane Doe"), ("Von Hans Müller", "Hans Müller"),
    ("Text: Hans Müller", "Hans Müller"), ("Par Claire Dubois", "Claire Dubois"), ("por María López", "María López"),
    ("di Marco Rossi", "Marco Rossi"), ("door Pieter de Vries", "Pieter de Vries"), ("przez Annę Nowak", "Annę Nowak"),
    ("Text: Hans Müller, Fotos: Lea Braun", "Hans Müller"),
])
def test_byline_prefixes_of_every_language_are_stripped(byline, name):
    assert strip_byline_prefix(byline) == name


@pytest.mark.parametrize("name", ["von der Leyen", "De Guzman", "Di Maio", "Byron Shaw", "Parker Lewis", "Doorn Smit"])
def test_names_that_open_like_a_prefix_keep_it(name):
    assert strip_byline_prefix(name) == name


def test_every_prefix_opens_with_a_listed_opener():
    for lang in LANGUAGES:
        for entry in WORDS[lang].byline:
            assert any(entry.removeprefix("(?-i:").removeprefix("(?:").lower().startswith(o) for o in openers("byline")), entry


@pytest.mark.parametrize(("byline", "names"), [
    ("Katrin Albers und Jonas Wendt", ["Katrin Albers", "Jonas Wendt"]),
    ("Claire Dubois et Marc Petit", ["Claire Dubois", "Marc Petit"]),
    ("María Fernández y Luis Ortega", ["María Fernández", "Luis Ortega"]),
    ("Ana Costa e Rui Lopes", ["Ana Costa", "Rui Lopes"]),
    ("Anna Nowak i Jan Kowalski", ["Anna Nowak", "Jan Kowalski"]),
    ("A. Smith, B. Jones and C. Brown", ["A. Smith", "B. Jones", "C. Brown"]),
    ("Sarah E. Needleman", ["Sarah E. Needleman"]),
])
def test_split_authors_knows_the_conjunctions(byline, names):
    assert split_authors(byline) == names


def test_a_sentence_is_not_a_byline():
    assert not looks_like_names("choosing I Accept, you consent to our use of cookies")
    assert looks_like_names("Ursula von der Leyen und Jan de Vries")


def _blocks(html: str):
    return iter_blocks(lxml_html.fromstring(f"<div>{html}</div>"))


def test_a_related_box_in_mid_story_does_not_end_the_story():
    parts = split_sections(_blocks(
        f"<p>{PARA.format(1)}</p><h3>Lire aussi</h3><ul><li><a href='/a'>Un autre article</a></li>"
        f"<li><a href='/b'>Encore un autre</a></li></ul><p>{PARA.format(2)}</p><p>{PARA.format(3)}</p>"
    ))
    assert [b.text[-1] for b in parts.story] == ["1", "2", "3"]
    assert [b.text for b in parts.also_like] == ["Un autre article", "Encore un autre"]


def test_a_list_of_teasers_with_excerpts_stays_out_of_the_story():
    teaser = "<h3><a href='/{0}'>Teaser {0}</a></h3><p>" + PARA.format("excerpt") + "</p>"
    parts = split_sections(_blocks(f"<p>{PARA.format(1)}</p><h2>Related posts</h2>" + teaser.format(1) + teaser.format(2)))
    assert [b.text[-1] for b in parts.story] == ["1"]


def test_a_share_bar_above_the_story_is_left_out_and_one_after_it_ends_it():
    bar = "<h4>Jetzt teilen</h4><ul><li><a href='/f'>Facebook</a></li><li><a href='/w'>WhatsApp</a></li></ul>"
    parts = split_sections(_blocks(f"{bar}<p>{PARA.format(1)}</p><p>{PARA.format(2)}</p>{bar}<p>Impressum</p>"))
    assert [b.text for b in parts.story] == [PARA.format(1), PARA.format(2)]


def test_read_also_lines_and_ad_labels_are_not_story():
    parts = split_sections(_blocks(
        f"<p>{PARA.format(1)}</p><p>Anzeige</p><p><strong>Lesen Sie auch:</strong> <a href='/x'>Ein anderer Text</a></p>"
        f"<p>Read also: a sentence of the story that only opens like a link line, with no link in it.</p>"
    ))
    assert [b.text[:4] for b in parts.story] == ["This", "Read"]


def _article(head: str, body: str, url: str = "https://example.com/2024/01/story/") -> str:
    return parse_article(f"<html><head>{head}</head><body class='single'>{body}</body></html>", url)


STORY = f"<div class='entry-content'><p>{PARA.format(1)}</p><p>{PARA.format(2)}</p></div>"


@pytest.mark.parametrize(("head", "visible"), [
    ('<script type="application/ld+json">{"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Acme Wire"}}</script>', ""),
    ('<meta name="author" content="Google">', ""),
    ('<meta property="og:site_name" content="Example Times">', "<p class='byline'>Example Times</p>"),
    ("", "<p class='byline'>By Example.com</p>"),
])
def test_a_publisher_is_not_an_author(head, visible):
    article = _article(head, f"<article><h1>Story</h1>{visible}{STORY}</article>")
    assert (article.byline, article.authors) == (None, [])


def test_a_person_in_json_ld_is_an_author():
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "author": [{"@type": "Organization", "name": "Acme Wire"}, {"@type": "Person", "name": "Jo Bloggs"}]}</script>'
    assert _article(head, f"<article><h1>Story</h1>{STORY}</article>").authors == ["Jo Bloggs"]


def test_an_h1_with_the_site_name_gives_way_to_the_title():
    head = '<meta property="og:site_name" content="Daily Kettle"><title>The story itself | Daily Kettle</title>'
    article = _article(head, f"<div><h1>Daily Kettle</h1></div><div>{STORY}</div>")
    assert article.headline == "The story itself"


def test_an_h1_in_the_site_header_gives_way_to_og_title():
    head = '<meta property="og:title" content="The story itself">'
    article = _article(head, f"<div id='header'><h1><a href='/'>Kettle</a></h1></div><div>{STORY}</div>")
    assert article.headline == "The story itself"


def test_an_h1_in_the_article_header_is_the_headline():
    root = lxml_html.fromstring("<body><header id='masthead'><h1>Site</h1></header><article><header class='entry-header'><h1>Story</h1></header></article></body>")
    site, story = root.iter("h1")
    assert in_site_header(site) and not in_site_header(story)


@pytest.mark.parametrize(("title", "stripped"), [
    ("Story title | Site", "Story title"), ("Site - Story title", "Story title"), ("Site: Story title", "Story title"),
    ("Story title", None), ("Site", None),
])
def test_strip_site_name(title, stripped):
    assert strip_site_name(title, ["site"]) == stripped
