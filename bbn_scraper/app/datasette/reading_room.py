"""The reading room, on the databases that are bbn-archives (the plugin's hooks; see __init__.py):

``/<db>/-/article/<id>``
    An article to read: headline, byline with author links, dates, section and tags as links
    to their facets, body paragraphs, FAQ pairs, related links, every URL it was seen under,
    its versions with the diff between consecutive ones, and its stored pages.
``/<db>/-/page/<id>``
    A stored page as it was fetched, streamed, at most 16 MiB of it (stored_page.py), served
    with ``Content-Security-Policy: sandbox`` (no script runs, nothing is loaded from elsewhere).
``/<db>/-/search?q=...&in=articles|faqs&order=relevance|date``
    Article search (text and FAQ pairs, bm25 with the headline weighted) or FAQ search, best
    first with highlighted snippets; ``order=date`` for newest first.

Each view's reading stops at ``sql_time_limit_ms``, as Datasette's own queries do.

It also makes every search box safe: Datasette's ``escape_fts()`` SQL function (what
``searchmode: escaped`` tables match with) is replaced by `archive.query.safe_match`, so no text gives
an FTS5 syntax error, and a ``_searchmode=raw`` query FTS5 cannot parse is searched as words;
and in the article tables the headline links to the reading view and
the columns a reader wants come first (templates/_table.html asks `table_plan`).

Page text is escaped by the templates (Jinja autoescape); nothing here marks page content safe.
"""
from __future__ import annotations

import sqlite3
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import path_with_added_args, path_with_replaced_args, sqlite_timelimit
from datasette.utils.asgi import NotFound, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup

from archive.query import ArchiveReader, safe_match
from archive.reading import authors_and_faq_counts, faq_search

from . import reading
from .metadata import archives
from .stored_page import StoredPageResponse

PAGE_SIZE = 50
# The columns a reader wants first, by table; "authors" and "faq_count" are added to articles.
READER_COLUMNS = {
    "articles": ["headline", "published", "section", "authors", "word_count", "faq_count"],
    "articles_full": ["headline", "published", "section", "authors", "word_count", "faq_count"],
    "faq_pairs": ["question", "answer", "headline", "published", "section"],
}
ADDED = {"articles": ("authors", "faq_count")}
# Tables whose rows are articles (id) or belong to one (article_id): their headline links.
HEADLINE_LINKS = {"articles": "id", "articles_full": "id", "faq_pairs": "article_id"}
# A stored page may show its own styles and images inline, nothing else, and run no script.
PAGE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@hookimpl(specname="prepare_connection", trylast=True)  # after Datasette's own, which registers the original
def safe_escape_fts(conn):
    conn.create_function("escape_fts", 1, safe_match, deterministic=True)


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
    """An article table's headline: an (escaped) link to the article's reading view."""
    key = HEADLINE_LINKS.get(table)
    if column != "headline" or key is None or value is None or key not in row.keys() or database not in archives(datasette):
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


async def _database(datasette, request, table: str = "articles"):
    """The archive database the request names, after the viewer's permission checks (to see
    `table` of it); `NotFound` for a database that is not a bbn-archive."""
    name = request.url_vars["database"]
    if name not in archives(datasette):
        raise NotFound(f"no archive {name}")
    db = datasette.get_database(name)
    await datasette.ensure_permissions(request.actor, [
        ("view-table", (name, table)), ("view-database", name), "view-instance"])
    return name, db


async def article_view(datasette, request):
    name, db = await _database(datasette, request)
    article_id = int(request.url_vars["id"])
    data = await _read(datasette, db, lambda conn: reading.article_page(conn, article_id))
    if data is None:
        raise NotFound(f"no article with id {article_id}")
    table = datasette.urls.table(name, "articles")
    return Response.html(await datasette.render_template("bbn_article.html", {
        **data, "database": name, "table_url": table,
        "author_url": lambda a: f"{table}?{urlencode({'_m2m_article_authors': a})}",
        "tag_url": lambda t: f"{table}?{urlencode({'_m2m_article_tags': t})}",
        "section_url": lambda s: f"{table}?{urlencode({'section': s})}",
        "article_url": lambda i: article_url(datasette, name, i),
        "page_url": lambda i: f"{datasette.urls.database(name)}/-/page/{i}",
        "search_url": f"{datasette.urls.database(name)}/-/search",
    }, request=request))


async def page_view(datasette, request):
    name, db = await _database(datasette, request, "pages")
    page_id = int(request.url_vars["id"])
    found = await _read(datasette, db, lambda conn: reading.stored_page(conn, page_id))
    if found is None:
        raise NotFound(f"no stored page {page_id}")
    page, chunks = found
    return StoredPageResponse(page, chunks, {
        "Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def _article_hits(conn, text: str, order: str, offset: int) -> tuple[int, list]:
    """Articles matching `text` (their text or FAQ pairs): their number and one page of them."""
    reader = ArchiveReader(conn)
    total = reader.search_total(text)
    if not total:
        return 0, []
    hits = reader.search(text, limit=offset + PAGE_SIZE, markers=(reading.OPEN, reading.CLOSE),
                         order="date" if order == "date" else "rank")
    return total, hits[offset:]


def _faq_hits(conn, text: str, order: str, offset: int) -> tuple[int, list]:
    """FAQ pairs matching `text`: their number and one page of them."""
    return faq_search(ArchiveReader(conn), text, order="date" if order == "date" else "rank", limit=PAGE_SIZE,
                      offset=offset, markers=(reading.OPEN, reading.CLOSE))


async def search_view(datasette, request):
    name, db = await _database(datasette, request)
    text = request.args.get("q", "")
    where = "faqs" if request.args.get("in") == "faqs" else "articles"
    order = "date" if request.args.get("order") == "date" else "relevance"
    offset = int(given) if (given := request.args.get("offset", "")).isdigit() else 0
    total, hits = 0, []
    if text.strip():
        if where == "faqs":
            total, hits = await _read(datasette, db, lambda conn: _faq_hits(conn, text, order, offset))
        else:
            total, hits = await _read(datasette, db, lambda conn: _article_hits(conn, text, order, offset))
    return Response.html(await datasette.render_template("bbn_search.html", {
        "database": name, "q": text, "where": where, "order": order, "total": total, "hits": hits,
        "offset": offset, "page_size": PAGE_SIZE, "highlight": reading.highlight,
        "article_url": lambda i: article_url(datasette, name, i),
        "with_args": lambda **args: path_with_added_args(request, args),
        "search_url": f"{datasette.urls.database(name)}/-/search",
    }, request=request))


@hookimpl(specname="register_routes")
def reading_room_routes():
    return [
        (r"^/(?P<database>[^/]+)/-/article/(?P<id>[0-9]+)$", article_view),
        (r"^/(?P<database>[^/]+)/-/page/(?P<id>[0-9]+)$", page_view),
        (r"^/(?P<database>[^/]+)/-/search$", search_view),
    ]
