"""Distributed crawls of the sample site: workers on one Redis frontier, one writer."""
from __future__ import annotations

import re

from archive.db import Archive
from bbn_scraper.app.report import crawl_summary
from tests.access.test_readme_examples import examples, normal
from tests.helpers import archive_state, crawl, local_base, rows, state_on


def test_three_workers_and_a_writer_make_the_archive_of_one_local_crawl(cluster, sample_site, sample_crawl):
    cluster.crawl(sample_site.base_url, workers=3)
    distributed = state_on(cluster.db, sample_site.base_url)
    local = state_on(sample_crawl.db, local_base(sample_crawl))
    assert distributed["articles"], "nothing archived"
    for table in local:
        assert distributed[table] == local[table], table
    assert rows(cluster.db, "SELECT status FROM crawls") == [{"status": "finished"}]
    # Workers shared the frontier: more than one fetched pages (under load a worker that starts
    # late can find the small site crawled already, as seen in CI).
    logs = [open(p.log_path).read() for p in cluster.processes if "worker" in p.args]
    assert len(logs) == 3
    assert sum("pages fetched" in log and " 0 pages fetched" not in log for log in logs) >= 2
    # The writer ends with the summary a crawl prints (issue 25), of this round
    writer = next(open(p.log_path).read() for p in cluster.processes if "ingest" in p.args)
    with Archive(cluster.db) as archive:
        summary = crawl_summary(archive)
    assert summary.startswith("crawl 1 finished in ") and writer.rstrip("\n").endswith(summary), writer
    assert f"  articles: {len(distributed['articles'])} new, 0 updated" in summary
    assert " pages fetched" in summary and "requests" not in summary  # the workers', not the writer's, to count
    # README.md shows it. The frontier hands a page out at least once: a worker stalled past
    # HEARTBEAT_TTL (a loaded machine) has its leases requeued, with a warning, and a page it
    # held can be fetched again (the archive above is the same). Only then may the count of
    # fetches exceed README's.
    fetched = re.compile(r"(\d+) pages fetched")
    shown = normal(examples()["ingest"])
    requeued = any("leased by a worker whose heartbeat stopped" in log for log in [*logs, writer])
    count, readme = int(fetched.search(summary)[1]), int(fetched.search(shown)[1])
    extra = {r["url"] for r in rows(cluster.db, "SELECT url FROM pages")} - {
        r["url"].replace(local_base(sample_crawl), sample_site.base_url) for r in rows(sample_crawl.db, "SELECT url FROM pages")}
    assert count >= readme if requeued else count == readme, (count, readme, "fetched beyond a local crawl:", extra)
    assert fetched.sub("N pages fetched", normal(summary)) == fetched.sub("N pages fetched", shown)
    # The round's keys are cleared when it ends; the hosts' politeness keys expire on their own.
    left = {k.decode() for k in cluster.server.client().keys("bbn:*")}
    assert {k for k in left if not k.startswith(("bbn:host:", "bbn:rate:"))} == set()
    assert all(cluster.server.client().ttl(k) > 0 for k in left)


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


DELAY = 0.1  # seconds between requests to the site, for one crawler
CONCURRENCY = 2  # requests to the site at once, for one crawler
WINDOW = 10  # arrivals


def test_three_workers_together_keep_to_one_crawlers_limits_at_the_server(cluster, sample_site):
    """A worker takes a token of the host before each request, one per DELAY, at most CONCURRENCY
    out: whatever a worker's process is held up by (this machine's load), in any stretch of time
    the site sees at most stretch / DELAY + 1 + CONCURRENCY requests."""
    sample_site.reset_counters()
    started = len(sample_site.arrivals)
    cluster.crawl(sample_site.base_url, 3, f"DOWNLOAD_DELAY={DELAY}", f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}")
    times = sorted(t for t, _path, _agent in sample_site.arrivals[started:])
    assert len(times) > 100
    # Three workers each keeping the delay on their own would send about three times as often.
    assert (times[-1] - times[0]) / (len(times) - 1) >= DELAY * 0.95
    spans = [b - a for a, b in zip(times, times[WINDOW - 1:])]
    assert min(spans) >= (WINDOW - 1 - CONCURRENCY) * DELAY * 0.95, f"{WINDOW} requests in {min(spans):.2f} s"
