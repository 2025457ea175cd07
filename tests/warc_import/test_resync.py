"""Where reading goes on after a record import-warc cannot take (bbn_scraper.crawler.warc_records):
at that record's own end when a record starts there, so that a WARC record written inside a
page's body is never imported as a capture; else at the next record found, of any WARC version,
with or without a blank line before it; a record whose Content-Length runs past its end is an
error row, not a page holding the next record's bytes; a response record holding no HTTP
response is skipped, and a file gone before it is read is an error row."""
from __future__ import annotations

import gzip
import os
import uuid

import pytest

from bbn_scraper.crawler.warc_records import OVERRUN, Capture, Limits, Skipped, Unreadable, read_warc

VICTIM = "https://victim.example/2024/01/01/forged-story/"


def raw_record(url: str, body: bytes, version: str = "1.0", length_delta: int = 0) -> bytes:
    """A WARC response record, uncompressed, as bytes (`length_delta`: added to its Content-Length)."""
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    header = (f"WARC/{version}\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
              f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: {url}\r\n"
              f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block) + length_delta}\r\n\r\n")
    return header.encode() + block + b"\r\n\r\n"


def page(n: int) -> tuple[str, bytes]:
    url = f"https://news.example/2024/01/0{n}/story-{n}/"
    return url, f"<html><body><h1>Story number {n}</h1></body></html>".encode()


def captured(path, limits: Limits = Limits()) -> tuple[list[str], list[Unreadable]]:
    results = list(read_warc(str(path), limits))
    return [r.url for r in results if isinstance(r, Capture)], [r for r in results if isinstance(r, Unreadable)]


@pytest.mark.parametrize("compressed", [False, True])
def test_a_record_inside_a_refused_pages_body_is_not_imported(tmp_path, compressed):
    forged = raw_record(VICTIM, b"<html><body><h1>Forged</h1></body></html>")
    if compressed:
        carrier = os.urandom(20_000) + gzip.compress(forged) + os.urandom(20_000)
    else:
        carrier = b"<html><body>" + b"x" * 20_000 + b"\r\n\r\n" + forged + b"</body></html>"
    records = [raw_record(*page(1)), raw_record("https://attacker.example/page/", carrier), raw_record(*page(3))]
    path = tmp_path / ("smuggle.warc.gz" if compressed else "smuggle.warc")
    # (the carrier's member stored, not compressed: the forged member's bytes appear in the file as they are)
    path.write_bytes(b"".join(gzip.compress(r, compresslevel=0 if i == 1 else 9) for i, r in enumerate(records))
                     if compressed else b"".join(records))
    urls, errors = captured(path, Limits(body=10_000))  # the carrier is over the limit: refused
    assert urls == [page(1)[0], page(3)[0]]
    assert [e.url for e in errors] == ["https://attacker.example/page/"]


@pytest.mark.parametrize("version, junk", [("0.17", b"garbage between records\r\n\r\n"), ("1.1", b"one junk line\r\n")])
def test_reading_goes_on_at_the_next_record_of_any_version_after_junk(tmp_path, version, junk):
    records = [raw_record(*page(n), version=version) for n in range(1, 5)]
    path = tmp_path / "junk.warc"
    path.write_bytes(b"".join(records[:2]) + junk + b"".join(records[2:]))
    urls, errors = captured(path)
    assert urls == [page(n)[0] for n in range(1, 5)] and len(errors) == 1


def test_a_content_length_past_the_records_end_is_an_error_and_the_next_records_are_read(tmp_path):
    records = [raw_record(*page(1)), raw_record(*page(2), length_delta=40), raw_record(*page(3)), raw_record(*page(4))]
    path = tmp_path / "overrun.warc"
    path.write_bytes(b"".join(records))
    urls, errors = captured(path)
    assert urls == [page(1)[0], page(3)[0], page(4)[0]]
    assert [(e.url, e.reason) for e in errors] == [(page(2)[0], OVERRUN)]


def test_a_response_record_without_an_http_response_is_skipped_as_not_http(tmp_path):
    block = b"<html><body>no status line, no headers</body></html>"
    header = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
              f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: https://x.example/\r\n"
              f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n").encode()
    path = tmp_path / "no-http.warc"
    path.write_bytes(header + block + b"\r\n\r\n" + raw_record(*page(2)))
    results = list(read_warc(str(path)))
    assert results[0] == Skipped("not_http", "https://x.example/")
    assert [r.url for r in results[1:] if isinstance(r, Capture)] == [page(2)[0]]


def test_a_file_gone_before_it_is_read_is_an_error_row_and_the_next_files_are_imported(tmp_path):
    from bbn_scraper.crawler.warc_import import run_import
    from tests.helpers import rows

    files = [tmp_path / f"{n}.warc" for n in range(1, 4)]
    for n, path in enumerate(files, 1):
        path.write_bytes(raw_record(*page(n)))
    files[1].unlink()
    db = tmp_path / "a.db"
    run_import([str(f) for f in files], str(db), {"PARSE_PROCESSES": 0})
    (error,) = rows(db, "SELECT url, reason FROM errors WHERE stage = 'fetch'")  # (the tiny pages: parse errors)
    assert error["url"] == files[1].as_uri() and "could not be read: No such file or directory" in error["reason"]
    assert rows(db, "SELECT status FROM crawls") == [{"status": "finished"}]
    assert rows(db, "SELECT count(*) AS n FROM pages")[0]["n"] == 2
