"""The reading room on an archive crawled with `--warc`: the pages' bodies are not in the
archive but in WARC files beside it (archive.warc_store), and the reading room reads them
there as `Archive.page_body` does."""
from __future__ import annotations

import pytest
from lxml import html as lxml_html

from archive import Archive
from tests.helpers import DatasetteClient
from tests.helpers import rows as sql_rows


@pytest.fixture(scope="module")
def warc_client(warc_crawl):
    from bbn_scraper.app.serve import build_datasette

    client = DatasetteClient(build_datasette(warc_crawl.db), "archive")
    yield client
    client.close()


def test_article_and_stored_page_of_an_article_recorded_in_a_warc(warc_crawl, warc_client):
    article = next(a for a in warc_crawl.manifest["articles"] if a["faqs"])
    (row,) = sql_rows(warc_crawl.db, "SELECT id FROM articles WHERE canonical_url = ?", [article["canonical_url"]])
    tree = lxml_html.fromstring(warc_client.get(f"/archive/-/article/{row['id']}").text)
    assert [" ".join(h.text_content().split()) for h in tree.xpath("//article//h1")] == [article["headline"]]
    assert [" ".join(p.text_content().split()) for p in tree.xpath("//div[@class='bbn-body']/p")] == [
        " ".join(p.split()) for p in article["body_paragraphs"]]
    (href,) = tree.xpath("//a[@class='bbn-raw']/@href")
    page_id = int(href.rsplit("/", 1)[1])
    (page,) = sql_rows(warc_crawl.db, "SELECT compression, length(body) AS stored, warc_file FROM pages WHERE id = ?", [page_id])
    assert (page["compression"], page["stored"]) == ("warc", 0) and page["warc_file"]  # the body is in the WARC only
    response = warc_client.get(href)
    assert response.headers["content-type"].startswith("text/html")
    with Archive(warc_crawl.db) as arc:
        assert response.content == arc.page_body(page_id)
    assert article["headline"].encode() in response.content
