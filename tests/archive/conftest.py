"""Fixtures of the archive tests: an in-memory archive and a crawl in it."""
from __future__ import annotations

import pytest

from archive import Archive
from archive_factories import BASE


@pytest.fixture
def empty_archive():
    with Archive(":memory:") as arc:
        yield arc


@pytest.fixture
def crawl_id(empty_archive):
    return empty_archive.start_crawl([f"{BASE}/news"])
