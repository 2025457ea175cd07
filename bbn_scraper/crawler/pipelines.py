"""The crawl's one item pipeline: a thin Scrapy adapter over the archive's store
(`archive.crawl_store.CrawlStore`), which judges, deduplicates, cuts and stores every item."""
from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import ExitStack

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import reactor

from archive import Archive
from archive.crawl_store import CrawlStore
from bbn_scraper.crawler.bounds import store_limits
from bbn_scraper.crawler.downloader import stop_waiting
from bbn_scraper.crawler.sites import SiteMap
from bbn_scraper.crawler.writer import ArchiveWriter
from bbn_scraper.parsers import PARSER_VERSION

logger = logging.getLogger(__name__)
# The crawl settings a crawl row keeps.
RECORDED_SETTINGS = ("DOWNLOAD_DELAY", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_ENABLED",
                     "ROBOTSTXT_OBEY", "USER_AGENT", "ARCHIVE_MAX_ARTICLES", "JOBDIR")


class StorePipeline:
    """Stores every item through a `CrawlStore` under the crawl lock, on the archive writer's
    thread in batched transactions (`bbn_scraper.crawler.writer`), and closes the crawl row
    with the crawl's stats. Stops the crawl when the article cap is reached or the archive
    takes no more writes (`bbn/store_failure` then makes the CLI fail).
    Aliases and sitemap dates whose article is not archived yet when the crawl closes are kept
    in the spider's state, which a paused crawl (`--resume DIR`) saves for the run that resumes
    it. A killed crawl loses them, and its next run finds them again: it starts discovery afresh
    (see `bbn_scraper.crawler.jobdir`). Claims are settled when each run closes, a paused one
    too: a claim whose canonical page is still queued then is archived under its own URL."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_DB")
        self.store: CrawlStore | None = None
        self.writer: ArchiveWriter | None = None
        self.resources = ExitStack()
        self.started = 0.0
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    @property
    def archive(self) -> Archive | None:
        return self.store.archive if self.store is not None and not self.closed else None

    @property
    def new_articles(self) -> int:
        """New articles stored so far (the progress line shows them)."""
        return self.store.new_articles if self.store is not None else 0

    @property
    def errors(self) -> int:
        """Error rows recorded so far (the progress line shows them)."""
        return self.store.errors if self.store is not None else 0

    def open_spider(self):
        archive = self.resources.enter_context(Archive(self.path, create=True, check_same_thread=False))
        self.resources.enter_context(archive.crawl_lock())
        archive.mark_interrupted_crawls()
        settings = self.crawler.settings
        sites = SiteMap.from_settings(settings)  # sites.toml: counts per site too
        self.store = CrawlStore(archive, store_limits(settings), PARSER_VERSION,
                                site_of=sites.name if sites else None, on_stop=self._stop_from_writer)
        crawl_id = self.store.start(getattr(self.crawler.spider, "start_urls", []),
                                    {name: settings.get(name) for name in RECORDED_SETTINGS})
        self.crawler.stats.set_value("bbn/crawl_id", crawl_id)
        self.started = time.monotonic()
        self.writer = ArchiveWriter(archive, on_lost=self._batch_lost)
        self.writer.start()
        self.resources.callback(self.writer.close)

    async def process_item(self, item):
        """Queue the item's write; while the writer's queue is full, wait for room without
        blocking the reactor."""
        await self.writer.put(self.store.store, item)
        return item

    def flush(self) -> None:
        """Wait until every item so far is committed."""
        self.writer.flush()

    def _batch_lost(self, writes: int, exc: Exception) -> None:
        """On the writer thread: a batch of `writes` could not commit."""
        self.store.counts["bbn/error_store_batch_lost"] += 1
        self.store.storage_failed(f"could not commit {writes} archive writes", exc, writes)

    def _stop_from_writer(self, reason: str) -> None:
        reactor.callFromThread(self._stop_crawl, reason)

    def _stop_crawl(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))
            stop_waiting(self.crawler)  # after: no request of the waiting ones is scheduled again

    def close_spider(self):
        if self.archive is None:
            return
        self.writer.close()
        spider = self.crawler.spider
        self.store.settle(getattr(spider, "not_articles", {}), getattr(spider, "state", None))  # state: only with a JOBDIR
        for key, count in self.store.counts.items():
            self.crawler.stats.inc_value(key, count)
        self.store.counts.clear()

    def spider_closed(self, spider, reason):
        """Close the crawl row once Scrapy says why the crawl ended, then release the lock."""
        if self.archive is None:
            return
        store = self.store
        try:
            stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
            stats["seconds"] = round(time.monotonic() - self.started, 2)
            store.archive.finish_crawl(store.crawl_id, store.status(reason), stats)
            if not store.archive.truncate_wal():
                logger.warning("the archive's write-ahead log is not truncated: a reader holds it")
        except sqlite3.Error as exc:
            logger.error("could not close crawl %s in the archive: %s", store.crawl_id, exc)
            store.failure = store.failure or f"could not close crawl {store.crawl_id} in the archive ({exc})"
        finally:
            if store.failure:
                self.crawler.stats.set_value("bbn/store_failure", store.failure)
            self.resources.close()
            self.closed = True
