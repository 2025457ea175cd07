"""`bbn-archive query SQL`: one SQL statement on the archive, opened read-only, its rows as
JSON, newline-delimited JSON or CSV, in the manner of `sqlite-utils query`."""
from __future__ import annotations

import base64
import csv
import json
import sqlite3
import sys
from collections.abc import Iterator

import click

from archive.user_sql import MAX_VALUE_BYTES, ReadOnlyQueries
from bbn_scraper.app.oneline import json_safe
from bbn_scraper.app.options import clear_errors, db_option

DEFAULT_TIMEOUT = 10.0  # seconds; Datasette's own limit for a page's SQL is 1 s, ours 3 s
DEFAULT_MAX_ROWS = 1_000_000  # `export` writes whole archives; this is for questions


def _value(value):
    """JSON for a cell: a BLOB as {"$base64": true, "encoded": ...}, as sqlite-utils writes it."""
    return blob_json(value) if isinstance(value, bytes) else value


def blob_json(value):
    """A BLOB as JSON, {"$base64": true, "encoded": ...} (json.dumps' `default` for rows that
    may hold one); TypeError for anything else JSON has no form for."""
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode()}
    raise TypeError(f"{type(value).__name__} is not JSON")


def _dicts(names: list[str], rows: Iterator[tuple], max_rows: int) -> Iterator[dict]:
    """The rows as dicts; `TooManyRows` after `max_rows` of them (0: no limit)."""
    for n, row in enumerate(rows):
        if max_rows and n == max_rows:
            raise TooManyRows(f"more than {max_rows} rows: stopped after {max_rows} (--max-rows N to allow more,"
                              " or bbn-archive export for whole archives)")
        yield {name: _value(v) for name, v in zip(names, row)}


class TooManyRows(click.ClickException):
    """The statement gives more rows than --max-rows."""


def _a_number(value: float) -> float:
    """`value`, unless it is NaN (which FloatRange lets through, and which no time compares past)."""
    if value != value:
        raise click.BadParameter("nan is not a number of seconds")
    return value


@click.command()
@click.argument("sql")
@db_option()
@click.option("--json", "fmt", flag_value="json", default=True, help="A JSON array of objects (the default).")
@click.option("--nl", "fmt", flag_value="nl", help="One JSON object a line.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")
@click.option("-p", "--param", "params", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="A value for :NAME in the SQL.")
@click.option("--timeout", type=click.FloatRange(min=0, max=86400), default=DEFAULT_TIMEOUT, show_default=True,
              callback=lambda ctx, param, value: _a_number(value),
              help="Seconds the statement may run, rows included (0: no limit).")
@click.option("--max-rows", type=click.IntRange(min=0), default=DEFAULT_MAX_ROWS, show_default=True,
              help="Stop with an error past this many rows (0: no limit).")
@clear_errors
def query(sql, db, fmt, params, timeout, max_rows):
    """Run one SQL statement on the archive, read-only: a statement that would change it is
    refused in one line. Prints the rows as JSON (default), --nl or --csv. A statement that runs
    past --timeout, gives more than --max-rows rows or builds a value over 64 MiB ends with an
    error (exit status 1); the rows printed before it are well-formed.

    \b
    Example:
        bbn-archive query "SELECT section, count(*) AS n FROM articles GROUP BY section" --csv --db news.db
    """
    if not sql.strip():
        raise click.BadParameter("an empty statement", param_hint="SQL")
    from bbn_scraper.app.serve import check_servable  # imported here: it loads Datasette's metadata

    check_servable(db)
    queries = ReadOnlyQueries(db, timeout, MAX_VALUE_BYTES)
    try:
        try:
            names, rows = queries.execute(sql, dict(params))
            _write(_dicts(names, rows, max_rows), fmt, names)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            if "readonly" in str(exc):
                raise click.ClickException(f"refused: the archive is opened read-only, {sql.split()[0].upper()}"
                                           " statements cannot run here") from None
            raise click.ClickException(f"SQL error: {exc}") from None
    finally:
        queries.close()


def _write(rows: Iterator[dict], fmt: str, names: list[str]) -> None:
    """Stream the rows; an error while they come ends the output well-formed (a JSON array
    closed) before it is raised."""
    out = sys.stdout
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(json.dumps(v) if isinstance(v, dict) else v for v in row.values())
    elif fmt == "nl":
        for row in rows:
            out.write(json_safe(json.dumps(row, ensure_ascii=False)) + "\n")
    else:
        out.write("[")
        try:
            for n, row in enumerate(rows):
                out.write(("," if n else "") + "\n  " + json_safe(json.dumps(row, ensure_ascii=False)))
        finally:
            out.write("\n]\n")
