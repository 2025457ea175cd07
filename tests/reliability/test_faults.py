"""A crawl of the sample site in fault mode: every recoverable page is archived, every failure is
one row of `errors` with its URL, stage and reason, and nothing reaches Scrapy's log as an error."""
from __future__ import annotations

import re

import pytest

from archive.verify import verify_archive
from bbn_scraper.sample_site.faults import RETRY_AFTER
from tests.helpers import rows

# How each permanent fault must end: (stage, pattern of the reason).
PERMANENT = {
    "redirect-loop": ("fetch", r"^redirect loop: \S+/redirect-loop/ -> \S+/redirect-loop-back/ -> \S+/redirect-loop/$"),
    "redirect-localhost": ("fetch", r"^not followed: redirect to http://localhost:\d+/trap/localhost/, outside the crawl's hosts$"),
    "redirect-other-ip": ("fetch", r"^not followed: redirect to http://127\.0\.0\.2:\d+/trap/other-ip/, outside the crawl's hosts$"),
    "redirect-file-scheme": ("fetch", r"^not followed: redirect to file:///etc/passwd \(only http and https\)$"),
    "refresh-localhost": ("fetch", r"^not followed: redirect to http://localhost:\d+/trap/refresh/, outside the crawl's hosts$"),
    "huge-page": ("fetch", r"^DownloadCancelledError: Expected to receive 20971520 bytes which is larger than download max size \(5242880\)"),
    "binary-article": ("parse", r"^not an HTML page \(Content-Type: application/octet-stream\)$"),
    "empty-200": ("parse", r"^empty response body$"),
    "fake-gzip": ("fetch", r"^BadGzipFile: Not a gzipped file"),
    "binary-feed": ("parse", r"^NotSupported: Response content isn't text$"),
}
UNHANDLED = ("Traceback", "Unhandled", "Spider error", "ERROR")


def by_url(fault_crawl) -> dict:
    return {a["url"]: a for a in rows(fault_crawl.db, "SELECT * FROM articles")}


def test_every_kind_of_fault_is_covered(fault_crawl):
    kinds = {f["kind"] for f in fault_crawl.faults.values()}
    assert kinds == {"transient", "content", "permanent", "hostile"}
    assert {n for n, f in fault_crawl.faults.items() if f["kind"] == "permanent"} == set(PERMANENT)


def test_every_article_of_the_site_is_archived_whole(fault_crawl):
    archived = by_url(fault_crawl)
    for article in fault_crawl.manifest["articles"]:
        row = archived.get(article["canonical_url"])
        assert row is not None, f"{article['slug']} lost"
        assert row["headline"] == article["headline"], article["slug"]
        assert row["body"] == article["body"], article["slug"]
    hostile = [f["url"] for f in fault_crawl.faults.values() if f["kind"] == "hostile"]
    assert set(archived) == {a["canonical_url"] for a in fault_crawl.manifest["articles"]} | set(hostile)


def test_a_home_page_that_reloads_itself_is_read(fault_crawl):
    home = fault_crawl.faults["home-refresh"]["url"]
    assert [p["status"] for p in rows(fault_crawl.db, "SELECT status FROM pages WHERE url = ?", [home])] == [200]
    assert fault_crawl.site.requests["/"] == 1


@pytest.mark.parametrize("name", ["wrong-charset", "missing-charset"])
def test_mislabelled_charsets_do_not_garble_text(fault_crawl, name):
    row = by_url(fault_crawl)[fault_crawl.faults[name]["url"]]
    for text in (row["headline"], row["body"]):
        assert "\ufffd" not in text and "â€" not in text and "Ã" not in text


def test_transient_faults_were_injected_then_retried(fault_crawl):
    for name, fault in fault_crawl.faults.items():
        if fault["kind"] == "transient":
            assert len(fault_crawl.site.faults.times(name)) == 2, name  # the fault, then the retry


def test_retry_after_of_a_429_is_honoured(fault_crawl):
    first, retry = fault_crawl.site.faults.times("http-429")
    assert retry - first >= RETRY_AFTER - 0.05


def test_each_failure_is_one_error_with_url_stage_and_reason(fault_crawl):
    errors = rows(fault_crawl.db, "SELECT url, stage, reason FROM errors")
    recorded = {e["url"]: e for e in errors}
    assert len(recorded) == len(errors), "one error per URL"
    for name, (stage, reason) in PERMANENT.items():
        error = recorded.pop(fault_crawl.faults[name]["url"])
        assert error["stage"] == stage, name
        assert re.search(reason, error["reason"]), (name, error["reason"])
    # Besides the faults: the sample site's own broken links, nothing else (no transient fault).
    assert {url: e["reason"] for url, e in recorded.items()} == {
        link["url"]: "HTTP 404" for link in fault_crawl.manifest["broken_links"]
    }


def test_no_request_leaves_the_allowed_host(fault_crawl):
    site = fault_crawl.site
    assert set(site.faults.hosts) == {f"127.0.0.1:{site.port}"}
    assert site.hits("/trap/") == 0


def test_the_crawl_finishes_with_its_summary_and_no_unhandled_error(fault_crawl):
    result = fault_crawl.result
    assert result.returncode == 0
    assert re.search(r"^crawl 1 finished in .*\n  articles: \d+ new", result.stdout, re.MULTILINE)
    for marker in UNHANDLED:
        assert marker not in result.stderr, result.stderr
    crawl = rows(fault_crawl.db, "SELECT status, errors FROM crawls")
    assert crawl == [{"status": "finished", "errors": len(PERMANENT) + len(fault_crawl.manifest["broken_links"])}]


def test_the_archive_verifies(fault_crawl):
    assert [c.problems for c in verify_archive(fault_crawl.db)] == [[]] * 6
