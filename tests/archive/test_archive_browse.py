"""archive.browse and schema m012: what the reading room's front page, stories list and story
page read. The section and site counts kept by triggers equal a count of the rows after
stores, updates and deletes; every statement of the front page, the stories list and a story
reads an index (EXPLAIN QUERY PLAN: no table scanned, no sort of every row); search filters by
site and counts up to a cap."""
from __future__ import annotations

import sqlite3

import pytest

from archive import Archive
from archive.browse import front_page, shared_stories, shared_story_count, story, story_of
from archive.query import ArchiveReader
from tests.helpers import BASE, make_article, query_plans

OTHER = "https://Other.example:8080"


def counted(arc: Archive) -> tuple[dict, dict]:
    """(section counts, site counts) from the summary tables and (the same) from the rows."""
    summary = (dict(arc.db.execute("SELECT section, article_count FROM section_counts").fetchall()),
               dict(arc.db.execute("SELECT site, article_count FROM site_counts").fetchall()))
    rows = (dict(arc.db.execute("SELECT section, count(*) FROM articles WHERE section IS NOT NULL GROUP BY section").fetchall()),
            dict(arc.db.execute("SELECT site, count(*) FROM article_story GROUP BY site").fetchall()))
    return summary, rows


def test_counts_follow_stores_updates_and_deletes(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as arc:
        crawl = arc.start_crawl([BASE])
        ids = {}
        for n, (base, section) in enumerate([(BASE, "UK"), (BASE, "UK"), (BASE, "World"), (OTHER, "UK"), (OTHER, None)]):
            ids[n] = arc.store_article(make_article(f"{base}/news/{n}", section=section, body=f"Story number {n} " * 20),
                                       crawl_id=crawl).article_id
        summary, rows = counted(arc)
        assert summary == rows
        assert summary == ({"UK": 3, "World": 1}, {"www.bbn.example": 3, "other.example:8080": 2})
        for n, base, section in ((0, BASE, "World"), (4, OTHER, "Sport")):  # a new version, in another section
            arc.store_article(make_article(f"{base}/news/{n}", section=section, body=f"Story number {n}, updated " * 20),
                              crawl_id=crawl)
        with arc.transaction():
            arc.delete_article(ids[2])
            arc.delete_article(ids[3])
        summary, rows = counted(arc)
        assert summary == rows == ({"UK": 1, "World": 1, "Sport": 1}, {"www.bbn.example": 2, "other.example:8080": 1})


def test_m012_counts_an_archive_it_migrates(tmp_path):
    """An archive from before m012: the migration counts what it holds."""
    from archive.schema import MIGRATIONS, SUMMARY_TRIGGERS

    path = tmp_path / "old.db"
    with Archive(path, create=True) as arc:
        crawl = arc.start_crawl([BASE])
        for n in range(3):
            arc.store_article(make_article(f"{BASE}/news/{n}", section=f"S{n % 2}", body=f"Body {n} " * 30), crawl_id=crawl)
    conn = sqlite3.connect(path)
    for name, kind in conn.execute("SELECT name, type FROM sqlite_master WHERE sql LIKE '%section_counts%'"
                                   " OR sql LIKE '%site_counts%' OR name LIKE 'idx_stories_shared%'"
                                   " OR name = 'idx_authors_article_count'").fetchall():
        if kind != "table":
            conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
    conn.execute("DROP TABLE section_counts")
    conn.execute("DROP TABLE site_counts")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm012_reading_room'")
    conn.commit()
    conn.close()
    assert "{table}" in SUMMARY_TRIGGERS
    with Archive(path) as arc:
        assert not MIGRATIONS.pending(arc.db)
        summary, rows = counted(arc)
        assert summary == rows == ({"S0": 2, "S1": 1}, {"www.bbn.example": 3})


@pytest.fixture(scope="module")
def two_sites(two_site_crawl):
    conn = sqlite3.connect(f"file:{two_site_crawl['db']}?mode=ro", uri=True)
    yield ArchiveReader(conn), two_site_crawl
    conn.close()


def test_front_page(two_sites):
    reader, crawl = two_sites
    front = front_page(reader, top=5)
    newest = reader.db.execute("SELECT id FROM articles ORDER BY published DESC LIMIT 5").fetchall()
    assert [a.id for a in front.latest] == [i for (i,) in newest]
    assert {a.site for a in front.latest} <= set(crawl["hosts"])
    every = dict(reader.db.execute("SELECT section, count(*) FROM articles GROUP BY section").fetchall())
    shown = dict(front.sections)
    assert len(shown) == min(5, len(every)) and all(every[s] == n for s, n in shown.items())
    assert [n for _, n in front.sections] == sorted(shown.values(), reverse=True)
    assert min(shown.values()) >= max([n for s, n in every.items() if s not in shown], default=0)
    assert dict(front.sites) == dict(reader.db.execute("SELECT s.site, count(*) FROM article_story s GROUP BY s.site").fetchall())
    assert front.authors[0][1] == reader.db.execute(
        "SELECT count(*) AS n FROM article_authors GROUP BY author_id ORDER BY n DESC LIMIT 1").fetchone()[0]
    assert front.stories and all(len(s.sites) == 2 and s.size == 2 and s.headline for s in front.stories)
    assert [c.status for c in front.crawls] == ["finished"]


def test_stories_list_and_story(two_sites):
    reader, crawl = two_sites
    copies = [a for a in crawl["sister"]["articles"] if a["copy_of"]]
    assert shared_story_count(reader) == len(copies)
    by_size = shared_stories(reader, "size", limit=100)
    recent = shared_stories(reader, "recent", limit=100)
    assert len(by_size) == len(recent) == len(copies)
    assert [s.first_seen for s in recent] == sorted((s.first_seen for s in recent), reverse=True)
    assert shared_stories(reader, "size", limit=3, offset=3) == by_size[3:6]
    one = story(reader, by_size[0].id)
    assert one.size == len(one.articles) == 2 and {a.site for a in one.articles} == set(crawl["hosts"])
    assert one.articles[0].headline == by_size[0].headline and all(a.body and a.authors for a in one.articles)
    assert story(reader, 10**9) is None
    story_id, size, others = story_of(reader, one.articles[1].id)
    assert (story_id, size, [o.id for o in others]) == (one.id, 2, [one.articles[0].id])
    alone = reader.db.execute("SELECT s.article_id FROM article_story s JOIN stories st ON st.id = s.story_id"
                              " WHERE st.size = 1 LIMIT 1").fetchone()[0]
    assert story_of(reader, alone) is None


@pytest.mark.parametrize("read", [
    lambda r: front_page(r),
    lambda r: shared_stories(r, "size", 50, 50),
    lambda r: shared_stories(r, "recent", 50),
    lambda r: shared_story_count(r),
    lambda r: story(r, 1),
    lambda r: story_of(r, 1),
], ids=["front page", "stories by size", "stories by date", "stories count", "story", "story of an article"])
def test_reads_use_indexes(two_sites, read):
    reader, _ = two_sites
    for sql, plan in query_plans(reader, read).items():
        for line in plan:
            scanned = line.startswith("SCAN") and " USING " not in line and not line.startswith("SCAN (subquery")
            assert not scanned or line in ("SCAN crawls", "SCAN CONSTANT ROW"), (sql, plan)  # crawls: read backwards by id
            assert "TEMP B-TREE" not in line or "json_group_array" in sql, (sql, plan)


def test_search_by_site_and_capped_count(two_sites):
    reader, crawl = two_sites
    sample, sister = crawl["hosts"]
    everywhere = reader.search("officials", limit=None)
    on_sister = reader.search("officials", limit=None, site=sister.upper())
    assert on_sister and len(on_sister) < len(everywhere)
    assert all(hit.url.split("/")[2] == sister for hit in on_sister)
    assert reader.search_total("officials", site=sister) == (len(on_sister), True)
    assert reader.search_total("officials") == (len(everywhere), True)
    assert reader.search_total("officials", cap=3) == (3, False)
    assert reader.search_total("officials OR council")[0] > len(everywhere)
    # a filtered count looks at the newest `window` hits of each index: a lower bound when there are more.
    # The window reaches the newest hit on the sister site (the two sites were crawled at once: their
    # articles' order varies from run to run), not all of them.
    newest = sorted((hit.id for hit in everywhere), reverse=True)
    window = next(i for i, hit_id in enumerate(newest) if hit_id in {hit.id for hit in on_sister}) + 1
    few, exact = reader.search_total("officials", site=sister, window=window)
    assert 0 < few <= len(on_sister) and (few == len(on_sister) or not exact)
    assert reader.search_total("officials", site=sister, window=None) == (len(on_sister), True)


def test_a_filtered_search_widens_its_window_until_it_has_enough(two_sites):
    reader, crawl = two_sites
    sister = crawl["hosts"][1]
    every = [hit.id for hit in reader.search("officials", site=sister, window=None, limit=10)]
    assert [hit.id for hit in reader.search("officials", site=sister, window=1, limit=10)] == every
