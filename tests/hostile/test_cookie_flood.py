"""Issue 24, item 5: a site that sets 90 new cookies with every article, and answers 431 to a
Cookie header over 8 KiB as nginx does. Before the jar was bounded, the crawler's Cookie headers
grew to 59 KB, 36 fetches got 431 and the first crawl archived 16 of the site's 40 articles.
Now every article is archived, no request carries more than COOKIES_MAX_HEADER_BYTES, the
session cookie the home page set first is sent with every article, and each drop is a row."""
from __future__ import annotations

import pytest

from bbn_scraper.settings import COOKIE_MAX_BYTES, COOKIES_MAX_HEADER_BYTES, COOKIES_MAX_PER_HOST
from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite, article_html

ARTICLES = [f"/2024/09/{day:02d}/story-{n}/" for n, day in enumerate(range(1, 41))]
PER_ARTICLE = 90
BIG = 4  # cookies of 2,100 bytes the home page sets: with them every request's header passes 8 KiB
SERVER_LIMIT = 8192  # nginx's large_client_header_buffers


def flooding(site: HostileSite, path: str):
    page = article_html(site.url(path), f"The story at {path}")
    cookies = [f"c{abs(hash(path)) % 10**6}_{k}={'v' * 60}; Path=/" for k in range(PER_ARTICLE)]

    def route(h):
        if len(h.headers.get("Cookie", "")) > SERVER_LIMIT:
            h.send(431, b"<html><body>Request Header Fields Too Large</body></html>")
        else:
            h.send(200, page, headers={"Set-Cookie": cookies})
    return route


@pytest.fixture(scope="module")
def flooded(tmp_path_factory):
    db = tmp_path_factory.mktemp("cookies") / "archive.db"
    with HostileSite() as site:
        site.home_headers = {"Set-Cookie": ["session=s1; Path=/", f"huge={'x' * (COOKIE_MAX_BYTES + 10)}; Path=/",
                                            *(f"big{k}={'b' * 2100}; Path=/" for k in range(BIG))]}
        for path in ARTICLES:
            site.routes[path] = flooding(site, path)
            site.link(path)
        result = crawl(db, [site.base_url], "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", timeout=120)
        yield site, db, result


def test_the_crawl_ends_cleanly_and_archives_every_article(flooded):
    site, db, result = flooded
    assert_clean(result)
    assert sorted(r["url"] for r in rows(db, "SELECT url FROM articles")) == sorted(site.url(p) for p in ARTICLES)
    assert rows(db, "SELECT url FROM errors WHERE reason LIKE 'HTTP 431%'") == []


def test_no_request_carries_more_than_the_header_bound_and_the_session_is_always_sent(flooded):
    site, _, _ = flooded
    articles = [s for s in site.seen if s.path in ARTICLES]
    assert len(articles) == len(ARTICLES)
    assert max(len(s.cookie) for s in articles) <= COOKIES_MAX_HEADER_BYTES
    assert all(s.cookie.startswith("session=s1") or "; session=s1" in s.cookie for s in articles)
    assert not any("huge=" in s.cookie for s in site.seen)  # over COOKIE_MAX_BYTES: never kept


def test_every_drop_is_a_fetch_error_row_of_its_url(flooded):
    site, db, _ = flooded
    errors = rows(db, "SELECT url, stage, reason FROM errors")
    assert {e["stage"] for e in errors} == {"fetch"}
    home = [e["reason"] for e in errors if e["url"] == site.base_url]
    assert home == [f"cookies not kept: 1 (over COOKIE_MAX_BYTES {COOKIE_MAX_BYTES})"]
    articles = {site.url(p) for p in ARTICLES}
    not_sent = [e for e in errors if f"over COOKIES_MAX_HEADER_BYTES {COOKIES_MAX_HEADER_BYTES}" in e["reason"]]
    assert articles <= {e["url"] for e in not_sent}  # the sitemap and feed too, fetched after the home page
    host = site.base_url.split("//")[1].split(":")[0]
    capped = [e for e in errors if f"{host} has COOKIES_MAX_PER_HOST {COOKIES_MAX_PER_HOST}" in e["reason"]]
    assert capped and all(e["url"] in articles for e in capped)
    # the session and the big ones, then the first article's until 50: the jar is full from then on
    assert sum(int(e["reason"].split("cookies not kept: ")[-1].split(" ")[0]) for e in capped) \
        == PER_ARTICLE * len(ARTICLES) - (COOKIES_MAX_PER_HOST - 1 - BIG)
