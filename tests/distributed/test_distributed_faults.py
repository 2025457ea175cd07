"""Faults of a distributed crawl: a worker killed mid-crawl, the writer killed mid-batch, an
item delivered twice. Nothing is lost, nothing is stored twice."""
from __future__ import annotations

import json
import pickle
import signal
import socket
import time
import zlib
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from bbn_scraper.crawler.distributed import CRAWL_ID, DEFERRED, DUPEFILTER, LEASES, PROCESSING, REQUESTS, START_URLS
from bbn_scraper.crawler.distributed.ingest import Ingest
from bbn_scraper.crawler.distributed.worker import read_snapshot, recrawl_snapshot
from archive.crawl_store import CrawlStore
from archive.item_codec import decode, encode
from archive.items import Alias, CrawlError, FetchedArticle, FetchedPage
from tests.helpers import BASE, local_base, make_article, rows, state_on

TABLES = ("articles", "faqs", "links", "urls", "authors", "tags")


def wait_until(condition, timeout: float = 90, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def assert_local_archive(cluster, sample_site, sample_crawl) -> None:
    distributed = state_on(cluster.db, sample_site.base_url)
    local = state_on(sample_crawl.db, local_base(sample_crawl))
    for table in TABLES:
        assert distributed[table] == local[table], table


def page_differences(cluster, sample_site, sample_crawl) -> dict:
    """The pages stored twice by the distributed crawl, and the paths only one of the two archives has."""
    query = "SELECT url, count(*) AS n FROM pages GROUP BY url"
    distributed = {urlsplit(r["url"])._replace(netloc="").geturl(): r["n"] for r in rows(cluster.db, query)}
    local = {urlsplit(r["url"])._replace(netloc="").geturl(): r["n"] for r in rows(sample_crawl.db, query)}
    return {"twice": sorted(u for u, n in distributed.items() if n > 1),
            "only distributed": sorted(distributed.keys() - local.keys()), "only local": sorted(local.keys() - distributed.keys())}


def test_a_worker_killed_mid_crawl_loses_no_request(cluster, sample_site, sample_crawl):
    client = cluster.server.client()
    writer = cluster.ingest()
    cluster.enqueue(sample_site.base_url)
    crew = [cluster.worker("DOWNLOAD_DELAY=0.1") for _ in range(3)]
    victim = crew[0]
    owner = f"{socket.gethostname()}:{victim.pid}:".encode()  # then a random part (scheduler.worker_id)

    def victim_holds_a_lease():
        return client.scard(DUPEFILTER) > 20 and any(v.startswith(owner) for v in client.hvals(LEASES))

    wait_until(victim_holds_a_lease, what="the first worker to lease a request")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert any(v.startswith(owner) for v in client.hvals(LEASES)), "the killed worker left no lease to requeue"
    replacement = cluster.worker("DOWNLOAD_DELAY=0.1")  # a worker may join at any time
    cluster.wait(writer, *crew[1:], replacement)
    assert_local_archive(cluster, sample_site, sample_crawl)
    logs = [open(p.log_path).read() for p in cluster.processes if p is not victim]
    assert any("leased by a worker whose heartbeat stopped" in log for log in logs), "the requeue said nothing"


def test_the_writer_killed_mid_batch_loses_no_item(cluster, sample_site, sample_crawl):
    client = cluster.server.client()
    writer = cluster.ingest()
    cluster.enqueue(sample_site.base_url)
    wait_until(lambda: client.exists(CRAWL_ID), what="the writer to open the round")
    writer.send_signal(signal.SIGSTOP)  # items pile up in Redis while the crawl runs
    cluster.wait(*[cluster.worker() for _ in range(3)])
    writer.send_signal(signal.SIGCONT)
    wait_until(lambda: client.llen(PROCESSING), what="the writer to take a batch")
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert client.llen(PROCESSING), "the batch was acknowledged before the kill: not a kill mid-batch"
    cluster.wait(cluster.ingest())
    assert_local_archive(cluster, sample_site, sample_crawl)
    pages = rows(cluster.db, "SELECT count(*) AS n, count(DISTINCT url) AS urls FROM pages")[0]
    local = rows(sample_crawl.db, "SELECT count(*) AS n FROM pages")[0]["n"]
    assert pages["n"] == pages["urls"] == local, (pages, local, page_differences(cluster, sample_site, sample_crawl))


def test_a_batch_delivered_again_after_its_commit_is_not_stored_twice(redis_server, tmp_path):
    client = redis_server.client()
    client.sadd(START_URLS, f"{BASE}/")
    now = datetime.now(timezone.utc)
    url = f"{BASE}/news/uk-politics-66812345"
    batch = [encode(item) for item in (
        FetchedPage(url, 200, "text/html", b"<html>page</html>", now),
        FetchedArticle(make_article(url), url, now),
        CrawlError(f"{BASE}/gone", "fetch", "HTTP 404"),
    )]
    db = str(tmp_path / "news.db")
    counts = "SELECT (SELECT count(*) FROM pages) AS pages, (SELECT count(*) FROM errors) AS errors," \
             " (SELECT count(*) FROM article_sightings) AS sightings, (SELECT count(*) FROM articles) AS articles"
    for delivery in (1, 2):  # the second: a writer killed after its commit, before its acknowledgement
        client.rpush(PROCESSING, *batch)
        ingest = Ingest(client, db, once=True)
        ingest.stopping = True  # the batch left in the processing list only, then stop
        ingest.run()
        assert not client.llen(PROCESSING)
        assert rows(db, counts) == [{"pages": 1, "errors": 1, "sightings": 1, "articles": 1}], delivery


def test_redis_restarted_mid_crawl_from_its_aof_loses_no_request_and_no_item(cluster, sample_site, sample_crawl):
    client = cluster.server.client()
    writer = cluster.ingest()
    cluster.enqueue(sample_site.base_url)
    crew = [cluster.worker("DOWNLOAD_DELAY=0.1") for _ in range(3)]
    # under way: requests queued or leased (in a worker's downloader, which often holds them all)
    wait_until(lambda: client.scard(DUPEFILTER) > 30 and (client.zcard(REQUESTS) or client.hlen(LEASES)),
               what="the crawl to be under way")
    cluster.server.stop()  # SIGTERM: Redis flushes its AOF and exits
    time.sleep(1)
    cluster.server.start()  # the same port and directory: the AOF is replayed
    cluster.wait(writer, *crew)
    assert_local_archive(cluster, sample_site, sample_crawl)


def test_an_entry_that_is_no_item_is_an_error_row_and_the_rest_is_stored(redis_server, tmp_path, monkeypatch):
    """A pickle an older version's worker left (its classes in `crawler.items`), or any other
    bytes, neither blocks the writer nor is run: an error row says what it was, and it is gone."""
    stored = []
    store = CrawlStore.store
    monkeypatch.setattr(CrawlStore, "store", lambda self, item: (stored.append(type(item).__name__), store(self, item)))
    client = redis_server.client()
    client.sadd(START_URLS, f"{BASE}/")
    now = datetime.now(timezone.utc)
    url = f"{BASE}/news/uk-politics-66812345"
    old = pickle.dumps(CrawlError(f"{BASE}/old", "fetch", "HTTP 500"), protocol=0)
    old = old.replace(b"archive.items\n", b"crawler.items\n")
    client.rpush(PROCESSING, encode(FetchedPage(url, 200, "text/html", b"<html>page</html>", now)), old, b"junk",
                 encode(FetchedArticle(make_article(url), url, now)))
    db = str(tmp_path / "news.db")
    for _ in (1, 2):  # the second start finds nothing left behind
        ingest = Ingest(client, db, once=True)
        ingest.stopping = True
        ingest.run()
        assert not client.llen(PROCESSING)
    assert stored == ["FetchedPage", "FetchedArticle"]  # through the crawl's store, the entries between refused
    assert rows(db, "SELECT count(*) AS n FROM articles") == [{"n": 1}]
    refusals = rows(db, "SELECT url, stage, reason FROM errors ORDER BY id")
    assert [(e["url"], e["stage"]) for e in refusals] == [(None, "store"), (None, "store")]
    assert all("no item of this version was dropped" in e["reason"] and "Run workers of this version" in e["reason"]
               for e in refusals), refusals
    assert "a pickle of an older bbn-archive?" in refusals[0]["reason"]


def test_the_workers_snapshot_of_the_archive_is_json_and_reads_back(empty_archive, crawl_id):
    url = f"{BASE}/news/one"
    empty_archive.store_article(make_article(url), crawl_id=crawl_id, fetched_url=url)
    empty_archive.finish_crawl(crawl_id, "finished", {})
    data = recrawl_snapshot(empty_archive)
    assert json.loads(zlib.decompress(data))["finished"] is True
    assert read_snapshot(data) == (empty_archive.known_urls(), True, empty_archive.visited_keys(),
                                   empty_archive.sitemap_lastmods())
    with pytest.raises(ValueError, match="run ingest and the workers from one bbn-archive version"):
        read_snapshot(zlib.compress(pickle.dumps(({}, True, set(), {}))))


def test_a_second_page_of_an_article_waits_in_redis_as_an_alias(redis_server, tmp_path):
    """The store makes it an alias; the alias waits with the round's deferred items, so a writer
    restarted before the round ends still applies it."""
    client = redis_server.client()
    client.sadd(START_URLS, f"{BASE}/")
    now = datetime.now(timezone.utc)
    url, copy = f"{BASE}/news/uk-politics-66812345", f"{BASE}/news/uk-politics-66812345?utm_source=x"
    client.rpush(PROCESSING, encode(FetchedArticle(make_article(url), url, now)),
                 encode(FetchedArticle(make_article(url), copy, now)))
    ingest = Ingest(client, str(tmp_path / "news.db"), once=True)
    ingest.stopping = True
    ingest.run()
    assert [decode(data) for data in client.lrange(DEFERRED, 0, -1)] == [Alias(copy, url)]


def test_a_round_whose_keys_vanish_ends_ingest_in_one_line_not_a_wait_for_ever(cluster, sample_site):
    """Redis restarted without its data (no AOF, FLUSHALL, a failover to an empty replica):
    ingest waited for ever on a round no worker or frontier was left to end."""
    client = cluster.server.client()
    writer = cluster.ingest()
    cluster.enqueue(sample_site.base_url)
    wait_until(lambda: client.get(CRAWL_ID) is not None, what="the round to open")
    client.flushall()
    assert writer.wait(30) == 1
    log = open(writer.log_path).read()
    assert "the round of crawl 1 is gone from Redis" in log and "Traceback" not in log, log
    assert rows(cluster.db, "SELECT status FROM crawls") == [{"status": "interrupted"}]
