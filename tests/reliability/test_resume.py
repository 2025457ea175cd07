"""Interrupted crawls end with the archive an uninterrupted crawl makes: killed with SIGKILL or
paused with SIGINT, then run again with the same `--resume DIR`; and one job dir serves night
after night."""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from scrapy import Request

from archive.verify import verify_archive
from bbn_scraper.crawler.jobdir import JobDirBusy, JobDirGuard
from bbn_scraper.crawler.middlewares import UrlKeyFingerprinter
from tests.helpers import crawl, local_base, rows, state_on

# Slow enough to be interrupted half-way: one request at a time, 50 ms apart on average.
SLOW = ("-s", "DOWNLOAD_DELAY=0.05", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
INTERRUPT_AFTER = 8  # articles stored, and the sitemap read: its dates are then pending for the rest
SITEMAP = "/post-sitemap.xml"


@pytest.fixture(scope="module")
def reference(sample_crawl) -> dict:
    """The archive of one uninterrupted crawl: the session's, of the site on another port, with
    its address written as `state_on` writes it."""
    return state_on(sample_crawl.db, local_base(sample_crawl))


def interrupt(sample_site, db, jobdir, sig: int) -> tuple[int, subprocess.CompletedProcess]:
    """Start a slow crawl, send `sig` once it has read the sitemap and stored INTERRUPT_AFTER
    articles; returns how many it had stored by then and its output."""
    sample_site.reset_counters()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bbn_scraper", "crawl", sample_site.base_url, "--db", str(db), "--local",
         "--resume", str(jobdir), *SLOW],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    stored = 0
    while stored < INTERRUPT_AFTER or not sample_site.requests[SITEMAP]:
        assert proc.poll() is None, f"the crawl ended before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.02)
        stored = _articles(db)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return stored, subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _articles(db) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_a_killed_crawl_run_again_ends_with_the_same_archive(sample_site, reference, tmp_path):
    db, jobdir = tmp_path / "archive.db", tmp_path / "job"
    stored, killed = interrupt(sample_site, db, jobdir, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert stored < len(reference["articles"])
    # A bigger crawl would have flushed its seen requests to disk before it was killed, while
    # its queue is lost all the same: resuming from them would skip every article not stored.
    fingerprinter = UrlKeyFingerprinter()
    with open(jobdir / "requests.seen", "a") as seen:
        for article in sample_site.manifest()["articles"]:
            seen.write(fingerprinter.fingerprint(Request(article["url"])).hex() + "\n")

    resumed = crawl(db, sample_site.base_url, "--resume", str(jobdir))

    assert state_on(db, sample_site.base_url) == reference
    assert "starting afresh" in resumed.stderr
    assert [c["status"] for c in rows(db, "SELECT status FROM crawls ORDER BY id")] == ["interrupted", "finished"]
    assert all(check.ok for check in verify_archive(db))


def test_a_paused_crawl_resumes_where_it_stopped(sample_site, reference, tmp_path):
    db, jobdir = tmp_path / "archive.db", tmp_path / "job"
    stored, paused = interrupt(sample_site, db, jobdir, signal.SIGINT)
    assert paused.returncode == 0, paused.stderr
    assert "crawl 1 shutdown" in paused.stdout
    assert _articles(db) < len(reference["articles"])
    sample_site.reset_counters()

    crawl(db, sample_site.base_url, "--resume", str(jobdir))

    assert sample_site.requests["/"] == 0  # resumed from the saved queue, not started again
    assert state_on(db, sample_site.base_url) == reference  # aliases and sitemap dates of the first part included
    stats = [json.loads(c["stats"]) for c in rows(db, "SELECT stats FROM crawls ORDER BY id")]
    assert "scheduler/unserializable" not in stats[0]  # every request was saved to disk
    assert stats[1]["scheduler/dequeued/disk"] > 0
    assert [c["status"] for c in rows(db, "SELECT status FROM crawls ORDER BY id")] == ["shutdown", "finished"]


def test_one_job_dir_serves_night_after_night(sample_site, tmp_path):
    db, jobdir = tmp_path / "archive.db", tmp_path / "job"
    crawl(db, sample_site.base_url, "--resume", str(jobdir))
    sample_site.edition = 2
    try:
        changed = [a for a in sample_site.manifest()["articles"] if a["changes_in_edition_2"]]
        second = crawl(db, sample_site.base_url, "--resume", str(jobdir))
    finally:
        sample_site.edition = 1
    assert f"{len(changed)} updated" in second.stdout


def test_a_job_dir_in_use_is_refused(tmp_path):
    first = JobDirGuard(tmp_path)
    first.open()
    with pytest.raises(JobDirBusy, match="in use by another crawl"):
        JobDirGuard(tmp_path).open()
    first.spider_closed(None, "finished")
    JobDirGuard(tmp_path).open()  # free again


def test_a_crawl_into_a_job_dir_in_use_refuses_with_one_line(sample_site, tmp_path):
    jobdir = tmp_path / "job"
    holder = JobDirGuard(jobdir)
    holder.open()
    try:
        result = crawl(tmp_path / "other.db", sample_site.base_url, "--resume", str(jobdir), check=False)
    finally:
        holder.spider_closed(None, "finished")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: job directory {jobdir} is in use by another crawl")
