"""import-warc: WARC files made by wget give the articles a crawl gives; what is no article is
counted; a second import adds nothing; damaged records are errors, the rest goes on."""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import sqlite3
import subprocess

import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.stories import body_signature, clusters
from bbn_scraper.app.cli import cli
from tests.helpers import archive_state, copy_archive, rows, stable
from tests.reliability.test_parse_pool import POISON_WORKER
from tests.warc_import.conftest import import_warc

ARTICLE_PATH = re.compile(r"/\d{4}/\d\d/\d\d/[a-z0-9-]+/$")
ARTICLES = "SELECT canonical_url, content_hash FROM articles ORDER BY canonical_url"
COUNTS = ("articles", "article_versions", "article_urls", "pages", "links", "faqs")


def counts(db) -> dict:
    return {table: rows(db, f"SELECT count(*) AS n FROM {table}")[0]["n"] for table in COUNTS}


def last_stats(db) -> dict:
    return json.loads(rows(db, "SELECT stats FROM crawls ORDER BY id DESC LIMIT 1")[0]["stats"])


@pytest.fixture(scope="module")
def first_import(captured, tmp_path_factory):
    """The gzip WARC imported once into a new archive, and the import's output: the tests
    below only read it (test_second_import_adds_nothing imports into a copy)."""
    db = tmp_path_factory.mktemp("imported") / "imported.db"
    return db, import_warc(db, captured.warc_gz)


def test_wget_warc_gives_the_crawls_articles(captured, first_import):
    db, _ = first_import
    crawled = rows(captured.crawl_db, ARTICLES)
    assert len(crawled) > 20
    assert rows(db, ARTICLES) == crawled


def test_uncompressed_warc_gives_the_same(captured, tmp_path):
    db = tmp_path / "plain.db"
    import_warc(db, captured.warc)
    assert rows(db, ARTICLES) == rows(captured.crawl_db, ARTICLES)


def test_aliases_as_a_crawl(captured, first_import):
    """Tracking-decorated links and AMP copies end up as URLs of their articles, as in a crawl."""
    db, _ = first_import
    query = "SELECT a.canonical_url, u.url FROM article_urls u JOIN articles a ON a.id = u.article_id ORDER BY 1, 2"
    imported = rows(db, query)
    assert any("utm_source" in r["url"] for r in imported) and any(r["url"].endswith("/amp/") for r in imported)
    assert imported == rows(captured.crawl_db, query)


def test_import_is_a_crawl_row_with_its_counts(captured, first_import):
    db, result = first_import
    crawl = rows(db, "SELECT * FROM crawls")[0]
    assert crawl["status"] == "finished"
    assert json.loads(crawl["start_urls"]) == [captured.warc_gz.resolve().as_uri()]
    stats = last_stats(db)
    for what in ("request", "warcinfo", "redirect", "not_html", "pages", "feeds"):
        assert stats[f"bbn/warc/{what}"] > 0, what
    skipped = sum(v for k, v in stats.items() if k.startswith("bbn/warc/") and k not in ("bbn/warc/records",))
    assert skipped == stats["bbn/warc/records"]  # every record is counted once, somewhere
    assert crawl["articles_new"] == len(rows(captured.crawl_db, ARTICLES))
    # the site's 404s are fetch errors, as in a crawl
    assert {r["url"] for r in rows(db, "SELECT url FROM errors WHERE reason = 'HTTP 404'")}
    assert "WARC records:" in result.stdout and "redirect" in result.stdout


def test_second_import_adds_nothing(captured, first_import, tmp_path):
    db = tmp_path / "twice.db"
    copy_archive(first_import[0], db)
    before = counts(db)
    import_warc(db, captured.warc_gz)
    assert counts(db) == before
    stats = last_stats(db)
    assert stats["bbn/warc/already_archived"] > 20
    again = rows(db, "SELECT count(*) AS n FROM errors WHERE crawl_id = 2 AND reason LIKE 'HTTP %'")[0]["n"]
    assert stats["bbn/warc/pages"] == again  # only the failed captures went on: fetch errors again


