"""What the reading room's front page, stories list and story page read: the latest articles,
the sections, sites and authors with their counts, the stories carried by most sites, the last
crawls; one page of the stories carried by several sites; one story's articles. Functions of an
`Archive` or an `ArchiveReader`, reading only.

Each statement reads an index or a summary table kept by triggers (schema m008, m012), never
every article: the pages stay fast on a million articles (bench/million_bench.py)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .stories import site_of

if TYPE_CHECKING:
    from .query import ReadAPI

# The most articles a story page shows (a template-written "story" may hold thousands).
STORY_ARTICLES = 50
STORY_ORDERS = {"size": "size DESC, id DESC", "recent": "first_seen DESC, id DESC"}
# A story's headline: the one of its earliest article (index on article_story(story_id, first_seen)).
STORY_HEADLINE = """(SELECT a.headline FROM article_story x JOIN articles a ON a.id = x.article_id
  WHERE x.story_id = s.id ORDER BY x.first_seen, x.article_id LIMIT 1)"""


@dataclass(frozen=True)
class ArticleLine:
    """An article as a list shows it: headline, site, section, date."""

    id: int
    headline: str | None
    url: str
    site: str
    section: str | None
    published: str | None


@dataclass(frozen=True)
class StoryLine:
    """A story as a list shows it: its earliest headline, its sites, its size, when first seen."""

    id: int
    headline: str | None
    sites: list[str]
    size: int
    first_seen: str


@dataclass(frozen=True)
class CrawlLine:
    """A crawl as the front page lists it."""

    id: int
    started: str
    finished: str | None
    status: str
    pages: int
    articles_new: int
    articles_updated: int
    errors: int


@dataclass(frozen=True)
class FrontPage:
    """What the front page shows; counts are (name, articles) pairs, most articles first."""

    latest: list[ArticleLine]
    sections: list[tuple[str, int]]
    sites: list[tuple[str, int]]
    authors: list[tuple[str, int]]
    stories: list[StoryLine]
    crawls: list[CrawlLine]


@dataclass(frozen=True)
class StoryArticle:
    """One article of a story, with what the story page compares."""

    id: int
    site: str
    headline: str | None
    byline: str | None
    authors: list[str]
    url: str
    published: str | None
    first_seen: str
    body: str | None


@dataclass(frozen=True)
class Story:
    """A story and its first `STORY_ARTICLES` articles, earliest first; `size` counts them all."""

    id: int
    size: int
    sites: int
    first_seen: str
    articles: list[StoryArticle]


def _story_line(row: dict) -> StoryLine:
    return StoryLine(row["id"], row["headline"], row["site_list"].split(), row["size"], row["first_seen"])


def section_counts(archive: ReadAPI, limit: int) -> list[tuple[str, int]]:
    """The `limit` sections with most articles, and their counts (summary table section_counts)."""
    return [tuple(row) for row in archive.db.execute(
        "SELECT section, article_count FROM section_counts ORDER BY article_count DESC LIMIT ?", [limit])]


def site_counts(archive: ReadAPI, limit: int) -> list[tuple[str, int]]:
    """The `limit` sites with most articles, and their counts (summary table site_counts)."""
    return [tuple(row) for row in archive.db.execute(
        "SELECT site, article_count FROM site_counts ORDER BY article_count DESC LIMIT ?", [limit])]


def latest_articles(archive: ReadAPI, limit: int = 12) -> list[ArticleLine]:
    """The `limit` latest published articles (index on published); the latest archived ones
    when none has a date."""
    columns = "id, headline, canonical_url, section, published"
    rows = archive.db.execute(f"SELECT {columns} FROM articles WHERE published IS NOT NULL"
                              " ORDER BY published DESC LIMIT ?", [limit]).fetchall()
    if not rows:
        rows = archive.db.execute(f"SELECT {columns} FROM articles ORDER BY id DESC LIMIT ?", [limit]).fetchall()
    return [ArticleLine(i, headline, url, site_of(url), section, published)
            for i, headline, url, section, published in rows]


def shared_stories(archive: ReadAPI, order: str = "sites", limit: int = 8, offset: int = 0) -> list[StoryLine]:
    """Stories carried by more than one site: by number of sites (then size), by `size` or
    by date first seen (`recent`), each read from an index of stories."""
    order_by = "sites DESC, size DESC, id DESC" if order == "sites" else STORY_ORDERS[order]
    return [_story_line(row) for row in archive.db.query(
        f"SELECT s.id, s.size, s.first_seen, s.site_list, {STORY_HEADLINE} AS headline FROM stories s"
        f" WHERE s.sites > 1 ORDER BY {order_by} LIMIT ? OFFSET ?", [limit, offset])]


def shared_story_count(archive: ReadAPI) -> int:
    """How many stories more than one site carries (a range of the index on stories.sites)."""
    return archive.db.execute("SELECT count(*) FROM stories WHERE sites > 1").fetchone()[0]


def front_page(archive: ReadAPI, top: int = 12) -> FrontPage:
    """Everything the front page shows, `top` of each list."""
    return FrontPage(
        latest=latest_articles(archive, top),
        sections=section_counts(archive, top),
        sites=site_counts(archive, top),
        authors=[tuple(row) for row in archive.db.execute(
            "SELECT name, article_count FROM authors WHERE article_count > 0 ORDER BY article_count DESC LIMIT ?", [top])],
        stories=shared_stories(archive, "sites", limit=8),
        crawls=[CrawlLine(**row) for row in archive.db.query(
            "SELECT id, started, finished, status, pages, articles_new, articles_updated, errors FROM crawls"
            " ORDER BY id DESC LIMIT 5")],
    )


def story(archive: ReadAPI, story_id: int, limit: int = STORY_ARTICLES) -> Story | None:
    """The story `story_id` and its first `limit` articles, earliest first; None if none."""
    row = archive.db.execute("SELECT id, size, sites, first_seen FROM stories WHERE id = ?", [story_id]).fetchone()
    if row is None:
        return None
    articles = [StoryArticle(**{**r, "authors": json.loads(r["authors"])}) for r in archive.db.query(
        """SELECT a.id, s.site, a.headline, a.byline, a.canonical_url AS url, a.published, s.first_seen, a.body,
             (SELECT json_group_array(name) FROM (SELECT au.name FROM article_authors x JOIN authors au
                ON au.id = x.author_id WHERE x.article_id = a.id ORDER BY x.position)) AS authors
           FROM article_story s JOIN articles a ON a.id = s.article_id
           WHERE s.story_id = ? ORDER BY s.first_seen, s.article_id LIMIT ?""", [story_id, limit])]
    return Story(row[0], row[1], row[2], row[3], articles)


def story_of(archive: ReadAPI, article_id: int, limit: int = 20) -> tuple[int, int, list[ArticleLine]] | None:
    """The story of an article carried by other articles too: its id, size, and up to `limit`
    of the others (earliest first); None when the article is alone in its story or in none."""
    row = archive.db.execute("SELECT s.story_id, st.size FROM article_story s JOIN stories st ON st.id = s.story_id"
                             " WHERE s.article_id = ?", [article_id]).fetchone()
    if row is None or row[1] < 2:
        return None
    others = [ArticleLine(i, headline, url, site, section, published) for i, headline, url, site, section, published
              in archive.db.execute(
                  "SELECT a.id, a.headline, a.canonical_url, s.site, a.section, a.published FROM article_story s"
                  " JOIN articles a ON a.id = s.article_id WHERE s.story_id = ? AND s.article_id != ?"
                  " ORDER BY s.first_seen, s.article_id LIMIT ?", [row[0], article_id, limit]).fetchall()]
    return row[0], row[1], others
