"""Search by date (newest or oldest first): the date walk (idx_articles_date, schema m013,
each article probed in the FTS indexes) gives exactly what a sort of every hit gives - the same
rows in the same order, ties by id, unknown dates last - for common and rare words, FAQ-only
hits, OR and -word, every filter and any page; it reads the index in order (no sort), and a
walk that runs out of its budget leaves the query to the sort."""
from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from archive import Archive
from archive.model import Faq
from archive.query import ArchiveReader, _date_walk, article_filter
from archive.search_syntax import fts_query
from tests.helpers import BASE, make_article, query_plans

OTHER = "https://other.example"
SECTIONS = ("UK", "World", "Sport")


def _published(rng: random.Random, n: int):
    """Dates with ties (same second, or the same instant written naive and aware, or with a
    fraction datetime() drops) and some unknown."""
    if n % 11 == 0:
        return None
    day = datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(days=rng.randrange(60), hours=rng.choice((0, 0, 5)))
    kind = n % 4
    if kind == 1:
        return day.replace(tzinfo=None)  # naive: kept as written
    if kind == 2:
        return day + timedelta(microseconds=rng.randrange(1, 999_999))
    return day


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """160 articles: `river` in ~90% of them, `bridge` in ~30%, `quay` in ~4%, `ferry` only in
    some FAQ pairs; three sections, three authors, two sites."""
    rng = random.Random(25)
    path = tmp_path_factory.mktemp("walk") / "a.db"
    with Archive(path, create=True) as arc:
        crawl = arc.start_crawl([BASE])
        for n in range(160):
            words = ["river" if rng.random() < 0.9 else "stream", "bridge" if rng.random() < 0.3 else "road",
                     "quay" if rng.random() < 0.04 else "dock", "bank"]
            faqs = [Faq("Was there a ferry?", "Yes, the ferry ran.")] if n % 7 == 0 else []
            arc.store_article(make_article(
                f"{(BASE, OTHER)[n % 3 == 0]}/news/{n}", headline=f"Report {n}", summary="A report.",
                body=" ".join(words) + f" story {n}.", published=_published(rng, n), section=SECTIONS[n % 3],
                authors=[("Ann", "Bob", "Cy")[n // 3 % 3]], faqs=faqs), crawl_id=crawl)
    return path


QUERIES = ["river", "bridge", "quay", "ferry", "river OR quay", "river -bridge", '"river bank"', "bank -river",
           "nothingatall"]
FILTERS = [{}, {"section": "uk"}, {"since": "2020-01-20", "until": "2020-02-10"}, {"author": "ann"},
           {"site": "other.example"}, {"section": "World", "author": "Bob", "since": "2020-02"}]


@pytest.mark.parametrize("order", ["date", "oldest"])
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_the_walk_and_the_sort_give_the_same_pages(archive, order, filters):
    with Archive(archive) as arc:
        for query in QUERIES:
            every = arc.search(query, order=order, limit=None, **filters)
            for limit in (1, 7, 1000):
                walked = arc.search(query, order=order, limit=limit, walk=True, **filters)
                sorted_ = arc.search(query, order=order, limit=limit, walk=False, **filters)
                chosen = arc.search(query, order=order, limit=limit, **filters)
                assert walked == sorted_ == chosen == every[:limit], (query, limit)
            for offset in (7, 14):  # a later page, as the reading room asks for it
                for walk in (True, False):
                    assert arc.search(query, order=order, limit=7, offset=offset, walk=walk, **filters) \
                        == every[offset:offset + 7]


def test_orders_put_unknown_dates_last_and_break_ties_by_id(archive):
    with Archive(archive) as arc:
        newest = arc.search("river", order="date", limit=None)
        oldest = arc.search("river", order="oldest", limit=None)
        assert newest[-1].published is None and oldest[-1].published is None
        assert all(r.rank is None for r in newest + oldest)  # unranked: the best hit is the text, else a FAQ pair
        assert arc.search("ferry", order="date", limit=1)[0].matched == ["faq"]
        assert any(r.published is None for r in newest) and {r.id for r in newest} == {r.id for r in oldest}
        key = {r.id: arc.db.execute("SELECT datetime(?)", [r.published]).fetchone()[0] for r in newest}
        dated = [r.id for r in oldest if key[r.id]]
        assert dated == sorted(dated, key=lambda i: (key[i], i))
        assert [r.id for r in newest if key[r.id]] == sorted(dated, key=lambda i: (key[i], i), reverse=True)
        assert len(set(key.values())) < len(key)  # ties were there to break


def test_a_walk_out_of_budget_leaves_the_query_to_the_sort(archive):
    with Archive(archive) as arc:
        where, params = article_filter(author="Cy", section="Sport")
        params.update(match=fts_query("river"), limit=5)
        assert _date_walk(arc, "date", where, params, (3, 100)) is None  # 3 articles read: not enough
        assert _date_walk(arc, "date", where, params, (10_000, 2)) is None  # 2 probes: not enough
        every = [r.id for r in arc.search("river", order="date", limit=5, walk=False, author="Cy", section="Sport")]
        assert _date_walk(arc, "date", where, params, (10_000, 10_000)) == every
        assert _date_walk(arc, "date", where, params, None) is None  # no budget: too few hits to walk


@pytest.mark.parametrize("order", ["date", "oldest"])
@pytest.mark.parametrize("filters", [{}, {"section": "UK", "since": "2020-01-15"}])
def test_the_walk_reads_the_date_index_in_order_and_looks_hits_up(archive, order, filters):
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        reader = ArchiveReader(conn)
        found = query_plans(reader, lambda r: r.search("river", order=order, limit=5, **filters))
        rare = query_plans(reader, lambda r: r.search("quay", order=order, limit=5, **filters))
    finally:
        conn.close()
    walks = {sql: plan for sql, plan in found.items() if "INDEXED BY idx_articles_date" in sql and "MATCH" in sql}
    assert len(walks) == 1, list(found)  # a common word: walked
    (plan,) = walks.values()
    assert not any("TEMP B-TREE" in line for line in plan), plan
    assert any("USING INDEX idx_articles_date" in line for line in plan), plan
    fts = [line for line in plan if "VIRTUAL TABLE" in line]
    assert len(fts) == 2 and all("INDEX 0:=M" in line for line in fts), plan  # by rowid (=), with the MATCH (M)
    assert any("INDEX sqlite_autoindex_faqs_1 (article_id=?)" in line for line in plan), plan  # an article's FAQ pairs, by its key
    if filters:  # tested before the probes: the filtered articles are a subquery of their own
        assert plan.index("SCAN f") < min(plan.index(line) for line in fts), plan
    assert not any("INDEXED BY" in sql for sql in rare)  # few hits: sorted


def test_an_archive_without_the_date_index_is_sorted(archive, tmp_path):
    """Read as it is (ArchiveReader, nothing migrated), an archive from before m013 is searched
    by date all the same."""
    with Archive(archive) as arc:
        expected = arc.search("river", order="date", limit=5)
    older = tmp_path / "older.db"
    conn = sqlite3.connect(archive)
    conn.execute(f"VACUUM INTO '{older}'")
    conn.close()
    conn = sqlite3.connect(older)
    try:
        conn.execute("DROP INDEX idx_articles_date")
        assert ArchiveReader(conn).search("river", order="date", limit=5) == expected
    finally:
        conn.close()
