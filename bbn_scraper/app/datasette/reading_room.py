"""The reading room, on the databases that are bbn-archives (the plugin's hooks; see __init__.py):

``/``
    The archive's front page (the first archive served; Datasette's own index when none is):
    a search box, the latest articles, sections, sites and authors with their counts, the
    stories carried by most sites, the last crawls, and a link to the tables.
``/<db>/-/stories?order=size|recent``
    The stories carried by more than one site, largest or newest first, a page at a time.
``/<db>/-/story/<id>``
    One story's articles side by side: site, headline, byline, first seen, and what each
    adds to or drops from the earliest, paragraph by paragraph.
``/<db>/-/article/<id>``
    An article to read: headline, byline with author links, dates, section and tags as links
    to their facets, body paragraphs, FAQ pairs, related links, every URL it was seen under,
    its versions with the diff between consecutive ones, and its stored pages.
``/<db>/-/page/<id>``
    A stored page as it was fetched, streamed, at most 16 MiB of it (stored_page.py), served
    with ``Content-Security-Policy: sandbox`` (no script runs, nothing is loaded from elsewhere).
``/<db>/-/search?q=...&in=articles|faqs&order=relevance|date|oldest``
    Article search (text and FAQ pairs, bm25 with the headline weighted) or FAQ search, best
    first with highlighted snippets; ``order=date`` for newest first, ``oldest`` for oldest. Articles are filtered by
    ``section``, ``author``, ``site``, ``since`` and ``until`` and paged by ``offset``; the
    query syntax is archive.search_syntax's (phrases, OR, -word). ``/<db>/-/search.json`` and
    ``.csv`` give the same results (``limit`` of them, at most MAX_EXPORT_ROWS a request).

Each view's reading stops at ``sql_time_limit_ms``, as Datasette's own queries do.

It also makes every search box safe: Datasette's ``escape_fts()`` SQL function (what
``searchmode: escaped`` tables match with) is replaced by `archive.query.safe_match`, so no text gives
an FTS5 syntax error, and a ``_searchmode=raw`` query FTS5 cannot parse is searched as words;
and in the article tables the headline links to the reading view and
the columns a reader wants come first (templates/_table.html asks `table_plan`).

Page text is escaped by the templates (Jinja autoescape); nothing here marks page content safe.
"""
from __future__ import annotations

import csv
import io
import sqlite3
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.utils import path_with_added_args, path_with_replaced_args, sqlite_timelimit
from datasette.utils.asgi import NotFound, Request, Response
from datasette.views.index import IndexView
from datasette.views.base import DatasetteError
from markupsafe import Markup

from archive.browse import STORY_ORDERS, front_page, section_counts, shared_stories, shared_story_count, site_counts
from archive.errors import BadQuery
from archive.query import ArchiveReader, safe_match
from archive.search_syntax import parse
from archive.reading import authors_and_faq_counts, faq_search
from archive.stories import site_of
from archive.user_sql import MAX_VALUE_BYTES

from . import reading
from .metadata import archives
from .stored_page import StoredPageResponse

