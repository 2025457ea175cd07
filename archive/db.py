"""The archive's storage core: crawls, fetched pages, errors and articles in one SQLite file."""
from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from sqlite_utils import Database

from archive.model import Article, content_hash, url_key

from .columns import ArticleColumns, article_columns, to_iso, to_json as _json
from .errors import ArchiveError, ArchiveLocked, IdentityRefused, NotFound, ReadOnlyArchive
from .query import ReadAPI
from .schema import (FAQ_SEARCH, MIGRATIONS, STAGES, article_search, check_archive, connect_read_only, db_path,
                     follow_model, migrate, model_changes)
from .warc_store import WarcRef, stored_path

if TYPE_CHECKING:
    from .items import BodySignature, PackedBody
    from .stories import Stories


BUSY_TIMEOUT_MS = 30_000
NAMES_PER_LOOKUP = 100  # authors or tags looked up by one statement (SQLite bounds its parameters)
Outcome = Literal["new", "updated", "unchanged", "alias"]

# The article fields that say which article a row is; the others are its content.
IDENTITY = ("url", "canonical_url", "canonical_source")


@dataclass(frozen=True)
class StoreResult:
    """What `Archive.store_article` did: the article's row id, the outcome and its version."""

    article_id: int
    outcome: Outcome
    version: int


class KnownArticle(NamedTuple):
    """What `known_urls` tells of an archived article under one url_key: its id and last
    sitemap lastmod; for its own address (`own`) also its published date, first_seen and when
    its page was last fetched, and the validators (ETag, Last-Modified) that page last gave."""

    article_id: int
    lastmod: str | None
    own: bool = False
    published: str | None = None
    first_seen: str | None = None
    fetched: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    url: str | None = None  # the address its content was fetched from (own only)


def _packs(packed: PackedBody, body: bytes) -> bool:
    """Whether `packed` is `body`'s: its SHA-256 is the body's, and its zlib stream ends with
    the body's Adler-32 (cheap beside compressing; a stream made of another body fails it)."""
    return (len(packed.zlib) > 6 and packed.zlib[-4:] == zlib.adler32(body).to_bytes(4, "big")
            and packed.sha256 == hashlib.sha256(body).hexdigest())


