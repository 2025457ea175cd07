"""The SQLite archive of crawled articles, usable without Scrapy."""
from .db import Archive, StoreResult, known_urls, to_iso
from .schema import STAGES
from .errors import ArchiveError, ArchiveLocked, BadQuery, NotAnArchive, NotFound
from .query import ArchiveStats, ArticleDetail, CrawlInfo, SearchResult, VersionInfo

__all__ = [
    "STAGES", "Archive", "ArchiveError", "ArchiveLocked", "ArchiveStats", "ArticleDetail", "BadQuery",
    "CrawlInfo", "NotAnArchive", "NotFound", "SearchResult", "StoreResult", "VersionInfo",
    "known_urls", "to_iso",
]
