"""`import-warc`: an archive built or extended from WARC files made by other tools (wget,
Heritrix, Browsertrix, Common Crawl), without fetching anything.

The import decides about each page as a crawl does, without a crawl's machinery: no Scrapy
engine, requests or responses. `Importer` takes the records in file order; each HTML page is
sent, its body as raw bytes, to the parse pool's worker processes (a few pages ahead, so that
every worker is busy while this process reads and stores), and its results come back and are
stored in file order whatever the number of workers, by the crawl's own store
(`archive.crawl_store.CrawlStore`) on the crawl's writer thread
(`bbn_scraper.crawler.writer.ArchiveWriter`, a transaction a second): SQLite releases the GIL,
so storing overlaps with reading records and decoding the workers' results. The store judges,
deduplicates and stores, settles claims and aliases when the import closes, and records it as
a crawl row with its stats. What this process reads of the archive while the writer runs (a
page already archived, a backfill's position) it reads on a connection of its own. What a
crawl makes of a parsed page, a feed or a sitemap is `bbn_scraper.crawler.page_results`,
shared with the spider.

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

import asyncio
import functools
import hashlib
import logging
import signal
import sqlite3
import sys
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from scrapy.http import Headers, TextResponse
from scrapy.responsetypes import responsetypes

from archive import Archive, story_settings
from archive.crawl_store import CrawlStore
from archive.items import Alias, CrawlError, FetchedPage
from archive.model import normalize_url, url_key, without_credentials
from bbn_scraper.crawler.bounds import refused as refused_request, request_refusal, store_limits
from bbn_scraper.crawler.page_results import FEED_LINKS, HTML_TYPES, page_results, sitemap_results
from bbn_scraper.crawler.parse_pool import ParsePool, usable_cpus
from bbn_scraper.crawler.run import crawl_settings
from bbn_scraper.crawler.scope import REDIRECT_STATUSES
from bbn_scraper.crawler.sites import SiteMap
from bbn_scraper.crawler.warc_records import Capture, Limits, Oversized, Skipped, Unreadable, read_warc
from bbn_scraper.crawler.writer import ArchiveWriter
from bbn_scraper.parsers import PARSER_VERSION
from bbn_scraper.parsers.dates import parse_date

logger = logging.getLogger(__name__)
KINDS = ("page", "feed", "sitemap")  # what a crawl reads (stats bbn/warc/pages, feeds, sitemaps)
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
XML_TYPES = ("text/xml", "application/xml")
SNIFF_BYTES = 1024
AHEAD_PER_WORKER = 4  # pages sent to each parse worker before the first of them is stored
MAX_AHEAD = 256  # records' results waiting behind a page being parsed (each may hold a body), at most
# How often the interpreter hands the GIL over during an import (Python's default: 5 ms): the
# writer thread takes it back after each SQLite call, and would wait up to that long behind the
# reading. 0.5 ms: 234 s against 244 s for 42,020 articles of the bench WARC (2 vCPUs).
SWITCH_SECONDS = 0.0005
# The crawl row's settings of an import (nothing is fetched: only what shapes the archive).
RECORDED_SETTINGS = ("PARSE_PROCESSES", "ARCHIVE_MAX_ARTICLES", "DOWNLOAD_MAXSIZE", "USER_AGENT")


class AnyHost:
    """An import's scope: any http(s) URL (a WARC holds whatever its crawler took)."""

    def __contains__(self, url: str) -> bool:
        return url.split(":", 1)[0].lower() in ("http", "https")


@dataclass
class _Page:
    """An HTML page sent to the parse pool; its results once `parsing` is done."""
    page: FetchedPage
    parsing: asyncio.Future


