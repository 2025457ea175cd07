"""Readers never block the crawl, nor the crawl them: while a crawl writes, this process queries
the archive without pause, with plain sqlite3 and with Datasette in-process."""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading

from datasette.app import Datasette

from archive import Archive
from tests.helpers import rows

SQL_READS = (
    "SELECT count(*) FROM articles",
    "SELECT a.headline, count(f.position) FROM articles a LEFT JOIN faqs f ON f.article_id = a.id GROUP BY a.id",
    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'vote OR minister OR river'",
    "SELECT count(*) FROM faq_pairs",
    "SELECT url, stage, reason FROM errors",
)


class Readers:
    """Threads that read the archive until told to stop, counting reads and every failure."""

    def __init__(self, db):
        self.db = db
        self.stop = threading.Event()
        self.reads = {"sqlite3": 0, "datasette": 0}
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._sqlite), threading.Thread(target=self._datasette)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _sqlite(self):
        while not self.stop.is_set():
            conn = sqlite3.connect(self.db, timeout=0)  # never waits: in WAL mode it need not
            try:
                for sql in SQL_READS:
                    conn.execute(sql).fetchall()
                    self.reads["sqlite3"] += 1
            except sqlite3.Error as exc:
                self.failures.append(f"sqlite3: {exc}")
            finally:
                conn.close()
            self.stop.wait(0.005)

    def _datasette(self):
        asyncio.run(self._datasette_loop())

    async def _datasette_loop(self):
        datasette = Datasette(files=[str(self.db)])
        await datasette.invoke_startup()
        name = self.db.stem
        paths = (f"/{name}/articles.json?_size=20", f"/{name}.json?sql=select+count(*)+from+faqs",
                 f"/{name}/articles_fts.json?_search=vote", f"/{name}/articles")
        while not self.stop.is_set():
            for path in paths:
                response = await datasette.client.get(path)
                self.reads["datasette"] += 1
                if response.status_code != 200 or "database is locked" in response.text:
                    self.failures.append(f"datasette {path}: {response.status_code} {response.text[:200]}")
            await asyncio.sleep(0.005)


def test_reading_while_a_crawl_writes(sample_site, tmp_path):
    db = tmp_path / "archive.db"
    Archive(db, create=True).close()  # created and migrated, as a nightly archive is
    with Readers(db) as readers:
        result = subprocess.run(
            [sys.executable, "-m", "bbn_scraper", "crawl", sample_site.base_url, "--db", str(db), "--local"],
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert readers.failures == []
    assert readers.reads["sqlite3"] > 100 and readers.reads["datasette"] > 20, readers.reads
    assert rows(db, "SELECT * FROM errors WHERE stage = 'store'") == []
    assert len(rows(db, "SELECT id FROM articles")) == len(sample_site.manifest()["articles"])
    assert "database is locked" not in result.stderr
