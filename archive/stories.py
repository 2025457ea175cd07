"""Story clusters: articles whose bodies are near-duplicates (one story carried, rewritten, by
several sites), found with datasketch's MinHash signatures of word shingles and LSH banding.

A story is a connected component of the near-duplicate graph: two articles are linked when
LSH makes them candidates and their estimated Jaccard similarity is at least the threshold.
The graph depends only on the bodies, so the clusters are the same whatever order articles
arrive in. `Stories.assign` keeps them up to date one article at a time: a new article joins
(and may merge) the stories of its neighbours; a changed or deleted one leaves its story,
which splits if that article held it together. Every article with a body is in exactly one
story (most alone); the stories table's counts are kept by SQL triggers on article_story.

The LSH index lives in the archive, beside the signatures (table minhashes): table lsh_bands
holds each article's band hashes, with the bands and rows datasketch's MinHashLSH chooses for
the threshold. A query is one indexed SQL lookup, so nothing is rebuilt at open, memory does
not grow with the archive, and every connection sees the same index. (MinHashLSH's in-memory
index was measured at 7.9 KB of RAM per article and 0.4 s per 1,000 articles to rebuild: 8 GB
and minutes for a million-article archive.)
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np

from .items import BodySignature

if TYPE_CHECKING:
    from datasketch import MinHash

WORD = re.compile(r"\w+")
SEED = 1  # MinHash permutations: fixed, so that signatures stay comparable across runs
SCHEME = "affine32"  # datasketch 2's default permutation scheme: hash values below 2**32, stored as uint32
# LSH bands chosen to miss few pairs above the threshold (false negatives weigh 0.8): the
# extra candidates cost a signature comparison each, never a wrong link. A band hash is the
# first 8 bytes of blake2b of the band's number and values.
LSH_WEIGHTS = (0.2, 0.8)
CHUNK = 16  # a story's members read first from a bucket when looking for its first link; then 4x more, up to...
MAX_CHUNK = 1024  # ...this many at a time
HELD_SIGNATURES = 65536  # distinct signatures a writer keeps of the buckets it read (32 MiB at 128 permutations)
# The distinct stories of each bucket of a signature's bands (a JSON list), in band order: a skip
# scan of the (band_hash, story_id, article_id) key, one seek per story of a bucket whatever its
# size, and none but the first for the buckets nobody occupies - in one statement rather than a
# round trip from Python for each seek. Each (band, story) row comes with the story's lowest
# member in that bucket and its signature, and its second member (NULL when the story has one
# member there): most candidate stories are settled by their first members, compared at once,
# without a statement of their own.
_BUCKET_FIRSTS = """
WITH RECURSIVE found(position, band, story) AS (
    SELECT key, value, (SELECT story_id FROM lsh_bands WHERE band_hash = value ORDER BY story_id LIMIT 1)
    FROM json_each(?)
    UNION ALL
    SELECT position, band, (SELECT story_id FROM lsh_bands WHERE band_hash = band AND story_id > story
                            ORDER BY story_id LIMIT 1)
    FROM found WHERE story IS NOT NULL
),
firsts AS (
    SELECT position, band, story,
           (SELECT article_id FROM lsh_bands WHERE band_hash = band AND story_id = story
            ORDER BY article_id LIMIT 1) AS first,
           (SELECT article_id FROM lsh_bands WHERE band_hash = band AND story_id = story
            ORDER BY article_id LIMIT 1 OFFSET 1) AS second
    FROM found WHERE story IS NOT NULL
)
SELECT band, story, first, m.signature, second FROM firsts LEFT JOIN minhashes m ON m.article_id = first
ORDER BY position, story"""
# A bucket's members of a story after the last one read, with their signatures; and the count
# and sum of the ids up to it, which say whether what was read still holds (_Bucket).
_BUCKET_AFTER = ("SELECT l.article_id, m.signature FROM lsh_bands l LEFT JOIN minhashes m USING (article_id)"
                 " WHERE l.band_hash = ? AND l.story_id = ? AND l.article_id > ? ORDER BY l.article_id LIMIT ?")
_BUCKET_READ = ("SELECT count(*), coalesce(sum(article_id), 0) FROM lsh_bands"
                " WHERE band_hash = ? AND story_id = ? AND article_id <= ?")


@dataclass(frozen=True)
class StorySettings:
    """How near is a near-duplicate. The defaults are the middle of the range that clusters
    the labelled sister-site set perfectly (bench/stories_bench.py, bench/README.md: precision
    and recall 1.0 for thresholds 0.36 to 0.43 with these shingles and permutations); copies
    score 0.48 and up, different stories of the template-written sample site up to 0.34."""

    threshold: float = 0.4  # estimated Jaccard similarity of shingle sets that links two articles
    num_perm: int = 128  # MinHash permutations (signature length; stored as 4 bytes each)
    shingle: int = 4  # words per shingle

    @classmethod
    def of(cls, db: sqlite3.Connection) -> StorySettings:
        """The settings the archive was clustered with (table story_settings)."""
        row = db.execute("SELECT threshold, num_perm, shingle FROM story_settings").fetchone()
        return cls(*row) if row else cls()


def shingles(text: str, size: int) -> set[bytes]:
    """The body's word `size`-grams, lower-cased; a body shorter than that is one shingle."""
    words = WORD.findall(text.lower())
    return {" ".join(words[i:i + size]).encode() for i in range(max(1, len(words) - size + 1))} if words else set()


