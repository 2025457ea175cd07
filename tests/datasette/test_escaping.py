"""Page content is untrusted: Datasette must show it as escaped text, never render it as HTML.
An archive whose article carries script and event-handler payloads (as an older parser or a
hand edit could leave them) is browsed in process."""
from __future__ import annotations

import re

import pytest

from archive import Archive
from bbn_scraper.app.serve import build_datasette
from archive.model import Faq
from tests.helpers import DatasetteClient, make_article

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
PAYLOAD = f"<p>Story</p>{SCRIPT}{IMG}"
LIVE = [re.compile(p, re.I) for p in (r"<script>alert", r"<img[^>]*onerror", r"href=\"javascript:")]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    db = tmp_path_factory.mktemp("xss") / "hostile.db"
    with Archive(db, create=True) as arc:
        crawl_id = arc.start_crawl(["https://www.bbn.example/"])
        arc.store_article(make_article(
            headline=f"Headline {IMG}", summary=f"Summary {SCRIPT}", body=f"Body text {SCRIPT}",
            body_html=PAYLOAD, image_url="javascript:alert(3)", authors=[f"Eve {SCRIPT}"],
            faqs=[Faq(f"Question {IMG}?", f"Answer zyxwordle {SCRIPT}")],
        ), crawl_id=crawl_id)
        arc.record_error(crawl_id, f"https://www.bbn.example/{IMG}", "fetch", f"HTTP 404 {SCRIPT}")
        arc.finish_crawl(crawl_id, "finished", {})
    c = DatasetteClient(build_datasette(db), "hostile")
    yield c
    c.close()


PAGES = [
    "/hostile/articles",
    "/hostile/articles/1",
    "/hostile/articles?_search=%3Cscript%3Ealert(1)%3C/script%3E",  # the search words are echoed too
    "/hostile/articles_full",
    "/hostile/faq_pairs",
    "/hostile/faqs",
    "/hostile/authors",
    "/hostile/article_authors",
    "/hostile/errors",
    "/hostile/faq_search?q=zyxwordle",
    "/hostile/articles_by_author?author=Eve%25",
    "/hostile/latest_crawl_errors",
    "/hostile/-/article/1",  # the reading room (bbn_scraper/app/datasette/reading_room.py)
    "/hostile/-/search?q=zyxwordle",
    "/hostile/-/search?q=zyxwordle&in=faqs",
    "/hostile/-/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
]


@pytest.mark.parametrize("path", PAGES)
def test_untrusted_content_is_shown_escaped(hostile, path):
    page = hostile.get(path).text
    for pattern in LIVE:
        assert not pattern.search(page), f"{path}: live markup {pattern.pattern!r}"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "&lt;img src=x onerror=" in page, path


def test_body_html_shows_escaped_in_the_table_and_row_pages(hostile):
    escaped = "&lt;p&gt;Story&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;"
    for path in ("/hostile/articles", "/hostile/articles/1"):
        page = hostile.get(path).text
        assert escaped in page, path
        assert PAYLOAD not in page


def test_only_the_headline_link_renders_cells_and_it_escapes(hostile):
    from datasette.plugins import pm

    owners = {(impl.plugin_name, impl.function.__name__) for impl in pm.hook.render_cell.get_hookimpls()}
    assert {owner for owner in owners if not owner[0].startswith("datasette.")} == {("bbn_archive", "headline_link")}
    for path in ("/hostile/articles", "/hostile/articles_full", "/hostile/faq_pairs"):
        assert '<a href="/hostile/-/article/1">Headline &lt;img src=x onerror=&#34;alert(2)&#34;&gt;</a>' in hostile.get(path).text, path
