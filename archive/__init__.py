"""The SQLite archive of crawled articles, usable without Scrapy: storage (schema and migrations,
the store, queries, full-text search, stories, verify, export, WARC store) and the article model
(`archive.model`) that the parsers fill.

The names below load with their module on first use, so that `from archive.model import Article`
(the parsers, the parse workers) loads no SQLite layer, and `import archive` no numpy."""
from __future__ import annotations

import importlib

_HOMES = {
    "to_iso": "columns",
    "Archive": "db", "KnownArticle": "db", "StoreResult": "db", "copy_archive": "db", "known_urls": "db",
    "recrawl_state": "db", "story_settings": "db",
    "STAGES": "schema",
    "ArchiveError": "errors", "ArchiveLocked": "errors", "BadQuery": "errors", "DamagedArchive": "errors",
    "IdentityRefused": "errors", "NewerArchive": "errors", "NotAnArchive": "errors", "NotFound": "errors",
    "ReadOnlyArchive": "errors",
    "ArchiveStats": "query", "ArticleDetail": "query", "CrawlInfo": "query", "SearchResult": "query",
    "VersionInfo": "query",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'archive' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"archive.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