def body_signature(text: str | None, settings: StorySettings | None = None) -> BodySignature | None:
    """The body's signature as data (`archive.items.BodySignature`), for a parse worker to
    compute and send to the store; None for a body without words."""
    settings = settings or StorySettings()
    minhash = signature(text or "", settings)
    if minhash is None:
        return None
    return BodySignature(settings.num_perm, settings.shingle, _body_hash(text or ""),
                         minhash.hashvalues.astype("<u4").tobytes(), settings.threshold,
                         band_hashes(minhash.hashvalues, settings.threshold, settings.num_perm))


def signature(text: str, settings: StorySettings) -> MinHash | None:
    """The MinHash of the body's shingles; None for a body without words."""
    from datasketch import MinHash  # here: datasketch imports scipy, 0.6 s that no command reading an archive needs

    grams = shingles(text, settings.shingle)
    if not grams:
        return None
    minhash = MinHash(num_perm=settings.num_perm, seed=SEED, scheme=SCHEME, permutations=_permutations(settings.num_perm))
    minhash.update_batch(list(grams))
    return minhash


@lru_cache(maxsize=8)
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """MinHashLSH's (bands, rows) for the threshold, computed once (it integrates numerically)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def band_hashes(hashvalues: np.ndarray, threshold: float, num_perm: int) -> list[int]:
    """The LSH index's keys of a signature: each band's hash (the bands and rows MinHashLSH
    chooses for `threshold`), as signed 64-bit integers."""
    bands, rows = _bands(threshold, num_perm)
    values, width = hashvalues.astype(np.uint32).tobytes(), 4 * rows  # sliced as bytes: cheaper than arrays
    return [int.from_bytes(hashlib.blake2b(prefix + values[band * width:(band + 1) * width], digest_size=8).digest(),
                           "big", signed=True) for band, prefix in enumerate(_band_prefixes(bands))]


@lru_cache(maxsize=8)
def _band_prefixes(bands: int) -> tuple[bytes, ...]:
    """Each band's number as the 2 bytes its hash starts with."""
    return tuple(band.to_bytes(2, "big") for band in range(bands))


@lru_cache(maxsize=4)
def _permutations(num_perm: int):
    """The permutations of SEED (drawing them anew costs more than hashing a body)."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME).permutations


def site_of(url: str) -> str:
    """The site an article belongs to: its canonical URL's host (and port)."""
    return urlsplit(url).netloc.lower()


def _body_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Bucket:
    """What a writer has read of one story's members in one LSH bucket: the members up to
    article id `last`, `count` of them, their ids summing to `total`, and their distinct
    signatures (`signatures`, rows of `matrix`). Members are only added with higher ids (new
    articles), so a later look reads the members after `last` and compares only those; it
    first checks the count and sum up to `last`, which change when a member left or came in
    below it (a merge, a split, a rolled-back write, an edit in SQL)."""

    last: int = -1
    count: int = 0
    total: int = 0
    signatures: set[bytes] = field(default_factory=set)
    matrix: np.ndarray | None = None

    def add(self, rows: list[tuple[int, bytes | None]]) -> np.ndarray | None:
        """Take members (article id, signature) read after `last`; returns the signatures not
        held before, as a matrix (None: none)."""
        fresh = []
        for article_id, blob in rows:
            if blob is not None and blob not in self.signatures:
                self.signatures.add(blob)
                fresh.append(blob)
            self.count, self.total, self.last = self.count + 1, self.total + article_id, article_id
        if not fresh:
            return None
        added = np.frombuffer(b"".join(fresh), dtype=np.uint32).reshape(len(fresh), -1)
        self.matrix = added if self.matrix is None else np.concatenate([self.matrix, added])
        return added


