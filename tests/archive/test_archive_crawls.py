"""Crawls, pages, errors, the crawl lock and concurrent writers."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archive import Archive, ArchiveLocked
from archive.model import url_key
from tests.helpers import BASE, make_article

ROOT = Path(__file__).parents[2]


def test_start_crawl(empty_archive):
    crawl_id = empty_archive.start_crawl([f"{BASE}/news"], {"DOWNLOAD_DELAY": 1.5})
    row = empty_archive.db.table("crawls").get(crawl_id)
    assert row["status"] == "running" and row["finished"] is None
    assert json.loads(row["start_urls"]) == [f"{BASE}/news"]
    assert json.loads(row["settings"]) == {"DOWNLOAD_DELAY": 1.5}
    assert row["started"].endswith("+00:00")


def test_a_byte_identical_page_is_not_stored_again_its_validators_are(empty_archive, crawl_id):
    url, body = f"{BASE}/news/", b"<html><body>the same listing</body></html>"
    first = empty_archive.record_fetch(crawl_id, url, 200, "text/html", body, "2023-09-14T12:00:00+00:00",
                                       etag='"a"', last_modified="Thu, 14 Sep 2023 12:00:00 GMT")
    crawl2 = empty_archive.start_crawl([])
    assert empty_archive.record_fetch(crawl2, url, 200, "text/html", body, "2023-09-15T12:00:00+00:00") is None
    changed = empty_archive.record_fetch(crawl2, url, 200, "text/html", body + b" ", etag='"b"')
    assert first and changed and empty_archive.page_body(changed) == body + b" "
    assert empty_archive.record_fetch(crawl2, url, 404, "text/html", body + b" ") is not None  # another status
    assert [r["crawl_id"] for r in empty_archive.db.query("SELECT crawl_id FROM pages ORDER BY id")] == [crawl_id, crawl2, crawl2]
    row = empty_archive.db.table("validators").get(url_key(url))
    assert (row["etag"], row["last_modified"], row["crawl_id"]) == (None, None, crawl2)  # a 200 without them clears them


def test_a_304_moves_the_fetch_time_and_keeps_validators_it_does_not_repeat(empty_archive, crawl_id):
    url = f"{BASE}/news/1"
    empty_archive.record_fetch(crawl_id, url, 200, "text/html", b"x", "2023-09-14T12:00:00+00:00", etag='"a"',
                               last_modified="Thu, 14 Sep 2023 12:00:00 GMT")
    empty_archive.record_not_modified(crawl_id, url, "2023-09-20T12:00:00+00:00", last_modified="Fri, 15 Sep 2023 12:00:00 GMT")
    row = empty_archive.db.table("validators").get(url_key(url))
    assert (row["etag"], row["last_modified"], row["fetched_at"]) == (
        '"a"', "Fri, 15 Sep 2023 12:00:00 GMT", "2023-09-20T12:00:00+00:00")
    assert empty_archive.counts()["pages"] == 1


def test_known_urls_give_an_articles_own_address_its_dates_and_validators(empty_archive, crawl_id):
    article = make_article()
    article_id = empty_archive.store_article(article, crawl_id=crawl_id, fetched_at="2023-09-14T12:00:00+00:00").article_id
    empty_archive.add_alias(f"{BASE}/amp/1", article_id)
    own = empty_archive.known_urls()[url_key(article.canonical_url)]
    assert own.own and own.fetched == "2023-09-14T12:00:00+00:00" and own.etag is None  # from its sighting
    assert own.published.startswith("2023-09-14T09:15") and own.first_seen == "2023-09-14T12:00:00+00:00"
    empty_archive.record_fetch(crawl_id, article.canonical_url, 200, "text/html", b"x", "2023-09-16T00:00:00+00:00", etag='"e"')
    own = empty_archive.known_urls()[url_key(article.canonical_url)]
    assert (own.fetched, own.etag) == ("2023-09-16T00:00:00+00:00", '"e"')
    alias = empty_archive.known_urls()[url_key(f"{BASE}/amp/1")]
    assert alias.article_id == article_id and not alias.own and alias.fetched is None


def test_record_page_round_trip(empty_archive, crawl_id):
    body = ("<html><body>" + "<p>Ünïcödé news paragraph.</p>" * 200 + "</body></html>").encode()
    page_id = empty_archive.record_page(crawl_id, f"{BASE}/news/1", 200, "text/html; charset=utf-8", body,
                                  fetched_at="2023-09-14T12:00:00+00:00")
    assert empty_archive.page_body(page_id) == body
    row = empty_archive.db.table("pages").get(page_id)
    assert row["body"] != body and len(row["body"]) < len(body) / 5
    assert row["sha256"] == hashlib.sha256(body).hexdigest() and row["size"] == len(body)
    assert (row["status"], row["compression"], row["fetched_at"]) == (200, "zlib", "2023-09-14T12:00:00+00:00")
    empty = empty_archive.record_page(crawl_id, f"{BASE}/gone", 404, None, b"")
    assert empty_archive.page_body(empty) == b""
    with pytest.raises(KeyError):
        empty_archive.page_body(999)


def test_record_error_validates_stage(empty_archive, crawl_id):
    for stage in ("fetch", "parse", "store"):
        empty_archive.record_error(crawl_id, f"{BASE}/{stage}", stage, f"{stage} failed")
    with pytest.raises(ValueError, match="fetch, parse, store"):
        empty_archive.record_error(crawl_id, BASE, "render", "nope")
    with pytest.raises(sqlite3.IntegrityError):
        empty_archive.db.execute("INSERT INTO errors (crawl_id, stage, reason, at) VALUES (?, 'x', 'r', 'now')",
                           [crawl_id])
    assert [r["stage"] for r in empty_archive.db.table("errors").rows] == ["fetch", "parse", "store"]


def test_finish_crawl_counts_its_own_rows(empty_archive):
    first = empty_archive.start_crawl([BASE])
    empty_archive.store_article(make_article(), crawl_id=first)
    empty_archive.record_page(first, BASE, 200, "text/html", b"x")

    crawl_id = empty_archive.start_crawl([BASE])
    for n in range(3):
        empty_archive.record_page(crawl_id, f"{BASE}/{n}", 200, "text/html", b"<html/>")
    empty_archive.record_error(crawl_id, f"{BASE}/x", "parse", "no headline")
    empty_archive.store_article(make_article(headline="Changed"), crawl_id=crawl_id)          # updated
    empty_archive.store_article(make_article(headline="Changed"), crawl_id=crawl_id,
                          fetched_url=f"{BASE}/news/uk-politics-66812345?utm_source=x")  # duplicate
    empty_archive.store_article(make_article(f"{BASE}/news/2", headline="Two"), crawl_id=crawl_id)      # new
    empty_archive.store_article(make_article(f"{BASE}/news/3", headline="Three"), crawl_id=crawl_id)    # new
    empty_archive.store_article(make_article(f"{BASE}/amp/3", canonical_source="url", headline="Three"),
                          crawl_id=crawl_id)                                                      # alias
    empty_archive.finish_crawl(crawl_id, "finished", {"item_scraped_count": 5, "finish_reason": "finished"})

    row = empty_archive.db.table("crawls").get(crawl_id)
    assert row["status"] == "finished" and row["finished"] >= row["started"]
    assert (row["pages"], row["errors"], row["articles_new"], row["articles_updated"], row["duplicates"]) == (
        3, 1, 2, 1, 2)
    assert json.loads(row["stats"]) == {"item_scraped_count": 5, "finish_reason": "finished"}
    assert empty_archive.counts() == {"articles": 3, "authors": 2, "tags": 2, "faqs": 6, "links": 6,
                                "article_urls": 5, "versions": 1, "pages": 4, "errors": 1, "crawls": 2}


def test_crawl_lock_refuses_a_second_archive(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path, create=True) as one, Archive(path) as two:
        with one.crawl_lock():
            with pytest.raises(ArchiveLocked, match=str(path)):
                with two.crawl_lock():
                    pass
        with two.crawl_lock():
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db"]  # the lock is on the file itself


def test_crawl_lock_is_one_lock_for_every_name_of_the_file(tmp_path):
    path, link = tmp_path / "a.db", tmp_path / "sub" / "b.db"
    link.parent.mkdir()
    Archive(path, create=True).close()
    os.link(path, link)
    with Archive(path) as one, one.crawl_lock(), Archive(link) as two:
        with pytest.raises(ArchiveLocked, match=f"{link} is being crawled by another process"):
            with two.crawl_lock():
                pass


def test_crawl_lock_held_by_another_process(tmp_path):
    path = tmp_path / "a.db"
    Archive(path, create=True).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from archive import Archive
            with Archive({str(path)!r}).crawl_lock():
                print("locked", flush=True)
                sys.stdin.read()
        """)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with Archive(path) as arc:
            with pytest.raises(ArchiveLocked, match=rf"pid {holder.pid}"):
                with arc.crawl_lock():
                    pass
    finally:
        holder.communicate("")
    with Archive(path) as arc, arc.crawl_lock():
        pass