# A recorded page with this body, unless a parse of its URL failed in a later run (crawl id)
# than the last one that stored or saw an article of that URL: see Archive.has_parsed_page.
PARSED_PAGE = """
SELECT 1 FROM pages WHERE url = :url AND sha256 = :sha256
AND NOT EXISTS (
  SELECT 1 FROM errors WHERE url = :url AND stage = 'parse' AND reason LIKE 'ParseFailed:%'
  AND crawl_id > coalesce((SELECT max(crawl_id) FROM articles WHERE url_key = :key
                           OR id IN (SELECT article_id FROM article_urls WHERE url_key = :key)), 0))
LIMIT 1"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def _rank(key: str) -> tuple[int, str]:
    """Which of two canonical-less URLs of one content keys the article: the shorter key."""
    return len(key), key


class Archive(ReadAPI):
    """A bbn-archive SQLite database: put in WAL mode by its first write, foreign keys on, migrated on open,
    its article columns brought up to `model` (`schema.follow_model`). The read API (`search`,
    `article`, `stats`) comes from `archive.query`."""

    model: type[Article] = Article  # the article dataclass whose stored fields are the columns

    def __init__(self, path: str | Path | Database, *, create: bool = False, check_same_thread: bool = True):
        """Open the archive at `path` (a file, ":memory:" or a sqlite-utils Database); a
        missing file is `NotFound`, and an empty one (or another program's empty database)
        `NotAnArchive`, unless `create`, which makes a new archive there.
        check_same_thread=False lets the connection be handed to another thread (never used by
        two at once), as the crawl's archive writer does."""
        owned = not isinstance(path, Database)
        if owned and not create and str(path) != ":memory:" and not Path(path).exists():
            raise NotFound(f"{path} does not exist")
        self.columns: ArticleColumns = article_columns(self.model)
        self.read_only: str | None = None  # why the archive cannot be written, if it cannot
        self._lock_fd: int | None = None
        self._wal = False  # whether this connection has put the archive in WAL mode (`transaction`)
        if owned:
            path, self.read_only = connect(path, check_same_thread)
        self.db: Database = path if isinstance(path, Database) else Database(path)
        try:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA foreign_keys = ON")
            check_archive(self.db, empty_ok=create or not owned)
            if self.read_only:
                if MIGRATIONS.pending(self.db) or model_changes(self.db, self.columns):
                    raise ReadOnlyArchive(f"{db_path(self.db)} is read-only ({self.read_only}) and needs an upgrade"
                                          " to this bbn-archive's schema: open it once where it can be written")
            else:
                self._open_for_writing()
        except BaseException:
            if owned:
                self.db.close()
            raise
        self.path: str | None = db_path(self.db)

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open_for_writing(self) -> None:
        self.db.execute("PRAGMA synchronous = NORMAL")
        if MIGRATIONS.pending(self.db):
            with self.transaction():
                migrate(self.db)
        changes = model_changes(self.db, self.columns)
        if changes:
            with self.transaction():
                follow_model(self.db, self.columns, changes)

    def use_cache(self, mib: int) -> None:
        """Let this connection keep up to `mib` MiB of database pages (SQLite's default is 2 MiB):
        for a writer whose batches touch more index pages than that, which then spill and are
        read again (bench/README.md, section 11: -18% CPU per article into a 90,000-article archive)."""
        self.db.execute(f"PRAGMA cache_size = {-1024 * int(mib)}")

    def keep_savepoints_in_memory(self) -> None:
        """Keep this connection's temporary files in memory (PRAGMA temp_store = MEMORY), for a
        writer that stores each item in a savepoint inside a batch's transaction: before an
        item changes a page the batch had changed already, SQLite copies it to the savepoint's
        sub-journal, which past 64 KiB becomes a temporary file written a page at a time. Into
        an empty archive that was about 255 pwrite calls per stored article, 21 with it in
        memory (bench/README.md, section 12, "savepoints"). A sub-journal holds one item's
        pages; the connection's sorts and temporary b-trees are kept in memory too, so this
        is for a writer's connection, not for a reader's big queries."""
        self.db.execute("PRAGMA temp_store = MEMORY")

    def close(self) -> None:
        """Close the connection, then the crawl lock's descriptor once that is safe
        (`_close_lock_descriptor`)."""
        self.db.close()
        lock_fd, self._lock_fd = self._lock_fd, None
        _close_lock_descriptor(lock_fd)

    @contextmanager
    def transaction(self, search_later: bool = False) -> Iterator[Database]:
        """A write transaction (BEGIN IMMEDIATE, so a concurrent writer waits out busy_timeout
        instead of failing on lock upgrade); nested use becomes a savepoint. With
        `search_later` (a writer's batch of many articles), the full-text indexing of what the
        transaction stores waits for its commit: one INSERT ... SELECT per index then, instead
        of an FTS5 insert per article and FAQ pair as each is stored (`schema.SEARCH_BACKLOG`).
        Other connections see the articles and their index in the same commit; only this
        connection, inside the transaction, sees articles not yet searchable. A nested
        transaction (a savepoint) takes the outermost one's way."""
        conn = self.db.conn
        if conn.in_transaction:
            with self._savepoint(conn):
                yield self.db
            return
        if not self._wal:
            self.db.enable_wal()  # at the first write, not on open: a reader leaves the journal mode as it found it
            self._wal = True
        conn.execute("BEGIN IMMEDIATE")
        try:
            if search_later:
                conn.execute("INSERT OR IGNORE INTO search_deferred (id) VALUES (1)")
            yield self.db
            if search_later:
                self._index_backlog(conn)
            conn.execute("COMMIT")
        except BaseException:
            self.db.rollback()
            raise

    def _index_backlog(self, conn: sqlite3.Connection) -> None:
        """Index what waits on search_backlog, and end the deferral, in the open transaction."""
        for search in (article_search(self.columns.search_names), FAQ_SEARCH):
            conn.execute(search.flush())
        conn.execute("DELETE FROM search_backlog")
        conn.execute("DELETE FROM search_deferred")

    @staticmethod
    @contextmanager
    def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
        """A savepoint inside the open transaction. One name serves every depth (RELEASE and
        ROLLBACK TO act on the innermost savepoint of that name), so that its statements are
        compiled once per connection: sqlite-utils' `atomic` names each savepoint anew, and
        the writer opens several per stored article (bench/README.md, section 12)."""
        conn.execute("SAVEPOINT archive_write")
        try:
            yield
        except BaseException:
            if conn.in_transaction:  # a RAISE(ROLLBACK) may have ended the transaction, savepoints included
                conn.execute("ROLLBACK TO archive_write")
                conn.execute("RELEASE archive_write")
            raise
        conn.execute("RELEASE archive_write")

    @contextmanager
    def crawl_lock(self) -> Iterator[None]:
        """Hold the crawl lock: an exclusive flock on the database file itself, so that it is
        one lock whatever name (hard link, symlink, relative path) the file is opened by.
        `ArchiveLocked` if another holder has it, `ReadOnlyArchive` if the archive cannot be
        written. A no-op for an in-memory database. The descriptor stays open until `close`, and
        past it while another descriptor of the file is open (`_close_lock_descriptor`)."""
        if self.path is None:
            yield
            return
        if self.read_only:
            raise ReadOnlyArchive(f"{self.path} is read-only ({self.read_only}): it can be read, not crawled into")
        if self._lock_fd is None:
            self._lock_fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(os.fstat(self._lock_fd))
            raise ArchiveLocked(
                f"{self.path} is being crawled by another process{f' (pid {holder})' if holder else ''}"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # Crawls, pages and errors

    def start_crawl(self, start_urls: list[str], settings: dict | None = None) -> int:
        with self.transaction():
            return self._insert("crawls", {
                "started": _now(), "start_urls": _json(list(start_urls)),
                "settings": _json(settings or {}), "status": "running",
            })

    def finish_crawl(self, crawl_id: int, status: str, stats: dict) -> None:
        """Close a crawl: its counters counted from the rows it produced, `stats` kept as JSON.
        duplicates = article pages that resolved to an article already stored in this crawl."""
        with self.transaction():
            pages, errors, new, updated, duplicates = self.db.execute(
                """SELECT
                  (SELECT count(*) FROM pages WHERE crawl_id = :id),
                  (SELECT count(*) FROM errors WHERE crawl_id = :id),
                  (SELECT count(*) FROM article_sightings WHERE crawl_id = :id AND outcome = 'new'),
                  (SELECT count(DISTINCT article_id) FROM article_sightings
                     WHERE crawl_id = :id AND outcome = 'updated'),
                  (SELECT count(*) - count(DISTINCT article_id) FROM article_sightings WHERE crawl_id = :id)""",
                {"id": crawl_id},
            ).fetchone()
            self._update("crawls", crawl_id, {
                "finished": _now(), "status": status, "pages": pages, "errors": errors,
                "articles_new": new, "articles_updated": updated, "duplicates": duplicates,
                "stats": _json(stats),
            })

    def truncate_wal(self) -> bool:
        """Checkpoint the write-ahead log into the database and truncate it to zero bytes
        (a reader that held a transaction during a crawl leaves it grown); False when a reader
        still holds it after busy_timeout."""
        busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def record_page(
        self, crawl_id: int, url: str, status: int | None, content_type: str | None,
        body: bytes, fetched_at: datetime | str | None = None, warc: WarcRef | None = None,
    ) -> int:
        """Keep a fetched response, body zlib-compressed, or with `warc` (its response record)
        only where that record is (archive.warc_store); returns the page id."""
        with self.transaction():
            return self._page_row(crawl_id, url, status, content_type, body, fetched_at, warc)

    def _page_row(self, crawl_id: int, url: str, status: int | None, content_type: str | None, body: bytes,
                  fetched_at: datetime | str | None, warc: WarcRef | None, sha256: str | None = None,
                  compressed: bytes | None = None) -> int:
        """`record_page`'s row, in the caller's transaction (`sha256`: the body's, and
        `compressed` its zlib stream, when the caller has them)."""
        stored = {"compression": "zlib", "body": compressed or zlib.compress(body)} if warc is None else {
            "compression": "warc", "body": b"", "warc_file": stored_path(warc.file, self.path),
            "warc_offset": warc.offset, "warc_length": warc.length, "warc_digest": warc.digest}
        return self._insert("pages", {
            "url": url, "crawl_id": crawl_id, "fetched_at": to_iso(fetched_at) or _now(),
            "status": status, "content_type": content_type, "size": len(body),
            "sha256": sha256 or hashlib.sha256(body).hexdigest(), **stored,
        })

    def has_parsed_page(self, url: str, sha256: str) -> bool:
        """Whether a page fetched from `url` with this body (its SHA-256, hex) is recorded, and
        parsed: not when its parse failed (a `ParseFailed` error row: the parser raised, timed
        out or its process died) in a later run than the last that stored an article of its URL.
        An import skips only parsed pages, so that importing a file again retries what failed."""
        return self.db.execute(PARSED_PAGE, {"url": url, "sha256": sha256, "key": url_key(url)}).fetchone() is not None

    def record_fetch(
        self, crawl_id: int, url: str, status: int | None, content_type: str | None, body: bytes,
        fetched_at: datetime | str | None = None, etag: str | None = None, last_modified: str | None = None,
        warc: WarcRef | None = None, packed: PackedBody | None = None,
    ) -> int | None:
        """Keep a fetched response as `record_page` does (`warc`: where its WARC record is), unless it is byte-identical (same
        status and sha256) to the copy last stored for that URL: then nothing is stored and the
        result is None. Either way the URL's validators and fetch time are recorded. `packed`:
        the body as stored, made by its parse worker (`archive.items.pack_body`); used when it
        is this body's (its SHA-256, and its zlib stream's Adler-32 trailer), made here otherwise."""
        if packed is not None and _packs(packed, body):
            digest, compressed = packed.sha256, packed.zlib
        else:
            digest, compressed = hashlib.sha256(body).hexdigest(), None
        with self.transaction():
            last = self.db.execute(
                "SELECT status, sha256 FROM pages WHERE url = ? ORDER BY id DESC LIMIT 1", [url]).fetchone()
            page_id = None if last == (status, digest) else self._page_row(
                crawl_id, url, status, content_type, body, fetched_at, warc, digest, compressed)
            self._validators(crawl_id, url, fetched_at, etag, last_modified, keep=False)
        return page_id

    def record_not_modified(
        self, crawl_id: int, url: str, fetched_at: datetime | str | None = None,
        etag: str | None = None, last_modified: str | None = None,
    ) -> None:
        """A 304 answer to a conditional request for `url`: its stored copy is still current.
        Moves its fetch time; validators the 304 repeats (or updates) replace the stored ones."""
        with self.transaction():
            self._validators(crawl_id, url, fetched_at, etag, last_modified, keep=True)

    def _validators(self, crawl_id: int, url: str, fetched_at, etag, last_modified, keep: bool) -> None:
        """Upsert the validators row of `url`; `keep`: a validator not given keeps its old value."""
        new = "coalesce(excluded.{0}, {0})" if keep else "excluded.{0}"
        self.db.execute(
            "INSERT INTO validators (url_key, url, etag, last_modified, fetched_at, crawl_id) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(url_key) DO UPDATE SET url = excluded.url, fetched_at = excluded.fetched_at,"
            f" crawl_id = excluded.crawl_id, etag = {new.format('etag')}, last_modified = {new.format('last_modified')}",
            [url_key(url), url, etag, last_modified, to_iso(fetched_at) or _now(), crawl_id],
        )

    def record_error(self, crawl_id: int, url: str | None, stage: str, reason: str) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")
        with self.transaction():
            self._insert("errors", {"crawl_id": crawl_id, "url": url, "stage": stage, "reason": reason, "at": _now()})

    # Articles

    def store_article(
        self, article: Article, *, crawl_id: int, fetched_url: str | None = None,
        lastmod: datetime | str | None = None, parser_version: str = "",
        fetched_at: datetime | str | None = None, refresh: bool = False,
        signature: BodySignature | None = None,
    ) -> StoreResult:
        """Archive one parsed article with its authors, tags, FAQs, links and URLs in one
        transaction. Outcomes: "new"; "updated" (content hash changed, the previous content goes
        to article_versions); "unchanged"; "alias" (a canonical-less page whose content is
        archived already). A row keyed by a canonical-less URL is re-keyed, and takes the page's
        fields, when a page with an explicit canonical (or a shorter canonical-less URL of the
        same content) arrives - so the archive ends the same whatever the order of pages.
        With `refresh` (reparse), an unchanged article still takes this parse's other fields
        (tags, links, a field new to the model...) and parser version, in place: no new version.
        Identity is earned: an archived article's content is replaced only by a page fetched
        from its canonical address or from the address its content came from; another page
        claiming its URL is `IdentityRefused` (nothing stored). `signature`: the body's MinHash
        signature as a parse worker computed it (`archive.stories.body_signature`), so that
        the story clustering only writes; computed here when None or not of this body."""
        now = to_iso(fetched_at) or _now()
        identity = {
            "canonical_url": article.canonical_url, "url_key": url_key(article.canonical_url),
            "canonical_source": article.canonical_source, "url": article.url,
        }
        content = self._content(article, parser_version)
        seen = {"last_seen": now, "crawl_id": crawl_id}
        if lastmod is not None:
            seen["last_modified_seen"] = to_iso(lastmod)
        explicit = article.canonical_source != "url"
        urls = _unique([article.canonical_url, article.url, fetched_url or ""])
        with self.transaction():
            row, by_hash = self._match(urls, content["content_hash"], explicit, bool((article.body or "").strip()))
            if row is None:
                article_id = self._insert("articles", {**identity, **content, **seen, "version": 1, "first_seen": now})
                self._replace_children(article_id, article, fresh=True)
                outcome, version = "new", 1
            else:
                article_id, version = row["id"], row["version"]
                changed = row["content_hash"] != content["content_hash"]
                fetched = url_key(fetched_url) if fetched_url else None
                if changed and not by_hash and fetched not in (None, row["url_key"], url_key(row["url"])):
                    raise IdentityRefused(
                        f"claims to be {row['canonical_url']}, archived from another address: not replaced")
                rekey = row["canonical_source"] == "url" and (
                    explicit or (by_hash and _rank(identity["url_key"]) < _rank(row["url_key"]))
                )
                updates: dict[str, Any] = dict(seen)
                if changed:
                    self._save_version(row, crawl_id, now)
                    version += 1
                    updates.update(content, version=version)
                    if fetched == row["url_key"]:  # from its own address: that is where it came from
                        updates["url"] = article.url
                if rekey:
                    updates.update(identity, **content)
                elif refresh:
                    updates.update(content)
                if changed or rekey or refresh:
                    self._replace_children(article_id, article)
                self._update("articles", article_id, updates)
                outcome = "alias" if by_hash and not explicit else "updated" if changed else "unchanged"
            for url in urls:
                self._add_url(url, article_id, now)
            self._insert("article_sightings", {
                "crawl_id": crawl_id, "article_id": article_id, "url": fetched_url or article.url,
                "outcome": outcome, "at": now,
            })
            self.stories.assign(article_id, precomputed=signature)
        return StoreResult(article_id, outcome, version)

    @cached_property
    def stories(self) -> Stories:
        """The archive's story clusters (`archive.stories`), kept up to date by store_article.
        Imported here, not with the archive: numpy and datasketch load once stories are used."""
        from .stories import Stories

        return Stories(self.db.conn)

    def delete_article(self, article_id: int) -> None:
        """Remove an article and all it owns; its story splits if the article held it together."""
        with self.transaction():
            self.stories.forget(article_id)
            self.db.execute("DELETE FROM articles WHERE id = ?", [article_id])

    def archived_from(self, url: str) -> int | None:
        """The article whose canonical address is `url` (its url_key) and whose content was
        fetched from there, not merely claimed by another page."""
        key = url_key(url)
        row = self.db.execute("SELECT id, url FROM articles WHERE url_key = ?", [key]).fetchone()
        return row[0] if row and url_key(row[1]) == key else None

    def keep_last_seen(self, article_id: int, last_seen: str, crawl_id: int) -> None:
        """Put back the article's last sighting (a reparse stored it, and is no visit)."""
        self.db.execute("UPDATE articles SET last_seen = ?, crawl_id = ? WHERE id = ?", [last_seen, crawl_id, article_id])

    def mark_interrupted_crawls(self) -> int:
        """Crawls still "running" while the caller holds the crawl lock were killed: say so."""
        with self.transaction():
            return self.db.execute(
                "UPDATE crawls SET status = 'interrupted' WHERE status = 'running'"
            ).rowcount

    def record_lastmods(self, lastmods: dict[str, str]) -> dict[str, str]:
        """Remember each URL's sitemap <lastmod> on the article known under it; returns the
        entries whose URL names no archived article (yet)."""
        unplaced = {}
        with self.transaction():
            for url, lastmod in lastmods.items():
                article_id = self.known_article_id(url)
                if article_id is None:
                    unplaced[url] = lastmod
                else:
                    self.db.execute(
                        "UPDATE articles SET last_modified_seen = ? WHERE id = ?", [lastmod, article_id]
                    )
        return unplaced

    def crawl_finished_before(self) -> bool:
        """Whether a crawl (not a reparse) ever ran to its end: one stopped by a cap, Ctrl-C or
        a kill may have left listing pages unwalked and sitemap entries unfetched."""
        return self.db.execute(
            "SELECT 1 FROM crawls WHERE status = 'finished' AND json_extract(start_urls, '$[0]') IS NOT 'reparse'"
        ).fetchone() is not None

    def record_sitemap(self, crawl_id: int, url: str, lastmod: str) -> None:
        """A child sitemap read to its end, with the <lastmod> its index gave it."""
        with self.transaction():
            self.db["sitemaps"].upsert({"url": url, "lastmod": lastmod, "crawl_id": crawl_id, "read_at": _now()}, pk="url")

    def sitemap_lastmods(self) -> dict[str, str]:
        """Child sitemap URL -> the index's <lastmod> for it when it was last read."""
        return dict(self.db.execute("SELECT url, lastmod FROM sitemaps").fetchall())

    def known_urls(self) -> dict[str, KnownArticle]:
        """Every url_key the archive knows, with its article's id and last sitemap lastmod:
        what a crawl need not fetch again (unless due for a revisit: see `KnownArticle`). A
        canonical address only claimed (the article's content came from another page) is not
        known: the crawl fetches the genuine page. An article's last fetch is its validators
        row's, else (archives from before m005) its last sighting."""
        rows = self.db.execute(
            "SELECT u.url_key, a.id, a.last_modified_seen, 0, NULL, NULL, NULL, NULL, NULL, NULL"
            " FROM article_urls u JOIN articles a ON a.id = u.article_id"
            " UNION ALL SELECT a.url_key, a.id, a.last_modified_seen, 1, a.published, a.first_seen,"
            " coalesce(v.fetched_at, (SELECT max(at) FROM article_sightings s WHERE s.article_id = a.id)),"
            " v.etag, v.last_modified, a.url FROM articles a LEFT JOIN validators v ON v.url_key = a.url_key"
        )
        known = {row[0]: KnownArticle(row[1], row[2], bool(row[3]), *row[4:]) for row in rows}
        for key, url in self.db.execute("SELECT url_key, url FROM articles"):
            if url_key(url) != key:
                known.pop(key, None)
        return known

    def visited_keys(self) -> set[str]:
        """The url_key of every page earlier crawls fetched or failed to fetch: what a re-crawl
        has seen before (its listings, menus' pages, broken links) besides the articles."""
        rows = self.db.execute("SELECT url FROM pages UNION SELECT url FROM errors WHERE stage = 'fetch' AND url IS NOT NULL")
        return {url_key(url) for (url,) in rows}

    def touch_many(self, article_ids: Iterable[int], crawl_id: int) -> None:
        """Record that a crawl saw these articles without storing them again: moves their
        last_seen (and crawl_id) only, in one transaction."""
        now = _now()
        with self.transaction():
            self.db.conn.executemany(
                "UPDATE articles SET last_seen = ?, crawl_id = ? WHERE id = ?",
                [(now, crawl_id, article_id) for article_id in article_ids],
            )

    def add_alias(self, url: str, article_id: int) -> None:
        with self.transaction():
            self._add_url(url, article_id, _now())

    def add_aliases(self, article_id: int, urls: Iterable[str], limit: int = 0) -> list[str]:
        """Record `urls` as URLs of the article, keeping it to `limit` URLs in all (0: no cap),
        in one transaction; returns the URLs left out."""
        now, left_out = _now(), []
        with self.transaction():
            count = self.db.execute("SELECT count(*) FROM article_urls WHERE article_id = ?", [article_id]).fetchone()[0]
            for url in urls:
                if self.db.execute("SELECT 1 FROM article_urls WHERE url = ?", [url.strip()]).fetchone():
                    continue
                if limit and count >= limit:
                    left_out.append(url)
                    continue
                self._add_url(url, article_id, now)
                count += 1
        return left_out

    # Internals of store_article

    def _content(self, article: Article, parser_version: str) -> dict[str, Any]:
        """The article's columns but its identity, with its content hash and parser version."""
        row = self.columns.row(article)
        for name in IDENTITY:
            del row[name]
        return {**row, "content_hash": content_hash(article), "parser_version": parser_version}

    def _match(self, urls: list[str], digest: str, explicit: bool, has_text: bool) -> tuple[dict | None, bool]:
        """The archived row this article belongs to, and whether it was found by content hash:
        by URL first; else, for a page with text, by hash - an explicit canonical only claims a
        canonical-less row, a canonical-less page joins explicit rows first, then the shortest key."""
        for url in urls:
            article_id = self.known_article_id(url)
            if article_id is not None:
                return self._row("SELECT * FROM articles WHERE id = ?", [article_id]), False
        if not has_text:
            return None, False
        only_implicit = "AND canonical_source = 'url'" if explicit else ""
        row = self._row(
            f"SELECT * FROM articles WHERE content_hash = ? {only_implicit} "
            "ORDER BY canonical_source = 'url', length(url_key), url_key LIMIT 1",
            [digest],
        )
        return row, row is not None

    def _row(self, sql: str, params: list) -> dict | None:
        """The first row of a query as a dict (sqlite-utils' `query` would wrap it in a savepoint)."""
        cursor = self.db.conn.execute(sql, params)
        row = cursor.fetchone()
        return None if row is None else dict(zip((d[0] for d in cursor.description), row))

    def _add_url(self, url: str, article_id: int, now: str) -> None:
        self.db.execute(
            "INSERT INTO article_urls (url, url_key, article_id, first_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(url) DO NOTHING",
            [url.strip(), url_key(url), article_id, now],
        )

    def _replace_children(self, article_id: int, article: Article, fresh: bool = False) -> None:
        """Store the article's authors, tags, FAQs and links in place of those it had (none:
        `fresh`, an article row just inserted)."""
        conn = self.db.conn
        if not fresh:
            for table in ("article_authors", "article_tags", "faqs", "links"):
                conn.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])
        authors = self._name_ids("authors", _unique(article.authors))
        tags = self._name_ids("tags", _unique(article.tags))
        conn.executemany(
            "INSERT INTO article_authors (article_id, author_id, position) VALUES (?, ?, ?)",
            [(article_id, author_id, i) for i, author_id in enumerate(authors, 1)],
        )
        conn.executemany(
            "INSERT INTO article_tags (article_id, tag_id, position) VALUES (?, ?, ?)",
            [(article_id, tag_id, i) for i, tag_id in enumerate(tags, 1)],
        )
        conn.executemany(
            "INSERT INTO faqs (article_id, position, question, answer) VALUES (?, ?, ?, ?)",
            [(article_id, i, faq.question, faq.answer) for i, faq in enumerate(article.faqs, 1)],
        )
        conn.executemany(
            "INSERT INTO links (article_id, kind, position, text, url) VALUES (?, ?, ?, ?, ?)",
            [(article_id, kind, i, link.text, link.url)
             for kind, links in (("related", article.related_links), ("also_like", article.related_articles))
             for i, link in enumerate(links, 1)],
        )

    def _name_ids(self, table: str, names: list[str]) -> list[int]:
        """The ids of authors or tags by name (distinct names), those new created: one lookup
        for all of them, an insert per new one."""
        conn, ids = self.db.conn, {}
        for i in range(0, len(names), NAMES_PER_LOOKUP):
            chunk = names[i:i + NAMES_PER_LOOKUP]
            ids.update(conn.execute(f"SELECT name, id FROM {table} WHERE name IN ({', '.join('?' * len(chunk))})", chunk))
        for name in names:
            if name not in ids:
                ids[name] = conn.execute(f"INSERT INTO {table} (name) VALUES (?)", [name]).lastrowid
        return [ids[name] for name in names]

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        """Plain INSERT of one row (sqlite-utils' insert reads the table's schema on every call:
        too slow for the crawl's hot path); returns its rowid."""
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        return self.db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())).lastrowid

    def _update(self, table: str, row_id: int, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), row_id])

    def _save_version(self, row: dict, crawl_id: int, now: str) -> None:
        """Copy the article's current content, children included, into article_versions."""
        article_id = row["id"]

        def rows(sql: str) -> list[tuple]:
            return self.db.execute(sql, [article_id]).fetchall()

        authors = rows("SELECT a.name FROM article_authors x JOIN authors a ON a.id = x.author_id "
                       "WHERE x.article_id = ? ORDER BY x.position")
        tags = rows("SELECT t.name FROM article_tags x JOIN tags t ON t.id = x.tag_id "
                    "WHERE x.article_id = ? ORDER BY x.position")
        faqs = rows("SELECT question, answer FROM faqs WHERE article_id = ? ORDER BY position")
        links = rows("SELECT kind, text, url FROM links WHERE article_id = ? ORDER BY kind, position")
        self._insert("article_versions", {
            "article_id": article_id, "version": row["version"], "fetched_at": row["last_seen"],
            "superseded_at": now, "crawl_id": crawl_id, "content_hash": row["content_hash"],
            "parser_version": row["parser_version"], **{c.name: row[c.name] for c in self.columns.versioned},
            "authors": _json([name for (name,) in authors]),
            "tags": _json([name for (name,) in tags]),
            "faqs": _json([{"question": q, "answer": a} for q, a in faqs]),
            "links": _json([{"kind": k, "text": t, "url": u} for k, t, u in links]),
        })


