"""The archive writer: writes run in order on its thread, in batched transactions, a failing
write costs only itself, a batch that cannot commit is counted and logged, not hidden, and
an event loop putting writes keeps running while the writer's queue is full."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading

from archive import Archive
from bbn_scraper.crawler.writer import QUEUE_SIZE, ArchiveWriter


def _record(archive: Archive, crawl_id: int, i: int) -> None:
    archive.record_error(crawl_id, f"https://example.org/{i}", "fetch", "HTTP 404")


def _put(writer: ArchiveWriter, *writes: tuple) -> None:
    """Put each (fn, *args) in order, from an event loop, as the store pipeline does."""
    async def put_all():
        for fn, *args in writes:
            await writer.put(fn, *args)
    asyncio.run(put_all())


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
        _put(writer, *[(_record, archive, crawl_id, i) for i in range(300)])
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
        _put(writer, (_record, archive, crawl_id, 1), (broken,), (_record, archive, crawl_id, 2))
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
            _put(writer, (_record, archive, crawl_id, 1))
            writer.flush()
        other.execute("ROLLBACK")
        other.close()
        _put(writer, (_record, archive, crawl_id, 2))
        writer.close()
        assert writer.failed_batches == 1
    assert "could not commit 1 archive writes; they are lost" in caplog.text
    assert _reasons(db) == ["https://example.org/2"]


def test_a_full_queue_does_not_block_the_event_loop_and_every_write_lands_in_order(tmp_path):
    db = tmp_path / "archive.db"
    writes = 2 * QUEUE_SIZE
    stalled = threading.Event()
    resume = threading.Event()

    def stall():
        stalled.set()
        resume.wait(30)

    async def main(archive, crawl_id, writer):
        ticks = 0

        def tick():
            nonlocal ticks
            ticks += 1
            loop.call_later(0.01, tick)

        loop = asyncio.get_running_loop()
        tick()
        await writer.put(stall)
        await asyncio.to_thread(stalled.wait, 10)
        # One task per write, as Scrapy processes items: most wait for room, and the writes
        # must land in the order they were put.
        puts = [asyncio.create_task(writer.put(_record, archive, crawl_id, i)) for i in range(writes)]
        await asyncio.sleep(0.1)
        ticks_while_full = ticks
        await asyncio.sleep(0.3)
        assert sum(put.done() for put in puts) == QUEUE_SIZE  # the stall taken, the queue full: the rest wait...
        assert ticks > ticks_while_full + 5  # ...while the loop runs
        resume.set()
        await asyncio.wait_for(asyncio.gather(*puts), 30)

    with Archive(db, create=True, check_same_thread=False) as archive:
        crawl_id = archive.start_crawl(["https://example.org/"])
        writer = ArchiveWriter(archive)
        writer.start()
        try:
            asyncio.run(main(archive, crawl_id, writer))
        finally:
            resume.set()
            writer.close()
    assert _reasons(db) == [f"https://example.org/{i}" for i in range(writes)]



def test_a_writer_that_does_not_commit_when_idle_commits_at_its_deadline_or_on_flush(tmp_path):
    """commit_when_idle=False (the import's writer): a batch goes on past a moment with no
    write waiting, and commits when its batch_seconds are over, or at once on flush; each
    write runs once."""
    db = tmp_path / "archive.db"
    with Archive(db, create=True, check_same_thread=False) as archive:
        crawl_id = archive.start_crawl(["https://example.org/"])
        commits: list[int] = []
        archive.db.conn.set_trace_callback(lambda sql: commits.append(1) if sql == "COMMIT" else None)
        writer = ArchiveWriter(archive, batch_seconds=60, commit_when_idle=False)
        writer.start()
        _put(writer, *[(_record, archive, crawl_id, i) for i in range(5)])
        threading.Event().wait(0.3)  # the queue is empty meanwhile
        assert _reasons(db) == [] and commits == [], "the batch waits for more writes"
        _put(writer, (_record, archive, crawl_id, 5))
        writer.flush()
        assert _reasons(db) == [f"https://example.org/{i}" for i in range(6)] and len(commits) == 1
        short = ArchiveWriter(archive, batch_seconds=0.2, commit_when_idle=False)
        writer.close()
        short.start()
        _put(short, (_record, archive, crawl_id, 6))
        threading.Event().wait(1.0)  # no flush: the deadline commits it
        assert _reasons(db)[-1] == "https://example.org/6" and len(commits) == 2
        short.close()
