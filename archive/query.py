"""The read API: ranked full-text search, one article with everything archived about it, a
stored page's body, and statistics. Functions take an `Archive` or an `ArchiveReader`; `ReadAPI`
makes them their methods. `ArchiveReader` reads over a connection opened elsewhere (Datasette's
read-only ones): nothing checked, migrated or written."""
from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, make_dataclass
from datetime import date, datetime, time
from io import BytesIO
from typing import TYPE_CHECKING, get_type_hints

from dateutil import parser as dateparser
from sqlite_utils import Database

from archive.model import Article, Faq, Link, url_key
from archive.model.article import storage

from .columns import article_columns
from .decoding import MAX_BODY, read_at_most, stored_zlib
from .errors import ArchiveError, BadQuery, DamagedRow, NotFound
from .row_types import checked, stored_json
from .schema import STAGES, db_path
from .search_syntax import fts_query
from .warc_store import page_chunks as warc_page_chunks

if TYPE_CHECKING:
    from .db import Archive

DEFAULT_LIMIT = 20
SNIPPET_TOKENS = 16

# An article's authors and tags in page order, as JSON arrays (`a` is the articles row).
AUTHORS_JSON = """(SELECT json_group_array(name) FROM (SELECT au.name FROM article_authors x
  JOIN authors au ON au.id = x.author_id WHERE x.article_id = a.id ORDER BY x.position))"""
TAGS_JSON = """(SELECT json_group_array(name) FROM (SELECT t.name FROM article_tags x
  JOIN tags t ON t.id = x.tag_id WHERE x.article_id = a.id ORDER BY x.position))"""
FAQS_JSON = """(SELECT json_group_array(json_object('question', question, 'answer', answer))
  FROM (SELECT question, answer FROM faqs WHERE article_id = a.id ORDER BY position))"""

# Every FTS hit, article text or one FAQ pair, keyed by article, weighted by the fields'
# search_weight (headline hits weigh most).
# Snippets are made afterwards for the results only: snippet() on every hit of a common word
# costs seconds on a large archive.
# Ranking is bm25 over each hit, so its cost grows with the matches: for a word found in more
# than RANK_WINDOW articles (or FAQ pairs) only the RANK_WINDOW most recently archived
# (highest rowids, from :floor_article and :floor_faq up) are ranked, which keeps a search of a
# common word on a million articles within ~100 ms (bench/million_bench.py).
RANK_WINDOW = 2000
HITS = """
SELECT rowid AS article_id, rowid AS hit, {article_rank} AS rank, 'article' AS matched
FROM articles_fts WHERE articles_fts MATCH :match AND rowid >= :floor_article
UNION ALL
SELECT f.article_id, faqs_fts.rowid, {faq_rank}, 'faq'
FROM faqs_fts JOIN faqs f ON f.rowid = faqs_fts.rowid WHERE faqs_fts MATCH :match AND faqs_fts.rowid >= :floor_faq"""
# The hits' rank: bm25, or unranked (by date and in counts), where an article's best hit is its
# text when that matches, else its first matching FAQ pair. bm25 of rows looked up by rowid
# would read each word's whole posting list again for every row (3 ms a row for a word in 89%
# of 100,000 articles), and a sort by date has no use for it.
HIT_RANKS = {True: ("bm25(articles_fts, {weights})", "bm25(faqs_fts, 2.0, 1.0)"), False: ("0", "f.position")}
# The lowest rowid of the RANK_WINDOW newest hits in one index, when it has more hits.
FLOOR = "SELECT rowid FROM {table} WHERE {table} MATCH :match ORDER BY rowid DESC LIMIT 1 OFFSET :offset"
WINDOW_GROWTH = 8
# A filtered count looks at the COUNT_WINDOW newest hits of each index at most (each hit costs an
# article row read): ~0.2 s on a million articles; beyond, the count is a lower bound.
COUNT_WINDOW = 20_000
SNIPPETS = {
    kind: f"SELECT snippet({table}, -1, :open, :close, '…', :tokens) FROM {table}"
          f" WHERE {table} MATCH :match AND rowid = :hit"
    for kind, table in (("article", "articles_fts"), ("faq", "faqs_fts"))
}