PAGE_SIZE = 50
MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer
MAX_OFFSET = 5000  # how deep search pages go (ranking a page costs its offset)
MAX_EXPORT_ROWS = 1000  # the most rows one /-/search.json or .csv request returns
TOTAL_CAP = 10_000  # search counts its matches up to this ("At least 10,000")
CHOICES = 300  # the sections and sites the search form offers, most articles first
SEARCH_ORDERS = {"relevance": "rank", "date": "date", "oldest": "oldest"}  # ?order= -> archive's order
FILTERS = ("section", "author", "site", "since", "until")
CSV_COLUMNS = ("id", "headline", "published", "section", "site", "authors", "url", "article_url", "snippet")
# The columns a reader wants first, by table; "authors" and "faq_count" are added to articles.
READER_COLUMNS = {
    "articles": ["headline", "published", "section", "authors", "word_count", "faq_count"],
    "articles_full": ["headline", "published", "section", "authors", "word_count", "faq_count"],
    "faq_pairs": ["question", "answer", "headline", "published", "section"],
}
ADDED = {"articles": ("authors", "faq_count")}
# Tables whose rows are articles (id) or belong to one (article_id): their headline links.
HEADLINE_LINKS = {"articles": "id", "articles_full": "id", "faq_pairs": "article_id"}
# The columns holding a story id: linked to the story page.
STORY_LINKS = {("multi_site_stories", "story_id"), ("article_story", "story_id"), ("stories", "id")}
# A stored page may show its own styles and images inline, nothing else, and run no script.
PAGE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@hookimpl(specname="prepare_connection", trylast=True)  # after Datasette's own, which registers the original
def safe_escape_fts(conn):
    conn.create_function("escape_fts", 1, safe_match, deterministic=True)
    # A value past this is an error ("string or blob too big"), not hundreds of MB in the server's memory
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)


@hookimpl(specname="handle_exception")
def raw_search_as_words(request, exception):
    """A ``_searchmode=raw`` search that FTS5 cannot parse (``"``, ``NEAR(``, an unknown
    ``column:``): the same page with the text searched as words (``_searchmode=escaped``,
    whose errors, if any, are shown as usual)."""
    if request is None or request.args.get("_searchmode") != "raw" or not isinstance(exception, DatasetteError):
        return None  # DatasetteError: what Datasette raises for an SQL error
    return Response.redirect(path_with_replaced_args(request, {"_searchmode": "escaped"}))


def article_url(datasette, database: str, article_id: int) -> str:
    return f"{datasette.urls.database(database)}/-/article/{article_id}"


@hookimpl(specname="render_cell")
def headline_link(row, value, column, table, database, datasette):
    """An article table's headline: an (escaped) link to the article's reading view; a story
    table's story id: a link to the story page."""
    if value is None or database not in archives(datasette):
        return None
    if (table, column) in STORY_LINKS:
        return Markup('<a href="{}/-/story/{}">{}</a>').format(datasette.urls.database(database), value, value)
    key = HEADLINE_LINKS.get(table)
    if column != "headline" or key is None or key not in row.keys():
        return None
    return Markup('<a href="{}">{}</a>').format(article_url(datasette, database, row[key]), value)


@hookimpl(specname="extra_template_vars")
def reading_order(datasette, database, table):
    async def table_plan(display_columns, rows):
        """The table's columns in reading order, as (index in display_columns or None, name,
        values for an added column); None to keep Datasette's order."""
        first = READER_COLUMNS.get(table)
        if not first or not display_columns or database not in archives(datasette):
            return None
        names = [c["name"] for c in display_columns]
        added = {}
        if table in ADDED and rows:
            added = await _added_columns(datasette, database, [r["id"] for r in rows])
        plan = [(i, names[i], None) for i, n in enumerate(names) if n == "Link"]
        for name in first:
            if name in names:
                plan.append((names.index(name), name, None))
            elif name in added:
                plan.append((None, name, added[name]))
        plan += [(i, n, None) for i, n in enumerate(names) if n not in first and n != "Link"]
        return plan

    return {"table_plan": table_plan, "article_url": lambda i: article_url(datasette, database, i),
            "bbn_archive": database in archives(datasette)}


async def _read(datasette, db, fn):
    """`fn(conn)` on one of Datasette's read connections, stopped at sql_time_limit_ms as
    Datasette's own queries are: a view that takes longer is a 400 page saying so."""
    limit = datasette.setting("sql_time_limit_ms")

    def bounded(conn):
        with sqlite_timelimit(conn, limit):
            return fn(conn)

    try:
        return await db.execute_fn(bounded)
    except sqlite3.OperationalError as exc:
        if str(exc) != "interrupted":
            raise
        raise DatasetteError(f"This view took longer than the server's time limit ({limit} ms).",
                             title="Time limit exceeded", status=400) from None


