"""page_kind's rules: what a page declares, the shape of its URL, and its layout."""
from __future__ import annotations

import json

import pytest

from bbn_scraper.parsers import parse_article
from bbn_scraper.parsers.document import load_tree
from bbn_scraper.parsers.listing import _url_clue, page_kind
from bbn_scraper.parsers.metadata import read_metadata

PERMALINK = "https://news.example/2024/05/14/council-approves-riverside-cycle-path/"
STORY = "".join(
    f"<p>Paragraph {n} of the story, with enough words in it to read like running text of an article "
    "that somebody wrote about something that happened in the town this week.</p>" for n in range(8))
TEASERS = "".join(
    f'<article><h2><a href="/news/story-{n}/">Teaser headline number {n}</a></h2>'
    f'<p>A short excerpt of story {n}.</p><a href="/news/story-{n}/">Read more</a></article>' for n in range(12))


def page(body: str = "", head: str = "", body_class: str = "", title: str = "Council approves riverside cycle path") -> str:
    cls = f' class="{body_class}"' if body_class else ""
    return f"<html><head><title>{title} | The Courier</title>{head}</head><body{cls}>{body}</body></html>"


def og(kind: str) -> str:
    return f'<meta property="og:type" content="{kind}">'


def json_ld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def kind(html: str, url: str = PERMALINK):
    root, _ = load_tree(html)
    return page_kind(root, read_metadata(root), url)


ARTICLE = "<h1>Council approves riverside cycle path</h1>" + STORY


def test_error404_body_class_and_a_not_found_title():
    assert kind(page(ARTICLE, body_class="error404")).kind == "not_found"
    assert kind(page("<h1>Oops</h1>", title="Page not found")).kind == "not_found"
    # A page that declares itself an article is not a 404 because its headline says "404".
    assert kind(page(ARTICLE, og("article"), title="404 ways to say no")).kind == "article"


def test_single_post_body_class_settles_it_whatever_the_teasers():
    result = kind(page(ARTICLE + TEASERS, body_class="single single-post postid-42"))
    assert result.kind == "article" and result.declared
    assert not any("teaser" in clue for clue in result.evidence)  # the layout was not needed


def test_archive_body_class_outweighs_a_site_wide_og_type_article():
    result = kind(page(TEASERS, og("article"), body_class="archive category category-world"),
                  "https://news.example/category/world/")
    assert result.kind == "listing"
    assert "body class archive -4" in result.evidence and "url archive -3" in result.evidence


