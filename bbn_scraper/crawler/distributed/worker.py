"""A worker: the bbn spider on the shared frontier. Its start URLs (its scope) and what the
archive knows (for a re-crawl) come from Redis, put there by `enqueue` and the writer; its
items go to Redis (`ItemQueuePipeline`), never to SQLite."""
from __future__ import annotations

import time
import warnings
import zlib

from scrapy.exceptions import ScrapyDeprecationWarning

from archive import KnownArticle
from archive.item_codec import encode
from archive.items import Alias, Claim, CrawlError, Seen, SitemapLastmods
from archive.wire import NotARecord, dumps, loads
from bbn_scraper.crawler.distributed import DEFERRED, ITEMS, RECRAWL, connect, patience
from bbn_scraper.crawler.distributed.control import start_urls
from bbn_scraper.crawler.distributed.dead_letters import dead_letter
from bbn_scraper.crawler.distributed.scheduler import worker_id
from bbn_scraper.crawler.run import StoppingCrawlerProcess, crawl_settings
from bbn_scraper.crawler.spiders.bbn import BbnSpider

# Items the writer applies when the round ends, as a local crawl applies them when it closes.
DEFERRED_ITEMS = (Alias, Claim, Seen, SitemapLastmods)

SNAPSHOT = "RecrawlSnapshot"  # the wire record's type
WORKER_SETTINGS = {
    "SCHEDULER": "bbn_scraper.crawler.distributed.scheduler.LeasingScheduler",
    "SCHEDULER_QUEUE_CLASS": "bbn_scraper.crawler.distributed.scheduler.LeasedQueue",
    "DUPEFILTER_CLASS": "bbn_scraper.crawler.distributed.scheduler.UrlKeyDupeFilter",
    "SCHEDULER_SERIALIZER": "bbn_scraper.crawler.distributed.request_codec",  # JSON, not scrapy-redis's pickle
    "SCHEDULER_PERSIST": True,  # the frontier and the fingerprints outlive any one worker
    "ITEM_PIPELINES": {"bbn_scraper.crawler.distributed.worker.ItemQueuePipeline": 300},
}


class ItemQueuePipeline:
    """Pushes every item, as JSON (`archive.item_codec`), to the writer's list (or the round's
    deferred list); the writer's store judges and stores it."""

    def __init__(self, client):
        self.client = client

    @classmethod
    def from_crawler(cls, crawler):
        return cls(connect(crawler.settings.get("REDIS_URL"), patient=True))

    def process_item(self, item):
        key = DEFERRED if isinstance(item, DEFERRED_ITEMS) else ITEMS
        self.client.lpush(key, encode(item))
        return item


class WorkerSpider(BbnSpider):
    """The bbn spider with what the archive knows (`round_snapshot`, given as `snapshot`): a
    re-crawl skips archived articles and, after a finished crawl, walks listings as a local
    re-crawl does."""

    @classmethod
    def from_crawler(cls, crawler, *args, snapshot=None, **kwargs):
        spider = super().from_crawler(crawler, *args, refresh=True, **kwargs)  # refresh: no archive to read
        spider.worker_id = worker_id()
        if snapshot is None:  # the round ended before this worker started: nothing to do
            spider.start_urls = []
            return spider
        known, finished, visited, sitemaps_read = snapshot
        spider.refresh = False
        spider.known = known
        spider.full = not finished
        if finished:
            spider.visited, spider.sitemaps_read = visited, sitemaps_read
        return spider


def recrawl_snapshot(archive) -> bytes:
    """What a worker needs of the archive, as a compressed JSON record: its known articles and,
    after a finished crawl, the pages and sitemaps it has seen."""
    finished = archive.crawl_finished_before()
    state = {"known": archive.known_urls(), "finished": finished,
             "visited": sorted(archive.visited_keys()) if finished else [],
             "sitemaps_read": archive.sitemap_lastmods() if finished else {}}
    return zlib.compress(dumps(SNAPSHOT, state))


def read_snapshot(data: bytes) -> tuple[dict[str, KnownArticle], bool, set[str], dict[str, str]]:
    """`recrawl_snapshot`'s known articles, whether a crawl finished before, visited url_keys
    and sitemaps read; `NotARecord` saying why for anything else."""
    try:
        state = loads(zlib.decompress(data), {SNAPSHOT})
        known = {key: KnownArticle(*fields) for key, fields in state["known"].items()}
        return known, bool(state["finished"]), set(state["visited"]), dict(state["sitemaps_read"])
    except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotARecord(f"the round's snapshot in Redis ({RECRAWL}) is not this version's ({exc}):"
                         " run ingest and the workers from one bbn-archive version") from exc


class RoundRefused(Exception):
    """The round's snapshot is not one this worker reads: it is a dead letter, and the worker
    does not crawl."""


def round_snapshot(client):
    """`read_snapshot` of the round's snapshot, None if the round is over; a snapshot this worker
    cannot read is copied to the dead letters with an error item, and `RoundRefused`."""
    data = client.get(RECRAWL)
    if data is None:
        return None
    try:
        return read_snapshot(data)
    except NotARecord as exc:
        with client.pipeline() as pipe:
            dead_letter(pipe, RECRAWL, data, str(exc))
            pipe.lpush(ITEMS, encode(CrawlError(None, "fetch", f"a worker did not crawl: {exc}")))
            pipe.execute()
        raise RoundRefused(str(exc)) from exc


def wait_for_round(client, wait: float) -> list[str]:
    """The round's start URLs once the writer has opened it; [] after `wait` seconds without."""
    deadline = time.monotonic() + wait
    while True:
        urls = start_urls(client)[0]
        if urls and client.exists(RECRAWL):
            return urls
        if time.monotonic() >= deadline:
            return []
        time.sleep(0.2)


def share_politeness(settings) -> None:
    """Hand the hosts' delays to `HostLimitMiddleware`, which applies them across workers, and
    take them (and AutoThrottle, which only adds to them) off the worker's own download slots."""
    slots = settings.getdict("DOWNLOAD_SLOTS")
    settings.set("BBN_HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY"), priority="cmdline")
    settings.set("BBN_HOST_SLOTS", slots, priority="cmdline")
    settings.set("DOWNLOAD_SLOTS", {host: {**slot, "delay": 0} for host, slot in slots.items()}, priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    settings.set("DOWNLOADER_MIDDLEWARES", {**middlewares, "bbn_scraper.crawler.distributed.politeness.HostLimitMiddleware": 950},
                 priority="cmdline")


def run_worker(redis_url: str, overrides: dict | None = None, wait: float = 0) -> dict | None:
    """Crawl the current round until the shared frontier is empty; None if no round opened
    within `wait` seconds, `RoundRefused` if its snapshot is not this version's. Returns the
    worker's stats."""
    client = connect(redis_url, patient=True)
    urls = wait_for_round(client, wait)
    if not urls:
        return None
    snapshot = round_snapshot(client)
    # scrapy-redis 0.9.1 passes `spider=` to the stats collector, which Scrapy 2.19 deprecates.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    settings = crawl_settings("", {**(overrides or {}), **WORKER_SETTINGS, "REDIS_URL": redis_url,
                                   "REDIS_PARAMS": patience()})  # scrapy-redis's own client
    share_politeness(settings)
    process = StoppingCrawlerProcess(settings)
    crawler = process.create_crawler(WorkerSpider)
    process.crawl(crawler, start_urls=urls, snapshot=snapshot)
    process.start()
    return crawler.stats.get_stats()
