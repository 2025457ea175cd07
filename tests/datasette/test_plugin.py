"""The plugin as Datasette loads it from the `datasette` entry point, in process: a plain
`Datasette([news.db])` (what `datasette news.db` makes) has the metadata of `bbn-archive serve`,
and a database served beside an archive is left as Datasette shows it."""
from __future__ import annotations

import sqlite3

import pytest
from datasette.app import Datasette
from lxml import html as lxml_html

from bbn_scraper.app.serve import build_datasette
from tests.helpers import DatasetteClient


@pytest.fixture(scope="module")
def beside(two_edition_crawl, tmp_path_factory):
    """The archive (news) and another database (other) with a table named articles, served together."""
    other = tmp_path_factory.mktemp("other") / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, headline TEXT)")
        conn.execute("INSERT INTO articles VALUES (1, 'Not an archived article')")
    conn.close()
    client = DatasetteClient(Datasette([str(two_edition_crawl["db"]), str(other)]), "news")
    yield client
    client.close()


def test_plain_datasette_has_the_metadata_of_bbn_archive_serve(two_edition_crawl):
    plain = DatasetteClient(Datasette([str(two_edition_crawl["db"])]), "news")
    served = DatasetteClient(build_datasette(two_edition_crawl["db"]), "news")
    try:
        metadata = plain.json("/-/metadata.json")
        assert metadata == served.json("/-/metadata.json")
        assert metadata["title"] == "BBN news archive" and metadata["databases"]["news"]["queries"]
        (plugin,) = [p for p in plain.json("/-/plugins.json") if p["name"] == "bbn-archive"]
        assert plugin["static"] and plugin["templates"]  # the package's static/ and templates/
        facets = plain.json("/news/articles.json?_size=0")["facet_results"]
        assert {"section", "authors", "tags", "published"} <= set(facets)
    finally:
        plain.close()
        served.close()


def test_a_database_beside_an_archive_is_not_relabelled(beside):
    metadata = beside.json("/-/metadata.json")
    assert "title" not in metadata and "description" not in metadata and "license" not in metadata
    assert list(metadata["databases"]) == ["news"] and metadata["databases"]["news"]["title"] == "BBN news archive"
    other = beside.get("/other").text
    assert "BBN" not in other and "archive.css" not in other
    table = lxml_html.fromstring(beside.get("/other/articles").text)
    assert not table.xpath("//td[contains(@class, 'col-headline')]/a")  # no link to a reading room
    assert not table.xpath("//link[contains(@href, 'archive.css')]")
    assert not lxml_html.fromstring(beside.get("/other/articles/1").text).xpath("//p[@class='bbn-read']")
    beside.get("/other/-/article/1", status=404)
    beside.get("/other/-/search?q=article", status=404)
    # the archive beside it keeps everything
    news = lxml_html.fromstring(beside.get("/news/articles").text)
    assert news.xpath("//td[contains(@class, 'col-headline')]/a/@href")[0].startswith("/news/-/article/")
    assert news.xpath("//link[contains(@href, '/-/static-plugins/bbn-archive/archive.css')]")
    assert "BBN news archive" in beside.get("/news").text
