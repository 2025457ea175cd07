"""Issue 12, items 4 and 11: crawler traps and unbounded rows. One site holds every trap an
endless crawl falls into (pagination, a calendar, a relative link that grows the path, a path
that grows to any length, session IDs in links, a sitemap index tree), an article linked with
40 tracking-parameter variants and one with a 100 KB headline and 20,000 FAQ pairs. Crawled
with the default bounds, the crawl ends, each trap's requests stop at its bound, each refusal
is an error row with its URL and reason, and both articles are archived, cut where too large.
A second site, crawled with low SITEMAP_MAX_COUNT and SITE_MAX_PAGES, shows those two caps.
(Before the bounds, the first crawl did not end: killed at the timeout.)"""
from __future__ import annotations

import json
import uuid

import pytest

from bbn_scraper.settings import (
    ARCHIVE_MAX_ALIASES, ARTICLE_MAX_FAQS, ARTICLE_MAX_HEADLINE, DEPTH_LIMIT, PAGINATION_LIMIT, PATH_MAX_REPEATS,
    PATH_MAX_SEGMENTS,
    SITEMAP_MAX_DEPTH, URLLENGTH_LIMIT,
)
from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite, article_html

CALENDAR_START = 24_000  # months since year 0: /calendar/24000/ is January 2000
POPULAR = "/2024/06/01/popular-story/"
VARIANTS = 40
HUGE = "/2024/06/02/huge-story/"
HUGE_HEADLINE = "Huge " * 20_000  # 100 KB
FAQ_PAIRS = 20_000


def listing(links: list[str]) -> bytes:
    items = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    return f'<!DOCTYPE html><html><head><title>Listing</title></head><body class="archive"><ul>{items}</ul></body></html>'.encode()