async def _added_columns(datasette, database: str, ids: list[int]) -> dict[str, list]:
    """The authors (names) and number of FAQ pairs of the articles `ids`, in that order."""
    authors, faqs = await _read(datasette, datasette.get_database(database),
                                lambda conn: authors_and_faq_counts(ArchiveReader(conn), ids))
    return {"authors": [authors[i] for i in ids], "faq_count": [faqs[i] for i in ids]}


async def _database(datasette, request, table: str = "articles", name: str | None = None):
    """The archive database the request names (or `name`), after the viewer's permission
    checks (to see `table` of it); `NotFound` for a database that is not a bbn-archive."""
    name = name or request.url_vars["database"]
    if name not in archives(datasette):
        raise NotFound(f"no archive {name}")
    db = datasette.get_database(name)
    await datasette.ensure_permissions(request.actor, [
        ("view-table", (name, table)), ("view-database", name), "view-instance"])
    return name, db


async def article_view(datasette, request):
    name, db = await _database(datasette, request)
    article_id = _row_id(request)
    data = await _read(datasette, db, lambda conn: reading.article_page(conn, article_id))
    if data is None:
        raise NotFound(f"no article with id {article_id}")
    return Response.html(await datasette.render_template("bbn_article.html", {
        **data, **_links(datasette, name),
        "page_url": lambda i: f"{datasette.urls.database(name)}/-/page/{i}",
    }, request=request))