def _record_offsets(path) -> list[tuple[int, str]]:
    from warcio.archiveiterator import ArchiveIterator
    found = []
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            found.append((records.offset, record.rec_type, record.rec_headers.get_header("WARC-Target-URI")))
    return found


def _article_captures(captured, index: int) -> tuple[str, list[tuple[int, int]]]:
    """The `index`th article (in order of its first capture) in the gzip WARC, and the (start,
    end) offsets of every response record of it (tracking-decorated variants included)."""
    records = _record_offsets(captured.warc_gz)
    spans: dict[str, list] = {}
    for i, (offset, kind, url) in enumerate(records[:-1]):
        clean = (url or "").split("?")[0]
        if kind == "response" and ARTICLE_PATH.search(clean):
            spans.setdefault(clean, []).append((offset, records[i + 1][0]))
    url = list(spans)[index]
    return url, spans[url]


def test_a_damaged_record_is_an_error_and_the_rest_goes_on(captured, tmp_path):
    url, spans = _article_captures(captured, 3)
    data = bytearray(captured.warc_gz.read_bytes())
    for start, end in spans:
        middle = (start + end) // 2
        data[middle:middle + 64] = bytes(64)  # zeros inside the record's gzip member
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(bytes(data))
    db = tmp_path / "damaged.db"
    import_warc(db, damaged)
    errors = rows(db, "SELECT url, reason FROM errors WHERE reason LIKE 'unreadable WARC record%'")
    assert len(errors) == len(spans) and {e["reason"].split(":")[0] for e in errors} == {
        f"unreadable WARC record in {damaged} at offset {start}" for start, _ in spans}
    imported = {r["canonical_url"] for r in rows(db, ARTICLES)}
    crawled = {r["canonical_url"] for r in rows(captured.crawl_db, ARTICLES)}
    assert imported == crawled - {url}


def test_a_truncated_file_keeps_what_came_before(captured, tmp_path):
    url, [(start, end), *_] = _article_captures(captured, -1)
    truncated = tmp_path / "truncated.warc.gz"
    truncated.write_bytes(captured.warc_gz.read_bytes()[: (start + end) // 2])
    db = tmp_path / "truncated.db"
    import_warc(db, truncated)
    errors = rows(db, "SELECT reason FROM errors WHERE reason LIKE 'unreadable WARC record%'")
    assert len(errors) == 1 and f"at offset {start}:" in errors[0]["reason"]
    assert url not in {r["canonical_url"] for r in rows(db, ARTICLES)}
    assert len(rows(db, ARTICLES)) > 20


def _warc(path, records) -> None:
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for make in records:
            make(writer)


def test_gzip_content_encoding_is_undone_and_revisits_counted(captured, tmp_path):
    """A response recorded as sent with Content-Encoding: gzip (and chunked) parses like a plain one."""
    url, _ = _article_captures(captured, 0)
    html = next(r for r in _captures(captured.warc_gz) if r[0] == url)[1]
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(gz := gzip.compress(html)), gz)

    def response(writer):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8"),
                                              ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
                                   protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(chunked),
                                                      http_headers=headers))

    def revisit(writer):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_revisit_record(url + "again/", "sha1:AAAA", url, "2026-01-01T00:00:00Z",
                                                         http_headers=headers))

    path = tmp_path / "encoded.warc.gz"
    _warc(path, [response, revisit])
    db = tmp_path / "encoded.db"
    import_warc(db, path)
    expected = [r for r in rows(captured.crawl_db, ARTICLES) if r["canonical_url"] == url]
    assert rows(db, ARTICLES) == expected
    stats = last_stats(db)
    assert stats["bbn/warc/revisit"] == 1 and stats["bbn/warc/pages"] == 1


