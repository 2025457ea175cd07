"""Issue 12, item 7: one slow site starves the others. Site A answers every article with
`429 Retry-After: 3600` (capped to RETRY_BACKOFF_MAX); site B is an ordinary site whose home
page, sitemap and feed take a second, so that B's articles are found once A's are backing off. B crawled
alone and B crawled beside A, in the same test: B's articles are all fetched in about the
time they take alone, A's are retried after their back-off and recorded as HTTP 429. (While A's
back-off held the crawl's CONCURRENT_REQUESTS, B's articles came one at a time.)"""
from __future__ import annotations

import pytest

from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite

A_ARTICLES = [f"/2024/03/{n // 28 + 1:02d}/rate-limited-{n}/" for n in range(40)]
B_ARTICLES = [f"/2024/04/{n // 28 + 1:02d}/ordinary-{n}/" for n in range(40)]
BACKOFF = 8  # seconds: RETRY_BACKOFF_MAX, to which A's Retry-After: 3600 is capped
SETTINGS = ("-s", f"RETRY_BACKOFF_MAX={BACKOFF}", "-s", "RETRY_TIMES=1", "-s", "CONCURRENT_REQUESTS=16")


def site_b() -> HostileSite:
    site = HostileSite()
    site.discovery_delay = 1.0
    site.article_delay = 0.1  # a real server's latency: 4 s for B's articles one at a time, 0.5 s eight at a time
    for path in B_ARTICLES:
        site.add_article(path)
    return site


def span(site: HostileSite, paths: list[str]) -> float:
    """Seconds from the first request for one of `paths` to the last."""
    times = [s.at for s in site.seen if s.path in paths]
    return max(times) - min(times)


@pytest.fixture(scope="module")
def solo(tmp_path_factory):
    with site_b() as b:
        result = crawl(tmp_path_factory.mktemp("solo") / "archive.db", [b.base_url], *SETTINGS, timeout=90)
        assert_clean(result)
        return span(b, B_ARTICLES)


@pytest.fixture(scope="module")
def together(tmp_path_factory):
    db = tmp_path_factory.mktemp("together") / "archive.db"
    with HostileSite() as a, site_b() as b:
        for path in A_ARTICLES:
            a.link(path)
            a.routes[path] = lambda h: h.send(429, b"<h1>Too Many Requests</h1>", headers={"Retry-After": "3600"})
        result = crawl(db, [a.base_url, b.base_url], *SETTINGS, timeout=120)
        yield a, b, db, result


def test_the_crawl_ends_cleanly(together):
    assert_clean(together[3])


def test_the_other_site_is_fetched_in_about_the_time_it_takes_alone(together, solo):
    beside = span(together[1], B_ARTICLES)
    print(f"site B's articles: {beside:.2f} s beside site A, {solo:.2f} s alone")
    assert beside < 2 * solo + 0.5, (beside, solo)


def test_every_article_of_the_other_site_is_archived(together):
    _, b, db, _ = together
    archived = {r["url"] for r in rows(db, "SELECT url FROM articles")}
    assert archived == {b.url(path) for path in B_ARTICLES}


def test_the_rate_limited_site_is_retried_after_its_back_off_and_recorded(together):
    a, _, db, _ = together
    for path in A_ARTICLES:
        first, retry = (s.at for s in a.requests(path))
        assert retry - first >= BACKOFF - 0.05, path
    errors = {(e["url"], e["stage"], e["reason"]) for e in rows(db, "SELECT url, stage, reason FROM errors")}
    assert errors == {(a.url(path), "fetch", "HTTP 429") for path in A_ARTICLES}


def test_a_retry_held_at_a_pause_is_saved_and_made_when_the_crawl_resumes(tmp_path):
    """Ctrl-C while A's retries wait out their back-off: the paused crawl saves them in its
    job directory; resumed (A answering again), it fetches and archives them."""
    db, jobdir = tmp_path / "archive.db", str(tmp_path / "job")
    with HostileSite() as a:
        for path in A_ARTICLES[:3]:
            a.add_article(path)
            page = a.routes[path]
            a.routes[path] = lambda h, page=page: (
                page(h) if a.answering else h.send(429, b"<h1>Too Many Requests</h1>", headers={"Retry-After": "3600"}))
        a.answering = False
        paused = crawl(db, [a.base_url], "--resume", jobdir, "-s", "RETRY_BACKOFF_MAX=60", timeout=60,
                       interrupt_when=lambda: all(a.requests(path) for path in A_ARTICLES[:3]))
        assert paused.seconds < 30, "the pause did not wait for the back-off"
        assert rows(db, "SELECT status, errors FROM crawls") == [{"status": "shutdown", "errors": 0}]
        a.answering = True
        resumed = crawl(db, [a.base_url], "--resume", jobdir, timeout=60)
        assert_clean(resumed)
        assert {r["url"] for r in rows(db, "SELECT url FROM articles")} == {a.url(p) for p in A_ARTICLES[:3]}
        assert rows(db, "SELECT count(*) AS n FROM errors") == [{"n": 0}]
        for path in A_ARTICLES[:3]:
            assert len(a.requests(path)) == 2, path  # the 429, then the saved retry
