"""Errors raised by the archive."""
from __future__ import annotations


class ArchiveError(Exception):
    """Base class of every error the archive raises on purpose."""


class ArchiveLocked(ArchiveError):
    """Another crawl holds the archive's lock file."""


class NotAnArchive(ArchiveError):
    """The file is not a SQLite database, or a SQLite database that is not a bbn-archive."""


class BadQuery(ArchiveError):
    """A search or filter the archive cannot run: an empty query, a date it cannot read."""


class NotFound(ArchiveError):
    """No archive file at that path (opening one never creates it unless asked), or no
    archived article with that id or URL."""


class IdentityRefused(ArchiveError):
    """A page claims the identity of an archived article without having been fetched from that
    article's canonical address (or the address its content came from): it may not replace it."""


class ReadOnlyArchive(ArchiveError):
    """The archive file or its folder cannot be written: it can be read, not crawled into."""


class DamagedArchive(ArchiveError):
    """The file is a damaged SQLite database: truncated, or malformed inside."""


class NewerArchive(ArchiveError):
    """The archive was written by a newer bbn-archive: its schema has migrations this one lacks."""


class MissingExtra(ArchiveError):
    """A feature whose library comes with an extra of the package that is not installed."""


class DamagedRow(ArchiveError):
    """A row holds what bbn-archive never writes there (changed outside it): a BLOB where text
    belongs, JSON that does not parse or is not of its kind."""
