"""`bbn-archive verify`: whether an archive is intact. SQLite's integrity and foreign-key
checks, the full-text indexes against their tables, and each article's content hash against
its headline, body and FAQs; the WARC record of each page stored in one (archive.warc_store):
its file there, the record whole, its digests and the page's sha256 matching; each page body
stored in the archive (zlib) decompressed and its sha256 matched. Reads only; never migrates or
repairs (a read-only archive's FTS check runs on a temporary copy). While a crawl or import
writes to the archive, FTS5's own integrity-check, which needs the write lock for as long as it
reads the index, is not run (it would stall the writer, or wait and fail): verify says so.

`verify --quick`, for nightly use on a large archive: PRAGMA quick_check (the b-trees, not
each index against its table), the indexes' row counts and rowids against their tables, and a
random sample of articles (content hash, and a lookup of a headline word in the index) and of
stored page bodies instead of all of them; no foreign-key check, no FTS5 integrity-check."""
from __future__ import annotations

import contextlib
import random
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from archive.model import Article, Faq, content_hash

from .db import connect, crawl_lock_holder
from .errors import ArchiveError, DamagedArchive, NewerArchive, NotAnArchive, NotFound
from .query import ArchiveReader
from .schema import check_archive
from .warc_store import check_page, resolve

MAX_LISTED = 20  # problems listed per check; the rest are counted
QUICK_SAMPLE = 1000  # articles (and pages) `verify --quick` checks in full (a new random sample each run)
BUSY_TIMEOUT_MS = 30_000  # how long a check waits for a lock another process holds
FTS_INDEXES = (("articles_fts", "articles"), ("faqs_fts", "faqs"))


@dataclass
class Check:
    """One verification: what was checked and every problem found."""

    name: str
    checked: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_archive(path: str | Path, quick: bool = False) -> list[Check]:
    """Run every check on the archive at `path` (with `quick`, the nightly subset: see the
    module's doc); a check that cannot run is a problem. `NotFound` when there is no file at `path`."""
    if not Path(path).is_file():
        raise NotFound(f"{path} does not exist")
    conn, read_only = connect(path)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _refuse_newer(conn)
        if quick:
            sample = _sample(conn) or []
            return [
                _run("integrity", _quick_integrity, conn),
                *(_run(f"search index {fts}", _fts_counts(fts, table, sample), conn) for fts, table in FTS_INDEXES),
                _run("content hashes", lambda c, check: _content_hashes(c, check, sample), conn),
                _run("stored page bodies", lambda c, check: _page_bodies(c, check, _sample(c, "pages") or []), conn),
            ]
        checks = [_run(name, fn, conn) for name, fn in (
            ("integrity", _integrity),
            ("foreign keys", _foreign_keys),
        )]
        writer = crawl_lock_holder(path)
        with _writable_copy(conn) if read_only and writer is None else contextlib.nullcontext(conn) as writable:
            checks += [_run(f"search index {fts}", _fts_check(fts, table, writable, writer), conn)
                       for fts, table in FTS_INDEXES]
        checks.append(_run("content hashes", _content_hashes, conn))
        checks.append(_run("stored page bodies", _page_bodies, conn))
        if _indexes_warc(conn):
            checks.append(_run("WARC records of pages", _warc_records(str(path)), conn))
        return checks
    except UnicodeDecodeError:  # SQLite's message quotes a damaged schema, which is not UTF-8
        raise DamagedArchive(f"{path} is damaged: SQLite cannot read its schema") from None
    finally:
        conn.close()


def _sample(conn: sqlite3.Connection, table: str = "articles") -> list[int] | None:
    """QUICK_SAMPLE random ids of `table` (all of them in a smaller archive; ids of rows
    deleted since are skipped by the checks); None when the table cannot be read (the checks,
    reading it, then say why)."""
    try:
        ids = conn.execute(f"SELECT min(id), max(id), count(*) FROM {table}").fetchone()
    except sqlite3.Error:
        return None
    low, high, count = ids
    if not count:
        return []
    if count <= QUICK_SAMPLE:
        return [i for (i,) in conn.execute(f"SELECT id FROM {table} ORDER BY id")]
    return sorted(random.sample(range(low, high + 1), min(QUICK_SAMPLE, high - low + 1)))


def _refuse_newer(conn: sqlite3.Connection) -> None:
    """`NotAnArchive` for a file that is not a SQLite database, or one with no bbn-archive in it
    (empty, or other tables), `NewerArchive` for an archive of a newer schema, whose checks this
    version does not know; any other trouble opening it (damage) is for the checks to report."""
    try:
        check_archive(Database(conn), empty_ok=False)
    except (NewerArchive, NotAnArchive):
        raise
    except (ArchiveError, sqlite3.Error):
        return


