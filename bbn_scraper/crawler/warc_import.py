"""`import-warc`: an archive built or extended from WARC files made by other tools (wget,
Heritrix, Browsertrix, Common Crawl), without fetching anything.

The import is a crawl whose responses come from the WARC files: `WarcImportSpider` is the bbn
spider with its requests made from the files' response records instead of discovered links,
and `WarcResponses`, the first downloader middleware, answers each from its record. So every
page goes the crawl's own way from there: Scrapy's response types and HTTP-error handling, the
spider's article-or-not decision, identity refusals and claims (`parse_html_page`), the parse
pool, and the crawl's store (`StorePipeline` over `archive.crawl_store.CrawlStore`), which
judges, deduplicates and stores, settles claims and aliases when the import closes and records
it as a crawl row with its stats. Calling the store directly would have meant copying the
spider's decisions; answering from the files keeps one path.

What a crawl would not parse is counted in `bbn/warc/*` stats and skipped: records that are no
response (request, metadata, warcinfo, resource, revisit: a revisit's payload is the one of an
earlier capture), responses that are neither HTML nor a feed or sitemap (those are read for
their links' aliases and dates, as in a crawl), redirects (a crawl follows them, and the target
has a record of its own), 304s, and captures of a page already in the archive with the same
body (a second import of a file adds no article, version, URL or page). A capture of a URL
already taken is skipped too, as a crawl requests each URL once. Other statuses (404, 5xx) are
fetch errors, as in a crawl, each time the file is imported; such a capture does not take its
URL, since a successful retry may follow it. An unreadable record, or one over a crawl's
limits (DOWNLOAD_MAXSIZE of body decoded, its header limits), is a fetch error naming its file
and offset."""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from archive import Archive, NotFound
from archive.items import Alias, Claim, CrawlError, FetchedArticle, FetchedPage
from bbn_scraper.crawler.parse_pool import usable_cpus
from bbn_scraper.crawler.run import StoppingCrawlerProcess, crawl_settings
from bbn_scraper.crawler.scope import REDIRECT_STATUSES, Scope
from bbn_scraper.crawler.spiders.bbn import HTML_TYPES, BbnSpider
from bbn_scraper.crawler.warc_records import Capture, Limits, Oversized, Skipped, Unreadable, read_warc
from archive.model import normalize_url, url_key
from bbn_scraper.parsers.dates import parse_date

CAPTURE = "warc_capture"
# The spider's callback for each kind of response a crawl reads (stats bbn/warc/pages, feeds, sitemaps).
CALLBACKS = {"page": "parse_capture", "feed": "parse_feed", "sitemap": "parse_sitemap"}
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
XML_TYPES = ("text/xml", "application/xml")
SNIFF_BYTES = 1024  # request meta: the Capture that answers the request
# The import fetches nothing, so nothing to be polite about, retry or ask robots.txt.
IMPORT_SETTINGS = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "RETRY_ENABLED": False,
    "SITE_MAX_PAGES": 0,
    "LOG_LEVEL": "WARNING",
    "DOWNLOADER_MIDDLEWARES": {"bbn_scraper.crawler.warc_import.WarcResponses": 1},
}


class AnyHost(Scope):
    """An import's scope: any http(s) URL (a WARC holds whatever its crawler took)."""

    def __init__(self):
        super().__init__([])

    def __contains__(self, url: str) -> bool:
        return url.split(":", 1)[0].lower() in ("http", "https")


