"""store_article: outcomes, versions, aliases, re-keying and order independence."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from itertools import permutations

import pytest

from archive import Archive, IdentityRefused, StoreResult
from tests.helpers import BASE, make_article
from archive.model import Faq, Link, content_hash, url_key

URL = f"{BASE}/news/uk-politics-66812345"
AMP = f"{BASE}/news/amp/uk-politics-66812345"
SHORT = f"{BASE}/news/66812345"


def names(empty_archive, table, article_id):
    join = {"article_authors": ("authors", "author_id"), "article_tags": ("tags", "tag_id")}[table]
    return [r[0] for r in empty_archive.db.execute(
        f"SELECT n.name FROM {table} x JOIN {join[0]} n ON n.id = x.{join[1]} "
        "WHERE x.article_id = ? ORDER BY x.position", [article_id])]


def urls_of(empty_archive, article_id):
    return {r[0] for r in empty_archive.db.execute("SELECT url FROM article_urls WHERE article_id = ?", [article_id])}


def test_content_hash_covers_headline_body_and_faqs_only():
    article = make_article()
    digest = content_hash(article)
    assert len(digest) == 64
    assert content_hash(replace(article, related_links=[], related_articles=[], tags=["x"])) == digest
    assert content_hash(replace(article, headline="Other")) != digest
    assert content_hash(replace(article, body=article.body + ".")) != digest
    assert content_hash(replace(article, faqs=[Faq("Who resigned?", "Nobody.")])) != digest
    # No ambiguity from concatenation.
    assert content_hash(replace(article, headline="ab", body="c")) != content_hash(
        replace(article, headline="a", body="bc"))


def test_new_article_with_children(empty_archive, crawl_id):
    result = empty_archive.store_article(make_article(), crawl_id=crawl_id, fetched_url=URL + "?utm_source=rss",
                                   parser_version="1.0", fetched_at="2023-09-14T12:00:00+00:00")
    assert result == StoreResult(1, "new", 1)
    row = empty_archive.db.table("articles").get(1)
    assert row["canonical_url"] == URL and row["url_key"] == "bbn.example/news/uk-politics-66812345"
    assert row["version"] == 1 and row["parser_version"] == "1.0" and row["crawl_id"] == crawl_id
    assert row["first_seen"] == row["last_seen"] == "2023-09-14T12:00:00+00:00"
    assert row["published"] == "2023-09-14T09:15:00+00:00"
    assert row["content_hash"] == content_hash(make_article())
    assert json.loads(row["warnings"]) == []
    assert names(empty_archive, "article_authors", 1) == ["Jane Doe", "John Roe"]
    assert names(empty_archive, "article_tags", 1) == ["Budget", "Westminster"]
    assert list(empty_archive.db.query("SELECT position, question, answer FROM faqs ORDER BY position")) == [
        {"position": 1, "question": "Who resigned?", "answer": "The minister."},
        {"position": 2, "question": "When?", "answer": "On Thursday."}]
    assert list(empty_archive.db.query("SELECT kind, position, text, url FROM links ORDER BY kind")) == [
        {"kind": "also_like", "position": 1, "text": "Who is the new minister?",
         "url": f"{BASE}/news/uk-politics-66812399"},
        {"kind": "related", "position": 1, "text": "Budget 2023", "url": f"{BASE}/news/topics/budget"}]
    assert urls_of(empty_archive, 1) == {URL, URL + "?utm_source=rss"}


def test_authors_and_tags_are_shared_and_deduplicated(empty_archive, crawl_id):
    empty_archive.store_article(make_article(authors=["Jane Doe", " Jane Doe ", ""]), crawl_id=crawl_id)
    second = empty_archive.store_article(make_article(f"{BASE}/news/other", headline="Other"), crawl_id=crawl_id)
    assert names(empty_archive, "article_authors", 1) == ["Jane Doe"]
    assert names(empty_archive, "article_authors", second.article_id) == ["Jane Doe", "John Roe"]
    assert empty_archive.counts()["authors"] == 2 and empty_archive.counts()["tags"] == 2


def test_unchanged_moves_last_seen_only(empty_archive, crawl_id):
    empty_archive.store_article(make_article(), crawl_id=crawl_id, fetched_at="2023-09-14T12:00:00+00:00",
                          parser_version="1.0")
    crawl2 = empty_archive.start_crawl([])
    later = make_article(related_links=[], comment_count=99, section="Elsewhere")
    result = empty_archive.store_article(later, crawl_id=crawl2, fetched_at="2023-09-15T12:00:00+00:00",
                                   lastmod="2023-09-15T00:00:00Z", parser_version="2.0")
    assert result == StoreResult(1, "unchanged", 1)
    row = empty_archive.db.table("articles").get(1)
    assert row["first_seen"] == "2023-09-14T12:00:00+00:00"
    assert row["last_seen"] == "2023-09-15T12:00:00+00:00"
    assert row["crawl_id"] == crawl2 and row["last_modified_seen"] == "2023-09-15T00:00:00Z"
    assert (row["comment_count"], row["section"], row["parser_version"]) == (12, "UK Politics", "1.0")
    assert empty_archive.counts()["links"] == 2 and empty_archive.counts()["versions"] == 0


def test_updated_keeps_the_previous_version(empty_archive, crawl_id):
    empty_archive.store_article(make_article(), crawl_id=crawl_id, fetched_at="2023-09-14T12:00:00+00:00")
    crawl2 = empty_archive.start_crawl([])
    changed = make_article(
        headline="Minister resigns after 'budget row'", authors=["Jane Doe"], tags=["Budget"],
        faqs=[Faq("Who resigned?", "The minister, on Thursday.")],
        related_links=[], related_articles=[Link("New link", f"{BASE}/news/x")],
    )
    result = empty_archive.store_article(changed, crawl_id=crawl2, fetched_at="2023-09-15T12:00:00+00:00")
    assert result == StoreResult(1, "updated", 2)
    row = empty_archive.db.table("articles").get(1)
    assert row["headline"] == changed.headline and row["version"] == 2
    assert row["first_seen"] == "2023-09-14T12:00:00+00:00"
    assert names(empty_archive, "article_authors", 1) == ["Jane Doe"]
    assert names(empty_archive, "article_tags", 1) == ["Budget"]
    assert [r["question"] for r in empty_archive.db.table("faqs").rows] == ["Who resigned?"]
    assert [(r["kind"], r["text"]) for r in empty_archive.db.table("links").rows] == [("also_like", "New link")]

    (old,) = empty_archive.db.table("article_versions").rows
    assert old["article_id"] == 1 and old["version"] == 1 and old["crawl_id"] == crawl2
    assert old["fetched_at"] == "2023-09-14T12:00:00+00:00"
    assert old["superseded_at"] == "2023-09-15T12:00:00+00:00"
    original = make_article()
    assert old["headline"] == original.headline and old["body"] == original.body
    assert old["content_hash"] == content_hash(original)
    assert json.loads(old["faqs"]) == [{"question": "Who resigned?", "answer": "The minister."},
                                       {"question": "When?", "answer": "On Thursday."}]
    assert json.loads(old["authors"]) == ["Jane Doe", "John Roe"]
    assert json.loads(old["tags"]) == ["Budget", "Westminster"]
    assert {(link["kind"], link["text"]) for link in json.loads(old["links"])} == {
        ("related", "Budget 2023"), ("also_like", "Who is the new minister?")}

    third = empty_archive.store_article(make_article(), crawl_id=crawl2)
    assert third == StoreResult(1, "updated", 3)
    assert [r["version"] for r in empty_archive.db.table("article_versions").rows] == [1, 2]


@pytest.mark.parametrize("variant", [
    "http://www.bbn.example/news/uk-politics-66812345",
    "https://bbn.example/news/uk-politics-66812345/",
    f"{URL}?utm_source=twitter&utm_medium=social",
    f"{URL}#comments",
])
def test_url_variants_share_one_article(empty_archive, crawl_id, variant):
    empty_archive.store_article(make_article(), crawl_id=crawl_id)
    result = empty_archive.store_article(make_article(variant), crawl_id=crawl_id)
    assert result == StoreResult(1, "unchanged", 1)
    assert urls_of(empty_archive, 1) == {URL, variant}
    assert empty_archive.known_article_id(variant) == 1


def test_amp_copy_with_canonical_is_an_alias(empty_archive, crawl_id):
    empty_archive.store_article(make_article(), crawl_id=crawl_id)
    amp = make_article(AMP, canonical_url=URL, body_html="<amp-p>…</amp-p>")
    result = empty_archive.store_article(amp, crawl_id=crawl_id, fetched_url=AMP)
    assert result == StoreResult(1, "unchanged", 1)
    assert urls_of(empty_archive, 1) == {URL, AMP}
    assert empty_archive.known_article_id(AMP) == 1
    assert empty_archive.db.table("articles").get(1)["url"] == URL


def test_amp_copy_first_then_real_page(empty_archive, crawl_id):
    first = empty_archive.store_article(make_article(AMP, canonical_url=URL), crawl_id=crawl_id)
    second = empty_archive.store_article(make_article(), crawl_id=crawl_id)
    assert first.outcome == "new" and second == StoreResult(1, "unchanged", 1)
    assert urls_of(empty_archive, 1) == {URL, AMP}
    assert empty_archive.counts()["articles"] == 1


def test_canonical_less_copy_becomes_an_alias(empty_archive, crawl_id):
    empty_archive.store_article(make_article(), crawl_id=crawl_id)
    copy = make_article(SHORT, canonical_source="url", related_links=[])
    result = empty_archive.store_article(copy, crawl_id=crawl_id)
    assert result == StoreResult(1, "alias", 1)
    assert empty_archive.counts()["articles"] == 1 and empty_archive.known_article_id(SHORT) == 1
    assert empty_archive.db.table("articles").get(1)["canonical_url"] == URL


def test_explicit_canonicals_are_never_merged_by_content(empty_archive, crawl_id):
    empty_archive.store_article(make_article(), crawl_id=crawl_id)
    result = empty_archive.store_article(make_article(f"{BASE}/news/syndicated-copy"), crawl_id=crawl_id)
    assert result.outcome == "new" and empty_archive.counts()["articles"] == 2


def test_pages_without_text_are_never_merged_by_content(empty_archive, crawl_id):
    empty = dict(canonical_source="url", headline=None, body="", body_html="", faqs=[])
    empty_archive.store_article(make_article(f"{BASE}/news/a", **empty), crawl_id=crawl_id)
    result = empty_archive.store_article(make_article(f"{BASE}/news/b", **empty), crawl_id=crawl_id)
    assert result.outcome == "new" and empty_archive.counts()["articles"] == 2


def test_explicit_canonical_re_keys_a_canonical_less_row(empty_archive, crawl_id):
    empty_archive.store_article(make_article(SHORT, canonical_source="url", section=None), crawl_id=crawl_id)
    result = empty_archive.store_article(make_article(), crawl_id=crawl_id, fetched_url=URL)
    assert result == StoreResult(1, "unchanged", 1)
    row = empty_archive.db.table("articles").get(1)
    assert (row["canonical_url"], row["url_key"], row["url"], row["canonical_source"]) == (
        URL, "bbn.example/news/uk-politics-66812345", URL, "link")
    assert row["section"] == "UK Politics"
    assert urls_of(empty_archive, 1) == {SHORT, URL}
    assert empty_archive.known_article_id(SHORT) == empty_archive.known_article_id(URL) == 1
    assert empty_archive.counts()["articles"] == 1


def test_re_key_with_new_content_is_an_update(empty_archive, crawl_id):
    empty_archive.store_article(make_article(URL, canonical_source="url", headline="Draft"), crawl_id=crawl_id)
    result = empty_archive.store_article(make_article(URL, canonical_url=URL.replace("https", "http"),
                                                canonical_source="og"), crawl_id=crawl_id)
    assert result == StoreResult(1, "updated", 2)
    row = empty_archive.db.table("articles").get(1)
    assert row["canonical_source"] == "og" and row["canonical_url"].startswith("http://")
    assert empty_archive.db.table("article_versions").get(1)["headline"] == "Draft"


def snapshot(empty_archive: Archive) -> dict:
    """The archive's content without ids and timestamps, article ids replaced by canonical URLs."""
    def rows(sql):
        return sorted(tuple(r) for r in empty_archive.db.execute(sql))

    canonical = "(SELECT canonical_url FROM articles a WHERE a.id = x.article_id)"
    skip = {"id", "first_seen", "last_seen", "canonical_url"}
    columns = ["canonical_url"] + [c for c in empty_archive.db.table("articles").columns_dict if c not in skip]
    return {
        "articles": rows(f"SELECT {', '.join(columns)} FROM articles"),
        "article_urls": rows(f"SELECT url, url_key, {canonical} FROM article_urls x"),
        "authors": rows(f"SELECT {canonical}, position, name FROM article_authors x "
                        "JOIN authors ON authors.id = x.author_id"),
        "tags": rows(f"SELECT {canonical}, position, name FROM article_tags x JOIN tags ON tags.id = x.tag_id"),
        "faqs": rows(f"SELECT {canonical}, position, question, answer FROM faqs x"),
        "links": rows(f"SELECT {canonical}, kind, position, text, url FROM links x"),
        "versions": rows(f"SELECT {canonical}, version, content_hash, headline, body FROM article_versions x"),
    }