@contextlib.contextmanager
def _writable_copy(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection | None]:
    """A private copy of a read-only archive (SQLite's backup), for FTS5's integrity-check,
    which is an INSERT; None when the copy cannot be made (the check says so)."""
    with tempfile.TemporaryDirectory(prefix="bbn-verify-") as folder:
        copy = sqlite3.connect(Path(folder) / "copy.db")
        try:
            conn.backup(copy)
        except sqlite3.Error:
            copy.close()
            yield None
            return
        try:
            yield copy
        finally:
            copy.close()


def report(checks: list[Check]) -> str:
    """One line per check, its problems indented below it."""
    lines = []
    for check in checks:
        status = "ok  " if check.ok else "FAIL"
        lines.append(f"{status} {check.name}: {check.checked}" if check.checked else f"{status} {check.name}")
        lines += ["       " + problem.replace("\n", "\n       ") for problem in check.problems[:MAX_LISTED]]
        if len(check.problems) > MAX_LISTED:
            lines.append(f"       ... and {len(check.problems) - MAX_LISTED} more")
    bad = sum(not c.ok for c in checks)
    lines.append("archive is intact" if not bad else f"{bad} of {len(checks)} checks failed")
    return "\n".join(lines)


def _run(name: str, fn, conn: sqlite3.Connection) -> Check:
    check = Check(name)
    try:
        fn(conn, check)
    except sqlite3.Error as exc:
        check.problems.append(f"could not check: {exc}")
    return check


def _integrity(conn: sqlite3.Connection, check: Check) -> None:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    check.checked = "PRAGMA integrity_check"
    if rows != ["ok"]:
        check.problems += rows


def _quick_integrity(conn: sqlite3.Connection, check: Check) -> None:
    rows = [row[0] for row in conn.execute("PRAGMA quick_check")]
    check.checked = "PRAGMA quick_check"
    if rows != ["ok"]:
        check.problems += rows


def _foreign_keys(conn: sqlite3.Connection, check: Check) -> None:
    rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    check.checked = "PRAGMA foreign_key_check"
    check.problems += [f"{table} row {rowid} refers to a missing {parent} row" for table, rowid, parent, _ in rows]


