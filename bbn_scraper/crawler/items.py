"""The items a crawl produces besides the article itself: plain dataclasses, data only."""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from archive.model import Article


@dataclass
class FetchedPage:
    """One fetched response, kept raw so that it can be parsed again without fetching, with its
    validators. `unchanged`: a 304 to a revisit's conditional request (no body; the stored copy
    is current)."""

    url: str
    status: int
    content_type: str
    body: bytes
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    unchanged: bool = False
    warc: Future | None = None  # where its WARC response record is (bbn_scraper.crawler.warc.Location)


@dataclass
class FetchedArticle:
    """An article with where and when it was fetched."""

    article: Article
    fetched_url: str
    fetched_at: datetime


@dataclass
class SitemapLastmods:
    """One sitemap's <lastmod> dates by URL: recorded so that the next crawl can skip unchanged
    articles. One item per sitemap, not per entry: each item costs the crawl a trip through
    Scrapy's pipelines."""

    lastmods: dict[str, str]


@dataclass
class SitemapRead:
    """A child sitemap read to its end, and the <lastmod> its index gave it: the next crawl
    skips it unless its index gives a newer one."""

    url: str
    lastmod: str


@dataclass
class Seen:
    """An archived article the site still links to, not downloaded again: moves its last_seen."""

    article_id: int


@dataclass
class Alias:
    """`url` shows the article whose canonical address is `canonical_url` (AMP copy, tracking link)."""

    url: str
    canonical_url: str


@dataclass
class CrawlError:
    """A failed fetch, parse or store: the URL and why."""

    url: str
    stage: str  # fetch | parse | store
    reason: str


@dataclass
class Claim:
    """An article page that names another page of its site, in the crawl's scope, as its
    canonical: it becomes an alias of the article archived from there, or, if none is, is
    archived under its own URL with the refusal recorded."""

    article: Article
    fetched_url: str
    fetched_at: datetime
