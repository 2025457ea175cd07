"""Story clusters kept up to date as articles are stored, changed and deleted (archive.stories)."""
from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from archive import Archive
from archive.items import BodySignature
from archive.stories import StorySettings, _bands, band_hashes, body_signature, clusters, signature
from tests.helpers import make_article


def _store(archive: Archive, articles) -> dict[str, int]:
    crawl = archive.start_crawl(["test"])
    return {a.canonical_url: archive.store_article(a, crawl_id=crawl, fetched_url=a.url).article_id for a in articles}


def _story(archive: Archive, article_id: int) -> int | None:
    row = archive.db.execute("SELECT story_id FROM article_story WHERE article_id = ?", [article_id]).fetchone()
    return row[0] if row else None


def _stats_consistent(archive: Archive) -> None:
    """The stories table says what article_story holds: no empty story, counts right."""
    rows = archive.db.execute(
        "SELECT s.id, s.size, s.sites, s.site_list, s.first_seen, count(x.article_id), count(DISTINCT x.site),"
        " min(x.first_seen) FROM stories s LEFT JOIN article_story x ON x.story_id = s.id GROUP BY s.id").fetchall()
    for story_id, size, sites, site_list, first_seen, members, distinct_sites, earliest in rows:
        assert (size, sites, first_seen) == (members, distinct_sites, earliest) and members > 0, story_id
        site_rows = archive.db.execute("SELECT DISTINCT site FROM article_story WHERE story_id = ? ORDER BY site", [story_id])
        assert site_list == " ".join(site for (site,) in site_rows), story_id
    orphans = archive.db.execute("SELECT count(*) FROM article_story WHERE story_id NOT IN (SELECT id FROM stories)")
    assert orphans.fetchone()[0] == 0
    stale = archive.db.execute("SELECT count(*) FROM lsh_bands b LEFT JOIN article_story x USING (article_id)"
                               " WHERE x.story_id IS NOT b.story_id")  # the index names each row's story
    assert stale.fetchone()[0] == 0
    unindexed = archive.db.execute("SELECT count(*) FROM article_story WHERE article_id NOT IN (SELECT article_id FROM lsh_bands)")
    assert unindexed.fetchone()[0] == 0


# Three bodies from one word list: A and C overlap on 70 of 130 words, C and B too, A and B on
# 40 of 160: A-C and C-B are near-duplicates, A-B not.
WORDS = [f"w{random.Random(7).randrange(10**9)}x{i}" for i in range(160)]
A_BODY, C_BODY, B_BODY = (" ".join(WORDS[i:i + 100]) for i in (0, 30, 60))


def _synthetic(name: str, body: str, host: str = "a.example"):
    return make_article(url=f"https://{host}/{name}", body=body, headline=name)


def test_a_new_copy_joins_the_story_of_its_original(labelled, empty_archive):
    copy, original = next(iter(labelled["copies"].items()))
    ids = _store(empty_archive, [labelled["articles"][original]])
    story = _story(empty_archive, ids[original])
    ids |= _store(empty_archive, [labelled["articles"][copy]])
    assert _story(empty_archive, ids[copy]) == story
    row = empty_archive.db.execute("SELECT size, sites FROM stories WHERE id = ?", [story]).fetchone()
    assert row == (2, 2)
    view = empty_archive.db.execute("SELECT story_id, size, sites, headline FROM multi_site_stories").fetchall()
    assert view == [(story, 2, 2, labelled["articles"][original].headline)]


def test_an_unrelated_story_on_the_same_topic_does_not_join(labelled, empty_archive):
    for own, original in labelled["own"].items():
        ids = _store(empty_archive, [labelled["articles"][original], labelled["articles"][own]])
        assert _story(empty_archive, ids[own]) != _story(empty_archive, ids[original]), own
    assert empty_archive.db.execute("SELECT count(*) FROM multi_site_stories").fetchone()[0] == 0


def test_the_labelled_set_clusters_as_labelled_in_any_order(labelled, tmp_path):
    articles = list(labelled["articles"].values())
    orders = [articles, articles[::-1], random.Random(3).sample(articles, len(articles))]
    found = []
    for n, order in enumerate(orders):
        with Archive(tmp_path / f"{n}.db", create=True) as archive:
            _store(archive, order)
            found.append(clusters(archive.db.conn))
            _stats_consistent(archive)
    assert found[0] == found[1] == found[2] == labelled["truth"]