# Pages of one story: the real page (rel=canonical), a canonical-less short link, a
# canonical-less AMP copy missing some metadata, the real page via a tracking link.
STORY = {
    "real": make_article(),
    "short": make_article(SHORT, canonical_source="url", section=None, tags=[], related_links=[]),
    "amp": make_article(AMP, canonical_source="url", byline=None, body_html="<amp-p/>", related_articles=[]),
    "utm": make_article(URL + "?utm_campaign=x", canonical_url=URL),
}


@pytest.mark.parametrize("pages", [("real", "short"), ("real", "amp"), ("short", "amp"), ("amp", "utm"),
                                   ("real", "short", "amp"), ("short", "amp", "utm")])
def test_order_independence(pages):
    snapshots = []
    for order in permutations(pages):
        with Archive(":memory:") as arc:
            crawl_id = arc.start_crawl([])
            for name in order:
                arc.store_article(STORY[name], crawl_id=crawl_id, lastmod="2023-09-14T10:00:00+00:00")
            assert arc.counts()["articles"] == 1
            snapshots.append(snapshot(arc))
    assert all(s == snapshots[0] for s in snapshots[1:])
    seen = {url for name in pages for url in (STORY[name].url, STORY[name].canonical_url)}
    assert {url for url, *_ in snapshots[0]["article_urls"]} == seen


