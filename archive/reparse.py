"""Parse the archived pages again with the current parser, without fetching: a parser fix
reaches every archived article, and an article whose content changes gets a new version.

A reparse is a crawls row of its own (start_urls ["reparse"]) so that its failures land in
`errors` and its new versions and sightings point at it. It is not a visit to the site:
an article's last_seen and crawl_id keep their values."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date


from bbn_scraper.parsers import PARSER_VERSION, parse_article
from bbn_scraper.parsers.document import page_text
from bbn_scraper.parsers.urls import url_key

from .db import Archive
from .query import parse_date

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


@dataclass
class ReparseResult:
    """What `reparse` did: pages parsed, and of those the articles that changed (a new version),
    stayed the same, or failed (a row in `errors` under `crawl_id`)."""

    crawl_id: int
    parsed: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0


def reparse(archive: Archive, since: str | date | None = None) -> ReparseResult:
    """Parse each article's stored page (only pages fetched since `since`, if given) with the
    current parser and store the result, holding the crawl lock."""
    bound = parse_date(since) if since else None
    with archive.crawl_lock():
        crawl_id = archive.start_crawl(["reparse"], {"parser_version": PARSER_VERSION, "since": bound})
        result, status, started = ReparseResult(crawl_id), "interrupted", time.monotonic()
        try:
            archive.db.register_function(url_key, deterministic=True, name="page_key")
            # Read all first: storing writes to the tables the query reads.
            for page in list(archive.db.query(ARTICLE_PAGES, {"since": bound})):
                outcome = _reparse_page(archive, page, crawl_id)
                result.parsed += 1
                setattr(result, outcome, getattr(result, outcome) + 1)
            status = "finished"
        finally:
            stats = {**asdict(result), "seconds": round(time.monotonic() - started, 2)}
            archive.finish_crawl(crawl_id, status, stats)
    return result


def _reparse_page(archive: Archive, page: dict, crawl_id: int) -> str:
    """"changed", "unchanged" or "failed" (recorded in errors) for one stored page."""
    def failed(stage: str, reason: str) -> str:
        archive.record_error(crawl_id, page["url"], stage, reason)
        return "failed"

    try:  # one unreadable page must not end the reparse
        article = parse_article(page_text(archive.page_body(page["id"]), page["content_type"]), page["url"])
    except Exception as exc:  # noqa: BLE001
        return failed("parse", f"page {page['id']}: {type(exc).__name__}: {exc}")
    if article is None:
        return failed("parse", f"page {page['id']} is not an article for parser {PARSER_VERSION}")
    missing = [name for name in ("headline", "body") if not getattr(article, name)]
    if missing:
        return failed("parse", f"page {page['id']}: no {' and no '.join(missing)} ({'; '.join(article.warnings)})")
    try:
        with archive.transaction():
            stored = archive.store_article(article, crawl_id=crawl_id, fetched_url=page["url"],
                                           parser_version=PARSER_VERSION)
            archive.db.execute("UPDATE articles SET last_seen = ?, crawl_id = ? WHERE id = ?",
                               [page["last_seen"], page["crawl_id"], stored.article_id])
    except Exception as exc:  # noqa: BLE001
        return failed("store", f"page {page['id']}: {type(exc).__name__}: {exc}")
    return "changed" if stored.outcome in ("new", "updated") else "unchanged"
