"""Parse the archived pages again with the current parser, without fetching: a parser fix
reaches every archived article, and an article whose content changes gets a new version.

A reparse is a crawls row of its own (start_urls ["reparse"]) so that its failures land in
`errors` and its new versions and sightings point at it. It is not a visit to the site:
an article's last_seen and crawl_id keep their values."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import date

from archive import Archive
from archive.crawl_store import CrawlStore
from archive.query import date_bound, reparse_pages
from bbn_scraper.crawler.bounds import store_limits
from bbn_scraper.crawler.parse_pool import PARSE_TIMEOUT, ParsePool, auto_processes
from bbn_scraper.crawler.run import crawl_settings
from bbn_scraper.parsers import PARSER_VERSION

BATCH = 500  # pages stored per transaction


@dataclass
class ReparseResult:
    """What `reparse` did: pages parsed, and of those the articles that changed (a new version),
    stayed the same, or failed (a row in `errors` under `crawl_id`)."""

    crawl_id: int
    parsed: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0


def reparse(archive: Archive, since: str | date | None = None, processes: int | None = None,
            parse_timeout: float = PARSE_TIMEOUT) -> ReparseResult:
    """Parse each article's stored page (only pages fetched since `since`, if given) with the
    current parser and store the result, holding the crawl lock. Pages are parsed in
    `processes` worker processes (None: one per CPU, at most four; 0: in process, where no
    timeout applies) while this one stores, BATCH pages per transaction; a page that takes a
    worker longer than `parse_timeout` seconds is a parse failure."""
    bound = date_bound(since) if since else None
    with archive.crawl_lock():
        store = CrawlStore(archive, store_limits(crawl_settings("")), PARSER_VERSION)
        crawl_id = store.start(["reparse"], {"parser_version": PARSER_VERSION, "since": bound})
        result, status, started = ReparseResult(crawl_id), "interrupted", time.monotonic()
        try:
            pages = reparse_pages(archive, bound)  # read all first: storing writes to the tables read
            pool = ParsePool(auto_processes(reserved=0) if processes is None else processes, timeout=parse_timeout,
                             stories=archive.stories.settings)
            asyncio.run(_reparse_pages(store, pages, result, pool))
            status = "finished"
        finally:
            stats = {**asdict(result), "seconds": round(time.monotonic() - started, 2)}
            archive.finish_crawl(crawl_id, status, stats)
    return result


async def _reparse_pages(store: CrawlStore, pages: list[dict], result: ReparseResult, pool: ParsePool) -> None:
    """Keep the workers busy a few pages ahead; store the results in page order."""
    ahead = deque()
    try:
        for start in range(0, len(pages), BATCH):
            with store.archive.transaction():
                for page in pages[start:start + BATCH]:
                    ahead.append((page, _parse(store.archive, page, pool)))
                    if len(ahead) > 2 * max(1, pool.processes):
                        await _store(store, *ahead.popleft(), result)
                while ahead:
                    await _store(store, *ahead.popleft(), result)
    finally:
        for _, task in ahead:
            task.cancel()
        await pool.close()


def _parse(archive: Archive, page: dict, pool: ParsePool) -> asyncio.Future:
    try:
        body = archive.page_body(page["id"])
    except Exception as exc:  # noqa: BLE001 - an unreadable page is that page's failure
        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(exc)
        return failed
    return asyncio.ensure_future(pool.parse(body, page["content_type"], page["url"], links=False))


async def _store(store: CrawlStore, page: dict, parsing: asyncio.Future, result: ReparseResult) -> None:
    try:
        article, _, signature, _ = await parsing
    except Exception as exc:  # noqa: BLE001 - one unreadable page must not end the reparse
        outcome = store.failed(page["url"], "parse", f"page {page['id']}: {type(exc).__name__}: {exc}")
    else:
        outcome = store.reparsed(page, article, signature)
    result.parsed += 1
    setattr(result, outcome, getattr(result, outcome) + 1)
