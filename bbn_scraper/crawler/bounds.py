"""Bounds on what a crawl requests and stores, each a setting (bbn_scraper.settings). A request
past a bound is not made and becomes a fetch error of its URL (`not followed: ...`); a field
past a bound is cut by the store (`archive.crawl_store`) and becomes a parse error
(`truncated: ...`): none is dropped silently.
Scrapy's DepthMiddleware and UrlLengthMiddleware only log what they drop; the subclasses here
record it."""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.spidermiddlewares.depth import DepthMiddleware
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware

from archive.crawl_store import StoreLimits
from archive.items import CrawlError
from bbn_scraper.crawler.sites import SiteMap

# /page/N (WordPress, Ghost), ?page=N, ?paged=N, ?pg=N: the Nth page of a listing.
PAGE_NUMBER = re.compile(r"/page/(\d+)(?:/|$)|[?&](?:page|paged|pg)=(\d+)(?:&|$)", re.IGNORECASE)


def refused(url: str, reason: str) -> CrawlError:
    return CrawlError(url, "fetch", f"not followed: {reason}")


def site_of(url: str) -> str:
    """host[:port] without "www.": the unit of the per-site bounds."""
    return urlsplit(url).netloc.lower().removeprefix("www.")


class RecordedDepthMiddleware(DepthMiddleware):
    """DepthMiddleware (DEPTH_LIMIT) that records each request it drops."""

    def get_processed_request(self, request, response):
        kept = super().get_processed_request(request, response)
        if kept is None:  # counted by Scrapy: depth/request_ignored_count
            return refused(request.url, f"{request.meta['depth']} links from a start URL, over DEPTH_LIMIT {self.maxdepth}")
        return kept


class RecordedUrlLengthMiddleware(UrlLengthMiddleware):
    """UrlLengthMiddleware (URLLENGTH_LIMIT) that records each request it drops."""

    def get_processed_request(self, request, response):
        kept = super().get_processed_request(request, response)
        if kept is None:  # counted by Scrapy: urllength/request_ignored_count
            return refused(request.url, f"URL of {len(request.url)} characters, over URLLENGTH_LIMIT {self.maxlength}")
        return kept


