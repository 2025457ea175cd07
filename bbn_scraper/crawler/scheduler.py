"""A scheduler that holds a retry until its back-off has passed, outside the downloader, so
that one site's back-off never delays another site's requests."""
from __future__ import annotations

from scrapy.core.scheduler import Scheduler

RETRY_DELAY = "bbn_retry_delay"  # request.meta key: seconds to hold the request before it is queued


class BackoffScheduler(Scheduler):
    """Scrapy's Scheduler; a request whose meta has `RETRY_DELAY` is held for that long, then
    handed to the engine again. Waiting anywhere in the downloader (a middleware's sleep)
    counts against CONCURRENT_REQUESTS for the whole crawl; a held request counts against
    nothing, and keeps the crawl open (`len`, which `has_pending_requests` reads, counts it).
    When the crawl closes, held requests go into the queue at once, so a paused crawl
    (`--resume DIR`) saves them and retries them as soon as it resumes."""

    def open(self, spider):
        self.held = {}  # request -> the reactor's DelayedCall that releases it
        return super().open(spider)

    def enqueue_request(self, request) -> bool:
        delay = request.meta.pop(RETRY_DELAY, 0)
        if delay <= 0:
            return super().enqueue_request(request)
        from twisted.internet import reactor  # the one Scrapy installed; importing earlier would install the default

        self.held[request] = reactor.callLater(delay, self._release, request)
        return True

    def _release(self, request) -> None:
        del self.held[request]
        self.crawler.engine.crawl(request)  # queued like any request; the engine looks for work at once

    def __len__(self) -> int:
        return len(self.held) + super().__len__()

    def close(self, reason):
        for request, release in self.held.items():
            release.cancel()
            super().enqueue_request(request)
        self.held.clear()
        return super().close(reason)
