"""Every canned query of the metadata returns the rows it should: checked against the sample
site's manifest and against the archive read with plain SQL."""
from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from bbn_scraper.app.datasette import load_metadata
from tests.helpers import rows as sql_rows

TESTED = {"articles_by_author", "faq_search", "latest_crawl", "latest_crawl_errors", "article_aliases", "changed_articles"}


def test_every_canned_query_is_tested_here(datasette_client):
    queries = load_metadata(datasette_client.name)["databases"][datasette_client.name]["queries"]
    assert set(queries) == TESTED
    for name, query in queries.items():
        assert query.get("title") and query.get("description"), name


def run(datasette_client, name: str, **params) -> list[dict]:
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
    return datasette_client.rows(f"/{datasette_client.name}/{name}?{query}")


def test_articles_by_author(two_edition_crawl, datasette_client):
    articles = two_edition_crawl["manifest"]["articles"]
    counts = Counter(name for a in articles for name in a["authors"])
    co_written = next(a for a in articles if len(a["authors"]) > 1)
    for author in sorted(counts):
        rows = run(datasette_client, "articles_by_author", author=author)
        expected = [a for a in articles if author in a["authors"]]
        assert sorted(r["canonical_url"] for r in rows) == sorted(a["canonical_url"] for a in expected), author
        assert {r["author"] for r in rows} == {author}
        assert [r["published"] for r in rows] == sorted((r["published"] for r in rows), reverse=True)
        for row in rows:
            article = next(a for a in expected if a["canonical_url"] == row["canonical_url"])
            assert row["headline"] == article["headline"]
            assert row["byline_position"] == article["authors"].index(author) + 1
    second = co_written["authors"][1]
    assert co_written["canonical_url"] in {r["canonical_url"] for r in run(datasette_client, "articles_by_author", author=second.upper())}
    assert len(run(datasette_client, "articles_by_author", author=f"%{second.split()[-1]}%")) >= counts[second]
    assert run(datasette_client, "articles_by_author", author="Nobody Atall") == []


def test_faq_search(two_edition_crawl, datasette_client):
    faq_word = two_edition_crawl["manifest"]["faq_only_word"]
    article = next(a for a in two_edition_crawl["manifest"]["articles"] if a["path"] == faq_word["article_path"])
    rows = run(datasette_client, "faq_search", q=faq_word["word"])
    assert len(rows) == 1
    assert rows[0]["canonical_url"] == article["canonical_url"]
    assert rows[0]["headline"] == article["headline"]
    assert rows[0]["question"] == faq_word["question"]
    assert f"[{faq_word['word']}]" in rows[0]["answer"]
    # several words: every one must match; ranked; the same pairs as a plain FTS query
    question_words = article["faqs"][0]["question"].rstrip("?").split()[:3]
    rows = run(datasette_client, "faq_search", q=" ".join(question_words))
    expected = sql_rows(
        two_edition_crawl["db"],
        "SELECT f.article_id FROM faqs_fts JOIN faqs f ON f.rowid = faqs_fts.rowid WHERE faqs_fts MATCH ?",
        [" ".join(f'"{w}"' for w in question_words)],
    )
    assert len(rows) == len(expected) > 0
    assert Counter(r["article_id"] for r in rows) == Counter(e["article_id"] for e in expected)
    assert run(datasette_client, "faq_search", q="") == []
    assert run(datasette_client, "faq_search", q='"unbalanced OR') == []


def test_latest_crawl(two_edition_crawl, datasette_client):
    (row,) = run(datasette_client, "latest_crawl")
    crawl = sql_rows(two_edition_crawl["db"], "SELECT * FROM crawls ORDER BY id DESC LIMIT 1")[0]
    manifest = two_edition_crawl["manifest"]
    changed = [a for a in manifest["articles"] if a["changes_in_edition_2"]]
    assert row["crawl"] == crawl["id"] == 2
    assert row["status"] == "finished"
    for key in ("started", "finished", "pages", "articles_new", "articles_updated", "duplicates", "errors", "start_urls"):
        assert row[key] == crawl[key], key
    assert row["articles_new"] == 0
    assert row["articles_updated"] == len(changed)
    assert row["not_downloaded_again"] == len(manifest["articles"]) - len(changed)  # changed: newer lastmod
    assert row["requests"] > 0 and row["seconds"] > 0
    assert row["archive_articles"] == len(manifest["articles"])
    assert row["archive_faq_pairs"] == sum(a["faq_count"] for a in manifest["articles"])
    assert row["archive_earlier_versions"] == len(changed)
    assert row["archive_crawls"] == 2


