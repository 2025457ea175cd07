"""Fixtures of the Datasette tests: an archive crawled from the sample site (edition 1, then
edition 2 so that some articles have earlier versions), and Datasette on it in process."""
from __future__ import annotations

import pytest

from app.serve import build_datasette
from sample_site import SampleSite
from tests.datasette.support import Client
from tests.e2e.conftest import crawl


@pytest.fixture(scope="session")
def two_edition_crawl(tmp_path_factory):
    """news.db (not archive.db: the metadata must follow the file's name) after two crawls;
    `manifest` is the second edition's, which the archive now holds."""
    db = tmp_path_factory.mktemp("datasette") / "news.db"
    with SampleSite(port=0) as site:
        manifest1 = site.manifest()
        crawl(db, site.base_url)
        site.edition = 2
        crawl(db, site.base_url)
        manifest = site.manifest()
    return {"db": db, "name": "news", "manifest": manifest, "manifest1": manifest1}


@pytest.fixture(scope="session")
def datasette_client(two_edition_crawl):
    c = Client(build_datasette(two_edition_crawl["db"]), two_edition_crawl["name"])
    yield c
    c.close()
