"""Issue 12, items 1 and 2: identity is earned. Site B (127.0.0.2) sets rel=canonical on its
pages to site A's (127.0.0.1) articles; a chain of canonicals on one site ends at another
article; article pages name the home page, a listing or a missing page as their canonical.
Each refused claim is one error row with its reason and the page is archived under its own
URL; A's articles keep their text and are fetched whatever the order of the crawls. (Before:
B's text became version 2 of A's articles, or A's articles were never requested; the chain
stored the hostile page as the genuine article; the listing canonicals stored nothing.)"""
from __future__ import annotations

import pytest

from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite

A_PATHS = [f"/2024/02/0{n}/genuine-story-{n}/" for n in range(1, 4)]
B_PATHS = [f"/2024/02/0{n}/copied-story-{n}/" for n in range(1, 4)]
CROSS_SITE = "refused: another site than the page's"
NOT_AN_ARTICLE = "refused: a home page or listing, not an article"


def articles(db) -> dict[str, dict]:
    return {a["url"]: a for a in rows(db, "SELECT url, canonical_url, headline, version FROM articles")}


def errors(db) -> set[tuple]:
    return {(e["url"], e["stage"], e["reason"]) for e in rows(db, "SELECT url, stage, reason FROM errors")}


def own(site: HostileSite, paths, headline) -> dict[str, dict]:
    """Articles archived under their own URLs, version 1."""
    return {site.url(p): {"url": site.url(p), "canonical_url": site.url(p), "headline": headline(p), "version": 1}
            for p in paths}


def genuine(path: str) -> str:
    return f"The story at {path}"


def hijacked(path: str) -> str:
    return f"Hijacked {path}"


@pytest.mark.parametrize("order", ["A then B", "B then A", "together"])
def test_another_site_cannot_claim_an_article(tmp_path, order):
    db = tmp_path / "archive.db"
    with HostileSite() as a, HostileSite("127.0.0.2") as b:
        for path in A_PATHS:
            a.add_article(path)
        for path, target in zip(B_PATHS, A_PATHS):
            b.add_article(path, hijacked(path), canonical=a.url(target))
        crawls = {"A then B": [[a.base_url], [b.base_url]], "B then A": [[b.base_url], [a.base_url]],
                  "together": [[a.base_url, b.base_url]]}[order]
        for urls in crawls:
            assert_clean(crawl(db, urls, timeout=60))
        assert articles(db) == {**own(a, A_PATHS, genuine), **own(b, B_PATHS, hijacked)}
        assert rows(db, "SELECT count(*) AS n FROM article_versions") == [{"n": 0}]
        assert errors(db) == {(b.url(path), "parse", f"canonical {a.url(target)} {CROSS_SITE}")
                              for path, target in zip(B_PATHS, A_PATHS)}
        for path in A_PATHS:
            assert len(a.requests(path)) == 1, path


def test_a_chain_of_canonicals_does_not_make_the_hostile_page_the_article(tmp_path):
    """HOSTILE names MIDDLE as its canonical, MIDDLE names GENUINE (linked from nowhere else):
    GENUINE is fetched and archived with its own text, MIDDLE is its alias, and HOSTILE, whose
    canonical is no article's address, is archived under its own URL."""
    hostile, middle, target = "/2024/03/01/hostile-page/", "/2024/03/01/middle-page/", "/2024/03/01/genuine-page/"
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        site.add_article(hostile, hijacked(hostile), canonical=site.url(middle))
        site.add_article(middle, "The middle page", canonical=site.url(target))
        site.add_article(target)
        site.links = [hostile]
        assert_clean(crawl(db, [site.base_url], timeout=60))
        assert articles(db) == {**own(site, [target], genuine), **own(site, [hostile], hijacked)}
        aliases = rows(db, "SELECT u.url, a.url AS article FROM article_urls u JOIN articles a ON a.id = u.article_id"
                           " WHERE u.url != a.url")
        assert aliases == [{"url": site.url(middle), "article": site.url(target)}]
        assert errors(db) == {(site.url(hostile), "parse",
                               f"canonical {site.url(middle)} refused: it names {site.url(target)} as its canonical")}
        assert len(site.requests(target)) == 1


def test_a_canonical_naming_the_home_page_a_listing_or_a_missing_page_is_ignored(tmp_path):
    """The WordPress misconfiguration: every article page's canonical is the home page, a
    category, a page of the archive, a listing the crawl fetched, or a page that is not there."""
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        claims = {
            "/2024/04/01/home-canonical/": ("/", NOT_AN_ARTICLE),
            "/2024/04/02/home-canonical-too/": ("/", NOT_AN_ARTICLE),
            "/2024/04/03/category-canonical/": ("/category/news/", NOT_AN_ARTICLE),
            "/2024/04/04/paged-canonical/": ("/page/2/", NOT_AN_ARTICLE),
            "/2024/04/05/missing-canonical/": ("/2024/04/05/gone/", "refused: HTTP 404"),
            "/2024/04/06/listing-canonical/": ("/latest", "refused: not an article"),
        }
        for path, (target, _) in claims.items():
            site.add_article(path, canonical=site.url(target))
        site.routes["/latest"] = site.routes["/"]  # a listing whose URL does not say so
        site.link("/latest")
        assert_clean(crawl(db, [site.base_url], timeout=60))
        assert articles(db) == own(site, claims, genuine)
        assert errors(db) == {
            *((site.url(path), "parse", f"canonical {site.url(target)} {reason}") for path, (target, reason) in claims.items()),
            (site.url("/2024/04/05/gone/"), "fetch", "HTTP 404"),
        }
        assert not site.requests("/category/news/") and not site.requests("/page/2/")