def test_an_article_linking_two_stories_merges_them_and_its_deletion_splits_them(empty_archive):
    ids = _store(empty_archive, [_synthetic("a", A_BODY), _synthetic("b", B_BODY)])
    a, b = ids["https://a.example/a"], ids["https://a.example/b"]
    assert _story(empty_archive, a) != _story(empty_archive, b)
    c = _store(empty_archive, [_synthetic("c", C_BODY, host="c.example")])["https://c.example/c"]
    assert _story(empty_archive, a) == _story(empty_archive, b) == _story(empty_archive, c)
    assert empty_archive.db.execute("SELECT size, sites FROM stories").fetchall() == [(3, 2)]
    empty_archive.delete_article(c)
    assert _story(empty_archive, a) != _story(empty_archive, b)
    assert empty_archive.db.execute("SELECT count(*) FROM minhashes").fetchone()[0] == 2
    assert empty_archive.db.execute("SELECT count(DISTINCT article_id) FROM lsh_bands").fetchone()[0] == 2
    _stats_consistent(empty_archive)


def test_counts_stay_right_through_random_stores_merges_splits_and_sql_edits(empty_archive):
    """Bodies from overlapping windows of one word list (neighbouring windows are near-duplicates,
    so stories merge and split as windows come and go) on three sites, stored, re-stored with
    another window, deleted, and edited by plain SQL, in a seeded random order."""
    rng = random.Random(11)
    words = [f"q{rng.randrange(10**9)}z{i}" for i in range(1200)]
    body = lambda start: " ".join(words[start:start + 100])  # noqa: E731 - windows 30 apart share 70 words
    names = [f"n{i}" for i in range(30)]
    for step in range(120):
        name, host = rng.choice(names), rng.choice(["a.example", "b.example", "c.example"])
        action = rng.random()
        if action < 0.6:
            _store(empty_archive, [_synthetic(name, body(30 * rng.randrange(36)), host=host)])
        elif action < 0.8:
            row = empty_archive.db.execute("SELECT id FROM articles ORDER BY random() LIMIT 1").fetchone()
            if row:
                empty_archive.delete_article(row[0])
        elif action < 0.9:
            empty_archive.db.execute("UPDATE article_story SET site = ? WHERE article_id ="
                                     " (SELECT article_id FROM article_story ORDER BY article_id LIMIT 1)", [host])
        else:
            empty_archive.db.execute("UPDATE article_story SET first_seen = ? WHERE article_id ="
                                     " (SELECT max(article_id) FROM article_story)", [f"2020-01-{step % 28 + 1:02}"])
        _stats_consistent(empty_archive)
        if step % 10 == 9:  # the incremental clusters are those of a clustering from scratch
            incremental = clusters(empty_archive.db.conn)
            empty_archive.stories.recluster(empty_archive.stories.settings)
            assert clusters(empty_archive.db.conn) == incremental, step
    assert empty_archive.db.execute("SELECT max(size) FROM stories").fetchone()[0] > 2  # merges happened


def test_a_signature_computed_elsewhere_clusters_as_one_computed_at_store(labelled, tmp_path):
    """assign(id, hashvalues) (a bulk load computing signatures in worker processes) ends where
    store_article's own assign does; only the signature is taken from the caller."""
    articles = list(labelled["articles"].values())
    found = []
    for n, given in enumerate((False, True)):
        with Archive(tmp_path / f"{n}.db", create=True) as archive:
            crawl = archive.start_crawl(["test"])
            stories = archive.stories
            for a in articles:
                if given:
                    archive.stories.assign = lambda article_id, **_: None  # store without clustering ...
                article_id = archive.store_article(a, crawl_id=crawl, fetched_url=a.url).article_id
                if given:  # ... then cluster with the signature made outside
                    del archive.stories.assign
                    stories.assign(article_id, signature(a.body, stories.settings).hashvalues)
            found.append(clusters(archive.db.conn))
            _stats_consistent(archive)
    assert found[0] == found[1] == labelled["truth"]


