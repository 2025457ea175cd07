"""Bad input never escapes as an exception. Mutated fixture pages go through the spider's
the spider's parse_html_page and the three pipelines (with a stand-in crawler) into a temporary archive, and each
ends as an archived article, an alias of one, or a recorded error; the archive stays intact."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from archive.verify import verify_archive
from archive.items import Alias, Claim
from bbn_scraper.crawler.pipelines import StorePipeline
from bbn_scraper.crawler.page_results import PERMALINK
from bbn_scraper.crawler.spiders.bbn import BbnSpider
from tests.fixture_pages import fixture_pages
from tests.helpers import rows

# Article pages served at a permalink, where a page that is no article is an error.
PAGES = {page.name: (page.html, page.url) for page in fixture_pages()
         if PERMALINK.search(urlsplit(page.url).path) and not page.name.startswith("nonarticle")}
SEED, SEED_URL = PAGES["soledad_seed"]
TAG = re.compile(rb"<[^<>]*>")
MARKER = b'id="penci-post-entry-inner">'

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
cases = st.sampled_from(sorted(PAGES))


class Stats(dict):
    def inc_value(self, key, count=1, start=0):
        self[key] = self.get(key, start) + count

    def set_value(self, key, value):
        self[key] = value

    def get_stats(self):
        return dict(self)


class Signals:
    def connect(self, *args, **kwargs):
        pass


@dataclass
class Crawler:
    """What the spider and the pipelines use of Scrapy's Crawler."""

    settings: Settings
    stats: Stats
    signals: Signals
    spider: BbnSpider | None = None


class Chain:
    """the spider's parse_html_page -> StorePipeline (its CrawlStore judges, deduplicates and stores), as in a crawl."""

    def __init__(self, db: Path):
        self.db = db
        self.crawler = Crawler(Settings({"ARCHIVE_DB": str(db)}), Stats(), Signals())
        hosts = sorted({f"https://{urlsplit(url).hostname}/" for _, url in PAGES.values()})
        self.spider = self.crawler.spider = BbnSpider(start_urls=hosts)
        self.spider.crawler = self.crawler
        self.store = StorePipeline(self.crawler)

    def process(self, body: bytes, url: str) -> None:
        """One fetched page through the chain; asserts where it ended."""
        before = self._counts()
        self.store.store.stored_keys.clear()  # every page is a crawl of its own: no alias by dedup
        response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"}, request=Request(url))
        aliased = False
        for result in asyncio.run(_collect(self.spider.parse_html_page(response))):
            if isinstance(result, Request):
                continue
            result = asyncio.run(self.store.process_item(result))  # it awaits room in the writer's queue
            aliased = aliased or isinstance(result, (Alias, Claim))  # a claim is settled when the crawl closes
        self.store.flush()
        after = self._counts()
        assert aliased or after != before, "the page left no trace: no article, no alias or claim, no error"

    def _counts(self) -> tuple[int, int]:
        conn = self.store.archive.db
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("article_sightings", "errors"))


async def _collect(results) -> list:
    return [result async for result in results]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    chain = Chain(tmp_path_factory.mktemp("fuzz") / "archive.db")
    chain.store.open_spider()
    yield chain
    chain.store.close_spider()
    chain.store.spider_closed(chain.spider, "finished")


@SETTINGS
@given(cases, st.data())
def test_truncated_pages(chain, case, data):
    html, url = PAGES[case]
    chain.process(html[: data.draw(st.integers(0, len(html)), label="cut")], url)


@SETTINGS
@given(cases, st.data())
def test_pages_with_tags_deleted_or_duplicated(chain, case, data):
    html, url = PAGES[case]
    spans = [m.span() for m in TAG.finditer(html)]
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(spans) - 1), st.booleans()), min_size=1, max_size=40))
    for index, duplicate in sorted(set(edits), reverse=True):
        start, end = spans[index]
        html = html[:end] + html[start:end] + html[end:] if duplicate else html[:start] + html[end:]
    chain.process(html, url)


@SETTINGS
@given(cases, st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=64)), min_size=1, max_size=8))
@example("malformed_html", [(0.1015625, b"\x01")])  # found by CI: the page then names another page of its site
def test_pages_with_random_bytes_spliced_in(chain, case, splices):
    html, url = PAGES[case]
    for position, chunk in sorted(splices, reverse=True):
        at = int(position * len(html))
        html = html[:at] + chunk + html[at:]
    chain.process(html, url)


HUGE = 4_000_000


@pytest.mark.parametrize("page", [
    pytest.param(SEED.replace(MARKER, MARKER + b"<div>" * 10_000 + b"<p>deep</p>" + b"</div>" * 10_000, 1), id="nested-10000-deep"),
    pytest.param(SEED.replace(MARKER, MARKER + b"<p>" + b"word " * (10 * 1024 * 1024) + b"</p>", 1), id="text-node-50MB"),
    pytest.param(SEED.replace(b'<article id="post-98765" class="', b'<article id="post-98765" class="' + b"x " * HUGE, 1),
                 id="huge-class"),
    pytest.param(SEED.replace(b'<link rel="canonical" href="', b'<link rel="canonical" href="https://bigbignews.net/?q=' + b"%20" * HUGE, 1),
                 id="huge-canonical"),
    pytest.param(SEED.replace(b'<h1 class="', b'<h1 data-x="' + b"&amp;" * HUGE + b'" class="', 1), id="huge-entities"),
    pytest.param(bytes(range(256)) * 4096, id="binary-1MB"),
    pytest.param(b"\x00" * 100_000, id="nul-bytes"),
    pytest.param(b"", id="empty"),
])
def test_monstrous_pages(chain, page):
    chain.process(page, SEED_URL)


def test_the_fuzzed_archive_is_intact(chain):
    assert rows(chain.db, "SELECT count(*) AS n FROM articles")[0]["n"] > 0
    assert rows(chain.db, "SELECT count(*) AS n FROM errors")[0]["n"] > 0
    assert chain.crawler.stats.get("bbn/error_store") is None, "no page failed to be stored"
    assert [(c.name, c.problems[:3]) for c in verify_archive(chain.db) if not c.ok] == []
