"""What a reader browsing the archive reads beyond `archive.query`: an article's earlier versions
in full, the URLs it was seen under and since when, the pages stored of it, which links lead to
archived articles, FAQ search, and the authors and FAQ counts of a page of articles. Functions
of an `Archive` or an `ArchiveReader` (the Datasette reading room's), reading only."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.model import Faq

from .query import safe_match

if TYPE_CHECKING:
    from .query import ReadAPI

# faq_search's orders: bm25 (the question weighted), or the article's date, newest or oldest first.
FAQ_ORDERS = {"rank": "rank, f.article_id, f.position", "date": "a.published DESC, f.article_id, f.position",
              "oldest": "a.published IS NULL, a.published, f.article_id, f.position"}
FAQ_SEARCH = """
SELECT f.article_id, f.position, a.headline, a.published, a.section,
       snippet(faqs_fts, 0, :open, :close, ' … ', 24) AS question,
       snippet(faqs_fts, 1, :open, :close, ' … ', 32) AS answer,
       bm25(faqs_fts, 2.0, 1.0) AS rank
FROM faqs_fts JOIN faqs f ON f.rowid = faqs_fts.rowid JOIN articles a ON a.id = f.article_id
WHERE faqs_fts MATCH :match ORDER BY {order} LIMIT :limit OFFSET :offset"""


@dataclass(frozen=True)
class VersionContent:
    """An earlier version of an article with what the reading room diffs: headline, byline,
    body and FAQ pairs."""

    version: int
    fetched_at: str
    superseded_at: str
    headline: str | None
    byline: str | None
    body: str | None
    faqs: list[Faq]


@dataclass(frozen=True)
class SeenUrl:
    """A URL an article was seen under, and when first."""

    url: str
    first_seen: str


@dataclass(frozen=True)
class StoredPage:
    """A fetched page the archive keeps (its body: `page_body`)."""

    id: int
    url: str
    fetched_at: str
    status: int
    content_type: str | None
    size: int


@dataclass(frozen=True)
class FaqHit:
    """One FAQ pair found by `faq_search`, its article's headline, date and section; question
    and answer are snippets with the matches wrapped in the markers."""

    article_id: int
    position: int
    headline: str | None
    published: str | None
    section: str | None
    question: str
    answer: str
    rank: float


def _marks(values: list) -> str:
    return ", ".join("?" * len(values))


def version_contents(archive: ReadAPI, article_id: int) -> list[VersionContent]:
    """The article's earlier versions, oldest first."""
    return [VersionContent(**{**row, "faqs": [Faq(**f) for f in json.loads(row["faqs"] or "[]")]})
            for row in archive.db.query(
                "SELECT version, fetched_at, superseded_at, headline, byline, body, faqs"
                " FROM article_versions WHERE article_id = ? ORDER BY version", [article_id])]


def seen_urls(archive: ReadAPI, article_id: int) -> list[SeenUrl]:
    """Every URL the article was seen under, in the order first seen."""
    return [SeenUrl(**row) for row in archive.db.query(
        "SELECT url, first_seen FROM article_urls WHERE article_id = ? ORDER BY id", [article_id])]


def stored_pages(archive: ReadAPI, urls: list[str]) -> list[StoredPage]:
    """The pages fetched from any of `urls`, newest first."""
    return [StoredPage(**row) for row in archive.db.query(
        f"SELECT id, url, fetched_at, status, content_type, size FROM pages WHERE url IN ({_marks(urls)})"
        " ORDER BY fetched_at DESC, id DESC", urls)]


def stored_page(archive: ReadAPI, page_id: int) -> StoredPage | None:
    """The stored page `page_id`, None if there is none."""
    row = next(archive.db.query(
        "SELECT id, url, fetched_at, status, content_type, size FROM pages WHERE id = ?", [page_id]), None)
    return None if row is None else StoredPage(**row)


def archived_ids(archive: ReadAPI, urls: list[str]) -> dict[str, int]:
    """Which of `urls` an archived article was seen under, and which article."""
    return {row["url"]: row["article_id"] for row in archive.db.query(
        f"SELECT url, article_id FROM article_urls WHERE url IN ({_marks(urls)})", urls)}


def faq_search(archive: ReadAPI, text: str, *, order: str = "rank", limit: int = 50, offset: int = 0,
               markers: tuple[str, str] = ("[", "]")) -> tuple[int, list[FaqHit]]:
    """FAQ pairs whose question or answer contain every word of `text` (porter-stemmed; text
    without a word finds nothing): their number and the `limit` of them from `offset`."""
    match = safe_match(text)
    total = archive.db.execute("SELECT count(*) FROM faqs_fts WHERE faqs_fts MATCH ?", [match]).fetchone()[0]
    rows = archive.db.query(FAQ_SEARCH.format(order=FAQ_ORDERS[order]), {
        "match": match, "open": markers[0], "close": markers[1], "limit": limit, "offset": offset})
    return total, [FaqHit(**row) for row in rows]


def authors_and_faq_counts(archive: ReadAPI, ids: list[int]) -> tuple[dict[int, list[str]], dict[int, int]]:
    """The authors (in byline order) and the number of FAQ pairs of each article of `ids`."""
    authors: dict[int, list[str]] = {i: [] for i in ids}
    for article_id, name in archive.db.execute(
            f"SELECT x.article_id, au.name FROM article_authors x JOIN authors au ON au.id = x.author_id"
            f" WHERE x.article_id IN ({_marks(ids)}) ORDER BY x.article_id, x.position", ids):
        authors[article_id].append(name)
    faqs = dict(archive.db.execute(
        f"SELECT article_id, count(*) FROM faqs WHERE article_id IN ({_marks(ids)}) GROUP BY article_id", ids))
    return authors, {i: faqs.get(i, 0) for i in ids}
