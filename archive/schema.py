"""The archive's tables, created and evolved by sqlite-utils migrations.

Every schema change is a new function registered on `MIGRATIONS`, never an edit of an
applied one: sqlite-utils records applied names in `_sqlite_migrations`.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .columns import ArticleColumns, article_columns
from .errors import ArchiveError, DamagedArchive, NewerArchive, NotAnArchive, ReadOnlyArchive

MIGRATIONS = Migrations("bbn-archive")
STAGES = ("fetch", "parse", "store")  # where a crawl can fail: the errors table's stage

# The tables, but for the article columns, which come from the model (`archive.columns`):
# {article_columns} and {versioned_columns} are filled in by `initial_schema`.
INITIAL_SCHEMA = """
CREATE TABLE crawls (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    start_urls TEXT NOT NULL DEFAULT '[]',
    settings TEXT NOT NULL DEFAULT '{{}}',
    status TEXT NOT NULL DEFAULT 'running',
    pages INTEGER NOT NULL DEFAULT 0,
    articles_new INTEGER NOT NULL DEFAULT 0,
    articles_updated INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    stats TEXT NOT NULL DEFAULT '{{}}'
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url_key TEXT NOT NULL UNIQUE,
    {article_columns},
    content_hash TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    parser_version TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_modified_seen TEXT,
    crawl_id INTEGER REFERENCES crawls(id),
    UNIQUE (canonical_url)
);
CREATE INDEX idx_articles_content_hash ON articles(content_hash);
CREATE INDEX idx_articles_published ON articles(published);
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES authors(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, position),
    UNIQUE (article_id, author_id)
);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (article_id, position),
    UNIQUE (article_id, tag_id)
);
CREATE TABLE faqs (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE TABLE links (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('related', 'also_like')),
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (article_id, kind, position)
);
CREATE TABLE article_urls (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    url_key TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    first_seen TEXT NOT NULL
);
CREATE INDEX idx_article_urls_url_key ON article_urls(url_key);
CREATE TABLE article_versions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    superseded_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    content_hash TEXT NOT NULL,
    {versioned_columns},
    authors TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    faqs TEXT NOT NULL DEFAULT '[]',
    links TEXT NOT NULL DEFAULT '[]',
    parser_version TEXT NOT NULL DEFAULT '',
    UNIQUE (article_id, version)
);
CREATE TABLE article_sightings (
    id INTEGER PRIMARY KEY,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('new', 'updated', 'unchanged', 'alias')),
    at TEXT NOT NULL
);
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    fetched_at TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    compression TEXT NOT NULL DEFAULT 'zlib',
    body BLOB NOT NULL
);
CREATE INDEX idx_pages_url ON pages(url);
CREATE TABLE errors (
    id INTEGER PRIMARY KEY,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    url TEXT,
    stage TEXT NOT NULL CHECK (stage IN ('fetch', 'parse', 'store')),
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


def initial_schema(columns: ArticleColumns) -> str:
    """INITIAL_SCHEMA with the article columns of `columns`."""
    return INITIAL_SCHEMA.format(
        article_columns=",\n    ".join(c.definition() for c in columns.all),
        versioned_columns=",\n    ".join(c.definition() for c in columns.versioned),
    )


@dataclass(frozen=True)
class SearchIndex:
    """A full-text index `fts` over the `columns` of `table` (rows keyed by `key`), kept in step
    by three triggers that fire only when those columns change, so that moving last_seen does
    not rewrite the index. Inside a batch that defers its indexing (`search_deferred` holds a
    row: see `SEARCH_BACKLOG`), a new row is put on `search_backlog` instead and indexed when
    the batch commits (`flush`); a row still on it is not in the index yet, so its update or
    delete only changes the backlog."""

    table: str
    fts: str
    key: str
    columns: tuple[str, ...]

    @property
    def trigger_names(self) -> tuple[str, ...]:
        return tuple(f"{self.table}_{event}" for event in ("ai", "ad", "au"))

    def triggers(self) -> str:
        table, fts, key = self.table, self.fts, self.key
        cols = ", ".join(self.columns)
        new, old = (", ".join(f"{side}.{n}" for n in self.columns) for side in ("new", "old"))
        deferred = "EXISTS (SELECT 1 FROM search_deferred)"
        waiting = f"EXISTS (SELECT 1 FROM search_backlog WHERE fts = '{fts}' AND row_id = old.{key})"
        return f"""
CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN
  INSERT INTO {fts} (rowid, {cols}) SELECT new.{key}, {new} WHERE NOT {deferred};
  INSERT INTO search_backlog (fts, row_id) SELECT '{fts}', new.{key} WHERE {deferred};
END;
CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN
  INSERT INTO {fts} ({fts}, rowid, {cols}) SELECT 'delete', old.{key}, {old} WHERE NOT {waiting};
  DELETE FROM search_backlog WHERE fts = '{fts}' AND row_id = old.{key};
END;
CREATE TRIGGER {table}_au AFTER UPDATE OF {cols} ON {table} WHEN NOT {waiting} BEGIN
  INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.{key}, {old});
  INSERT INTO {fts} (rowid, {cols}) VALUES (new.{key}, {new});
END;
"""

    def flush(self) -> str:
        """The statement that indexes this index's rows waiting on `search_backlog`."""
        cols, values = ", ".join(self.columns), ", ".join(f"t.{n}" for n in self.columns)
        return (f"INSERT INTO {self.fts} (rowid, {cols}) SELECT t.{self.key}, {values} FROM search_backlog b"
                f" JOIN {self.table} t ON t.{self.key} = b.row_id WHERE b.fts = '{self.fts}'")


def article_search(names: list[str] | tuple[str, ...]) -> SearchIndex:
    """The articles' full-text index over the searched columns `names`."""
    return SearchIndex("articles", "articles_fts", "id", tuple(names))


FAQ_SEARCH = SearchIndex("faqs", "faqs_fts", "rowid", ("question", "answer"))


def create_article_search(db: Database, names: list[str], tokenize: str | None = "porter") -> None:
    """(Re)build the full-text index of articles over the columns `names`, with its triggers
    (and the backlog tables they read)."""
    create_search_backlog(db)
    search = article_search(names)
    for trigger in search.trigger_names:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db["articles"].disable_fts()
    db["articles"].enable_fts(names, tokenize=tokenize)
    db.executescript(search.triggers())


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    db.executescript(initial_schema(article_columns()))
    db.index_foreign_keys()


@MIGRATIONS()
def m002_articles_fts(db: Database) -> None:
    create_article_search(db, article_columns().search_names, tokenize=None)


VIEWS = {
    # One row per article with its authors and tags joined ("; "-separated, in page order).
    "articles_full": """
SELECT a.id, a.canonical_url, a.headline, a.byline,
  (SELECT group_concat(name, '; ') FROM (SELECT au.name FROM article_authors x
     JOIN authors au ON au.id = x.author_id WHERE x.article_id = a.id ORDER BY x.position)) AS authors,
  (SELECT group_concat(name, '; ') FROM (SELECT t.name FROM article_tags x
     JOIN tags t ON t.id = x.tag_id WHERE x.article_id = a.id ORDER BY x.position)) AS tags,
  a.published, a.modified, a.section, a.topic, a.summary, a.language, a.comment_count, a.word_count,
  (SELECT count(*) FROM faqs f WHERE f.article_id = a.id) AS faq_count,
  a.body, a.version, a.first_seen, a.last_seen
FROM articles a""",
    # Every FAQ pair with the article it belongs to.
    "faq_pairs": """
SELECT f.rowid AS id, f.question, f.answer, a.headline, a.canonical_url AS url, a.published,
  a.section, f.article_id, f.position
FROM faqs f JOIN articles a ON a.id = f.article_id""",
}


@MIGRATIONS()
def m003_stemmed_search_and_views(db: Database) -> None:
    """Porter-stemmed full-text search over articles and FAQ pairs; the researchers' views."""
    create_article_search(db, article_columns().search_names)
    db["faqs"].enable_fts(FAQ_SEARCH.columns, tokenize="porter")
    db.executescript(FAQ_SEARCH.triggers())
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip(), replace=True)