def test_latest_crawl_errors(two_edition_crawl, datasette_client):
    rows = run(datasette_client, "latest_crawl_errors")
    expected = sql_rows(two_edition_crawl["db"], "SELECT id, stage, url, reason, at FROM errors WHERE crawl_id = 2 ORDER BY id")
    assert rows == expected and rows
    broken = {link["url"] for link in two_edition_crawl["manifest"]["broken_links"]}
    assert {r["url"] for r in rows} <= broken
    assert {(r["stage"], r["reason"]) for r in rows} == {("fetch", "HTTP 404")}


def test_article_aliases_by_id_or_any_url(two_edition_crawl, datasette_client):
    manifest = two_edition_crawl["manifest"]
    amp = manifest["amp_pages"][0]
    article_id = sql_rows(two_edition_crawl["db"], "SELECT id FROM articles WHERE canonical_url = ?", [amp["canonical_url"]])[0]["id"]
    expected = sql_rows(two_edition_crawl["db"], "SELECT url FROM article_urls WHERE article_id = ? ORDER BY url", [article_id])
    by_id = run(datasette_client, "article_aliases", article=article_id)
    assert sorted(r["url"] for r in by_id) == [e["url"] for e in expected]
    assert {amp["url"], amp["canonical_url"]} <= {r["url"] for r in by_id}
    assert [r["url"] for r in by_id if r["is_canonical"]] == [amp["canonical_url"]]
    assert by_id[0]["is_canonical"] == 1  # the canonical URL first
    assert {r["article_id"] for r in by_id} == {article_id}
    headline = next(a["headline"] for a in manifest["articles"] if a["canonical_url"] == amp["canonical_url"])
    assert {r["headline"] for r in by_id} == {headline}
    assert run(datasette_client, "article_aliases", article=amp["url"]) == by_id
    assert run(datasette_client, "article_aliases", article=amp["canonical_url"]) == by_id
    tracked = manifest["tracking_links"][0]  # a utm-decorated link of the home page or feed
    tracked_rows = run(datasette_client, "article_aliases", article=tracked["url"])
    canonical = manifest["base_url"].rstrip("/") + tracked["target_path"]
    assert tracked["url"] in {r["url"] for r in tracked_rows}
    assert [r["url"] for r in tracked_rows if r["is_canonical"]] == [canonical]
    assert run(datasette_client, "article_aliases", article="http://nowhere.example/") == []
    assert run(datasette_client, "article_aliases", article="") == []


def test_changed_articles_with_their_versions(two_edition_crawl, datasette_client):
    rows = run(datasette_client, "changed_articles")
    manifest, manifest1 = two_edition_crawl["manifest"], two_edition_crawl["manifest1"]
    changed = {a["canonical_url"]: a for a in manifest["articles"] if a["changes_in_edition_2"]}
    before = {a["canonical_url"]: a for a in manifest1["articles"]}
    assert sorted(r["canonical_url"] for r in rows) == sorted(changed)
    for row in rows:
        article = changed[row["canonical_url"]]
        assert (row["version"], row["current_version"]) == (1, 2)
        assert row["headline"] == row["version_headline"] == article["headline"]
        assert (row["headline_changed"], row["body_changed"], row["faqs_changed"]) == (0, 1, 0)
        assert row["version_word_count"] == before[row["canonical_url"]]["word_count"]
        assert row["current_word_count"] == article["word_count"]
        assert row["version_last_seen"] < row["superseded_at"]
    assert len(rows) == sql_rows(two_edition_crawl["db"], "SELECT count(*) AS n FROM article_versions")[0]["n"]


def test_latest_crawl_is_not_a_reparse(two_edition_crawl, tmp_path):
    """A reparse is a crawls row of its own; the latest crawl report stays the last real crawl's."""
    from bbn_scraper.app.reparse import reparse
    from bbn_scraper.app.serve import build_datasette
    from archive import Archive
    from tests.helpers import DatasetteClient, copy_archive

    db = tmp_path / "news.db"
    copy_archive(two_edition_crawl["db"], db)
    with Archive(db) as archive:
        archive.record_error(reparse(archive, None, 0, 30).crawl_id, None, "parse", "a reparse failure")
    assert sql_rows(db, "SELECT start_urls FROM crawls ORDER BY id DESC LIMIT 1") == [{"start_urls": '["reparse"]'}]
    client = DatasetteClient(build_datasette(db), "news")
    try:
        (row,) = run(client, "latest_crawl")
        assert row["crawl"] == 2 and row["archive_crawls"] == 3
        assert "a reparse failure" not in {r["reason"] for r in run(client, "latest_crawl_errors")}
        assert run(client, "latest_crawl_errors")
    finally:
        client.close()
