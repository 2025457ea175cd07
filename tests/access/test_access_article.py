"""Archive.article by id, canonical URL and alias URLs, and Archive.stats, against the manifest."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import pytest

from tests.helpers import decoded
from archive import NotFound


def test_article_by_id_canonical_url_and_aliases_is_the_same_article(sample_archive, sample_crawl):
    for amp in sample_crawl.manifest["amp_pages"]:
        by_url = sample_archive.article(amp["canonical_url"])
        assert sample_archive.article(amp["url"]) == by_url
        assert sample_archive.article(by_url.id) == sample_archive.article(str(by_url.id)) == by_url
        assert amp["url"] in by_url.urls
    for link in sample_crawl.manifest["tracking_links"]:
        canonical = sample_crawl.manifest["base_url"] + link["target_path"].lstrip("/")
        assert sample_archive.article(link["url"]).canonical_url == canonical


def test_article_holds_the_stored_row_and_what_the_page_had(sample_archive, sample_crawl):
    stored = {row["canonical_url"]: row for row in sample_archive.db.query("SELECT * FROM articles")}
    for expected in sample_crawl.articles:
        got = asdict(sample_archive.article(expected["canonical_url"]))
        row = decoded(stored[expected["canonical_url"]])
        shared = row.keys() & got.keys()
        assert {k: got[k] for k in shared} == {k: row[k] for k in shared}
        for field in ("headline", "authors", "tags", "section", "published", "summary", "body", "faqs",
                      "related_links", "related_articles"):
            assert got[field] == expected[field], (expected["path"], field)
        assert got["version"] == 1 and got["versions"] == []
        assert expected["canonical_url"] in got["urls"]


@pytest.mark.parametrize("key", [999999, "http://127.0.0.1:1/never/archived/", "  "])
def test_an_unknown_article_is_not_found(sample_archive, key):
    with pytest.raises(NotFound):
        sample_archive.article(key)


def test_stats_count_what_the_manifest_holds(sample_archive, sample_crawl):
    articles = sample_crawl.articles
    stats = sample_archive.stats()
    assert stats.totals["articles"] == len(articles)
    assert stats.totals["faqs"] == sum(len(a["faqs"]) for a in articles)
    assert stats.by_section == Counter(a["section"] for a in articles)
    assert stats.by_author == Counter(name for a in articles for name in a["authors"])
    assert stats.by_month == Counter(a["published"][:7] for a in articles)
    assert list(stats.by_month) == sorted(stats.by_month)
    assert list(stats.by_section.values()) == sorted(stats.by_section.values(), reverse=True)


def test_stats_crawl_history_and_errors_by_stage(sample_archive, sample_crawl):
    stats = sample_archive.stats()
    [crawl] = stats.crawls
    assert crawl.status == "finished" and crawl.start_urls == [sample_crawl.manifest["base_url"]]
    assert (crawl.articles_new, crawl.articles_updated) == (len(sample_crawl.articles), 0)
    assert crawl.errors == len(sample_crawl.manifest["broken_links"])
    assert stats.errors_by_stage == {"fetch": len(sample_crawl.manifest["broken_links"]), "parse": 0, "store": 0}