def test_order_independence_of_the_canonical_pair_in_both_orders():
    """The case of the issue: a page without canonical archived first or second."""
    def run(order):
        with Archive(":memory:") as arc:
            crawl_id = arc.start_crawl([])
            results = [arc.store_article(STORY[name], crawl_id=crawl_id) for name in order]
            return results, snapshot(arc)

    forward, first = run(["short", "real"])
    backward, second = run(["real", "short"])
    assert [r.outcome for r in forward] == ["new", "unchanged"]
    assert [r.outcome for r in backward] == ["new", "alias"]
    assert first == second
    (article,) = first["articles"]
    assert article[0] == URL
    assert {u for u, *_ in first["article_urls"]} == {URL, SHORT}


def test_datetimes_are_stored_as_iso_utc(empty_archive, crawl_id):
    cest = timezone(timedelta(hours=2))
    article = make_article(published=datetime(2023, 9, 14, 10, 15, tzinfo=cest),
                           modified=datetime(2023, 9, 14, 10, 15))
    empty_archive.store_article(article, crawl_id=crawl_id, lastmod=datetime(2023, 9, 14, 12, 0, tzinfo=cest),
                          fetched_at=datetime(2023, 9, 14, 13, 0, 30, tzinfo=timezone.utc))
    row = empty_archive.db.table("articles").get(1)
    assert row["published"] == "2023-09-14T08:15:00+00:00"
    assert row["modified"] == "2023-09-14T10:15:00"
    assert row["last_modified_seen"] == "2023-09-14T10:00:00+00:00"
    assert row["first_seen"] == "2023-09-14T13:00:30+00:00"