class Stories:
    """The story clusters of one archive connection `conn`; writes happen in the caller's
    transaction. What it reads of big buckets is kept (`_Bucket`, HELD_SIGNATURES at most) for
    the next article: a story of thousands of members sharing a bucket with many articles it
    does not link (a site's template-written pages) is then read once, not once per article."""

    def __init__(self, conn: sqlite3.Connection, settings: StorySettings | None = None):
        self.conn = conn
        self.settings = settings or StorySettings.of(conn)
        self._buckets: dict[tuple[int, int], _Bucket] = {}
        self._held = 0  # distinct signatures in _buckets
        self._data_version: int | None = None  # PRAGMA data_version when _buckets were read

    # The LSH index

    def _band_hashes(self, hashvalues: np.ndarray, precomputed: BodySignature | None = None) -> list[int]:
        """The signature's band hashes: `precomputed`'s (its values being `hashvalues`) when made
        for the archive's threshold, computed here otherwise."""
        threshold, num_perm = self.settings.threshold, self.settings.num_perm
        if precomputed is not None and precomputed.threshold == threshold and precomputed.bands is not None \
                and len(precomputed.bands) == _bands(threshold, num_perm)[0]:
            return precomputed.bands
        return band_hashes(hashvalues, threshold, num_perm)

    def _index(self, article_id: int, bands: list[int], listed: str, story_id: int) -> None:
        """Put the article's band hashes (`bands`; `listed`, as a JSON list) in the index: one
        statement. A bucket read up to a higher id than this article's (an id used again)
        is forgotten: its members after `last` are no longer all that is new."""
        self.conn.execute("INSERT OR IGNORE INTO lsh_bands (band_hash, story_id, article_id)"
                          " SELECT value, ?, ? FROM json_each(?)", [story_id, article_id, listed])
        if self._buckets:
            for band in bands:
                bucket = self._buckets.get((band, story_id))
                if bucket is not None and article_id <= bucket.last:
                    self._drop((band, story_id))

    def _linked_stories(self, article_id: int, hashvalues: np.ndarray, bands: list[int], listed: str) -> list[int]:
        """The stories holding a neighbour of `article_id` (an LSH candidate, sharing a band,
        whose estimated Jaccard similarity - the share of equal MinHash values, as
        MinHash.jaccard computes it - reaches the threshold), in id order. One statement
        (_BUCKET_FIRSTS) finds each bucket's distinct stories by one index seek each, with
        each story's first member in the bucket and its signature; those are compared at
        once. Only a story none of whose first members is near, and which has more members
        in a bucket, has them read, CHUNK at a time, until one links (`_links`): a story of
        thousands (a syndicated story, a site's template-written pages) costs a chunk, not
        thousands of rows. `listed`: `bands` as a JSON list."""
        values = hashvalues.astype(np.uint32)
        seen: dict[int, set[int]] = {}  # story -> its first members, compared
        blobs: list[bytes] = []
        owners: list[int] = []  # the story of each signature in blobs
        more: dict[int, list[int]] = {}  # story -> the buckets holding more of its members, in band order
        for band, story, first, blob, second in self.conn.execute(_BUCKET_FIRSTS, [listed]):
            firsts = seen.setdefault(story, {article_id})
            if first not in firsts and blob is not None:
                firsts.add(first)
                blobs.append(blob)
                owners.append(story)
            if second is not None:
                more.setdefault(story, []).append(band)
        linked = set()
        if blobs:
            stored = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), -1)
            linked = {story for story, near in zip(owners, self._near(stored, values)) if near}
        if more:
            self._check_data_version()
        return [story for story in sorted(seen)
                if story in linked or story in more and any(self._links(story, band, values) for band in more[story])]

    def _links(self, story_id: int, band: int, values: np.ndarray) -> bool:
        """Whether a member of `story_id` in the bucket `band` is a neighbour (MinHash `values`):
        every member is compared, unless one links first. The members read before (`_Bucket`)
        are compared at once, then those after them are read, CHUNK and then more at a time."""
        key = (band, story_id)
        bucket = self._buckets.get(key)
        if bucket is not None and self.conn.execute(_BUCKET_READ, [band, story_id, bucket.last]).fetchone() \
                != (bucket.count, bucket.total):
            self._drop(key)
            bucket = None
        if bucket is None:
            bucket = self._buckets[key] = _Bucket()
        elif bucket.matrix is not None and self._near(bucket.matrix, values).any():
            return True
        size, linked = CHUNK, False
        while not linked:
            rows = self.conn.execute(_BUCKET_AFTER, [band, story_id, bucket.last, size]).fetchall()
            fresh = bucket.add(rows)
            if fresh is not None:
                self._held += len(fresh)
                linked = bool(self._near(fresh, values).any())
            if len(rows) < size:
                break
            size = min(4 * size, MAX_CHUNK)
        self._bound()
        return linked

    def _drop(self, key: tuple[int, int]) -> None:
        """Forget what was read of one bucket's story."""
        bucket = self._buckets.pop(key, None)
        if bucket is not None:
            self._held -= len(bucket.signatures)

    def _bound(self) -> None:
        """Keep HELD_SIGNATURES at most: past it, forget every bucket read (they are read again)."""
        if self._held > HELD_SIGNATURES:
            self.drop_buckets()

    def drop_buckets(self) -> None:
        """Forget every bucket read (after a change that `_Bucket`'s check would not see: a
        member's signature changed under the same id)."""
        self._buckets.clear()
        self._held = 0

    def _check_data_version(self) -> None:
        """Forget the buckets read when another connection has committed since they were."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self.drop_buckets()
            self._data_version = version

    def _near(self, stored: np.ndarray, values: np.ndarray) -> np.ndarray:
        """For each signature (a row of `stored`), whether it reaches the threshold against
        `values`: its share of equal values, as MinHash.jaccard computes it."""
        return np.count_nonzero(stored == values, axis=1) / stored.shape[1] >= self.settings.threshold

    # Keeping clusters up to date

    def assign(self, article_id: int, hashvalues: np.ndarray | None = None,
               precomputed: BodySignature | None = None) -> int | None:
        """Put the stored article in its story, after a store or update; returns the story id
        (None: no body). Nothing is done when its body and site are unchanged. `hashvalues`:
        its body's `signature(...).hashvalues` under the archive's settings, computed elsewhere;
        or `precomputed`, a parse worker's `body_signature`, used when it was computed with the
        archive's settings from the body stored; computed here otherwise."""
        row = self.conn.execute("SELECT canonical_url, body, first_seen FROM articles WHERE id = ?", [article_id]).fetchone()
        if row is None:
            self.forget(article_id)
            return None
        url, body, first_seen = row
        body, site = body or "", site_of(url)
        body_hash = _body_hash(body)
        known = self.conn.execute(
            "SELECT m.body_hash, s.site, s.story_id FROM minhashes m JOIN article_story s USING (article_id)"
            " WHERE article_id = ?", [article_id]).fetchone()
        if known and known[0] == body_hash and known[1] == site:
            return known[2]
        if known:
            self.forget(article_id)
        self.settings = StorySettings.of(self.conn)  # another connection may have reclustered
        if hashvalues is None and precomputed is not None and (
                precomputed.num_perm, precomputed.shingle, precomputed.body_hash, len(precomputed.values)) == (
                self.settings.num_perm, self.settings.shingle, body_hash, 4 * self.settings.num_perm):
            hashvalues = np.frombuffer(precomputed.values, dtype="<u4")
        else:
            precomputed = None  # not this body's, or not under these settings: its bands neither
        if hashvalues is None:
            minhash = signature(body, self.settings)
            if minhash is None:
                return None
            hashvalues = minhash.hashvalues
        bands = self._band_hashes(hashvalues, precomputed)
        listed = json.dumps(bands)
        stories = self._linked_stories(article_id, hashvalues, bands, listed)
        self.conn.execute("INSERT INTO minhashes (article_id, body_hash, signature) VALUES (?, ?, ?)",
                          [article_id, body_hash, hashvalues.astype(np.uint32).tobytes()])
        if stories:
            story_id = stories[0]
            if len(stories) > 1:
                marks = ", ".join("?" * (len(stories) - 1))
                self.conn.execute(f"UPDATE article_story SET story_id = ? WHERE story_id IN ({marks})", stories)
        else:
            story_id = self.conn.execute("INSERT INTO stories (first_seen) VALUES (?)", [first_seen]).lastrowid
        self.conn.execute("INSERT INTO article_story (article_id, story_id, site, first_seen) VALUES (?, ?, ?, ?)",
                          [article_id, story_id, site, first_seen])
        self._index(article_id, bands, listed, story_id)
        return story_id

    def forget(self, article_id: int) -> None:
        """Take the article out of its story and of the index (before it is deleted, or when its
        body changed); the rest of its story splits into its connected components."""
        self.drop_buckets()  # its id may come back with another signature
        row = self.conn.execute("SELECT story_id FROM article_story WHERE article_id = ?", [article_id]).fetchone()
        self.conn.execute("DELETE FROM article_story WHERE article_id = ?", [article_id])  # its bands go too (trigger)
        self.conn.execute("DELETE FROM minhashes WHERE article_id = ?", [article_id])
        if row is not None:
            self._split(row[0])

    def _split(self, story_id: int) -> None:
        """Regroup the members of `story_id` into connected components: the one holding its
        lowest article id keeps the story, each other one becomes a new story. The members'
        signatures and bands are read once and the components walked in memory, each bucket
        rid of the members already placed: a story of n members costs its n x bands rows, not
        n bucket reads of n rows each."""
        rows = self.conn.execute(
            "SELECT s.article_id, m.signature FROM article_story s JOIN minhashes m USING (article_id)"
            " WHERE s.story_id = ? ORDER BY s.article_id", [story_id]).fetchall()
        if len(rows) < 2:
            return
        members = [article_id for article_id, _ in rows]
        at = {article_id: i for i, article_id in enumerate(members)}
        signatures = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.uint32).reshape(len(rows), -1)
        buckets: dict[int, set[int]] = {}
        bands_of: list[list[int]] = [[] for _ in members]
        for article_id, band in self.conn.execute(
                "SELECT b.article_id, b.band_hash FROM article_story s JOIN lsh_bands b USING (article_id)"
                " WHERE s.story_id = ?", [story_id]):
            buckets.setdefault(band, set()).add(at[article_id])
            bands_of[at[article_id]].append(band)
        left = set(range(len(members)))
        components = []
        for start in range(len(members)):
            if start not in left:
                continue
            component, frontier = [start], [start]
            left.discard(start)
            while frontier:
                current = frontier.pop()
                for band in bands_of[current]:
                    buckets[band] &= left  # the members placed meanwhile leave the bucket
                    mates = sorted(buckets[band])
                    if not mates:
                        continue
                    for mate, near in zip(mates, self._near(signatures[mates], signatures[current])):
                        if near:
                            left.discard(mate)
                            component.append(mate)
                            frontier.append(mate)
            components.append(component)
        for component in components[1:]:
            new_id = self.conn.execute("INSERT INTO stories (first_seen) VALUES ('')").lastrowid
            self.conn.executemany("UPDATE article_story SET story_id = ? WHERE article_id = ?",
                                  [(new_id, members[i]) for i in sorted(component)])

    def recluster(self, settings: StorySettings) -> None:
        """Cluster every article again with `settings`, which the archive keeps from then on
        (in the caller's transaction): the one full recomputation, for changed settings."""
        self.conn.execute("UPDATE story_settings SET threshold = ?, num_perm = ?, shingle = ?",
                          [settings.threshold, settings.num_perm, settings.shingle])
        for table in ("article_story", "lsh_bands", "minhashes", "stories"):
            self.conn.execute(f"DELETE FROM {table}")
        self.drop_buckets()
        self.settings = settings
        self.assign_all()

    def assign_all(self) -> None:
        """Cluster every article not clustered yet (an archive from before stories)."""
        for (article_id,) in self.conn.execute(
                "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM article_story) ORDER BY id").fetchall():
            self.assign(article_id)