async def page_view(datasette, request):
    name, db = await _database(datasette, request, "pages")
    page_id = _row_id(request)
    found = await _read(datasette, db, lambda conn: reading.stored_page(conn, page_id))
    if found is None:
        raise NotFound(f"no stored page {page_id}")
    page, chunks = found
    return StoredPageResponse(page, chunks, {
        "Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def _article_hits(conn, text: str, order: str, offset: int, limit: int, filters: dict,
                  markers: tuple[str, str]) -> tuple[int, bool, list]:
    """Articles matching `text` (their text or FAQ pairs) and `filters`: their number (up to
    TOTAL_CAP; a lower bound when not exact) and `limit` of them from `offset`."""
    reader = ArchiveReader(conn)
    if (query := parse(text)).excluded:
        query.check()  # BadQuery for -words alone (text without any word finds nothing, as always)
    total, exact = reader.search_total(text, cap=TOTAL_CAP + 1, **filters)
    total, exact = min(total, TOTAL_CAP), exact and total <= TOTAL_CAP
    if not total or (exact and offset >= total):
        return total, exact, []
    hits = reader.search(text, limit=limit, offset=offset, markers=markers, order=SEARCH_ORDERS[order], **filters)
    return total, exact, hits


def _faq_hits(conn, text: str, order: str, offset: int) -> tuple[int, bool, list]:
    """FAQ pairs matching `text`: their number (exact) and one page of them."""
    total, hits = faq_search(ArchiveReader(conn), text, order=SEARCH_ORDERS[order], limit=PAGE_SIZE,
                             offset=offset, markers=(reading.OPEN, reading.CLOSE))
    return total, True, hits


def _number(request, name: str, default: int, most: int) -> int:
    given = request.args.get(name, "")
    return min(int(given), most) if given.isascii() and given.isdigit() else default  # not "²"


def _row_id(request) -> int:
    """The id the path names; `NotFound` past SQLite's largest integer (no row has it)."""
    given = int(request.url_vars["id"])
    if given > MAX_ROW_ID:
        raise NotFound(f"no row {given}")
    return given


def _hit_record(datasette, request, database: str, hit) -> dict:
    """One search result as JSON and CSV give it."""
    return {"id": hit.id, "headline": hit.headline, "published": hit.published, "section": hit.section,
            "site": site_of(hit.url), "authors": hit.authors, "url": hit.url,
            "article_url": datasette.absolute_url(request, article_url(datasette, database, hit.id)),
            "snippet": hit.snippet, "matched": hit.matched}


def _results_csv(records: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow(["; ".join(r[c]) if c == "authors" else r[c] for c in CSV_COLUMNS])
    return out.getvalue()


async def search_view(datasette, request):
    name, db = await _database(datasette, request)
    fmt = request.url_vars.get("format")
    text = request.args.get("q", "")
    where = "faqs" if request.args.get("in") == "faqs" and not fmt else "articles"
    order = request.args.get("order") if request.args.get("order") in SEARCH_ORDERS else "relevance"
    offset = _number(request, "offset", 0, MAX_OFFSET)
    limit = max(1, _number(request, "limit", 100, MAX_EXPORT_ROWS)) if fmt else PAGE_SIZE
    filters = {key: value for key in FILTERS if (value := request.args.get(key, "").strip())}
    total, exact, hits, problem = 0, True, [], None
    try:
        if text.strip() and where == "faqs":
            total, exact, hits = await _read(datasette, db, lambda conn: _faq_hits(conn, text, order, offset))
        elif text.strip():
            markers = ("", "") if fmt else (reading.OPEN, reading.CLOSE)
            total, exact, hits = await _read(datasette, db, lambda conn: _article_hits(
                conn, text, order, offset, limit, filters, markers))
    except BadQuery as exc:
        problem = str(exc)
    more = len(hits) >= limit and offset + limit <= MAX_OFFSET and (
        not exact or offset + len(hits) < total)
    if fmt:
        return _search_data(request, [_hit_record(datasette, request, name, hit) for hit in hits[:limit]], {
            "q": text, "order": order, "filters": filters, "offset": offset, "limit": limit, "total": total,
            "total_is_lower_bound": not exact, "error": problem}, fmt, more)
    sections, sites = await _read(datasette, db, lambda conn: (
        section_counts(ArchiveReader(conn), CHOICES), site_counts(ArchiveReader(conn), CHOICES)))
    return Response.html(await datasette.render_template("bbn_search.html", {
        "database": name, "q": text, "where": where, "order": order, "total": total, "hits": hits,
        "offset": offset, "page_size": PAGE_SIZE, "highlight": reading.highlight, "filters": filters,
        "problem": problem, "exact": exact, "more": more, "site_of": site_of,
        "sections": [s for s, _ in sections], "sites": [s for s, _ in sites],
        "article_url": lambda i: article_url(datasette, name, i),
        "with_args": lambda **args: path_with_added_args(request, args),
        "data_url": lambda ext: f"{datasette.urls.database(name)}/-/search.{ext}?"
                                + urlencode([(k, v) for k in request.args.keys() if k not in ("in", "offset")
                                             for v in request.args.getlist(k)]),
        "search_url": f"{datasette.urls.database(name)}/-/search",
    }, request=request))


def _search_data(request, records: list[dict], about: dict, fmt: str, more: bool) -> Response:
    """The results of an article search as JSON (`about` the search, its count and the next
    page's URL) or CSV (``_dl=1``: as a download, else shown as text, as Datasette does)."""
    status = 400 if about["error"] else 200
    if fmt == "csv":
        if about["error"]:
            return Response.text(f"error: {about['error']}\n", status=status)
        headers = {"content-disposition": 'attachment; filename="search.csv"'} if request.args.get("_dl") else {}
        return Response(_results_csv(records), status=200, headers=headers,
                        content_type="text/csv; charset=utf-8" if headers else "text/plain; charset=utf-8")
    after = str(about["offset"] + about["limit"])
    return Response.json({**about, "results": records,
                          "next": path_with_replaced_args(request, {"offset": after}) if more else None}, status=status)


async def front_view(datasette, request):
    """The front page of the first archive served; Datasette's index when none is."""
    names = [n for n in datasette.databases if n in archives(datasette)]
    if not names:
        scope = {**request.scope, "url_route": {"kwargs": {"format": None}}}
        return await IndexView(datasette).get(Request(scope, request.receive))
    name, db = await _database(datasette, request, name=names[0])
    data = await _read(datasette, db, lambda conn: front_page(ArchiveReader(conn)))
    return Response.html(await datasette.render_template("bbn_front.html", {
        **_links(datasette, name), "front": data, "others": [n for n in datasette.databases if n != name and n != "_internal"],
        "title": datasette.metadata("title") or datasette.metadata("title", database=name) or name,
        "metadata": datasette.metadata(),  # the footer's source and license, as on Datasette's index
    }, request=request))


def _links(datasette, name: str) -> dict:
    """The URLs and helpers the reading room's pages share: an author, a tag, a section or a
    site is a filter of the articles table."""
    base = datasette.urls.database(name)
    table = datasette.urls.table(name, "articles")
    filters = {"author": "_m2m_article_authors", "tag": "_m2m_article_tags", "section": "section",
               "site": "canonical_url__contains"}

    def count_url(key: str, value: str) -> str:
        return f"{table}?{urlencode({filters[key]: f'://{value}/' if key == 'site' else value})}"

    return {
        "database": name, "table_url": table, "database_url": base, "search_url": f"{base}/-/search",
        "stories_url": f"{base}/-/stories", "story_url": lambda i: f"{base}/-/story/{i}",
        "article_url": lambda i: article_url(datasette, name, i), "count_url": count_url,
        "author_url": lambda a: count_url("author", a), "tag_url": lambda t: count_url("tag", t),
        "section_url": lambda s: count_url("section", s), "site_url": lambda s: count_url("site", s),
        "web_url": web_url,
    }


def web_url(url) -> str | None:
    """`url` when it is an http(s) URL a link may point to; None for anything else an archive
    may hold (``javascript:``, ``data:``, a relative path), which is then shown as text."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


async def stories_view(datasette, request):
    name, db = await _database(datasette, request, "stories")
    order = "recent" if request.args.get("order") == "recent" else "size"
    offset = _number(request, "offset", 0, 10**9)
    total, stories = await _read(datasette, db, lambda conn: (
        shared_story_count(ArchiveReader(conn)), shared_stories(ArchiveReader(conn), order, PAGE_SIZE, offset)))
    return Response.html(await datasette.render_template("bbn_stories.html", {
        **_links(datasette, name), "stories": stories, "total": total, "order": order, "orders": list(STORY_ORDERS),
        "offset": offset, "page_size": PAGE_SIZE, "with_args": lambda **args: path_with_replaced_args(request, args),
    }, request=request))


async def story_view(datasette, request):
    name, db = await _database(datasette, request, "stories")
    story_id = _row_id(request)
    found = await _read(datasette, db, lambda conn: reading.story_page(conn, story_id))
    if found is None:
        raise NotFound(f"no story with id {story_id}")
    story, copies, first = found
    return Response.html(await datasette.render_template("bbn_story.html", {
        **_links(datasette, name), "story": story, "copies": copies, "first_paragraphs": first,
    }, request=request))


@hookimpl(specname="register_routes")
def reading_room_routes():
    return [
        (r"^/(?P<database>[^/]+)/-/article/(?P<id>[0-9]+)$", article_view),
        (r"^/(?P<database>[^/]+)/-/page/(?P<id>[0-9]+)$", page_view),
        (r"^/(?P<database>[^/]+)/-/search(\.(?P<format>json|csv))?$", search_view),
        (r"^/(?P<database>[^/]+)/-/stories$", stories_view),
        (r"^/(?P<database>[^/]+)/-/story/(?P<id>[0-9]+)$", story_view),
        (r"^/$", front_view),
    ]


@hookimpl(specname="prepare_jinja2_environment")
def date_filters(env):
    env.filters["human_date"] = reading.human_date
    env.filters["time_tag"] = reading.time_tag
