"""The SQLite archive of crawled articles, usable without Scrapy."""
from .columns import to_iso
from .db import Archive, KnownArticle, StoreResult, copy_archive, known_urls, recrawl_state
from .schema import STAGES
from .errors import (
    ArchiveError, ArchiveLocked, BadQuery, DamagedArchive, IdentityRefused, NewerArchive, NotAnArchive, NotFound,
    ReadOnlyArchive,
)
from .query import ArchiveStats, ArticleDetail, CrawlInfo, SearchResult, VersionInfo

__all__ = [
    "STAGES", "Archive", "ArchiveError", "ArchiveLocked", "ArchiveStats", "ArticleDetail", "BadQuery",
    "CrawlInfo", "DamagedArchive", "IdentityRefused", "KnownArticle", "NewerArchive", "NotAnArchive", "NotFound",
    "ReadOnlyArchive", "SearchResult", "StoreResult", "VersionInfo",
    "copy_archive", "known_urls", "recrawl_state", "to_iso",
]