def repeated_run(path: str, limit: int) -> str | None:
    """The run of path segments that `path` repeats more than `limit` times in a row
    (`a/b` in /a/b/a/b/a/b/), or None."""
    segments = [s for s in path.split("/") if s]
    for size in range(1, len(segments) // (limit + 1) + 1):
        for start in range(len(segments) - size * (limit + 1) + 1):
            run = segments[start:start + size]
            if all(segments[start + k * size:start + (k + 1) * size] == run for k in range(1, limit + 1)):
                return "/".join(run)
    return None


def page_number(url: str) -> int | None:
    match = PAGE_NUMBER.search(url)
    return int(match.group(1) or match.group(2)) if match else None


def path_trap(url: str, max_segments: int, max_repeats: int, max_page: int) -> tuple[str, str] | None:
    """(stat name, reason) if `url` is into a crawler trap: a path of more than `max_segments`
    segments, repeating a run of them more than `max_repeats` times, a listing page past
    `max_page` (0: that rule off); else None."""
    path = urlsplit(url).path
    segments = sum(1 for segment in path.split("/") if segment)
    if max_segments and segments > max_segments:
        return "path_segments", f"a path of {segments} segments, over PATH_MAX_SEGMENTS {max_segments}"
    run = repeated_run(path, max_repeats) if max_repeats else None
    if run is not None:
        return "path_repeats", f"the path repeats {run!r} more than PATH_MAX_REPEATS {max_repeats} times"
    number = page_number(url) if max_page else None
    if number is not None and number > max_page:
        return "pagination", f"listing page {number}, past PAGINATION_LIMIT {max_page}"
    return None


def request_refusal(url: str, settings) -> tuple[str, str] | None:
    """(stat, reason) if a crawl's settings refuse a request of `url` whatever its site: over
    URLLENGTH_LIMIT characters (as RecordedUrlLengthMiddleware), or into a trap (`path_trap`);
    else None. The WARC import applies it to each capture, as a crawl to each request."""
    limit = settings.getint("URLLENGTH_LIMIT")
    if limit and len(url) > limit:
        return "urllength/request_ignored_count", f"URL of {len(url)} characters, over URLLENGTH_LIMIT {limit}"
    trap = path_trap(url, settings.getint("PATH_MAX_SEGMENTS"), settings.getint("PATH_MAX_REPEATS"),
                     settings.getint("PAGINATION_LIMIT"))
    return trap and (f"bbn/refused/{trap[0]}", trap[1])


class TrapMiddleware(BaseSpiderMiddleware):
    """Refuses, and records, requests into crawler traps: a path of more than PATH_MAX_SEGMENTS
    segments (a tree of links that never repeats), a path repeating a run of segments
    more than PATH_MAX_REPEATS times, a listing page past PAGINATION_LIMIT, and any request to
    a site that has had SITE_MAX_PAGES already (recorded for the first such URL of the site,
    counted in stats `bbn/refused/site_max_pages`: a trap's frontier would fill the table).
    A sites.toml site with `max_pages` has that cap instead, over all its hosts."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.stats = crawler.stats
        self.max_segments = settings.getint("PATH_MAX_SEGMENTS")
        self.max_repeats = settings.getint("PATH_MAX_REPEATS")
        self.max_page = settings.getint("PAGINATION_LIMIT")
        self.max_pages = settings.getint("SITE_MAX_PAGES")
        self.pages: Counter = Counter()
        self.sites = SiteMap.from_settings(settings)  # sites.toml: a site's max_pages, over all its hosts

    def get_processed_request(self, request, response):
        url = request.url
        trap = path_trap(url, self.max_segments, self.max_repeats, self.max_page)
        if trap is not None:
            self.stats.inc_value(f"bbn/refused/{trap[0]}")
            return refused(url, trap[1])
        site, max_pages, setting = site_of(url), self.max_pages, "SITE_MAX_PAGES"
        configured = self.sites.site(url) if self.sites else None
        if configured is not None and configured.max_pages:
            site, max_pages, setting = configured.name, configured.max_pages, "max_pages"
        if max_pages and self.pages[site] >= max_pages:
            self.stats.inc_value("bbn/refused/site_max_pages")
            self.pages[site] += 1
            if self.pages[site] == max_pages + 1:
                return refused(url, f"{setting} {max_pages} requests made to {site}; this and its"
                                    " later URLs not requested (stats: bbn/refused/site_max_pages)")
            return None
        self.pages[site] += 1
        return request


class SitemapBudget:
    """The sitemaps a crawl requests: each URL once, none nested past SITEMAP_MAX_DEPTH, at most
    SITEMAP_MAX_COUNT from one site (0: no cap)."""

    def __init__(self, max_count: int = 0, max_depth: int = 0):
        self.max_count, self.max_depth = max_count, max_depth
        self.per_site: Counter = Counter()  # site -> sitemaps requested
        self.seen: set[str] = set()  # sitemap URLs requested or refused

    def first_time(self, url: str) -> bool:
        """Whether the sitemap is met for the first time (an index may list itself or an ancestor)."""
        if url in self.seen:
            return False
        self.seen.add(url)
        return True

    def refusal(self, url: str, depth: int) -> tuple[str, str] | None:
        """(stat name, reason) of a sitemap not to request; None, and it is counted, if it may be."""
        site = site_of(url)
        if self.max_depth and depth > self.max_depth:
            return "sitemap_depth", f"sitemap nested {depth} deep, past SITEMAP_MAX_DEPTH {self.max_depth}"
        if self.max_count and self.per_site[site] >= self.max_count:
            return "sitemap_count", f"SITEMAP_MAX_COUNT {self.max_count} sitemaps requested from {site} already"
        self.per_site[site] += 1
        return None


def store_limits(settings) -> StoreLimits:
    """The store's caps from the crawl's settings: ARCHIVE_MAX_ARTICLES, ARCHIVE_MAX_ALIASES and
    the ARTICLE_MAX_* field limits."""
    return StoreLimits(max_articles=settings.getint("ARCHIVE_MAX_ARTICLES"),
                       max_aliases=settings.getint("ARCHIVE_MAX_ALIASES"),
                       headline=settings.getint("ARTICLE_MAX_HEADLINE"), byline=settings.getint("ARTICLE_MAX_BYLINE"),
                       faqs=settings.getint("ARTICLE_MAX_FAQS"))