def test_a_parse_workers_signature_is_written_as_is_and_a_wrong_one_is_not(labelled, tmp_path):
    """store_article(signature=body_signature(body)), as the crawl's store gets it from the parse
    workers, ends where the store's own computation does; a signature of another body, or made
    with other settings, is not used: the store computes the body's own."""
    articles = list(labelled["articles"].values())
    other = body_signature("words of another story entirely, nothing like any of these articles")
    wrong_settings = body_signature(articles[0].body, StorySettings(num_perm=64))
    found = []
    for n, given in enumerate((lambda a: None, body_signature, lambda a: other, lambda a: wrong_settings)):
        with Archive(tmp_path / f"{n}.db", create=True) as archive:
            crawl = archive.start_crawl(["test"])
            for a in articles:
                archive.store_article(a, crawl_id=crawl, fetched_url=a.url, signature=given(a.body))
            found.append((clusters(archive.db.conn), archive.db.execute(
                "SELECT a.canonical_url, m.signature FROM minhashes m JOIN articles a ON a.id = m.article_id"
                " ORDER BY 1").fetchall()))
            _stats_consistent(archive)
    assert found[0][0] == labelled["truth"]
    assert found[1] == found[2] == found[3] == found[0]
    assert isinstance(other, BodySignature) and other.values != body_signature(articles[0].body).values


def test_a_new_version_that_rewrites_the_body_leaves_the_story(empty_archive):
    ids = _store(empty_archive, [_synthetic("a", A_BODY), _synthetic("c", C_BODY), _synthetic("b", B_BODY)])
    a, b, c = (ids[f"https://a.example/{n}"] for n in "abc")
    assert len({_story(empty_archive, i) for i in (a, b, c)}) == 1
    result = _store(empty_archive, [_synthetic("c", "An entirely different story about something else today.")])
    assert result["https://a.example/c"] == c
    assert empty_archive.db.execute("SELECT version FROM articles WHERE id = ?", [c]).fetchone()[0] == 2
    assert len({_story(empty_archive, i) for i in (a, b, c)}) == 3
    # and a version that brings the shared text back joins them again
    _store(empty_archive, [_synthetic("c", C_BODY)])
    assert len({_story(empty_archive, i) for i in (a, b, c)}) == 1
    _stats_consistent(empty_archive)


def test_an_unchanged_store_keeps_the_story(labelled, empty_archive):
    copy, original = next(iter(labelled["copies"].items()))
    pair = [labelled["articles"][original], labelled["articles"][copy]]
    ids = _store(empty_archive, pair)
    before = empty_archive.db.execute("SELECT * FROM article_story ORDER BY article_id").fetchall()
    bands = empty_archive.db.execute("SELECT * FROM lsh_bands ORDER BY 1, 2").fetchall()
    _store(empty_archive, pair)
    assert empty_archive.db.execute("SELECT * FROM article_story ORDER BY article_id").fetchall() == before
    assert empty_archive.db.execute("SELECT * FROM lsh_bands ORDER BY 1, 2").fetchall() == bands
    assert len(set(ids.values())) == 2


def test_deleting_an_article_with_sql_keeps_the_counts(labelled, empty_archive):
    copy, original = next(iter(labelled["copies"].items()))
    ids = _store(empty_archive, [labelled["articles"][original], labelled["articles"][copy]])
    empty_archive.db.execute("DELETE FROM articles WHERE id = ?", [ids[copy]])
    assert empty_archive.db.execute("SELECT size, sites FROM stories").fetchall() == [(1, 1)]
    empty_archive.db.execute("DELETE FROM articles WHERE id = ?", [ids[original]])
    assert empty_archive.db.execute("SELECT count(*) FROM stories").fetchone()[0] == 0
    assert empty_archive.db.execute("SELECT count(*) FROM minhashes").fetchone()[0] == 0


def test_the_index_is_in_the_archive_and_shared_by_connections(labelled, tmp_path):
    (copy1, original1), (copy2, original2) = list(labelled["copies"].items())[:2]
    art = labelled["articles"]
    path = tmp_path / "a.db"
    with Archive(path, create=True) as first:
        _store(first, [art[original1]])
    with Archive(path) as first, Archive(path) as second:
        _store(first, [art[copy1]])  # a new connection finds the original stored by another
        _store(second, [art[original2]])  # stored by another connection after `first` stored
        _store(first, [art[copy2]])
        assert clusters(first.db.conn) == {frozenset((copy1, original1)), frozenset((copy2, original2))}


