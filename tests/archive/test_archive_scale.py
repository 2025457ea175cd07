"""What keeps a large archive fast (m008_scale, the ranking window of `search`), and that it
changes no result: counts kept by triggers equal the counts of the rows; a windowed search
still finds what the filters select."""
from __future__ import annotations

import pytest

from archive import Archive
from tests.helpers import BASE, make_article


def counts(archive: Archive, table: str) -> dict[str, int]:
    """name -> article_count, and the same counted from the rows."""
    kept = dict(archive.db.execute(f"SELECT name, article_count FROM {table} WHERE article_count > 0").fetchall())
    counted = dict(archive.db.execute(
        f"SELECT t.name, count(*) FROM article_{table} x JOIN {table} t ON t.id = x.{table[:-1]}_id GROUP BY t.id").fetchall())
    return kept, counted


def test_author_and_tag_counts_follow_stores_updates_and_deletes(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as archive:
        crawl = archive.start_crawl([BASE])
        archive.store_article(make_article(f"{BASE}/news/1", authors=["Ann", "Bob"], tags=["Rain"]), crawl_id=crawl)
        second = archive.store_article(make_article(f"{BASE}/news/2", authors=["Ann"], tags=["Rain", "Wind"],
                                                    body="Another story."), crawl_id=crawl)
        assert counts(archive, "authors") == ({"Ann": 2, "Bob": 1}, {"Ann": 2, "Bob": 1})
        # a new version of the second article: its authors and tags are replaced
        archive.store_article(make_article(f"{BASE}/news/2", authors=["Cy"], tags=["Wind"], body="Changed."),
                              crawl_id=crawl, fetched_url=f"{BASE}/news/2")
        assert counts(archive, "authors") == ({"Ann": 1, "Bob": 1, "Cy": 1},) * 2
        assert counts(archive, "tags") == ({"Rain": 1, "Wind": 1},) * 2
        with archive.transaction():
            archive.db.execute("DELETE FROM articles WHERE id = ?", [second.article_id])
        assert counts(archive, "authors") == ({"Ann": 1, "Bob": 1},) * 2
        assert counts(archive, "tags") == ({"Rain": 1},) * 2
        plan = archive.db.execute("EXPLAIN QUERY PLAN SELECT section, count(*) FROM articles GROUP BY section").fetchall()
        assert "idx_articles_section" in str(plan)
        from archive.export import _selection

        where, params = _selection()
        plan = str(archive.db.execute(f"EXPLAIN QUERY PLAN SELECT a.id FROM articles a WHERE {where}"
                                      " ORDER BY a.published IS NULL, a.published, a.id", params).fetchall())
        assert "idx_articles_export" in plan and "TEMP B-TREE" not in plan  # export streams, sorts nothing
        month = ("SELECT substr(published, 1, 7) AS value, count(*) FROM (SELECT * FROM articles)"
                 " WHERE published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]*' GROUP BY value ORDER BY value DESC")
        plan = str(archive.db.execute(f"EXPLAIN QUERY PLAN {month}").fetchall())
        assert "idx_articles_month" in plan and "TEMP B-TREE" not in plan  # the month facet's query


def test_m008_counts_the_articles_an_older_archive_holds(tmp_path):
    """An archive made before m008: the migration fills the counts from the rows."""
    from sqlite_utils import Database

    from archive.schema import MIGRATIONS

    path = tmp_path / "old.db"
    with Archive(path, create=True) as archive:
        crawl = archive.start_crawl([BASE])
        for n in range(3):
            archive.store_article(make_article(f"{BASE}/news/{n}", authors=["Ann"], tags=[f"T{n % 2}"],
                                               body=f"Story {n}."), crawl_id=crawl)
    db = Database(path)
    db.execute("DROP INDEX idx_authors_article_count")  # m012's, on the column m008 adds
    for trigger in ("authors", "tags"):
        for op in ("ai", "ad", "au"):
            db.execute(f"DROP TRIGGER article_{trigger}_count_{op}")
        db.execute(f"ALTER TABLE {trigger} DROP COLUMN article_count")
    db.execute("DROP INDEX idx_articles_section")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_scale'")
    db.conn.commit()
    db.close()
    with Archive(path) as archive:
        assert not MIGRATIONS.pending(archive.db)
        assert counts(archive, "authors") == ({"Ann": 3},) * 2
        assert counts(archive, "tags") == ({"T0": 2, "T1": 1},) * 2


@pytest.fixture
def archive(tmp_path):
    """Five articles with the word "flood": the oldest has it in its headline (ranked best),
    the newer ones in their body only; searched with a ranking window of two."""
    with Archive(tmp_path / "w.db", create=True) as archive:
        crawl = archive.start_crawl([BASE])
        archive.store_article(make_article(f"{BASE}/news/0", headline="Flood warning", authors=["Old Hand"],
                                           body="The river rose.", summary="River."), crawl_id=crawl)
        for n in range(1, 5):
            archive.store_article(make_article(f"{BASE}/news/{n}", headline=f"Story {n}", authors=["New Hand"],
                                               body=f"A flood, story {n}.", summary="News."), crawl_id=crawl)
        yield archive


def test_a_common_word_is_ranked_among_its_newest_hits(archive):
    assert [r.headline for r in archive.search("flood", limit=None, window=2)][0] == "Flood warning"  # all ranked
    assert [r.headline for r in archive.search("flood", limit=2, window=None)][0] == "Flood warning"  # no window
    windowed = archive.search("flood", limit=2, window=2)
    assert {r.headline for r in windowed} == {"Story 3", "Story 4"}


def test_filters_that_leave_too_few_in_the_window_search_everything(archive):
    assert [r.headline for r in archive.search("flood", author="Old Hand", limit=2, window=2)] == ["Flood warning"]
    assert len(archive.search("flood", author="New Hand", limit=3, window=2)) == 3
