"""The archive does not depend on the order pages arrive in; one crawl at a time per archive;
the spider also runs as `scrapy crawl bbn`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from archive import Archive
from tests.helpers import crawl, local_base, state_on

ROOT = Path(__file__).resolve().parents[2]
FIFO_ONE_AT_A_TIME = (
    "-s", "SCHEDULER_MEMORY_QUEUE=scrapy.squeues.FifoMemoryQueue",
    "-s", "SCHEDULER_DISK_QUEUE=scrapy.squeues.PickleFifoDiskQueue",
    "-s", "CONCURRENT_REQUESTS=1", "-s", "DEPTH_PRIORITY=1",
)


def test_same_archive_whatever_the_order_pages_arrive_in(sample_site, sample_crawl, tmp_path):
    """The session's `sample_crawl` (default order: Scrapy's LIFO queues, many requests at once,
    the site on another port) is the reference: one crawl fewer than crawling it again here."""
    fifo, amp_first = tmp_path / "fifo.db", tmp_path / "amp.db"
    crawl(fifo, sample_site.base_url, *FIFO_ONE_AT_A_TIME)
    # Start at an AMP copy: the uncanonicalised copy is the first article page fetched.
    crawl(amp_first, sample_site.manifest()["amp_pages"][0]["url"], *FIFO_ONE_AT_A_TIME)
    reference = state_on(sample_crawl.db, local_base(sample_crawl))
    assert reference["articles"]
    assert all(a["url"] == a["canonical_url"] for a in reference["articles"])
    assert state_on(fifo, sample_site.base_url) == reference
    assert state_on(amp_first, sample_site.base_url) == reference


def test_a_second_crawl_of_the_same_archive_refuses_with_a_clear_message(sample_site, tmp_path):
    db = tmp_path / "locked.db"
    with Archive(db, create=True) as archive, archive.crawl_lock():
        result = crawl(db, sample_site.base_url, check=False)
    assert result.returncode == 1
    assert "is being crawled by another process" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with Archive(db) as archive:
        assert archive.counts()["crawls"] == 0


def test_scrapy_crawl_bbn_from_the_project_root(sample_site, tmp_path):
    db = tmp_path / "scrapy.db"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "bbn", "-a", f"start_urls={sample_site.base_url}",
         "-s", f"ARCHIVE_DB={db}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
         "-s", "RETRY_BACKOFF_BASE=0.1", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with Archive(db) as archive:
        assert archive.counts()["articles"] == len(sample_site.manifest()["articles"])
