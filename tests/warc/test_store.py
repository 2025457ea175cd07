"""The WARC files as the raw store (archive.warc_store, migration m006_warc): a crawl with
recording on keeps where each page's response record is, no body copy; page_body, reparse,
verify and export-warc read the records."""
from __future__ import annotations

import gzip
import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive import Archive
from archive.warc_store import WarcRef
from bbn_scraper.sample_site.server import SampleSite
from tests.helpers import crawl, rows
from tests.warc.conftest import warc_files, warcio_check
from tests.warc.gzip_server import PAGE, GzipServer

INDEXED = "SELECT id, url, sha256, compression, length(body) AS kept, warc_file, warc_offset, warc_length, warc_digest FROM pages"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bbn_scraper", *args], capture_output=True, text=True, timeout=300)


def record_at(path: Path, offset: int):
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return record, record.content_stream().read()


def copy_of(warc_crawl, tmp_path: Path) -> tuple[Path, Path]:
    """The crawl's archive and WARC folder copied side by side (warc_file is relative)."""
    shutil.copy(warc_crawl.db, tmp_path / "archive.db")
    shutil.copytree(warc_crawl.warc_dir, tmp_path / "warc")
    return tmp_path / "archive.db", warc_files(tmp_path / "warc")[0]


def test_a_recording_crawl_keeps_no_body_copy_and_pages_index_their_response_records(warc_crawl):
    pages = rows(warc_crawl.db, INDEXED)
    assert len(pages) > 50
    assert {(p["compression"], p["kept"]) for p in pages} == {("warc", 0)}
    with Archive(warc_crawl.db) as archive:
        for page in pages:
            assert page["warc_file"].startswith("warc/bbn-")  # under the archive's folder: relative
            record, body = record_at(warc_crawl.db.parent / page["warc_file"], page["warc_offset"])
            assert record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == page["url"]
            assert record.rec_headers.get_header("WARC-Payload-Digest") == page["warc_digest"]
            assert hashlib.sha256(archive.page_body(page["id"])).hexdigest() == page["sha256"]
    ok = cli("verify", "--db", str(warc_crawl.db))
    assert ok.returncode == 0 and f"ok   WARC records of pages: {len(pages)} pages in 1 WARC files" in ok.stdout, ok.stdout


def test_a_gzipped_page_is_read_back_decoded_from_its_record_as_sent(tmp_path):
    with GzipServer() as server:
        crawl(tmp_path / "a.db", server.url, "--warc", str(tmp_path / "w"))
    (page,) = rows(tmp_path / "a.db", INDEXED)
    assert page["compression"] == "warc" and page["kept"] == 0
    record, _ = record_at(tmp_path / page["warc_file"], page["warc_offset"])
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    with Archive(tmp_path / "a.db") as archive:
        assert archive.page_body(page["id"]) == PAGE


def test_a_recrawl_s_unchanged_pages_are_revisit_records_and_not_stored_again(tmp_path):
    """Byte-identical pages are not stored again (issue 13): a re-crawl of the unchanged site adds
    no page rows, its WARC has revisit records of first-crawl pages for what it fetched, and every page of the
    first crawl still reads back from the record it indexes."""
    with SampleSite(port=0) as site:
        for _ in range(2):
            crawl(tmp_path / "a.db", site.base_url, "--warc", str(tmp_path / "w"), "--full")
    first = rows(tmp_path / "a.db", INDEXED + " WHERE crawl_id = 1")
    assert first and all(p["compression"] == "warc" for p in first)
    assert rows(tmp_path / "a.db", INDEXED + " WHERE crawl_id = 2") == []
    revisits = []
    for path in warc_files(tmp_path / "w"):
        with open(path, "rb") as stream:
            revisits += [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream)
                         if r.rec_type == "revisit"]
    assert set(revisits) & {p["url"] for p in first}  # listing pages fetched again, unchanged
    with Archive(tmp_path / "a.db") as archive:
        assert all(hashlib.sha256(archive.page_body(p["id"])).hexdigest() == p["sha256"] for p in first)


def test_reparse_reads_the_records_and_a_missing_warc_file_is_one_line(warc_crawl, tmp_path):
    db, recorded = copy_of(warc_crawl, tmp_path)
    articles = len(rows(db, "SELECT id FROM articles"))
    result = cli("reparse", "--db", str(db))
    assert result.returncode == 0 and f"{articles} pages parsed" in result.stderr + result.stdout
    assert ", 0 failed" in result.stderr + result.stdout, result.stderr
    recorded.unlink()
    checked = cli("verify", "--db", str(db))
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    lost = [line for line in checked.stdout.splitlines() if "is missing" in line]
    assert lost == [f"       WARC file {recorded} is missing: the bodies of its {len(rows(db, INDEXED))} pages are lost"]
    again = cli("reparse", "--db", str(db))
    assert "Traceback" not in again.stderr and f"{articles} failed" in again.stderr + again.stdout
    reasons = rows(db, "SELECT reason FROM errors WHERE crawl_id = (SELECT max(id) FROM crawls)")
    assert len(reasons) == articles and all(r["reason"].endswith(f"WARC file {recorded} is missing") for r in reasons)


