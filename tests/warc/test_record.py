"""Recording a crawl as WARC 1.1 (bbn_scraper.crawler.warc): request/response pairs, digests, warcinfo,
revisits, rotation, Content-Encoding kept as sent, and failed writes recorded."""
from __future__ import annotations

import gzip
import re

from warcio.archiveiterator import ArchiveIterator

from bbn_scraper.sample_site.server import SampleSite
from tests.helpers import crawl, rows
from tests.warc.conftest import warc_files, warcio_check
from tests.warc.gzip_server import PAGE, GzipServer

NAME = re.compile(r"^bbn-\d{20}-\d{5}\.warc\.gz$")


def records(folder):
    for path in warc_files(folder):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                yield path, record, record.raw_stream.read()


def test_every_fetch_is_a_request_and_response_pair_that_warcio_check_passes(warc_crawl):
    files = warc_files(warc_crawl.warc_dir)
    assert len(files) == 1 and NAME.match(files[0].name)
    check = warcio_check(*files)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout
    found = list(records(warc_crawl.warc_dir))
    first = found[0][1]
    assert first.rec_type == "warcinfo" and first.rec_headers.get_header("WARC-Record-ID")
    assert b"software: bbn-archive/" in found[0][2] and b"isPartOf: crawl 1" in found[0][2]
    responses = {r.rec_headers.get_header("WARC-Record-ID"): r for _, r, _ in found if r.rec_type == "response"}
    revisits = {r.rec_headers.get_header("WARC-Record-ID"): r for _, r, _ in found if r.rec_type == "revisit"}
    requests = [r for _, r, _ in found if r.rec_type == "request"]
    assert len(requests) == len(responses) + len(revisits) > 50  # one crawl may fetch a URL twice
    assert {r.rec_headers.get_header("WARC-Concurrent-To") for r in requests} == set(responses) | set(revisits)
    for record in [*requests, *responses.values()]:
        assert record.rec_headers.protocol == "WARC/1.1"
        assert record.rec_headers.get_header("WARC-Block-Digest").startswith("sha1:")
        assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    pages = {row["url"] for row in rows(warc_crawl.db, "SELECT url FROM pages")}
    recorded = {r.rec_headers.get_header("WARC-Target-URI") for r in responses.values()}
    assert pages <= recorded
    article, raw = next((r, raw) for _, r, raw in found if r.rec_type == "response"
                        and r.rec_headers.get_header("WARC-Target-URI") == warc_crawl.manifest["articles"][0]["url"])
    assert article.http_headers.statusline == "200 OK"
    assert article.http_headers.get_header("Server") == "bbn-sample-site/1.0"
    assert warc_crawl.manifest["articles"][0]["headline"].encode() in raw


def test_content_encoding_is_recorded_as_sent_and_a_304_is_a_revisit(tmp_path):
    with GzipServer() as server:
        crawl(tmp_path / "a.db", server.url, "--warc", str(tmp_path / "w"))
        crawl(tmp_path / "a.db", server.url, "--warc", str(tmp_path / "w"), check=False)  # 304: nothing new
    files = warc_files(tmp_path / "w")
    assert len(files) == 2 and warcio_check(*files).returncode == 0
    pages = [(r, raw) for _, r, raw in records(tmp_path / "w") if r.rec_headers.get_header("WARC-Target-URI") == server.url
             and r.rec_type in ("response", "revisit")]
    (first, raw), (revisit, _) = pages
    assert first.http_headers.get_header("Content-Encoding") == "gzip"
    body = raw  # raw_stream: the payload, after the HTTP headers
    assert body[:2] == b"\x1f\x8b" and gzip.decompress(body) == PAGE  # the bytes the server sent
    assert revisit.rec_type == "revisit" and revisit.http_headers.statusline.startswith("304")
    assert revisit.rec_headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert revisit.rec_headers.get_header("WARC-Refers-To") == first.rec_headers.get_header("WARC-Record-ID")
    assert revisit.rec_headers.get_header("WARC-Payload-Digest") == first.rec_headers.get_header("WARC-Payload-Digest")
    assert revisit.rec_headers.get_header("WARC-Refers-To-Date") == first.rec_headers.get_header("WARC-Date")


