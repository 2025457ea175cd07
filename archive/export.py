"""Export articles as JSON lines or CSV, streamed from one cursor: every column of `articles`
plus authors, tags and FAQ pairs (JSON text in CSV cells)."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO

from .columns import article_columns
from .db import Archive
from .query import AUTHORS_JSON, FAQS_JSON, TAGS_JSON, article_filter, fts_query

RELATED = ("authors", "tags", "faqs")  # exported after the columns, as JSON
JSON_COLUMNS = frozenset(article_columns().json) | set(RELATED)
# Articles matching a search query in their text or in one of their FAQ pairs.
MATCHING = """a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match
  UNION SELECT f.article_id FROM faqs_fts JOIN faqs f ON f.rowid = faqs_fts.rowid WHERE faqs_fts MATCH :match)"""


def _selection(
    query: str | None = None, author: str | None = None, tag: str | None = None,
    section: str | None = None, since: str | date | None = None, until: str | date | None = None,
) -> tuple[str, dict]:
    where, params = article_filter(author, tag, section, since, until)
    if query is not None:
        where += f" AND {MATCHING}"
        params["match"] = fts_query(query)
    return where, params


def count(archive: Archive, **selection) -> int:
    """How many articles `rows` yields for the same selection."""
    where, params = _selection(**selection)
    return archive.db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[0]


def rows(archive: Archive, **selection) -> Iterator[dict]:
    """The selected articles (query, author, tag, section, since, until: as in `search`), oldest
    published first, one row at a time; authors, tags, faqs and warnings as JSON text."""
    where, params = _selection(**selection)
    yield from archive.db.query(
        f"SELECT a.*, {AUTHORS_JSON} AS authors, {TAGS_JSON} AS tags, {FAQS_JSON} AS faqs"
        f" FROM articles a WHERE {where} ORDER BY a.published IS NULL, a.published, a.id", params
    )


def columns(archive: Archive) -> list[str]:
    """The exported fields, in order: every column of `articles` (which has every stored field
    of the model), then authors, tags and faqs."""
    return [column.name for column in archive.db["articles"].columns] + list(RELATED)


def write_jsonl(records: Iterable[dict], out: IO[str], fields: list[str]) -> int:
    """One JSON object per line, JSON columns (the model's lists, authors, tags, faqs) decoded;
    returns the number written."""
    n = 0
    for n, record in enumerate(records, 1):
        obj = {k: json.loads(record[k]) if k in JSON_COLUMNS and record[k] is not None else record[k] for k in fields}
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return n


def write_csv(records: Iterable[dict], out: IO[str], fields: list[str]) -> int:
    """CSV with a header row; returns the number written. Open `out` with newline="".
    A text cell that a spreadsheet would read as a formula is neutralised (`spreadsheet_safe`)."""
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for n, record in enumerate(records, 1):
        writer.writerow({k: spreadsheet_safe(v) for k, v in record.items()})
    return n


def spreadsheet_safe(value):
    """A text cell starting with = + - @ (or tab or carriage return) prefixed with a single
    quote, which spreadsheets read as "text, not a formula" (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


FORMULA_STARTS = frozenset("=+-@\t\r")


FORMATS = {"jsonl": write_jsonl, "csv": write_csv}
