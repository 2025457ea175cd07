"""reparse: the stored pages parsed again without fetching; changed articles become versions."""
from __future__ import annotations

import json
import hashlib
import re
import zlib

import pytest

from archive import Archive, ArchiveLocked
from bbn_scraper.app.reparse import reparse
from bbn_scraper.parsers import PARSER_VERSION


@pytest.mark.parametrize("processes", [0, 2])
def test_reparse_of_a_fresh_crawl_changes_nothing(sample_crawl, sample_archive_copy, processes):
    with Archive(sample_archive_copy) as archive:
        before = list(archive.db.query("SELECT id, last_seen, crawl_id, version FROM articles ORDER BY id"))
        result = reparse(archive, processes=processes)
        after = list(archive.db.query("SELECT id, last_seen, crawl_id, version FROM articles ORDER BY id"))
        crawl = next(archive.db.query("SELECT * FROM crawls WHERE id = ?", [result.crawl_id]))
    n = len(sample_crawl.articles)
    assert (result.parsed, result.changed, result.unchanged, result.failed) == (n, 0, n, 0)
    assert after == before  # reparsing is not a visit: last_seen and crawl_id stay
    assert json.loads(crawl["start_urls"]) == ["reparse"] and crawl["status"] == "finished"
    assert json.loads(crawl["settings"])["parser_version"] == PARSER_VERSION


def test_reparse_restores_a_tampered_article_as_a_new_version(sample_crawl, sample_archive_copy):
    expected = sample_crawl.articles[5]
    with Archive(sample_archive_copy) as archive:
        article_id = archive.known_article_id(expected["canonical_url"])
        # What an older parser might have stored: other text, so another content hash.
        archive.db.execute("UPDATE articles SET body = 'tampered text', content_hash = 'old' WHERE id = ?", [article_id])
        archive.db.conn.commit()
        assert [r.id for r in archive.search("tampered")] == [article_id]
        result = reparse(archive)
        restored = archive.article(article_id)
        [old] = list(archive.db.query("SELECT version, body, crawl_id FROM article_versions WHERE article_id = ?", [article_id]))
        assert archive.search("tampered") == []
    assert (result.changed, result.unchanged, result.failed) == (1, len(sample_crawl.articles) - 1, 0)
    assert restored.body == expected["body"] and restored.version == 2
    assert old == {"version": 1, "body": "tampered text", "crawl_id": result.crawl_id}
    assert restored.parser_version == PARSER_VERSION


def test_reparse_refreshes_fields_outside_the_content_hash_without_a_new_version(sample_crawl, sample_archive_copy):
    """What an older parser stored without a field that is new to the model, or with other tags:
    the same headline, body and FAQs, so no new version, but the fields are brought up to date."""
    expected = sample_crawl.articles[3]
    with Archive(sample_archive_copy) as archive:
        article_id = archive.known_article_id(expected["canonical_url"])
        archive.db.execute("UPDATE articles SET section = 'stale', parser_version = '1' WHERE id = ?", [article_id])
        archive.db.execute("DELETE FROM article_tags WHERE article_id = ?", [article_id])
        archive.db.conn.commit()
        result = reparse(archive)
        refreshed = archive.article(article_id)
        versions = archive.db.execute("SELECT count(*) FROM article_versions").fetchone()[0]
    assert (result.changed, result.failed) == (0, 0)
    assert refreshed.version == 1 and versions == 0
    assert refreshed.section == expected["section"] and refreshed.tags == expected["tags"]
    assert refreshed.parser_version == PARSER_VERSION


def test_pages_that_no_longer_parse_or_decompress_are_parse_errors_of_the_reparse(sample_crawl, sample_archive_copy):
    expected = sample_crawl.articles[7]
    with Archive(sample_archive_copy) as archive:
        archive.db.execute("UPDATE pages SET body = ? WHERE url = ?",
                           [zlib.compress(b"<html><body><p>gone</p></body></html>"), expected["canonical_url"]])
        archive.db.conn.commit()
        archive.db.execute("UPDATE pages SET body = ? WHERE url = ?", [b"not zlib", sample_crawl.articles[8]["canonical_url"]])
        archive.db.conn.commit()
        result = reparse(archive, processes=1)
        errors = list(archive.db.query("SELECT url, stage FROM errors WHERE crawl_id = ?", [result.crawl_id]))
        body = archive.article(expected["canonical_url"]).body
    assert (result.failed, result.changed) == (2, 0)
    assert sorted(errors, key=lambda e: e["url"]) == sorted(
        [{"url": expected["canonical_url"], "stage": "parse"}, {"url": sample_crawl.articles[8]["canonical_url"], "stage": "parse"}],
        key=lambda e: e["url"])
    assert body == expected["body"]  # the archived article is kept


def test_reparse_since_a_later_date_parses_nothing(sample_archive_copy):
    with Archive(sample_archive_copy) as archive:
        assert reparse(archive, since="2999-01-01").parsed == 0


def test_reparse_holds_the_crawl_lock(sample_archive_copy):
    with Archive(sample_archive_copy) as holder, holder.crawl_lock(), Archive(sample_archive_copy) as other:
        with pytest.raises(ArchiveLocked):
            reparse(other)


def test_reparse_cuts_fields_as_a_crawl_does(sample_crawl, sample_archive_copy):
    expected = sample_crawl.articles[3]
    with Archive(sample_archive_copy) as archive:
        page_id = archive.db.execute("SELECT id FROM pages WHERE url = ?", [expected["canonical_url"]]).fetchone()[0]
        html = archive.page_body(page_id).decode()
        long_headline = "Headline " * 300  # 2,700 characters; ARTICLE_MAX_HEADLINE is 1,000
        title = re.search(r"<h1[^>]*>(.*?)</h1>", html).group(1)
        html = html.replace(title, long_headline)  # in every place the parser may read it from
        archive.db.execute("UPDATE pages SET body = ?, sha256 = ? WHERE id = ?",  # as a page stored with it
                           [zlib.compress(html.encode()), hashlib.sha256(html.encode()).hexdigest(), page_id])
        archive.db.conn.commit()
        result = reparse(archive, processes=0)
        headline = archive.article(expected["canonical_url"]).headline
        errors = [r["reason"] for r in archive.db.query("SELECT reason FROM errors WHERE crawl_id = ?", [result.crawl_id])]
    assert len(headline) <= 1000 and headline.endswith("…")
    assert errors == ["truncated: headline of 2699 characters cut to 1000 (ARTICLE_MAX_HEADLINE)"]


def test_reparse_stores_through_the_crawls_store(sample_crawl, sample_archive_copy, monkeypatch):
    from archive.crawl_store import CrawlStore

    reparsed, original = [], CrawlStore.reparsed
    monkeypatch.setattr(CrawlStore, "reparsed", lambda self, page, *parsed: (reparsed.append(page["url"]),
                                                                             original(self, page, *parsed))[1])
    with Archive(sample_archive_copy) as archive:
        result = reparse(archive, processes=0)
    assert len(reparsed) == result.parsed == len(sample_crawl.articles)
