"""Operating a distributed crawl: start URLs in (`enqueue`) and read back (`start_urls`), the
state of the frontier out (`status`)."""
from __future__ import annotations

import time

from bbn_scraper.crawler.distributed import (
    DEFERRED, DUPEFILTER, HEARTBEAT, ITEMS, LEASES, PROCESSING, RATE, REQUESTS, START_URLS, WORKERS, round_id,
)
from bbn_scraper.crawler.distributed.dead_letters import summary
from bbn_scraper.crawler.run import bad_start_url

RATE_WINDOW = 60  # seconds of request starts kept per host


def enqueue(client, urls: list[str]) -> int:
    """Add start URLs to the round (opening one if none is open); how many were new."""
    return client.sadd(START_URLS, *urls) if urls else 0


def start_urls(client) -> tuple[list[str], dict[bytes, str]]:
    """The round's start URLs, sorted, and the members of START_URLS that are none (not UTF-8,
    not an http or https URL: written to Redis by something else than `enqueue`), with why."""
    urls, bad = [], {}
    for member in client.smembers(START_URLS):
        try:
            why = bad_start_url(member.decode())
        except UnicodeDecodeError as exc:
            why = f"not UTF-8 ({exc})"
        if why:
            bad[member] = why
        else:
            urls.append(member.decode())
    return sorted(urls), bad


def status(client) -> dict:
    """Queue lengths, workers seen (alive or not), items waiting, dead letters (`dead_letters.summary`),
    requests per minute by host."""
    workers = sorted(w.decode("utf-8", "backslashreplace") for w in client.smembers(WORKERS))
    now = time.time()
    rates = {}
    for key in client.scan_iter(match=RATE % "*"):
        host = key.decode()[len(RATE % ""):]
        rates[host] = client.zcount(key, now - RATE_WINDOW, "+inf")
    crawl_id = round_id(client)
    return {
        "round": {"crawl_id": crawl_id,
                  "start_urls": start_urls(client)[0]},
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
