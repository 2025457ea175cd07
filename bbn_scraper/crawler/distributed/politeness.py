"""Politeness across workers: a host sees no more requests at once, nor more often, than one
crawler's limits for it (CONCURRENT_REQUESTS_PER_DOMAIN and DOWNLOAD_DELAY, or the site's
delay and concurrency of sites.toml), however many workers run. Before a request goes out, the
worker takes one of the host's tokens in Redis (a Lua script, on Redis's clock): at most
`concurrency` tokens are out, and one is given at most once per `delay`. The token goes back
when the response or the failure comes; a killed worker's tokens expire after DOWNLOAD_TIMEOUT.
The worker's own delays are off (`worker.WORKER_SETTINGS`): waiting after taking a token
would bring two workers' requests closer together than `delay`."""
from __future__ import annotations

import itertools

from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

from bbn_scraper.crawler.distributed import RATE, connect
from bbn_scraper.crawler.distributed.scheduler import worker_id

HOST = "bbn:host:%s"  # sorted set of the host's tokens out, by expiry time
NEXT = "bbn:host:%s:next"  # when the host may get its next request
TOKEN = "bbn_host_token"  # request.meta key
WAIT = 0.05  # seconds between tries while the host has all its tokens out

_TAKE = """
local t = redis.call('time')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[2]) then return '-1' end
local next = tonumber(redis.call('get', KEYS[2]) or '0')
if next > now then return tostring(next - now) end
redis.call('zadd', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('set', KEYS[2], string.format('%.6f', now + tonumber(ARGV[3])), 'EX', 3600)
redis.call('zadd', KEYS[3], now, ARGV[1])
redis.call('zremrangebyscore', KEYS[3], '-inf', now - 60)
redis.call('expire', KEYS[3], 120)
return '0'
"""


class HostLimitMiddleware:
    """Downloader middleware: a shared per-host token for every request (see the module)."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.client = connect(settings.get("REDIS_URL"), patient=True)
        self.delay = settings.getfloat("BBN_HOST_DELAY")
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.slots = {host: slot for host, slot in settings.getdict("BBN_HOST_SLOTS").items()}
        self.expiry = settings.getfloat("DOWNLOAD_TIMEOUT") + 10
        self.tokens = (f"{worker_id()}:{n}" for n in itertools.count())
        self.take = self.client.register_script(_TAKE)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        from twisted.internet import reactor, task

        host = urlparse_cached(request).hostname or ""  # the key of Scrapy's download slots
        slot = self.slots.get(host, {})
        delay = slot.get("delay") if slot.get("delay") is not None else self.delay
        concurrency = slot.get("concurrency") or self.concurrency
        token = next(self.tokens)
        while True:
            wait = float(self.take(keys=[HOST % host, NEXT % host, RATE % host],
                                   args=[token, concurrency, delay, self.expiry]))
            if wait == 0:
                break
            await maybe_deferred_to_future(task.deferLater(reactor, WAIT if wait < 0 else wait, lambda: None))
        request.meta[TOKEN] = (host, token)
        return None

    def process_response(self, request, response):
        self._give_back(request)
        return response

    def process_exception(self, request, exception):
        self._give_back(request)
        return None

    def _give_back(self, request) -> None:
        taken = request.meta.pop(TOKEN, None)
        if taken is not None:
            host, token = taken
            self.client.zrem(HOST % host, token)
