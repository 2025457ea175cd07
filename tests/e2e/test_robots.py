"""robots.txt is obeyed for every request, also those that wait together for a host's robots.txt."""
from __future__ import annotations

from bbn_scraper.sample_site.content import DISALLOWED_PATH
from tests.helpers import crawl, rows


def test_requests_waiting_together_for_robots_txt_are_each_checked(sample_site, tmp_path):
    # Several start URLs of one host reach the robots middleware before its robots.txt has come:
    # they all wait for it. Scrapy's middleware hands the parser to the first waiter only (the
    # others' awaited Deferred had already given its result away) and lets the rest through
    # unchecked; a distributed worker taking a batch from the frontier is in the same place.
    base = sample_site.base_url.rstrip("/")
    disallowed = [f"{base}{DISALLOWED_PATH}", f"{base}{DISALLOWED_PATH}drafts/"]
    sample_site.reset_counters()
    crawl(tmp_path / "archive.db", f"{base}/page/2/", f"{base}/category/world/", *disallowed, f"{base}/page/3/",
          "-s", "DEPTH_LIMIT=1")
    assert sample_site.hits(DISALLOWED_PATH) == 0, sample_site.requests
    assert sample_site.hits("/robots.txt") >= 1
    fetched = {r["url"] for r in rows(tmp_path / "archive.db", "SELECT url FROM pages")}
    assert f"{base}/page/3/" in fetched and not fetched & set(disallowed)