@MIGRATIONS()
def m004_sitemaps(db: Database) -> None:
    """The <lastmod> a sitemap index gave each child sitemap read to its end: a re-crawl skips
    a child whose lastmod is not newer."""
    db.executescript("""
CREATE TABLE sitemaps (
    url TEXT PRIMARY KEY,
    lastmod TEXT NOT NULL,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    read_at TEXT NOT NULL
);
CREATE INDEX idx_sitemaps_crawl_id ON sitemaps(crawl_id);
""")


@MIGRATIONS()
def m005_validators(db: Database) -> None:
    """Per fetched URL (its url_key) the validators of its last response (ETag, Last-Modified)
    and when it was last fetched or revalidated (a 304): a revisit sends them as If-None-Match /
    If-Modified-Since, and the revisit policy counts the time since `fetched_at`."""
    db.executescript("""
CREATE TABLE validators (
    url_key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT NOT NULL,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id)
);
CREATE INDEX idx_validators_crawl_id ON validators(crawl_id);
""")


@MIGRATIONS()
def m006_warc(db: Database) -> None:
    """A page recorded as WARC keeps where its response record is instead of a body copy
    (archive.warc_store): compression 'warc', an empty body."""
    for column in ("warc_file TEXT", "warc_offset INTEGER", "warc_length INTEGER", "warc_digest TEXT"):
        db.execute(f"ALTER TABLE pages ADD COLUMN {column}")