class Importer:
    """Imports records (`warc_records`' Capture, Skipped, Unreadable; a CrawlError as it is) taken
    in order with `await take(record)` into `store`, pages parsed by `pool`, stored by `writer`
    (an ArchiveWriter of the store's archive, started); `stats` counts them (`bbn/warc/*`).
    `reader`: a connection of this thread to the same archive. `refusal(url)`: (stat, reason)
    of a capture a crawl would not request (bounds.request_refusal), or None. `drain()` hands
    the writer everything taken so far, `close()` stops the workers; `await write(fn)` runs
    `fn()` on the writer thread after what was handed before it, and commits it. `stopped`:
    why the import should stop (the store's article cap or a storage failure, a signal), or
    None."""

    def __init__(self, store: CrawlStore, pool: ParsePool, stats: Counter, writer: ArchiveWriter, reader: Archive,
                 refusal: Callable[[str], tuple[str, str] | None] = lambda url: None):
        self.store, self.pool, self.stats, self.refusal = store, pool, stats, refusal
        self.writer, self.reader = writer, reader
        self.archive = store.archive  # the writer thread's, for `write`
        self.scope = AnyHost()
        self.requested: set[str] = set()  # url_keys taken: a crawl requests each once
        self.followed: set[str] = set()  # links met (page_results)
        self.not_articles: dict[str, str] = {}  # url_key -> why no article is archived from there
        self.stopped: str | None = None
        self.window = AHEAD_PER_WORKER * max(1, pool.processes)
        self._ahead: deque = deque()  # what each record gives, in order: a list of items, or a _Page
        self._parsing = 0  # _Pages in _ahead

    def stop(self, reason: str) -> None:
        self.stopped = self.stopped or reason

    async def take(self, record) -> None:
        results = self._entry(record)
        page = results.pop() if results and isinstance(results[-1], _Page) else None
        if results:
            self._ahead.append(results)
        if page is not None:
            self._ahead.append(page)
            self._parsing += 1
            await asyncio.sleep(0)  # the parse task sends the page now
        await self._store_ready(self.window)

    async def drain(self) -> None:
        await self._store_ready(-1)

    async def close(self) -> None:
        """Cancel the parses not yet stored, stop the parse workers and count their usage."""
        for entry in self._ahead:
            if isinstance(entry, _Page):
                entry.parsing.cancel()
        await self.pool.close()
        if self.pool.processes:
            for name, value in self.pool.usage().items():
                self.stats[f"bbn/parse_{name}"] = value

    async def write(self, fn: Callable[[], object]) -> None:
        await self.writer.put(fn)
        await asyncio.to_thread(self.writer.flush)

    def batch_lost(self, writes: int, exc: Exception) -> None:
        """On the writer thread: a transaction that could not commit lost its writes; the import stops."""
        self.store.counts["bbn/error_store_batch_lost"] += 1
        self.store.storage_failed(f"could not commit {writes} archive writes", exc, writes)

    # What each record gives

    def _entry(self, record) -> list:
        """The items a record gives, the last of them the _Page being parsed if it is a page."""
        if isinstance(record, CrawlError):  # a download that failed (the Common Crawl backfill)
            return [record]
        self.stats["bbn/warc/records"] += 1
        if isinstance(record, Oversized):
            self.stats["bbn/warc/too_large"] += 1
            return [CrawlError(_where(record), "fetch",
                               f"WARC record in {record.path} at offset {record.offset} not imported: {record.reason}")]
        if isinstance(record, Unreadable):
            self.stats["bbn/warc/unreadable"] += 1
            return [CrawlError(_where(record), "fetch",
                               f"unreadable WARC record in {record.path} at offset {record.offset}: {record.reason}")]
        if isinstance(record, Skipped):
            self.stats[f"bbn/warc/{record.what}"] += 1
            return []
        return self._capture(record)

    def _capture(self, capture: Capture):
        """As a crawl would: a tracking-decorated URL is taken clean (and is an alias of it), a
        URL once, a failed capture is a fetch error, a page is parsed, a feed or sitemap read."""
        kind = _kind(capture)
        skipped = None if kind in KINDS else kind
        url = normalize_url(capture.url) if skipped is None else capture.url
        if skipped is None and 200 <= capture.status < 300:  # a failed capture claims no URL: a retry may follow
            if url_key(url) in self.requested:
                skipped = "duplicate_capture"
            else:
                self.requested.add(url_key(url))
                if kind == "page" and self.reader.has_parsed_page(url, hashlib.sha256(capture.body).hexdigest()):
                    skipped = "already_archived"
        items = [Alias(capture.url, url)] if capture.url.split("#")[0] != url else []
        if skipped:
            self.stats[f"bbn/warc/{skipped}"] += 1
            # An alias that is its URL with credentials adds nothing but the row saying they were
            # removed, which the capture that was imported has recorded.
            return [a for a in items if without_credentials(a.url).split("#")[0] != url]
        self.stats[f"bbn/warc/{kind}s"] += 1
        refused = self.refusal(url)
        if refused is not None:  # as the crawl's spider middlewares refused the request
            self.stats[refused[0]] += 1
            return [*items, refused_request(url, refused[1])]
        if not 200 <= capture.status < 300:  # as Scrapy's HttpErrorMiddleware and the spider's errback
            self.not_articles[url_key(url)] = f"HTTP {capture.status}"
            return [*items, CrawlError(url, "fetch", f"HTTP {capture.status}")]
        if kind == "page":
            return [*items, *self._page(capture, url)]
        try:
            response = _response(capture, url)
            if kind == "feed":
                return [*items, *(r for link in response.xpath(FEED_LINKS).getall() for r in self._follow(link.strip()))]
            return [*items, *sitemap_results(url, response.body, self._follow, lambda loc, lastmod: ())]
        except Exception as exc:  # noqa: BLE001 - as the crawl's CallbackErrorsMiddleware
            return [*items, CrawlError(url, "parse", f"{type(exc).__name__}: {exc}")]

    def _page(self, capture: Capture, url: str) -> list:
        """The page's items when it is not parsed (not HTML, empty), else [the _Page being parsed]."""
        content_type = _header(capture, "Content-Type") or ""
        fetched_at = parse_date(capture.date) or datetime.now(timezone.utc)
        validators = [(_header(capture, name) or "").strip() or None for name in ("ETag", "Last-Modified")]
        page = FetchedPage(url, capture.status, content_type, capture.body, fetched_at, *validators)
        mime = content_type.split(";")[0].strip().lower()
        if mime and mime not in HTML_TYPES or not mime and not isinstance(_response(capture, url), TextResponse):
            return [page, CrawlError(url, "parse", f"not an HTML page (Content-Type: {content_type or 'none'})")]
        if not capture.body.strip():
            return [page, CrawlError(url, "parse", "empty response body")]
        return [_Page(page, asyncio.ensure_future(self.pool.parse(capture.body, content_type, url, pack=True)))]

    def _follow(self, url: str, lastmod: str | None = None):
        """Links are not followed: only the tracking-decorated ones become aliases, as in a crawl."""
        if url in self.scope and url.split("#")[0] != normalize_url(url):
            yield Alias(url, normalize_url(url))

    async def _results(self, entry: _Page) -> list:
        page = entry.page
        try:
            article, links, signature, packed = await entry.parsing
        except Exception as exc:  # noqa: BLE001 - as the crawl's CallbackErrorsMiddleware: this page's parse error
            logger.warning("could not process %s: %r", page.url, exc)
            return [page, CrawlError(page.url, "parse", f"{type(exc).__name__}: {exc}")]
        page.packed = packed  # its body as stored, made by the worker
        return [page, *page_results(self, page.url, article, links, signature, page.fetched_at)]

    # Storing, in order

    async def _store_ready(self, parsing: int) -> None:
        """Store the entries at the head of the queue that are ready, and more until no more
        than `parsing` pages are being parsed and no more than MAX_AHEAD entries wait."""
        while self._ahead and (self._parsing > parsing or len(self._ahead) > MAX_AHEAD
                               or not isinstance(self._ahead[0], _Page) or self._ahead[0].parsing.done()):
            entry = self._ahead.popleft()
            if isinstance(entry, _Page):
                self._parsing -= 1
                entry = await self._results(entry)
            if entry and not self.store.failure:
                await self.writer.put(self._store, entry)

    def _store(self, items: list) -> None:
        """On the writer thread, in its transaction: store a record's items."""
        for item in items:
            self.store.store(item)


