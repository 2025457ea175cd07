"""A batch that defers its full-text indexing to its commit (`Archive.transaction(search_later=True)`,
as the crawl's and the import's writer batches do): after the commit the index is the one that
indexing every row as it was stored makes, whatever the batch stored, changed or deleted."""
from __future__ import annotations

import sqlite3

import pytest

from archive import Archive
from archive.model import Faq
from archive.schema import MIGRATIONS
from archive.verify import verify_archive
from tests.helpers import BASE, make_article

A, B, C = (f"{BASE}/news/world-{n}" for n in (101, 102, 103))
WORDS = ("zebra", "okapi", "lemur", "wombat", "giraffe", "tapir", "minister")


def _found(arc: Archive, fts: str, word: str) -> list[int]:
    return [r for (r,) in arc.db.execute(f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY rowid", [word])]


def _index(arc: Archive) -> dict:
    """What each word finds, in articles and in FAQ pairs (by article id)."""
    faq_article = dict(arc.db.execute("SELECT rowid, article_id FROM faqs").fetchall())
    return {word: (_found(arc, "articles_fts", word), sorted(faq_article[r] for r in _found(arc, "faqs_fts", word)))
            for word in WORDS}


def _consistent(arc: Archive) -> None:
    """FTS5's own check of each index against its table, and nothing left waiting."""
    for fts in ("articles_fts", "faqs_fts"):
        arc.db.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
    assert arc.db.execute("SELECT count(*) FROM search_backlog").fetchone()[0] == 0
    assert arc.db.execute("SELECT count(*) FROM search_deferred").fetchone()[0] == 0


def _scenario(arc: Archive, crawl_id: int, later: bool) -> tuple[dict, dict]:
    """A batch that stores, stores again, changes an indexed article and deletes what it stored;
    what the index finds inside the batch (on its own connection) and after its commit."""
    old = arc.store_article(make_article(url=A, body="A lemur story."), crawl_id=crawl_id).article_id
    with arc.transaction(search_later=later):
        new = arc.store_article(make_article(url=B, body="The zebra escaped.", faqs=[Faq("A giraffe?", "Yes.")]),
                                crawl_id=crawl_id).article_id
        inside = _index(arc)
        # stored again in the same batch: another body, other FAQ pairs
        arc.store_article(make_article(url=B, body="The okapi escaped.", faqs=[Faq("A tapir?", "No.")]),
                          crawl_id=crawl_id)
        # a FAQ pair still waiting changed by SQL
        arc.db.execute("UPDATE faqs SET answer = 'No tapir: a lemur.' WHERE article_id = ?", [new])
        # an article indexed before the batch changes in it
        arc.store_article(make_article(url=A, body="A wombat story."), crawl_id=crawl_id)
        # stored and deleted in the same batch
        gone = arc.store_article(make_article(url=C, body="The zebra came back.", faqs=[Faq("Giraffe?", "Two.")]),
                                 crawl_id=crawl_id).article_id
        arc.db.execute("DELETE FROM articles WHERE id = ?", [gone])
    assert (old, new) == (1, 2)
    return inside, _index(arc)


@pytest.mark.parametrize("later", [False, True], ids=["indexed-as-stored", "indexed-at-commit"])
def test_a_batch_is_searchable_as_it_commits_whichever_way_it_indexes(tmp_path, later):
    with Archive(tmp_path / "a.db", create=True) as arc:
        inside, after = _scenario(arc, arc.start_crawl([]), later)
        _consistent(arc)
    assert after == {"zebra": ([], []), "okapi": ([2], []), "lemur": ([], [2]), "wombat": ([1], []),
                     "giraffe": ([], []), "tapir": ([], [2]), "minister": ([1, 2], [1])}
    # Inside the deferred batch its own new rows are not searchable yet (other connections see
    # none of the batch before its commit either way).
    assert inside["zebra"] == (([], []) if later else ([2], []))
    assert inside["giraffe"] == (([], []) if later else ([], [2]))
    assert inside["lemur"] == ([1], [])


def test_a_rolled_back_store_inside_a_deferred_batch_leaves_nothing_waiting(empty_archive, crawl_id):
    arc = empty_archive
    with arc.transaction(search_later=True):
        with pytest.raises(RuntimeError), arc.transaction():
            arc.store_article(make_article(url=A, body="The zebra escaped."), crawl_id=crawl_id)
            assert arc.db.execute("SELECT count(*) FROM search_backlog").fetchone()[0] == 3  # the article, 2 FAQ pairs
            raise RuntimeError("this article is not stored")
        kept = arc.store_article(make_article(url=B, body="The okapi escaped."), crawl_id=crawl_id).article_id
    assert _found(arc, "articles_fts", "okapi") == [kept] and _found(arc, "articles_fts", "zebra") == []
    _consistent(arc)


def test_a_deferred_batch_rolled_back_defers_nothing_after_it(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path, create=True) as arc:
        crawl_id = arc.start_crawl([])
        with pytest.raises(RuntimeError), arc.transaction(search_later=True):
            arc.store_article(make_article(url=A, body="The zebra escaped."), crawl_id=crawl_id)
            raise RuntimeError("the batch fails")
        assert arc.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
        arc.store_article(make_article(url=B, body="The okapi escaped."), crawl_id=crawl_id)
    conn = sqlite3.connect(path)  # another connection, another tool: a row it writes is indexed at once
    conn.execute("INSERT INTO faqs (article_id, position, question, answer) VALUES (1, 9, 'A tapir?', 'No.')")
    conn.commit()
    conn.close()
    with Archive(path) as arc:
        assert _found(arc, "articles_fts", "okapi") == [1] and len(_found(arc, "faqs_fts", "tapir")) == 1
        _consistent(arc)


def test_a_deferral_left_committed_is_reported_and_the_next_batch_indexes_what_waits(tmp_path):
    """Only a bug could commit a deferral (the batch ends it before its commit); if one did,
    verify says which rows are not searchable, and the next deferred batch indexes them."""
    path = tmp_path / "a.db"
    with Archive(path, create=True) as arc:
        crawl_id = arc.start_crawl([])
        arc.db.execute("INSERT INTO search_deferred (id) VALUES (1)")
        arc.store_article(make_article(url=A, body="The zebra escaped."), crawl_id=crawl_id)
    problems = [p for c in verify_archive(path) for p in c.problems]
    assert "articles row 1 is not in articles_fts" in problems
    with Archive(path) as arc:
        with arc.transaction(search_later=True):
            arc.store_article(make_article(url=B, body="The okapi escaped."), crawl_id=crawl_id)
        assert _found(arc, "articles_fts", "zebra") == [1] and _found(arc, "articles_fts", "okapi") == [2]
        _consistent(arc)
    assert all(c.ok for c in verify_archive(path))


def test_m015_gives_an_older_archive_the_backlog_and_keeps_its_index(tmp_path):
    """An archive from before m015 (its search triggers index every row at once, no backlog
    tables): opened, it gets the deferring triggers; its index stays whole and a deferred
    batch works on it."""
    path = tmp_path / "old.db"
    with Archive(path, create=True) as arc:
        crawl_id = arc.start_crawl([])
        arc.store_article(make_article(url=A, body="The zebra escaped."), crawl_id=crawl_id)
        names = arc.columns.search_names
    conn = sqlite3.connect(path)
    cols, new = ", ".join(names), ", ".join(f"new.{n}" for n in names)
    conn.executescript(f"""
        DROP TRIGGER articles_ai; DROP TRIGGER articles_ad; DROP TRIGGER articles_au;
        DROP TRIGGER faqs_ai; DROP TRIGGER faqs_ad; DROP TRIGGER faqs_au;
        DROP TABLE search_backlog; DROP TABLE search_deferred;
        CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
          INSERT INTO articles_fts (rowid, {cols}) VALUES (new.id, {new});
        END;
        DELETE FROM _sqlite_migrations WHERE name = 'm015_search_backlog';
    """)
    conn.close()
    with Archive(path) as arc:
        assert not MIGRATIONS.pending(arc.db)
        names = ("articles_ai", "articles_ad", "articles_au", "faqs_ai", "faqs_ad", "faqs_au")
        triggers = dict(arc.db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        assert all("search_backlog" in triggers[name] for name in names)
        with arc.transaction(search_later=True):
            arc.store_article(make_article(url=B, body="The okapi escaped."), crawl_id=crawl_id)
            assert arc.db.execute("SELECT count(*) FROM search_backlog").fetchone()[0] == 3
        assert _found(arc, "articles_fts", "zebra") == [1] and _found(arc, "articles_fts", "okapi") == [2]
        _consistent(arc)
