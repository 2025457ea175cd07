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

from bbn_scraper.crawler.bounds import FieldLimits
from bbn_scraper.crawler.parse_pool import PARSE_TIMEOUT, ParsePool, auto_processes
from bbn_scraper.crawler.run import crawl_settings
from bbn_scraper.parsers import PARSER_VERSION
from archive.model import url_key

from archive import Archive
from archive.query import date_bound

# One page per article: the latest successful fetch of its own URL, else of an alias (AMP copy,
# tracking link). page_key is url_key, registered on the connection.
ARTICLE_PAGES = """
WITH owners AS (
  SELECT url_key AS key, id AS article_id FROM articles
  UNION SELECT url_key, article_id FROM article_urls
),
candidates AS (
  SELECT p.id, p.url, p.content_type, p.fetched_at, a.last_seen, a.crawl_id,
    row_number() OVER (PARTITION BY a.id
      ORDER BY page_key(p.url) IN (a.url_key, page_key(a.url)) DESC, p.fetched_at DESC, p.id DESC) AS n
  FROM pages p JOIN owners o ON o.key = page_key(p.url) JOIN articles a ON a.id = o.article_id
  WHERE p.status IS NULL OR p.status < 400
)
SELECT id, url, content_type, last_seen, crawl_id FROM candidates
WHERE n = 1 AND (:since IS NULL OR datetime(fetched_at) >= datetime(:since))
ORDER BY id"""
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
        crawl_id = archive.start_crawl(["reparse"], {"parser_version": PARSER_VERSION, "since": bound})
        result, status, started = ReparseResult(crawl_id), "interrupted", time.monotonic()
        try:
            archive.db.register_function(url_key, deterministic=True, name="page_key")
            # Read all first: storing writes to the tables the query reads.
            pages = list(archive.db.query(ARTICLE_PAGES, {"since": bound}))
            pool = ParsePool(auto_processes(reserved=0) if processes is None else processes, timeout=parse_timeout)
            asyncio.run(_reparse_pages(archive, pages, crawl_id, result, pool))
            status = "finished"
        finally:
            stats = {**asdict(result), "seconds": round(time.monotonic() - started, 2)}
            archive.finish_crawl(crawl_id, status, stats)
    return result


async def _reparse_pages(archive: Archive, pages: list[dict], crawl_id: int, result: ReparseResult,
                         pool: ParsePool) -> None:
    """Keep the workers busy a few pages ahead; store the results in page order."""
    ahead = deque()
    try:
        for start in range(0, len(pages), BATCH):
            with archive.transaction():
                for page in pages[start:start + BATCH]:
                    ahead.append((page, _parse(archive, page, pool)))
                    if len(ahead) > 2 * max(1, pool.processes):
                        await _store(archive, *ahead.popleft(), crawl_id, result)
                while ahead:
                    await _store(archive, *ahead.popleft(), crawl_id, result)
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


async def _store(archive: Archive, page: dict, parsing: asyncio.Future, crawl_id: int, result: ReparseResult) -> None:
    try:
        article, _ = await parsing
    except Exception as exc:  # noqa: BLE001 - one unreadable page must not end the reparse
        outcome = _failed(archive, page, crawl_id, "parse", f"page {page['id']}: {type(exc).__name__}: {exc}")
    else:
        outcome = _store_article(archive, page, article, crawl_id)
    result.parsed += 1
    setattr(result, outcome, getattr(result, outcome) + 1)


def _failed(archive: Archive, page: dict, crawl_id: int, stage: str, reason: str) -> str:
    archive.record_error(crawl_id, page["url"], stage, reason)
    return "failed"


FIELD_LIMITS = FieldLimits(crawl_settings(""))  # the crawl's caps on a stored article's fields (ARTICLE_MAX_*)


def _store_article(archive: Archive, page: dict, article, crawl_id: int) -> str:
    """"changed", "unchanged" or "failed" (recorded in errors) for one parsed page; its fields
    cut as a crawl cuts them, each cut an error row as in a crawl."""
    if article is None:
        return _failed(archive, page, crawl_id, "parse", f"page {page['id']} is not an article for parser {PARSER_VERSION}")
    for reason in FIELD_LIMITS.apply(article):
        archive.record_error(crawl_id, page["url"], "parse", reason)
    missing = article.missing_fields()
    if missing:
        return _failed(archive, page, crawl_id, "parse",
                       f"page {page['id']}: no {' and no '.join(missing)} ({'; '.join(article.warnings)})")
    try:
        with archive.transaction():
            stored = archive.store_article(article, crawl_id=crawl_id, fetched_url=page["url"],
                                           parser_version=PARSER_VERSION, refresh=True)
            archive.db.execute("UPDATE articles SET last_seen = ?, crawl_id = ? WHERE id = ?",
                               [page["last_seen"], page["crawl_id"], stored.article_id])
    except Exception as exc:  # noqa: BLE001
        return _failed(archive, page, crawl_id, "store", f"page {page['id']}: {type(exc).__name__}: {exc}")
    return "changed" if stored.outcome in ("new", "updated") else "unchanged"