def copy_archive(source: str | Path, target: str | Path) -> Path:
    """A consistent copy of the archive at `source` (WAL frames included) at `target`, by
    SQLite's backup API: copying the file of a WAL-mode database is not a copy of it."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return Path(target)


def connect(path: str | Path, check_same_thread: bool = True) -> tuple[sqlite3.Connection, str | None]:
    """A connection to the archive file at `path`, and why it is read-only (None: it is not).
    A file or folder that cannot be written is opened read-only (`schema.connect_read_only`)."""
    read_only = None if str(path) == ":memory:" else _read_only(Path(path))
    try:
        if read_only is None:
            return sqlite3.connect(str(path), check_same_thread=check_same_thread), None
        return connect_read_only(path, check_same_thread), read_only
    except sqlite3.OperationalError as exc:  # a folder that does not exist, no permission
        raise ArchiveError(f"cannot open {path}: {exc}") from None


def _read_only(path: Path) -> str | None:
    """Why the archive at `path` cannot be written (its file, or its folder, where SQLite
    keeps the WAL), None if it can. access() knows read-only mounts and immutable files."""
    if path.exists() and not os.access(path, os.W_OK):
        return "the file cannot be written"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return "its folder cannot be written"
    return None


_unclosed_lock_fds: list[int] = []  # crawl-lock descriptors waiting for their file's other descriptors to close
_unclosed_lock_fds_guard = threading.Lock()


def _close_lock_descriptor(fd: int | None) -> None:
    """Close `fd` (a crawl lock's descriptor of a database file; None: nothing), and every such
    descriptor left open before, once no other descriptor of the same file is open in this
    process; until then it stays open, unlocked. Closing any descriptor of a file drops every
    POSIX lock the process holds on it, and SQLite's connections lock the file that way: a
    reader or writer of this process, of this package or not, would lose its locks, and
    another process could take the WAL for its own and reset it under a live writer."""
    with _unclosed_lock_fds_guard:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)  # a lock left held by an unclosed descriptor would refuse every later crawl
            _unclosed_lock_fds.append(fd)
        for waiting in list(_unclosed_lock_fds):
            if not _file_open_elsewhere(waiting, _unclosed_lock_fds):
                os.close(waiting)
                _unclosed_lock_fds.remove(waiting)


def _file_open_elsewhere(fd: int, waiting: list[int]) -> bool:
    """Whether a descriptor of `fd`'s file other than those `waiting` to be closed is open in
    this process (Linux's /proc/self/fd; True, the safe answer, where that cannot be read)."""
    stat = os.fstat(fd)
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return True
    for name in names:
        if name.isdigit() and int(name) in waiting:
            continue
        try:
            other = os.stat(f"/proc/self/fd/{name}")
        except OSError:
            continue  # closed since the listing, or the listing's own descriptor
        if (other.st_dev, other.st_ino) == (stat.st_dev, stat.st_ino):
            return True
    return False


def crawl_lock_holder(path: str | Path) -> int | None:
    """The pid of the process crawling (or importing into) the archive at `path`, holding its
    crawl lock; None when none does, or where that cannot be known. Reads /proc/locks, never
    a descriptor of the file (see `_close_lock_descriptor`)."""
    return _lock_holder(os.stat(path))


def _lock_holder(stat: os.stat_result) -> int | None:
    """The pid holding an flock on the file of `stat`, from /proc/locks (Linux); None if unknown."""
    device = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    try:
        with open("/proc/locks") as locks:
            for line in locks:
                fields = line.split()
                if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == device:
                    return int(fields[4])
    except OSError:
        pass
    return None


def known_urls(path: str | Path) -> dict[str, KnownArticle]:
    """`Archive.known_urls` of the archive at `path`, {} when there is none yet: all a crawl
    asks of the archive before it starts."""
    try:
        archive = Archive(path)
    except NotFound:
        return {}
    with archive:
        return archive.known_urls()


def recrawl_state(path: str | Path) -> tuple[bool, set[str], dict[str, str]]:
    """What a re-crawl of the archive at `path` builds on: whether a crawl finished before,
    `Archive.visited_keys` and `Archive.sitemap_lastmods` (False, empty, empty: no archive yet)."""
    try:
        archive = Archive(path)
    except NotFound:
        return False, set(), {}
    with archive:
        return archive.crawl_finished_before(), archive.visited_keys(), archive.sitemap_lastmods()


def story_settings(path: str | Path):
    """The story settings (`archive.stories.StorySettings`) of the archive at `path`, the
    defaults when there is none yet (or no path): what parse workers compute body signatures with."""
    from .stories import StorySettings

    if not path:
        return StorySettings()
    try:
        archive = Archive(path)
    except NotFound:
        return StorySettings()
    with archive:
        return StorySettings.of(archive.db.conn)