SEARCH = f"""
WITH hits AS ({{hits}}),
best AS (
  -- SQLite takes the bare columns (hit, matched) from the row that gives min(rank)
  SELECT article_id, hit, matched, min(rank) AS rank,
    sum(matched = 'article') > 0 AS in_article, sum(matched = 'faq') > 0 AS in_faq
  FROM hits GROUP BY article_id
),
top AS (
  SELECT b.* FROM best b {{join}}
  WHERE {{where}}
  ORDER BY {{top_order}} LIMIT :limit
)
SELECT a.id, a.headline, a.canonical_url AS url, a.published, a.section, {AUTHORS_JSON} AS authors,
  t.hit, t.matched, t.rank, t.in_article, t.in_faq
FROM top t JOIN articles a ON a.id = t.article_id
ORDER BY {{order}}"""
# search()'s orders: (ORDER BY of the `top` CTE, ORDER BY of the result). Date: newest first;
# oldest: oldest first; unknown dates last in both, ties by id (the order of idx_articles_date).
NEWEST = "datetime(a.published) DESC, a.id DESC"
OLDEST = "datetime(a.published) IS NULL, datetime(a.published), a.id"
ORDERS = {
    "rank": ("b.rank, b.article_id", "t.rank, a.id"),
    "date": (NEWEST, NEWEST),
    "oldest": (OLDEST, OLDEST),
}

# The date walk. Sorting a query's hits by date reads an article row for every hit (1.5 s for
# a word in 89% of 100,000 articles). With many hits, `search` walks the articles in date order
# instead, through idx_articles_date (schema m013): each article is tested against the filters,
# then, if it passes, against both FTS indexes by rowid (`MATCH ... AND rowid = ?`, a probe),
# and the walk stops at `limit` results. Its budget: at most :budget index entries and :probes
# probes (WALK_RATIO times the hits counted, and the hits over PROBE_COST: a probe costs about
# as much as sorting PROBE_COST hits, ~80 us against ~10 us on the 100,000-article bench
# archive), so a walk that fails costs about what the sort does; it then leaves the query to
# the sort. Both give the same rows in the same order: the walk only chooses the ids, which
# SEARCH then reads (HITS_OF). The walk's layers are co-routines read in the index's order (no
# ORDER BY above the arms, whose LIMITs keep them from being merged): tests/archive/
# test_date_walk.py checks the plan and compares both plans' results.
WALK_RATIO = 4
PROBE_COST = 8
# The walk's arms, read in turn: ranges of the index in the order's direction (oldest first:
# the dated articles, then the undated ones).
WALK_ARMS = {
    "date": ["ORDER BY datetime(a.published) DESC, a.id DESC"],
    "oldest": ["AND datetime(a.published) IS NOT NULL ORDER BY datetime(a.published), a.id",
               "AND datetime(a.published) IS NULL ORDER BY a.id"],
}
WALK_ARM = "SELECT * FROM (SELECT a.id FROM articles a INDEXED BY idx_articles_date WHERE {bounds} {arm} LIMIT :budget)"
# The articles of the walk's entries that pass the filters, at most :probes (a subquery with a
# LIMIT is not merged into the query around it: the filters are tested before the probes). The
# article row is read only for a section; the other filters need its id only.
WALK_FILTERED = """SELECT a.id FROM (SELECT id FROM ({arms}) LIMIT :budget) {rows} WHERE {where} LIMIT :probes"""
# An article is a hit when its text or one of its FAQ pairs matches (as in HITS).
WALK = """
SELECT f.id FROM ({filtered}) f
WHERE EXISTS (SELECT 1 FROM articles_fts WHERE articles_fts MATCH :match AND rowid = f.id)
  OR EXISTS (SELECT 1 FROM faqs x CROSS JOIN faqs_fts ON faqs_fts.rowid = x.rowid
             WHERE x.article_id = f.id AND faqs_fts MATCH :match)
LIMIT :limit"""
# Whether the walk stopped at its budget: the index holds more than :budget entries within the
# date bounds, or the filters let :probes articles through.
WALK_CUT = """SELECT (SELECT count(*) FROM (SELECT 1 FROM articles a INDEXED BY idx_articles_date WHERE {bounds}
  LIMIT :budget + 1)) > :budget OR (SELECT count(*) FROM ({filtered})) >= :probes"""
# The hits of the articles :only (a JSON array of ids), each index read by rowid.
HITS_OF = """
SELECT articles_fts.rowid AS article_id, articles_fts.rowid AS hit, {article_rank} AS rank, 'article' AS matched
FROM json_each(:only) j CROSS JOIN articles_fts ON articles_fts.rowid = j.value WHERE articles_fts MATCH :match
UNION ALL
SELECT f.article_id, faqs_fts.rowid, {faq_rank}, 'faq'
FROM json_each(:only) j CROSS JOIN faqs f ON f.article_id = j.value CROSS JOIN faqs_fts ON faqs_fts.rowid = f.rowid
WHERE faqs_fts MATCH :match"""