def test_hostile_text_round_trips(empty_archive, crawl_id):
    headline = """Robert'); DROP TABLE articles;-- "quoted" ‘curly’ \\ %_ ? :name $1 \x00 end"""
    article = make_article(headline=headline, authors=["O'Brien; DELETE FROM authors"],
                           faqs=[Faq("' OR '1'='1", '"; --')])
    empty_archive.store_article(article, crawl_id=crawl_id)
    row = empty_archive.db.table("articles").get(1)
    assert row["headline"] == headline
    assert names(empty_archive, "article_authors", 1) == ["O'Brien; DELETE FROM authors"]
    assert empty_archive.db.table("faqs").get([1, 1])["question"] == "' OR '1'='1"
    assert empty_archive.store_article(article, crawl_id=crawl_id).outcome == "unchanged"


def test_a_failure_rolls_back_the_whole_article(empty_archive, crawl_id):
    empty_archive.store_article(make_article(), crawl_id=crawl_id)
    before = snapshot(empty_archive), empty_archive.counts()
    broken = make_article(headline="Changed", faqs=[Faq(None, "answer")], authors=["New Author"])
    with pytest.raises(sqlite3.IntegrityError):
        empty_archive.store_article(broken, crawl_id=crawl_id, fetched_url=f"{URL}?utm_source=elsewhere")
    assert (snapshot(empty_archive), empty_archive.counts()) == before
    with pytest.raises(sqlite3.IntegrityError):
        empty_archive.store_article(replace(broken, url=f"{BASE}/news/new"), crawl_id=crawl_id)
    assert (snapshot(empty_archive), empty_archive.counts()) == before
    assert empty_archive.db.execute("SELECT count(*) FROM article_urls WHERE url LIKE '%elsewhere'").fetchone()[0] == 0