def test_crawl_lock_is_a_no_op_in_memory(empty_archive):
    with empty_archive.crawl_lock(), empty_archive.crawl_lock():
        pass


def test_concurrent_writers_do_not_corrupt(tmp_path):
    path = tmp_path / "a.db"
    Archive(path, create=True).close()
    writer = textwrap.dedent(f"""
        import sys
        from archive import Archive
        from tests.helpers import make_article
        name = sys.argv[1]
        with Archive({str(path)!r}) as arc:
            crawl_id = arc.start_crawl([])
            for n in range(40):
                arc.record_page(crawl_id, f"https://x.example/{{name}}/{{n}}", 200, "text/html", b"<p/>" * 100)
                arc.store_article(make_article(f"https://x.example/{{name}}/{{n}}", headline=f"{{name}} {{n}}",
                                               authors=["Shared Author", name]), crawl_id=crawl_id)
            arc.finish_crawl(crawl_id, "finished", {{}})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", writer, name], cwd=ROOT, stderr=subprocess.PIPE, text=True)
             for name in ("a", "b", "c")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with Archive(path) as arc:
        assert arc.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert arc.db.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = arc.counts()
        assert (counts["articles"], counts["pages"], counts["crawls"], counts["authors"]) == (120, 120, 3, 4)
        assert {r["articles_new"] for r in arc.db.table("crawls").rows} == {40}


def _posix_locks_of_this_process(path) -> list[str]:
    """The POSIX (fcntl) locks this process holds on `path`'s file, from /proc/locks: the
    locks SQLite's connections take. Each without the line's ordinal, which moves as other
    processes (the other test workers) take and drop locks."""
    stat = os.stat(path)
    device = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    with open("/proc/locks") as locks:
        lines = [line.split()[1:] for line in locks]
    return [" ".join(f) for f in lines if f[0] == "POSIX" and f[3] == str(os.getpid()) and f[4] == device]


def _descriptors_of(path) -> int:
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            count += os.path.samefile(f"/proc/self/fd/{name}", path)
        except OSError:
            pass
    return count


@pytest.mark.parametrize("lock", [False, True], ids=["opened", "crawl-locked"])
def test_an_archive_closed_leaves_another_connection_s_locks_in_place(tmp_path, lock):
    """Closing any descriptor of a file drops every POSIX lock the process holds on it:
    neither the open-time length check nor the crawl lock's descriptor may do that to a
    reader of the same process (that let another process reset the WAL under a writer)."""
    path = tmp_path / "a.db"
    Archive(path, create=True).close()
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM articles").fetchone()
    held = _posix_locks_of_this_process(path)
    assert held  # the reader's lock: what the archive must leave alone
    with Archive(path) as archive:
        if lock:
            with archive.crawl_lock():
                pass
    assert _posix_locks_of_this_process(path) == held
    with Archive(path) as again, again.crawl_lock():  # the descriptor left open holds no lock
        pass
    reader.close()
    Archive(path).close()
    assert _descriptors_of(path) == 0  # closed once nothing else had the file open