# A valid FTS5 query that matches nothing: what text without a word searches (`safe_match`).
NO_MATCH = '""'



@dataclass(frozen=True)
class SearchResult:
    """One article found by `search`. `rank` is FTS5's bm25 of its best hit (lower is better;
    None by date, where the best hit is the text when it matches, else the first FAQ pair that does);
    `matched` says where the words were found: "article" (headline, summary, body) and/or "faq"."""

    id: int
    headline: str | None
    url: str
    published: str | None
    section: str | None
    authors: list[str]
    snippet: str
    rank: float | None
    matched: list[str]


@dataclass(frozen=True)
class VersionInfo:
    """An earlier version of an article (its full content is in `article_versions`)."""

    version: int
    fetched_at: str
    superseded_at: str
    crawl_id: int | None
    content_hash: str
    headline: str | None
    word_count: int


def _detail_fields() -> list[tuple[str, object]]:
    """ArticleDetail's fields: the id, every archived field of the model (dates as the ISO 8601
    text they are stored as), then what the archive adds."""
    hints = get_type_hints(Article)
    kept = [(f.name, str | None if datetime in getattr(hints[f.name], "__args__", ()) else hints[f.name])
            for f in fields(Article) if storage(f)]
    return [("id", int), *kept, ("urls", list[str]), ("version", int), ("versions", list[VersionInfo]),
            ("content_hash", str), ("parser_version", str), ("first_seen", str), ("last_seen", str),
            ("last_modified_seen", str | None)]


ArticleDetail = make_dataclass("ArticleDetail", _detail_fields(), frozen=True)
ArticleDetail.__module__ = __name__
ArticleDetail.__doc__ = """Everything archived about one article: every field the archive keeps of
`archive.model.Article`, its id, every URL it was seen under, its version and the earlier ones (oldest
first), and when it was seen."""


@dataclass(frozen=True)
class CrawlInfo:
    """One row of the crawl history."""

    id: int
    started: str
    finished: str | None
    status: str
    start_urls: list[str]
    pages: int
    articles_new: int
    articles_updated: int
    duplicates: int
    errors: int
    sites: dict = field(default_factory=dict)  # sites.toml crawls: site -> {pages, article_new, ...}


@dataclass(frozen=True)
class ArchiveStats:
    """Article counts by section, author and month published (YYYY-MM; None when unknown),
    the crawl history and error counts by stage. An article counts once for each author."""

    totals: dict[str, int]
    by_section: dict[str | None, int]
    by_author: dict[str, int]
    by_month: dict[str | None, int]
    crawls: list[CrawlInfo]
    errors_by_stage: dict[str, int]


def safe_match(text: str | None) -> str:
    """The user's text as an FTS5 query that is never a syntax error: `fts_query`'s (quoted
    terms, OR, -word; archive.search_syntax), or a query matching nothing when the text has no
    word to require (a lone `"`, `*`, `(`, only -words)."""
    try:
        return fts_query(text or "")
    except BadQuery:
        return NO_MATCH


