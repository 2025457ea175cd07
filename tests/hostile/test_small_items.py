"""Issue 12, item 11, the smaller items: the write-ahead log that a long-held read transaction
let grow during a crawl is truncated when the crawl ends."""
from __future__ import annotations

import os
import sqlite3
import threading
import time

from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite

ARTICLES = [f"/2024/07/{n // 28 + 1:02d}/story-{n}/" for n in range(150)]


def test_the_wal_a_long_reader_let_grow_is_truncated_at_the_end_of_the_crawl(tmp_path):
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        site.add_article(ARTICLES[0])
        assert_clean(crawl(db, [site.base_url], timeout=60))  # the archive, for the reader to open
        for path in ARTICLES[1:]:
            site.add_article(path)
        reader = sqlite3.connect(db, check_same_thread=False)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM articles").fetchone()  # a snapshot: no checkpoint can pass it

        def release() -> None:  # once most of the crawl is written, as a Datasette query ends
            while len(site.seen) < 120:
                time.sleep(0.05)
            reader.commit()

        releaser = threading.Thread(target=release, daemon=True)
        releaser.start()
        result = crawl(db, [site.base_url], timeout=90)
        releaser.join(timeout=5)
        assert_clean(result)
        wal = os.path.getsize(f"{db}-wal")  # the reader still has the archive open: the WAL stays
        reader.close()
    assert wal == 0, wal
    assert len(rows(db, "SELECT url FROM articles")) == len(ARTICLES)
    assert rows(db, "SELECT count(*) AS n FROM errors") == [{"n": 0}]
