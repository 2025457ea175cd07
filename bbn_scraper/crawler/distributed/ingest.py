"""The one writer of a distributed crawl: pops the workers' items from Redis and stores them with
the local crawl's store code (`StorePipeline`), one transaction per batch. A batch is moved
to a processing list (LMOVE) before it is stored and removed from there only after its commit:
a writer killed mid-batch finds it there when it starts again. Items of a batch met again
(committed, the writer killed before it removed them) are recognised by their rows and skipped.
When the round is over (every worker gone, the frontier, leases and items empty) the round is
settled as a local crawl is when it closes: claims, aliases, sightings, lastmods, the crawl row."""
from __future__ import annotations

import logging
import pickle
import signal
import time
from types import SimpleNamespace

from scrapy.statscollectors import MemoryStatsCollector

from archive.delivery import article_sighted, error_recorded, page_recorded
from bbn_scraper.crawler.distributed import (
    CRAWL_ID, DEFERRED, HEARTBEAT, ITEMS, PROCESSING, RECRAWL, ROUND_KEYS, START_URLS, WORKERS,
)
from bbn_scraper.crawler.distributed.scheduler import frontier_empty
from bbn_scraper.crawler.distributed.worker import DEFERRED_ITEMS, recrawl_snapshot
from bbn_scraper.crawler.items import CrawlError, FetchedArticle, FetchedPage
from bbn_scraper.crawler.pipelines import DeduplicatePipeline, StorePipeline
from bbn_scraper.crawler.run import crawl_settings

logger = logging.getLogger(__name__)
BATCH = 200  # items per transaction
POLL = 0.5  # seconds to wait for an item before looking at the round again


class IngestFailed(Exception):
    """The archive took no more writes; the batch stays in Redis for the next run."""


class Ingest:
    """`run()` stores items until the round ends (`once`) or SIGTERM/SIGINT."""

    def __init__(self, client, db: str, once: bool = False, overrides: dict | None = None):
        self.client, self.once = client, once
        settings = crawl_settings(db, overrides)
        crawler = SimpleNamespace(settings=settings, spider=None, engine=None)
        crawler.stats = MemoryStatsCollector(crawler)
        self.crawler = crawler
        self.store = StorePipeline(crawler)
        self.dedup = DeduplicatePipeline(crawler)
        self.stopping = False
        self.stored = 0

    def run(self) -> int:
        """Returns the number of items stored."""
        previous = {signum: signal.signal(signum, self._stop) for signum in (signal.SIGTERM, signal.SIGINT)}
        self.store.open_archive()
        try:
            if self.client.llen(PROCESSING):
                self._round()
                self._store_batch(self.client.lrange(PROCESSING, 0, -1), again=True)
            while not self.stopping:
                crawl_id = self._round()
                batch = self._take()
                if batch:
                    self._store_batch(batch)
                elif crawl_id is not None and self._round_over():
                    self._finish_round()
                    if self.once:
                        break
        finally:
            self.store.resources.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self.stored

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def _round(self) -> int | None:
        """The round's crawl row; opened (the archive's state published for the workers) when
        start URLs are waiting and no round is open."""
        store, client = self.store, self.client
        crawl_id = client.get(CRAWL_ID)
        if crawl_id is not None:
            store.crawl_id = int(crawl_id)
        elif client.scard(START_URLS):
            urls = sorted(u.decode() for u in client.smembers(START_URLS))
            store.crawl_id = store.archive.start_crawl(urls, {"distributed": True})
            store.started = time.monotonic()
            client.set(RECRAWL, recrawl_snapshot(store.archive))
            client.set(CRAWL_ID, store.crawl_id)
        else:
            return None
        return store.crawl_id

    def _take(self) -> list[bytes]:
        first = self.client.blmove(ITEMS, PROCESSING, POLL, "RIGHT", "LEFT")
        if first is None:
            return []
        batch = [first]
        while len(batch) < BATCH:
            data = self.client.lmove(ITEMS, PROCESSING, "RIGHT", "LEFT")
            if data is None:
                break
            batch.append(data)
        return batch

    def _store_batch(self, batch: list[bytes], again: bool = False) -> None:
        """Store the batch in one transaction, then drop it from the processing list.
        `again`: the batch a killed writer left, some of it maybe committed."""
        store = self.store
        with store.archive.transaction():
            for data in batch:
                item = self.dedup.process_item(pickle.loads(data))  # a second page of an article: an alias
                if isinstance(item, DEFERRED_ITEMS):
                    self.client.lpush(DEFERRED, pickle.dumps(item))  # applied when the round ends
                elif not (again and self._stored_before(item)):
                    store.store_item(item)
        if store.failure:
            raise IngestFailed(store.failure)
        self.client.delete(PROCESSING)
        self.stored += len(batch)

    def _stored_before(self, item) -> bool:
        archive, crawl_id = self.store.archive, self.store.crawl_id
        if isinstance(item, FetchedPage):
            return page_recorded(archive, crawl_id, item.url, item.fetched_at)
        if isinstance(item, CrawlError):
            return error_recorded(archive, crawl_id, item.url, item.stage, item.reason)
        if isinstance(item, FetchedArticle):
            return article_sighted(archive, crawl_id, item.fetched_url)
        return False

    def _round_over(self) -> bool:
        client = self.client
        workers = [w.decode() for w in client.smembers(WORKERS)]
        if not workers or any(client.exists(HEARTBEAT % w) for w in workers):
            return False
        return frontier_empty(client) and client.llen(ITEMS) == 0

    def _finish_round(self) -> None:
        """Settle the round as a local crawl's close does, then clear its keys for the next."""
        store = self.store
        with store.archive.transaction():
            for data in self.client.lrange(DEFERRED, 0, -1):
                store.store_item(pickle.loads(data))
            store.settle()
        stats = {key: value for key, value in store.counts.items()}
        stats["seconds"] = round(time.monotonic() - store.started, 2) if store.started else None
        store.archive.finish_crawl(store.crawl_id, "finished", stats)
        self.client.delete(*ROUND_KEYS)
        logger.info("round of crawl %s finished: %d items stored", store.crawl_id, self.stored)
        store.counts.clear()
        store.crawl_id = None
        self.dedup.seen.clear()

