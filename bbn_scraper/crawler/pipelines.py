"""Item pipelines: thin adapters from the spider's items to the archive.
validate -> deduplicate -> store; every SQL statement lives in `archive`."""
from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from contextlib import ExitStack

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import reactor

from archive import Archive, IdentityRefused
from bbn_scraper.crawler.downloader import stop_waiting
from bbn_scraper.crawler.identity import own_identity
from bbn_scraper.crawler.items import Alias, Claim, CrawlError, FetchedArticle, FetchedPage, Seen, SitemapLastmods, SitemapRead
from bbn_scraper.parsers import PARSER_VERSION
from archive.model import url_key
from bbn_scraper.crawler.sites import SiteMap
from bbn_scraper.crawler.warc import warc_ref
from bbn_scraper.crawler.writer import ArchiveWriter

logger = logging.getLogger(__name__)
class _OverCap(Exception):
    """A new article past ARCHIVE_MAX_ARTICLES: its savepoint is rolled back."""


# SQLite errors that say the archive takes no more writes, rather than that one item is bad.
STORAGE_FAILURES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CORRUPT", "SQLITE_CANTOPEN", "SQLITE_NOTADB")


class CrawlerPipeline:
    """A pipeline built from the crawler (Scrapy 2.19 passes no spider to pipeline methods)."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class ValidatePipeline(CrawlerPipeline):
    """An article lacking what it needs (`Article.missing_fields`: a headline and a body) is
    recorded as a parse error."""

    def __init__(self, crawler):
        self.stats = crawler.stats

    def process_item(self, item):
        if isinstance(item, FetchedArticle):
            error = invalid(item)
            if error:
                self.stats.inc_value("bbn/invalid_article")
                return error
        return item


def invalid(item: FetchedArticle) -> CrawlError | None:
    """The parse error of an article lacking a headline or a body, else None."""
    missing = item.article.missing_fields()
    if missing:
        warnings = "; ".join(item.article.warnings)
        return CrawlError(item.fetched_url, "parse", f"no {' and no '.join(missing)} ({warnings})")
    return None


class DeduplicatePipeline(CrawlerPipeline):
    """One article per canonical key in a crawl: a second page of it becomes an alias."""

    def __init__(self, crawler):
        self.stats = crawler.stats
        self.seen: set[str] = set()

    def process_item(self, item):
        if isinstance(item, FetchedArticle):
            key = url_key(item.article.canonical_url)
            if key in self.seen:
                self.stats.inc_value("bbn/duplicate_article")
                return Alias(item.fetched_url, item.article.canonical_url)
            self.seen.add(key)
        return item


class StorePipeline:
    """Writes every item to the archive under the crawl lock, on the archive writer's thread in
    batched transactions (`bbn_scraper.crawler.writer`), and closes the crawl with its counters.
    Aliases, sightings and sitemap dates are applied once the crawl is over, so that the order
    pages arrive in does not matter; those whose article is not archived yet are kept
    in the spider's state, which a paused crawl (`--resume DIR`) saves for the run that resumes
    it. A killed crawl loses them, and its next run finds them again: it starts discovery afresh
    (see `bbn_scraper.crawler.jobdir`). Claims (a page naming another as its canonical) are settled when
    each run closes, a paused one too: a claim whose canonical page is still queued then is
    archived under its own URL."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_DB")
        self.archive: Archive | None = None
        self.writer: ArchiveWriter | None = None
        self.crawl_id: int | None = None
        self.counts: Counter = Counter()  # stats counted on the writer thread, added at close
        self.resources = ExitStack()
        self.aliases: dict[str, str] = {}  # alias URL -> canonical URL
        self.claims: dict[str, list[Claim]] = {}  # url_key claimed -> the pages waiting for its article
        self.seen: set[int] = set()
        self.lastmods: dict[str, str] = {}
        self.started = 0.0
        self.failure: str | None = None  # why the crawl had to stop: a batch could not commit
        self.sites = SiteMap.from_settings(crawler.settings)  # sites.toml: counts per site too
        self.max_articles = crawler.settings.getint("ARCHIVE_MAX_ARTICLES")
        self.new_articles = 0  # counted at the store: ARCHIVE_MAX_ARTICLES caps them exactly; the progress line shows them

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        self.open_archive()
        spider = self.crawler.spider
        self.crawl_id = self.archive.start_crawl(getattr(spider, "start_urls", []), _settings(self.crawler))
        self.crawler.stats.set_value("bbn/crawl_id", self.crawl_id)
        self.started = time.monotonic()
        self.writer = ArchiveWriter(self.archive, on_lost=self._batch_lost)
        self.writer.start()
        self.resources.callback(self.writer.close)

    def open_archive(self) -> None:
        """Open the archive and take its crawl lock (also `bbn_scraper.crawler.distributed.ingest`'s start)."""
        self.archive = self.resources.enter_context(Archive(self.path, create=True, check_same_thread=False))
        self.resources.enter_context(self.archive.crawl_lock())
        self.archive.mark_interrupted_crawls()

    async def process_item(self, item):
        """Queue the item's write; while the writer's queue is full, wait for room without
        blocking the reactor."""
        await self.writer.put(self._store_or_record, item)
        return item

    def flush(self) -> None:
        """Wait until every item so far is committed."""
        self.writer.flush()

    def _store_or_record(self, item) -> None:
        """On the writer thread: store the item, or record why it could not be stored."""
        url = getattr(item, "fetched_url", None) or getattr(item, "url", None)
        try:
            self._store(item)
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorname", "").startswith(STORAGE_FAILURES):
                self._storage_failed(f"could not store {url}", exc, url=url)
            else:
                self._record_failure(url, exc)
        except Exception as exc:  # noqa: BLE001 - one bad item must not end the crawl
            self._record_failure(url, exc)

    store_item = _store_or_record  # what `bbn_scraper.crawler.distributed.ingest` calls, in its own transactions

    def _batch_lost(self, writes: int, exc: Exception) -> None:
        """On the writer thread: a batch of `writes` could not commit."""
        self.counts["bbn/error_store_batch_lost"] += 1
        self._storage_failed(f"could not commit {writes} archive writes", exc, writes)

    def _storage_failed(self, what: str, exc: Exception, writes: int = 1, url: str | None = None) -> None:
        """On the writer thread: the archive cannot take writes (disk full, file made read-only,
        I/O error). Count the lost writes, record the failure if the archive still takes a row,
        and stop the crawl: what was committed stays, and `bbn/store_failure` makes the CLI fail."""
        self.counts["bbn/error_store_writes_lost"] += writes
        reason = f"{what} ({type(exc).__name__}: {exc})"
        logger.error("%s", reason)
        if self.failure is None:
            self.failure = f"{reason}; the crawl stopped, what was committed before is intact"
            reactor.callFromThread(self._stop_crawl, "store_failed")
        try:
            self.archive.record_error(self.crawl_id, url, "store", reason)
        except sqlite3.Error:
            pass  # the archive takes nothing more: the log and the CLI say it

    def _stop_crawl(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))
            stop_waiting(self.crawler)  # after: no request of the waiting ones is scheduled again

    def _record_failure(self, url: str | None, exc: Exception) -> None:
        logger.warning("could not store %s: %r", url, exc)
        self.counts["bbn/error_store"] += 1
        self.archive.record_error(self.crawl_id, url, "store", f"{type(exc).__name__}: {exc}")

    def _store(self, item) -> None:
        archive, crawl_id = self.archive, self.crawl_id
        if isinstance(item, FetchedArticle):
            try:
                result = self._store_article(item)
            except IdentityRefused as exc:  # a claim, not a storage failure
                self._store(CrawlError(item.fetched_url, "parse", f"canonical refused: {exc}"))
                return
            except _OverCap:
                self.counts["bbn/refused/max_articles"] += 1
                return
            self.counts[f"bbn/article_{result.outcome}"] += 1
            self._count_site(item.fetched_url, f"article_{result.outcome}")
            key = url_key(item.fetched_url)
            if result.outcome != "alias" and url_key(item.article.canonical_url) == key:
                for claim in self.claims.pop(key, []):  # archived from its own address
                    self.aliases.setdefault(claim.fetched_url, claim.article.canonical_url)
        elif isinstance(item, Claim):
            if archive.archived_from(item.article.canonical_url) is not None:
                self.aliases.setdefault(item.fetched_url, item.article.canonical_url)
            else:
                self.claims.setdefault(url_key(item.article.canonical_url), []).append(item)
        elif isinstance(item, FetchedPage):
            if item.unchanged:
                archive.record_not_modified(crawl_id, item.url, item.fetched_at, item.etag, item.last_modified)
                self.counts["bbn/not_modified"] += 1
            elif archive.record_fetch(crawl_id, item.url, item.status, item.content_type, item.body,
                                      item.fetched_at, item.etag, item.last_modified, warc_ref(item)) is None:
                self.counts["bbn/page_unchanged"] += 1  # byte-identical to its stored copy: not stored again
            if not item.unchanged:
                self._count_site(item.url, "pages")
        elif isinstance(item, CrawlError):
            archive.record_error(crawl_id, item.url, item.stage, item.reason)
            self.counts[f"bbn/error_{item.stage}"] += 1
            self._count_site(item.url, f"error_{item.stage}")
        elif isinstance(item, Alias):
            self.aliases.setdefault(item.url, item.canonical_url)
        elif isinstance(item, Seen):
            self.seen.add(item.article_id)
        elif isinstance(item, SitemapLastmods):
            self.lastmods.update(item.lastmods)
        elif isinstance(item, SitemapRead):
            archive.record_sitemap(crawl_id, item.url, item.lastmod)
        else:
            raise DropItem(f"unknown item type {type(item).__name__}")

    def _count_site(self, url: str | None, what: str) -> None:
        """One more `what` for the configured site of `url` (stats `bbn/site/NAME/WHAT`)."""
        name = self.sites.name(url) if self.sites and url else None
        if name is not None:
            self.counts[f"bbn/site/{name}/{what}"] += 1

    def _store_article(self, item: FetchedArticle):
        """Store the article; past ARCHIVE_MAX_ARTICLES new ones, a new one is rolled back
        (`_OverCap`) while updates still go in. The article that reaches the cap stops the crawl."""
        with self.archive.transaction():  # a savepoint inside the writer's batch
            result = self.archive.store_article(
                item.article, crawl_id=self.crawl_id, fetched_url=item.fetched_url,
                parser_version=PARSER_VERSION, fetched_at=item.fetched_at,
            )
            if result.outcome == "new":
                if self.max_articles and self.new_articles >= self.max_articles:
                    raise _OverCap
                self.new_articles += 1
                if self.new_articles == self.max_articles:
                    reactor.callFromThread(self._stop_crawl, f"article cap of {self.max_articles} reached")
        return result

    def close_spider(self):
        if self.archive is None:
            return
        self.writer.close()
        self.settle()
        for key, count in self.counts.items():
            self.crawler.stats.inc_value(key, count)
        self.counts.clear()

    def settle(self) -> None:
        """The crawl is over: settle the claims, then apply the aliases, sightings and lastmods."""
        self._settle_claims()
        try:
            self._apply_deferred()
        except Exception as exc:  # noqa: BLE001 - the crawl row must still be closed
            self._record_failure(None, exc)

    def spider_closed(self, spider, reason):
        """Close the crawl row once Scrapy says why the crawl ended, then release the lock."""
        if self.archive is None:
            return
        try:
            stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
            stats["seconds"] = round(time.monotonic() - self.started, 2)
            self.archive.finish_crawl(self.crawl_id, reason, stats)
            if not self.archive.truncate_wal():
                logger.warning("the archive's write-ahead log is not truncated: a reader holds it")
        except sqlite3.Error as exc:
            logger.error("could not close crawl %s in the archive: %s", self.crawl_id, exc)
            self.failure = self.failure or f"could not close crawl {self.crawl_id} in the archive ({exc})"
        finally:
            if self.failure:
                self.crawler.stats.set_value("bbn/store_failure", self.failure)
            self.resources.close()
            self.archive = None

    def _settle_claims(self) -> None:
        """The crawl is over: a page whose claimed canonical has an article archived from it is
        its alias; the others are archived under their own URLs, the refused claim recorded."""
        why_not = getattr(self.crawler.spider, "not_articles", {})
        for key in list(self.claims):
            for claim in self.claims.pop(key, []):
                canonical = claim.article.canonical_url
                try:
                    if self.archive.archived_from(canonical) is not None:
                        self.aliases.setdefault(claim.fetched_url, canonical)
                        continue
                    reason = f"canonical {canonical} refused: {why_not.get(key, 'no article was archived from there')}"
                    self._store(CrawlError(claim.fetched_url, "parse", reason))
                    own = FetchedArticle(own_identity(claim.article, claim.fetched_url, reason),
                                         claim.fetched_url, claim.fetched_at)
                    self._store(invalid(own) or own)
                except Exception as exc:  # noqa: BLE001 - one bad item must not end the others
                    self._record_failure(claim.fetched_url, exc)

    def _apply_deferred(self) -> None:
        archive = self.archive
        state = getattr(self.crawler.spider, "state", None)  # only with a JOBDIR
        if state is not None:
            self.aliases = {**self.aliases, **state.pop("pending_aliases", {})}
            self.lastmods = {**state.pop("pending_lastmods", {}), **self.lastmods}
        pending, placed = {}, {}
        for url, canonical_url in self.aliases.items():
            article_id = archive.known_article_id(canonical_url)
            if article_id is None:
                pending[url] = canonical_url
            else:
                placed.setdefault((article_id, canonical_url), []).append(url)
        limit = self.crawler.settings.getint("ARCHIVE_MAX_ALIASES")
        for (article_id, canonical_url), urls in placed.items():
            left_out = archive.add_aliases(article_id, urls, limit)
            if left_out:
                self.counts["bbn/refused/aliases"] += len(left_out)
                archive.record_error(self.crawl_id, canonical_url, "store",
                                     f"{len(left_out)} aliases not recorded: the article has ARCHIVE_MAX_ALIASES"
                                     f" {limit} URLs (first left out: {left_out[0]})")
        if self.seen:
            archive.touch_many(sorted(self.seen), self.crawl_id)
        unplaced_lastmods = archive.record_lastmods(self.lastmods)
        if state is not None:
            state["pending_aliases"] = pending
            state["pending_lastmods"] = unplaced_lastmods


def _settings(crawler) -> dict:
    names = ("DOWNLOAD_DELAY", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_ENABLED",
             "ROBOTSTXT_OBEY", "USER_AGENT", "ARCHIVE_MAX_ARTICLES", "JOBDIR")
    return {name: crawler.settings.get(name) for name in names}
