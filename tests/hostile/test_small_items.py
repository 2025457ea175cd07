"""Issue 12, item 11, the smaller items: the write-ahead log that a long-held read transaction
let grow during a crawl is truncated when the crawl ends; every fetch error has a reason; a meta
refresh to a data: or file: URL and a sitemap the XML parser gives up on are error rows; Ctrl-C
prints no traceback from a parse worker."""
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


def test_a_meta_refresh_to_a_data_or_file_url_is_an_error_row(tmp_path):
    refreshes = {"/2024/08/04/to-data/": "data:text/html;base64,PGgxPmhpPC9oMT4=",
                 "/go/file/": "file:///etc/passwd"}
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        site.add_article(ARTICLES[0])
        for path, target in refreshes.items():
            page = f'<html><head><meta http-equiv="refresh" content="0; url={target}"></head><body>Moved</body></html>'
            site.routes[path] = lambda h, page=page: h.send(200, page.encode())
            site.link(path)
        result = crawl(db, [site.base_url], timeout=60)
        assert_clean(result)
        errors = {e["url"]: e["reason"] for e in rows(db, "SELECT url, reason FROM errors WHERE stage = 'fetch'")}
        assert errors == {site.url(path): f"not followed: meta refresh to {target} (only http and https)"
                          for path, target in refreshes.items()}
        assert rows(db, "SELECT count(*) AS n FROM errors WHERE stage != 'fetch'") == [{"n": 0}]
        assert [a["url"] for a in rows(db, "SELECT url FROM articles")] == [site.url(ARTICLES[0])]


def billion_laughs_sitemap(site: HostileSite, paths: list[str]) -> bytes:
    """A sitemap whose DTD defines an entity of 10**9 'lol's, used in its first entry."""
    entities = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    urls = "".join(f"<url><loc>{site.url(path)}</loc></url>" for path in paths)
    return (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE urlset [{entities}]>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{site.url("/")}&lol9;</loc></url>'
            f"{urls}</urlset>").encode()


def test_a_sitemap_the_xml_parser_gives_up_on_is_an_error_row(tmp_path):
    """A DTD alone is read (its entities are not expanded, nothing is fetched for it); one
    whose entities would expand past libxml2's amplification limit stops the parser."""
    plain = ["/2024/08/05/in-a-sitemap-with-a-dtd/"]
    laughing = ["/2024/08/06/behind-a-billion-laughs/"]
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        site.add_article(ARTICLES[0])
        for path in plain + laughing:  # linked from the sitemaps only
            site.routes[path] = site.routes[ARTICLES[0]]
        site.routes["/robots.txt"] = lambda h: h.send(
            200, f"Sitemap: {site.url('/dtd.xml')}\nSitemap: {site.url('/laughs.xml')}\n".encode(), "text/plain")
        dtd = (f'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "{site.url("/sitemap.dtd")}" [<!ELEMENT urlset ANY>]>'
               '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               f"<url><loc>{site.url(plain[0])}</loc></url></urlset>").encode()
        site.routes["/dtd.xml"] = lambda h: h.send(200, dtd, "application/xml")
        site.routes["/laughs.xml"] = lambda h: h.send(200, billion_laughs_sitemap(site, laughing), "application/xml")
        result = crawl(db, [site.base_url], timeout=60)
        assert_clean(result)
        errors = rows(db, "SELECT url, stage, reason FROM errors")
        assert errors == [{"url": site.url("/laughs.xml"), "stage": "parse",
                           "reason": "sitemap not read to the end, 0 entries read: Maximum entity amplification"
                                     " factor exceeded, see xmlCtxtSetMaxAmplification."}]
        assert {s.path for s in site.seen} >= {"/dtd.xml", "/laughs.xml", plain[0]}
        assert not site.requests(laughing[0])
        assert not site.requests("/sitemap.dtd")


def test_ctrl_c_prints_no_traceback_from_a_parse_worker(tmp_path):
    """SIGINT to the crawl's process group, as a terminal's Ctrl-C sends it, with a parse worker."""
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        site.article_delay = 0.05
        for path in ARTICLES:
            site.add_article(path)
        result = crawl(db, [site.base_url], "-s", "PARSE_PROCESSES=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                       timeout=60, interrupt_when=lambda: len(site.seen) >= 20)
    assert result.returncode == 0, result.stderr
    assert "shutdown" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "KeyboardInterrupt" not in result.stderr, result.stderr
    assert 0 < len(rows(db, "SELECT url FROM articles")) < len(ARTICLES)
