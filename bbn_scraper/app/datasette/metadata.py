"""The plugin's metadata and stylesheet, for the databases that are bbn-archives only.

At startup the plugin finds which of the served databases are bbn-archives and computes their
metadata once (`load_metadata`: metadata.yml, its database entry filed under each archive's
name, columns described from the model); `get_metadata` hands it to Datasette, so plain
`datasette news.db` has the titles, descriptions, facets and canned queries of `bbn-archive
serve`. The instance's own title, description, source and license are the archive's only when
every served database is one: another database served beside an archive is not relabelled.
The stylesheet (static/archive.css) is added to the pages of archive databases."""
from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from weakref import WeakKeyDictionary

import yaml
from datasette import hookimpl
from sqlite_utils import Database

from archive.columns import article_columns
from archive.schema import MIGRATIONS, db_path, is_archive

from .errors import log

METADATA_PATH = Path(__file__).with_name("metadata.yml")
# The key of the archive's entry under `databases` in metadata.yml.
METADATA_DATABASE_KEY = "archive"
# The name Datasette serves this plugin's static/ under (the distribution's name).
PLUGIN_NAME = "bbn-archive"
# The instance-level keys of metadata.yml that describe the archive.
ABOUT_KEYS = ("title", "description", "source", "source_url", "license", "license_url", "about", "about_url")

# Per Datasette instance (set by the startup hook): its archive databases and their metadata.
_ARCHIVES: WeakKeyDictionary = WeakKeyDictionary()


@cache
def _metadata_file() -> dict:
    return yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))


def _with_article_docs(metadata: dict) -> dict:
    """The metadata with the article columns described from the model's field docs: in
    articles, article_versions (the versioned ones) and articles_fts (the searched ones)."""
    tables = metadata["databases"][METADATA_DATABASE_KEY]["tables"]
    columns = article_columns()
    for table, chosen, describe in (
        ("articles", columns.all, lambda c: c.doc),
        ("article_versions", columns.versioned, lambda c: f"{c.doc} (this version)"),
        ("articles_fts", columns.searchable, lambda c: f"Indexed {c.name}, search weight {c.search_weight:g}"),
    ):
        described = tables[table].setdefault("columns", {})
        described.update((c.name, describe(c)) for c in chosen)
    return metadata


def load_metadata(database_name: str = METADATA_DATABASE_KEY) -> dict:
    """The metadata, its database entry filed under `database_name` (Datasette names a
    database after its file: news.db is "news"), article columns described from the model.
    A fresh copy each call."""
    metadata = _with_article_docs(copy.deepcopy(_metadata_file()))
    databases = metadata.get("databases", {})
    if METADATA_DATABASE_KEY in databases and database_name != METADATA_DATABASE_KEY:
        databases[database_name] = databases.pop(METADATA_DATABASE_KEY)
    return metadata


def archive_metadata(names: list[str], everything_an_archive: bool) -> dict:
    """The metadata of the archive databases `names`: each its entry, the title, source and
    license also in each entry; at the top level only when `everything_an_archive`."""
    metadata = {"databases": {}}
    for name in names:
        loaded = load_metadata(name)
        about = {key: loaded[key] for key in ABOUT_KEYS if key in loaded}
        metadata["databases"][name] = {**about, **loaded["databases"][name]}
        if everything_an_archive:
            metadata.update(about)
    return metadata


def archives(datasette) -> set[str]:
    """The names of the bbn-archive databases `datasette` serves (known after startup)."""
    return _ARCHIVES.get(datasette, {}).get("names", set())


def _current_archive(db: Database) -> bool:
    """Whether `db` is a bbn-archive with no migration pending: the reading room reads this
    version's tables. An older one (plain `datasette old.db`; `bbn-archive serve` migrates it
    first) is served as plain tables, with a warning."""
    if not is_archive(db):
        return False
    if MIGRATIONS.pending(db):
        log.warning("%s is a bbn-archive of an older version: shown as plain tables; any bbn-archive"
                    " command (bbn-archive serve) updates it", db_path(db))
        return False
    return True


@hookimpl(specname="startup")
def find_archives(datasette):
    async def inner():
        found = []
        files = {name: db for name, db in datasette.databases.items() if not db.is_memory}
        for name, db in files.items():
            if await db.execute_fn(lambda conn: _current_archive(Database(conn, recursive_triggers=False))):
                found.append(name)
        _ARCHIVES[datasette] = {"names": set(found),
                                "metadata": archive_metadata(found, len(found) == len(files)) if found else {}}

    return inner


@hookimpl(specname="get_metadata")
def archives_metadata(datasette, key, database, table):
    """The archives' metadata, computed at startup. The same dict every call (Datasette asks
    for metadata many times a page): Datasette merges its local metadata into it, which takes
    precedence over a plugin's anyway."""
    return _ARCHIVES.get(datasette, {}).get("metadata", {})


@hookimpl(specname="extra_css_urls")
def archive_css(database, datasette):
    """archive.css on the pages of an archive database (and on the instance's pages when every
    database is one)."""
    served = _ARCHIVES.get(datasette, {})
    if database in served.get("names", ()) or (database is None and "title" in served.get("metadata", {})):
        return [datasette.urls.static_plugins(PLUGIN_NAME, "archive.css")]
    return []
