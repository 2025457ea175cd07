"""Issue 24, item 2: a reader cannot take down `serve`, nor `export-warc` need the page's size
in memory. An archive written by an older bbn-archive may hold a page far over DOWNLOAD_MAXSIZE:
here a 2 GiB page whose stored body is a 2 MB zlib stream, and a page stored as a WARC record
whose Content-Encoding expands to 1 GiB. Before the bound, three concurrent reads of the 2 GiB
page took the server to 8.5 GB, the clients got broken answers and /-/versions.json took 23.5 s.
Now each read gets the page's first 16 MiB and a notice, the server stays under 300 MB and other
requests answer within a second; export-warc streams the page."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import urllib.request
from io import BytesIO

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import Archive
from bbn_scraper.app.datasette import reading, reading_room
from bbn_scraper.settings import DOWNLOAD_MAXSIZE
from tests.helpers import DatasetteClient, free_port, wait_for_http
from tests.hostile.bombs import MIB, ZEROS, gzip_bomb, zlib_bomb
from tests.hostile.hostile_crawl import UNHANDLED, run, vm_hwm_mb

MAX_RSS_MB = 300
READERS = 3
HEAD = b"<html><body><p>"
PAGE_URL = "https://bombs.example/2024/01/02/huge/"
SMALL = b"<html><body><p>An ordinary page.</p></body></html>"


def add_page(archive: Archive, crawl_id: int, url: str, size: int, body: bytes, sha256: str = "0" * 64, **warc) -> int:
    """A page row as an older bbn-archive could have stored it (record_page takes the body whole)."""
    with archive.transaction():
        return archive._insert("pages", {
            "url": url, "crawl_id": crawl_id, "fetched_at": "2024-01-02T00:00:00+00:00", "status": 200,
            "content_type": "text/html; charset=utf-8", "size": size, "sha256": sha256,
            "compression": "warc" if warc else "zlib", "body": b"" if warc else body, **warc})


def huge_archive(folder, mib: int, digest: bool = False) -> tuple:
    """An archive with a page of `mib` MiB (zlib), one of 1 GiB (a WARC record, Content-Encoding
    gzip) and a small one; their ids. `digest`: the big page's row has its body's true sha256
    (export-warc checks it), not a placeholder (a reader serving the page streams it unchecked)."""
    sha256 = hashlib.sha256(HEAD)
    for _ in range(mib if digest else 0):
        sha256.update(ZEROS)
    warc = folder / "old.warc.gz"
    with open(warc, "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            PAGE_URL + "warc/", "response", payload=BytesIO(gzip_bomb(HEAD, 1024)), http_headers=http))
        length = out.tell()
    with Archive(folder / "archive.db", create=True) as archive:
        crawl_id = archive.start_crawl(["https://bombs.example/"])
        huge = add_page(archive, crawl_id, PAGE_URL, mib * MIB + len(HEAD), zlib_bomb(mib, HEAD),
                        sha256.hexdigest() if digest else "0" * 64)
        recorded = add_page(archive, crawl_id, PAGE_URL + "warc/", 1024 * MIB + len(HEAD), b"", warc_file=warc.name,
                            warc_offset=0, warc_length=length, warc_digest="")
        small = archive.record_page(crawl_id, "https://bombs.example/small/", 200, "text/html", SMALL)
    return folder / "archive.db", huge, recorded, small


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    db, *ids = huge_archive(tmp_path_factory.mktemp("serve"), 2048)
    port = free_port()
    err = db.parent / "server.err"
    with open(err, "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "bbn_scraper", "serve", "--db", str(db), "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/-/versions.json", proc)
        yield f"http://127.0.0.1:{port}/archive/", proc, err, ids
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def fetch(url: str, timeout: float = 60) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, dict(response.headers), response.read()


def read_concurrently(url: str, others: list[str]) -> tuple[list, list[float]]:
    """READERS reads of `url` at once; meanwhile each of `others` fetched, timed, over and over."""
    answers, threads = [], [threading.Thread(target=lambda: answers.append(fetch(url))) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    times = []
    while any(t.is_alive() for t in threads) or len(times) < len(others):
        started = time.monotonic()
        status = fetch(others[len(times) % len(others)], timeout=10)[0]
        times.append(time.monotonic() - started)
        assert status == 200
    for thread in threads:
        thread.join()
    return answers, times


@pytest.mark.parametrize("which", ["zlib", "warc"])
def test_concurrent_reads_of_a_huge_page_are_cut_and_bounded(served, which):
    base, proc, err, (huge, recorded, small) = served
    page_id = huge if which == "zlib" else recorded
    others = [base.replace("/archive/", "/-/versions.json"), f"{base}-/page/{small}", f"{base}pages.json?_size=5"]
    started = time.monotonic()
    answers, times = read_concurrently(f"{base}-/page/{page_id}", others)
    seconds = time.monotonic() - started
    for status, headers, body in answers:
        assert status == 200
        assert len(body) > DOWNLOAD_MAXSIZE and body[DOWNLOAD_MAXSIZE:].startswith(b"<p "), len(body)
        assert body.startswith(HEAD) and body[len(HEAD):DOWNLOAD_MAXSIZE] == bytes(DOWNLOAD_MAXSIZE - len(HEAD))
        assert b"shown truncated, its first 16,777,216 of 1," in body[DOWNLOAD_MAXSIZE:] or \
            b"shown truncated, its first 16,777,216 of 2," in body[DOWNLOAD_MAXSIZE:]
        assert headers["X-Bbn-Truncated"].startswith(f"{DOWNLOAD_MAXSIZE} of ")
    assert max(times) < 1, times
    rss = vm_hwm_mb(proc.pid)
    print(f"serve, {READERS} reads of the {which} page: peak RSS {rss:.0f} MB, {seconds:.1f} s,"
          f" slowest other request {max(times):.2f} s", file=sys.stderr)
    assert rss < MAX_RSS_MB
    assert fetch(f"{base}-/page/{small}")[2] == SMALL
    log = err.read_text()
    assert not any(marker in log for marker in UNHANDLED), log


def test_export_warc_streams_a_huge_page(tmp_path):
    mib = 320
    db, huge, _, _ = huge_archive(tmp_path, mib, digest=True)
    out = tmp_path / "out.warc.gz"
    result = run([sys.executable, "-m", "bbn_scraper", "export-warc", "--db", str(db), "-o", str(out)], timeout=120)
    assert result.returncode == 0, result.stderr
    print(f"export-warc of a {mib} MiB page: peak RSS {result.peak_mb:.0f} MB, {result.seconds:.1f} s", file=sys.stderr)
    assert 0 < result.peak_mb < MAX_RSS_MB, result.peak_mb
    sizes = {}
    with open(out, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests=True):
            if record.rec_type == "response":
                size = 0
                while chunk := record.raw_stream.read(MIB):
                    size += len(chunk)
                assert record.digest_checker.passed is not False, record.digest_checker.problems
                sizes[record.rec_headers.get_header("WARC-Target-URI")] = size
    assert sizes[PAGE_URL] == mib * MIB + len(HEAD)
    assert os.path.getsize(out) < 8 * mib * MIB // 1024


ENDLESS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
VIEWS = {"-/page/1": (reading, "stored_page"), "-/article/1": (reading, "article_page"),
         "-/search?q=page": (reading_room, "_article_hits")}


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_reading_room_view_stops_at_the_time_limit(tmp_path, monkeypatch, view):
    """A view whose reading never ends (a query without end in its place) is a 400 page
    saying so once sql_time_limit_ms is over, as Datasette's own queries are."""
    from bbn_scraper.app.serve import build_datasette

    monkeypatch.setattr(*VIEWS[view], lambda conn, *args: conn.execute(ENDLESS).fetchone())
    db = huge_archive(tmp_path, 1)[0]
    client = DatasetteClient(build_datasette(db, {"sql_time_limit_ms": 200}), "archive")
    try:
        started = time.monotonic()
        response = client.get("/archive/" + view, status=400)
        assert time.monotonic() - started < 5
        assert "time limit (200 ms)" in response.text
    finally:
        client.close()
