"""Issue 12, item 5: pathological markup. Flat pages of 250,000 <input>s or thousands of ad
<div>s, each followed by text, made the chrome removal quadratic (the text after each dropped
element was concatenated onto its neighbour's): two 2.2 MB pages took 190 s. Markup nested
deeper than libxml2's 2,048 levels loses the rest of the page; the article now says so. Each
page is parsed in a bounded time and archived by a crawl, with its last paragraph."""
from __future__ import annotations

import json
import time

import pytest

from bbn_scraper.parsers import parse_article
from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite

# Seconds per MB of page, generous for a shared machine: measured 0.1-0.3 s/MB on the flat
# pages and 1.7 s/MB on the deep one after the fix; 40,000 <input>s took 7 s/MB before, and the
# time per MB grew with the page (250,000: several minutes).
MAX_SECONDS_PER_MB = 5
LAST = "The last paragraph of the story, after all the markup, is archived like the first."
TRUNCATED = ("document truncated at the HTML parser's limit (Excessive depth in document: 2048); "
             "the rest of the page was not read")


def page(headline: str, markup: str) -> bytes:
    first = ("The first paragraph of the story, with enough words in it to be the story: the facts, "
             "the people, the places and what happens next in the town.")
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>{headline} - Hostile News</title>
<meta property="og:type" content="article"><meta property="article:published_time" content="2024-05-01T09:00:00+00:00"></head>
<body class="single single-post"><article><h1 class="entry-title">{headline}</h1>
<div class="entry-content"><p>{first}</p>{markup}<p>{LAST}</p></div></article></body></html>""".encode()


PAGES = {
    "/2024/05/01/inputs/": page("Inputs", "".join(f"<input>w{n % 10} " for n in range(250_000))),
    "/2024/05/02/ads/": page("Ads", "".join(f'<div class="ad">Advert {n}</div> after {n}' for n in range(60_000))),
    "/2024/05/03/deep/": page("Deep", ("<div>" * 1_500 + "<p>Deep inside.</p>" + "</div>" * 1_500) * 60),
}
TOO_DEEP = "/2024/05/04/too-deep/"
PAGES[TOO_DEEP] = page("Too deep", "<div>" * 3_000 + "<p>Lost.</p>" + "</div>" * 3_000)


@pytest.mark.parametrize("path", [p for p in PAGES if p != TOO_DEEP])
def test_a_pathological_page_is_parsed_in_linear_time(path):
    html = PAGES[path]
    started = time.process_time()
    article = parse_article(html, "http://127.0.0.1" + path)
    seconds = time.process_time() - started
    megabytes = len(html) / 1e6
    print(f"{path}: {megabytes:.2f} MB in {seconds:.2f} s ({seconds / megabytes:.2f} s/MB)")
    assert seconds < MAX_SECONDS_PER_MB * megabytes, (seconds, megabytes)
    assert article.body.endswith(LAST)
    assert not any("truncated" in w for w in article.warnings), article.warnings


def test_markup_nested_too_deep_is_a_warning_in_the_article():
    article = parse_article(PAGES[TOO_DEEP], "http://127.0.0.1" + TOO_DEEP)
    assert TRUNCATED in article.warnings
    assert LAST not in article.body


def test_a_page_of_too_many_tags_is_read_to_the_bound_with_a_warning(monkeypatch):
    """16 MiB of `<li>a` (8 million characters, the document's bound) took 1.9 GB to parse."""
    from bbn_scraper.parsers import document

    monkeypatch.setattr(document, "MAX_TAGS", 1_000)
    article = parse_article(page("Many tags", "<ul>" + "<li>item" * 2_000 + "</ul>"), "http://127.0.0.1/2024/05/06/tags/")
    assert article.headline == "Many tags"
    assert "document truncated to its first 1000 tags" in article.warnings
    assert LAST not in article.body


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    db = tmp_path_factory.mktemp("pathological") / "archive.db"
    with HostileSite() as site:
        site.add_article("/2024/05/05/an-ordinary-story/")
        for path, html in PAGES.items():
            site.link(path)
            site.routes[path] = lambda h, html=html: h.send(200, html)
        result = crawl(db, [site.base_url], timeout=120)
        yield site, db, result


def test_the_crawl_of_the_pathological_pages_ends_cleanly_and_archives_them(crawled):
    site, db, result = crawled
    assert_clean(result)
    assert rows(db, "SELECT url, reason FROM errors") == []
    archived = {a["url"]: a for a in rows(db, "SELECT url, body, warnings FROM articles")}
    assert set(archived) == {site.url(p) for p in [*PAGES, "/2024/05/05/an-ordinary-story/"]}
    for path in PAGES:
        assert archived[site.url(path)]["body"].endswith(LAST) == (path != TOO_DEEP), path
    assert TRUNCATED in json.loads(archived[site.url(TOO_DEEP)]["warnings"])
