"""The distributed crawl's commands at the edge: status, enqueue, and Redis unreachable."""
from __future__ import annotations

import json
import time

from click.testing import CliRunner

from bbn_scraper.app.cli import cli
from bbn_scraper.crawler.distributed import HEARTBEAT, ITEMS, LEASES, RATE, REQUESTS, START_URLS, WORKERS
from archive.item_codec import encode
from archive.items import CrawlError
from tests.helpers import free_port


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_status_shows_queues_workers_items_and_rate(redis_server):
    client = redis_server.client()
    url = redis_server.url
    assert run("enqueue", "--redis", url, "http://127.0.0.1:9/").exit_code == 0
    client.zadd(REQUESTS, {b"a": 0, b"b": 0})
    client.hset(LEASES, b"c", "host:1 0")
    client.sadd(WORKERS, "host:1", "host:2")
    client.set(HEARTBEAT % "host:1", 1, ex=5)
    client.lpush(ITEMS, encode(CrawlError("http://127.0.0.1:9/x", "fetch", "HTTP 404")))
    client.zadd(RATE % "127.0.0.1", {"t1": time.time(), "t2": time.time(), "old": time.time() - 600})
    result = run("status", "--redis", url, "--json")
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    assert state["round"]["start_urls"] == ["http://127.0.0.1:9/"]
    assert (state["requests_queued"], state["requests_leased"], state["items_waiting"]) == (2, 1, 1)
    assert state["workers"] == {"host:1": True, "host:2": False}
    assert state["requests_per_minute"] == {"127.0.0.1": 2}
    text = run("status", "--redis", url).output
    assert "2 queued, 1 leased" in text and "1 alive of 2" in text and "127.0.0.1: 2 requests" in text


def test_enqueue_counts_only_new_start_urls_and_refuses_a_bad_one(redis_server):
    url = redis_server.url
    assert "1 start URLs added" in run("enqueue", "--redis", url, "http://127.0.0.1:9/").output
    assert "0 start URLs added" in run("enqueue", "--redis", url, "http://127.0.0.1:9").output  # the same URL
    bad = run("enqueue", "--redis", url, "ftp://127.0.0.1/")
    assert bad.exit_code == 2 and "not an http or https URL" in bad.output
    assert redis_server.client().smembers(START_URLS) == {b"http://127.0.0.1:9/"}


def test_redis_unreachable_is_one_line_and_exit_status_1(tmp_path):
    gone = f"redis://127.0.0.1:{free_port()}/0"
    for args in (["status"], ["enqueue", "http://127.0.0.1:9/"], ["worker"], ["ingest", "--db", str(tmp_path / "a.db")]):
        result = run(args[0], "--redis", gone, *args[1:])
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith(f"Error: Redis at {gone}:") and result.output.count("\n") == 1, result.output
        assert "Traceback" not in result.output