def test_an_archive_from_before_stories_is_clustered_when_opened(labelled, tmp_path):
    copy, original = next(iter(labelled["copies"].items()))
    path = tmp_path / "old.db"
    with Archive(path, create=True) as archive:
        _store(archive, [labelled["articles"][original], labelled["articles"][copy]])
        archive.db.executescript("""
            DROP VIEW multi_site_stories; DROP TABLE article_story; DROP TABLE stories;
            DROP TABLE minhashes; DROP TABLE lsh_bands; DROP TABLE story_settings;
            DELETE FROM _sqlite_migrations WHERE name IN ('m007_stories', 'm009_story_counts', 'm010_band_stories');""")
    with Archive(path) as archive:
        assert clusters(archive.db.conn) == {frozenset((copy, original))}


@pytest.mark.parametrize("field, value", [("threshold", 0.9), ("shingle", 2), ("num_perm", 64)])
def test_reclustering_with_other_settings_keeps_them(labelled, empty_archive, field, value):
    _store(empty_archive, labelled["articles"].values())
    settings = replace(StorySettings.of(empty_archive.db.conn), **{field: value})
    with empty_archive.transaction():
        empty_archive.stories.recluster(settings)
    assert StorySettings.of(empty_archive.db.conn) == settings
    found = clusters(empty_archive.db.conn)
    assert set().union(*found) == set(labelled["articles"])
    # far off the defaults, the clusters are no longer the labelled ones (threshold 0.9 splits
    # copies off, 2-word shingles merge different stories): the settings are in use
    if field != "num_perm":
        assert found != labelled["truth"]
    _stats_consistent(empty_archive)


def test_an_index_from_before_m010_gets_its_stories(labelled, tmp_path):
    path = tmp_path / "m009.db"
    with Archive(path, create=True) as archive:
        _store(archive, list(labelled["articles"].values()))
        before = archive.db.execute("SELECT band_hash, story_id, article_id FROM lsh_bands ORDER BY 1, 2, 3").fetchall()
        expected = clusters(archive.db.conn)
        archive.db.executescript("""
            DROP TRIGGER article_story_bands_au; DROP TRIGGER article_story_bands_ad;
            CREATE TABLE old_bands (band_hash INTEGER NOT NULL, article_id INTEGER NOT NULL,
                                    PRIMARY KEY (band_hash, article_id)) WITHOUT ROWID;
            INSERT INTO old_bands SELECT band_hash, article_id FROM lsh_bands;
            INSERT INTO old_bands VALUES (42, 999999);  -- an article with no story: dropped
            DROP TABLE lsh_bands; ALTER TABLE old_bands RENAME TO lsh_bands;
            DELETE FROM _sqlite_migrations WHERE name = 'm010_band_stories';""")
    with Archive(path) as archive:
        assert archive.db.execute("SELECT band_hash, story_id, article_id FROM lsh_bands ORDER BY 1, 2, 3").fetchall() == before
        assert clusters(archive.db.conn) == expected
        _stats_consistent(archive)


def test_a_candidate_story_is_read_only_in_the_buckets_it_shares(empty_archive):
    """A body sharing an LSH bucket with another story but not similar enough to join it (half
    its words in common: an estimated similarity of about 0.34, under the 0.4 threshold) is
    compared with that story's member in the shared buckets, found with the stories of all
    its buckets in one statement: the writer neither scans the index band by band nor reads a
    bucket again when the story has only that member in it."""
    first = _store(empty_archive, [_synthetic("first", " ".join(WORDS[0:100]))])
    statements: list[str] = []
    empty_archive.db.conn.set_trace_callback(statements.append)
    try:
        second = _store(empty_archive, [_synthetic("second", " ".join(WORDS[50:150]))])
    finally:
        empty_archive.db.conn.set_trace_callback(None)
    shared = empty_archive.db.execute(
        "SELECT count(*) FROM lsh_bands x JOIN lsh_bands y USING (band_hash)"
        " WHERE x.article_id = ? AND y.article_id = ?", [first["https://a.example/first"], second["https://a.example/second"]]).fetchone()[0]
    assert 0 < shared < 5, "the two bodies should share a few of the 31 buckets"
    assert _story(empty_archive, first["https://a.example/first"]) != _story(empty_archive, second["https://a.example/second"])
    bucket_reads = [s for s in statements if "lsh_bands" in s and not s.startswith("INSERT")]
    assert len(bucket_reads) == 1, "the stories of all the signature's buckets, and their members, in one statement"