def test_blog_body_class_on_a_declared_post_is_an_article():
    graph = json_ld({"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, {"@type": "BlogPosting"}]})
    result = kind(page(ARTICLE, graph, body_class="blog"))
    assert result.kind == "article"
    assert "JSON-LD article +4" in result.evidence and "body class blog -2" in result.evidence


def test_home_blog_front_page_is_a_listing():
    assert kind(page(TEASERS, body_class="home blog"), "https://news.example/").kind == "listing"


def test_many_article_nodes_are_a_list_not_the_page():
    nodes = json_ld([{"@type": "NewsArticle", "headline": f"Story {n}"} for n in range(5)])
    result = kind(page(TEASERS, nodes), "https://news.example/latest/")
    assert "JSON-LD 5 articles -1" in result.evidence and result.kind == "listing"


def test_collection_page_json_ld_is_listing_evidence():
    result = kind(page(TEASERS, json_ld({"@type": "CollectionPage"})), "https://news.example/world/")
    assert result.kind == "listing" and "JSON-LD CollectionPage -3" in result.evidence


@pytest.mark.parametrize("url, clue", [
    ("https://news.example/", ("url home", -3)),
    ("https://news.example/page/2/", ("url archive", -3)),
    ("https://news.example/category/world/", ("url archive", -3)),
    ("https://news.example/tag/harbor/page/3/", ("url archive", -3)),
    ("https://news.example/author/jdoe/", ("url archive", -3)),
    ("https://news.example/2024/05/", ("url archive", -3)),
    ("https://news.example/?s=ferry", ("url search", -3)),
    ("https://news.example/search?q=ferry", ("url search", -3)),
    (PERMALINK, ("url permalink", 1)),
    ("https://news.example/news/article-1234567.html", ("url permalink", 1)),
    ("https://news.example/news_view.html?idx=8576&page=1", ("url permalink", 1)),
    ("https://news.example/?p=123", ("url permalink", 1)),
    ("https://news.example/business/", None),
    ("https://news.example/2019/11/18/investing/index.html", ("url permalink", 1)),
    ("https://news.example/category/world/why-the-ferry-is-late-again/", ("url permalink", 1)),
])
def test_url_shapes(url, clue):
    assert _url_clue(url) == clue


def test_layout_alone_finds_the_article_among_teasers():
    result = kind(page(ARTICLE + TEASERS[: len(TEASERS) // 2]))
    assert result.kind == "article" and not result.declared
    assert "h1 = title +2" in result.evidence
    assert any(clue.startswith("story ") for clue in result.evidence)


def test_layout_alone_finds_a_listing():
    result = kind(page("<h1>World</h1>" + TEASERS, title="World"), "https://news.example/world/")
    assert result.kind == "listing"
    assert result.evidence == ("12 teaser headings, 12 read-more links -4",)


def test_teasers_beside_a_story_count_for_less():
    rails = TEASERS * 2  # 24 linked headings and read-more links: site-wide rails
    result = kind(page(ARTICLE + rails), "https://news.example/news/")
    assert "24 teaser headings, 24 read-more links -3" in result.evidence and result.kind == "article"


def test_og_type_article_on_a_teaser_page_is_kept_as_a_close_call():
    """Declared articles are never dropped (issue 23): the layout says listing, the verdict is
    an article and a close call."""
    result = kind(page("<h1>World</h1>" + TEASERS, og("article"), title="World"), "https://news.example/world/")
    assert result.kind == "article" and result.declared and result.close and result.score < 0


@pytest.mark.parametrize("url", ["https://news.example/", "https://news.example/archive/2024/", "https://news.example/page/2/"])
def test_og_type_article_outweighs_a_listing_shaped_url(url):
    h1s = "".join(f"<h1>Widget heading number {n} of the page</h1>" for n in range(3))
    result = kind(page(h1s + TEASERS, og("article")), url)
    assert result.kind == "article" and result.close


@pytest.mark.parametrize("head, body_class, url", [
    (json_ld({"@type": "CollectionPage"}), "", "https://news.example/world/"),
    ("", "archive category", "https://news.example/category/world/"),
    ("", "", "https://news.example/?s=ferry"),
])
def test_og_type_article_is_outweighed_by_a_declared_listing(head, body_class, url):
    result = kind(page("<h1>World</h1>" + TEASERS, og("article") + head, body_class, title="World"), url)
    assert result.kind == "listing" and result.declared


def test_og_type_article_at_a_permalink_needs_no_layout():
    result = kind(page(TEASERS, og("article")))
    assert result.kind == "article" and result.evidence == ("og:type article +2", "url permalink +1")


def test_excerpts_under_linked_headings_are_not_a_story():
    excerpts = "".join(f'<h3><a href="/s{n}/">Headline {n}</a></h3><p>{"word " * 40}</p>' for n in range(6))
    result = kind(page(f"<div>{excerpts}</div>"), "https://news.example/world/")
    assert not any(clue.startswith("story ") for clue in result.evidence)


def test_a_repeated_h1_counts_once():
    h1 = "<h1>Council approves riverside cycle path</h1>"
    result = kind(page(h1 * 3 + STORY))
    assert "h1 = title +2" in result.evidence


def test_a_close_call_is_named_in_the_warnings():
    html = page("<h1>Council approves riverside cycle path</h1><p>One short paragraph.</p>" + TEASERS[: len(TEASERS) // 2])
    result = kind(html)
    assert result.kind == "article" and result.close
    article = parse_article(html, PERMALINK)
    assert f"page kind a close call: {result.reason}" in article.warnings


def test_a_declared_article_with_nothing_found_is_still_an_article():
    html = "<html><head>" + og("article") + "</head><body><div></div></body></html>"
    article = parse_article(html, PERMALINK)
    assert article is not None and article.headline is None and article.body == ""
    assert parse_article("<html><head></head><body><div></div></body></html>", PERMALINK) is None
