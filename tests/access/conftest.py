"""Fixtures of the access tests: the sample site crawled once per session into an archive,
its manifest (the truth to compare with), and writable copies for tests that change it."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from access_helpers import Sample
from archive import Archive
from sample_site import SampleSite
from tests.e2e.conftest import crawl


@pytest.fixture(scope="session")
def sample_crawl(tmp_path_factory) -> Sample:
    db = tmp_path_factory.mktemp("access") / "archive.db"
    with SampleSite(port=0) as site:
        crawl(db, site.base_url)
        manifest = site.manifest()
    return Sample(db, manifest)


@pytest.fixture(scope="session")
def sample_archive(sample_crawl):
    with Archive(sample_crawl.db) as arc:
        yield arc


@pytest.fixture
def sample_archive_copy(sample_crawl, tmp_path) -> Path:
    """A copy of the sample archive that a test may change (SQLite's backup API: WAL-safe)."""
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(sample_crawl.db), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return copy
