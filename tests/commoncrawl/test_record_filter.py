"""Which records a backfill keeps (bbn_scraper.crawler.record_filter), and how long it waits
before a retry (bbn_scraper.crawler.http_files.FetchPolicy.wait)."""
from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from bbn_scraper.crawler.commoncrawl import MAX_LIST_PATHS, ListError, news_file_in, news_months, parse_path_list
from bbn_scraper.crawler.http_files import FetchPolicy, HttpFiles
from bbn_scraper.crawler.record_filter import FilterError, RecordFilter
from bbn_scraper.crawler.sites import SiteMap, Site


def test_hosts_are_exact_and_domains_take_their_subdomains():
    want = RecordFilter.build(hosts=["www.example.com"], domains=["bbc.co.uk"])
    assert want.wants_url("https://www.example.com/a")
    assert not want.wants_url("https://example.com/a") and not want.wants_url("https://news.example.com/a")
    assert want.wants_url("https://www.bbc.co.uk/news/1") and want.wants_url("http://bbc.co.uk/")
    assert not want.wants_url("https://notbbc.co.uk/") and not want.wants_url("https://bbc.co.uk.evil.com/")
    assert not want.wants_url("not a url") and not want.wants_url("http://[::1/")


def test_sites_pattern_and_languages():
    sites = SiteMap([Site("one", ["https://one.example/"], ["one.example"]).__dict__])
    want = RecordFilter.build(sites=sites, url_pattern=r"/news/", languages=["en"])
    assert want.wants_url("https://one.example/news/1") and want.wants_url("https://www.one.example/news/2")
    assert not want.wants_url("https://one.example/sport/1") and not want.wants_url("https://two.example/news/1")
    assert want.wants_language_header("eng,en") is True and want.wants_language_header("deu") is False
    assert want.wants_language_header(None) is None
    assert want.wants_page(b'<!doctype html><html class="x" lang="en-GB"><p>')
    assert not want.wants_page(b'<html lang="de">') and not want.wants_page(b"<html><p>no lang")
    assert RecordFilter.build(hosts=["a.com"]).wants_page(b"<html>")  # no language asked


@pytest.mark.parametrize("kwargs, message", [
    ({}, "say what to keep"),
    ({"domains": ["co.uk"]}, "not a registrable domain"),
    ({"domains": ["news.bbc.co.uk"]}, "'bbc.co.uk'"),
    ({"hosts": ["http://a.com/"]}, "give a host name"),
    ({"url_pattern": "["}, "not a regular expression"),
])
def test_unusable_filters(kwargs, message):
    with pytest.raises(FilterError, match=message):
        RecordFilter.build(**kwargs)


def test_retry_waits_back_off_and_honour_retry_after_within_the_bound():
    policy = FetchPolicy("ua", backoff=1.0, max_wait=30.0)
    assert [policy.wait(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert policy.wait(10) == 30.0
    assert policy.wait(1, "7") == 7.0 and policy.wait(1, "3600") == 30.0
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=12), usegmt=True)
    assert 9 <= policy.wait(1, soon) <= 12
    assert policy.wait(2, "garbage") == 2.0


def test_months_file_times_and_path_lists():
    assert news_months(datetime(2023, 11, 5).date(), datetime(2024, 2, 1).date()) == [
        (2023, 11), (2023, 12), (2024, 1), (2024, 2)]
    since, until = datetime(2024, 3, 2), datetime(2024, 3, 3)
    assert news_file_in("crawl-data/CC-NEWS/2024/03/CC-NEWS-20240302235959-01234.warc.gz", since, until)
    assert not news_file_in("crawl-data/CC-NEWS/2024/03/CC-NEWS-20240303000000-01235.warc.gz", since, until)
    assert parse_path_list(b"a/b.warc.gz\n\nc/d.warc.gz\n", "list") == ["a/b.warc.gz", "c/d.warc.gz"]
    with pytest.raises(ListError, match="not a path"):
        parse_path_list(b"<html><body>an error page</body></html>\n", "list")
    with pytest.raises(ListError, match="gzip"):
        parse_path_list(b"\x1f\x8b\x08garbage", "list")
    joined = gzip.compress(b"a/1.warc.gz\n") + gzip.compress(b"a/2.warc.gz\na/3.warc.gz\n")  # members joined: all read
    assert parse_path_list(joined, "list") == ["a/1.warc.gz", "a/2.warc.gz", "a/3.warc.gz"]
    with pytest.raises(ListError, match="cut short"):
        parse_path_list(gzip.compress(b"a/1.warc.gz\na/2.warc.gz\n")[:-6], "list")
    for odd in ("a/\u00e9.warc.gz", "a/\x01.warc.gz"):  # not percent-encoded ASCII: not a path of Common Crawl's
        with pytest.raises(ListError, match="not a path"):
            parse_path_list(f"a/1.warc.gz\n{odd}\n".encode(), "list")
    with pytest.raises(ListError, match="more than"):  # a small file of many short lines: refused before it is split
        parse_path_list(gzip.compress(b"a\n" * (MAX_LIST_PATHS * 2)), "list")


def test_urls_stay_under_the_base_url():
    files = HttpFiles("https://data.commoncrawl.org", FetchPolicy("ua"))
    assert files.url("crawl-data/x.warc.gz") == "https://data.commoncrawl.org/crawl-data/x.warc.gz"
    assert files.url("/crawl-data/x.warc.gz") == "https://data.commoncrawl.org/crawl-data/x.warc.gz"
    with pytest.raises(ValueError, match="not under the base URL"):
        files.url("https://elsewhere.example/crawl-data/x.warc.gz")
    for climbing in ("../x.warc.gz", "crawl-data/../../x.warc.gz", "crawl-data/%2e%2E/x.warc.gz",
                     "crawl-data/%252e%252e/x.warc.gz", "crawl-data/..%2fx.warc.gz",
                     "https://data.commoncrawl.org/crawl-data/./../x.warc.gz"):
        with pytest.raises(ValueError, match="'.' or '..' segment"):
            files.url(climbing)
    assert files.url("crawl-data/.hidden/x..warc.gz").endswith("/crawl-data/.hidden/x..warc.gz")


def test_the_progress_line_says_files_records_articles_errors_and_speed():
    from collections import Counter

    from bbn_scraper.crawler.commoncrawl import BackfillProgress

    stats = Counter()
    for key, value in (("files_listed", 5), ("files_done", 2), ("files_done_before", 1), ("records_read", 1234),
                       ("records_kept", 12), ("bytes", 0)):
        stats[f"bbn/commoncrawl/{key}"] = value
    line = BackfillProgress(stats).line()
    assert line.startswith("3/5 files, 1234 records read, 12 kept, 0 new articles, 0 errors, ") and line.endswith(" MB/s")
