"""The SQLite archive of crawled articles, usable without Scrapy."""
from .db import STAGES, Archive, StoreResult, content_hash, to_iso
from .errors import ArchiveError, ArchiveLocked, BadQuery, NotAnArchive, NotFound
from .query import ArchiveStats, ArticleDetail, CrawlInfo, SearchResult, VersionInfo

__all__ = [
    "STAGES", "Archive", "ArchiveError", "ArchiveLocked", "ArchiveStats", "ArticleDetail", "BadQuery",
    "CrawlInfo", "NotAnArchive", "NotFound", "SearchResult", "StoreResult", "VersionInfo",
    "content_hash", "to_iso",
]