def date_bound(value: str | date | datetime, *, end: bool = False) -> str:
    """An ISO 8601 bound from an ISO date or anything python-dateutil reads. What the value
    leaves out is filled to the start of the period, or with `end` to its end: "2023" until
    means until 2023-12-31T23:59:59. `BadQuery` for text that is not a date."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59) if end else time.min).isoformat()
    text = str(value)
    shown = repr(text if len(text) <= SHOWN_DATE else text[:SHOWN_DATE] + "...")
    try:
        # Two default years: a value without a year ("12", "Sep 21") reads as a different date
        # by each, and is refused rather than taken as this year's (or, as a day, a different
        # month's for since and until).
        bounds = [dateparser.parse(text, default=datetime(year, 12, 31, 23, 59, 59) if end else datetime(year, 1, 1))
                  for year in (2000, 2004)]
    except (ValueError, OverflowError):
        raise BadQuery(f"bad date {shown}: use an ISO date such as 2023-09-21") from None
    if bounds[0] != bounds[1]:
        raise BadQuery(f"bad date {shown}: it has no year; use an ISO date such as 2023-09-21, or 2023-09, or 2023")
    return bounds[0].isoformat()


SHOWN_DATE = 40  # characters of a date that cannot be read quoted in the error

# article_filter's conditions on the date, a range of idx_articles_date for the date walk.
DATE_BOUNDS = {"since": "datetime(a.published) >= datetime(:since)",
               "until": "datetime(a.published) <= datetime(:until)"}


def article_filter(
    author: str | None = None, tag: str | None = None, section: str | None = None,
    since: str | date | None = None, until: str | date | None = None, site: str | None = None,
) -> tuple[str, dict]:
    """A WHERE condition on `articles a` and its parameters. Author, tag and section match
    whole names, case-insensitively; since and until bound `published`, both inclusive; site
    is the host (and port) of the canonical URL, as stories name it (`archive.stories.site_of`)."""
    conditions, params = ["1"], {}
    if author:
        conditions.append("EXISTS (SELECT 1 FROM article_authors x JOIN authors au ON au.id = x.author_id"
                          " WHERE x.article_id = a.id AND au.name = :author COLLATE NOCASE)")
        params["author"] = author
    if tag:
        conditions.append("EXISTS (SELECT 1 FROM article_tags x JOIN tags t ON t.id = x.tag_id"
                          " WHERE x.article_id = a.id AND t.name = :tag COLLATE NOCASE)")
        params["tag"] = tag
    if section:
        conditions.append("a.section = :section COLLATE NOCASE")
        params["section"] = section
    if since:
        conditions.append(DATE_BOUNDS["since"])
        params["since"] = date_bound(since)
    if until:
        conditions.append(DATE_BOUNDS["until"])
        params["until"] = date_bound(until, end=True)
    if site:
        conditions.append("EXISTS (SELECT 1 FROM article_story s WHERE s.article_id = a.id AND s.site = lower(:site))")
        params["site"] = site
    return " AND ".join(conditions), params


def search(
    archive: Archive, query: str, *, author: str | None = None, tag: str | None = None,
    section: str | None = None, since: str | date | None = None, until: str | date | None = None,
    limit: int | None = DEFAULT_LIMIT, markers: tuple[str, str] = ("[", "]"), order: str = "rank",
    window: int | None = RANK_WINDOW, site: str | None = None, walk: bool | None = None, offset: int = 0,
) -> list[SearchResult]:
    """Articles whose text or FAQ pairs contain every word of `query` (porter-stemmed, so
    "floods" finds "flood"), best first (`order="date"`: newest first, `"oldest"`: oldest
    first); the snippet wraps matches in `markers`. Ranked with a `limit`, a query with more
    than `window` hits in an index is ranked among its `window` most recently archived hits
    there (when the filters leave fewer than `limit` results in that window, among
    WINDOW_GROWTH times as many, and so on up to every hit); `window=None` ranks every hit.
    By date with a `limit`, the date walk or a sort of every hit, as the number of hits says
    (`walk` True or False forces one; the results are the same). `offset` results are skipped
    (a later page: found as part of `offset + limit`, but given no snippet)."""
    if limit is not None and limit < 1:
        raise BadQuery(f"limit must be at least 1, not {limit}")
    where, params = article_filter(author, tag, section, since, until, site)
    filtered = bool(params)
    params.update(match=fts_query(query), open=markers[0], close=markers[1], tokens=SNIPPET_TOKENS,
                  limit=-1 if limit is None else offset + limit)
    weights = ", ".join(str(c.search_weight) for c in archive.columns.searchable)
    if order not in ORDERS:
        raise BadQuery(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    top_order, order_by = ORDERS[order]
    # no filter and ranked: no article row read per hit (on a large archive, each one a page from disk)
    join = "JOIN articles a ON a.id = b.article_id" if filtered or order != "rank" else ""
    hits = HITS
    if order in WALK_ARMS and limit is not None and walk is not False:
        budget = (-1, -1) if walk else _walk_budget(archive, params["match"], params["limit"])
        ids = _date_walk(archive, order, article_filter(author, tag, section, site=site)[0], params, budget)
        if ids == []:
            return []
        if ids is not None:
            hits, params["only"] = HITS_OF, json.dumps(ids)
    sql = SEARCH.format(hits=_hits(hits, weights, ranked=order == "rank"), where=where, join=join,
                        top_order=top_order, order=order_by)
    ranked_window = window if limit is not None and order == "rank" else None  # all results, or by date: every hit
    while True:
        floors = _floors(archive, params["match"], ranked_window)
        rows = list(archive.db.query(sql, {**params, **floors}))
        if len(rows) >= params["limit"] or not any(floors.values()):
            break
        ranked_window *= WINDOW_GROWTH  # the filters left too few in the window: a larger one
    return [
        SearchResult(
            id=row["id"], headline=row["headline"], url=row["url"], published=row["published"],
            section=row["section"], authors=json.loads(row["authors"]),
            snippet=archive.db.execute(SNIPPETS[row["matched"]], {**params, "hit": row["hit"]}).fetchone()[0],
            rank=row["rank"] if order == "rank" else None, matched=[m for m in ("article", "faq") if row[f"in_{m}"]],
        )
        for row in rows[offset:]
    ]


def _hits(template: str, weights: str, ranked: bool) -> str:
    """HITS or HITS_OF with their ranks (HIT_RANKS)."""
    article_rank, faq_rank = HIT_RANKS[ranked]
    return template.format(article_rank=article_rank.format(weights=weights), faq_rank=faq_rank)


def _walk_budget(archive: Archive, match: str, limit: int) -> tuple[int, int] | None:
    """The date walk's budget for `limit` results, (index entries, probes), or None when the
    query has too few hits for a walk to pay: through N articles a walk probes ~limit * N / hits
    of them (unfiltered), a sort reads every hit, so the walk is tried when
    hits > sqrt(PROBE_COST * limit * N). The hits are counted in both FTS indexes (rowids only),
    up to 64 times that. None too for an archive without the index."""
    if archive.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'idx_articles_date'").fetchone() is None:
        return None  # an archive from before m013, read as it is (ArchiveReader)
    articles = archive.db.execute("SELECT max(id) FROM articles").fetchone()[0] or 0
    enough = math.isqrt(PROBE_COST * limit * articles) + 1
    hits = sum(archive.db.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH :match LIMIT :cap)",
                                  {"match": match, "cap": 64 * enough}).fetchone()[0]
               for table in ("articles_fts", "faqs_fts"))
    return (WALK_RATIO * hits, hits // PROBE_COST) if hits >= enough else None


def _date_walk(archive: Archive, order: str, where: str, params: dict,
               budget: tuple[int, int] | None) -> list[int] | None:
    """The ids of the first `params["limit"]` results in `order` (a WALK_ARMS key) that pass
    `where` (article_filter's; the dates are the walk's bounds), read by the date walk within
    `budget` (index entries, probes; -1: no bound); None when no budget is given or the walk
    stopped at it short of `limit` results (sort the hits instead)."""
    if budget is None:
        return None
    bounds = " AND ".join([DATE_BOUNDS[name] for name in DATE_BOUNDS if name in params] or ["1"])
    arms = " UNION ALL ".join(WALK_ARM.format(bounds=bounds, arm=arm) for arm in WALK_ARMS[order])
    rows = "c CROSS JOIN articles a ON a.id = c.id" if "section" in params else "a"
    filtered = WALK_FILTERED.format(arms=arms, rows=rows, where=where)
    walked = {**params, "budget": budget[0], "probes": budget[1]}
    ids = [i for (i,) in archive.db.execute(WALK.format(filtered=filtered), walked)]
    if len(ids) == params["limit"] or budget == (-1, -1):
        return ids
    cut = archive.db.execute(WALK_CUT.format(bounds=bounds, filtered=filtered), walked).fetchone()[0]
    return None if cut else ids


def _floors(archive: Archive, match: str, window: int | None) -> dict[str, int]:
    """The lowest rowid of the `window` newest hits of each FTS index (0: it has no more)."""
    floors = {"floor_article": 0, "floor_faq": 0}
    if window:
        for name, table in (("floor_article", "articles_fts"), ("floor_faq", "faqs_fts")):
            row = archive.db.execute(FLOOR.format(table=table), {"match": match, "offset": window - 1}).fetchone()
            floors[name] = row[0] if row else 0
    return floors


def search_total(archive: Archive, query: str, *, cap: int | None = None, window: int | None = COUNT_WINDOW,
                 **filters) -> tuple[int, bool]:
    """How many articles `search(archive, query, limit=None, **filters)` finds (0 for text
    without a word), and whether that is exact: counted up to `cap` when given (a common word
    on a million articles has hundreds of thousands), and with filters among the `window`
    newest hits of each index (None: every hit) - a lower bound when there are more."""
    where, params = article_filter(**filters)
    match = safe_match(query)
    floors = _floors(archive, match, window if params else None)
    join = "JOIN articles a ON a.id = h.article_id" if params else ""
    count = archive.db.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT h.article_id FROM ({_hits(HITS, '', ranked=False)}) h {join}"
        f" WHERE {where} LIMIT :cap)",
        {**params, **floors, "match": match, "cap": -1 if cap is None else cap},
    ).fetchone()[0]
    return count, not any(floors.values()) and (cap is None or count < cap)


def article(archive: Archive, id_or_url: int | str) -> ArticleDetail:
    """The article with this id, canonical URL or any URL it was seen under (AMP copies,
    tracking-decorated links); `NotFound` otherwise."""
    key = str(id_or_url).strip()
    article_id = (int(key) if int(key) < 2**63 else None) if key.isdigit() else archive.known_article_id(key)
    row = next(archive.db.query(
        f"SELECT a.*, {AUTHORS_JSON} AS authors, {TAGS_JSON} AS tags FROM articles a WHERE a.id = ?", [article_id]
    ), None)
    if row is None:
        raise NotFound(f"no article with id {key}" if key.isdigit() else f"no article archived under {key}")

    def rows(sql: str) -> list[dict]:
        return list(archive.db.query(sql, [article_id]))

    where = f"article {article_id}"
    links = rows("SELECT kind, text, url FROM links WHERE article_id = ? ORDER BY kind, position")
    scalars = {f.name for f in fields(ArticleDetail)} & row.keys()
    decoded = set(article_columns().json) | {"authors", "tags"}
    return checked(ArticleDetail, where, **{
        **{name: stored_json(row[name], where, name, "[]") if name in decoded else row[name] for name in scalars},
        "faqs": [checked(Faq, f"{where}'s FAQ pair", **r)
                 for r in rows("SELECT question, answer FROM faqs WHERE article_id = ? ORDER BY position")],
        "related_links": [checked(Link, f"{where}'s link", text=r["text"], url=r["url"])
                          for r in links if r["kind"] == "related"],
        "related_articles": [checked(Link, f"{where}'s link", text=r["text"], url=r["url"])
                             for r in links if r["kind"] == "also_like"],
        "urls": [r["url"] for r in rows("SELECT url FROM article_urls WHERE article_id = ? ORDER BY id")],
        "versions": [checked(VersionInfo, f"{where}'s version", **r) for r in rows(
            "SELECT version, fetched_at, superseded_at, crawl_id, content_hash, headline, word_count"
            " FROM article_versions WHERE article_id = ? ORDER BY version")],
    })


def stats(archive: Archive) -> ArchiveStats:
    """What the archive holds, by section, author and month, and how its crawls went."""

    def counts(sql: str) -> dict:
        return dict(archive.db.execute(sql).fetchall())

    crawls = [
        checked(CrawlInfo, f"crawl {row['id']}", **{k: v for k, v in row.items() if k not in ("stats", "start_urls")},
                start_urls=stored_json(row["start_urls"], f"crawl {row['id']}", "start_urls", "[]"),
                sites=_sites(row["stats"], f"crawl {row['id']}"))
        for row in archive.db.query(
            "SELECT id, started, finished, status, start_urls, pages, articles_new, articles_updated,"
            " duplicates, errors, stats FROM crawls ORDER BY id")
    ]
    return ArchiveStats(
        totals=archive.counts(),
        by_section=counts("SELECT section, count(*) AS n FROM articles GROUP BY section"
                          " ORDER BY n DESC, section IS NULL, section"),
        by_author=counts("SELECT au.name, count(*) AS n FROM article_authors x JOIN authors au"
                         " ON au.id = x.author_id GROUP BY au.id ORDER BY n DESC, au.name"),
        by_month=counts("SELECT substr(published, 1, 7) AS month, count(*) FROM articles"
                        " GROUP BY month ORDER BY month IS NULL, month"),
        crawls=crawls,
        errors_by_stage={stage: 0 for stage in STAGES} | counts(
            "SELECT stage, count(*) FROM errors GROUP BY stage ORDER BY stage"),
    )


def _sites(stats: str | None, where: str) -> dict:
    """The per-site counters of a crawl's stats (`bbn/site/NAME/WHAT`), by site; `where` names the crawl."""
    sites: dict = {}
    decoded = stored_json(stats, where, "stats", "{}")
    if not isinstance(decoded, dict):
        raise DamagedRow(f"{where} is damaged: its stats are not a JSON object (changed outside bbn-archive?)")
    for key, value in decoded.items():
        if key.startswith("bbn/site/"):
            name, _, what = key.removeprefix("bbn/site/").rpartition("/")
            sites.setdefault(name, {})[what] = value
    return sites


