"""Schema, pragmas, migrations and opening of archives."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from sqlite_utils import Database

from archive import Archive, ArchiveError, NotAnArchive, NotFound
from archive.schema import MIGRATIONS
from archive.model import Article
from archive.model.article import storage

from tests.helpers import make_article

# The article columns come from the model: every field stored in a column of its own, in
# article_versions too when versioned. The rest is the archive's own record of each article.
STORED = [f for f in fields(Article) if storage(f) == "column"]
TABLES = {
    "crawls": {"id", "started", "finished", "start_urls", "settings", "status", "pages", "articles_new",
               "articles_updated", "duplicates", "errors", "stats"},
    "articles": {"id", "url_key", "content_hash", "version", "parser_version", "first_seen", "last_seen",
                 "last_modified_seen", "crawl_id"} | {f.name for f in STORED},
    "authors": {"id", "name", "article_count"},
    "article_authors": {"article_id", "author_id", "position"},
    "tags": {"id", "name", "article_count"},
    "article_tags": {"article_id", "tag_id", "position"},
    "faqs": {"article_id", "position", "question", "answer"},
    "links": {"article_id", "kind", "position", "text", "url"},
    "article_urls": {"id", "url", "url_key", "article_id", "first_seen"},
    "article_versions": {"id", "article_id", "version", "fetched_at", "superseded_at", "crawl_id",
                         "content_hash", "authors", "tags", "faqs", "links", "parser_version"}
                        | {f.name for f in STORED if f.metadata["versioned"]},
    "article_sightings": {"id", "crawl_id", "article_id", "url", "outcome", "at"},
    "pages": {"id", "url", "crawl_id", "fetched_at", "status", "content_type", "size", "sha256",
              "compression", "body", "warc_file", "warc_offset", "warc_length", "warc_digest"},
    "errors": {"id", "crawl_id", "url", "stage", "reason", "at"},
    "validators": {"url_key", "url", "etag", "last_modified", "fetched_at", "crawl_id"},
}

FOREIGN_KEYS = {
    ("articles", "crawl_id", "crawls"),
    ("article_authors", "article_id", "articles"),
    ("article_authors", "author_id", "authors"),
    ("article_tags", "article_id", "articles"),
    ("article_tags", "tag_id", "tags"),
    ("faqs", "article_id", "articles"),
    ("links", "article_id", "articles"),
    ("article_urls", "article_id", "articles"),
    ("article_versions", "article_id", "articles"),
    ("article_versions", "crawl_id", "crawls"),
    ("article_sightings", "article_id", "articles"),
    ("article_sightings", "crawl_id", "crawls"),
    ("pages", "crawl_id", "crawls"),
    ("errors", "crawl_id", "crawls"),
    ("sitemaps", "crawl_id", "crawls"),
    ("validators", "crawl_id", "crawls"),
    ("minhashes", "article_id", "articles"),
    ("article_story", "article_id", "articles"),
    ("article_story", "story_id", "stories"),
}


def test_tables_and_columns(empty_archive):
    for table, columns in TABLES.items():
        assert set(empty_archive.db.table(table).columns_dict) == columns, table


def test_unique_keys(empty_archive):
    def unique(table):
        return {tuple(i.columns) for i in empty_archive.db.table(table).indexes if i.unique}

    assert {("canonical_url",), ("url_key",)} <= unique("articles")
    assert ("name",) in unique("authors") and ("name",) in unique("tags")
    assert ("url",) in unique("article_urls")
    assert ("article_id", "version") in unique("article_versions")


def test_foreign_keys_declared_and_indexed(empty_archive):
    declared = {(fk.table, fk.column, fk.other_table) for t in empty_archive.db.tables for fk in t.foreign_keys}
    assert declared == FOREIGN_KEYS
    for table, column, _ in FOREIGN_KEYS:
        keys = {tuple(i.columns) for i in empty_archive.db.table(table).indexes} | {tuple(empty_archive.db.table(table).pks)}
        assert any(key[0] == column for key in keys), (table, column)  # an index led by the column serves the key


def test_foreign_keys_enforced(empty_archive, crawl_id):
    with pytest.raises(sqlite3.IntegrityError):
        empty_archive.db.execute(
            "INSERT INTO article_urls (url, url_key, article_id, first_seen) VALUES ('u', 'u', 999, 'now')")
    with pytest.raises(sqlite3.IntegrityError):
        empty_archive.record_page(999, "https://x.example/", 200, "text/html", b"")
    with pytest.raises(sqlite3.IntegrityError):
        empty_archive.store_article(make_article(), crawl_id=999)
    assert empty_archive.counts()["articles"] == 0


def test_deleting_an_article_cascades(empty_archive, crawl_id):
    article_id = empty_archive.store_article(make_article(), crawl_id=crawl_id).article_id
    empty_archive.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
    counts = empty_archive.counts()
    assert counts["faqs"] == counts["links"] == counts["article_urls"] == 0


def test_the_search_index_covers_the_searchable_fields(empty_archive):
    assert [c.name for c in empty_archive.db["articles_fts"].columns] == [
        f.name for f in STORED if f.metadata["search_weight"] > 0]


def test_a_missing_file_is_not_found_and_not_created(tmp_path):
    path = tmp_path / "typo.db"
    with pytest.raises(NotFound, match="typo.db does not exist"):
        Archive(path)
    assert not path.exists()


def test_an_archive_that_cannot_be_created_is_a_typed_error(tmp_path):
    with pytest.raises(ArchiveError, match=r"cannot open .*no-such-folder.*: unable to open database file"):
        Archive(tmp_path / "no-such-folder" / "news.db", create=True)


def test_create_makes_a_new_archive_and_opens_an_existing_one(tmp_path):
    path = tmp_path / "new.db"
    with Archive(path, create=True) as arc:
        arc.start_crawl([])
    with Archive(path, create=True) as arc, Archive(path) as again:
        assert arc.counts()["crawls"] == again.counts()["crawls"] == 1


def test_pragmas_on_a_file(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as arc:
        assert arc.db.journal_mode == "wal"
        assert arc.db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
        assert arc.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert arc.path == str(tmp_path / "a.db")


def test_migrations_recorded_and_idempotent_on_reopen(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path, create=True) as arc:
        crawl_id = arc.start_crawl([])
        arc.store_article(make_article(), crawl_id=crawl_id)
        applied = [(m.name, m.applied_at) for m in MIGRATIONS.applied(arc.db)]
        schema = arc.db.schema
    assert [name for name, _ in applied] == ["m001_initial", "m002_articles_fts", "m003_stemmed_search_and_views", "m004_sitemaps",
                                       "m005_validators", "m006_warc", "m007_stories", "m008_scale",
                                       "m009_story_counts", "m010_band_stories", "m011_backfill_files",
                                       "m012_reading_room", "m013_date_order",
                                       "m014_redundant_indexes", "m015_search_backlog", "m016_errors_by_url"]
    for _ in range(2):
        with Archive(path) as arc:
            assert [(m.name, m.applied_at) for m in MIGRATIONS.applied(arc.db)] == applied
            assert not MIGRATIONS.pending(arc.db)
            assert arc.db.schema == schema
            assert arc.counts()["articles"] == 1


def test_accepts_a_sqlite_utils_database():
    db = Database(memory=True)
    arc = Archive(db)
    assert arc.db is db
    assert "articles" in db.table_names()
    assert arc.path is None


def test_empty_file_becomes_an_archive_when_created_only(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(NotAnArchive, match="is empty, not a bbn-archive"):
        Archive(path)  # as a reader opens it: nothing is written
    assert path.stat().st_size == 0
    with Archive(path, create=True) as arc:
        assert "articles" in arc.db.table_names()


def test_not_a_sqlite_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the tables you are looking for" * 50)
    with pytest.raises(NotAnArchive, match="not a SQLite database"):
        Archive(path)
    assert path.read_bytes().startswith(b"these are not")


def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    Database(path)["recipes"].insert({"name": "soup"})
    with pytest.raises(NotAnArchive, match="not a bbn-archive"):
        Archive(path)
    db = Database(path)
    assert db.table_names() == ["recipes"]
    assert db.journal_mode != "wal"


def test_full_text_search_follows_the_articles(empty_archive, crawl_id):
    empty_archive.store_article(make_article(), crawl_id=crawl_id)
    empty_archive.store_article(make_article(body="The chancellor stayed in post."), crawl_id=crawl_id)
    assert [r["headline"] for r in empty_archive.db.table("articles").search("chancellor")] == [
        "Minister resigns after budget row"]
    assert list(empty_archive.db.table("articles").search("weeks")) == []


def test_archive_package_does_not_import_scrapy():
    code = "import sys, archive; print(any(m.split('.')[0] == 'scrapy' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "False"


def test_m014_drops_the_redundant_article_id_indexes_of_an_archive_it_migrates(tmp_path):
    """An archive from before m014 (its four indexes made again): opened, it loses them, keeps
    its rows, and every read and cascade by article_id still uses an index led by it."""
    from archive.schema import REDUNDANT_INDEXES

    path = tmp_path / "old.db"
    with Archive(path, create=True) as arc:
        crawl_id = arc.start_crawl([])
        article_id = arc.store_article(make_article(), crawl_id=crawl_id).article_id
        before = arc.counts()
    conn = sqlite3.connect(path)
    for name in REDUNDANT_INDEXES:
        table = name.removeprefix("idx_").removesuffix("_article_id")
        conn.execute(f"CREATE INDEX {name} ON {table}(article_id)")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm014_redundant_indexes'")
    conn.commit()
    conn.close()
    with Archive(path) as arc:
        assert not MIGRATIONS.pending(arc.db)
        names = {name for (name,) in arc.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert not names & set(REDUNDANT_INDEXES)
        assert arc.counts() == before and before["faqs"] and before["links"]
        for table in ("article_authors", "article_tags", "faqs", "links"):
            plan = " ".join(row[-1] for row in arc.db.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE article_id = ?", [1]))
            assert "USING INDEX sqlite_autoindex" in plan and "(article_id=?)" in plan, (table, plan)
        arc.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
        assert arc.counts()["faqs"] == arc.counts()["links"] == 0


class _SchemaNotUtf8(Database):
    """A database whose SQLite error, as a damaged schema gives it, quotes bytes that are not
    UTF-8: Python's sqlite3 then raises UnicodeDecodeError, not a DatabaseError."""

    def execute(self, sql, parameters=None):
        if sql.startswith("PRAGMA page_count"):
            raise UnicodeDecodeError("utf-8", b"\x9d", 0, 1, "invalid start byte")
        return super().execute(sql, parameters)


def test_a_schema_sqlite_cannot_decode_is_a_damaged_archive(tmp_path, monkeypatch):
    from archive import verify
    from archive.errors import DamagedArchive
    from archive.schema import check_archive

    path = tmp_path / "news.db"
    Archive(path, create=True).close()
    with pytest.raises(DamagedArchive, match="is damaged: SQLite cannot read its schema"):
        check_archive(_SchemaNotUtf8(path))

    def undecodable(conn):
        raise UnicodeDecodeError("utf-8", b"\x9d", 0, 1, "invalid start byte")

    monkeypatch.setattr(verify, "_refuse_newer", undecodable)
    with pytest.raises(DamagedArchive, match="is damaged: SQLite cannot read its schema"):
        verify.verify_archive(path)
