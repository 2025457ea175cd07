"""Nothing harmful gets in: hostile markup is not stored (and Datasette shows the text escaped),
quotes and SQL round-trip unchanged, and the crawl never requests anything outside its hosts."""
from __future__ import annotations

import asyncio
import re
from urllib.parse import urlsplit

from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from lxml import html as lxml_html
from markupsafe import escape
from scrapy import Request

from bbn_scraper.app.cli import cli
from bbn_scraper.parsers.text import SAFE_TAGS
from bbn_scraper.crawler.run import crawl_settings
from bbn_scraper.sample_site.faults import SQL_BODY_TEXT, SQL_HEADLINE, SQL_TAG, XSS_HEADLINE
from bbn_scraper.crawler.scope import Refused, Scope, ScopeMiddleware
from bbn_scraper.crawler.spiders.bbn import BbnSpider
from tests.helpers import rows

# What no stored body_html may contain, lower-cased, whatever the page held.
ACTIVE = ("<script", "<iframe", "<svg", "<object", "<embed", "<form", "<style", "<math", "<base", "<meta",
          "javascript:", "data:", "expression(", "style=", "srcdoc", "xlink")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "poster", "background")


def article(fault_crawl, name: str) -> dict:
    url = fault_crawl.faults[name]["url"]
    [row] = rows(fault_crawl.db, "SELECT * FROM articles WHERE canonical_url = ?", [url])
    return row


def test_hostile_markup_is_not_stored(fault_crawl):
    row = article(fault_crawl, "xss-article")
    stored = row["body_html"].lower()
    assert "researchers catalogued the markup" in stored  # the story itself is kept
    for needle in ACTIVE:
        assert needle not in stored, needle
    assert not re.search(r"\son\w+\s*=", stored)  # no event handler
    for element in lxml_html.fragment_fromstring(row["body_html"], create_parent="div").iterdescendants():
        assert element.tag in SAFE_TAGS, element.tag
        assert not [a for a in element.attrib if a.startswith("on") or a == "style"], element.attrib
        for name in URL_ATTRIBUTES:
            if name in element.attrib:
                assert element.attrib[name].startswith(("http://", "https://", "mailto:")), element.attrib
    assert row["image_url"] is None  # og:image was a javascript: URL
    links = rows(fault_crawl.db, "SELECT url FROM links WHERE article_id = ?", [row["id"]])
    assert all(link["url"].startswith(("http://", "https://")) for link in links)


def test_datasette_shows_hostile_text_escaped(fault_crawl):
    row = article(fault_crawl, "xss-article")
    assert row["headline"] == XSS_HEADLINE
    page = asyncio.run(_get(fault_crawl.db, f"/{fault_crawl.db.stem}/articles/{row['id']}"))
    for text in (XSS_HEADLINE, row["summary"], "<script>alert('xss-quoted')</script>"):
        assert text not in page
        assert str(escape(text)) in page


async def _get(db, path: str) -> str:
    datasette = Datasette(files=[str(db)])
    await datasette.invoke_startup()
    response = await datasette.client.get(path)
    assert response.status_code == 200
    return response.text


def test_quotes_and_sql_round_trip_unchanged(fault_crawl):
    row = article(fault_crawl, "sql-headline")
    assert row["headline"] == SQL_HEADLINE
    assert row["summary"] == SQL_HEADLINE
    assert SQL_BODY_TEXT in row["body"]
    tags = rows(fault_crawl.db, "SELECT t.name FROM article_tags x JOIN tags t ON t.id = x.tag_id WHERE x.article_id = ?",
                [row["id"]])
    assert tags == [{"name": SQL_TAG}]
    tables = {r["name"] for r in rows(fault_crawl.db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"articles", "faqs", "tags", "errors"} <= tables


def test_a_redirect_to_another_spelling_of_the_page_is_followed(fault_crawl):
    # The SQL article is linked without its trailing slash; the redirect to the slash form
    # has the same fingerprint (url_key) and must not be dropped as a duplicate.
    path = urlsplit(fault_crawl.faults["sql-headline"]["url"]).path
    log = fault_crawl.site.request_log
    assert ("GET", path.rstrip("/"), 301) in log and ("GET", path, 200) in log
    assert article(fault_crawl, "sql-headline")["url"].endswith(path)


@pytest.mark.parametrize("url, inside", [
    ("http://127.0.0.1:8765/2023/01/01/x/", True),
    ("https://127.0.0.1:8765/x", True),
    ("http://127.0.0.1/x", False),
    ("http://127.0.0.1:8766/x", False),
    ("http://localhost:8765/x", False),
    ("http://127.0.0.2:8765/x", False),
    ("http://127.0.0.1:8765@evil.example/x", False),
    ("ftp://127.0.0.1:8765/x", False),
    ("file:///etc/passwd", False),
    ("javascript:alert(1)", False),
    ("data:text/html,x", False),
    ("http://[::1", False),
])
def test_scope_with_an_explicit_port(url, inside):
    assert (url in Scope(["http://127.0.0.1:8765/"])) is inside


@pytest.mark.parametrize("url, inside", [
    ("https://bigbignews.net/a/", True),
    ("http://bigbignews.net/a/", True),
    ("https://www.bigbignews.net/a/", True),
    ("https://bigbignews.net:443/a/", True),
    ("https://bigbignews.net:8443/a/", False),
    ("https://notbigbignews.net/a/", False),
    ("https://bigbignews.net.evil.example/a/", False),
])
def test_scope_without_a_port(url, inside):
    assert (url in Scope(["https://bigbignews.net/"])) is inside


def test_any_request_outside_the_scope_is_refused_before_it_is_sent():
    crawler = SimpleNamespace(spider=SimpleNamespace(scope=Scope(["http://127.0.0.1:8765/"])))
    middleware = ScopeMiddleware(crawler)
    assert middleware.process_request(Request("http://127.0.0.1:8765/a/")) is None
    with pytest.raises(Refused, match="not followed: http://127.0.0.1:9999/a/ is outside the crawl's hosts"):
        middleware.process_request(Request("http://127.0.0.1:9999/a/"))


def test_only_http_and_https_can_be_downloaded():
    handlers = crawl_settings("x.db").getdict("DOWNLOAD_HANDLERS")
    assert {scheme for scheme, handler in handlers.items() if handler is None} >= {"file", "data", "ftp", "s3"}


def test_start_urls_must_be_http(tmp_path):
    with pytest.raises(ValueError, match="http or https"):
        BbnSpider(start_urls="file:///etc/passwd")
    result = CliRunner().invoke(cli, ["crawl", "file:///etc/passwd", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "not an http or https URL" in result.output
    assert not (tmp_path / "a.db").exists()
