"""The archive writer: writes run in order on its thread, in batched transactions, a failing
write costs only itself, and a batch that cannot commit is counted and logged, not hidden."""
from __future__ import annotations

import logging
import sqlite3

from archive import Archive
from crawler.writer import ArchiveWriter


def _record(archive: Archive, crawl_id: int, i: int) -> None:
    archive.record_error(crawl_id, f"https://example.org/{i}", "fetch", "HTTP 404")


def _reasons(db) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [url for (url,) in conn.execute("SELECT url FROM errors ORDER BY id")]
    finally:
        conn.close()


def test_writes_commit_in_order_and_are_visible_to_other_connections_after_flush(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db, create=True, check_same_thread=False) as archive:
        crawl_id = archive.start_crawl(["https://example.org/"])
        writer = ArchiveWriter(archive, batch_seconds=60)
        writer.start()
        for i in range(300):
            writer.submit(_record, archive, crawl_id, i)
        writer.flush()
        assert _reasons(db) == [f"https://example.org/{i}" for i in range(300)]
        writer.close()
        assert writer.failed_batches == 0


def test_a_failing_write_costs_only_itself(tmp_path, caplog):
    db = tmp_path / "archive.db"

    def broken():
        raise RuntimeError("boom")

    with Archive(db, create=True, check_same_thread=False) as archive:
        crawl_id = archive.start_crawl(["https://example.org/"])
        writer = ArchiveWriter(archive)
        writer.start()
        writer.submit(_record, archive, crawl_id, 1)
        writer.submit(broken)
        writer.submit(_record, archive, crawl_id, 2)
        writer.close()
    assert _reasons(db) == ["https://example.org/1", "https://example.org/2"]
    assert "archive write broken failed" in caplog.text and "boom" in caplog.text


def test_a_batch_that_cannot_commit_is_counted_and_logged(tmp_path, caplog):
    db = tmp_path / "archive.db"
    with Archive(db, create=True, check_same_thread=False) as archive:
        crawl_id = archive.start_crawl(["https://example.org/"])
        archive.db.execute("PRAGMA busy_timeout = 50")
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        writer = ArchiveWriter(archive)
        writer.start()
        with caplog.at_level(logging.ERROR):
            writer.submit(_record, archive, crawl_id, 1)
            writer.flush()
        other.execute("ROLLBACK")
        other.close()
        writer.submit(_record, archive, crawl_id, 2)
        writer.close()
        assert writer.failed_batches == 1
    assert "could not commit 1 archive writes; they are lost" in caplog.text
    assert _reasons(db) == ["https://example.org/2"]
