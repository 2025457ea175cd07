"""A re-crawl's cost follows what is new: it walks a listing's pages only while they list new
articles, and reads a child sitemap only when its index gives it a newer lastmod; a first
crawl and `--full` walk and read every one. On the sample site (edition 1, then
edition 2: changed articles with a newer sitemap lastmod) and on the bench's generated site
with 20 articles published between two crawls (on the first listing pages)."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from tests.helpers import copy_archive, crawl, rows

BENCH = Path(__file__).resolve().parents[2] / "bench"
NEW = 20


def is_paginated(path: str) -> bool:
    return "/page/" in path


@pytest.fixture(scope="module")
def recrawls(sample_site, tmp_path_factory):
    """A first crawl of edition 1; edition 1 crawled again; edition 2 crawled as a nightly run
    and with --full: the listing pages the site served each time. Each re-crawl goes into its
    own copy of the first crawl's archive."""
    tmp = tmp_path_factory.mktemp("recrawl")
    db = tmp / "archive.db"
    listings = set(sample_site.manifest()["listing_paths"])
    result = {"db": db}
    sample_site.reset_counters()
    crawl(db, sample_site.base_url)
    result["first"] = {p for p in sample_site.requests if p in listings}
    try:
        for name, edition, args in (("unchanged", 1, ()), ("recrawl", 2, ()), ("full", 2, ("--full",))):
            result[name + "_db"] = tmp / f"{name}.db"
            copy_archive(db, result[name + "_db"])
            sample_site.edition = edition
            sample_site.reset_counters()
            crawl(result[name + "_db"], sample_site.base_url, *args)
            result[name] = {p for p in sample_site.requests if p in listings}
            result[name + "_sitemaps"] = {p for p in sample_site.requests if p.endswith(".xml")}
    finally:
        sample_site.edition = 1
    return result


def test_first_crawl_walks_every_page_of_the_listings(recrawls):
    assert {"/page/2/", "/page/3/", "/page/4/", "/category/world/page/2/"} <= recrawls["first"]


def test_recrawl_of_an_unchanged_site_follows_no_next_page(recrawls):
    assert "/" in recrawls["unchanged"]  # the start page, as always
    assert not {p for p in recrawls["unchanged"] if is_paginated(p)}
    stats = rows(recrawls["unchanged_db"], "SELECT json_extract(stats, '$.\"bbn/pagination_stopped\"') AS n FROM crawls WHERE id = 2")
    assert stats[0]["n"] > 0


def test_recrawl_walks_fewer_listing_pages_than_full(recrawls):
    # Edition 2's changed articles (newer lastmod: due) keep the walk going on the pages listing them.
    assert recrawls["recrawl"] < recrawls["full"]


def test_full_walks_every_page_of_the_listings_again(recrawls):
    paginated = {p for p in recrawls["first"] if is_paginated(p) and p.split("page/")[0] in recrawls["full"]}
    assert paginated and paginated <= recrawls["full"]


def test_recrawl_skips_child_sitemaps_whose_index_lastmod_is_not_newer(recrawls):
    # Edition 2 changes post-sitemap.xml and its <lastmod> in the index, not category-sitemap.xml.
    assert recrawls["unchanged_sitemaps"] == {"/sitemap_index.xml"}
    assert recrawls["recrawl_sitemaps"] == {"/sitemap_index.xml", "/post-sitemap.xml"}
    assert recrawls["full_sitemaps"] == {"/sitemap_index.xml", "/post-sitemap.xml", "/category-sitemap.xml"}
    recorded = rows(recrawls["recrawl_db"], "SELECT url, crawl_id FROM sitemaps ORDER BY url")
    assert [(r["url"].rsplit("/", 1)[1], r["crawl_id"]) for r in recorded] == [("category-sitemap.xml", 1), ("post-sitemap.xml", 2)]


def test_recrawl_updates_the_changed_articles_as_full_does(recrawls):
    query = "SELECT url, version FROM articles ORDER BY url"
    updated = [r for r in rows(recrawls["recrawl_db"], query) if r["version"] == 2]
    assert updated and updated == [r for r in rows(recrawls["full_db"], query) if r["version"] == 2]


@pytest.fixture(scope="module")
def big_day2(tmp_path_factory):
    """bench/big_site.py in process: 600 articles crawled (one of them with an AMP copy, as the home page needs), then NEW newer ones published and the
    site crawled again as a nightly run and with --full: the requests each crawl made."""
    sys.path.insert(0, str(BENCH))
    import big_site

    tmp = tmp_path_factory.mktemp("big")
    db, full = tmp / "archive.db", tmp / "full.db"
    server = big_site.serve(600, new=NEW)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        crawl(db, server.base_url)
        copy_archive(db, full)
        content = big_site.BigContent(600 + NEW)
        server.publish(content)
        base = server.base_url.rstrip("/")
        result = {"new": {base + p for p in big_site.article_paths(content)[:NEW]}}
        for name, path, args in (("recrawl", db, ()), ("full", full, ("--full",))):
            crawl(path, server.base_url, *args)
            # Requests, not pages stored: a byte-identical page is not stored again.
            result[name] = rows(path, "SELECT json_extract(stats, '$.\"downloader/request_count\"') AS n"
                                      " FROM crawls WHERE id = 2")[0]["n"]
            result[name + "_articles"] = {r["url"] for r in rows(path, "SELECT url FROM articles")}
    finally:
        server.shutdown()
        server.server_close()
    return result


def test_recrawl_archives_every_new_article(big_day2):
    assert big_day2["new"] <= big_day2["recrawl_articles"]
    assert big_day2["new"] <= big_day2["full_articles"]


def test_recrawl_fetches_a_fraction_of_the_listing_pages(big_day2):
    recrawl, full = big_day2["recrawl"], big_day2["full"]
    assert recrawl < full / 2, (recrawl, full)
    assert recrawl <= 60 + 5 * NEW


def test_after_a_crawl_that_did_not_finish_the_next_walks_everything(sample_site, tmp_path):
    db = tmp_path / "archive.db"
    crawl(db, sample_site.base_url, "--max-articles", "3")  # stopped by its cap: not finished
    sample_site.reset_counters()
    crawl(db, sample_site.base_url)
    assert {"/page/2/", "/page/3/", "/page/4/", "/post-sitemap.xml"} <= set(sample_site.requests)
    archived = {r["url"] for r in rows(db, "SELECT url FROM articles")}
    assert {a["url"] for a in sample_site.manifest()["articles"]} <= archived
    sample_site.reset_counters()
    crawl(db, sample_site.base_url)  # the one before finished: this one stops early
    assert not {p for p in sample_site.requests if is_paginated(p)}