@dataclass(frozen=True)
class CrawlError:
    """One row of a crawl's errors: where it failed (fetch, parse, store), on what, and why."""

    url: str | None
    stage: str
    reason: str
    at: str


MAX_ERROR_TEXT = 10_000  # characters of an error row's URL or reason read; the rest is said to be cut


def crawl_errors(archive: Archive, crawl_id: int | None = None) -> tuple[int, list[CrawlError]]:
    """The crawl (the latest by default) and its errors in the order they were recorded;
    `NotFound` when the archive has no such crawl."""
    crawl_id, _, rows = error_rows(archive, crawl_id, cut=0)
    return crawl_id, list(rows)


def error_rows(archive: Archive, crawl_id: int | None = None,
               cut: int = MAX_ERROR_TEXT) -> tuple[int, int, Iterator[CrawlError]]:
    """The crawl (the latest by default), how many errors it has, and its errors in the order
    they were recorded, read as they are taken; a URL or reason is cut to `cut` characters (by
    SQLite: a longer value is never read whole; 0: whole), saying how many more there are.
    `NotFound` when the archive has no such crawl."""
    if crawl_id is None:
        crawl_id = archive.db.execute("SELECT max(id) FROM crawls").fetchone()[0]
        if crawl_id is None:
            raise NotFound("the archive has no crawls yet")
    elif archive.db.execute("SELECT 1 FROM crawls WHERE id = ?", [crawl_id]).fetchone() is None:
        raise NotFound(f"no crawl with id {crawl_id}")
    count = archive.db.execute("SELECT count(*) FROM errors WHERE crawl_id = ?", [crawl_id]).fetchone()[0]
    rows = archive.db.execute(
        "SELECT substr(url, 1, :n), length(url), stage, substr(reason, 1, :n), length(reason), at FROM errors"
        " WHERE crawl_id = :crawl ORDER BY id", {"n": cut or 2**31 - 1, "crawl": crawl_id})
    return crawl_id, count, (CrawlError(_cut(url, url_length, cut), stage, _cut(reason, reason_length, cut), at)
                             for url, url_length, stage, reason, reason_length, at in rows)