def _fts_check(fts: str, table: str, writable: sqlite3.Connection | None, writer: int | None = None):
    """The FTS5 index `fts` over the external-content `table`: its own integrity-check (with
    rank 1, which compares the index with the table) on `writable` (the archive's connection,
    or a copy of a read-only archive) and the same rows on both sides. The integrity-check is
    an INSERT, which holds the write lock while it reads the whole index: with a crawl or
    import writing (`writer`, its pid), it is not run; a write lock held by another program
    is not a damaged index either."""
    def check_index(conn: sqlite3.Connection, check: Check) -> None:
        # Names come from FTS_INDEXES, never from input: safe to format into the SQL.
        _same_rows(conn, check, fts, table)
        if writer is not None:
            check.checked += (f"; its integrity-check not run: a crawl or import (pid {writer}) is writing to the"
                              " archive (run verify when it is done)")
            return
        if writable is None:
            check.problems.append(f"could not check {fts} against {table}: the archive is read-only"
                                  " and could not be copied to a temporary folder")
            return
        try:
            with writable:
                writable.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            if exc.sqlite_errorname in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                check.problems.append(f"could not check {fts} against {table}: another process held the archive's"
                                      f" write lock throughout ({exc}); run verify again when it is done")
            else:
                check.problems.append(f"{fts} does not match {table} ({exc}): rebuild it with "
                                      f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    return check_index


def _same_rows(conn: sqlite3.Connection, check: Check, fts: str, table: str) -> None:
    """The rows of `table` and those `fts` indexes (its docsize table) are the same."""
    rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    indexed = conn.execute(f"SELECT count(*) FROM {fts}_docsize").fetchone()[0]
    check.checked = f"{indexed} of {rows} {table} rows indexed"
    missing = conn.execute(f"SELECT rowid FROM {table} EXCEPT SELECT id FROM {fts}_docsize").fetchall()
    extra = conn.execute(f"SELECT id FROM {fts}_docsize EXCEPT SELECT rowid FROM {table}").fetchall()
    check.problems += [f"{table} row {rowid} is not in {fts}" for (rowid,) in missing]
    check.problems += [f"{fts} indexes row {rowid}, which {table} does not have" for (rowid,) in extra]


# verify --quick: for each sampled article, a row of `table` and the text the index must find it by.
SAMPLED_TEXT = {"articles": "SELECT rowid, headline FROM articles WHERE id IN ({ids})",
                "faqs": "SELECT rowid, question FROM faqs WHERE article_id IN ({ids})"}


def _fts_counts(fts: str, table: str, sample: list[int]):
    """verify --quick's check of `fts`: the same rows as `table`, and each sampled row found
    by the longest word of its headline (FAQ pairs: question), as a search finds it."""
    def check_index(conn: sqlite3.Connection, check: Check) -> None:
        _same_rows(conn, check, fts, table)
        looked_up = 0
        for rowid, text in conn.execute(SAMPLED_TEXT[table].format(ids=",".join(map(str, sample)))).fetchall():
            words = re.findall(r"\w+", text or "")
            if not words:
                continue
            looked_up += 1
            word = max(words, key=len)
            if not conn.execute(f"SELECT 1 FROM {fts} WHERE {fts} MATCH ? AND rowid = ?", [f'"{word}"', rowid]).fetchone():
                check.problems.append(f"{table} row {rowid} is not found in {fts} by its word {word!r}")
        check.checked += f"; {looked_up} sampled rows looked up"
    return check_index


def _content_hashes(conn: sqlite3.Connection, check: Check, sample: list[int] | None = None) -> None:
    """Every article's content hash (with `sample`, those articles' only)."""
    only = "" if sample is None else f" WHERE article_id IN ({','.join(map(str, sample))})"
    faqs: dict[int, list[Faq]] = {}
    for article_id, question, answer in conn.execute(
        f"SELECT article_id, question, answer FROM faqs{only} ORDER BY article_id, position"
    ):
        faqs.setdefault(article_id, []).append(Faq(question, answer))
    count = 0
    for article_id, url, headline, body, stored in conn.execute(
        f"SELECT id, canonical_url, headline, body, content_hash FROM articles{only.replace('article_id', 'id')} ORDER BY id"
    ):
        count += 1
        article = Article(url=url, canonical_url=url, headline=headline, body=body, faqs=faqs.get(article_id, []))
        if content_hash(article) != stored:
            check.problems.append(f"article {article_id} ({url}): content_hash does not match its headline, body and FAQs")
    check.checked = f"{count} articles" if sample is None else f"{count} sampled articles"


def _page_bodies(conn: sqlite3.Connection, check: Check, sample: list[int] | None = None) -> None:
    """Every page body stored in the archive (zlib; with `sample`, those pages' only)
    decompressed whole, as a stream, its length matched with the row's size and its sha256
    with the row's: reading stops past the recorded size, so a body that decompresses
    without end costs no more than an honest one."""
    only = "" if sample is None else f" AND id IN ({','.join(map(str, sample))})"
    reader, count = ArchiveReader(conn), 0
    for page_id, size in conn.execute(f"SELECT id, size FROM pages WHERE compression = 'zlib'{only} ORDER BY id").fetchall():
        count += 1
        problem = _body_problem(reader, page_id, size)
        if problem:
            check.problems.append(problem)
    check.checked = f"{count} pages" if sample is None else f"{count} sampled pages"


def _body_problem(reader: ArchiveReader, page_id: int, size) -> str | None:
    """What is wrong with the stored body of page `page_id`, whose row records `size` bytes."""
    if not isinstance(size, int) or size < 0:
        return f"page {page_id}: its row records no size ({size!r})"
    read = 0
    try:
        for chunk in reader.page_chunks(page_id, check=True):
            read += len(chunk)
            if read > size:
                return f"page {page_id}: its stored body decompresses to more than the {size} bytes its row records"
    except ArchiveError as exc:
        return str(exc)
    if read != size:
        return f"page {page_id}: its stored body is {read} bytes, its row records {size}"
    return None


def _indexes_warc(conn: sqlite3.Connection) -> bool:
    """Whether pages index WARC records (not an archive, damaged: the other checks say so)."""
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(pages)")}
        return "warc_file" in columns and conn.execute("SELECT 1 FROM pages WHERE compression = 'warc'").fetchone() is not None
    except sqlite3.Error:
        return False


def _warc_records(path: str):
    """Each page's record read and checked; a missing WARC file is one line, not one per page."""
    def check_records(conn: sqlite3.Connection, check: Check) -> None:
        count, missing, files = 0, {}, set()
        for page in conn.execute("SELECT id, warc_file, warc_offset, warc_length, warc_digest, sha256 FROM pages"
                                 " WHERE compression = 'warc' ORDER BY warc_file, warc_offset"):
            count += 1
            files.add(page[1])
            if page[1] in missing or not resolve(page[1], path).is_file():
                missing[page[1]] = missing.get(page[1], 0) + 1
                continue
            problem = check_page(path, page)
            if problem:
                check.problems.append(problem)
        check.problems[:0] = [f"WARC file {resolve(name, path)} is missing: the bodies of its {n} pages are lost"
                              for name, n in missing.items()]
        check.checked = f"{count} pages in {len(files)} WARC files"
    return check_records

