"""Distributed crawling on scrapy-redis: any number of workers share one frontier in Redis
(scrapy-redis's scheduler, queue and dupefilter, fingerprints by url_key), push their items to
Redis, and one writer (`ingest`) stores them in the archive with the crawl's own store code.
Requests, items and the round's snapshot cross Redis as JSON records (`archive.wire`), never
pickles; an entry that is none of them is a dead letter (`dead_letters`).

A round: `enqueue` adds start URLs; workers crawl them until the frontier is empty and no
request is leased anywhere; the writer stores every item, then settles the round (claims,
aliases, sightings, lastmods; the crawl row) and clears the round's keys. The Redis keys are
below; every one starts with `bbn:` (the spider's name, as scrapy-redis names its keys)."""
from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

REQUESTS = "bbn:requests"  # scrapy-redis's priority queue (a sorted set)
DUPEFILTER = "bbn:dupefilter"  # scrapy-redis's fingerprint set: url_key fingerprints
START_URLS = "bbn:start_urls"  # the round's start URLs (a set): every worker's scope
RECRAWL = "bbn:recrawl"  # what the archive knows (known articles, visited pages), for a re-crawl
LEASES = "bbn:leases"  # hash: encoded request -> "worker score", while a worker has it
WORKERS = "bbn:workers"  # set of worker ids ever seen this round
HEARTBEAT = "bbn:worker:%s"  # one key per live worker, expiring when its heartbeat stops
ITEMS = "bbn:items"  # list of items for the writer, as JSON (archive.item_codec)
PROCESSING = "bbn:items:processing"  # items the writer took and has not committed yet
DEFERRED = "bbn:deferred"  # aliases, sightings, lastmods and claims: applied when the round ends
CRAWL_ID = "bbn:crawl_id"  # the archive's crawl row of the round
RATE = "bbn:rate:%s"  # per host: sorted set of recent request starts (for `status`)
DEAD_LETTERS = "bbn:dead_letters"  # entries that are none of our records, the newest kept (dead_letters.py)
DEAD_LETTERS_COUNT = "bbn:dead_letters:count"  # how many there have been, kept or not
ROUND_KEYS = (START_URLS, DUPEFILTER, RECRAWL, DEFERRED, CRAWL_ID, WORKERS)


# A worker or the writer rides out a Redis restart (replaying its AOF) of up to about a minute.
OUTAGE_RETRIES = 40


def patience() -> dict:
    """redis-py client options: retry a failed connection or command, backing off up to 2 s."""
    return {"retry": Retry(ExponentialBackoff(cap=2, base=0.05), OUTAGE_RETRIES),
            "retry_on_error": [redis.ConnectionError, redis.TimeoutError]}


def connect(url: str, patient: bool = False) -> redis.Redis:
    """A client of the Redis at `url` (redis://host:port/db), checked with a PING; `patient`:
    it retries through an outage (`patience`) instead of failing at once."""
    client = redis.Redis.from_url(url, **(patience() if patient else {"retry": Retry(NoBackoff(), 0)}))
    client.ping()
    return client


class BadRoundKey(redis.exceptions.DataError):
    """A key of the round holds what no bbn-archive writes there (written by something else)."""


def round_id(client: redis.Redis) -> int | None:
    """The round's crawl id (CRAWL_ID), None when no round is open; `BadRoundKey` for a value
    that is no crawl id."""
    value = client.get(CRAWL_ID)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise BadRoundKey(f"{CRAWL_ID} holds {bytes(value[:40])!r}, not a crawl id: written by something else"
                          f" (redis-cli DEL {CRAWL_ID} and the round's other keys start the round again)")
    return int(value)


class RoundLost(redis.exceptions.DataError):
    """The open round's keys are gone from Redis (restarted without its data, or deleted)."""