def test_lookups_touch_and_aliases(empty_archive, crawl_id):
    assert empty_archive.known_article_id(URL) is None and empty_archive.known_urls() == {}
    article_id = empty_archive.store_article(make_article(), crawl_id=crawl_id, lastmod="2023-09-14",
                                       fetched_at="2000-01-01T00:00:00+00:00").article_id
    known = empty_archive.known_urls()[url_key(URL)]
    assert list(empty_archive.known_urls()) == [url_key(URL)] and known[:3] == (article_id, "2023-09-14", True)
    assert known.article_id == article_id and known.lastmod == "2023-09-14"
    empty_archive.store_article(make_article(), crawl_id=crawl_id)
    assert empty_archive.known_urls()[url_key(URL.replace("https://www.", "http://"))][:3] == known[:3]

    crawl2 = empty_archive.start_crawl([])
    empty_archive.touch_many([article_id], crawl2)
    row = empty_archive.db.table("articles").get(article_id)
    assert row["crawl_id"] == crawl2 and row["last_seen"] > "2000-01-01" and row["version"] == 1

    empty_archive.add_alias(f"{BASE}/go/12345", article_id)
    empty_archive.add_alias(f"{BASE}/go/12345", article_id)
    assert empty_archive.known_article_id(f"{BASE}/go/12345") == article_id
    assert empty_archive.counts()["article_urls"] == 2


def test_a_page_claiming_an_archived_article_may_not_replace_it(empty_archive, crawl_id):
    """Issue 12, item 1: only a page fetched from the article's canonical address (or from the
    address its content came from) replaces its content; a claim is IdentityRefused."""
    empty_archive.store_article(make_article(), crawl_id=crawl_id, fetched_url=URL)
    before = snapshot(empty_archive), empty_archive.counts()
    hostile = make_article(f"{BASE}/hostile", canonical_url=URL, headline="Hijacked")
    with pytest.raises(IdentityRefused, match="archived from another address"):
        empty_archive.store_article(hostile, crawl_id=crawl_id, fetched_url=f"{BASE}/hostile")
    assert (snapshot(empty_archive), empty_archive.counts()) == before
    assert empty_archive.store_article(make_article(headline="Corrected"), crawl_id=crawl_id,
                                       fetched_url=URL).outcome == "updated"


def test_a_claimed_canonical_is_not_known_until_fetched_from_there(empty_archive, crawl_id):
    """An article stored from a page that claims another address (before identity was
    earned, or outside the crawl's scope): the crawl must still fetch the genuine page, which
    then replaces the claimant's content and becomes the stored version's URL."""
    claimant = f"{BASE}/copy"
    empty_archive.store_article(make_article(claimant, canonical_url=URL, headline="Claimed"), crawl_id=crawl_id,
                                fetched_url=claimant)
    assert url_key(URL) not in empty_archive.known_urls() and url_key(claimant) in empty_archive.known_urls()
    assert empty_archive.archived_from(URL) is None
    result = empty_archive.store_article(make_article(), crawl_id=crawl_id, fetched_url=URL)
    assert result.outcome == "updated" and empty_archive.archived_from(URL) == result.article_id
    assert empty_archive.db.table("articles").get(result.article_id)["url"] == URL
    assert url_key(URL) in empty_archive.known_urls()


def test_nested_transactions_roll_back_only_their_own_writes(empty_archive, crawl_id):
    """Savepoints of one name at every depth: a failing inner one undoes its writes alone, the
    outer ones keep theirs and commit; a failing outer one undoes everything inside it."""
    arc = empty_archive

    def error(url):
        arc.record_error(crawl_id, url, "fetch", "x")

    with arc.transaction():
        error("kept/1")
        with arc.transaction():
            error("kept/2")
            with pytest.raises(RuntimeError), arc.transaction():
                error("undone/3")
                raise RuntimeError
            error("kept/4")
        with pytest.raises(RuntimeError), arc.transaction():
            with arc.transaction():
                error("undone/5")
            raise RuntimeError
    assert not arc.db.conn.in_transaction
    assert [u for (u,) in arc.db.execute("SELECT url FROM errors ORDER BY id")] == ["kept/1", "kept/2", "kept/4"]
