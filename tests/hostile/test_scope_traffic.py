"""Issue 12, item 10: no traffic beyond the crawl's scope. A site on 127.0.0.1 sets cookies
(which sends Scrapy's cookie middleware to the public suffix list) and redirects, refreshes and
links to subdomains of its IP address. The crawl, under an audit hook that logs and refuses
every DNS lookup and every connect off loopback and a Scrapy resolver that logs every name,
looks up no name at all, connects to 127.0.0.1 only, writes no cache outside the job, and
records the redirect and the refresh as refused."""
from __future__ import annotations

import pytest

from bbn_scraper.crawler.scope import Scope
from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite

ARTICLES = ["/2024/02/01/first-story/", "/2024/02/02/second-story/"]
REDIRECTED = "/2024/02/03/moved-to-a-subdomain/"
REFRESHED = "/2024/02/04/refreshed-to-a-subdomain/"
COOKIES = ["session=s1; Path=/; HttpOnly", "region=eu; Domain=127.0.0.1; Path=/"]


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scope")
    home = tmp / "home"  # HOME and the caches tldextract would write to, empty
    home.mkdir()
    log = tmp / "audit.log"
    log.touch()
    with HostileSite() as site:
        site.home_headers = {"Set-Cookie": COOKIES}
        for path in ARTICLES:
            site.add_article(path)
        evil = f"http://evil.127.0.0.1:{site.port}"
        site.link(REDIRECTED)
        site.routes[REDIRECTED] = lambda h: h.send(302, b"", headers={"Location": evil + REDIRECTED})
        site.link(REFRESHED)
        refresh = f'<html><head><meta http-equiv="refresh" content="0; url=http://www.127.0.0.1:{site.port}/"></head></html>'
        site.routes[REFRESHED] = lambda h: h.send(200, refresh.encode())
        site.link(f"http://sub.127.0.0.1:{site.port}/2024/02/05/linked-on-a-subdomain/")
        result = crawl(tmp / "archive.db", [site.base_url],
                       "-s", "TWISTED_DNS_RESOLVER=tests.hostile.audited.RecordingResolver",
                       audit_log=log, timeout=90,
                       env={"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "TLDEXTRACT_CACHE": str(home / "tld")})
        yield site, tmp / "archive.db", result, log.read_text().splitlines(), home


def test_the_crawl_ends_cleanly(audited):
    assert_clean(audited[2])


def test_cookies_were_set_and_sent_back(audited):
    site = audited[0]
    sent = {s.cookie for s in site.seen if s.path in ARTICLES}
    assert sent == {"session=s1; region=eu"}, sent  # the cookie middleware ran, the public suffix check with it


def test_no_name_is_looked_up_and_no_connection_leaves_loopback(audited):
    log = [line.split()[:2] for line in audited[3]]
    assert {kind for kind, _ in log} == {"resolve", "connect"}  # the resolver and the hook saw the crawl
    assert {host for _, host in log} == {"127.0.0.1"}


def test_nothing_is_written_outside_the_job(audited):
    assert list(audited[4].rglob("*")) == []


def test_the_subdomain_redirect_and_refresh_are_refused_and_recorded(audited):
    site, db = audited[0], audited[1]
    errors = {e["url"]: e["reason"] for e in rows(db, "SELECT url, reason FROM errors WHERE stage = 'fetch'")}
    assert errors == {
        site.url(REDIRECTED): f"not followed: redirect to http://evil.127.0.0.1:{site.port}{REDIRECTED}, outside the crawl's hosts",
        site.url(REFRESHED): f"not followed: redirect to http://www.127.0.0.1:{site.port}/, outside the crawl's hosts",
    }
    assert {a["url"] for a in rows(db, "SELECT url FROM articles")} == {site.url(p) for p in ARTICLES}
    assert {s.host for s in site.seen} == {f"127.0.0.1:{site.port}"}


@pytest.mark.parametrize("start, url, inside", [
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/a/", True),
    ("http://127.0.0.1:8000/", "http://evil.127.0.0.1:8000/a/", False),
    ("http://127.1/", "http://evil.127.1/", False),  # read as 127.0.0.1 by URL parsers and resolvers
    ("http://0x7f.1/", "http://a.0x7f.1/", False),
    ("http://[::1]:8000/", "http://[::1]:8000/a/", True),
    ("http://example.com/", "http://www.example.com/a/", True),  # a name keeps its subdomains
    ("http://example.com/", "http://example.com.evil.net/", False),
])
def test_ip_address_hosts_match_exactly(start, url, inside):
    assert (url in Scope([start])) is inside
