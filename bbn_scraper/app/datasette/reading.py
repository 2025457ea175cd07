"""What the reading room shows, read over one of Datasette's read-only connections: an article
with everything archived about it (`article_page`), the diff between consecutive versions
(`version_diffs`), a stored page (`stored_page`) and FAQ search (`faq_search`). Plain
functions of a `sqlite3.Connection`; the routes are in bbn_scraper/app/datasette/reading_room.py."""
from __future__ import annotations

import difflib
import json
import sqlite3
import zlib
from dataclasses import dataclass, field

from archive.errors import BadQuery
from archive.query import fts_query

# Snippet markers: private-use characters no page text contains, split out by `highlight`.
OPEN, CLOSE = "\ue000", "\ue001"
NO_MATCH = '""'  # a valid FTS5 query that matches nothing (what text without words searches)


def safe_match(text: str | None) -> str:
    """The user's text as an FTS5 query that is never a syntax error: `fts_query`'s quoted
    terms, or a query matching nothing when the text has no word (a lone `"`, `*`, `(`)."""
    try:
        return fts_query(text or "")
    except BadQuery:  # no word to search for
        return NO_MATCH


def highlight(snippet: str | None) -> list[tuple[bool, str]]:
    """A snippet made with OPEN/CLOSE markers as (is_match, text) pieces, for a template to
    wrap the matches in <mark> while escaping every piece."""
    pieces, matched = [], False
    for part in (snippet or "").replace(CLOSE, OPEN).split(OPEN):
        if part:
            pieces.append((matched, part))
        matched = not matched
    return pieces


def paragraphs(text: str | None) -> list[str]:
    """A stored body's paragraphs (they are separated by a blank line)."""
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


