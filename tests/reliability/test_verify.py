"""`bbn-archive verify`: exit 0 on an intact archive; exit 1, naming what is wrong, on an archive
corrupted in each way it checks."""
from __future__ import annotations

import re
import sqlite3

import pytest
from click.testing import CliRunner

from archive import Archive
from bbn_scraper.app.cli import cli
from archive.model import Faq
from tests.helpers import BASE, make_article


@pytest.fixture
def db(tmp_path):
    """An archive of three articles with FAQs, closed (its WAL checkpointed into the file)."""
    path = tmp_path / "archive.db"
    with Archive(path, create=True) as archive:
        crawl_id = archive.start_crawl([BASE])
        for n in range(3):
            archive.record_page(crawl_id, f"{BASE}/news/story-{n}", 200, "text/html", f"<p>Page {n}</p>".encode() * 50)
            archive.store_article(make_article(f"{BASE}/news/story-{n}", headline=f"Story {n}",
                                               faqs=[Faq(f"Question {n}?", f"Answer {n}.")]), crawl_id=crawl_id)
    return path


def verify(db) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", "--db", str(db)])
    return result.exit_code, result.output


def corrupt(db, *statements: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def failed(output: str) -> list[str]:
    return [line.split(":")[0].removeprefix("FAIL ") for line in output.splitlines() if line.startswith("FAIL")]


def test_an_intact_archive_verifies(db):
    code, output = verify(db)
    assert code == 0, output
    assert "3 of 3 articles rows indexed" in output and "3 articles" in output and "stored page bodies: 3 pages" in output
    assert output.rstrip().endswith("archive is intact")


def test_an_index_out_of_step_with_its_table(db):
    corrupt(db, "PRAGMA writable_schema = ON",
            "UPDATE sqlite_master SET sql = 'CREATE INDEX idx_articles_published ON articles(headline)'"
            " WHERE name = 'idx_articles_published'")
    code, output = verify(db)
    assert code == 1
    assert failed(output) == ["integrity"]
    assert "row 1 missing from index idx_articles_published" in output


def test_a_damaged_page(db):
    conn = sqlite3.connect(db)
    (page,) = conn.execute("SELECT pageno FROM dbstat WHERE name = 'idx_articles_published'").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with open(db, "r+b") as f:
        f.seek((page - 1) * size + 8)  # the page's cell pointers
        f.write(b"\xff" * 64)
    code, output = verify(db)
    assert code == 1
    assert "integrity" in failed(output)
    assert re.search(r"tree page \d+|malformed", output), output  # what SQLite says depends on the damage


def test_a_row_pointing_at_a_missing_article(db):
    corrupt(db, "INSERT INTO links (article_id, kind, position, text, url) VALUES (999, 'related', 1, 'x', 'https://x.example/')")
    code, output = verify(db)
    assert code == 1
    assert failed(output) == ["foreign keys"]
    assert "links row" in output and "missing articles row" in output


def test_an_article_missing_from_the_search_index(db):
    corrupt(db, "INSERT INTO articles_fts (articles_fts, rowid, headline, summary, body)"
                " SELECT 'delete', id, headline, summary, body FROM articles WHERE id = 2")
    code, output = verify(db)
    assert code == 1
    assert failed(output) == ["search index articles_fts"]
    assert "2 of 3 articles rows indexed" in output and "articles row 2 is not in articles_fts" in output


def test_a_stale_search_index(db):
    corrupt(db, "DROP TRIGGER faqs_au", "UPDATE faqs SET answer = 'Rewritten behind the index.' WHERE article_id = 1")
    code, output = verify(db)
    assert code == 1
    # the index no longer matches the table, and the article's hash no longer matches its FAQ
    assert failed(output) == ["search index faqs_fts", "content hashes"]
    assert "faqs_fts does not match faqs" in output and "rebuild" in output


def test_content_that_does_not_match_its_hash(db):
    corrupt(db, "UPDATE articles SET body = body || ' Edited afterwards.' WHERE id = 3")
    code, output = verify(db)
    assert code == 1
    assert failed(output) == ["content hashes"]
    assert f"article 3 ({BASE}/news/story-2): content_hash does not match" in output


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(cli, ["verify", "--db", str(path)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"Error: {path} is not a SQLite database\n"  # one line, not a report of 5 failed checks


def verify_quick(db) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", "--quick", "--db", str(db)])
    return result.exit_code, result.output


def test_quick_verify_of_an_intact_archive(db):
    code, output = verify_quick(db)
    assert code == 0, output
    assert "PRAGMA quick_check" in output and "foreign keys" not in output
    assert "3 of 3 articles rows indexed; 3 sampled rows looked up" in output and "3 sampled articles" in output
    assert output.rstrip().endswith("archive is intact")


@pytest.mark.parametrize("statements, check, says", [
    (["UPDATE articles SET body = body || ' Edited afterwards.' WHERE id = 3"], "content hashes",
     f"article 3 ({BASE}/news/story-2): content_hash does not match"),
    (["INSERT INTO articles_fts (articles_fts, rowid, headline, summary, body)"
      " SELECT 'delete', id, headline, summary, body FROM articles WHERE id = 2"], "search index articles_fts",
     "articles row 2 is not in articles_fts"),
    # the index keeps its row count but lost the words of the headline: only the lookup sees it
    (["DROP TRIGGER articles_au", "UPDATE articles SET headline = 'Renamed' WHERE id = 1"], "search index articles_fts",
     "articles row 1 is not found in articles_fts by its word 'Renamed'"),
    (["DROP TRIGGER faqs_au", "UPDATE faqs SET question = 'Reworded?' WHERE article_id = 2"], "search index faqs_fts",
     "faqs row 2 is not found in faqs_fts by its word 'Reworded'"),
])
def test_quick_verify_finds(db, statements, check, says):
    corrupt(db, *statements)
    code, output = verify_quick(db)
    assert code == 1
    assert check in failed(output)
    assert says in output, output


def test_quick_verify_samples_a_large_archive(db, monkeypatch):
    from archive import verify as verify_module

    monkeypatch.setattr(verify_module, "QUICK_SAMPLE", 2)
    code, output = verify_quick(db)
    assert code == 0, output
    assert "2 sampled articles" in output and "3 of 3 articles rows indexed; 2 sampled rows looked up" in output


@pytest.mark.parametrize("damage, says", [
    ("substr(body, 1, length(body) / 2)", "its stored body is damaged (cut short"),
    ("zeroblob(40)", "its stored body is damaged"),
    ("x'789c4b4c4a0600024d0127'", "its stored body is damaged (not the bytes recorded"),  # zlib of 'abc'
])
def test_a_damaged_stored_page_body(db, damage, says):
    corrupt(db, f"UPDATE pages SET body = {damage} WHERE id = 2")
    for code, output in (verify(db), verify_quick(db)):
        assert code == 1, output
        assert failed(output) == ["stored page bodies"], output
        assert f"page 2: {says}" in output, output


def test_verify_while_a_crawl_writes_does_not_wait_for_the_write_lock(db):
    """FTS5's integrity-check is an INSERT: behind a crawl's writer it waited 30 s an index,
    then advised rebuilding sound indexes; run, it would hold the crawl's writer back."""
    with Archive(db) as crawl, crawl.crawl_lock():
        crawl.db.conn.execute("BEGIN IMMEDIATE")  # the writer's batch, open throughout
        code, output = verify(db)
        crawl.db.conn.execute("ROLLBACK")
    assert code == 0, output
    assert "its integrity-check not run: a crawl or import (pid" in output and "rebuild" not in output


def test_a_write_lock_held_by_another_program_is_not_a_damaged_index(db, monkeypatch):
    from archive import verify as verify_module

    monkeypatch.setattr(verify_module, "BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(db)
    other.execute("BEGIN IMMEDIATE")
    try:
        code, output = verify(db)
    finally:
        other.rollback()
        other.close()
    assert code == 1 and failed(output) == ["search index articles_fts", "search index faqs_fts"], output
    assert "held the archive's write lock throughout" in output and "rebuild" not in output
