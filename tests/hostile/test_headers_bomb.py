"""Issue 12, item 3: endless response headers. The server sends up to 256 MiB of header lines
(or one header line that never ends, or a stream of 1xx interim responses); the crawl drops
each connection at `DOWNLOAD_MAX_HEADER_BYTES` / `DOWNLOAD_MAX_HEADERS`, records one fetch
error with the reason, archives the site's other articles and stays small in memory."""
from __future__ import annotations

import itertools

import pytest

from bbn_scraper.settings import DOWNLOAD_MAX_HEADER_BYTES, DOWNLOAD_MAX_HEADERS
from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite

BOMB_BYTES = 256 * 1024 * 1024
CHUNK = 64 * 1024
# Peak memory of the crawl above that of a crawl of the same site without the bombs. Without
# the bound, each MB of header lines costs the crawl 1.2 MB (measured with 10 MB: 97 -> 109 MB).
MAX_EXTRA_RSS_MB = 50
TOO_LARGE = f"ResponseHeadersTooLarge: response headers exceed {DOWNLOAD_MAX_HEADER_BYTES} bytes"
TOO_MANY = f"ResponseHeadersTooLarge: more than {DOWNLOAD_MAX_HEADERS} response header lines"

FINE = "/2024/01/01/an-ordinary-story/"
NEAR_LIMITS = "/2024/01/02/headers-near-the-limits/"  # 90 headers, 45 KB
ENDLESS_LINES = "/2024/01/03/endless-header-lines/"
ENDLESS_LINE = "/2024/01/04/one-endless-header-line/"
ENDLESS_INTERIM = "/2024/01/05/endless-100-continue/"
TOO_MANY_HEADERS = "/2024/01/06/too-many-headers/"
# path -> reason recorded
REFUSED = {ENDLESS_LINES: TOO_LARGE, ENDLESS_LINE: TOO_LARGE, ENDLESS_INTERIM: TOO_LARGE, TOO_MANY_HEADERS: TOO_MANY}


def stream(handler, head: bytes, chunks) -> None:
    """Send `head`, then `chunks` until BOMB_BYTES are out or the crawler hangs up; the bytes
    sent are kept in handler.server.site.sent[path]."""
    handler.close_connection = True
    sent = 0
    try:
        handler.wfile.write(head)
        for chunk in chunks:
            if sent >= BOMB_BYTES:
                break
            handler.wfile.write(chunk)
            sent += len(chunk)
        handler.wfile.write(b"\r\n\r\n")
    except OSError:
        pass  # the crawler dropped the connection
    handler.server.site.sent[handler.path] = sent


def header_lines():
    line = b"X-Filler: " + b"a" * 2038 + b"\r\n"  # 2 KiB: the byte limit comes before the line count
    return itertools.repeat(line * (CHUNK // len(line)))


def interim_responses():
    return itertools.repeat(b"HTTP/1.1 100 Continue\r\n\r\n" * (CHUNK // 25))


def ordinary_site(site: HostileSite) -> HostileSite:
    site.sent = {}
    site.add_article(FINE)
    site.add_article(NEAR_LIMITS, headers={f"X-Near-{n}": "b" * 500 for n in range(DOWNLOAD_MAX_HEADERS - 10)})
    return site


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    with HostileSite() as site:
        result = crawl(tmp_path_factory.mktemp("baseline") / "archive.db", [ordinary_site(site).base_url], timeout=90)
        assert_clean(result)
        return result


@pytest.fixture(scope="module")
def bombed(tmp_path_factory):
    with HostileSite() as site:
        ordinary_site(site)
        for path in REFUSED:
            site.link(path)
        site.routes[ENDLESS_LINES] = lambda h: stream(h, b"HTTP/1.1 200 OK\r\n", header_lines())
        site.routes[ENDLESS_LINE] = lambda h: stream(h, b"HTTP/1.1 200 OK\r\nX-Endless: ", itertools.repeat(b"a" * CHUNK))
        site.routes[ENDLESS_INTERIM] = lambda h: stream(h, b"", interim_responses())
        many = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(DOWNLOAD_MAX_HEADERS + 1))
        site.routes[TOO_MANY_HEADERS] = lambda h: stream(h, many, [])
        db = tmp_path_factory.mktemp("headers") / "archive.db"
        result = crawl(db, [site.base_url], timeout=90)
        yield site, db, result


def test_the_crawl_ends_cleanly(bombed):
    assert_clean(bombed[2])


def test_each_bomb_is_one_fetch_error_with_its_reason_and_is_not_retried(bombed):
    site, db, _ = bombed
    errors = rows(db, "SELECT url, stage, reason FROM errors")
    assert sorted((e["url"], e["stage"], e["reason"]) for e in errors) == sorted(
        (site.url(path), "fetch", reason) for path, reason in REFUSED.items())
    for path in REFUSED:
        assert len(site.requests(path)) == 1, path


def test_the_connection_is_dropped_while_the_headers_arrive(bombed):
    site = bombed[0]
    for path in (ENDLESS_LINES, ENDLESS_LINE, ENDLESS_INTERIM):
        assert site.sent[path] < BOMB_BYTES / 10, (path, site.sent[path])  # socket buffers, not the crawler, took the rest


def test_the_other_articles_are_archived(bombed):
    site, db, _ = bombed
    assert {a["url"] for a in rows(db, "SELECT url FROM articles")} == {site.url(FINE), site.url(NEAR_LIMITS)}


def test_peak_memory_stays_bounded(bombed, baseline):
    assert bombed[2].max_rss_mb < baseline.max_rss_mb + MAX_EXTRA_RSS_MB, (bombed[2].max_rss_mb, baseline.max_rss_mb)
