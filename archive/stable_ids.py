"""Ids that do not depend on the order pages arrived in: `renumber` gives a freshly crawled
archive's articles, authors, tags, article URLs and FAQ pairs ids in an order of their
content, so that two crawls of the same site into fresh archives have the same addresses.
Only for an archive whose ids nobody has used yet (`bbn-archive demo` into a new file):
renumbering changes the addresses of everything it numbers."""
from __future__ import annotations

from sqlite_utils import Database

from .db import Archive

# table, its key, the order of the new ids (after the tables before it were renumbered)
ORDERS = (
    ("articles", "id", "published IS NULL, published, canonical_url"),
    ("authors", "id", "name"),
    ("tags", "id", "name"),
    ("article_urls", "id", "article_id, url"),
    ("faqs", "rowid", "article_id, position"),
)
FTS = ("articles_fts", "faqs_fts")  # external-content indexes keyed by the rowids renumbered


def renumber(archive: Archive) -> None:
    """Number each table of ORDERS 1, 2, 3... in its order, in one transaction, the columns
    that refer to it (its foreign keys) following; then rebuild the search indexes."""
    db = archive.db
    with archive.transaction():
        db.execute("PRAGMA defer_foreign_keys = ON")  # checked at commit, when all refer again
        for table, key, order in ORDERS:
            _renumber(db, table, key, order)
        for fts in FTS:
            db.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def _renumber(db: Database, table: str, key: str, order: str) -> None:
    """New ids for `table` by `order`, through negative ones: no two rows share an id on the way."""
    db.execute("DROP TABLE IF EXISTS temp.renumbered")
    db.execute(f"CREATE TEMP TABLE renumbered AS SELECT {key} AS old, row_number() OVER (ORDER BY {order}) AS new"
               f" FROM {table}")
    db.execute("CREATE UNIQUE INDEX temp.renumbered_old ON renumbered(old)")
    referring = [(t.name, fk.column) for t in db.tables for fk in t.foreign_keys
                 if fk.other_table == table and fk.other_column == key]
    for name, column in [(table, key), *referring]:
        db.execute(f"UPDATE {name} SET {column} = -(SELECT new FROM renumbered WHERE old = {name}.{column})")
        db.execute(f"UPDATE {name} SET {column} = -{column}")
    db.execute("DROP TABLE temp.renumbered")
