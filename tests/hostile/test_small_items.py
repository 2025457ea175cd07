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


def test_every_fetch_error_has_a_reason(tmp_path):
    """A body cut short of its Content-Length (ResponseDataLossError, which has no message of
    its own) and one over DOWNLOAD_MAXSIZE (DownloadCancelledError)."""
    def cut_short(handler):
        handler.close_connection = True
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html>partial")

    db = tmp_path / "archive.db"
    with HostileSite() as site:
        site.add_article(ARTICLES[0])
        site.link("/2024/08/02/cut-short/")
        site.routes["/2024/08/02/cut-short/"] = cut_short
        site.link("/2024/08/03/too-big/")
        site.routes["/2024/08/03/too-big/"] = lambda h: h.send(200, b"<html>" + b"x" * 200_000)
        result = crawl(db, [site.base_url], "-s", "DOWNLOAD_MAXSIZE=100000", "-s", "RETRY_TIMES=0", timeout=60)
        assert_clean(result)
        errors = {e["url"]: e["reason"] for e in rows(db, "SELECT url, reason FROM errors WHERE stage = 'fetch'")}
        assert errors == {
            site.url("/2024/08/02/cut-short/"):
                "ResponseDataLossError: the connection closed before the body's Content-Length arrived",
            site.url("/2024/08/03/too-big/"):
                "DownloadCancelledError: Expected to receive 200006 bytes which is larger than download max size"
                f" (100000) in request <GET {site.url('/2024/08/03/too-big/')}>.",
        }
        assert [a["url"] for a in rows(db, "SELECT url FROM articles")] == [site.url(ARTICLES[0])]
