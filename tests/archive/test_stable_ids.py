"""`archive.stable_ids.renumber`: the same articles stored in any order get the same ids."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

from archive import Archive
from archive.stable_ids import renumber
from archive.model import Faq
from tests.helpers import BASE, make_article

ARTICLES = [
    make_article(f"{BASE}/news/{n}", headline=f"Story {n}", published=datetime(2023, 9, day, tzinfo=timezone.utc),
                 authors=[f"Author {n % 3}", "Jane Doe"], tags=[f"Tag {n}"],
                 faqs=[Faq(f"Question {n}?", f"Answer {n} about quillmarrow{n}.")])
    for n, day in ((1, 20), (2, 3), (3, 11), (4, 3))
]


def numbered(order) -> tuple[list, list]:
    with Archive(":memory:") as archive:
        crawl_id = archive.start_crawl([BASE])
        for i in order:
            archive.store_article(ARTICLES[i], crawl_id=crawl_id, fetched_url=ARTICLES[i].url + "?utm_source=rss")
        renumber(archive)
        q = archive.db.execute
        tables = [q(sql).fetchall() for sql in (
            "SELECT id, canonical_url FROM articles ORDER BY id",
            "SELECT id, name FROM authors ORDER BY id",
            "SELECT id, name FROM tags ORDER BY id",
            "SELECT id, article_id, url FROM article_urls ORDER BY id",
            "SELECT rowid, article_id, question FROM faqs ORDER BY rowid",
            "SELECT article_id, author_id, position FROM article_authors ORDER BY 1, 3",
            "SELECT article_id, tag_id FROM article_tags ORDER BY 1",
            "SELECT article_id, url FROM links ORDER BY 1, 2",
        )]
        found = [(r.id, r.matched) for w in ("quillmarrow3", "story") for r in archive.search(w)]
        assert q("PRAGMA foreign_key_check").fetchall() == []
        return tables, found


def test_any_order_of_storing_gives_the_same_ids():
    first, *others = [numbered(order) for order in itertools.islice(itertools.permutations(range(4)), 0, 24, 5)]
    assert all(other == first for other in others)
    tables, found = first
    # by publication, then URL: story 2 and 4 (3 September), 3, 1
    assert [url.rsplit("/", 1)[1] for _, url in tables[0]] == ["2", "4", "3", "1"]
    assert [name for _, name in tables[1]] == ["Author 0", "Author 1", "Author 2", "Jane Doe"]
    assert (3, ["faq"]) in found and len(found) == 5  # the search indexes follow the new ids
    assert found[0][0] == 3 and {article_id for _, article_id, _ in tables[4]} == {1, 2, 3, 4}