@pytest.mark.parametrize("headers", [[("Content-Encoding", "gzip, br")], [("Content-Encoding", "gzip"), ("Content-Encoding", "br")],
                                     [("Content-Encoding", "identity, gzip, br")]])
def test_stacked_content_encodings_are_undone_as_a_crawl_undoes_them(tmp_path, headers):
    """gzip then brotli, in one header or two: undone last first, as Scrapy's HttpCompressionMiddleware does."""
    import brotli

    html = b"<!DOCTYPE html><html><body><p>" + b"words " * 500 + b"</p></body></html>"

    def response(writer):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8"), *headers], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.com/stacked/", "response",
                                                      payload=io.BytesIO(brotli.compress(gzip.compress(html))),
                                                      http_headers=http))

    path = tmp_path / "stacked.warc.gz"
    _warc(path, [response])
    assert _captures(path) == [("https://example.com/stacked/", html)]


def _captures(path):
    from bbn_scraper.crawler.warc_records import Capture, read_warc
    return [(r.url, r.body) for r in read_warc(str(path)) if isinstance(r, Capture)]


def test_a_file_that_is_not_a_warc_is_refused_in_one_line_and_creates_nothing(captured, tmp_path):
    """Issue 25: the first bytes decide (WARC/, or gzip whose first member starts so), before the
    archive is opened: no crawl row, no archive file; a WARC given with it is not imported either."""
    page = tmp_path / "home.html"
    page.write_bytes(b"<!DOCTYPE html>\n<html><body>home</body></html>\n")
    zipped = tmp_path / "home.html.gz"
    zipped.write_bytes(gzip.compress(page.read_bytes()))
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    whole = tmp_path / "whole.warc.gz"  # gzip -c of a WARC: warcio would read its first record only
    whole.write_bytes(gzip.compress(captured.warc.read_bytes()))
    db = tmp_path / "x.db"
    for bad, reason in ((page, "not a WARC file (it starts with '<!DOCTYPE html>\\n';"),
                        (zipped, "gzip, but not of a WARC"), (empty, "not a WARC file (it is empty"),
                        (whole, "a WARC gzipped whole, in one stream")):
        for files in ((bad,), (captured.warc_gz, bad)):  # refused before any import: in this process
            result = CliRunner().invoke(cli, ["import-warc", *map(str, files), "--db", str(db)])
            assert result.exit_code == 2, result.output
            assert result.stderr.splitlines() == [result.stderr.strip()] and "Traceback" not in result.stderr
            assert result.stderr.startswith(f"Error: Invalid value for FILES: {bad}: {reason}"), result.stderr
            assert result.stdout == "" and not db.exists()
    assert import_warc(db, captured.warc_gz).returncode == 0  # gzip of a WARC passes the check
    assert rows(db, "SELECT count(*) AS n FROM crawls")[0]["n"] == 1


def test_bad_input_is_one_line(tmp_path):
    db = tmp_path / "x.db"
    missing = import_warc(db, tmp_path / "missing.warc.gz", check=False)
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr


def imported_state(db) -> dict:
    """Everything an import stores, without ids and times: the articles with their children,
    the pages, the error rows, the story clusters and each article's MinHash signature."""
    conn = sqlite3.connect(db)
    try:
        story_clusters = clusters(conn)
    finally:
        conn.close()
    return {**archive_state(db), "stories": story_clusters,
            "pages": stable(rows(db, "SELECT url, status, sha256, size FROM pages")),
            "errors": stable(rows(db, "SELECT url, stage, reason FROM errors")),
            "signatures": stable(rows(db, "SELECT a.canonical_url, m.body_hash, m.signature FROM minhashes m"
                                          " JOIN articles a ON a.id = m.article_id"))}


