"""An article as the parser gives it and the archive keeps it: data only."""
from __future__ import annotations

import hashlib
import json
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


def content_hash(article: Article) -> str:
    """sha256 (hex) of headline, body and FAQ questions and answers; links do not count."""
    payload = [article.headline or "", article.body or "", [[f.question, f.answer] for f in article.faqs]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()
