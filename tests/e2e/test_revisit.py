"""Revisits on the sample site: archived articles requested again when a newer sitemap lastmod
or the revisit policy says so, conditionally (a 304 keeps the archived copy, with no body, no
new version and no error), and byte-identical pages not stored again. The sample site's
articles date from 2023: the default policy finds them too old to revisit; a policy with a
wide enough window revisits every one."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bbn_scraper.sample_site import SampleSite
from tests.helpers import copy_archive, crawl, rows

EVERY_CRAWL = ("-s", "REVISIT_POLICY=10000d:always")  # every sample article is due
WEEKLY = ("-s", "REVISIT_POLICY=10000d:7d")  # due a week after its last fetch: none, minutes later


def stats(db, crawl_id: int) -> dict:
    return json.loads(rows(db, "SELECT stats FROM crawls WHERE id = ?", [crawl_id])[0]["stats"])


def article_paths(site) -> set[str]:
    return {a["path"] for a in site.manifest()["articles"]}


def versions(db) -> dict[str, int]:
    return {r["url"]: r["version"] for r in rows(db, "SELECT url, version FROM articles")}


@pytest.fixture(scope="module")
def etag_site():
    with SampleSite(port=0, etags=True) as site:
        yield site


@pytest.fixture(scope="module")
def first(etag_site, tmp_path_factory):
    """Edition 1 of the ETag site crawled once; tests re-crawl copies of it."""
    db = tmp_path_factory.mktemp("revisit") / "archive.db"
    crawl(db, etag_site.base_url)
    return db


@pytest.fixture(scope="module")
def revalidated(etag_site, first, tmp_path_factory):
    """The unchanged site re-crawled with every article due: the requests the site saw."""
    db = tmp_path_factory.mktemp("revalidated") / "archive.db"
    copy_archive(first, db)
    etag_site.reset_counters()
    crawl(db, etag_site.base_url, *EVERY_CRAWL)
    return {"db": db, "log": etag_site.request_log, "conditional": etag_site.conditional_requests}


def test_a_revisit_sends_the_stored_etag_and_the_site_answers_304(etag_site, revalidated):
    paths = article_paths(etag_site)
    conditional = {path: match for path, match, _ in revalidated["conditional"]}
    assert paths <= set(conditional)
    assert all(match and match.startswith('"') for match in conditional.values())
    answers = {path.split("?")[0]: status for _, path, status in revalidated["log"] if path.split("?")[0] in paths}
    assert set(answers.values()) == {304}


def test_due_articles_are_requested_from_the_archive_and_walk_no_listing_further(revalidated):
    # The archive knows their addresses: no listing's next page is followed to find them.
    assert not [path for _, path, _ in revalidated["log"] if "/page/" in path]
    assert stats(revalidated["db"], 2)["bbn/pagination_stopped"] > 0


def test_a_304_stores_no_page_no_version_and_no_error_and_touches_the_article(etag_site, first, revalidated):
    db = revalidated["db"]
    assert not rows(db, "SELECT url FROM pages WHERE crawl_id = 2")  # nor any page: all byte-identical
    assert not rows(db, "SELECT * FROM article_versions")
    errors = rows(db, "SELECT url, stage, reason FROM errors WHERE crawl_id = 2")
    before = rows(first, "SELECT url, stage, reason FROM errors WHERE crawl_id = 1 AND stage = 'fetch'")
    assert errors and all(error in before for error in errors)  # the site's broken links, no parse error
    assert versions(db) == versions(first)
    assert {r["crawl_id"] for r in rows(db, "SELECT crawl_id FROM articles")} == {2}
    counts = stats(db, 2)
    assert counts["bbn/not_modified"] == counts["bbn/revisit/due"] >= len(article_paths(etag_site))
    revalidated_at = rows(db, "SELECT DISTINCT v.crawl_id FROM validators v JOIN articles a USING (url_key)")
    assert revalidated_at == [{"crawl_id": 2}]  # the next weekly revisit counts from this crawl


def test_byte_identical_listing_pages_are_not_stored_twice(etag_site, first, revalidated):
    listings = {etag_site.url(p) for p in etag_site.manifest()["listing_paths"]}
    fetched_again = {etag_site.url(path.split("?")[0]) for _, path, status in revalidated["log"] if status == 200}
    assert etag_site.base_url in fetched_again and etag_site.base_url in listings
    stored = rows(first, "SELECT url, count(*) AS n FROM pages GROUP BY url HAVING n > 1")
    assert not stored
    assert not rows(revalidated["db"], "SELECT url FROM pages WHERE crawl_id = 2")
    assert stats(revalidated["db"], 2)["bbn/page_unchanged"] >= len(fetched_again & listings)


def test_a_weekly_policy_does_not_revisit_what_was_fetched_minutes_ago(etag_site, first, tmp_path):
    db = tmp_path / "archive.db"
    copy_archive(first, db)
    etag_site.reset_counters()
    crawl(db, etag_site.base_url, *WEEKLY)
    assert not etag_site.conditional_requests
    assert not set(etag_site.requests) & article_paths(etag_site)


def test_changed_articles_with_a_newer_lastmod_are_found_by_the_default_policy(etag_site, first, tmp_path):
    db = tmp_path / "archive.db"
    copy_archive(first, db)
    etag_site.edition = 2
    try:
        crawl(db, etag_site.base_url)
        changed = set(etag_site.manifest()["special_pages"]["edition-2-changes"])
    finally:
        etag_site.edition = 1
    updated = {url for url, version in versions(db).items() if version == 2}
    assert {etag_site.url(p) for p in changed} == updated
    assert stats(db, 2)["bbn/revisit/lastmod"] == len(changed) and "bbn/revisit/due" not in stats(db, 2)


@pytest.fixture(scope="module")
def silent_changes(tmp_path_factory):
    """A site whose sitemaps do not change in edition 2: its changed articles have no newer
    lastmod. Edition 1 crawled, then edition 2 with the default policy and with every article due."""
    tmp = tmp_path_factory.mktemp("silent")
    with SampleSite(port=0, stale_sitemaps=True) as site:
        crawl(tmp / "first.db", site.base_url)
        site.edition = 2
        result = {"changed": {site.url(p) for p in site.manifest()["special_pages"]["edition-2-changes"]}}
        for name, args in (("default", ()), ("due", EVERY_CRAWL)):
            copy_archive(tmp / "first.db", tmp / f"{name}.db")
            site.reset_counters()
            crawl(tmp / f"{name}.db", site.base_url, *args)
            result[name] = tmp / f"{name}.db"
            result[name + "_sitemaps"] = {p for p in site.requests if p.endswith(".xml")}
    return result


def test_changed_articles_without_a_newer_lastmod_are_missed_outside_the_revisit_window(silent_changes):
    assert silent_changes["default_sitemaps"] == {"/sitemap_index.xml"}  # nothing newer in the index
    assert set(versions(silent_changes["default"]).values()) == {1}


def test_changed_articles_without_a_newer_lastmod_are_found_inside_the_revisit_window(silent_changes):
    db = silent_changes["due"]
    assert {url for url, version in versions(db).items() if version == 2} == silent_changes["changed"]
    counts = stats(db, 2)
    # The unchanged ones answer 304 to If-Modified-Since (this site gives no ETags).
    assert counts["bbn/not_modified"] == counts["bbn/revisit/due"] - len(silent_changes["changed"])


def test_a_sites_own_revisit_policy_overrides_revisit_policy(etag_site, first, tmp_path):
    db, config = tmp_path / "archive.db", tmp_path / "sites.toml"
    copy_archive(first, db)
    config.write_text(f'[[site]]\nname = "s"\nstart_urls = ["{etag_site.base_url}"]\nrevisit = "10000d:always"\n')
    etag_site.reset_counters()
    result = subprocess.run([sys.executable, "-m", "bbn_scraper", "crawl", "--sites", str(config), "--db", str(db), "--local",
                             "-s", "REVISIT_POLICY=never"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert article_paths(etag_site) <= {path for path, _, _ in etag_site.conditional_requests}
    assert stats(db, 2)["bbn/not_modified"] >= len(article_paths(etag_site))
