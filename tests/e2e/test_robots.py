"""robots.txt is obeyed for every request, also those that wait together for a host's robots.txt."""
from __future__ import annotations

from bbn_scraper.sample_site.content import DISALLOWED_PATH
from tests.helpers import crawl, rows
from tests.hostile.hostile_crawl import assert_clean, crawl as hostile_crawl
from tests.hostile.hostile_server import HostileSite


def test_requests_waiting_together_for_robots_txt_are_each_checked(sample_site, tmp_path):
    # Several start URLs of one host reach the robots middleware before its robots.txt has come:
    # they all wait for it. Scrapy's middleware hands the parser to the first waiter only (the
    # others' awaited Deferred had already given its result away) and lets the rest through
    # unchecked; a distributed worker taking a batch from the frontier is in the same place.
    base = sample_site.base_url.rstrip("/")
    disallowed = [f"{base}{DISALLOWED_PATH}", f"{base}{DISALLOWED_PATH}drafts/"]
    sample_site.reset_counters()
    crawl(tmp_path / "archive.db", f"{base}/page/2/", f"{base}/category/world/", *disallowed, f"{base}/page/3/",
          "-s", "DEPTH_LIMIT=1")
    assert sample_site.hits(DISALLOWED_PATH) == 0, sample_site.requests
    assert sample_site.hits("/robots.txt") >= 1
    fetched = {r["url"] for r in rows(tmp_path / "archive.db", "SELECT url FROM pages")}
    assert f"{base}/page/3/" in fetched and not fetched & set(disallowed)


ARTICLE = "/2024/06/01/a-story-behind-robots/"


def _site_whose_robots_txt(answer) -> HostileSite:
    site = HostileSite()
    site.add_article(ARTICLE)
    site.routes["/robots.txt"] = answer
    return site


def test_a_robots_txt_answering_503_forbids_the_host_and_each_refusal_is_an_error_row(tmp_path):
    # RFC 9309 2.3.1.4: unreachable for a server error (after the retries, backed off) = complete disallow.
    db = tmp_path / "archive.db"
    with _site_whose_robots_txt(lambda h: h.send(503, b"<h1>Down for maintenance</h1>")) as site:
        result = hostile_crawl(db, [site.base_url], "-s", "RETRY_BACKOFF_BASE=0.2")
        assert {s.path for s in site.seen} == {"/robots.txt"}
        assert len(site.requests("/robots.txt")) == 4  # the first try and RETRY_TIMES retries
    assert result.returncode == 3, result.stderr  # every start URL failed
    errors = rows(db, "SELECT url, stage, reason FROM errors")
    assert {e["url"] for e in errors} >= {site.base_url, site.url("/robots.txt")}  # the spider's own, for its sitemaps
    assert {(e["stage"], e["reason"]) for e in errors} == {("fetch", "not fetched: its robots.txt answered HTTP 503,"
                                                            " and a robots.txt that cannot be read forbids every page (RFC 9309)")}
    assert f"127.0.0.1:{site.port}: its robots.txt answered HTTP 503; none of its pages is fetched" in result.stderr


def test_a_robots_txt_that_recovers_within_the_retries_is_obeyed(tmp_path):
    answers = iter([503, 503])
    db = tmp_path / "archive.db"
    rules = "User-agent: *\nDisallow: /2024/\nSitemap: {}\n"
    with _site_whose_robots_txt(lambda h: h.send(next(answers, 200), rules.format(h.server.site.url("/sitemap.xml")).encode(),
                                                 "text/plain")) as site:
        result = hostile_crawl(db, [site.base_url], "-s", "RETRY_BACKOFF_BASE=0.2")
        assert_clean(result)
        tries = [s.at for s in site.requests("/robots.txt")]
        assert len(tries) >= 3 and site.requests("/")
        # Each retry waited its back-off (0.2 s, then 0.4 s), though the engine retries this fetch itself
        assert tries[1] - tries[0] >= 0.2 and tries[2] - tries[1] >= 0.4, tries
        assert not site.requests(ARTICLE)  # the rules of the answer that came are kept
    assert rows(db, "SELECT url FROM errors") == []


def test_a_robots_txt_answering_404_allows_every_page_whatever_its_body_says(tmp_path):
    # RFC 9309 2.3.1.3: a 4xx is no robots.txt. Scrapy parsed the error page's body as rules.
    db = tmp_path / "archive.db"
    with _site_whose_robots_txt(lambda h: h.send(404, b"User-agent: *\nDisallow: /\n", "text/plain")) as site:
        result = hostile_crawl(db, [site.base_url])
        assert_clean(result)
        assert site.requests(ARTICLE)
    assert [r["url"] for r in rows(db, "SELECT url FROM articles")] == [site.url(ARTICLE)]


def test_only_the_first_robots_txt_max_size_bytes_are_read(tmp_path):
    filler = "".join(f"Disallow: /archive/{i}/\n" for i in range(30_000))  # ~720 KiB of rules
    head, tail = "User-agent: *\nDisallow: /private/\n", "Disallow: /2024/\n"
    db = tmp_path / "archive.db"
    with _site_whose_robots_txt(lambda h: h.send(200, (head + filler + tail).encode(), "text/plain")) as site:
        site.link("/private/")
        result = hostile_crawl(db, [site.base_url])
        assert_clean(result)
        assert site.requests(ARTICLE)  # the rule past 500 KiB is not read
        assert not site.requests("/private/")  # the rules before it are
    assert f"127.0.0.1:{site.port}: robots.txt of {len(head + filler + tail)} bytes; only its first 512000 are read" in result.stderr
