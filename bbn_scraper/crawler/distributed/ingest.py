"""The one writer of a distributed crawl: pops the workers' items from Redis and stores them with
the local crawl's store (`archive.crawl_store.CrawlStore`), one transaction per batch. A batch is moved
to a processing list (LMOVE) before it is stored and removed from there only after its commit:
a writer killed mid-batch finds it there when it starts again. Items of a batch met again
(committed, the writer killed before it removed them) are recognised by their rows and skipped.
When the round is over (every worker gone, the frontier, leases and items empty) the round is
settled as a local crawl is when it closes: claims, aliases, sightings, lastmods, the crawl row.
An entry that is no item of this version (`archive.item_codec`: another version's, a pickle,
junk, a wrong object) is a store error row saying so and a dead letter, and is not counted as
stored: it cannot block the writer, and nothing in it is run."""
from __future__ import annotations

import copy
import logging
import signal
import time
from contextlib import ExitStack

from archive import Archive
from archive.crawl_store import CrawlStore, invalid
from archive.delivery import article_sighted, error_recorded, page_recorded
from archive.item_codec import UndecodableItem, decode, encode
from archive.items import Alias, CrawlError, FetchedArticle, FetchedPage
from bbn_scraper.crawler.distributed import (
    CRAWL_ID, DEAD_LETTERS, DEFERRED, HEARTBEAT, ITEMS, PROCESSING, RECRAWL, ROUND_KEYS, START_URLS, WORKERS, RoundLost,
    round_id,
)
from bbn_scraper.crawler.distributed.control import start_urls
from bbn_scraper.crawler.distributed.dead_letters import dead_letter, shortened
from bbn_scraper.crawler.distributed.scheduler import frontier_empty
from bbn_scraper.crawler.distributed.worker import DEFERRED_ITEMS, recrawl_snapshot
from bbn_scraper.crawler.bounds import store_limits
from bbn_scraper.crawler.run import crawl_settings
from bbn_scraper.crawler.sites import SiteMap
from bbn_scraper.parsers import PARSER_VERSION

logger = logging.getLogger(__name__)
BATCH = 200  # items per transaction
POLL = 0.5  # seconds to wait for an item before looking at the round again


class IngestFailed(Exception):
    """The archive took no more writes; the batch stays in Redis for the next run."""