def test_a_new_article_links_to_the_stories_of_every_near_member_of_its_buckets(tmp_path):
    """The stories an article joins are those of every member of its buckets that is near it
    (brute force: every article sharing a band, compared one by one), whether that member is
    the first of its story in the bucket or comes after others: bodies are windows of one word
    list at many offsets, so stories have several members in a bucket, not all near a probe.
    (With these offsets every link is found through a first member; a link through a later one
    is held by test_a_near_member_behind_a_far_one_in_a_bucket_still_links and the bucket tests.)"""
    rng = random.Random(11)
    words = [f"v{rng.randrange(10**9)}x{i}" for i in range(600)]
    offsets = rng.sample(range(0, 500, 4), 60)
    bodies = {f"b{n}": " ".join(words[o:o + 100]) for n, o in enumerate(offsets)}
    with Archive(tmp_path / "a.db", create=True) as archive:
        ids = _store(archive, [_synthetic(name, body) for name, body in bodies.items()])
        stories = archive.stories
        checked = 0
        for offset in range(0, 500, 7):
            minhash = signature(" ".join(words[offset:offset + 100]), stories.settings)
            bands = stories._band_hashes(minhash.hashvalues)
            expected = _near_stories(archive, minhash, bands)
            assert stories._linked_stories(-1, minhash.hashvalues, bands, json.dumps(bands)) == expected, offset
            checked += bool(expected)
        assert len(set(ids.values())) == 60 and checked > 20, checked


def test_a_near_member_behind_a_far_one_in_a_bucket_still_links(empty_archive):
    """When the first member of a story in a shared bucket is not near, the members after it
    are read and compared: here the bucket holds a far member (lower id) and then the copy."""
    ids = _store(empty_archive, [_synthetic("far", B_BODY), _synthetic("copy", A_BODY)])
    far, copy = ids["https://a.example/far"], ids["https://a.example/copy"]
    stories = empty_archive.stories
    minhash = signature(A_BODY, stories.settings)
    bands = stories._band_hashes(minhash.hashvalues)
    story = _story(empty_archive, far)
    with empty_archive.transaction() as db:  # one story of both, sharing only the probe's first band
        db.execute("UPDATE article_story SET story_id = ? WHERE article_id = ?", [story, copy])
        db.execute("DELETE FROM lsh_bands WHERE article_id = ? AND band_hash != ?", [copy, bands[0]])
        db.execute("DELETE FROM lsh_bands WHERE article_id = ?", [far])
        db.execute("INSERT INTO lsh_bands (band_hash, story_id, article_id) VALUES (?, ?, ?)", [bands[0], story, far])
    found, reads = _look(empty_archive, minhash, bands)
    assert found == [story]
    assert any(r.startswith("SELECT l.article_id, m.signature FROM lsh_bands") for r in reads), "the bucket's members were read"


def _look(archive: Archive, minhash, bands: list[int]) -> tuple[list[int], list[str]]:
    """The stories the writer links a signature to (`Stories._linked_stories`), and the
    statements it ran to find them."""
    statements: list[str] = []
    archive.db.conn.set_trace_callback(statements.append)
    try:
        return archive.stories._linked_stories(-1, minhash.hashvalues, bands, json.dumps(bands)), statements
    finally:
        archive.db.conn.set_trace_callback(None)


def _near_stories(archive: Archive, minhash, bands: list[int]) -> list[int]:
    """Brute force: the stories of every article sharing a band with the signature whose share
    of equal values reaches the threshold, each compared on its own."""
    rows = archive.db.execute(
        "SELECT b.story_id, m.signature FROM lsh_bands b JOIN minhashes m USING (article_id)"
        " WHERE b.band_hash IN (SELECT value FROM json_each(?))", [json.dumps(bands)]).fetchall()
    values = minhash.hashvalues.astype(np.uint32)
    return sorted({story for story, blob in rows
                   if (np.frombuffer(blob, dtype=np.uint32) == values).mean() >= archive.stories.settings.threshold})


def _template_bodies(count: int, seed: int) -> tuple[list[str], list[str]]:
    """`count` bodies of one long shared passage (a template) and a few words of their own, so
    that they share buckets; and probes with half that passage, which share a few buckets
    with them without being near any."""
    rng = random.Random(seed)
    shared = [f"t{rng.randrange(10**9)}" for _ in range(120)]
    own = lambda n: [f"o{rng.randrange(10**9)}" for _ in range(n)]  # noqa: E731
    bodies = [" ".join(shared + own(rng.randrange(5, 30))) for _ in range(count)]
    probes = [" ".join(shared[:60] + own(rng.randrange(60, 90))) for _ in range(40)]
    return bodies, probes


