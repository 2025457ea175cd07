"""The workers' scheduler: scrapy-redis's, with leases. A request popped from the shared queue is
recorded as leased by this worker, in the same Lua script as the pop, until the engine has
finished with it (downloaded, its callback's items pushed and its new requests queued). Each
worker keeps a heartbeat key alive; any worker that sees a lease whose worker's heartbeat has
expired (a worker killed, a machine gone) puts the request back in the queue. A retry held for
its back-off is a lease too. The dupefilter's fingerprints are the project's (url_key).
A request is marked seen and queued in one Lua script, never one without the other: a worker
killed between the two, or a command retried after a Redis restart lost its reply, would
otherwise leave a URL seen by every worker and fetched by none. A lease of this worker that
it does not hold (a pop whose reply was lost) goes back to the queue at the next tick.
Requests are queued as JSON records (`request_codec`); a queued entry that is none (a pickle,
junk, another version's) is a dead letter and an error row, and the worker goes on."""
from __future__ import annotations

import logging
import os
import secrets
import socket

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from archive.item_codec import encode as encode_item
from archive.items import CrawlError
from bbn_scraper.crawler.compat import decode_request, encode_request, engine_in_progress, wake_engine
from bbn_scraper.crawler.distributed import HEARTBEAT, ITEMS, LEASES, REQUESTS, WORKERS
from archive.wire import NotARecord
from bbn_scraper.crawler.distributed.dead_letters import dead_letter, shortened
from bbn_scraper.crawler.scheduler import RETRY_DELAY

logger = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 1024 * 1024  # of a queued request: a URL, headers and meta (a 100 MB entry took 420 MB to refuse)
LEASE = "bbn_lease"  # request.meta key: the encoded request as the queue held it
TICK = 0.5  # seconds between heartbeats
HEARTBEAT_TTL = 5  # seconds without a heartbeat before a worker's leases are requeued

_POP = """
local popped = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
if #popped == 0 then return nil end
redis.call('zrem', KEYS[1], popped[1])
redis.call('hset', KEYS[2], popped[1], ARGV[1] .. ' ' .. popped[2])
return popped[1]
"""
# Mark the request seen (unless ARGV[1] is empty: dont_filter) and queue it, or neither.
_QUEUE_UNSEEN = """
if ARGV[1] ~= '' and redis.call('sadd', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('zadd', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# Every lease whose worker has no heartbeat goes back to the queue, with its priority.
_REQUEUE = """
local leases = redis.call('hgetall', KEYS[1])
local requeued = 0
for i = 1, #leases, 2 do
  local worker, score = string.match(leases[i + 1], '^(.*) (%S+)$')
  if worker == nil or redis.call('exists', ARGV[1] .. worker) == 0 then
    redis.call('hdel', KEYS[1], leases[i])
    redis.call('zadd', KEYS[2], tonumber(score) or 0, leases[i])
    requeued = requeued + 1
  end
end
return requeued
"""


def worker_id() -> str:
    """This worker's name: its host and pid, and a random part (containers that share a host
    name, each running its worker as pid 1, would otherwise share one and its leases)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def requeue_dead(client) -> int:
    """Put the requests leased by workers without a heartbeat back in the queue; how many. Each
    time some are, a warning says so: a worker only stalled past HEARTBEAT_TTL still fetches what
    it held, so those pages may be fetched twice, and the crawl's page count be higher."""
    requeued = client.eval(_REQUEUE, 2, LEASES, REQUESTS, HEARTBEAT % "")
    if requeued:
        logger.warning("requeued %d request(s) leased by a worker whose heartbeat stopped", requeued)
    return requeued


