"""Issue 24, item 1: WARC decompression bombs. Each file holds a record that expands to 1 GiB
(before the bound, a 2 GiB one took `import-warc` to 7.5 GB and was stored whole), between
two ordinary articles: the body's Content-Encoding (gzip, brotli), the record's own gzip member,
HTTP header lines without end, a WARC header line without end, blank lines without end. The import decodes as a stream
with the crawl's limits: each bomb is one fetch error naming its file and offset, the articles
around it are archived, no page over DOWNLOAD_MAXSIZE is stored, and memory stays flat."""
from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

import brotli
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from bbn_scraper.settings import DOWNLOAD_MAXSIZE
from tests.helpers import rows
from tests.hostile.bombs import MIB, ZEROS, gzip_bomb
from tests.hostile.hostile_crawl import UNHANDLED, run
from tests.hostile.hostile_server import article_html

GIB = 1024  # MiB
MAX_RSS_MB = 300
SITE = "https://bombs.example/"
BEFORE, AFTER, BOMB = SITE + "2024/01/01/before/", SITE + "2024/01/03/after/", SITE + "2024/01/02/bomb/"


def _response(writer: WARCWriter, url: str, body: bytes, headers: list[tuple[str, str]]) -> None:
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))


def _article(writer: WARCWriter, url: str, headline: str) -> None:
    _response(writer, url, article_html(url, headline), [])


def _warc_head(length: int | None = None, extra: bytes = b"") -> bytes:
    fields = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000024>\r\n"
              b"WARC-Date: 2024-01-02T00:00:00Z\r\nWARC-Target-URI: " + BOMB.encode() + b"\r\n"
              b"Content-Type: application/http; msgtype=response\r\n")
    return fields + (b"Content-Length: %d\r\n\r\n" % length if length is not None else extra)


HTTP_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>"
HTML_TAIL = b"</p></body></html>"


def encoded_gzip(writer: WARCWriter) -> None:
    _response(writer, BOMB, gzip_bomb(b"<html><body><p>", GIB, HTML_TAIL), [("Content-Encoding", "gzip")])


def encoded_brotli(writer: WARCWriter) -> None:
    compressor = brotli.Compressor(quality=5)
    body = b"".join([compressor.process(b"<html><body><p>"), *(compressor.process(ZEROS) for _ in range(GIB)),
                     compressor.process(HTML_TAIL), compressor.finish()])
    _response(writer, BOMB, body, [("Content-Encoding", "br")])


def member(writer: WARCWriter) -> None:
    length = len(HTTP_HEAD) + GIB * MIB + len(HTML_TAIL)
    writer.out.write(gzip_bomb(_warc_head(length) + HTTP_HEAD, GIB, HTML_TAIL + b"\r\n\r\n"))


def http_header_lines(writer: WARCWriter) -> None:
    lines = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    filler = lines * (MIB // len(lines)) + b"X" * (MIB % len(lines)) + b": a\r\n"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    length = len(head) + GIB * len(filler) + 2
    writer.out.write(gzip_bomb(_warc_head(length) + head, GIB, b"\r\n\r\n\r\n", filler))


def warc_header_line(writer: WARCWriter) -> None:
    writer.out.write(gzip_bomb(_warc_head(extra=b"X-Endless: "), GIB, b"\r\n\r\n\r\n", b"a" * MIB))


def blank_lines(writer: WARCWriter) -> None:
    writer.out.write(gzip_bomb(b"", GIB, b"", b"\r\n" * (MIB // 2)))


def member_blank_lines(writer: WARCWriter) -> None:
    """A record whose gzip member goes on with 1 GiB of blank lines after it."""
    record = (b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000025>\r\n"
              b"WARC-Date: 2024-01-02T00:00:00Z\r\nWARC-Target-URI: " + BOMB.encode() + b"\r\n"
              b"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok\r\n\r\n")
    writer.out.write(gzip_bomb(record, GIB, b"", b"\r\n" * (MIB // 2)))


def plain_blank_lines(writer: WARCWriter) -> None:
    """256 MiB of blank lines between two records of an uncompressed WARC (warcio reads them one
    by one: minutes)."""
    for _ in range(256):
        writer.out.write(b"\r\n" * (MIB // 2))


BOMBS = {  # name -> (writer of the bomb record, the reason recorded)
    "content-encoding-gzip": (encoded_gzip, f"decoded body over {DOWNLOAD_MAXSIZE} bytes"),
    "content-encoding-br": (encoded_brotli, f"decoded body over {DOWNLOAD_MAXSIZE} bytes"),
    "member": (member, "over 16842752 (DOWNLOAD_MAXSIZE and DOWNLOAD_MAX_HEADER_BYTES)"),
    "http-header-lines": (http_header_lines, "more than 100 HTTP header lines"),
    "warc-header-line": (warc_header_line, "WARC headers over 65536 bytes"),
    "blank-lines": (blank_lines, "unreadable WARC record"),
    "member-blank-lines": (member_blank_lines, "more than 100 blank lines in a row"),
    "plain-blank-lines": (plain_blank_lines, "more than 100 blank lines in a row"),
}


@pytest.fixture(scope="module", params=list(BOMBS))
def imported(request, tmp_path_factory):
    name = request.param
    tmp = tmp_path_factory.mktemp(name)
    plain = name.startswith("plain-")
    path = tmp / f"{name}.warc{'' if plain else '.gz'}"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=not plain, warc_version="1.1")
        _article(writer, BEFORE, "Before the bomb")
        offset = out.tell()
        BOMBS[name][0](writer)
        _article(writer, AFTER, "After the bomb")
    db = tmp / "archive.db"
    result = run([sys.executable, "-m", "bbn_scraper", "import-warc", str(path), "--db", str(db), "--processes", "0"],
                 timeout=120)
    return name, path, offset, db, result


def test_the_import_ends_cleanly(imported):
    result = imported[4]
    assert result.returncode == 0, result.stderr
    for marker in UNHANDLED:
        assert marker not in result.stderr, result.stderr


def test_the_bomb_is_one_error_with_file_and_offset(imported):
    name, path, offset, db, _ = imported
    errors = rows(db, "SELECT stage, reason FROM errors")
    assert len(errors) == 1, errors
    assert errors[0]["stage"] == "fetch"
    assert f"{path} at offset {offset}" in errors[0]["reason"], errors[0]["reason"]
    assert BOMBS[name][1] in errors[0]["reason"], errors[0]["reason"]


def test_the_articles_around_it_are_archived_and_no_page_is_over_the_limit(imported):
    db = imported[3]
    assert {a["url"] for a in rows(db, "SELECT url FROM articles")} == {BEFORE, AFTER}
    pages = rows(db, "SELECT url, size FROM pages")
    assert BOMB not in {p["url"] for p in pages}
    assert max(p["size"] for p in pages) <= DOWNLOAD_MAXSIZE


def test_peak_memory_stays_flat(imported):
    result = imported[4]
    print(f"{imported[0]}: peak RSS {result.peak_mb:.0f} MB, {result.seconds:.1f} s", file=sys.stderr)
    assert 0 < result.peak_mb < MAX_RSS_MB, (imported[0], result.peak_mb, result.seconds)


def test_bombs_are_small_files(imported):
    if imported[1].suffix == ".gz":
        assert Path(imported[1]).stat().st_size < 8 * MIB
