"""The items a crawl produces: plain dataclasses, data only."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass
class Faq:
    """One question of an article's FAQ section with its answer (paragraphs joined by a blank line)."""

    question: str
    answer: str


@dataclass
class Link:
    """A link of a "More about" or "You may also like" section: anchor text and absolute URL."""

    text: str
    url: str


@dataclass
class Article:
    """One news article as parsed from its page."""

    url: str
    canonical_url: str
    canonical_source: str = "url"  # where canonical_url came from: "link", "og" or "url"
    headline: str | None = None
    byline: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    modified: datetime | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    comment_count: int | None = None
    topic: str | None = None
    summary: str | None = None
    image_url: str | None = None
    language: str | None = None
    word_count: int = 0
    body: str = ""
    body_html: str = ""
    faqs: list[Faq] = field(default_factory=list)
    related_links: list[Link] = field(default_factory=list)
    related_articles: list[Link] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict: datetimes as ISO 8601 strings, FAQs and links as dicts."""
        data = asdict(self)
        for key in ("published", "modified"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


@dataclass
class FetchedPage:
    """One fetched response, kept raw so that it can be parsed again without fetching."""

    url: str
    status: int
    content_type: str
    body: bytes
    fetched_at: datetime


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