def test_an_unchanged_refetch_is_a_revisit_and_files_rotate_at_their_size(tmp_path):
    with SampleSite(port=0) as site:
        for _ in range(2):
            # A queue of one: process_response waits for room off the event loop, nothing is lost.
            crawl(tmp_path / "a.db", site.base_url, "--warc", str(tmp_path / "w"), "-s", "WARC_MAX_SIZE=100000",
                  "-s", "WARC_QUEUE_SIZE=1")
    files = warc_files(tmp_path / "w")
    assert len(files) > 4 and all(NAME.match(f.name) for f in files)
    assert [int(f.name[-13:-8]) for f in files if f.name[4:12] == files[0].name[4:12]][:3] == [1, 2, 3]
    assert warcio_check(*files).returncode == 0
    found = [r for _, r, _ in records(tmp_path / "w")]
    by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for r in found}
    revisits = [r for r in found if r.rec_type == "revisit"]
    assert len(revisits) > 5  # listing pages, robots.txt, sitemaps fetched again, unchanged
    fetched = sum(r["pages"] for r in rows(tmp_path / "a.db", "SELECT pages FROM crawls"))
    assert len([r for r in found if r.rec_type in ("response", "revisit")]) >= fetched
    for revisit in revisits:
        original = by_id[revisit.rec_headers.get_header("WARC-Refers-To")]
        assert original.rec_type == "response"
        assert original.rec_headers.get_header("WARC-Payload-Digest") == revisit.rec_headers.get_header("WARC-Payload-Digest")
        assert original.rec_headers.get_header("WARC-Target-URI") == revisit.rec_headers.get_header("WARC-Target-URI")
    for path in files:
        with open(path, "rb") as stream:
            assert next(iter(ArchiveIterator(stream))).rec_type == "warcinfo"


def test_a_failed_warc_write_is_an_error_row_and_the_crawl_goes_on(tmp_path):
    with SampleSite(port=0) as site:
        # A prefix naming a folder that does not exist: every file fails to open.
        result = crawl(tmp_path / "a.db", site.base_url, "--warc", str(tmp_path / "w"), "-s", "WARC_PREFIX=no/such")
    assert result.returncode == 0
    errors = rows(tmp_path / "a.db", "SELECT url, stage, reason FROM errors WHERE reason LIKE 'WARC%'")
    assert len(errors) > 50 and all(e["url"] and e["stage"] == "store" for e in errors)
    assert "FileNotFoundError" in errors[0]["reason"]
    assert rows(tmp_path / "a.db", "SELECT count(*) AS n FROM articles")[0]["n"] > 30
    crawl_row = rows(tmp_path / "a.db", "SELECT errors FROM crawls")[0]
    assert crawl_row["errors"] >= len(errors)


def test_a_warc_folder_that_cannot_be_made_is_one_line_and_exit_status_2(tmp_path):
    (tmp_path / "file").write_text("")
    result = crawl(tmp_path / "a.db", "http://127.0.0.1:9/", "--warc", str(tmp_path / "file" / "warc"), check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--warc" in result.stderr and "cannot write WARC files there" in result.stderr


def test_a_304_to_a_url_never_captured_is_a_server_not_modified_revisit(tmp_path):
    with GzipServer() as server:
        crawl(tmp_path / "a.db", server.url)  # recording off: the 200 is not in any WARC
        crawl(tmp_path / "a.db", server.url, "--warc", str(tmp_path / "w"), check=False)
    files = warc_files(tmp_path / "w")
    assert warcio_check(*files).returncode == 0
    (revisit,) = [r for _, r, _ in records(tmp_path / "w") if r.rec_type in ("response", "revisit")
                  and r.rec_headers.get_header("WARC-Target-URI") == server.url]
    assert revisit.rec_type == "revisit" and revisit.http_headers.statusline.startswith("304")
    assert revisit.rec_headers.get_header("WARC-Profile").endswith("/revisit/server-not-modified")
    assert revisit.rec_headers.get_header("WARC-Refers-To") is None


def test_an_unusable_warc_dir_setting_is_an_error_row_not_silence(tmp_path):
    (tmp_path / "file").write_text("")
    with SampleSite(port=0) as site:
        result = crawl(tmp_path / "a.db", site.base_url, "-s", f"WARC_DIR={tmp_path / 'file' / 'warc'}")
    assert result.returncode == 0
    (error,) = rows(tmp_path / "a.db", "SELECT url, stage, reason FROM errors WHERE reason LIKE 'WARC%'")
    assert error["stage"] == "store" and error["reason"].startswith("WARC recording off: NotADirectoryError")