def _where(record: Unreadable) -> str:
    """The URL an error row of an unreadable record is filed under: the record's target, else
    its file's (a local file's file:// URL; a downloaded file's own)."""
    if record.url:
        return record.url
    return record.path if "://" in record.path else Path(record.path).as_uri()


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


def _header(capture: Capture, name: str) -> str | None:
    """The last value of a header, as a crawl reads it (Scrapy's Headers: UTF-8 bytes read as Latin-1)."""
    value = next((v for k, v in reversed(capture.headers) if k.lower() == name.lower()), None)
    return None if value is None else value.encode("utf-8").decode("latin-1")


def _response(capture: Capture, url: str):
    """The Scrapy response a crawl would have had (its type from the headers, URL and body)."""
    headers = Headers(capture.headers)
    cls = responsetypes.from_args(headers=headers, url=url, body=capture.body)
    return cls(url=url, status=capture.status, headers=headers, body=capture.body)


# Running an import


def import_into(db: str, start_urls: list[str], feed: Callable[[Importer], Awaitable[None]],
                overrides: dict | None = None, stats: Counter | None = None) -> dict:
    """Run an import into the archive at `db` as a crawl row of its own (`start_urls`), holding
    the crawl lock: `await feed(importer)` takes the records. `overrides`: settings (Scrapy's
    names: PARSE_PROCESSES, default one per CPU, since the import's own process has no network
    to wait on; PARSE_TIMEOUT, DOWNLOAD_MAXSIZE, ARCHIVE_MAX_*, ARTICLE_MAX_*, BBN_SITES).
    The import's stats when it is over, `bbn/store_failure` among them if the archive stopped it."""
    settings = crawl_settings(db, {"PARSE_PROCESSES": usable_cpus(), **(overrides or {})})
    stats = Counter() if stats is None else stats
    started = time.monotonic()
    with Archive(db, create=True, check_same_thread=False) as archive, archive.crawl_lock(), Archive(db) as reader:
        archive.mark_interrupted_crawls()
        sites = SiteMap.from_settings(settings)  # sites.toml: counts per site too
        pool = ParsePool(settings.getint("PARSE_PROCESSES"), timeout=settings.getfloat("PARSE_TIMEOUT"),
                         stories=story_settings(db))
        store = CrawlStore(archive, store_limits(settings), PARSER_VERSION, site_of=sites.name if sites else None)
        stats["bbn/crawl_id"] = store.start(start_urls, {name: settings.get(name) for name in RECORDED_SETTINGS})
        writer = ArchiveWriter(archive, commit_when_idle=False)  # records come steadily: a transaction a second
        importer = Importer(store, pool, stats, writer, reader, functools.partial(request_refusal, settings=settings))
        writer.on_lost = importer.batch_lost
        store.on_stop = importer.stop
        reason = "interrupted"
        writer.start()
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_SECONDS)
        try:
            asyncio.run(_run(importer, feed))
            reason = importer.stopped or "finished"
        finally:
            sys.setswitchinterval(switch)
            _close(importer, reason, started)
    return dict(stats)