@dataclass
class Change:
    """One changed stretch between two versions of a field: the paragraphs removed and added,
    and for a one-to-one rewrite the words as (op, text) with op "=", "-" or "+"."""

    removed: list[str]
    added: list[str]
    words: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class VersionDiff:
    """What changed from version `old` to version `new`: per field, its changes."""

    old: int
    new: int
    seen: str  # when `new` was first archived (when `old` was superseded)
    fields: dict[str, list[Change]]


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The words of `old` and `new` as (op, text): "=" kept, "-" removed, "+" added."""
    a, b = old.split(), new.split()
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            ops.append(("+", " ".join(b[j1:j2])))
    return ops


def _similar(old: str, new: str) -> bool:
    """Whether a paragraph was edited rather than replaced (half its words or more kept)."""
    return difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False).ratio() >= 0.5


def text_changes(old: list[str], new: list[str]) -> list[Change]:
    """The changed stretches between two lists of paragraphs (difflib's opcodes); an edited
    paragraph also word by word."""
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:  # as many paragraphs rewritten: pair by pair
            changes += [Change([a], [b], word_diff(a, b) if _similar(a, b) else [])
                        for a, b in zip(old[i1:i2], new[j1:j2])]
        else:
            changes.append(Change(old[i1:i2], new[j1:j2]))
    return changes


def _faq_lines(faqs: list[dict]) -> list[str]:
    return [f"Q: {f['question']}\nA: {f['answer']}" for f in faqs]


def version_diffs(versions: list[dict]) -> list[VersionDiff]:
    """The diff of each version (oldest first; dicts with version, seen, headline, byline,
    body, faqs) against the one before it, newest first; fields without change left out."""
    diffs = []
    for old, new in zip(versions, versions[1:]):
        fields = {
            "Headline": text_changes([old["headline"] or ""], [new["headline"] or ""]),
            "Byline": text_changes([old["byline"] or ""], [new["byline"] or ""]),
            "Body": text_changes(paragraphs(old["body"]), paragraphs(new["body"])),
            "FAQ": text_changes(_faq_lines(old["faqs"]), _faq_lines(new["faqs"])),
        }
        diffs.append(VersionDiff(old["version"], new["version"], new["seen"], {k: v for k, v in fields.items() if v}))
    return diffs[::-1]


def _rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _archived_ids(conn: sqlite3.Connection, urls: list[str]) -> dict[str, int]:
    """Which of `urls` lead to an archived article, and to which."""
    if not urls:
        return {}
    marks = ", ".join("?" * len(urls))
    return {r["url"]: r["article_id"] for r in _rows(
        conn, f"SELECT url, article_id FROM article_urls WHERE url IN ({marks})", urls)}


def article_page(conn: sqlite3.Connection, article_id: int) -> dict | None:
    """Everything the reading view shows of an article, None if there is no such article."""
    found = _rows(conn, "SELECT * FROM articles WHERE id = ?", [article_id])
    if not found:
        return None
    article = found[0]
    by_id = [article_id]
    authors = [r["name"] for r in _rows(conn, "SELECT au.name FROM article_authors x JOIN authors au"
                                              " ON au.id = x.author_id WHERE x.article_id = ? ORDER BY x.position", by_id)]
    tags = [r["name"] for r in _rows(conn, "SELECT t.name FROM article_tags x JOIN tags t ON t.id = x.tag_id"
                                           " WHERE x.article_id = ? ORDER BY x.position", by_id)]
    faqs = _rows(conn, "SELECT question, answer FROM faqs WHERE article_id = ? ORDER BY position", by_id)
    links = _rows(conn, "SELECT kind, text, url FROM links WHERE article_id = ? ORDER BY kind, position", by_id)
    urls = _rows(conn, "SELECT url, first_seen FROM article_urls WHERE article_id = ? ORDER BY id", by_id)
    archived = _archived_ids(conn, [link["url"] for link in links])
    for link in links:
        link["article_id"] = archived.get(link["url"])
    url_list = [u["url"] for u in urls] or [article["url"]]
    marks = ", ".join("?" * len(url_list))
    pages = _rows(conn, f"SELECT id, url, fetched_at, status, size FROM pages WHERE url IN ({marks})"
                        " ORDER BY fetched_at DESC, id DESC", url_list)
    earlier = _rows(conn, "SELECT version, fetched_at, superseded_at, headline, byline, body, faqs"
                          " FROM article_versions WHERE article_id = ? ORDER BY version", by_id)
    versions = [{**v, "faqs": json.loads(v["faqs"] or "[]")} for v in earlier]
    for before, version in zip([None, *versions], versions):
        version["seen"] = before["superseded_at"] if before else article["first_seen"]
    current = {**article, "faqs": faqs, "fetched_at": article["last_seen"],
               "seen": versions[-1]["superseded_at"] if versions else article["first_seen"]}
    return {
        "article": article, "authors": authors, "tags": tags, "faqs": faqs,
        "paragraphs": paragraphs(article["body"]),
        "related": [link for link in links if link["kind"] == "related"],
        "also_like": [link for link in links if link["kind"] == "also_like"],
        "seen_urls": urls, "pages": pages, "versions": [*versions, current],
        "diffs": version_diffs([*versions, current]),
    }


def stored_page(conn: sqlite3.Connection, page_id: int) -> dict | None:
    """A stored page (url, fetched_at, content_type, body decompressed), None if there is no
    such page. `ValueError` for a compression this version cannot read."""
    found = _rows(conn, "SELECT url, fetched_at, content_type, compression, body FROM pages WHERE id = ?", [page_id])
    if not found:
        return None
    page = found[0]
    if page["compression"] != "zlib":
        raise ValueError(f"page {page_id}: unsupported compression {page['compression']!r}")
    return {**page, "body": zlib.decompress(page["body"])}


ORDERS = {"relevance": "rank, f.article_id, f.position", "date": "a.published DESC, f.article_id, f.position"}


def faq_search(conn: sqlite3.Connection, text: str, order: str = "relevance",
               limit: int = 50, offset: int = 0) -> tuple[int, list[dict]]:
    """FAQ pairs whose question or answer contain every word of `text` (porter-stemmed): their
    number and the page of them from `offset`, ordered by bm25 (question weighted) or by the
    article's date, newest first; snippets marked with OPEN/CLOSE."""
    match = safe_match(text)
    total = conn.execute("SELECT count(*) FROM faqs_fts WHERE faqs_fts MATCH ?", [match]).fetchone()[0]
    rows = _rows(conn, f"""
        SELECT f.article_id, f.position, a.headline, a.published, a.section,
               snippet(faqs_fts, 0, :open, :close, ' … ', 24) AS question,
               snippet(faqs_fts, 1, :open, :close, ' … ', 32) AS answer,
               bm25(faqs_fts, 2.0, 1.0) AS rank
        FROM faqs_fts JOIN faqs f ON f.rowid = faqs_fts.rowid JOIN articles a ON a.id = f.article_id
        WHERE faqs_fts MATCH :match ORDER BY {ORDERS[order]} LIMIT :limit OFFSET :offset""",
        {"match": match, "open": OPEN, "close": CLOSE, "limit": limit, "offset": offset})
    return total, rows
