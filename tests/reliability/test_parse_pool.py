"""The parse pool: worker processes give the in-process parser's results, a page that kills its
worker fails alone while the pages queued behind it are parsed by a new worker, and a parser
exception comes back as that page's error."""
from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from bbn_scraper.parse_pool import ParseFailed, ParsePool, parse_fetched

FIXTURES = Path(__file__).parents[1] / "fixtures"
PAGES = [
    ((case / "input.html").read_bytes(), json.loads((case / "expected.json").read_text("utf-8"))["url"])
    for case in sorted(FIXTURES.iterdir()) if (case / "input.html").is_file()
]
CONTENT_TYPE = "text/html; charset=utf-8"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))  # a lost page would hang the test


def test_workers_give_what_the_parser_gives_in_process():
    async def main():
        pool = ParsePool(2)
        try:
            results = await asyncio.gather(*(pool.parse(body, CONTENT_TYPE, url) for body, url in PAGES))
        finally:
            await pool.close()
        return results, pool.usage()

    results, usage = run(main())
    assert results == [parse_fetched(body, CONTENT_TYPE, url) for body, url in PAGES]
    assert sum(article is not None for article, _ in results) >= 20
    assert usage["processes_started"] == 2
    assert usage["cpu_seconds"] > 0 and usage["peak_rss_mib"] > 10


def test_a_page_that_kills_its_worker_fails_alone():
    pages = PAGES * 3

    async def main():
        pool = ParsePool(1)
        tasks = [asyncio.create_task(pool.parse(body, CONTENT_TYPE, url)) for body, url in pages]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        os.kill(pool._workers[0].process.pid, signal.SIGKILL)  # dies while parsing a later page
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()
        return results, pool.started

    results, started = run(main())
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1
    assert isinstance(failures[0], ParseFailed)
    assert "died on this page" in str(failures[0]) and f"exit code {-signal.SIGKILL}" in str(failures[0])
    assert started == 2
    for (body, url), result in zip(pages, results):
        if not isinstance(result, Exception):
            assert result == parse_fetched(body, CONTENT_TYPE, url)


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


def test_closed_workers_exit():
    async def main():
        pool = ParsePool(2)
        await asyncio.gather(*(pool.parse(body, CONTENT_TYPE, url) for body, url in PAGES[:4]))
        processes = [w.process for w in pool._workers]
        await pool.close()
        return [p.returncode for p in processes]

    assert run(main()) == [0, 0]


def test_zero_processes_parse_in_process():
    body, url = PAGES[0]
    pool = ParsePool(0)
    assert run(pool.parse(body, CONTENT_TYPE, url)) == parse_fetched(body, CONTENT_TYPE, url)
    assert pool.started == 0
