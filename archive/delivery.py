"""Whether an item delivered again (a distributed crawl's writer restarted before it could
acknowledge a batch it had committed) is in the archive already: its crawl's row of it."""
from __future__ import annotations

from datetime import datetime

from .columns import to_iso
from .db import Archive


def page_recorded(archive: Archive, crawl_id: int, url: str, fetched_at: datetime | str | None) -> bool:
    return _exists(archive, "SELECT 1 FROM pages WHERE crawl_id = ? AND url = ? AND fetched_at = ?",
                   [crawl_id, url, to_iso(fetched_at)])


def error_recorded(archive: Archive, crawl_id: int, url: str | None, stage: str, reason: str) -> bool:
    return _exists(archive, "SELECT 1 FROM errors WHERE crawl_id = ? AND url IS ? AND stage = ? AND reason = ?",
                   [crawl_id, url, stage, reason])


def article_sighted(archive: Archive, crawl_id: int, fetched_url: str) -> bool:
    return _exists(archive, "SELECT 1 FROM article_sightings WHERE crawl_id = ? AND url = ?", [crawl_id, fetched_url])


def _exists(archive: Archive, sql: str, params: list) -> bool:
    return archive.db.execute(sql, params).fetchone() is not None