def test_a_big_storys_bucket_is_read_once_for_the_articles_it_does_not_link(tmp_path):
    """A story of many members in the buckets of articles it does not link (a site's
    template-written pages) is read once: the next such article compares the signatures held,
    reading only the members added since, and links as brute force says."""
    bodies, probes = _template_bodies(300, seed=5)
    with Archive(tmp_path / "a.db", create=True) as archive:
        _store(archive, [_synthetic(f"t{n}", body) for n, body in enumerate(bodies)])
        stories = archive.stories
        assert archive.db.execute("SELECT max(size) FROM stories").fetchone()[0] == 300
        looks: dict[str, list[int]] = {}  # bucket -> the statements reading its members, at each look
        for probe in probes:
            minhash = signature(probe, stories.settings)
            bands = stories._band_hashes(minhash.hashvalues)
            found, statements = _look(archive, minhash, bands)
            assert found == _near_stories(archive, minhash, bands)
            reads = Counter(re.search(r"band_hash = (-?\d+)", s)[1] for s in statements
                            if s.startswith("SELECT l.article_id, m.signature FROM lsh_bands"))
            for bucket, count in reads.items():
                looks.setdefault(bucket, []).append(count)
        assert looks, "the probes should share buckets with the story without linking to it"
        assert max(counts[0] for counts in looks.values()) >= 3, "300 members are read CHUNK and then more at a time"
        again = [count for counts in looks.values() for count in counts[1:]]
        assert again and max(again) == 1, "a bucket read before costs one statement: the members added since"


def test_the_buckets_held_are_bounded(tmp_path, monkeypatch):
    """Past HELD_SIGNATURES distinct signatures, the buckets held are forgotten (and read again
    when needed): the links stay those brute force finds."""
    monkeypatch.setattr("archive.stories.HELD_SIGNATURES", 25)
    bodies, probes = _template_bodies(120, seed=5)
    with Archive(tmp_path / "a.db", create=True) as archive:
        _store(archive, [_synthetic(f"t{n}", body) for n, body in enumerate(bodies)])
        stories, reads = archive.stories, []
        archive.db.conn.set_trace_callback(lambda s: reads.append(s) if "l.article_id > " in s else None)
        for probe in probes:
            minhash = signature(probe, stories.settings)
            bands = stories._band_hashes(minhash.hashvalues)
            assert stories._linked_stories(-1, minhash.hashvalues, bands, json.dumps(bands)) == \
                _near_stories(archive, minhash, bands)
            assert stories._held == sum(len(b.signatures) for b in stories._buckets.values()) <= 25
        assert len(reads) > 10, "buckets of more than 25 members, read again each time"


CHANGES = ("rolled_back", "moved_in_by_sql", "stored_again_under_its_id", "id_used_again", "other_connection")


