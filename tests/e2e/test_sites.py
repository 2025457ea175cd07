"""Issue 13 items 3 and 5: three loopback sites from one sites.toml in one run, a bad file
refused, the operator's contact in the User-Agent and the warning without one."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from click.testing import CliRunner
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from bbn_scraper.app.cli import cli
from bbn_scraper.crawler.sites import NO_CONTACT, SiteRequestsMiddleware, SitesError, load, overrides
from bbn_scraper.sample_site import SampleSite
from tests.helpers import rows

DELAY = 0.08  # site s2's delay, with concurrency 1: its requests arrive at least this far apart


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bbn_scraper", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def three_sites(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sites")
    sites = [SampleSite(host=f"127.0.0.{i}").start() for i in (1, 2, 3)]
    try:
        config = tmp / "sites.toml"
        config.write_text(
            'contact = "ops@example.org"\n'
            f'[[site]]\nname = "s1"\nstart_urls = ["{sites[0].base_url}"]\nconcurrency = 4\n'
            f'[[site]]\nname = "s2"\nstart_urls = ["{sites[1].base_url}"]\ndelay = {DELAY}\nconcurrency = 1\n'
            f'contact = "https://example.org/s2-owner"\n'
            f'[[site]]\nname = "s3"\nstart_urls = ["{sites[2].base_url}"]\nmax_pages = 20\n')
        db = tmp / "sites.db"
        result = _cli("crawl", "--sites", str(config), "--db", str(db), "--local")
        assert result.returncode == 0, result.stderr
        yield sites, db, result
    finally:
        for site in sites:
            site.stop()


def test_three_sites_archived_with_their_counts(three_sites):
    sites, db, _ = three_sites
    [crawl] = rows(db, "SELECT stats FROM crawls")
    stats = json.loads(crawl["stats"])
    articles = len(sites[0].manifest()["articles"])
    for site in sites[:2]:
        hosts = {r["url"] for r in rows(db, "SELECT url FROM article_urls WHERE url LIKE ?", [site.base_url + "%"])}
        assert len(hosts) >= articles
    assert stats["bbn/site/s1/article_new"] == stats["bbn/site/s2/article_new"] == articles
    assert stats["bbn/site/s1/pages"] == len(rows(db, "SELECT id FROM pages WHERE url LIKE ?", [sites[0].base_url + "%"]))
    # s3's max_pages: at most 20 requests reached its server, and fewer articles than the others.
    assert len(sites[2].arrivals) <= 20 + 1  # + robots.txt, fetched by Scrapy's middleware
    assert stats.get("bbn/site/s3/article_new", 0) < articles
    out = _cli("stats", "--db", str(db)).stdout
    table = out.split("Crawls per site (sites.toml)\n", 1)[1].split("\n\n")[0].splitlines()
    assert [line.split()[:4] for line in table[1:]] == [
        ["1", name, str(stats[f"bbn/site/{name}/pages"]), str(stats.get(f"bbn/site/{name}/article_new", 0))]
        for name in ("s1", "s2", "s3")]


def test_per_host_delay_and_concurrency(three_sites):
    sites, _, _ = three_sites
    times = {i: [t for t, _, _ in site.arrivals] for i, site in enumerate(sites, 1)}
    gaps = {i: [b - a for a, b in zip(t, t[1:])] for i, t in times.items()}
    # Scrapy spaces its sends; arrivals jitter on a loaded machine (one late arrival, the next
    # on time: a short gap), so the spacing on average and nearly every gap.
    assert (times[2][-1] - times[2][0]) / len(gaps[2]) >= DELAY
    assert sum(gap < DELAY * 0.75 for gap in gaps[2]) <= len(gaps[2]) // 20, sorted(gaps[2])[:5]
    assert sorted(gaps[1])[len(gaps[1]) // 2] < DELAY * 0.5  # the undelayed site: the spacing is the config's
    # One run, concurrently: s2's slow crawl overlaps s1's.
    assert times[1][0] < times[2][-1] and times[2][0] < times[1][-1]


def test_user_agent_carries_the_contact(three_sites):
    sites, _, result = three_sites
    assert {ua for _, _, ua in sites[0].arrivals} == {
        "bbn-archive/0.1 (+https://github.com/bbn-archive/bbn-archive; news archiving for research;"
        " contact: ops@example.org)"}
    assert all("contact: https://example.org/s2-owner)" in ua for _, _, ua in sites[1].arrivals)
    assert "no operator contact" not in result.stderr


@pytest.mark.parametrize("text, message", [
    ("", "no [[site]] tables"),
    ("[[site]\n", "not valid TOML"),
    ('[[site]]\nstart_urls = ["http://a.example/"]\nrevisits = "daily"\n', "unknown key 'revisits'"),
    ('[[site]]\nstart_urls = ["http://a.example/"]\nrevisit = "daily"\n', "revisit: 'daily' is not a revisit policy"),
    ('[[site]]\nstart_urls = ["http://a.example/"]\nrevisit = 7\n', "revisit: 7 is not a revisit policy"),
    ('[[site]]\nstart_urls = ["ftp://a.example/"]\n', "'ftp://a.example/' is not an http or https URL"),
    ('[[site]]\nstart_urls = ["http://a.example/"]\ndelay = -1\n', "delay must be at least 0"),
    ('[[site]]\nstart_urls = ["http://a.example/"]\nconcurrency = 0\n', "concurrency must be at least 1"),
    ('[[site]]\nstart_urls = ["http://a.example/"]\nconcurrency = "4"\n', "concurrency must be an integer"),
    ('[[site]]\nname = "a"\nstart_urls = ["http://a.example/"]\n[[site]]\nname = "a"\nstart_urls = ["http://b.example/"]\n',
     "name 'a' used twice"),
    ('[[site]]\nname = "a"\nstart_urls = ["http://a.example/"]\n[[site]]\nname = "b"\nstart_urls = ["http://b.example/"]\n'
     'allowed_hosts = ["a.example"]\n', "host a.example is also in site 'a'"),
    ('contact = 3\n[[site]]\nstart_urls = ["http://a.example/"]\n', "contact must be a non-empty string"),
])
def test_a_bad_file_is_refused_in_one_line(tmp_path, text, message):
    config = tmp_path / "sites.toml"
    config.write_text(text)
    with pytest.raises(SitesError, match="^.*" + message.replace("[", r"\[").replace("(", r"\(")):
        load(str(config))
    # In process (the CLI's own `main` is `cli()`): twelve interpreter starts cost a minute;
    # test_a_missing_file_is_refused runs the same refusal as `python -m bbn_scraper`.
    result = CliRunner().invoke(cli, ["crawl", "--sites", str(config), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("Error")] == [
        line for line in result.stderr.splitlines() if message in line]
    assert not (tmp_path / "a.db").exists()


def test_a_missing_file_is_refused(tmp_path):
    result = _cli("crawl", "--sites", str(tmp_path / "none.toml"), "--db", str(tmp_path / "a.db"))
    assert result.returncode == 2 and "cannot read it" in result.stderr


def _middleware(settings: dict, start_urls: list[str]):
    crawler = get_crawler(settings_dict={"USER_AGENT": "bot/1 (+https://bot.example)", **settings})
    middleware = SiteRequestsMiddleware.from_crawler(crawler)
    spider = type("S", (), {"start_urls": start_urls})()
    return middleware, spider


def test_no_contact_warns_once_for_a_remote_site(caplog, tmp_path):
    middleware, spider = _middleware({}, ["https://news.example/", "https://news.example/world/", "http://127.0.0.1:8000/"])
    with caplog.at_level(logging.WARNING, logger="bbn_scraper.crawler.sites"):
        middleware.spider_opened(spider)
    warnings = [r.getMessage() for r in caplog.records if "no operator contact" in r.getMessage()]
    assert warnings == [NO_CONTACT.format(hosts="news.example")]
    request = Request("https://news.example/a")
    middleware.process_request(request)
    assert request.headers[b"User-Agent"] == b"bot/1 (+https://bot.example)"


def test_loopback_crawls_do_not_warn(caplog):
    middleware, spider = _middleware({}, ["http://127.0.0.2:8000/", "http://localhost:8000/", "http://[::1]:8000/"])
    with caplog.at_level(logging.WARNING, logger="bbn_scraper.crawler.sites"):
        middleware.spider_opened(spider)
    assert not [r for r in caplog.records if "no operator contact" in r.getMessage()]


def test_contact_option_and_site_contact(caplog, tmp_path):
    config = tmp_path / "sites.toml"
    config.write_text('[[site]]\nname = "a"\nstart_urls = ["https://a.example/"]\ncontact = "a@ops.example"\n'
                      '[[site]]\nname = "b"\nstart_urls = ["https://b.example/"]\nallowed_hosts = ["cdn.b.example"]\n')
    settings = overrides(load(str(config))) | {"BBN_CONTACT": "me@ops.example"}
    middleware, spider = _middleware(settings, ["https://a.example/", "https://b.example/"])
    with caplog.at_level(logging.WARNING, logger="bbn_scraper.crawler.sites"):
        middleware.spider_opened(spider)
    assert not [r for r in caplog.records if "no operator contact" in r.getMessage()]
    agents = {}
    for url in ("https://a.example/x", "https://b.example/y", "https://cdn.b.example/z"):
        request = Request(url)
        middleware.process_request(request)
        agents[url] = request.headers[b"User-Agent"].decode()
    assert agents == {
        "https://a.example/x": "bot/1 (+https://bot.example; contact: a@ops.example)",
        "https://b.example/y": "bot/1 (+https://bot.example; contact: me@ops.example)",
        "https://cdn.b.example/z": "bot/1 (+https://bot.example; contact: me@ops.example)",
    }


def test_contact_warning_from_the_cli(tmp_path):
    """A remote site without a contact: the crawl warns once (the site is unreachable: .invalid)."""
    result = _cli("crawl", "http://bbn.invalid/", "--db", str(tmp_path / "a.db"), "--local",
                  "-s", "ROBOTSTXT_OBEY=False", "-s", "RETRY_ENABLED=False")
    assert result.stderr.count("no operator contact in the User-Agent for bbn.invalid") == 1
    result = _cli("crawl", "http://bbn.invalid/", "--db", str(tmp_path / "b.db"), "--local", "--contact", "me@x.example",
                  "-s", "ROBOTSTXT_OBEY=False", "-s", "RETRY_ENABLED=False")
    assert "no operator contact" not in result.stderr


def test_allowed_hosts_are_in_scope(tmp_path):
    from bbn_scraper.crawler.spiders.bbn import BbnSpider

    config = tmp_path / "sites.toml"
    config.write_text('[[site]]\nstart_urls = ["https://b.example/"]\nallowed_hosts = ["cdn.b.example", "127.0.0.2:8080"]\n')
    crawler = get_crawler(BbnSpider, settings_dict={**overrides(load(str(config))), "PARSE_PROCESSES": 0})
    spider = BbnSpider.from_crawler(crawler, start_urls=["https://b.example/"], refresh=True)
    assert "https://cdn.b.example/a.jpg" in spider.scope and "http://127.0.0.2:8080/x" in spider.scope
    assert "http://127.0.0.2:8081/x" not in spider.scope and "https://other.example/" not in spider.scope
