"""The parse pool: worker processes give the in-process parser's results; a worker killed by
chance costs no page, a page that kills two workers fails alone, a page that hangs fails after
the timeout, the pages queued behind either parsed by a new worker; a parser exception comes
back as that page's error."""
from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from archive.stories import StorySettings, body_signature
from bbn_scraper.crawler.parse_pool import ParseFailed, ParsePool, parse_fetched
from bbn_scraper.parsers import parse_article
from bbn_scraper.parsers.document import page_text
from tests.fixture_pages import fixture_pages

PAGES = [(page.html, page.url) for page in fixture_pages()]
CONTENT_TYPE = "text/html; charset=utf-8"
POISON_WORKER = [sys.executable, str(Path(__file__).with_name("poison_worker.py"))]


def recording_worker(log: Path) -> list[str]:
    """The command of a worker that notes its start and its clean exit in `log`."""
    return [sys.executable, str(Path(__file__).with_name("recording_worker.py")), str(log)]


def noted(log: Path, event: str) -> list[int]:
    """The pids of the recording workers that noted `event` ("started" or "exited")."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [int(line.split()[1]) for line in lines if line.split()[0] == event]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))  # a lost page would hang the test


def test_workers_give_what_the_parser_gives_in_process():
    """Articles, links, body signatures and packed bodies alike, across the workers' pipes."""
    async def main():
        pool = ParsePool(2, stories=StorySettings())
        try:
            results = await asyncio.gather(*(pool.parse(body, CONTENT_TYPE, url, pack=True) for body, url in PAGES))
        finally:
            await pool.close()
        return results, pool.usage()

    results, usage = run(main())
    assert results == [parse_fetched(body, CONTENT_TYPE, url, stories=StorySettings(), pack=True) for body, url in PAGES]
    assert sum(article is not None for article, *_ in results) >= 20
    assert [zlib.decompress(packed.zlib) for *_, packed in results] == [body for body, _ in PAGES]
    assert [packed.sha256 for *_, packed in results] == [hashlib.sha256(body).hexdigest() for body, _ in PAGES]
    signed = [(article, signature) for article, _, signature, _ in results if article is not None and article.body]
    assert signed and all(signature == body_signature(article.body) for article, signature in signed)
    assert all(len(signature.values) == 4 * StorySettings().num_perm for _, signature in signed)
    assert usage["processes_started"] == 2
    assert usage["cpu_seconds"] > 0 and usage["peak_rss_mib"] > 10


def test_a_worker_killed_by_chance_costs_no_page(tmp_path):
    pages = PAGES * 3
    log = tmp_path / "workers.log"

    async def main():
        pool = ParsePool(1, command=recording_worker(log))
        tasks = [asyncio.create_task(pool.parse(body, CONTENT_TYPE, url)) for body, url in pages]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        os.kill(noted(log, "started")[0], signal.SIGKILL)  # dies while parsing a later page
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()
        return results, pool.started

    results, started = run(main())
    assert started == 2
    assert results == [parse_fetched(body, CONTENT_TYPE, url) for body, url in pages]


def test_a_page_that_kills_two_workers_fails_alone():
    poison_url = "https://example.com/2023/01/01/poison/"
    pages = [(PAGES[0][0], poison_url), *PAGES]

    async def main():
        pool = ParsePool(1, command=POISON_WORKER)
        results = await asyncio.gather(*(pool.parse(body, CONTENT_TYPE, url) for body, url in pages),
                                       return_exceptions=True)
        await pool.close()
        return results, pool.started

    (failure, *results), started = run(main())
    assert isinstance(failure, ParseFailed)
    assert str(failure) == f"the parser's process died on this page, twice (exit code {-signal.SIGKILL})"
    assert results == [parse_fetched(body, CONTENT_TYPE, url) for body, url in PAGES]
    assert started == 3  # the first worker, the one the page was sent to again, the one after


def test_a_page_that_hangs_fails_after_the_timeout_and_the_pages_behind_it_go_on():
    hanging_url = "https://example.com/2023/01/01/hang/"
    pages = [PAGES[0], (PAGES[1][0], hanging_url), *PAGES[2:]]

    async def main():
        pool = ParsePool(1, timeout=2, command=POISON_WORKER)
        started = time.monotonic()
        results = await asyncio.gather(*(pool.parse(body, CONTENT_TYPE, url) for body, url in pages),
                                       return_exceptions=True)
        seconds = time.monotonic() - started
        await pool.close()
        return results, pool.started, seconds

    (first, failure, *rest), started, seconds = run(main())
    assert isinstance(failure, ParseFailed)
    assert str(failure) == "parse timed out after 2 s"
    assert [first, *rest] == [parse_fetched(body, CONTENT_TYPE, url) for body, url in PAGES if url != PAGES[1][1]]
    assert started == 2  # the worker killed on the hanging page, and its replacement
    assert seconds < 30  # not the hour the page would take


