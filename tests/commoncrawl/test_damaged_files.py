"""What a Common Crawl backfill makes of damaged files and servers that misbehave (tests/commoncrawl/
cc_server.py on 127.0.0.1): a damaged record is an error row and reading goes on at the next
record; a file cut anywhere inside a record is an error row; a gzip bomb and a header without end
are refused without being read through; a 206 from the wrong byte is refused; a file that is no
WARC is an error row and the files after it are read."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import time

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.backfill import FilePosition
from bbn_scraper.crawler.commoncrawl import FileRead, Pause, read_file
from bbn_scraper.crawler.http_files import FetchPolicy, HttpFiles
from bbn_scraper.crawler.record_filter import RecordFilter
from bbn_scraper.crawler.warc_records import Capture, Limits, Unreadable
from tests.commoncrawl.cc_server import Behaviour, CommonCrawlServer, MONTH_LIST, path_list, warc_file
from tests.commoncrawl.test_import_commoncrawl import DIR, _command, article_urls, offsets, pages, run
from tests.helpers import rows

WANT = RecordFilter.build(domains=["alpha.com"])
FILE = f"{DIR}CC-NEWS-20240301000000-00001.warc.gz"


def read(data: bytes, behaviour: Behaviour | None = None, **policy) -> tuple[list, CommonCrawlServer]:
    """Everything read_file gives for `data` served as FILE."""
    with CommonCrawlServer({FILE: data}, {FILE: behaviour} if behaviour else {}) as server:
        files = HttpFiles(server.base_url, FetchPolicy("test", backoff=0.0, **policy))
        position = FilePosition(server.base_url + FILE, 0, False, 0, 0)
        return list(read_file(files, FileRead(position), WANT, Limits())), server


def kept(results: list) -> list[str]:
    return [r.url for r in results if isinstance(r, Capture)]


def errors(results: list) -> list[Unreadable]:
    return [r for r in results if isinstance(r, Unreadable)]


def record(url: str, payload: bytes, **headers) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http,
                                                  warc_headers_dict={"WARC-Date": "2024-03-10T10:00:00Z", **headers}))
    return out.getvalue()


def test_a_damaged_record_is_an_error_row_and_reading_goes_on_at_the_next_record():
    data = warc_file(pages("www.alpha.com", 6))
    starts = offsets(data)
    middle = (starts[3] + starts[4]) // 2
    damaged = data[:middle] + bytes(b ^ 0x55 for b in data[middle:middle + 40]) + data[middle + 40:]
    results, _ = read(damaged)
    (error,) = errors(results)
    assert error.offset == starts[3] and "reading goes on at the next record" in error.reason
    assert kept(results) == [url for i, (url, _) in enumerate(pages("www.alpha.com", 6)) if i != 3]
    assert results[-1] == FilePosition(error.path, len(data), True, 5, 5)


@pytest.mark.parametrize("into", [1, 8, 30, 200, -40, -1])
def test_a_file_cut_anywhere_inside_a_record_is_truncated_there(into):
    data = warc_file(pages("www.alpha.com", 3))
    last = offsets(data)[-1]
    cut = last + into if into > 0 else len(data) + into
    results, _ = read(data[:cut])
    (error,) = errors(results)
    assert error.offset == last and ("truncated" in error.reason or "header is truncated" in error.reason)
    assert len(kept(results)) == (3 if into == -1 else 2) and results[-1].done  # -1: the block whole, its CRC cut


def test_a_gzip_bomb_is_refused_before_it_is_read_through_and_the_next_record_is_read():
    bomb = record("https://beta.org/news/zeros", b"\0" * (24 << 20))  # a host not asked for: skipped, yet decompressed
    data = warc_file(pages("www.alpha.com", 1)) + bomb + warc_file(pages("www.alpha.com", 1, start=1))
    assert len(bomb) < 100_000
    results, _ = read(data)
    (error,) = errors(results)
    assert "gzip bomb" in error.reason and len(kept(results)) == 2


def test_a_warc_header_without_end_is_refused_even_on_a_record_skipped():
    huge = record("https://beta.org/news/huge", b"<html></html>", **{"WARC-Padding": os.urandom(200_000).hex()})
    data = huge + warc_file(pages("www.alpha.com", 1))
    results, _ = read(data)
    (error,) = errors(results)
    assert error.offset == 0 and "WARC headers over" in error.reason and len(kept(results)) == 1


def test_a_resumed_download_answered_from_another_byte_is_refused():
    data = warc_file(pages("www.alpha.com", 4))
    results, server = read(data, Behaviour(cut_after=offsets(data)[2] + 10, range_from=0))
    (failed,) = [r for r in results if not isinstance(r, (Capture, FilePosition, Pause))]
    assert "Content-Range" in failed.reason and "a later run tries it again" in failed.reason
    assert len(kept(results)) == 2 and not any(isinstance(r, FilePosition) and r.done for r in results)
    assert server.requests_of(FILE) == [None, f"bytes={offsets(data)[2]}-"]


def test_a_file_that_is_no_warc_is_an_error_row_and_the_files_after_it_are_read(tmp_path):
    first, junk, last = (f"{DIR}CC-NEWS-2024030{n}000000-0000{n}.warc.gz" for n in (1, 2, 3))
    import gzip
    files = {first: warc_file(pages("www.alpha.com", 1)), junk: gzip.compress(b"<html>no WARC</html>\n" * 50),
             last: warc_file(pages("www.alpha.com", 1, start=1))}
    db = tmp_path / "cc.db"
    with CommonCrawlServer({MONTH_LIST: path_list(list(files)), **files}) as server:
        run(db, server.base_url, "--month", "2024-03", "--domain", "alpha.com")
        (error,) = rows(db, "SELECT url, reason FROM errors")
        assert error["url"] == server.base_url + junk and "at offset 0" in error["reason"]
    assert len(article_urls(db)) == 2
    assert [r["done"] for r in rows(db, "SELECT done FROM backfill_files")] == [1, 1, 1]


def test_an_uncompressed_file_that_is_no_warc_is_not_read_as_records():
    results, _ = read(b"<html>this is not a WARC file</html>\n" * 50)
    (error,) = errors(results)
    assert error.offset == 0 and "not a WARC record" in error.reason and results[-1].done


def test_ctrl_c_stops_an_import_whose_download_stalls_at_once(tmp_path):
    """The server sends a piece of the file every 30 s: SIGINT is heard while the download waits,
    not when the next piece comes (the reading ran in the event loop's thread, so the handler
    waited for the read, up to --timeout)."""
    data = warc_file(pages("www.alpha.com", 20))
    with CommonCrawlServer({MONTH_LIST: path_list([FILE]), FILE: data}, {FILE: Behaviour(slow=30)}) as server:
        process = subprocess.Popen(_command(tmp_path / "cc.db", server.base_url, "--month", "2024-03", "--domain",
                                            "alpha.com"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not server.requests_of(FILE) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)  # the first piece read; the next one 30 s away
            process.send_signal(signal.SIGINT)
            sent = time.monotonic()
            _, stderr = process.communicate(timeout=60)
            waited = time.monotonic() - sent
        finally:
            process.kill()
    assert server.requests_of(FILE) and waited < 10, waited
    assert "Traceback" not in stderr and process.returncode in (0, 1), stderr


def test_max_minutes_ends_a_run_that_a_slow_server_keeps_going_and_the_next_run_goes_on(tmp_path):
    data = warc_file(pages("www.alpha.com", 12))
    db = tmp_path / "cc.db"
    slow = Behaviour(slow=2.0)  # a KiB every 2 s: ~16 s for the file
    with CommonCrawlServer({MONTH_LIST: path_list([FILE]), FILE: data}, {FILE: slow}) as server:
        started = time.monotonic()
        run(db, server.base_url, "--month", "2024-03", "--domain", "alpha.com", "--max-minutes", "0.05")
        seconds = time.monotonic() - started
        assert [r["status"] for r in rows(db, "SELECT status FROM crawls")] == ["time_limit"]
        assert [r["done"] for r in rows(db, "SELECT done FROM backfill_files")] in ([], [0])
        assert seconds < len(data) / 1024 * slow.slow - 4  # it did not wait for the whole file
        slow.slow = 0.0
        run(db, server.base_url, "--month", "2024-03", "--domain", "alpha.com")
    assert sorted(article_urls(db)) == sorted(url for url, _ in pages("www.alpha.com", 12))
    assert [r["done"] for r in rows(db, "SELECT done FROM backfill_files")] == [1]
