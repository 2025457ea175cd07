"""An article as the parser gives it and the archive keeps it: data only.

Every field of `Article` says, once, how the archive keeps it (field metadata made by `stored`
or `related`); the archive derives its columns, versions, search index, export and
descriptions from that, so a new field is one line here.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, Field, asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from .urls import normalize_url

# What an article must have to be archived.
REQUIRED = ("headline", "body")


def stored(doc: str, *, default: Any = MISSING, default_factory: Any = MISSING, versioned: bool = True,
           search_weight: float = 0, json: bool = False) -> Any:
    """A field kept in a column of its own in the archive's articles table.

    doc: what the column holds (shown in Datasette). versioned: an earlier version of a changed
    article keeps it too (article_versions). search_weight: above 0, the field is in the
    full-text index with this bm25 weight. json: a list, kept as JSON text."""
    metadata = {"storage": "column", "doc": doc, "versioned": versioned,
                "search_weight": search_weight, "json": json}
    return field(default=default, default_factory=default_factory, metadata=metadata)


def related(doc: str) -> Any:
    """A list field the archive keeps in tables of its own (authors, tags, FAQ pairs, links)."""
    return field(default_factory=list, metadata={"storage": "related", "doc": doc})


def storage(f: Field) -> str | None:
    """How the archive keeps a field: "column", "related", or None (not at all)."""
    return f.metadata.get("storage")


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

    url: str = stored("The URL the stored version was fetched from")
    canonical_url: str = stored(
        "The article's canonical URL (rel=canonical, else og:url, else the fetched URL), tracking parameters removed")
    canonical_source: str = stored(
        "Where canonical_url came from: link (rel=canonical), og (og:url) or url (the fetched URL)",
        default="url", versioned=False)
    headline: str | None = stored("The page's h1, entities decoded", default=None, search_weight=10.0)
    byline: str | None = stored('The byline as printed, without the leading "by"', default=None)
    authors: list[str] = related("The authors named in the byline, in byline order")
    published: datetime | None = stored("Publication time (ISO 8601, UTC when the page gave a zone)", default=None)
    modified: datetime | None = stored("Last modification time given by the page (ISO 8601)", default=None)
    section: str | None = stored("The category", default=None)
    tags: list[str] = related("The post tags, in page order")
    keywords: list[str] = stored("JSON array: the news_keywords meta, else keywords", default_factory=list, json=True)
    comment_count: int | None = stored("Number of comments shown on the page", default=None)
    topic: str | None = stored('The X of "FAQs about X" / "More about X"', default=None)
    summary: str | None = stored("Meta / og description", default=None, search_weight=4.0)
    image_url: str | None = stored("og:image or JSON-LD image", default=None)
    language: str | None = stored("Language from html lang, og:locale or JSON-LD inLanguage", default=None)
    word_count: int = stored("Words in body", default=0)
    body: str = stored("The story as plain text, paragraphs separated by a blank line"
                       " (no FAQ, ads, related posts or comments)", default="", search_weight=1.0)
    body_html: str = stored("The story's HTML, sanitised by nh3; shown here as escaped text, never rendered",
                            default="")
    faqs: list[Faq] = related("The FAQ pairs, in page order")
    related_links: list[Link] = related('The "More about X" links')
    related_articles: list[Link] = related('The "You may also like" links')
    warnings: list[str] = stored("JSON array of the fields the parser could not find or had to guess",
                                 default_factory=list, json=True)

    def to_dict(self) -> dict:
        """A JSON-ready dict: datetimes as ISO 8601 strings, FAQs and links as dicts."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data

    def missing_fields(self) -> list[str]:
        """The fields an article must have (REQUIRED: headline and body) that this one lacks."""
        return [name for name in REQUIRED if not getattr(self, name)]


def not_an_article(article: Article | None) -> str | None:
    """Why a parse's result is no article to archive ("not an article": the parser found none;
    "no headline and no body": it lacks what REQUIRED names), or None when it is one. The one
    decision of the crawl, the store and reparse."""
    if article is None:
        return "not an article"
    missing = article.missing_fields()
    return f"no {' and no '.join(missing)}" if missing else None


def own_identity(article: Article, page_url: str, reason: str) -> Article:
    """`article` under the URL it was fetched from, the refused claim in its warnings."""
    return replace(article, canonical_url=normalize_url(page_url), canonical_source="url",
                   warnings=[*article.warnings, reason])


def content_hash(article: Article) -> str:
    """sha256 (hex) of headline, body and FAQ questions and answers; links do not count."""
    payload = [article.headline or "", article.body or "", [[f.question, f.answer] for f in article.faqs]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()