class WarcImportSpider(BbnSpider):
    """`files`: the WARC files, read in the order given, each record in file order."""

    name = "bbn-warc"

    def __init__(self, files: list[str], **kwargs):
        super().__init__(start_urls=["http://warc.invalid/"], refresh=True, **kwargs)  # refresh: no known URLs to load
        self.files = [str(Path(f).resolve()) for f in files]
        self.start_urls = [Path(f).as_uri() for f in self.files]  # the crawl row's start URLs
        self.scope = AnyHost()
        self.archive: Archive | None = None  # read side: which pages are archived already

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.scope = AnyHost()
        try:
            spider.archive = Archive(crawler.settings.get("ARCHIVE_DB"))
        except NotFound:
            spider.archive = None  # a new archive: nothing is archived yet
        return spider

    async def closed(self, reason):
        if self.archive is not None:
            self.archive.close()
        await super().closed(reason)

    async def start(self):
        settings = self.crawler.settings
        limits = Limits(settings.getint("DOWNLOAD_MAXSIZE"), settings.getint("DOWNLOAD_MAX_HEADER_BYTES"),
                        settings.getint("DOWNLOAD_MAX_HEADERS"))
        async for record in self.records(limits):
            for result in self._request_for(record):
                if isinstance(result, scrapy.Request) and self.crawler.engine.needs_backout():
                    # Scrapy reads start() on while the pages wait: memory would grow with the file.
                    await self.crawler.signals.wait_for(signals.scheduler_empty)
                yield result

    async def records(self, limits: Limits):
        """The records to import, in order: those of `files`. A subclass may read them from
        elsewhere, and await between them (the Common Crawl backfill: bbn_scraper.crawler.commoncrawl)."""
        for path in self.files:
            for record in read_warc(path, limits):
                yield record

    def _request_for(self, record):
        """The request a record answers, or the error it is; nothing for a record skipped (counted).
        As in a crawl, a tracking-decorated URL is requested clean, and is an alias of it."""
        stats = self.crawler.stats
        stats.inc_value("bbn/warc/records")
        if isinstance(record, Oversized):
            stats.inc_value("bbn/warc/too_large")
            yield CrawlError(record.url or Path(record.path).as_uri(), "fetch",
                             f"WARC record in {record.path} at offset {record.offset} not imported: {record.reason}")
            return
        if isinstance(record, Unreadable):
            stats.inc_value("bbn/warc/unreadable")
            yield CrawlError(record.url or Path(record.path).as_uri(), "fetch",
                             f"unreadable WARC record in {record.path} at offset {record.offset}: {record.reason}")
            return
        if isinstance(record, Skipped):
            stats.inc_value(f"bbn/warc/{record.what}")
            return
        kind = _kind(record)
        skipped = None if kind in CALLBACKS else kind
        url = normalize_url(record.url) if skipped is None else record.url
        if skipped is None and 200 <= record.status < 300:  # a failed capture claims no URL: a retry may follow
            if url_key(url) in self.requested:
                skipped = "duplicate_capture"  # a crawl requests each url_key once
            else:
                self.requested.add(url_key(url))
                if kind == "page" and self.archive is not None and self.archive.has_page(
                        url, hashlib.sha256(record.body).hexdigest()):
                    skipped = "already_archived"
        if record.url.split("#")[0] != url:
            yield Alias(record.url, url)
        if skipped:
            stats.inc_value(f"bbn/warc/{skipped}")
            return
        stats.inc_value(f"bbn/warc/{kind}s")
        meta = {CAPTURE: record, "dont_redirect": True, "dont_retry": True, "sitemap_url": url}
        yield scrapy.Request(url, getattr(self, CALLBACKS[kind]), errback=self.errback, dont_filter=True, meta=meta)

    async def parse_capture(self, response):
        """`parse_html_page`, its items dated when the page was captured, not now."""
        captured = parse_date(response.meta.get("warc_date"))
        async for item in self.parse_html_page(response):
            if captured is not None and isinstance(item, (FetchedPage, FetchedArticle, Claim)):
                item = dataclasses.replace(item, fetched_at=captured)
            yield item

    def _follow(self, url: str, lastmod: str | None = None):
        """Links are not followed (only the tracking-decorated ones become aliases, as in a crawl)."""
        if url in self.scope and url.split("#")[0] != normalize_url(url):
            yield Alias(url, normalize_url(url))

    def _sitemap(self, url: str, depth: int, lastmod: str | None = None):
        return iter(())


def _kind(capture: Capture) -> str:
    """What a crawl would do with this response: `page` (parse it), `feed` or `sitemap` (read
    its links and dates), or why not (a stat name)."""
    if capture.status in REDIRECT_STATUSES:
        return "redirect"
    if capture.status == 304:
        return "not_modified"
    content_type = next((v for k, v in capture.headers if k.lower() == "content-type"), "")
    mime = content_type.split(";")[0].strip().lower()
    if not mime or mime in HTML_TYPES:
        return "page"
    if mime in FEED_TYPES or mime in XML_TYPES and capture.body:
        head = capture.body[:SNIFF_BYTES]
        if b"<urlset" in head or b"<sitemapindex" in head:
            return "sitemap"
        if b"<rss" in head or b"<feed" in head or mime in FEED_TYPES:
            return "feed"
    return "not_html"


class WarcResponses:
    """The first downloader middleware of an import: the response of a request made from a
    WARC record is that record; any other request is refused (an import fetches nothing)."""

    def process_request(self, request):
        capture: Capture | None = request.meta.pop(CAPTURE, None)
        if capture is None:
            raise IgnoreRequest(f"not fetched: {request.url} is not in the WARC files")
        request.meta["warc_date"] = capture.date
        headers = Headers(capture.headers)
        cls = responsetypes.from_args(headers=headers, url=request.url, body=capture.body)
        return cls(url=request.url, status=capture.status, headers=headers, body=capture.body, request=request)


def run_import(files: list[str], db: str, overrides: dict | None = None) -> dict:
    """Import the WARC `files` into the archive at `db`; the import's stats when it is over.
    The entry point of every import (the CLI's `import-warc`): `overrides` are Scrapy settings,
    PARSE_PROCESSES among them (default here: one parse worker per CPU, since the import's own
    process has no network to wait on and its pages' parsing and signatures are the work)."""
    settings = crawl_settings(db, {**IMPORT_SETTINGS, "PARSE_PROCESSES": usable_cpus(), **(overrides or {})})
    process = StoppingCrawlerProcess(settings)
    crawler = process.create_crawler(WarcImportSpider)
    process.crawl(crawler, files=list(files))
    process.start()
    return crawler.stats.get_stats()
