"""What Datasette needs to browse an archive: the metadata (metadata.yml), a plugin with the
many-to-many and month facets (plugin.py), and the reading room (reading_room.py: article
pages, ranked search, safe search boxes; templates/). `bbn_scraper.app.serve` puts them together."""
from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import yaml

from archive.columns import article_columns

METADATA_PATH = Path(__file__).with_name("metadata.yml")
STATIC_DIR = Path(__file__).with_name("static")
TEMPLATES_DIR = Path(__file__).with_name("templates")  # the reading room's, and _table.html
# Where Datasette serves STATIC_DIR; metadata.yml's extra_css_urls point there.
STATIC_MOUNT = "-/bbn-archive"
# The key of the archive's entry under `databases` in metadata.yml.
METADATA_DATABASE_KEY = "archive"


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