def _story_stats(side: str) -> str:
    """The statement that recounts the story `{side}.story_id` of article_story, and drops it empty."""
    of = f"FROM article_story WHERE story_id = {side}.story_id"
    return f"""UPDATE stories SET size = (SELECT count(*) {of}), sites = (SELECT count(DISTINCT site) {of}),
    site_list = coalesce((SELECT group_concat(site, ' ') FROM (SELECT DISTINCT site {of} ORDER BY site)), ''),
    first_seen = coalesce((SELECT min(first_seen) {of}), first_seen) WHERE id = {side}.story_id;
  DELETE FROM stories WHERE id = {side}.story_id AND size = 0;"""


STORIES_SCHEMA = f"""
CREATE TABLE story_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    threshold REAL NOT NULL,
    num_perm INTEGER NOT NULL,
    shingle INTEGER NOT NULL
);
CREATE TABLE minhashes (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    body_hash TEXT NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE lsh_bands (
    band_hash INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    PRIMARY KEY (band_hash, article_id)
) WITHOUT ROWID;
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    first_seen TEXT NOT NULL DEFAULT '',
    sites INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    site_list TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_stories_sites ON stories(sites);
CREATE TABLE article_story (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    story_id INTEGER NOT NULL REFERENCES stories(id),
    site TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE INDEX idx_article_story_story_id ON article_story(story_id);
CREATE TRIGGER article_story_ai AFTER INSERT ON article_story BEGIN
  {_story_stats("new")}
END;
CREATE TRIGGER article_story_ad AFTER DELETE ON article_story BEGIN
  {_story_stats("old")}
END;
CREATE TRIGGER article_story_au AFTER UPDATE OF story_id ON article_story BEGIN
  {_story_stats("new")}
  {_story_stats("old")}
END;
"""
STORIES_VIEW = """
SELECT s.id AS story_id, s.first_seen, s.sites, s.size, s.site_list,
  (SELECT a.headline FROM article_story x JOIN articles a ON a.id = x.article_id
     WHERE x.story_id = s.id ORDER BY x.first_seen, a.id LIMIT 1) AS headline
FROM stories s WHERE s.sites > 1"""


@MIGRATIONS()
def m007_stories(db: Database) -> None:
    """Story clusters (archive.stories): signatures, stories, membership kept counted by
    triggers, the multi_site_stories view. The archive's articles are clustered once, by
    `migrate` after the later migrations (clustering is today's code: it needs today's schema)."""
    from .stories import StorySettings  # numpy and datasketch: loaded once stories are used

    db.executescript(STORIES_SCHEMA)
    defaults = StorySettings()
    db.execute("INSERT INTO story_settings (id, threshold, num_perm, shingle) VALUES (1, ?, ?, ?)",
               [defaults.threshold, defaults.num_perm, defaults.shingle])
    db.create_view("multi_site_stories", STORIES_VIEW.strip(), replace=True)
