"""`bbn-archive query SQL`: one SQL statement on the archive, opened read-only, its rows as
JSON, newline-delimited JSON or CSV, in the manner of `sqlite-utils query`."""
from __future__ import annotations

import base64
import csv
import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from bbn_scraper.app.options import clear_errors, db_option


def connect_read_only(path: str) -> sqlite3.Connection:
    """The archive at `path` over a read-only connection (URI mode=ro, and `PRAGMA
    query_only` besides, ATTACH denied): no statement can change it."""
    from bbn_scraper.app.serve import check_servable  # imported here: bbn_scraper.app.serve loads Datasette's metadata

    check_servable(path)
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    conn.execute("PRAGMA query_only = 1")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.set_authorizer(_no_attach)
    return conn


def _no_attach(action: int, *_) -> int:
    """ATTACH would open (and could create) another file: denied."""
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_ATTACH else sqlite3.SQLITE_OK


def _value(value):
    """JSON for a cell: a BLOB as {"$base64": true, "encoded": ...}, as sqlite-utils writes it."""
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode()}
    return value


def _rows(cursor: sqlite3.Cursor) -> Iterator[dict]:
    names = [d[0] for d in cursor.description or ()]
    for row in cursor:
        yield {name: _value(v) for name, v in zip(names, row)}


@click.command()
@click.argument("sql")
@db_option()
@click.option("--json", "fmt", flag_value="json", default=True, help="A JSON array of objects (the default).")
@click.option("--nl", "fmt", flag_value="nl", help="One JSON object a line.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")
@click.option("-p", "--param", "params", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="A value for :NAME in the SQL.")
@clear_errors
def query(sql, db, fmt, params):
    """Run one SQL statement on the archive, read-only: a statement that would change it is
    refused in one line. Prints the rows as JSON (default), --nl or --csv.

    \b
    Example:
        bbn-archive query "SELECT section, count(*) AS n FROM articles GROUP BY section" --csv --db news.db
    """
    if not sql.strip():
        raise click.BadParameter("an empty statement", param_hint="SQL")
    conn = connect_read_only(db)
    try:
        try:
            cursor = conn.execute(sql, dict(params))
        except (sqlite3.Error, sqlite3.Warning) as exc:
            if "readonly" in str(exc):
                raise click.ClickException(f"refused: the archive is opened read-only, {sql.split()[0].upper()}"
                                           " statements cannot run here") from None
            raise click.ClickException(f"SQL error: {exc}") from None
        _write(_rows(cursor), fmt, [d[0] for d in cursor.description or ()])
    finally:
        conn.close()


def _write(rows: Iterator[dict], fmt: str, names: list[str]) -> None:
    out = sys.stdout
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(json.dumps(v) if isinstance(v, dict) else v for v in row.values())
    elif fmt == "nl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        out.write("[")
        for n, row in enumerate(rows):
            out.write(("," if n else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        out.write("\n]\n")