def test_a_crawl_with_a_hanging_page_ends_and_records_it(sample_site, tmp_path):
    """The sample site crawled with workers that hang on one article: the crawl finishes, that
    page is a parse error naming the timeout, the other articles are archived."""
    db, hanging = tmp_path / "archive.db", "/2023/09/25/heatwave-health-warning/"
    started = time.monotonic()
    result = subprocess.run(
        [*POISON_WORKER, "crawl", sample_site.base_url, "--db", str(db), "--local",
         "-s", "PARSE_TIMEOUT=2", "-s", "PARSE_PROCESSES=1"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HANG_URL_PART": hanging},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert time.monotonic() - started < 60
    conn = sqlite3.connect(db)
    try:
        errors = conn.execute("SELECT url, stage, reason FROM errors WHERE reason LIKE '%timed out%'").fetchall()
        archived = {url for (url,) in conn.execute("SELECT canonical_url FROM articles")}
        status = conn.execute("SELECT status FROM crawls").fetchall()
    finally:
        conn.close()
    assert errors == [(sample_site.base_url.rstrip("/") + hanging, "parse", "ParseFailed: parse timed out after 2 s")]
    assert status == [("finished",)]
    assert len(archived) >= 10 and not any(hanging in url for url in archived)


def test_a_slow_start_is_not_a_slow_page():
    """The clock of a worker's first page starts when the worker is ready, not when it was spawned."""
    body, url = PAGES[0]
    slow_start = [sys.executable, "-c", "import time; time.sleep(1.5); from bbn_scraper.crawler.parse_pool import serve; serve()"]

    async def main():
        pool = ParsePool(1, timeout=1, command=slow_start)
        try:
            return await pool.parse(body, CONTENT_TYPE, url)
        finally:
            await pool.close()

    assert run(main()) == parse_fetched(body, CONTENT_TYPE, url)


def test_the_timeout_counts_a_workers_cpu_not_its_wait_for_a_core(monkeypatch):
    """Eight workers on this machine's cores, each page 0.6 s of CPU against a 1 s timeout: every
    page is parsed, however long the workers wait for a core (counted in wall-clock time, a page
    took ~0.6 s x 8 workers / 2 cores = 2.4 s on two cores, and whether it failed depended on
    how many workers there were)."""
    monkeypatch.setenv("SLOW_CPU_SECONDS", "0.6")
    pages = [(body, url.rstrip("/") + f"/slow/{n}/") for n, (body, url) in enumerate(PAGES[:16])]

    async def main():
        pool = ParsePool(8, timeout=1, command=POISON_WORKER)
        try:
            return await asyncio.gather(*(pool.parse(body, CONTENT_TYPE, url) for body, url in pages),
                                        return_exceptions=True)
        finally:
            await pool.close()

    results = run(main())
    assert [r for r in results if isinstance(r, Exception)] == []
    assert results == [parse_fetched(body, CONTENT_TYPE, url) for body, url in pages]


def test_a_parser_exception_is_that_pages_error_and_the_worker_goes_on():
    body, url = PAGES[0]

    async def main():
        pool = ParsePool(1)
        try:
            with pytest.raises(ParseFailed, match="^AttributeError: "):
                await pool.parse(None, CONTENT_TYPE, url)  # page_text cannot decode None
            return await pool.parse(body, CONTENT_TYPE, url), pool.started
        finally:
            await pool.close()

    result, started = run(main())
    assert result == parse_fetched(body, CONTENT_TYPE, url)
    assert started == 1


def test_closed_workers_exit(tmp_path):
    log = tmp_path / "workers.log"

    async def main():
        pool = ParsePool(2, command=recording_worker(log))
        await asyncio.gather(*(pool.parse(body, CONTENT_TYPE, url) for body, url in PAGES[:4]))
        assert noted(log, "exited") == []
        await pool.close()

    run(main())
    started = noted(log, "started")
    assert len(started) == 2 and sorted(noted(log, "exited")) == sorted(started)


def test_without_links_a_worker_gives_the_article_alone():
    async def main():
        pool = ParsePool(1)
        try:
            return await asyncio.gather(*(pool.parse(body, CONTENT_TYPE, url, links=False) for body, url in PAGES))
        finally:
            await pool.close()

    results = run(main())
    assert results == [(parse_article(page_text(body, CONTENT_TYPE), url), [], None, None) for body, url in PAGES]
    assert results == [(parse_fetched(body, CONTENT_TYPE, url)[0], [], None, None) for body, url in PAGES]


def test_zero_processes_parse_in_process():
    body, url = PAGES[0]
    pool = ParsePool(0)
    assert run(pool.parse(body, CONTENT_TYPE, url)) == parse_fetched(body, CONTENT_TYPE, url)
    assert pool.started == 0


def test_the_crawls_page_item_carries_the_body_its_worker_packed():
    """The spider yields a parsed page's FetchedPage once its worker has answered, with the
    body packed as the archive stores it; a page recorded in a WARC keeps no body: not packed."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from archive.items import FetchedPage, pack_body
    from bbn_scraper.crawler.spiders.bbn import BbnSpider
    from bbn_scraper.crawler.warc import WARC_META

    html, url = PAGES[0]
    body = html.encode() if isinstance(html, str) else html

    async def pages(spider, meta):
        request = Request(url, meta=meta)
        response = HtmlResponse(url, body=body, headers={"Content-Type": CONTENT_TYPE}, request=request)
        return [r async for r in spider.parse_html_page(response) if isinstance(r, FetchedPage)]

    async def main():
        spider = BbnSpider(start_urls=[url])
        spider.parser = ParsePool(1)
        try:
            return await pages(spider, {}), await pages(spider, {WARC_META: lambda: None})
        finally:
            await spider.parser.close()

    [packed], [recorded] = run(main())
    assert packed.body == recorded.body == body
    assert packed.packed == pack_body(body)
    assert recorded.packed is None and recorded.warc is not None