COUNT_TRIGGERS = """
CREATE TRIGGER article_{table}_count_ai AFTER INSERT ON article_{table} BEGIN
  UPDATE {table} SET article_count = article_count + 1 WHERE id = new.{key};
END;
CREATE TRIGGER article_{table}_count_ad AFTER DELETE ON article_{table} BEGIN
  UPDATE {table} SET article_count = article_count - 1 WHERE id = old.{key};
END;
CREATE TRIGGER article_{table}_count_au AFTER UPDATE OF {key} ON article_{table} BEGIN
  UPDATE {table} SET article_count = article_count - 1 WHERE id = old.{key};
  UPDATE {table} SET article_count = article_count + 1 WHERE id = new.{key};
END;
"""


@MIGRATIONS()
def m008_scale(db: Database) -> None:
    """What a million-article archive needs to stay fast (bench/million_bench.py): an index on
    section (its facet and `stats`), and each author's and tag's article count kept by triggers
    (the unfiltered author and tag facets read it instead of joining millions of rows), and an
    index in `export`'s order (published, undated last), which spares it sorting every row, and
    one by month published, for the month facet."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_articles_section ON articles(section)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_articles_export ON articles(published IS NULL, published, id)")
    # the month facet (bbn_scraper/app/datasette/facets.py) groups by this expression: read in order, no sort
    db.execute("CREATE INDEX IF NOT EXISTS idx_articles_month ON articles(substr(published, 1, 7), published)")
    for table, key in (("authors", "author_id"), ("tags", "tag_id")):
        db.execute(f"ALTER TABLE {table} ADD COLUMN article_count INTEGER NOT NULL DEFAULT 0")
        db.execute(f"UPDATE {table} SET article_count = c.n FROM"
                   f" (SELECT {key}, count(*) AS n FROM article_{table} GROUP BY {key}) AS c WHERE c.{key} = {table}.id")
        db.executescript(COUNT_TRIGGERS.format(table=table, key=key))


def _joins(side: str) -> str:
    """Statements for article_story row `{side}` (new) having joined story {side}.story_id."""
    other = (f"EXISTS (SELECT 1 FROM article_story WHERE story_id = {side}.story_id AND site = {side}.site"
             f" AND article_id != {side}.article_id)")
    return f"""UPDATE stories SET size = size + 1, sites = sites + NOT {other},
    first_seen = CASE WHEN size = 0 OR {side}.first_seen < first_seen THEN {side}.first_seen ELSE first_seen END
    WHERE id = {side}.story_id;
  UPDATE stories SET site_list = {_SITE_LIST.format(side=side)} WHERE id = {side}.story_id AND NOT {other};"""


def _leaves(side: str) -> str:
    """Statements for article_story row `{side}` (old) having left story {side}.story_id."""
    stays = (f"EXISTS (SELECT 1 FROM article_story WHERE story_id = {side}.story_id AND site = {side}.site"
             f" AND article_id != {side}.article_id)")
    return f"""UPDATE stories SET size = size - 1, sites = sites - NOT {stays},
    first_seen = coalesce((SELECT min(first_seen) FROM article_story WHERE story_id = {side}.story_id), first_seen)
    WHERE id = {side}.story_id;
  UPDATE stories SET site_list = {_SITE_LIST.format(side=side)} WHERE id = {side}.story_id AND NOT {stays};
  DELETE FROM stories WHERE id = {side}.story_id AND size = 0;"""


_SITE_LIST = ("coalesce((SELECT group_concat(site, ' ') FROM (SELECT DISTINCT site FROM article_story"
              " WHERE story_id = {side}.story_id ORDER BY site)), '')")


@MIGRATIONS()
def m009_story_counts(db: Database) -> None:
    """A story's counts kept by increments, not recounted over all its members on every change
    (m007's triggers): storing into a story of n articles cost O(n), a merge O(n^2) - 4.7 ms an
    article on the 3,000-article bench site, whose template-written stories are one cluster.
    The site list is rebuilt only when a site joins or leaves; the indexes make each check a
    lookup. An update is its old row leaving and its new row joining, each site test made
    without the row itself; it joins first, so that a row changed within its story never
    leaves the story empty (dropped) on the way."""
    db.executescript(f"""
DROP TRIGGER article_story_ai;
DROP TRIGGER article_story_ad;
DROP TRIGGER article_story_au;
DROP INDEX idx_article_story_story_id;
CREATE INDEX idx_article_story_site ON article_story(story_id, site);
CREATE INDEX idx_article_story_first_seen ON article_story(story_id, first_seen);
CREATE TRIGGER article_story_ai AFTER INSERT ON article_story BEGIN
  {_joins("new")}
END;
CREATE TRIGGER article_story_ad AFTER DELETE ON article_story BEGIN
  {_leaves("old")}
END;
CREATE TRIGGER article_story_au AFTER UPDATE OF story_id, site, first_seen ON article_story BEGIN
  {_joins("new")}
  {_leaves("old")}
END;
""")


@MIGRATIONS()
def m010_band_stories(db: Database) -> None:
    """Each LSH band row carries its article's story, kept by triggers on article_story, keyed
    (band_hash, story_id, article_id): storing an article reads the distinct stories of its
    buckets by index seeks and a few members of each, not every member of every bucket (a
    story of n copies shares its bands among n articles: O(n) rows read per store, the
    import-warc bench's falling rate). Rows of articles without a story are dropped (no
    search ever read them: candidates were joined to article_story)."""
    db.executescript("""
CREATE TABLE lsh_bands_by_story (
    band_hash INTEGER NOT NULL,
    story_id INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    PRIMARY KEY (band_hash, story_id, article_id)
) WITHOUT ROWID;
INSERT INTO lsh_bands_by_story (band_hash, story_id, article_id)
  SELECT b.band_hash, s.story_id, b.article_id FROM lsh_bands b JOIN article_story s USING (article_id);
DROP TABLE lsh_bands;
ALTER TABLE lsh_bands_by_story RENAME TO lsh_bands;
CREATE INDEX idx_lsh_bands_article_id ON lsh_bands(article_id);
CREATE TRIGGER article_story_bands_au AFTER UPDATE OF story_id ON article_story BEGIN
  UPDATE lsh_bands SET story_id = new.story_id WHERE article_id = new.article_id;
END;
CREATE TRIGGER article_story_bands_ad AFTER DELETE ON article_story BEGIN
  DELETE FROM lsh_bands WHERE article_id = old.article_id;
END;
""")


@MIGRATIONS()
def m011_backfill_files(db: Database) -> None:
    """What a Common Crawl backfill has read, per WARC file (archive.backfill)."""
    db.executescript("""
CREATE TABLE backfill_files (
    url TEXT PRIMARY KEY,
    offset INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0,
    kept INTEGER NOT NULL DEFAULT 0,
    crawl_id INTEGER,  -- the import that saved it last (no foreign key: the row outlives a crawl's)
    updated TEXT NOT NULL
);
""")


# A summary table of article counts by `key`, kept by triggers on `source` (an article joins
# when inserted with a key, leaves when deleted, moves when its key changes).
SUMMARY_TRIGGERS = """
INSERT INTO {table} ({key}, article_count) SELECT {key}, count(*) FROM {source} WHERE {key} IS NOT NULL GROUP BY {key};
CREATE INDEX idx_{table}_article_count ON {table}(article_count);
CREATE TRIGGER {source}_{table}_ai AFTER INSERT ON {source} WHEN new.{key} IS NOT NULL BEGIN
  INSERT INTO {table} ({key}, article_count) VALUES (new.{key}, 1)
    ON CONFLICT ({key}) DO UPDATE SET article_count = article_count + 1;
END;
CREATE TRIGGER {source}_{table}_ad AFTER DELETE ON {source} WHEN old.{key} IS NOT NULL BEGIN
  UPDATE {table} SET article_count = article_count - 1 WHERE {key} = old.{key};
  DELETE FROM {table} WHERE {key} = old.{key} AND article_count <= 0;
END;
CREATE TRIGGER {source}_{table}_au AFTER UPDATE OF {key} ON {source} WHEN old.{key} IS NOT new.{key} BEGIN
  UPDATE {table} SET article_count = article_count - 1 WHERE {key} = old.{key};
  DELETE FROM {table} WHERE {key} = old.{key} AND article_count <= 0;
  INSERT INTO {table} ({key}, article_count) SELECT new.{key}, 1 WHERE new.{key} IS NOT NULL
    ON CONFLICT ({key}) DO UPDATE SET article_count = article_count + 1;
END;
"""


@MIGRATIONS()
def m012_reading_room(db: Database) -> None:
    """What the reading room's front page and stories list read without scanning a million
    rows: the number of articles by section (section_counts, from articles) and by site
    (site_counts, from article_story, whose site is the canonical URL's host) kept by triggers;
    authors by their article count; the stories carried by several sites by size and by date."""
    db.executescript("""
CREATE TABLE section_counts (section TEXT PRIMARY KEY, article_count INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE site_counts (site TEXT PRIMARY KEY, article_count INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX idx_authors_article_count ON authors(article_count);
CREATE INDEX idx_stories_shared_sites ON stories(sites, size, id) WHERE sites > 1;
CREATE INDEX idx_stories_shared_size ON stories(size, id) WHERE sites > 1;
CREATE INDEX idx_stories_shared_first_seen ON stories(first_seen, id) WHERE sites > 1;
""")
    db.executescript(SUMMARY_TRIGGERS.format(table="section_counts", key="section", source="articles"))
    db.executescript(SUMMARY_TRIGGERS.format(table="site_counts", key="site", source="article_story"))


@MIGRATIONS()
def m013_date_order(db: Database) -> None:
    """An index in search's date order (`datetime(published)`, then id): a search ordered by
    date walks it, newest or oldest first, and stops after the page it shows instead of
    sorting every hit (archive.query's date walk)."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_articles_date ON articles(datetime(published))")


# Indexes on article_id that m001's index_foreign_keys made beside a primary key or unique key
# led by article_id, which serves every lookup, join and cascade by article_id as well.
REDUNDANT_INDEXES = ("idx_article_authors_article_id", "idx_article_tags_article_id", "idx_faqs_article_id",
                     "idx_links_article_id")


@MIGRATIONS()
def m014_redundant_indexes(db: Database) -> None:
    """Drop `REDUNDANT_INDEXES`: every stored article updated them (about 13 entries) for no
    query (bench/README.md, section 12)."""
    for name in REDUNDANT_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")


# A writer's batch may defer its full-text indexing to its commit (`Archive.transaction`,
# `search_later`): while `search_deferred` holds its row (only ever inside that batch's
# transaction: it is deleted before the commit), the search triggers put new rows on
# `search_backlog`, which the batch indexes with one statement per index just before it commits.
SEARCH_BACKLOG = """
CREATE TABLE IF NOT EXISTS search_backlog (
    fts TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    PRIMARY KEY (fts, row_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_deferred (id INTEGER PRIMARY KEY CHECK (id = 1));
"""


def create_search_backlog(db: Database) -> None:
    """`SEARCH_BACKLOG`'s tables, which the search triggers read."""
    db.executescript(SEARCH_BACKLOG)


@MIGRATIONS()
def m015_search_backlog(db: Database) -> None:
    """The search triggers take a backlog: a batch that defers its indexing indexes its new
    articles and FAQ pairs with one statement each as it commits, instead of one FTS5 insert
    per row as they are stored (bench/README.md, "Section 12 after the search backlog")."""
    create_search_backlog(db)
    for search in (article_search([c.name for c in db["articles_fts"].columns]), FAQ_SEARCH):
        for trigger in search.trigger_names:
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        db.executescript(search.triggers())


@MIGRATIONS()
def m016_errors_by_url(db: Database) -> None:
    """Errors by URL: an import asks, for each page it finds recorded already, whether that
    page's parse failed (`Archive.has_parsed_page`), to parse it again."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_errors_url ON errors(url)")


def migrate(db: Database) -> None:
    """Apply the pending migrations; an archive from before stories (m007 among them) then has
    its articles clustered, with the schema as it is now."""
    pending = [m.name for m in MIGRATIONS.pending(db)]
    MIGRATIONS.apply(db)
    if "m007_stories" in pending:
        from .stories import Stories

        Stories(db.conn).assign_all()


def model_changes(db: Database, columns: ArticleColumns) -> list[str]:
    """What the archive lacks to keep `columns` (the article model's): the columns to add to
    articles and article_versions, and whether the search index covers other fields."""
    changes = []
    for table, wanted in (("articles", columns.all), ("article_versions", columns.versioned)):
        have = db[table].columns_dict
        changes += [f"ALTER TABLE {table} ADD COLUMN {c.definition(adding=True)}" for c in wanted if c.name not in have]
    if [c.name for c in db["articles_fts"].columns] != columns.search_names:
        changes.append("rebuild articles_fts")
    return changes


def follow_model(db: Database, columns: ArticleColumns, changes: list[str]) -> None:
    """Apply `changes`, as `model_changes` listed them: a field added to the model gets its
    columns, a changed set of searched fields a rebuilt index. A field removed from the model
    keeps its column."""
    for change in changes:
        if change == "rebuild articles_fts":
            create_article_search(db, columns.search_names)
        else:
            db.execute(change)


def check_archive(db: Database, empty_ok: bool = True) -> None:
    """Raise `NotAnArchive` unless `db` holds a bbn-archive or is empty (and `empty_ok`: a
    file a writer is about to make an archive of), `DamagedArchive` if its file is shorter
    than its header says or SQLite finds it malformed, `NewerArchive` if a newer bbn-archive
    migrated it."""
    try:
        _check_length(db)
        tables = set(db.table_names())
        applied = [m.name for m in MIGRATIONS.applied(db)] if tables else []
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorname == "SQLITE_NOTADB":
            raise NotAnArchive(f"{_name(db)} is not a SQLite database") from exc
        if exc.sqlite_errorname == "SQLITE_CORRUPT":
            raise DamagedArchive(f"{_name(db)} is damaged: {exc}") from exc
        raise
    if not tables:
        if empty_ok or db_path(db) is None:
            return
        raise NotAnArchive(f"{_name(db)} is empty, not a bbn-archive: a crawl or an import creates one"
                           " (a command that reads writes nothing to it)")
    if not applied:
        raise NotAnArchive(f"{_name(db)} is a SQLite database but not a bbn-archive (no migrations recorded)")
    unknown = [name for name in applied if name not in known_migrations()]
    if unknown:
        raise NewerArchive(f"{_name(db)} was written by a newer bbn-archive (schema {', '.join(unknown)}):"
                           " upgrade bbn-archive to open it")


def known_migrations() -> list[str]:
    """The names of this version's migrations, in order."""
    return [m.name for m in MIGRATIONS.pending(Database(memory=True))]


def _check_length(db: Database) -> None:
    """`DamagedArchive` if the file is shorter than its header's page count (bytes 28-31): a
    truncated copy or download. SQLite refuses such a file as corrupt unless writable_schema
    is on, when it counts the pages the file (and its WAL) holds instead; a file that reads
    only then is a truncated one.

    Asked of SQLite, never read through a descriptor of the file opened here: closing any
    descriptor of the file drops every POSIX lock this process holds on it, SQLite's own
    included, and another process could then take the WAL for its own and reset it under a
    live writer (a reader saw SQLITE_CORRUPT during a crawl)."""
    path = db_path(db)
    if path is None:
        return
    try:
        db.execute("PRAGMA page_count").fetchone()
        return
    except UnicodeDecodeError:  # SQLite's message quotes the damaged schema, which is not UTF-8
        raise DamagedArchive(f"{path} is damaged: SQLite cannot read its schema") from None
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorname != "SQLITE_CORRUPT":
            raise
        refused = exc
    db.execute("PRAGMA writable_schema = ON")
    try:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    except sqlite3.DatabaseError:
        raise refused from None
    finally:
        db.execute("PRAGMA writable_schema = OFF")
    held = pages * db.execute("PRAGMA page_size").fetchone()[0]
    if os.stat(path).st_size >= held:  # as long as SQLite counts it: damaged inside, not cut short
        raise DamagedArchive(f"{path} is damaged: {refused}")
    raise DamagedArchive(f"{path} is truncated: it holds {held} bytes, fewer than its header declares")


def _name(db: Database) -> str:
    return db_path(db) or ":memory:"


WAL_HEADER = 32  # bytes of a -wal file before its first frame: a longer one holds changes
# What SQLite answers a read-only connection to a WAL archive whose WAL index (the -shm file) it
# can neither open nor create: a read-only mount, or a folder this user cannot write.
NO_WAL_INDEX = ("SQLITE_CANTOPEN", "SQLITE_READONLY_DIRECTORY", "SQLITE_READONLY_CANTINIT")


def connect_read_only(path: str | Path, check_same_thread: bool = True) -> sqlite3.Connection:
    """The SQLite file at `path` opened read-only the way Datasette opens a mutable database
    (URI mode=ro): readable while a crawl writes to it. Where SQLite cannot open the WAL index
    (`NO_WAL_INDEX`) on a read-only file system, the file is opened as immutable=1, as it then
    is: nothing can write it (see `_open_read_only`)."""
    return _open_read_only(path, check_same_thread)[0]


def needs_immutable(path: str | Path) -> bool:
    """Whether the archive at `path` can be read only as immutable=1 (see `connect_read_only`):
    for Datasette, which takes such files as `immutables`. `ReadOnlyArchive` when its -wal
    holds changes that cannot be read that way."""
    conn, immutable = _open_read_only(path)
    conn.close()
    return immutable


def _open_read_only(path: str | Path, check_same_thread: bool = True) -> tuple[sqlite3.Connection, bool]:
    """`connect_read_only`'s connection, and whether it is an immutable=1 one. immutable=1 is
    taken on a read-only file system only, where nothing can write the file: in a folder this
    user cannot write but its owner can, a crawl of the owner's could change the file under an
    immutable reader (SQLite's wrong results or SQLITE_CORRUPT), so that is refused."""
    uri = Path(path).resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=check_same_thread)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master")
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorname not in NO_WAL_INDEX:
            return conn, False  # not a database, damaged: the caller's checks say which
        conn.close()
        if not os.statvfs(Path(path).resolve().parent).f_flag & os.ST_RDONLY:
            raise ReadOnlyArchive(
                f"{path} cannot be read here: SQLite reads an archive in WAL mode through {Path(path).name}-shm"
                " beside it, which this user cannot make in that folder while its owner may still write the"
                " archive; read it as its owner, or a copy its owner makes (sqlite3 ARCHIVE \".backup COPY\")") from None
        check_no_pending_wal(path)
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=check_same_thread), True
    return conn, False


def check_no_pending_wal(path: str | Path) -> None:
    """`ReadOnlyArchive` if the archive's -wal file holds changes: an immutable=1 connection
    reads the main file only, so it would show the archive as it was before them, silently
    (a crawl that was killed, or a copy taken with its -wal but not its -shm)."""
    wal = Path(f"{path}-wal")
    if wal.is_file() and wal.stat().st_size > WAL_HEADER:
        raise ReadOnlyArchive(
            f"{path} cannot be read here: its {wal.name} holds changes not yet in the archive file, and SQLite"
            f" reads them only through {Path(path).name}-shm, which cannot be made in this read-only folder;"
            " open the archive once where its folder can be written (any bbn-archive command folds them in),"
            " or copy its files to a folder that can be")


def db_path(db: Database) -> str | None:
    """The file behind the main database, None when it lives in memory."""
    for row in db.execute("PRAGMA database_list").fetchall():
        if row[1] == "main":
            return row[2] or None
    return None


def is_archive(db: Database) -> bool:
    """Whether `db` holds a bbn-archive this version can read: tables, its migrations recorded,
    none newer, not damaged. Reads only."""
    try:
        check_archive(db)
        return bool(db.table_names())
    except (ArchiveError, sqlite3.DatabaseError):
        return False