def clusters(conn: sqlite3.Connection) -> set[frozenset[str]]:
    """Every story as the set of its articles' canonical URLs: what order independence compares."""
    groups: dict[int, set[str]] = {}
    for story_id, url in conn.execute(
            "SELECT s.story_id, a.canonical_url FROM article_story s JOIN articles a ON a.id = s.article_id"):
        groups.setdefault(story_id, set()).add(url)
    return {frozenset(g) for g in groups.values()}


def list_stories(conn: sqlite3.Connection, min_sites: int = 2) -> list[dict]:
    """The stories carried by at least `min_sites` sites, largest first, with their articles."""
    stories = []
    for story_id, first_seen, sites, size in conn.execute(
            "SELECT id, first_seen, sites, size FROM stories WHERE sites >= ? ORDER BY size DESC, first_seen, id",
            [min_sites]).fetchall():
        articles = [dict(zip(("id", "site", "headline", "url", "first_seen"), r)) for r in conn.execute(
            "SELECT a.id, s.site, a.headline, a.canonical_url, a.first_seen FROM article_story s"
            " JOIN articles a ON a.id = s.article_id WHERE s.story_id = ? ORDER BY a.first_seen, a.id", [story_id])]
        stories.append({"id": story_id, "first_seen": first_seen, "sites": sites, "size": size, "articles": articles})
    return stories
