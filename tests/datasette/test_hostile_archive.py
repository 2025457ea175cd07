"""A served archive's rows may come from anyone (an archive shared by another researcher): its
links are not scripts, its page rows name no file to read but WARC files, no value or record is
read past a bound, no id or parameter is a 500, a damaged page is one log line, and the views'
diffs are bounded. Served in process, from a copy of the two-edition crawl altered by SQL."""
from __future__ import annotations

import logging
import random
import sqlite3
import zlib

import pytest
from lxml import html as lxml_html

from archive.browse import StoryArticle
from bbn_scraper.app.datasette import reading
from tests.helpers import DatasetteClient, copy_archive, rows as sql_rows

SCRIPT_URLS = ["javascript:alert(document.domain)//", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>"]


@pytest.fixture(scope="module")
def hostile(two_edition_crawl, tmp_path_factory):
    from bbn_scraper.app.serve import build_datasette

    db = copy_archive(two_edition_crawl["db"], tmp_path_factory.mktemp("hostile") / "news.db")
    (outside := db.parent.parent / "outside").mkdir(exist_ok=True)
    (outside / "secret.warc.gz").write_bytes(b"SECRET")
    page = sql_rows(db, "SELECT max(id) AS id FROM pages")[0]["id"]
    body = zlib.compress(b"<p>" + random.Random(1).randbytes(1024 * 1024) + b"</p>")  # 1 MiB that does not compress
    pages = {
        "passwd": ("warc", b"", "/etc/passwd", 0, 100, "text/html"),
        "climbs": ("warc", b"", "../outside/secret.warc.gz", 0, 6, "text/html"),
        "huge": ("warc", b"", "/dev/zero.warc.gz", 0, 2**40, "text/html"),
        "crlf": ("zlib", zlib.compress(b"<p>hello</p>"), None, None, None, "text/html\r\nX-Evil: 1"),
        "damaged": ("zlib", body[:len(body) // 2] + bytes(len(body) // 2), None, None, None, "text/html"),
        "text body": ("zlib", "not a blob", None, None, None, "text/html"),
    }
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE articles SET canonical_url = ? WHERE id = 1", [SCRIPT_URLS[0]])
        positions = [r[0] for r in conn.execute("SELECT position FROM links WHERE article_id = 1 AND kind = 'related'")]
        for position, url in zip(positions, SCRIPT_URLS[1:]):
            conn.execute("UPDATE links SET url = ? WHERE article_id = 1 AND kind = 'related' AND position = ?", [url, position])
        ids = {}
        for offset, (name, (compression, stored, file, at, length, content_type)) in enumerate(pages.items(), 1):
            ids[name] = page + offset
            conn.execute("INSERT INTO pages (id, url, crawl_id, fetched_at, status, content_type, size, sha256, compression,"
                         " body, warc_file, warc_offset, warc_length) SELECT ?, url, crawl_id, fetched_at, 200, ?, 1000,"
                         " sha256, ?, ?, ?, ?, ? FROM pages WHERE id = ?",
                         [ids[name], content_type, compression, stored, file, at, length, page])
    conn.close()
    client = DatasetteClient(build_datasette(db), "news")
    yield client, ids, positions
    client.close()


def test_a_script_url_is_shown_as_text_never_as_a_link(hostile):
    client, _, positions = hostile
    assert len(positions) >= 2, "the sample article has related links to make hostile"
    page = client.get("/news/-/article/1").text
    hrefs = [h.strip().lower() for h in lxml_html.fromstring(page).xpath("//@href")]
    assert hrefs and not [h for h in hrefs if h.startswith(("javascript:", "data:"))]
    assert "Original URL: <code>javascript:alert(document.domain)//</code>" in page
    assert "<code>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</code>" in page


@pytest.mark.parametrize("name", ["passwd", "climbs", "huge", "text body"])
def test_a_page_row_naming_no_warc_file_or_a_bad_record_is_refused_and_shows_no_detail(hostile, caplog, name):
    client, ids, _ = hostile
    with caplog.at_level(logging.ERROR, logger="bbn_archive.datasette"):
        response = client.get(f"/news/-/page/{ids[name]}", status=500)
    assert "root:" not in response.text and "SECRET" not in response.text and "/etc" not in response.text
    assert "The server&#39;s log has the reason" in response.text
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"ERROR GET /news/-/page/{ids[name]}: ArchiveError: ") and "\n" not in line
    assert "refused" in line or "damaged row" in line


def test_a_stored_content_type_with_a_line_break_is_sent_as_text(hostile):
    client, ids, _ = hostile
    response = client.get(f"/news/-/page/{ids['crlf']}")
    assert response.headers["content-type"] == "text/plain" and "x-evil" not in response.headers
    assert response.text == "<p>hello</p>"


def test_a_page_damaged_midway_ends_there_with_one_log_line(hostile, caplog):
    client, ids, _ = hostile
    with caplog.at_level(logging.ERROR, logger="bbn_archive.datasette"):
        response = client.get(f"/news/-/page/{ids['damaged']}")
    assert 0 < len(response.content) < 1024 * 1024
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"ERROR stored page {ids['damaged']}: page {ids['damaged']}: its stored body is damaged (")


@pytest.mark.parametrize("path", ["/news/-/article/{big}", "/news/-/page/{big}", "/news/-/story/{big}"])
def test_an_id_past_sqlites_integers_is_a_404(hostile, path):
    hostile[0].get(path.format(big="9" * 30), status=404)


@pytest.mark.parametrize("path", ["/news/-/search?q=vote&offset=%C2%B2", "/news/-/search.json?q=vote&limit=%C2%B9",
                                  "/news/-/stories?offset=%C2%B2"])
def test_a_number_in_other_digits_is_the_default(hostile, path):
    hostile[0].get(path)


def test_sql_makes_no_value_past_64_mib(hostile):
    response = hostile[0].get("/news.json?sql=select+length(zeroblob(100000000))", status=400)
    assert "string or blob too big" in response.text


def test_only_reading_methods_are_served(hostile):
    client = hostile[0]
    for path in ("/news/articles", "/news/latest_crawl", "/news/-/article/2"):
        response = client.loop.run_until_complete(client.ds.client.post(path, data={"x": "1"}))
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_diffs_are_bounded(monkeypatch):
    long_old = [f"paragraph {i} of the old text" for i in range(reading.MAX_DIFF_PARAGRAPHS + 1)]
    (change,) = reading.text_changes(long_old, long_old[1:])
    assert change.removed == [f"({len(long_old):,} paragraphs: too long to compare here)"]
    assert reading.text_changes(long_old, list(long_old)) == []
    assert reading.word_diff("word " * (reading.MAX_DIFF_WORDS + 1), "other " * 3) == []
    calls = []
    real = reading._close
    monkeypatch.setattr(reading, "_close", lambda a, b: calls.append(1) or real(a, b))
    first = [f"the earliest copy's paragraph number {i}" for i in range(400)]
    copy = StoryArticle(2, "example.com", "h", None, [], "https://example.com/a/", None, "2024-01-01T00:00:00+00:00",
                        body="\n\n".join(f"another copy's unrelated text {i}" for i in range(400)))
    compared = reading.compare_with(first, copy)
    assert len(calls) == reading.MAX_COMPARISONS
    assert compared.count("added") == 400 and len(compared.dropped) == 400


def test_an_article_page_shows_a_bounded_body(hostile, monkeypatch):
    client, _, _ = hostile
    body = client.json("/news/articles/2.json?_shape=array&_col=body")[0]["body"]
    monkeypatch.setattr(reading, "MAX_SHOWN_BODY", 200)
    page = client.get("/news/-/article/2").text
    assert f"The body goes on for {len(body) - 200:,} more characters" in page
    shown = " ".join(lxml_html.fromstring(page).xpath("//div[@class='bbn-body']/p[not(@class)]//text()"))
    assert 0 < len(shown) <= 200 and shown[:40] == body[:40]