def _cut(text, length: int | None, cut: int):
    """`text` as read (its first `cut` characters), saying so when it was longer."""
    if not cut or length is None or length <= cut or not isinstance(text, str):
        return text
    return f"{text}... ({length - cut} more characters)"


def crawl_row(archive: Archive, crawl_id: int | None = None) -> dict | None:
    """The crawls row (the latest by default), stats still JSON text; None if there is none."""
    rows = list(archive.db.query(
        "SELECT * FROM crawls WHERE id = coalesce(?, (SELECT max(id) FROM crawls))", [crawl_id]))
    return rows[0] if rows else None


def crawl_start_urls(archive: Archive) -> list[list[str]]:
    """Each crawl's start URLs, oldest crawl first."""
    return [json.loads(urls) for (urls,) in archive.db.execute("SELECT start_urls FROM crawls ORDER BY id")]


# One page per article: the latest successful fetch of its own URL, else of an alias (AMP copy,
# tracking link). page_key is url_key, registered on the connection.
ARTICLE_PAGES = """
WITH owners AS (
  SELECT url_key AS key, id AS article_id FROM articles
  UNION SELECT url_key, article_id FROM article_urls
),
candidates AS (
  SELECT p.id, p.url, p.content_type, p.fetched_at, a.last_seen, a.crawl_id,
    row_number() OVER (PARTITION BY a.id
      ORDER BY page_key(p.url) IN (a.url_key, page_key(a.url)) DESC, p.fetched_at DESC, p.id DESC) AS n
  FROM pages p JOIN owners o ON o.key = page_key(p.url) JOIN articles a ON a.id = o.article_id
  WHERE p.status IS NULL OR p.status < 400
)
SELECT id, url, content_type, last_seen, crawl_id FROM candidates
WHERE n = 1 AND (:since IS NULL OR datetime(fetched_at) >= datetime(:since))
ORDER BY id"""


