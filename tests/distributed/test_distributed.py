"""Distributed crawls of the sample site: workers on one Redis frontier, one writer."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from tests.helpers import archive_state, crawl, rows


def state_on(db, base_url: str) -> dict:
    """The archive's content with the site's address written as BASE (the local crawl's site
    ran on another port)."""
    host = urlsplit(base_url).netloc
    return json.loads(json.dumps(archive_state(db)).replace(base_url.rstrip("/"), "BASE").replace(host, "HOST"))


def local_base(sample_crawl) -> str:
    return json.loads(rows(sample_crawl.db, "SELECT start_urls FROM crawls ORDER BY id LIMIT 1")[0]["start_urls"])[0]


def test_three_workers_and_a_writer_make_the_archive_of_one_local_crawl(cluster, sample_site, sample_crawl):
    cluster.crawl(sample_site.base_url, workers=3)
    distributed = state_on(cluster.db, sample_site.base_url)
    local = state_on(sample_crawl.db, local_base(sample_crawl))
    assert distributed["articles"], "nothing archived"
    for table in local:
        assert distributed[table] == local[table], table
    assert rows(cluster.db, "SELECT status FROM crawls") == [{"status": "finished"}]
    # Every worker fetched something: the frontier was shared, not crawled by one of them.
    assert all("pages fetched" in open(p.log_path).read() and " 0 pages fetched" not in open(p.log_path).read()
               for p in cluster.processes if "worker" in p.args)
    assert not cluster.server.client().keys("bbn:*"), "the round's keys are cleared when it ends"


def test_a_distributed_recrawl_of_an_unchanged_site_downloads_no_archived_article(cluster, sample_site, site_manifest):
    crawl(cluster.db, sample_site.base_url)  # a local crawl first: the archive knows every article
    before = archive_state(cluster.db)
    sample_site.reset_counters()
    cluster.crawl(sample_site.base_url, workers=3)
    requested = set(sample_site.requests)
    assert requested, "the re-crawl fetched nothing at all"
    assert not requested & set(site_manifest["article_paths"]), "an archived article was downloaded again"
    assert archive_state(cluster.db)["articles"] == before["articles"]
    crawls = rows(cluster.db, "SELECT id, status FROM crawls ORDER BY id")
    assert [c["status"] for c in crawls] == ["finished", "finished"]
    touched = rows(cluster.db, "SELECT count(*) AS n FROM articles WHERE crawl_id = ?", [crawls[-1]["id"]])[0]["n"]
    assert touched, "the articles the re-crawl saw linked (Seen, applied when the round ended) were not touched"
