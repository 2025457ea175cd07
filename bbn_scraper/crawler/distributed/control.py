"""Operating a distributed crawl: start URLs in (`enqueue`), the state of the frontier out (`status`)."""
from __future__ import annotations

import time

from bbn_scraper.crawler.distributed import (
    CRAWL_ID, DEFERRED, DUPEFILTER, HEARTBEAT, ITEMS, LEASES, PROCESSING, RATE, REQUESTS, START_URLS, WORKERS,
)
from bbn_scraper.crawler.distributed.dead_letters import summary

RATE_WINDOW = 60  # seconds of request starts kept per host


def enqueue(client, urls: list[str]) -> int:
    """Add start URLs to the round (opening one if none is open); how many were new."""
    return client.sadd(START_URLS, *urls) if urls else 0


def status(client) -> dict:
    """Queue lengths, workers seen (alive or not), items waiting, dead letters (`dead_letters.summary`),
    requests per minute by host."""
    workers = sorted(w.decode() for w in client.smembers(WORKERS))
    now = time.time()
    rates = {}
    for key in client.scan_iter(match=RATE % "*"):
        host = key.decode()[len(RATE % ""):]
        rates[host] = client.zcount(key, now - RATE_WINDOW, "+inf")
    crawl_id = client.get(CRAWL_ID)
    return {
        "round": {"crawl_id": int(crawl_id) if crawl_id else None,
                  "start_urls": sorted(u.decode() for u in client.smembers(START_URLS))},
        "requests_queued": client.zcard(REQUESTS),
        "requests_leased": client.hlen(LEASES),
        "fingerprints": client.scard(DUPEFILTER),
        "workers": {w: bool(client.exists(HEARTBEAT % w)) for w in workers},
        "items_waiting": client.llen(ITEMS),
        "items_in_batch": client.llen(PROCESSING),
        "items_deferred": client.llen(DEFERRED),
        "dead_letters": summary(client),
        "requests_per_minute": rates,
    }
