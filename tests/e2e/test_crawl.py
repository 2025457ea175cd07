"""Crawl the sample site three times into one archive: a first crawl, a re-crawl of the same
edition, and a crawl of the second edition in which some articles changed."""
from __future__ import annotations

import pytest

from tests.helpers import archive_state, crawl, rows


@pytest.fixture(scope="module")
def crawls(sample_site, tmp_path_factory):
    """Run the three crawls once; keep what each left behind."""
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    manifest1 = sample_site.manifest()
    result = {"db": db, "manifest": manifest1}

    sample_site.reset_counters(rearm_503=True)
    out1 = crawl(db, sample_site.base_url)
    result["first"] = {"out": out1.stdout, "requests": sample_site.requests, "log": sample_site.request_log, "state": archive_state(db)}

    sample_site.reset_counters()
    out2 = crawl(db, sample_site.base_url)
    result["second"] = {"out": out2.stdout, "requests": sample_site.requests, "state": archive_state(db)}

    sample_site.edition = 2
    try:
        result["manifest2"] = sample_site.manifest()
        sample_site.reset_counters()
        out3 = crawl(db, sample_site.base_url)
        result["third"] = {"out": out3.stdout, "requests": sample_site.requests, "state": archive_state(db)}
    finally:
        sample_site.edition = 1
    return result


def articles_by_url(state) -> dict:
    return {a["canonical_url"]: a for a in state["articles"]}


def test_first_crawl_archives_every_article_exactly_once(crawls):
    expected = {a["canonical_url"] for a in crawls["manifest"]["articles"]}
    archived = [a["canonical_url"] for a in crawls["first"]["state"]["articles"]]
    assert sorted(archived) == sorted(expected)
    assert len(archived) == len(set(archived))


def test_first_crawl_stores_faq_pairs_and_links(crawls):
    state = crawls["first"]["state"]
    for article in crawls["manifest"]["articles"]:
        url = article["canonical_url"]
        faqs = [(f["question"], f["answer"]) for f in state["faqs"] if f["canonical_url"] == url]
        assert sorted(faqs) == sorted((f["question"], f["answer"]) for f in article["faqs"]), url
        related = [l for l in state["links"] if l["canonical_url"] == url and l["kind"] == "related"]
        also = [l for l in state["links"] if l["canonical_url"] == url and l["kind"] == "also_like"]
        assert len(related) == article["related_link_count"], url
        assert len(also) == article["also_like_count"], url


def test_no_listing_page_becomes_an_article(crawls):
    base = crawls["manifest"]["base_url"]
    listings = {base.rstrip("/") + path for path in crawls["manifest"]["listing_paths"]}
    for article in crawls["first"]["state"]["articles"]:
        assert article["canonical_url"] not in listings
        assert article["url"] not in listings


def test_disallowed_path_is_never_requested(crawls):
    disallowed = crawls["manifest"]["disallowed_path"]
    assert not [path for path in crawls["first"]["requests"] if path.startswith(disallowed)]


def test_page_answering_503_twice_is_archived_after_retries(crawls):
    flaky = next(a for a in crawls["manifest"]["articles"] if "503-twice" in a["special"])
    statuses = [status for _, path, status in crawls["first"]["log"] if path.split("?")[0] == flaky["path"]]
    assert statuses[:3] == [503, 503, 200]
    assert flaky["canonical_url"] in articles_by_url(crawls["first"]["state"])


def test_windows_1252_page_text_is_intact(crawls):
    page = next(a for a in crawls["manifest"]["articles"] if a["charset"].lower() in ("windows-1252", "cp1252"))
    archived = articles_by_url(crawls["first"]["state"])[page["canonical_url"]]
    assert archived["body"] == page["body"]
    assert archived["headline"] == page["headline"]
    assert "\ufffd" not in archived["body"]


def test_articles_are_archived_from_their_canonical_page(crawls):
    for article in crawls["first"]["state"]["articles"]:
        assert article["url"] == article["canonical_url"]


def test_aliases_are_recorded_not_duplicated(crawls):
    urls = crawls["first"]["state"]["urls"]
    by_alias = {u["url"]: u["canonical_url"] for u in urls}
    base = crawls["manifest"]["base_url"].rstrip("/")
    for article in crawls["manifest"]["articles"]:
        if article.get("amp_path"):
            assert by_alias[base + article["amp_path"]] == article["canonical_url"]
    tracked = [u for u in by_alias if "utm_source=" in u]
    assert tracked, "tracking-decorated links are recorded as aliases"
    for url in tracked:
        assert by_alias[url] == url.split("?")[0]


def test_every_failed_fetch_is_recorded_with_url_and_reason(crawls):
    errors = rows(crawls["db"], "SELECT * FROM errors WHERE crawl_id = 1")
    recorded = {e["url"]: e for e in errors}
    for link in crawls["manifest"]["broken_links"]:
        assert recorded[link["url"]]["stage"] == "fetch"
        assert recorded[link["url"]]["reason"] == "HTTP 404"
    assert len(errors) == len(crawls["manifest"]["broken_links"])
    assert all(e["url"] and e["reason"] for e in errors)


def test_second_crawl_downloads_no_known_article_and_changes_only_last_seen(crawls):
    article_paths = {a["path"] for a in crawls["manifest"]["articles"]}
    refetched = [p for p in crawls["second"]["requests"] if p in article_paths]
    assert refetched == []
    assert crawls["second"]["state"] == crawls["first"]["state"]  # ids and timestamps aside
    first_seen = rows(crawls["db"], "SELECT count(*) AS n FROM crawls")[0]["n"]
    assert first_seen == 3  # and a row for each crawl
    assert "0 new, 0 updated" in crawls["second"]["out"]


def test_second_crawl_moves_last_seen(crawls):
    latest = rows(crawls["db"], "SELECT started FROM crawls WHERE id = 2")[0]["started"]
    unchanged = {a["path"] for a in crawls["manifest"]["articles"] if not a["changes_in_edition_2"]}
    seen = rows(crawls["db"], "SELECT url, last_seen FROM articles")
    base = crawls["manifest"]["base_url"].rstrip("/")
    for row in seen:
        if row["url"].removeprefix(base) in unchanged:
            assert row["last_seen"] >= latest


def test_third_crawl_updates_exactly_the_changed_articles(crawls):
    changed = {a["canonical_url"] for a in crawls["manifest2"]["articles"] if a["changes_in_edition_2"]}
    assert changed
    after = articles_by_url(crawls["third"]["state"])
    before = articles_by_url(crawls["first"]["state"])
    assert {url for url, a in after.items() if a["version"] == 2} == changed
    assert all(a["version"] == 1 for url, a in after.items() if url not in changed)
    new_text = {a["canonical_url"]: a["body"] for a in crawls["manifest2"]["articles"]}
    versions = crawls["third"]["state"]["versions"]
    assert {v["canonical_url"] for v in versions} == changed
    for v in versions:
        assert v["version"] == 1
        assert v["body"] == before[v["canonical_url"]]["body"]
        assert after[v["canonical_url"]]["body"] == new_text[v["canonical_url"]]


def test_third_crawl_downloads_only_changed_articles(crawls):
    changed = {a["path"] for a in crawls["manifest2"]["articles"] if a["changes_in_edition_2"]}
    article_paths = {a["path"] for a in crawls["manifest"]["articles"]}
    fetched = {p for p in crawls["third"]["requests"] if p in article_paths}
    assert fetched == changed
