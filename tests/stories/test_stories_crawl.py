"""A crawl of the sample site and its sister site into one archive clusters as the sister's
manifest labels it: the crawl's store path assigns every article to its story."""
from __future__ import annotations

import sqlite3

import pytest

from archive.stories import clusters
from bbn_scraper.sample_site.sister import SisterSite
from tests.helpers import crawl


@pytest.fixture(scope="module")
def sister_site():
    with SisterSite(port=0) as running:
        yield running


def test_crawling_both_sites_finds_every_copy(sample_site, sister_site, tmp_path):
    db = tmp_path / "both.db"
    crawl(db, sample_site.base_url, sister_site.base_url)
    originals = {a["path"]: a["canonical_url"] for a in sample_site.manifest()["articles"]}
    sister = sister_site.manifest()["articles"]
    copies = {frozenset((a["url"], originals[a["copy_of"]])) for a in sister if a["copy_of"]}
    with sqlite3.connect(db) as conn:
        found = clusters(conn)
        assert {g for g in found if len(g) > 1} == copies
        assert conn.execute("SELECT count(*) FROM article_story").fetchone()[0] == len(originals) + len(sister)
        assert conn.execute("SELECT count(*), min(sites), max(size) FROM multi_site_stories").fetchone() == (len(copies), 2, 2)