def reparse_pages(archive: Archive, since: str | None = None) -> list[dict]:
    """The page each article is parsed again from (`ARTICLE_PAGES`), fetched since `since` (a
    `date_bound`) if given: its id, url, content_type, and its article's last_seen and crawl_id."""
    archive.db.register_function(url_key, deterministic=True, name="page_key")
    return list(archive.db.query(ARTICLE_PAGES, {"since": since}))


def _undamaged(chunks: Iterator[bytes], page_id: int, sha256: str | None) -> Iterator[bytes]:
    """`chunks`, with a stored body that stops decoding or ends short (`stored_zlib`), or
    whose bytes are not the ones recorded (`sha256`, when given: checked at its end), an
    `ArchiveError` naming the page."""
    digest = hashlib.sha256()
    try:
        for chunk in chunks:
            digest.update(chunk)
            yield chunk
    except zlib.error as exc:
        raise ArchiveError(f"page {page_id}: its stored body is damaged ({exc})") from None
    if sha256 and digest.hexdigest() != sha256:
        raise ArchiveError(f"page {page_id}: its stored body is damaged (not the bytes recorded: its sha256 differs)")


class ReadAPI:
    """The read API as methods of `Archive` and `ArchiveReader`: `archive.search(...)`,
    `.search_total(...)`, `.article(...)`, `.page_body(...)`, `.stats()`, `.crawl_errors()`.
    What they read through: `db` (a sqlite-utils Database), `columns` and `path`."""

    db: Database
    path: str | None

    search = search
    search_total = search_total
    article = article
    stats = stats
    crawl_errors = crawl_errors
    error_rows = error_rows
    crawl_row = crawl_row
    crawl_start_urls = crawl_start_urls

    def page_chunks(self, page_id: int, check: bool = False) -> Iterator[bytes]:
        """The decompressed body of a recorded page in chunks (archive.decoding), its stored form
        read now (the row, or its WARC record), decoded as they are taken; KeyError for an unknown
        id, `ArchiveError` for a missing or damaged WARC file, or a stored body cut short or not
        zlib; with `check`, also one whose bytes are not those its sha256 records (known only at
        its end: a reader that acts on the whole body asks for it)."""
        row = self.db.execute("SELECT compression, body, warc_file, warc_offset, warc_length, sha256 FROM pages WHERE id = ?",
                              [page_id]).fetchone()
        if row is None:
            raise KeyError(f"no page {page_id}")
        if row[0] == "warc":
            return warc_page_chunks(self.path, page_id, *row[2:5])
        if row[0] != "zlib":
            raise ArchiveError(f"page {page_id}: unsupported compression {row[0]!r}")
        if not isinstance(row[1], bytes):
            raise ArchiveError(f"page {page_id}: damaged row (its body is {type(row[1]).__name__}, not a blob)")
        return _undamaged(stored_zlib(BytesIO(row[1]).read), page_id, row[5] if check else None)

    def page_body(self, page_id: int, limit: int = MAX_BODY) -> bytes:
        """The decompressed body of a recorded page, as `page_chunks`; `TooLarge` over `limit` bytes."""
        return read_at_most(self.page_chunks(page_id, check=True), limit, f"page {page_id}")

    def known_article_id(self, url: str) -> int | None:
        """The article archived under `url` or any URL sharing its url_key; None for a URL
        that does not parse (a bad port, an unclosed IPv6 bracket): no article has it."""
        try:
            key = url_key(url)
        except ValueError:
            return None
        row = self.db.execute("SELECT id FROM articles WHERE url_key = ?", [key]).fetchone()
        if row is None:
            row = self.db.execute(
                "SELECT article_id FROM article_urls WHERE url_key = ? ORDER BY id LIMIT 1", [key]
            ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        tables = {
            "articles": "articles", "authors": "authors", "tags": "tags", "faqs": "faqs",
            "links": "links", "article_urls": "article_urls", "versions": "article_versions",
            "pages": "pages", "errors": "errors", "crawls": "crawls",
        }
        return {name: self.db.table(table).count for name, table in tables.items()}


class ArchiveReader(ReadAPI):
    """The read API over a connection to an archive opened elsewhere, as Datasette gives one
    (read-only): the archive is neither checked nor migrated, nothing is written, and the
    connection is left as it was (no pragma set) and open."""

    def __init__(self, conn: sqlite3.Connection):
        self.db = Database(conn, recursive_triggers=False)
        self.columns = article_columns()
        self.path = db_path(self.db)
