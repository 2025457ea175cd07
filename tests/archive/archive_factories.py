"""Hand-built articles for the archive tests."""
from __future__ import annotations

from datetime import datetime, timezone

from model import Article, Faq, Link

BASE = "https://www.bbn.example"


def make_article(url: str = f"{BASE}/news/uk-politics-66812345", canonical_url: str | None = None,
                 canonical_source: str = "link", **fields) -> Article:
    """A complete article; by default its canonical is its own URL, declared with rel=canonical."""
    values = dict(
        headline="Minister resigns after budget row",
        byline="By Jane Doe & John Roe",
        authors=["Jane Doe", "John Roe"],
        published=datetime(2023, 9, 14, 9, 15, tzinfo=timezone.utc),
        modified=datetime(2023, 9, 14, 10, 0, tzinfo=timezone.utc),
        section="UK Politics",
        tags=["Budget", "Westminster"],
        comment_count=12,
        topic="Politics",
        summary="The minister stepped down on Thursday.",
        image_url=f"{BASE}/images/minister.jpg",
        language="en-GB",
        word_count=9,
        body="The minister resigned on Thursday.\n\nThe budget row had lasted weeks.",
        body_html="<p>The minister resigned on Thursday.</p><p>The budget row had lasted weeks.</p>",
        faqs=[Faq("Who resigned?", "The minister."), Faq("When?", "On Thursday.")],
        related_links=[Link("Budget 2023", f"{BASE}/news/topics/budget")],
        related_articles=[Link("Who is the new minister?", f"{BASE}/news/uk-politics-66812399")],
        warnings=[],
    )
    values.update(fields)
    return Article(url=url, canonical_url=canonical_url or url, canonical_source=canonical_source, **values)