class Ingest:
    """`run()` stores items until the round ends (`once`) or SIGTERM/SIGINT."""

    def __init__(self, client, db: str, once: bool = False, overrides: dict | None = None):
        self.client, self.once, self.db = client, once, db
        settings = crawl_settings(db, overrides)
        self.limits = store_limits(settings)
        sites = SiteMap.from_settings(settings)  # sites.toml: counts per site too
        self.site_of = sites.name if sites else None
        self.store: CrawlStore | None = None
        self.started = 0.0
        self.stopping = False
        self.stored = 0
        self.rejected: list[tuple[str, bytes, str]] = []  # (source, entry, reason): dead letters to send

    def run(self) -> int:
        """Returns the number of items stored."""
        previous = {signum: signal.signal(signum, self._stop) for signum in (signal.SIGTERM, signal.SIGINT)}
        resources = ExitStack()
        try:
            archive = resources.enter_context(Archive(self.db, create=True))
            resources.enter_context(archive.crawl_lock())
            archive.mark_interrupted_crawls()
            self.store = CrawlStore(archive, self.limits, PARSER_VERSION, site_of=self.site_of)
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
            resources.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self.stored

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def _round(self) -> int | None:
        """The round's crawl row; opened (the archive's state published for the workers) when
        start URLs are waiting and no round is open."""
        store, client = self.store, self.client
        crawl_id = round_id(client)
        if crawl_id is not None:
            store.crawl_id = crawl_id
        elif store.crawl_id is not None:  # a round this ingest opened or took up, not finished
            self._lose_round()
        elif client.scard(START_URLS):
            urls, bad = start_urls(client)
            if urls:
                store.start(urls, {"distributed": True})
                self.started = time.monotonic()
                client.set(RECRAWL, recrawl_snapshot(store.archive))
                client.set(CRAWL_ID, store.crawl_id)
            self._drop_start_urls(bad)
        return store.crawl_id

    def _drop_start_urls(self, bad: dict[bytes, str]) -> None:
        """Members of START_URLS that are no start URL: dead letters, and error rows of the
        round opened (none opens without a start URL)."""
        if not bad:
            return
        for member, why in bad.items():
            reason = f"an entry of {len(member)} bytes in Redis that is no start URL was dropped: {why}"
            logger.error("%s", reason)
            if self.store.crawl_id is not None:
                self.store.failed(None, "fetch", reason)
            self.rejected.append((START_URLS, member, reason))
        with self.client.pipeline() as pipe:
            pipe.srem(START_URLS, *bad)
            self._send_rejected(pipe)
            pipe.execute()

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
        """Store the batch in one transaction, then drop it from the processing list and send
        its dead letters (MULTI/EXEC). `again`: the batch a killed writer left, some of it maybe
        committed."""
        store = self.store
        stored = 0
        with store.archive.transaction(search_later=True):
            for data in batch:
                item = self._decode(data, ITEMS, again)
                if item is None:
                    continue
                stored += 1
                if isinstance(item, DEFERRED_ITEMS):
                    self.client.lpush(DEFERRED, encode(item))  # applied when the round ends
                elif not (again and self._stored_before(item)):
                    store.store(item)
            self._defer_aliases()
        if store.failure:
            raise IngestFailed(store.failure)
        with self.client.pipeline() as pipe:
            self._send_rejected(pipe)
            pipe.delete(PROCESSING).execute()
        self.stored += stored

    def _defer_aliases(self) -> None:
        """The aliases the store made of second pages of an article go to the round's deferred
        list, as the workers' own aliases do: a writer restarted mid-round keeps them."""
        for url, canonical_url in self.store.aliases.items():
            self.client.lpush(DEFERRED, encode(Alias(url, canonical_url)))
        self.store.aliases.clear()

    def _decode(self, data: bytes, source: str, again: bool = False):
        """The item; None, an error row saying what it was and what to do, and a dead letter
        to send, for an entry that is not one of this version's items. `again`: the error row
        may be in the archive already."""
        try:
            return decode(data)
        except UndecodableItem as exc:
            reason = (f"an entry of {len(data)} bytes in Redis that is no item of this version was dropped"
                      f" (nothing in it was run; kept in {DEAD_LETTERS}): {shortened(exc)}."
                      " Run workers of this version; what the entry held is fetched again by the next crawl")
            logger.error("%s", reason)
            if not (again and error_recorded(self.store.archive, self.store.crawl_id, None, "store", reason)):
                self.store.failed(None, "store", reason)
            self.rejected.append((source, data, reason))
            return None

    def _send_rejected(self, pipe) -> None:
        for source, data, reason in self.rejected:
            dead_letter(pipe, source, data, reason)
        self.rejected.clear()

    def _stored_before(self, item) -> bool:
        archive, crawl_id = self.store.archive, self.store.crawl_id
        if isinstance(item, FetchedPage):
            return page_recorded(archive, crawl_id, item.url, item.fetched_at)
        if isinstance(item, CrawlError):
            return error_recorded(archive, crawl_id, item.url, item.stage, item.reason)
        if isinstance(item, FetchedArticle):
            article = copy.deepcopy(item.article)
            self.limits.cut(article)  # as the store cut it before it found the article invalid
            why = invalid(article)
            if why:
                return error_recorded(archive, crawl_id, item.fetched_url, "parse", why)
            return article_sighted(archive, crawl_id, item.fetched_url)
        return False

    def _round_over(self) -> bool:
        client = self.client
        workers = [w.decode("utf-8", "backslashreplace") for w in client.smembers(WORKERS)]
        if not workers or any(client.exists(HEARTBEAT % w) for w in workers):
            return False
        return frontier_empty(client) and client.llen(ITEMS) == 0

    def _lose_round(self) -> None:
        """The round's keys vanished under it: its crawl row is closed `interrupted` (what was
        stored stays), and `RoundLost` says so. Waiting on would wait for ever: no worker and
        no frontier are left to end the round."""
        store = self.store
        stats = {**store.counts, "seconds": round(time.monotonic() - self.started, 2) if self.started else None}
        store.archive.finish_crawl(store.crawl_id, "interrupted", stats)
        raise RoundLost(f"the round of crawl {store.crawl_id} is gone from Redis ({CRAWL_ID} and the round's other"
                        " keys vanished: Redis restarted without its data, or they were deleted); what was stored"
                        " is kept and the crawl is marked interrupted: enqueue the start URLs again for a new round")

    def _finish_round(self) -> None:
        """Settle the round as a local crawl's close does, then clear its keys for the next."""
        store = self.store
        with store.archive.transaction():
            for data in self.client.lrange(DEFERRED, 0, -1):
                item = self._decode(data, DEFERRED)
                if item is not None:
                    store.store(item)
            store.settle()
        stats = {key: value for key, value in store.counts.items()}
        stats["seconds"] = round(time.monotonic() - self.started, 2) if self.started else None
        store.archive.finish_crawl(store.crawl_id, store.status("finished"), stats)
        with self.client.pipeline() as pipe:
            self._send_rejected(pipe)
            pipe.delete(*ROUND_KEYS).execute()
        logger.info("round of crawl %s finished: %d items stored", store.crawl_id, self.stored)
        store.counts.clear()
        store.crawl_id = None
        store.stored_keys.clear()