@pytest.mark.parametrize("change", CHANGES)
def test_a_bucket_held_by_the_writer_follows_a_change_of_its_members(tmp_path, change):
    """After the writer has read a story's bucket (none of its members near a probe), a change
    that puts a member near the probe into it below the last id read, or takes one out, is
    seen: the stories the probe links to are those brute force finds. The changes: a write
    rolled back, a member moved in by SQL, a member stored again under its id with another
    signature, an id used again, the same by another connection."""
    bodies, probes = _template_bodies(40, seed=5)
    settings = StorySettings()
    bands_of = lambda body: band_hashes(signature(body, settings).hashvalues, settings.threshold, settings.num_perm)  # noqa: E731
    buckets: dict[int, list[int]] = {}
    for n, body in enumerate(bodies):
        for band in bands_of(body):
            buckets.setdefault(band, []).append(n)
    # the probe sharing a bucket with the most members of the story
    size, text, band = max((len(buckets.get(band, ())), text, band) for text in probes for band in bands_of(text))
    members = buckets[band]
    assert size >= 4, "a probe should share a bucket with several of the story's members"
    probe = signature(text, settings)
    bands = band_hashes(probe.hashvalues, settings.threshold, settings.num_perm)
    # a signature near the probe (a value changed in each other band) sharing only that bucket with it
    near = probe.hashvalues.astype(np.uint32).copy()
    rows = _bands(settings.threshold, settings.num_perm)[1]
    for other_band in range(len(bands)):
        if bands[other_band] != band:
            near[other_band * rows] += 1
    near_bands = band_hashes(near, settings.threshold, settings.num_perm)
    assert set(near_bands) & set(bands) == {band}

    def give_near(db, article_id: int, story: int) -> None:
        db.execute("DELETE FROM lsh_bands WHERE article_id = ?", [article_id])
        db.execute("DELETE FROM minhashes WHERE article_id = ?", [article_id])
        db.execute("INSERT INTO minhashes (article_id, body_hash, signature) VALUES (?, 'x', ?)", [article_id, near.tobytes()])
        db.execute("INSERT INTO lsh_bands (band_hash, story_id, article_id) SELECT value, ?, ? FROM json_each(?)",
                   [story, article_id, json.dumps(near_bands)])

    order = [*range(members[0] + 1), "other", *range(members[0] + 1, len(bodies))]  # its id: after the bucket's first
    path = tmp_path / "a.db"
    with Archive(path, create=True) as archive, Archive(path) as other:
        ids = _store(archive, [_synthetic("other", " ".join(WORDS)) if n == "other" else
                               _synthetic(f"t{n}", bodies[n]) for n in order])
        alone, moved = ids["https://a.example/other"], ids[f"https://a.example/t{members[2]}"]
        story = _story(archive, moved)
        assert archive.db.execute("SELECT size FROM stories WHERE id = ?", [story]).fetchone()[0] == 40
        with archive.transaction() as db:
            give_near(db, alone, _story(archive, alone))  # a story of its own, near the probe
        stories = archive.stories

        def look() -> list[int]:
            found = stories._linked_stories(-1, probe.hashvalues, bands, json.dumps(bands))
            assert found == _near_stories(archive, probe, bands)
            return found

        assert look() == [_story(archive, alone)] and (band, story) in stories._buckets, "the story's bucket is held"
        if change == "rolled_back":
            with pytest.raises(RuntimeError), archive.transaction() as db:
                db.execute("UPDATE article_story SET story_id = ? WHERE article_id = ?", [story, alone])
                assert story in look()
                raise RuntimeError("rolled back")
            assert story not in look()
        elif change == "moved_in_by_sql":
            with archive.transaction() as db:
                db.execute("UPDATE article_story SET story_id = ? WHERE article_id = ?", [story, alone])
            assert story in look()
        else:  # the member `moved` (in the bucket, below the last id read) gets the near signature
            with (other if change == "other_connection" else archive).transaction() as db:
                if change == "stored_again_under_its_id":
                    stories.forget(moved)
                    db.execute("INSERT INTO article_story (article_id, story_id, site, first_seen)"
                               " VALUES (?, ?, 'a.example', '')", [moved, story])
                give_near(db, moved, story)
                if change == "id_used_again":
                    db.execute("DELETE FROM lsh_bands WHERE article_id = ?", [moved])
                    stories._index(moved, near_bands, json.dumps(near_bands), story)
            assert story in look()


def test_a_parse_workers_band_hashes_are_indexed_only_for_the_archives_threshold(labelled, tmp_path):
    """The band hashes a parse worker sends with the signature are the LSH index's rows when
    they were made for the archive's threshold (the store does not compute them again); made
    for another threshold, or with the signature of another body, they are not used."""
    a = next(iter(labelled["articles"].values()))
    good = body_signature(a.body)
    marked = replace(good, bands=[-i for i in range(1, len(good.bands) + 1)])  # the worker's, as sent
    other_threshold = replace(marked, threshold=0.5)
    other_body = replace(body_signature("words of another story entirely, nothing like this article"),
                         bands=marked.bands)
    found = []
    for n, given in enumerate((None, good, marked, other_threshold, other_body)):
        with Archive(tmp_path / f"{n}.db", create=True) as archive:
            archive.store_article(a, crawl_id=archive.start_crawl(["test"]), fetched_url=a.url, signature=given)
            found.append(sorted(b for (b,) in archive.db.execute("SELECT band_hash FROM lsh_bands")))
    assert found[0] == found[1] == sorted(good.bands)
    assert found[2] == sorted(marked.bands)
    assert found[3] == found[4] == found[0]
