"""Export articles as JSON lines, CSV or Parquet, streamed from one cursor: every column of
`articles` plus authors, tags, FAQ pairs and links (JSON text in CSV cells, typed lists and
structs in Parquet)."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
import typing
from datetime import date, datetime, timezone
from itertools import islice
from typing import IO

from archive.model import Article

from .columns import article_columns
from .db import Archive
from .query import AUTHORS_JSON, FAQS_JSON, TAGS_JSON, article_filter, fts_query

RELATED = ("authors", "tags", "faqs", "related_links", "related_articles")  # after the columns, as JSON
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


# An article's "More about" (kind related) and "You may also like" (also_like) links in page order.
LINKS_JSON = """(SELECT json_group_array(json_object('text', text, 'url', url)) FROM (SELECT text, url
  FROM links WHERE article_id = a.id AND kind = '{kind}' ORDER BY position))"""
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
BINARY = frozenset({"parquet"})  # formats written to a binary file


def count(archive: Archive, **selection) -> int:
    """How many articles `rows` yields for the same selection."""
    where, params = _selection(**selection)
    return archive.db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[0]


def rows(archive: Archive, **selection) -> Iterator[dict]:
    """The selected articles (query, author, tag, section, since, until: as in `search`), oldest
    published first, one row at a time; authors, tags, faqs, links and the model's lists as JSON
    text."""
    where, params = _selection(**selection)
    yield from archive.db.query(
        f"SELECT a.*, {AUTHORS_JSON} AS authors, {TAGS_JSON} AS tags, {FAQS_JSON} AS faqs,"
        f" {LINKS_JSON.format(kind='related')} AS related_links, {LINKS_JSON.format(kind='also_like')} AS related_articles"
        f" FROM articles a WHERE {where} ORDER BY a.published IS NULL, a.published, a.id", params
    )


def columns(archive: Archive) -> list[str]:
    """The exported fields, in order: every column of `articles` (which has every stored field
    of the model), then authors, tags, faqs, related_links and related_articles."""
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


# Parquet types of the columns that are not text: the model's (by its type hints), the
# archive's own, and the related lists.
ARCHIVE_TIMES = ("first_seen", "last_seen", "last_modified_seen")
PARQUET_BATCH = 1000  # rows per record batch


def parquet_schema(fields: list[str]):
    """The Arrow schema of the exported fields: timestamps (UTC; a time the page gave without
    a zone is taken as UTC) as timestamp[us, UTC], integers as int64, lists of text as
    list<string>, FAQ pairs as list<struct<question, answer>>, links as list<struct<text, url>>,
    everything else string."""
    import pyarrow as pa

    pair = {"faqs": ("question", "answer"), "related_links": ("text", "url"), "related_articles": ("text", "url")}
    hints = typing.get_type_hints(Article)

    def arrow_type(name: str):
        if name in pair:
            return pa.list_(pa.struct([(key, pa.string()) for key in pair[name]]))
        hint = hints.get(name)
        optional = type(None) in typing.get_args(hint)
        base = next(a for a in typing.get_args(hint) if a is not type(None)) if optional else hint
        if base is datetime or name in ARCHIVE_TIMES:
            return pa.timestamp("us", tz="UTC")
        if base is int or name in ("id", "version", "crawl_id"):
            return pa.int64()
        if typing.get_origin(base) is list:
            return pa.list_(pa.string())
        return pa.string()

    return pa.schema([(name, arrow_type(name)) for name in fields])


def write_parquet(records: Iterable[dict], out: IO[bytes], fields: list[str]) -> int:
    """A Parquet file (pyarrow) of `parquet_schema`, PARQUET_BATCH rows per record batch;
    returns the number written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(fields)
    times = {f.name for f in schema if pa.types.is_timestamp(f.type)}
    records, n = iter(records), 0
    with pq.ParquetWriter(out, schema) as writer:
        while batch := list(islice(records, PARQUET_BATCH)):
            rows = [{k: _parquet_value(k, r[k], times) for k in fields} for r in batch]
            writer.write_batch(pa.RecordBatch.from_pylist(rows, schema=schema))
            n += len(rows)
    return n


def _parquet_value(name: str, value, times: set[str]):
    if value is None:
        return None
    if name in JSON_COLUMNS:
        return json.loads(value)
    if name in times:
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return value


FORMATS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}
