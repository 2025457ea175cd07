"""Browse an archive in Datasette: `build_datasette` makes the instance (tests use it in
process through `datasette.client`), `serve` runs it with uvicorn (`bbn-archive serve`). The
metadata, facets, reading room and error log are the plugin's (bbn_scraper/app/datasette,
loaded by Datasette from the `datasette` entry point, as `datasette news.db` loads it); this
adds the project's settings, checks the file first and applies pending migrations.

The archive is opened the way Datasette opens any mutable database - read-only connections
(`?mode=ro`) - so it can be browsed while a crawl writes to it (WAL); as an immutable file only
where SQLite cannot open its WAL index (a read-only folder without the -shm file).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from archive.errors import ArchiveError, NotAnArchive, NotFound
from archive.columns import article_columns
from archive.schema import MIGRATIONS, check_archive, connect_read_only, model_changes, needs_immutable

PLUGIN_ENTRY_POINT = "bbn_archive"  # the plugin's name under [project.entry-points.datasette]
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001

# Datasette settings (https://docs.datasette.io/en/0.65.x/settings.html).
SETTINGS = {
    "default_page_size": 50,           # rows per table page
    "max_returned_rows": 1000,         # rows per query or JSON page
    "sql_time_limit_ms": 3000,         # full-text search and canned queries over a large archive
    "facet_time_limit_ms": 1000,       # the author/tag facets join through article_authors/_tags
    "facet_suggest_time_limit_ms": 100,
    "suggest_facets": False,           # one query per column on every table page: seconds on a large archive
    "truncate_cells_html": 300,        # long bodies cut in table pages; row pages show them whole
    "allow_download": False,           # a live WAL database is not one consistent file
}


def check_servable(path: str | Path) -> None:
    """Raise `NotFound` for a missing file, `NotAnArchive` unless `path` is a bbn-archive with
    tables, checked over a read-only connection (an empty file is not made an archive by
    browsing it)."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"{path} does not exist")
    conn = connect_read_only(path)
    try:
        check_archive(Database(conn), empty_ok=False)
    except sqlite3.DatabaseError as exc:
        raise NotAnArchive(f"{path} cannot be read as a SQLite database: {exc}") from exc
    finally:
        conn.close()


def apply_pending_migrations(path: str | Path) -> None:
    """Bring an archive written by an older bbn-archive up to the current schema (the views
    and article columns the metadata describes), as every other command does on opening it."""
    conn = connect_read_only(path)
    try:
        db = Database(conn)
        pending = MIGRATIONS.pending(db) or model_changes(db, article_columns())
    finally:
        conn.close()
    if pending:
        from archive import Archive

        with Archive(path):
            pass


def check_plugin() -> None:
    """`ArchiveError` unless Datasette has loaded the plugin from its entry point (bbn-archive
    installed: `pip install -e .`); without it Datasette would serve the bare tables."""
    from datasette.plugins import pm

    if not pm.has_plugin(PLUGIN_ENTRY_POINT):
        raise ArchiveError("bbn-archive's Datasette plugin is not installed: run `make install` (or pip install -e .)")


def build_datasette(path: str | Path, settings: dict | None = None):
    """A Datasette instance on the archive at `path` with the project's plugin and settings
    (`settings` overrides single settings)."""
    from datasette.app import Datasette

    check_servable(path)
    apply_pending_migrations(path)
    check_plugin()
    files = {"immutables" if needs_immutable(path) else "files": [str(path)]}  # a read-only folder without -shm
    return Datasette(
        **files,
        settings={**SETTINGS, **(settings or {})},
        version_note=f"bbn-archive {_version()}",
    )


def serve(path: str | Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, echo=print) -> None:
    """Serve the archive at http://host:port/ until interrupted."""
    import uvicorn

    ds = build_datasette(path)
    name = next(iter(n for n in ds.databases if not n.startswith("_")))
    echo(f"Serving {path} at http://{host}:{port}/{ds.urls.database(name).lstrip('/')}  (Ctrl-C stops)")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bbn-archive")
    except PackageNotFoundError:
        return "dev"