def sitemap_index(site: HostileSite, paths: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{site.url(p)}</loc></sitemap>" for p in paths)
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'.encode()


def urlset(site: HostileSite, paths: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in paths)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode()


def robots(site: HostileSite, *sitemaps: str):
    text = "User-agent: *\n" + "".join(f"Sitemap: {site.url(p)}\n" for p in sitemaps)
    return lambda h: h.send(200, text.encode(), "text/plain")


def path_of(h) -> str:
    return h.path.split("?", 1)[0]


def huge_page(url: str) -> bytes:
    faq = {"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": [
        {"@type": "Question", "name": f"Question {n}?", "acceptedAnswer": {"@type": "Answer", "text": f"Answer {n}."}}
        for n in range(FAQ_PAIRS)]}
    script = f'<script type="application/ld+json">{json.dumps(faq)}</script></head>'
    return article_html(url, HUGE_HEADLINE).replace(b"</head>", script.encode(), 1)


def trap_site(site: HostileSite) -> HostileSite:
    site.prefixes["/news/page/"] = lambda h: h.send(200, listing(
        [f"/news/page/{n}/" for n in range(int(path_of(h).split("/")[3]) + 1, int(path_of(h).split("/")[3]) + 11)]))
    site.link("/news/page/2/")
    site.prefixes["/calendar/"] = lambda h: h.send(200, listing(
        [f"/calendar/{int(path_of(h).split('/')[2]) + step}/" for step in (-1, 1)]))
    site.link(f"/calendar/{CALENDAR_START}/")
    site.prefixes["/tag/"] = lambda h: h.send(200, listing(["a/b/"]))  # relative: /tag/a/b/a/b/...
    site.link("/tag/")
    site.prefixes["/long/"] = lambda h: h.send(200, listing([f"part-{path_of(h).count('/')}-{'x' * 90}/"]))
    site.link("/long/")
    site.prefixes["/shop/"] = lambda h: h.send(200, listing(
        [f"/shop/item-{k}/?PHPSESSID={uuid.uuid4().hex}" for k in range(3)] + [f"/shop/;jsessionid={uuid.uuid4().hex}"]))
    site.link(f"/shop/?PHPSESSID={uuid.uuid4().hex}")
    site.routes["/robots.txt"] = robots(site, "/sitemap.xml", "/tree/0.xml")
    site.prefixes["/tree/"] = lambda h: h.send(200, sitemap_index(
        site, [path_of(h).removesuffix(".xml") + f"-{k}.xml" for k in range(3)]), "application/xml")
    site.add_article(POPULAR)
    for n in range(VARIANTS):
        site.link(f"{POPULAR}?utm_source=s{n}")
    page = huge_page(site.url(HUGE))
    site.routes[HUGE] = lambda h: h.send(200, page)
    site.link(HUGE)
    return site


@pytest.fixture(scope="module")
def trapped(tmp_path_factory):
    db = tmp_path_factory.mktemp("traps") / "archive.db"
    with HostileSite() as site:
        result = crawl(db, [trap_site(site).base_url], timeout=120)
        errors = [(e["url"].removeprefix(site.base_url.rstrip("/")), e["stage"], e["reason"])
                  for e in rows(db, "SELECT url, stage, reason FROM errors")]
        yield site, db, result, errors


def requested(site: HostileSite, prefix: str) -> list[str]:
    return [s.path for s in site.seen if s.path.startswith(prefix)]


def errors_under(errors, prefix: str):
    return [(url, stage, reason) for url, stage, reason in errors if url.startswith(prefix)]


def test_the_crawl_ends_cleanly(trapped):
    assert_clean(trapped[2])
    print(f"{len(trapped[0].seen)} requests in {trapped[2].seconds:.1f} s, peak RSS {trapped[2].max_rss_mb:.0f} MB")


def test_pagination_stops_at_its_limit(trapped):
    site, _, _, errors = trapped
    pages = sorted(int(p.split("/")[3]) for p in requested(site, "/news/page/"))
    assert pages == list(range(2, PAGINATION_LIMIT + 1))
    assert sorted(errors_under(errors, "/news/page/")) == sorted(
        (f"/news/page/{n}/", "fetch", f"not followed: listing page {n}, past PAGINATION_LIMIT {PAGINATION_LIMIT}")
        for n in range(PAGINATION_LIMIT + 1, PAGINATION_LIMIT + 11))


def test_a_calendar_stops_at_the_depth_limit(trapped):
    site, _, _, errors = trapped
    months = sorted(int(p.split("/")[2]) - CALENDAR_START for p in requested(site, "/calendar/"))
    # The home page is depth 0, its link depth 1: no month beyond DEPTH_LIMIT - 1 is requested.
    # How far the walk gets before the crawl ends depends on the load (seen in CI: -48..47), so
    # the bound is asserted, not the exact walk.
    assert 0 in months and set(months) <= set(range(-(DEPTH_LIMIT - 1), DEPTH_LIMIT))
    # The month 0 page may be found first from the home page (depth 1) or from a page linked
    # from it (depth 2): the refused months are the ones one link past the limit either way.
    refused = errors_under(errors, "/calendar/")
    assert refused and all(
        stage == "fetch" and reason == f"not followed: {DEPTH_LIMIT + 1} links from a start URL, over DEPTH_LIMIT {DEPTH_LIMIT}"
        and abs(int(path.split("/")[2]) - CALENDAR_START) in (DEPTH_LIMIT - 1, DEPTH_LIMIT)
        for path, stage, reason in refused)


def test_a_path_repeating_its_segments_is_a_trap(trapped):
    site, _, _, errors = trapped
    assert requested(site, "/tag/") == ["/tag/", "/tag/a/b/", "/tag/a/b/a/b/"]
    assert errors_under(errors, "/tag/") == [
        ("/tag/a/b/a/b/a/b/", "fetch", f"not followed: the path repeats 'a/b' more than PATH_MAX_REPEATS {PATH_MAX_REPEATS} times")]


def test_an_ever_longer_url_stops_at_the_length_limit(trapped):
    site, _, _, errors = trapped
    longest = max(len(site.url(p)) for p in requested(site, "/long/"))
    assert URLLENGTH_LIMIT - 60 < longest <= URLLENGTH_LIMIT
    [(url, stage, reason)] = errors_under(errors, "/long/")
    length = len(site.url(url))
    assert (stage, reason) == ("fetch", f"not followed: URL of {length} characters, over URLLENGTH_LIMIT {URLLENGTH_LIMIT}")


def test_session_ids_are_dropped_from_urls(trapped):
    site, _, _, errors = trapped
    assert sorted(requested(site, "/shop/")) == ["/shop/", "/shop/item-0/", "/shop/item-1/", "/shop/item-2/"]
    assert errors_under(errors, "/shop/") == []


def test_a_sitemap_tree_stops_at_its_nesting_depth(trapped):
    site, _, _, errors = trapped
    assert len(requested(site, "/tree/")) == 1 + 3 + 9  # depths 1 to SITEMAP_MAX_DEPTH (3)
    refused = errors_under(errors, "/tree/")
    assert len(refused) == 27
    assert {(stage, reason) for _, stage, reason in refused} == {
        ("fetch", f"not followed: sitemap nested {SITEMAP_MAX_DEPTH + 1} deep, past SITEMAP_MAX_DEPTH {SITEMAP_MAX_DEPTH}")}


def test_tracking_variants_add_at_most_the_alias_cap(trapped):
    site, db, _, errors = trapped
    [article] = rows(db, "SELECT id FROM articles WHERE url = ?", [site.url(POPULAR)])
    [count] = rows(db, "SELECT count(*) AS n FROM article_urls WHERE article_id = ?", [article["id"]])
    assert count["n"] == ARCHIVE_MAX_ALIASES
    [(url, stage, reason)] = errors_under(errors, POPULAR)
    assert (url, stage) == (POPULAR, "store")
    assert reason.startswith(f"{VARIANTS + 1 - ARCHIVE_MAX_ALIASES} aliases not recorded: the article has"
                             f" ARCHIVE_MAX_ALIASES {ARCHIVE_MAX_ALIASES} URLs"), reason


def test_a_huge_headline_and_faq_are_cut_and_the_article_kept(trapped):
    site, db, _, errors = trapped
    [article] = rows(db, "SELECT id, headline, body, warnings FROM articles WHERE url = ?", [site.url(HUGE)])
    assert len(article["headline"]) == ARTICLE_MAX_HEADLINE and article["headline"].endswith("…")
    assert "Paragraph 5" in article["body"]
    [faqs] = rows(db, "SELECT count(*) AS n FROM faqs WHERE article_id = ?", [article["id"]])
    assert faqs["n"] == ARTICLE_MAX_FAQS
    cuts = [f"truncated: headline of {len(HUGE_HEADLINE.strip())} characters cut to {ARTICLE_MAX_HEADLINE} (ARTICLE_MAX_HEADLINE)",
            f"truncated: {FAQ_PAIRS} FAQ pairs cut to {ARTICLE_MAX_FAQS} (ARTICLE_MAX_FAQS)"]
    assert sorted(errors_under(errors, HUGE)) == sorted((HUGE, "parse", cut) for cut in cuts)
    assert set(cuts) <= set(json.loads(article["warnings"]))


def test_nothing_else_is_an_error(trapped):
    errors = trapped[3]
    prefixes = ("/news/page/", "/calendar/", "/tag/", "/long/", "/shop/", "/tree/", POPULAR, HUGE)
    assert [e for e in errors if not e[0].startswith(prefixes)] == []


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    """A site listing 50 sitemaps of 10 articles each, crawled with SITEMAP_MAX_COUNT=10 and
    SITE_MAX_PAGES=30."""
    db = tmp_path_factory.mktemp("caps") / "archive.db"
    with HostileSite() as site:
        site.routes["/robots.txt"] = robots(site, "/wide.xml")
        site.routes["/wide.xml"] = lambda h: h.send(200, sitemap_index(site, [f"/wide/{n}.xml" for n in range(50)]), "application/xml")
        site.prefixes["/wide/"] = lambda h: h.send(200, urlset(
            site, [f"/2024/07/{path_of(h).split('/')[2].removesuffix('.xml')}/story-{k}/" for k in range(10)]), "application/xml")
        site.prefixes["/2024/07/"] = lambda h: h.send(200, article_html(site.url(path_of(h)), f"Story {path_of(h)}"))
        result = crawl(db, [site.base_url], "-s", "SITEMAP_MAX_COUNT=10", "-s", "SITE_MAX_PAGES=30", timeout=90)
        errors = [(e["url"].removeprefix(site.base_url.rstrip("/")), e["stage"], e["reason"])
                  for e in rows(db, "SELECT url, stage, reason FROM errors")]
        yield site, db, result, errors


def test_the_capped_crawl_ends_cleanly(capped):
    assert_clean(capped[2])


def test_sitemaps_stop_at_the_count_cap(capped):
    site, _, _, errors = capped
    assert len(requested(site, "/wide")) == 10  # /wide.xml and 9 of its 50
    refused = errors_under(errors, "/wide/")
    assert len(refused) == 41
    assert {(stage, reason) for _, stage, reason in refused} == {
        ("fetch", f"not followed: SITEMAP_MAX_COUNT 10 sitemaps requested from 127.0.0.1:{site.port} already")}


def test_requests_stop_at_the_site_cap_and_every_fetched_article_is_archived(capped):
    site, db, _, errors = capped
    robots_middleware = 1  # Scrapy's RobotsTxtMiddleware fetches robots.txt outside the spider
    assert len(site.seen) == 30 + robots_middleware
    [(url, stage, reason)] = errors_under(errors, "/2024/07/")
    assert stage == "fetch" and reason.startswith(f"not followed: SITE_MAX_PAGES 30 requests made to 127.0.0.1:{site.port};")
    fetched = {site.url(p) for p in requested(site, "/2024/07/")}
    assert {a["url"] for a in rows(db, "SELECT url FROM articles")} == fetched
    assert len(errors) == 41 + 1


MAZE_SEGMENTS = 6  # 63 pages below /maze/: a short crawl; the default (20) would allow a million


def test_a_tree_of_links_that_never_repeats_stops_at_the_path_segment_limit(tmp_path):
    """Every page links to two pages below itself (/maze/1a/2b/3b/4a/...): no run of segments
    repeats, no URL grows long; only the number of segments bounds it."""
    assert PATH_MAX_SEGMENTS == 20  # Heritrix's default
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        site.add_article(POPULAR)
        site.prefixes["/maze/"] = lambda h: h.send(200, listing([f"{path_of(h).count('/')}{side}/" for side in "ab"]))
        site.link("/maze/")
        result = crawl(db, [site.base_url], "-s", f"PATH_MAX_SEGMENTS={MAZE_SEGMENTS}", timeout=120)
        assert_clean(result)
        fetched = set(requested(site, "/maze/"))
        errors = [(e["url"].removeprefix(site.base_url.rstrip("/")), e["stage"], e["reason"])
                  for e in rows(db, "SELECT url, stage, reason FROM errors")]
    assert len(fetched) == 2 ** MAZE_SEGMENTS - 1
    assert max(p.count("/") - 1 for p in fetched) == MAZE_SEGMENTS
    refused = errors_under(errors, "/maze/")
    assert len(refused) == 2 ** MAZE_SEGMENTS
    assert {(stage, reason) for _, stage, reason in refused} == {
        ("fetch", f"not followed: a path of {MAZE_SEGMENTS + 1} segments, over PATH_MAX_SEGMENTS {MAZE_SEGMENTS}")}
    assert [a["url"] for a in rows(db, "SELECT url FROM articles")] == [site.url(POPULAR)]
