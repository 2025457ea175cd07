"""Data, not code, on the wire: what a distributed crawl reads from Redis is a JSON record of this
version or a dead letter (an entry of bbn:dead_letters and an error row); nothing in it is run,
and the crawl goes on around it."""
from __future__ import annotations

import base64
import json
import pickle
import zlib
from datetime import datetime, timezone

import scrapy
from click.testing import CliRunner

from archive.item_codec import encode
from archive.items import CrawlError, FetchedPage, Seen
from archive.wire import VERSION
from bbn_scraper.app.cli import cli
from bbn_scraper.crawler.distributed import (
    CRAWL_ID, DEAD_LETTERS, DEAD_LETTERS_COUNT, ITEMS, PROCESSING, RECRAWL, REQUESTS, START_URLS,
)
from bbn_scraper.crawler.distributed.dead_letters import KEPT, KEPT_BYTES, dead_letter, shortened
from bbn_scraper.crawler.distributed.ingest import Ingest
from bbn_scraper.crawler.distributed.request_codec import dumps as request_record
from bbn_scraper.crawler.distributed.scheduler import requeue_dead
from tests.distributed.test_distributed_faults import assert_local_archive, wait_until
from tests.helpers import BASE, rows


class MakesAFile:
    """Unpickled, creates the file at `path`: what a pickle from anyone who can write to Redis may do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def payload(path) -> bytes:
    return pickle.dumps(MakesAFile(path))


def of_version(record: bytes, version: int) -> bytes:
    message = json.loads(record)
    message["version"] = version
    return json.dumps(message).encode()


def letters(client) -> list[dict]:
    return [json.loads(letter) for letter in client.lrange(DEAD_LETTERS, 0, -1)]


def status(url: str, *args: str):
    result = CliRunner().invoke(cli, ["status", "--redis", url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_pickle_payload_would_run_if_unpickled(tmp_path):
    """The probe of the tests below: unpickling it creates a file."""
    pickle.loads(payload(tmp_path / "ran"))
    assert (tmp_path / "ran").exists()


def test_bad_entries_among_good_ones_are_dead_letters_and_error_rows_and_the_crawl_goes_on(
        cluster, sample_site, sample_crawl, tmp_path):
    client = cluster.server.client()
    base = sample_site.base_url.rstrip("/")
    now = datetime.now(timezone.utc)
    writer = cluster.ingest()
    cluster.enqueue(sample_site.base_url)
    wait_until(lambda: client.exists(CRAWL_ID), what="the writer to open the round")
    goods = [FetchedPage(f"{base}/extra-{i}", 200, "text/html", b"<html>extra</html>", now) for i in range(3)]
    goods += [CrawlError(f"{base}/gone-{i}", "fetch", "HTTP 410 (pushed by the test)") for i in range(2)]
    bad_items = [payload(tmp_path / "item-pickle-ran"), b"\x00\xffgarbage",
                 b'{"type": "FetchedPage", "version": %d, "fields": {"url": 7}}' % VERSION,  # a wrong object
                 of_version(encode(Seen(1)), VERSION + 1)]
    entries = [encode(goods[0])]
    for bad, good in zip(bad_items, goods[1:]):
        entries += [bad, encode(good)]
    client.rpush(ITEMS, *entries)
    request = scrapy.Request(f"{base}/never-queued").to_dict()
    bad_requests = [payload(tmp_path / "request-pickle-ran"), b"garbage", of_version(request_record(request), VERSION + 1)]
    client.zadd(REQUESTS, {data: -100 for data in bad_requests})  # popped first
    cluster.wait(writer, *[cluster.worker() for _ in range(2)])

    assert not (tmp_path / "item-pickle-ran").exists() and not (tmp_path / "request-pickle-ran").exists()
    dead = letters(client)
    assert sorted(letter["source"] for letter in dead) == [ITEMS] * 4 + [REQUESTS] * 3
    assert {letter["entry"] for letter in dead} == {
        base64.b64encode(data).decode() for data in bad_items + bad_requests}
    errors = rows(cluster.db, "SELECT url, stage, reason FROM errors WHERE url IS NULL")
    assert sorted(e["reason"] for e in errors) == sorted(letter["reason"] for letter in dead)
    item_rows = [e for e in errors if e["stage"] == "store"]
    assert len(item_rows) == 4 and all("no item of this version was dropped" in e["reason"] for e in item_rows)
    request_rows = [e for e in errors if e["stage"] == "fetch"]
    assert len(request_rows) == 3 and all("no request of this version was dropped" in e["reason"] for e in request_rows)
    reasons = " ".join(e["reason"] for e in errors)
    assert "a pickle of an older bbn-archive?" in reasons and f"a record of version {VERSION + 1}" in reasons
    assert "7 is not of type str" in reasons  # the wrong object
    pages = {r["url"] for r in rows(cluster.db, "SELECT url FROM pages")}
    assert {page.url for page in goods[:3]} <= pages
    assert {(e["url"], e["reason"]) for e in rows(cluster.db, "SELECT url, reason FROM errors WHERE url LIKE '%/gone-%'")} \
        == {(error.url, error.reason) for error in goods[3:]}
    assert_local_archive(cluster, sample_site, sample_crawl)
    text = status(cluster.server.url)
    assert "dead letters: 7 (7 kept in bbn:dead_letters), the newest from" in text


def test_ingest_counts_only_what_it_stored_and_sends_the_dead_letters_with_its_commit(redis_server, tmp_path):
    client = redis_server.client()
    client.sadd(START_URLS, f"{BASE}/")
    wrong = b'{"type": "Claim", "version": %d, "fields": {}}' % VERSION
    client.rpush(PROCESSING, encode(CrawlError(f"{BASE}/a", "fetch", "HTTP 500")), wrong,
                 encode(CrawlError(f"{BASE}/b", "fetch", "HTTP 500")))
    ingest = Ingest(client, str(tmp_path / "news.db"), once=True)
    ingest.stopping = True
    assert ingest.run() == 2
    [letter] = letters(client)
    assert (letter["source"], letter["version"]) == (ITEMS, VERSION)
    assert "Claim" in letter["reason"] and not client.llen(PROCESSING)


def test_a_worker_refuses_a_snapshot_of_another_version_in_one_line(redis_server):
    client = redis_server.client()
    client.sadd(START_URLS, f"{BASE}/")
    snapshot = zlib.compress(json.dumps({"type": "RecrawlSnapshot", "version": VERSION + 1, "known": {}}).encode())
    client.set(RECRAWL, snapshot)
    result = CliRunner().invoke(cli, ["worker", "--redis", redis_server.url, "--local"])
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert f"a record of version {VERSION + 1}, this bbn-archive reads version {VERSION}" in result.output
    assert "run ingest and the workers from one bbn-archive version" in result.output
    [letter] = letters(client)
    assert letter["source"] == RECRAWL and client.get(RECRAWL) == snapshot  # a copy: the round goes on
    [error] = client.lrange(ITEMS, 0, -1)
    assert json.loads(error)["fields"]["reason"].startswith("a worker did not crawl")


def test_the_dead_letter_list_keeps_the_newest_and_counts_them_all(redis_server):
    client = redis_server.client()
    for i in range(KEPT + 5):
        with client.pipeline() as pipe:
            dead_letter(pipe, ITEMS, b"x", f"reason {i}")
            pipe.execute()
    assert client.llen(DEAD_LETTERS) == KEPT and int(client.get(DEAD_LETTERS_COUNT)) == KEPT + 5
    state = json.loads(status(redis_server.url, "--json"))["dead_letters"]
    assert state["count"] == KEPT + 5 and state["kept"] == KEPT
    assert (state["newest"]["source"], state["newest"]["reason"]) == (ITEMS, f"reason {KEPT + 4}")
    client.lpush(DEAD_LETTERS, b"\x80junk")
    assert "not a dead letter of this version" in status(redis_server.url)


def test_a_dead_letter_keeps_the_head_of_a_huge_entry_and_its_size(redis_server):
    client = redis_server.client()
    huge = b"\x80junk" + bytes(8 * 1024 * 1024)
    with client.pipeline() as pipe:
        dead_letter(pipe, ITEMS, huge, "not an item")
        pipe.execute()
    [letter] = letters(client)
    assert base64.b64decode(letter["entry"]) == huge[:KEPT_BYTES] and letter["entry_bytes"] == len(huge)
    assert client.memory_usage(DEAD_LETTERS) < 2 * KEPT_BYTES


def test_members_of_the_start_urls_that_are_none_are_dead_letters_and_the_round_opens_without_them(redis_server, tmp_path):
    client = redis_server.client()
    client.sadd(START_URLS, f"{BASE}/", b"\xff\xfe", "ftp://127.0.0.1/")
    assert json.loads(status(redis_server.url, "--json"))["round"]["start_urls"] == [f"{BASE}/"]
    client.rpush(PROCESSING, encode(CrawlError(f"{BASE}/a", "fetch", "HTTP 500")))
    db = str(tmp_path / "news.db")
    ingest = Ingest(client, db, once=True)
    ingest.stopping = True
    assert ingest.run() == 1
    assert rows(db, "SELECT start_urls FROM crawls") == [{"start_urls": json.dumps([f"{BASE}/"])}]
    assert client.smembers(START_URLS) == {f"{BASE}/".encode()}
    assert sorted(letter["source"] for letter in letters(client)) == [START_URLS] * 2
    refused = rows(db, "SELECT stage, reason FROM errors WHERE url IS NULL ORDER BY reason")
    assert [e["stage"] for e in refused] == ["fetch", "fetch"]
    assert "is not an http or https URL" in refused[0]["reason"] and "not UTF-8" in refused[1]["reason"]


DEEP = b"[" * 100_000 + b"]" * 100_000  # deeper than Python's stack: json.loads raises RecursionError


def test_json_nested_too_deep_is_a_dead_letter_not_a_crash(redis_server, tmp_path):
    client = redis_server.client()
    client.sadd(START_URLS, f"{BASE}/")
    client.rpush(PROCESSING, DEEP, encode(CrawlError(f"{BASE}/b", "fetch", "HTTP 500")))
    ingest = Ingest(client, str(tmp_path / "news.db"), once=True)
    ingest.stopping = True
    assert ingest.run() == 1
    [letter] = letters(client)
    assert "nested too deep" in letter["reason"] and not client.llen(PROCESSING)
    client.lpush(DEAD_LETTERS, DEEP)
    assert "not a dead letter of this version" in status(redis_server.url)


def test_round_keys_written_by_something_else_are_one_line_or_passed_over(redis_server):
    client = redis_server.client()
    client.sadd("bbn:workers", b"\xff\xfe")
    client.hset("bbn:leases", "x", "nospace")
    assert requeue_dead(client) == 1 and client.zscore(REQUESTS, "x") == 0  # a lease of no live worker
    assert "workers" in status(redis_server.url)
    client.set(CRAWL_ID, "abc")
    result = CliRunner().invoke(cli, ["status", "--redis", redis_server.url])
    assert result.exit_code == 1 and "bbn:crawl_id holds b'abc', not a crawl id" in result.output, result.output
    assert result.output.count("\n") == 1


def test_why_an_entry_was_refused_is_cut(redis_server):
    client = redis_server.client()
    with client.pipeline() as pipe:
        dead_letter(pipe, REQUESTS, b"{}", shortened(ValueError("x" * 20_000_000)))
        pipe.execute()
    [letter] = letters(client)
    assert letter["reason"].endswith("... (19999500 more characters)") and len(letter["reason"]) < 600
