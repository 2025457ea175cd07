"""Stopping promptly: once the crawl is stopping (SIGTERM, Ctrl-C, the article cap, a store
failure), the requests still waiting out their download delay in Scrapy's downloader slots are
dropped instead of fetched one delay apart. Scrapy's graceful stop waits for every request the
downloader holds; with AutoThrottle's delays (up to AUTOTHROTTLE_MAX_DELAY each) that could take
minutes. Only requests already on the wire are waited for (at most DOWNLOAD_TIMEOUT). The
spider's errback puts each dropped request back in the scheduler, which a paused crawl saves."""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure


class CrawlStopped(IgnoreRequest):
    """The crawl stopped before this request's turn: not fetched, not an error of the site."""


def stop_waiting(crawler) -> int:
    """Fail every request `crawler`'s downloader holds for its delay with `CrawlStopped`;
    returns how many (stats: bbn/not_fetched_stopped)."""
    downloader = getattr(crawler.engine, "downloader", None)
    dropped = 0
    for slot in list(getattr(downloader, "slots", {}).values()):
        slot.close()  # cancels its pending delay call
        while slot.queue:
            request, queued = slot.queue.popleft()
            queued.errback(Failure(CrawlStopped("not fetched: the crawl was stopped")))
            dropped += 1
    if dropped:
        crawler.stats.inc_value("bbn/not_fetched_stopped", dropped)
    return dropped
