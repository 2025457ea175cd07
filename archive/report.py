"""Readable reports on the archive: the summary a crawl prints."""
from __future__ import annotations

import json

from archive.db import Archive


def crawl_summary(archive: Archive, crawl_id: int | None = None) -> str:
    """What the crawl (the latest by default) did, and what the archive now holds."""
    row = archive.db.execute(
        "SELECT * FROM crawls WHERE id = coalesce(?, (SELECT max(id) FROM crawls))", [crawl_id]
    ).fetchone()
    if row is None:
        return "no crawl recorded yet"
    crawl = dict(zip([d[0] for d in archive.db.execute("SELECT * FROM crawls LIMIT 0").description], row))
    stats = json.loads(crawl.get("stats") or "{}")
    counts = archive.counts()
    seconds = stats.get("seconds", "?")
    lines = [
        f"crawl {crawl['id']} {crawl['status']} in {seconds} s: {crawl['pages'] or 0} pages fetched,"
        f" {stats.get('downloader/request_count', 0)} requests,"
        f" {stats.get('bbn/known_article_skipped', 0)} archived articles not downloaded again",
        f"  articles: {crawl['articles_new'] or 0} new, {crawl['articles_updated'] or 0} updated,"
        f" {stats.get('bbn/article_unchanged', 0)} unchanged, {crawl['duplicates'] or 0} duplicates",
        f"  errors:   {crawl['errors'] or 0} (stage, URL and reason in the errors table)",
        f"archive: {counts['articles']} articles, {counts['faqs']} FAQ pairs, {counts['links']} links,"
        f" {counts['article_urls']} URLs, {counts['versions']} earlier versions, {counts['crawls']} crawls",
    ]
    return "\n".join(lines)
