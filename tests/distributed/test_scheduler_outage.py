"""The shared frontier through a Redis outage: a command whose reply is lost is sent again by the
client's retry (`patience`), after Redis has carried it out. No URL may end seen by every worker
and queued nowhere, and no request leased to a worker that does not know it has it."""
from __future__ import annotations

import pytest
import redis
from scrapy import Request
from scrapy.utils.test import get_crawler

from bbn_scraper.crawler.distributed import DUPEFILTER, LEASES, REQUESTS, patience
from bbn_scraper.crawler.distributed.scheduler import LeasingScheduler
from bbn_scraper.crawler.distributed.worker import WORKER_SETTINGS, WorkerSpider
from tests.helpers import BASE

pytestmark = pytest.mark.filterwarnings("ignore::scrapy.exceptions.ScrapyDeprecationWarning")  # scrapy-redis 0.9.1 passes spider=


@pytest.fixture
def scheduler(redis_server):
    settings = {**WORKER_SETTINGS, "REDIS_URL": redis_server.url, "REDIS_PARAMS": patience()}
    crawler = get_crawler(WorkerSpider, settings)
    crawler.spider = spider = WorkerSpider.from_crawler(crawler, start_urls=[f"{BASE}/"], snapshot=None)
    running = LeasingScheduler.from_crawler(crawler)
    running.open(spider)
    yield running
    running.ticker.stop()


def lose_replies(monkeypatch, *commands: str) -> list:
    """The next reply to any of `commands` is lost: Redis has carried it out, the client
    sees its connection drop (as when Redis restarts), and its retry sends the command again."""
    lost = []
    send, read = redis.connection.Connection.send_command, redis.connection.Connection.read_response
    sent = {}

    def send_command(self, *args, **kwargs):
        name = args[0] if args else b""
        sent[id(self)] = (name.decode() if isinstance(name, bytes) else str(name)).upper()
        return send(self, *args, **kwargs)

    def read_response(self, *args, **kwargs):
        response = read(self, *args, **kwargs)
        name = sent.pop(id(self), None)
        if name in commands and not lost:
            lost.append(name)
            self.disconnect()
            raise redis.ConnectionError("connection lost before the reply")
        return response

    monkeypatch.setattr(redis.connection.Connection, "send_command", send_command)
    monkeypatch.setattr(redis.connection.Connection, "read_response", read_response)
    return lost


def test_a_request_whose_enqueue_reply_is_lost_is_queued(scheduler, redis_server, monkeypatch):
    lost = lose_replies(monkeypatch, "SADD", "ZADD", "EVAL", "EVALSHA")
    scheduler.enqueue_request(Request(f"{BASE}/news/one"))
    client = redis_server.client()
    queued = [r.decode() for r in client.zrange(REQUESTS, 0, -1)]
    assert client.scard(DUPEFILTER) == 1
    assert lost and len(queued) == 1 and f"{BASE}/news/one" in queued[0], (lost, queued)


def test_a_lease_whose_pop_reply_was_lost_goes_back_to_the_queue(scheduler, redis_server, monkeypatch):
    for path in ("one", "two"):
        scheduler.enqueue_request(Request(f"{BASE}/news/{path}"))
    lost = lose_replies(monkeypatch, "EVAL", "EVALSHA")
    held = scheduler.next_request()  # the first pop's reply is lost: its retry pops the other
    assert held is not None and lost
    client = redis_server.client()
    assert client.hlen(LEASES) == 2 and client.zcard(REQUESTS) == 0, lost
    scheduler._requeue_orphans()
    assert client.hlen(LEASES) == 1 and client.zcard(REQUESTS) == 1
    again = scheduler.next_request()
    assert {held.url, again.url} == {f"{BASE}/news/one", f"{BASE}/news/two"}