def test_the_archive_does_not_depend_on_how_many_workers_parsed(captured, tmp_path):
    """One parse worker or three (pages then come back in another order), the same archive;
    the signatures the workers computed are the ones the store would compute."""
    one, three = tmp_path / "one.db", tmp_path / "three.db"
    import_warc(one, captured.warc_gz, options=("--workers", "1"))
    import_warc(three, captured.warc_gz, options=("--workers", "3"))
    assert last_stats(one)["bbn/parse_processes_started"] == 1
    assert last_stats(three)["bbn/parse_processes_started"] == 3
    state = imported_state(one)
    assert len(state["articles"]) > 20 and len(state["signatures"]) == len(state["articles"])
    assert imported_state(three) == state
    conn = sqlite3.connect(three)
    try:
        for body, blob in conn.execute("SELECT a.body, m.signature FROM minhashes m JOIN articles a ON a.id = m.article_id"):
            assert body_signature(body).values == blob
    finally:
        conn.close()


def test_a_capture_a_crawl_would_not_request_is_a_fetch_error(captured, tmp_path):
    """A crawl's bounds on what it requests hold for the captures too: a URL over URLLENGTH_LIMIT
    and a listing page past PAGINATION_LIMIT are fetch errors, neither parsed nor stored."""
    url, _ = _article_captures(captured, 0)
    html = next(r for r in _captures(captured.warc_gz) if r[0] == url)[1]
    too_long, too_deep = url + "?q=" + "y" * 1100, url + "page/101/"

    def response(target):
        def write(writer):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(target, "response", payload=io.BytesIO(html),
                                                          http_headers=headers))
        return write

    path = tmp_path / "bounds.warc.gz"
    _warc(path, [response(too_long), response(too_deep), response(url)])
    db = tmp_path / "bounds.db"
    import_warc(db, path)
    assert stable(rows(db, "SELECT url, stage, reason FROM errors")) == stable([
        {"url": too_long, "stage": "fetch", "reason": f"not followed: URL of {len(too_long)} characters, over URLLENGTH_LIMIT 1024"},
        {"url": too_deep, "stage": "fetch", "reason": "not followed: listing page 101, past PAGINATION_LIMIT 100"}])
    assert rows(db, ARTICLES) == [r for r in rows(captured.crawl_db, ARTICLES) if r["canonical_url"] == url]
    assert [r["url"] for r in rows(db, "SELECT url FROM pages")] == [url]


def test_importing_a_file_again_parses_again_the_pages_whose_parse_failed(captured, tmp_path):
    """A page whose parse failed (here: timed out) is recorded with its body and an error row;
    the next import of the same file parses it again and stores its article. Pages parsed
    well are skipped as before, and so is that page once its article is stored."""
    db, hanging = tmp_path / "archive.db", "/2023/09/25/heatwave-health-warning/"
    poisoned = subprocess.run([*POISON_WORKER, "import-warc", str(captured.warc_gz), "--db", str(db), "--workers", "1"],
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "HANG_URL_PART": hanging, "PARSE_TIMEOUT": "2"})
    assert poisoned.returncode == 0, poisoned.stderr[-2000:]
    url = captured.base_url.rstrip("/") + hanging
    assert rows(db, "SELECT url, reason FROM errors WHERE stage = 'parse' AND reason LIKE 'ParseFailed:%'") == [
        {"url": url, "reason": "ParseFailed: parse timed out after 2 s"}]
    assert not rows(db, "SELECT id FROM articles WHERE canonical_url = ?", [url])
    import_warc(db, captured.warc_gz)
    assert rows(db, "SELECT canonical_url FROM articles WHERE canonical_url = ?", [url]) == [{"canonical_url": url}]
    again = last_stats(db)
    assert again["bbn/warc/pages"] == 1 + again_failed_captures(db, 2)
    import_warc(db, captured.warc_gz)  # its article stored: skipped like the others
    assert last_stats(db)["bbn/warc/pages"] == again_failed_captures(db, 3)


def again_failed_captures(db, crawl_id: int) -> int:
    """The captures an import of the file went on with because they failed (HTTP errors)."""
    return rows(db, "SELECT count(*) AS n FROM errors WHERE crawl_id = ? AND reason LIKE 'HTTP %'", [crawl_id])[0]["n"]
