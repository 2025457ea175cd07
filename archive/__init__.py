"""The SQLite archive of crawled articles, usable without Scrapy."""
from .db import STAGES, Archive, StoreResult, content_hash, to_iso
from .errors import ArchiveError, ArchiveLocked, NotAnArchive

__all__ = [
    "STAGES", "Archive", "ArchiveError", "ArchiveLocked", "NotAnArchive", "StoreResult",
    "content_hash", "to_iso",
]