async def _run(importer: Importer, feed: Callable[[Importer], Awaitable[None]]) -> None:
    """`feed` the importer, then store what it took and stop the workers. SIGTERM or Ctrl-C
    stops the reading (what was read is stored); a second one stops at once, even while a page
    is parsed in this process (PARSE_PROCESSES=0): the handlers are Python's, run between two
    bytecodes of whatever runs, not the event loop's, which wait for it to finish."""
    loop = asyncio.get_running_loop()
    signals = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}  # the second signal's
    before = {number: signal.getsignal(number) for number in signals}

    def stop_gracefully(number, frame):
        for each, handler in signals.items():
            signal.signal(each, handler)
        loop.call_soon_threadsafe(importer.stop, "shutdown")

    for number in signals:
        signal.signal(number, stop_gracefully)
    try:
        await feed(importer)
        await importer.drain()
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        await importer.close()


def _close(importer: Importer, reason: str, started: float) -> None:
    """Store what the writer holds and stop it, settle the claims and aliases, and close the
    crawl row with the import's stats."""
    store, stats = importer.store, importer.stats
    importer.writer.close()
    store.settle(importer.not_articles)
    stats.update(store.counts)
    seconds = round(time.monotonic() - started, 2)
    reason = store.status(reason)
    stats["elapsed_time_seconds"], stats["finish_reason"] = seconds, reason
    try:
        store.archive.finish_crawl(store.crawl_id, reason, {**stats, "seconds": seconds})
        if not store.archive.truncate_wal():
            logger.warning("the archive's write-ahead log is not truncated: a reader holds it")
    except sqlite3.Error as exc:
        logger.error("could not close crawl %s in the archive: %s", store.crawl_id, exc)
        store.failure = store.failure or f"could not close crawl {store.crawl_id} in the archive ({exc})"
    if store.failure:
        stats["bbn/store_failure"] = store.failure


def run_import(files: list[str], db: str, overrides: dict | None = None) -> dict:
    """Import the WARC `files` (read in the order given, each record in file order) into the
    archive at `db`; the import's stats when it is over (`import_into`)."""
    paths = [str(Path(f).resolve()) for f in files]
    return import_into(db, [Path(p).as_uri() for p in paths], _files_feed(paths, overrides), overrides)


def _files_feed(paths: list[str], overrides: dict | None):
    async def feed(importer: Importer) -> None:
        settings = crawl_settings("", overrides)
        limits = Limits(settings.getint("DOWNLOAD_MAXSIZE"), settings.getint("DOWNLOAD_MAX_HEADER_BYTES"),
                        settings.getint("DOWNLOAD_MAX_HEADERS"))
        for path in paths:
            try:
                for record in read_warc(path, limits):
                    if importer.stopped:
                        return
                    await importer.take(record)
            except OSError as exc:  # gone or unreadable since the import began: the other files go on
                await importer.take(Unreadable(path, 0, None, f"the file could not be read: {exc.strerror or exc}"))
    return feed
