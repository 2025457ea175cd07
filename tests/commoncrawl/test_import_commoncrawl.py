"""`bbn-archive import-commoncrawl` against a synthetic CC-NEWS month served on 127.0.0.1
(tests/commoncrawl/cc_server.py): the filter, retries, a cut download, a truncated file, a
SIGKILL mid-file and the run that resumes it, and that nothing is requested outside the base URL."""
from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from bbn_scraper.app.cli import cli
from bbn_scraper.crawler.commoncrawl import news_files
from bbn_scraper.crawler.http_files import FetchPolicy, HttpFiles
from tests.commoncrawl.cc_server import (BASE_PATH, MONTH_LIST, Behaviour, CommonCrawlServer, article_html, path_list,
                                         warc_file)
from tests.helpers import rows

DIR = "crawl-data/CC-NEWS/2024/03/"
GZ, PLAIN, TRUNCATED, THROTTLED, CUT, LATE = (
    f"{DIR}CC-NEWS-2024030{n}000000-0000{n}.warc{'' if n == 2 else '.gz'}" for n in range(1, 7))


def pages(host: str, count: int, start: int = 0) -> list[tuple[str, bytes]]:
    word = host.split(".")[-2]
    return [(f"https://{host}/news/{word}-story-{host.split('.')[0]}-{i}",
             article_html(f"https://{host}/news/{word}-story-{host.split('.')[0]}-{i}",
                          f"{word.title()} {host.split('.')[0]} report {i} on harbour {i * 3} works"))
            for i in range(start, start + count)]


def offsets(data: bytes) -> list[int]:
    """Where each record of a WARC starts."""
    records = ArchiveIterator(io.BytesIO(data))
    found = []
    for _ in records:
        found.append(records.get_record_offset())
    return found


def wanted(tree: dict) -> set[str]:
    return {url for url in tree["urls"] if ".alpha.com/" in url}