def frontier_empty(client) -> bool:
    """No request queued, none leased (after requeueing dead workers' leases)."""
    requeue_dead(client)
    return client.zcard(REQUESTS) == 0 and client.hlen(LEASES) == 0


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue; `pop` leases what it pops to the spider's worker, and
    passes over (`reject`) what is no request."""

    def pop(self, timeout=0):
        while True:
            data = self.server.eval(_POP, 2, self.key, LEASES, self.spider.worker_id)
            if data is None:
                return None
            try:
                if len(data) > MAX_REQUEST_BYTES:
                    raise NotARecord(f"over {MAX_REQUEST_BYTES} bytes: larger than any request a worker queues")
                request = decode_request(self, data)
            except (ValueError, TypeError) as exc:  # request_codec's NotARecord, or Scrapy refusing its fields
                self.reject(data, exc)
                continue
            request.meta[LEASE] = data
            return request

    def reject(self, data: bytes, exc: Exception) -> None:
        """Move a popped entry that is no request from its lease to the dead letters, with an
        error item for the writer to record, at once (MULTI/EXEC)."""
        reason = (f"a queued entry of {len(data)} bytes that is no request of this version was dropped"
                  f" (nothing in it was run): {shortened(exc)}")
        logger.error("%s", reason)
        with self.server.pipeline() as pipe:
            pipe.hdel(LEASES, data)
            dead_letter(pipe, self.key, data, reason)
            pipe.lpush(ITEMS, encode_item(CrawlError(None, "fetch", reason)))
            pipe.execute()

    def encode(self, request) -> bytes:
        return encode_request(self, request)


class UrlKeyDupeFilter(RFPDupeFilter):
    """scrapy-redis's dupefilter with the crawl's fingerprints (`UrlKeyFingerprinter`): URL
    variants are one request across every worker."""

    fingerprinter = None

    @classmethod
    def from_spider(cls, spider):
        dupefilter = super().from_spider(spider)
        dupefilter.fingerprinter = spider.crawler.request_fingerprinter
        return dupefilter

    def request_fingerprint(self, request):
        return self.fingerprinter.fingerprint(request).hex()


class LeasingScheduler(Scheduler):
    """scrapy-redis's scheduler with leases, heartbeats and retries held for their back-off
    (`bbn_scraper.crawler.scheduler.BackoffScheduler` does that for a local crawl). The spider stays open
    while any worker has work: it closes when the shared frontier is empty and nothing is leased."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        crawler.signals.connect(scheduler._spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider):
        from twisted.internet import task

        super().open(spider)
        self.worker = spider.worker_id
        self.leased = {}  # encoded request -> the Request the engine has
        self.held = {}  # encoded request -> (the DelayedCall that queues it again, its queue score)
        self.server.sadd(WORKERS, self.worker)
        self._beat()
        self.ticker = task.LoopingCall(self._tick)
        self.ticker.start(TICK, now=False)

    def enqueue_request(self, request):
        request.meta.pop(LEASE, None)  # a retry or redirect is a request of its own
        delay = request.meta.pop(RETRY_DELAY, 0)
        data, score = self.queue.encode(request), -request.priority
        if delay <= 0:
            return self._queue_unseen(request, data, score)
        from twisted.internet import reactor

        self.server.hset(LEASES, data, f"{self.worker} {score}")
        self.held[data] = (reactor.callLater(delay, self._release_held, data, score), score)
        return True

    def _queue_unseen(self, request, data: bytes, score: float) -> bool:
        """scrapy-redis's `enqueue_request` with its SADD and ZADD made one command."""
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        if not self.server.eval(_QUEUE_UNSEEN, 2, self.df.key, self.queue.key, fingerprint, score, data):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        request = super().next_request()
        if request is not None:
            self.leased[request.meta[LEASE]] = request
        return request

    def has_pending_requests(self):
        return bool(self.held) or super().has_pending_requests()

    def __len__(self):
        return len(self.held) + super().__len__()

    def close(self, reason):
        if self.ticker.running:
            self.ticker.stop()
        for data, (release, score) in list(self.held.items()):
            release.cancel()
            self._release_held(data, score)
        self._release_finished(set())
        self.server.delete(HEARTBEAT % self.worker)
        return super().close(reason)

    def _release_held(self, data: bytes, score: float) -> None:
        self.held.pop(data, None)
        with self.server.pipeline() as pipe:  # MULTI/EXEC: never neither leased nor queued
            pipe.hdel(LEASES, data).zadd(REQUESTS, {data: score}).execute()
        self._wake()

    def _beat(self) -> None:
        self.server.set(HEARTBEAT % self.worker, "1", ex=HEARTBEAT_TTL)

    def _tick(self) -> None:
        try:
            self._beat()
            self._release_finished(engine_in_progress(self.crawler.engine))
            self._requeue_orphans()
            requeue_dead(self.server)
            if self.server.zcard(REQUESTS):
                self._wake()
        except Exception:  # noqa: BLE001 - Redis away for a moment: the next tick tries again
            logger.exception("worker heartbeat failed")

    def _release_finished(self, inprogress) -> None:
        done = [data for data, request in self.leased.items() if request not in inprogress]
        if done:
            self.server.hdel(LEASES, *done)
            for data in done:
                del self.leased[data]

    def _requeue_orphans(self) -> None:
        """Back to the queue: leases under this worker's name that it does not hold (the reply
        of a pop lost in a Redis outage, the pop retried)."""
        owner, known = f"{self.worker} ".encode(), self.leased.keys() | self.held.keys()
        for data, holder in self.server.hgetall(LEASES).items():
            if data not in known and holder.startswith(owner):
                with self.server.pipeline() as pipe:
                    pipe.hdel(LEASES, data).zadd(REQUESTS, {data: float(holder[len(owner):])}).execute()

    def _wake(self) -> None:
        """Ask the engine for requests now, not at its next 5-second heartbeat: another worker
        may have queued some."""
        wake_engine(self.crawler.engine)

    def _spider_idle(self, spider):
        if self.held or self.leased or not frontier_empty(self.server):
            raise DontCloseSpider