def test_verify_finds_a_truncated_warc_file_and_an_altered_record(warc_crawl, tmp_path):
    db, recorded = copy_of(warc_crawl, tmp_path)
    data = recorded.read_bytes()
    article = warc_crawl.manifest["articles"][0]
    (page,) = rows(db, INDEXED + " WHERE url = ?", [article["url"]])
    start, length = page["warc_offset"], page["warc_length"]
    member = gzip.decompress(data[start:start + length])
    headline = article["headline"].encode()
    assert headline in member
    # Altered: the headline changed, the gzip member rewritten (valid gzip, wrong digests) and
    # appended, the page's index pointing to it.
    changed = gzip.compress(member.replace(headline, headline.swapcase()))
    recorded.write_bytes(data + changed)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE pages SET warc_offset = ?, warc_length = ? WHERE id = ?", [len(data), len(changed), page["id"]])
    conn.commit()
    conn.close()
    altered = cli("verify", "--db", str(db))
    assert altered.returncode == 1, altered.stdout
    problem = next(line for line in altered.stdout.splitlines() if f"page {page['id']} " in line)
    assert "digest" in problem.lower(), altered.stdout
    recorded.write_bytes(data[: len(data) // 2])
    cut = cli("verify", "--db", str(db))
    assert cut.returncode == 1 and "FAIL WARC records of pages" in cut.stdout and "is truncated" in cut.stdout, cut.stdout


def test_export_warc_copies_the_recorded_response_and_request_records(warc_crawl, tmp_path):
    out = tmp_path / "all.warc.gz"
    result = cli("export-warc", "--db", str(warc_crawl.db), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert warcio_check(out).returncode == 0
    recorded = warc_files(warc_crawl.warc_dir)[0].read_bytes()
    exported = out.read_bytes()
    pages = rows(warc_crawl.db, INDEXED)
    for page in pages:  # each response record is in the export byte for byte
        assert recorded[page["warc_offset"]:page["warc_offset"] + page["warc_length"]] in exported
    with open(out, "rb") as stream:
        found = [(r.rec_type, r.rec_headers, r.http_headers) for r in ArchiveIterator(stream)]
    responses = {h.get_header("WARC-Record-ID") for kind, h, _ in found if kind == "response"}
    requests = [h for kind, h, _ in found if kind == "request"]
    assert len(responses) == len(pages) and {h.get_header("WARC-Concurrent-To") for h in requests} == responses
    assert not any(h.get_header("WARC-Bbn-Reconstructed") for _, h, _ in found)


def test_an_archive_from_before_m006_migrates_and_keeps_its_bodies(tmp_path):
    path = tmp_path / "old.db"
    with Archive(path, create=True) as archive:
        crawl_id = archive.start_crawl(["http://127.0.0.1/"])
        page_id = archive.record_page(crawl_id, "http://127.0.0.1/a", 200, "text/html", b"<p>kept</p>")
    conn = sqlite3.connect(path)  # as an archive of the version before: no m006, no warc columns
    for column in ("warc_file", "warc_offset", "warc_length", "warc_digest"):
        conn.execute(f"ALTER TABLE pages DROP COLUMN {column}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm006_warc'")
    conn.commit()
    conn.close()
    with Archive(path) as archive:
        assert archive.page_body(page_id) == b"<p>kept</p>"
        ref = WarcRef(str(tmp_path / "elsewhere" / "x.warc.gz"), 10, 20, "sha1:X", "http://127.0.0.1/b")
        indexed = archive.record_page(crawl_id, ref.url, 200, "text/html", b"<p>b</p>", warc=ref)
    (row,) = rows(path, INDEXED + " WHERE id = ?", [indexed])
    assert (row["compression"], row["kept"], row["warc_file"]) == ("warc", 0, "elsewhere/x.warc.gz")
    outside = Path("/") / "srv" / "x.warc.gz"
    with Archive(path) as archive:
        far = archive.record_page(crawl_id, ref.url, 200, "text/html", b"", warc=ref._replace(file=str(outside)))
    assert rows(path, "SELECT warc_file FROM pages WHERE id = ?", [far]) == [{"warc_file": str(outside)}]


def test_a_request_copied_from_a_recorded_one_still_goes_to_a_jobdir_queue(tmp_path):
    from scrapy import Request
    from scrapy.squeues import PickleFifoDiskQueue
    from scrapy.utils.test import get_crawler

    from bbn_scraper.crawler.warc import WARC_META, Location

    queue = PickleFifoDiskQueue.from_crawler(get_crawler(), str(tmp_path / "q"))
    queue.push(Request("http://127.0.0.1/a", meta={WARC_META: Location(), "depth": 2}))  # a redirect's copy
    assert queue.pop().meta == {WARC_META: None, "depth": 2}


def test_a_crawl_without_recording_keeps_bodies_and_export_warc_rebuilds_their_records(sample_crawl, tmp_path):
    pages = rows(sample_crawl.db, INDEXED)
    assert pages and all(p["compression"] == "zlib" and p["kept"] > 0 and p["warc_file"] is None for p in pages)
    out = tmp_path / "rebuilt.warc.gz"
    assert cli("export-warc", "--db", str(sample_crawl.db), "-o", str(out)).returncode == 0
    assert warcio_check(out).returncode == 0
    with open(out, "rb") as stream:
        found = [(r.rec_type, r.rec_headers) for r in ArchiveIterator(stream)]
    assert all(h.get_header("WARC-Bbn-Reconstructed") for kind, h in found if kind in ("response", "revisit"))
    assert sum(kind in ("response", "revisit") for kind, _ in found) == len(pages)
    assert not any(kind == "request" for kind, _ in found)