@pytest.fixture(scope="module")
def tree() -> dict:
    """The month: six files, articles of alpha.com (kept), beta.org and gamma.net (not)."""
    bad_encoding = ("https://beta.org/news/undecodable", b"not gzip at all")
    gz = warc_file(pages("www.alpha.com", 3) + pages("beta.org", 3))
    # a record of another host whose payload claims gzip and is not: skipped, never decoded
    gz += warc_file([bad_encoding], gzip_records=True).replace(b"Content-Type: text/html; charset=UTF-8",
                                                               b"Content-Encoding: gzip\r\nContent-Type: text/html")
    plain = warc_file(pages("news.alpha.com", 2) + pages("gamma.net", 3), gzip_records=False)
    head = warc_file(pages("www.alpha.com", 2, start=10) + pages("beta.org", 1, start=10))
    last = warc_file(pages("www.alpha.com", 1, start=12))
    truncated = head + last[:len(last) // 2]
    throttled = warc_file(pages("www.alpha.com", 2, start=20) + pages("gamma.net", 2, start=20))
    cut = warc_file(pages("beta.org", 2, start=30) + pages("www.alpha.com", 4, start=30) + pages("gamma.net", 2, start=30))
    late = warc_file(pages("www.alpha.com", 1, start=40))
    files = {PLAIN: plain, GZ: gz, TRUNCATED: truncated, THROTTLED: throttled, CUT: cut, LATE: late}
    urls = [url for data in files.values() for url in _urls(data)]
    return {"files": {MONTH_LIST: path_list(list(files)), **files}, "urls": urls, "truncated_at": len(head),
            "cut_at": len(cut) * 3 // 5, "cut_offsets": offsets(cut)}


def _urls(data: bytes) -> list[str]:
    urls = []
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            urls.append(record.rec_headers.get_header("WARC-Target-URI"))
    except Exception:  # noqa: BLE001 - the truncated file's last record
        pass
    return urls


def run(db, base_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(_command(db, base_url, *args), capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"import-commoncrawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _command(db, base_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "bbn_scraper", "import-commoncrawl", "--base-url", base_url, "--contact",
            "tests@example.org", "--backoff", "0.01", "--max-wait", "0.05", "--workers", "0", "--db", str(db), *args]


def article_urls(db) -> list[str]:
    return [r["canonical_url"] for r in rows(db, "SELECT canonical_url FROM articles")]


def test_a_month_keeps_the_hosts_asked_for_and_goes_on_past_failures(tree, tmp_path):
    db = tmp_path / "cc.db"
    behaviours = {THROTTLED: Behaviour(fail_503=2), CUT: Behaviour(cut_after=tree["cut_at"])}
    with CommonCrawlServer(dict(tree["files"]), behaviours) as server:
        result = run(db, server.base_url, "--month", "2024-03", "--domain", "alpha.com")
        first_log = list(server.log)
        again = run(db, server.base_url, "--month", "2024-03", "--domain", "alpha.com")
    kept = wanted(tree) - {url for url in wanted(tree) if url.endswith("-12")}  # in the truncated record
    assert sorted(article_urls(db)) == sorted(kept)
    assert "Common Crawl: 6 files read to the end" in result.stdout
    # the 503s were retried, the cut download went on with a Range at a record boundary
    assert server.requests_of(THROTTLED) == [None, None, None]
    ranges = server.requests_of(CUT)
    assert ranges[0] is None and len(ranges) == 2 and ranges[1].startswith("bytes=")
    start = int(ranges[1].removeprefix("bytes=").rstrip("-"))
    assert start in tree["cut_offsets"] and 0 < start <= tree["cut_at"]
    # the truncated file is an error row with its offset; the undecodable record was never decoded
    (error,) = rows(db, "SELECT url, stage, reason FROM errors")
    assert error["stage"] == "fetch" and error["url"].endswith("-12")  # the record's URL
    assert f"{TRUNCATED} at offset {tree['truncated_at']}" in error["reason"] and "truncated" in error["reason"]
    crawl = rows(db, "SELECT start_urls, stats FROM crawls ORDER BY id")[0]
    stats = json.loads(crawl["stats"])
    assert json.loads(crawl["start_urls"]) == [server.base_url + MONTH_LIST]
    assert stats["bbn/commoncrawl/records_read"] == len(tree["urls"]) - 1  # all but the truncated one
    assert stats["bbn/commoncrawl/records_kept"] == len(kept)
    assert stats["bbn/commoncrawl/files_truncated"] == 1
    # nothing outside the base URL; the rerun reads the list, and no file again
    assert all(path.startswith(BASE_PATH) for path, _ in server.log)
    assert server.agents == {"bbn-archive/0.1 (+https://github.com/bbn-archive/bbn-archive; news archiving for research;"
                             " contact: tests@example.org)"}
    assert stats["bbn/import_kind"] == "commoncrawl"
    assert server.log[len(first_log):] == [(BASE_PATH + MONTH_LIST, None)]
    assert "6 done before" in again.stdout and sorted(article_urls(db)) == sorted(kept)
    assert [r["done"] for r in rows(db, "SELECT done FROM backfill_files")] == [1] * 6


def test_sigkill_mid_file_then_a_rerun_stores_each_article_once(tree, tmp_path):
    db = tmp_path / "cc.db"
    big = warc_file(pages("www.alpha.com", 30, start=100) + pages("beta.org", 10, start=100))
    files = {MONTH_LIST: path_list([GZ, CUT]), GZ: tree["files"][GZ], CUT: big}
    with CommonCrawlServer(files, {CUT: Behaviour(slow=0.01)}) as server:
        process = subprocess.Popen(_command(db, server.base_url, "--month", "2024-03", "--domain", "alpha.com",
                                            "--checkpoint-mb", "0.000001"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            saved = _wait_for_position(db, server.base_url + CUT, process)
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        server.behaviours[CUT].slow = 0
        killed_log = len(server.log)
        run(db, server.base_url, "--month", "2024-03", "--domain", "alpha.com")
    resumed = server.log[killed_log:]
    assert (BASE_PATH + GZ, None) not in resumed  # done before the kill: not read again
    assert [rng for path, rng in resumed if path == BASE_PATH + CUT] == [f"bytes={saved}-"]
    expected = {url for url, _ in pages("www.alpha.com", 3) + pages("www.alpha.com", 30, start=100)}
    urls = article_urls(db)
    assert sorted(urls) == sorted(expected)  # every article once
    assert rows(db, "SELECT count(*) AS n FROM pages")[0]["n"] == len(expected)


def _wait_for_position(db, url: str, process: subprocess.Popen) -> int:
    """The offset saved for `url` once the import is part way into it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the import ended before it could be killed"
        try:
            with sqlite3.connect(db) as conn:
                row = conn.execute("SELECT offset FROM backfill_files WHERE url = ? AND NOT done AND offset > 0",
                                   [url]).fetchone()
        except sqlite3.OperationalError:
            row = None  # not created yet
        if row is not None:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("no position saved within 60 s")


def test_a_date_range_reads_only_the_files_written_in_it(tree):
    with CommonCrawlServer(dict(tree["files"])) as server:
        files = HttpFiles(server.base_url, FetchPolicy("test"))
        lists, urls = news_files(files, datetime(2024, 3, 2), datetime(2024, 3, 5))
    assert lists == [server.base_url + MONTH_LIST]
    assert urls == [server.base_url + path for path in (PLAIN, TRUNCATED, THROTTLED)]
    assert [path for path, _ in server.log] == [BASE_PATH + MONTH_LIST]


@pytest.mark.parametrize("args, message", [
    (["--month", "2024-03", "--domain", "alpha.com"], "--contact"),
    (["--month", "2024-03", "--domain", "co.uk", "--contact", "x@y.z"], "not a registrable domain"),
    (["--month", "2024-03", "--contact", "x@y.z"], "say what to keep"),
    (["--month", "2024-13", "--host", "a.com", "--contact", "x@y.z"], "is not a month"),
    (["--month", "2024-03", "--paths", "x", "--host", "a.com", "--contact", "x@y.z"], "give one of"),
    (["--month", "2024-03", "--host", "a.com", "--contact", "x@y.z", "--url-pattern", "("], "not a regular expression"),
])
def test_bad_options_are_one_line(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["import-commoncrawl", *args, "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_an_unreachable_list_is_one_line(tmp_path):
    with CommonCrawlServer({}) as server:
        result = CliRunner().invoke(cli, ["import-commoncrawl", "--month", "2024-03", "--host", "a.com", "--contact",
                                          "x@y.z", "--base-url", server.base_url, "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 1 and "HTTP 404" in result.output and "Traceback" not in result.output


def test_a_sites_file_a_url_pattern_and_a_language_from_a_local_path_list(tree, tmp_path):
    sites = tmp_path / "sites.toml"
    sites.write_text('contact = "desk@example.org"\n[[site]]\nname = "Beta"\nstart_urls = ["https://beta.org/"]\n')
    listed = tmp_path / "warc.paths"
    listed.write_text(f"{GZ}\n{CUT}\n")
    files = {GZ: tree["files"][GZ], CUT: warc_file(pages("beta.org", 2, start=50) + [
        (url, article_html(url, f"Beta german report {n} on harbour works", lang="de"))
        for n in range(2) for url in [f"https://beta.org/news/beta-story-german-{n}"]])}
    db = tmp_path / "cc.db"
    with CommonCrawlServer(files) as server:
        result = subprocess.run([sys.executable, "-m", "bbn_scraper", "import-commoncrawl", "--paths", str(listed),
                                 "--sites", str(sites), "--url-pattern", r"/news/beta-story", "--language", "en",
                                 "--base-url", server.base_url, "--workers", "0", "--db", str(db)],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    expected = {url for url, _ in pages("beta.org", 3) + pages("beta.org", 2, start=50)}
    assert sorted(article_urls(db)) == sorted(expected)  # not /news/undecodable, not the German pages
    assert all("contact: desk@example.org" in agent for agent in server.agents)
    crawl = rows(db, "SELECT start_urls, stats FROM crawls")[0]
    assert json.loads(crawl["start_urls"]) == [listed.resolve().as_uri()]
    assert json.loads(crawl["stats"])["bbn/site/Beta/article_new"] == len(expected)


def test_reading_is_bounded_and_a_file_read_to_its_end_is_done(tree):
    from archive.backfill import FilePosition
    from bbn_scraper.crawler.commoncrawl import FileRead, read_file
    from bbn_scraper.crawler.record_filter import RecordFilter
    from bbn_scraper.crawler.warc_records import Limits, Unreadable

    want = RecordFilter.build(domains=["alpha.com"])
    data = tree["files"][GZ]
    with CommonCrawlServer({GZ: data}) as server:
        url = server.base_url + GZ
        small = HttpFiles(server.base_url, FetchPolicy("test", max_bytes=1000))
        results = list(read_file(small, FileRead(FilePosition(url, 0, False, 0, 0)), want, Limits()))
        at_end = list(read_file(HttpFiles(server.base_url, FetchPolicy("test")),
                                FileRead(FilePosition(url, len(data), False, 7, 3)), want, Limits()))
    (unreadable,) = [r for r in results if isinstance(r, Unreadable)]
    assert "over 1000 bytes" in unreadable.reason and results[-1].done
    assert at_end == [FilePosition(url, len(data), True, 7, 3)]  # 416: nothing more to read
    assert server.requests_of(GZ)[-1] == f"bytes={len(data)}-"
