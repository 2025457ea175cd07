"""What a crawl produces, for `archive.crawl_store.CrawlStore` to store: plain dataclasses,
data only (the Scrapy crawl, a distributed crawl's workers and the WARC import make them)."""
from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .model import Article

if TYPE_CHECKING:
    from .warc_store import WarcRef


@dataclass(frozen=True)
class PackedBody:
    """A page's body as the archive keeps it (`pack_body`): its SHA-256 (hex) and its zlib
    stream, made where the page was parsed so that the store only writes it. The store uses
    it only when the digest is the body's and the stream's Adler-32 trailer the body's too."""

    sha256: str
    zlib: bytes


def pack_body(body: bytes) -> PackedBody:
    return PackedBody(hashlib.sha256(body).hexdigest(), zlib.compress(body))


@dataclass
class FetchedPage:
    """One fetched response, kept raw so that it can be parsed again without fetching, with its
    validators. `unchanged`: a 304 to a revisit's conditional request (no body; the stored copy
    is current). `packed`: the body as stored, when its parse worker made it (None: the store
    makes it)."""

    url: str
    status: int
    content_type: str
    body: bytes
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    unchanged: bool = False
    packed: PackedBody | None = None
    # Called on the store's thread: where its WARC response record is, or None (the body is kept).
    warc: Callable[[], WarcRef | None] | None = None


@dataclass(frozen=True)
class BodySignature:
    """The MinHash signature of an article's body (`archive.stories.body_signature`), computed
    where the page was parsed, so that the store only writes it: its permutations and shingle
    size, the SHA-256 (hex) of the body it was computed from, and its values as little-endian
    uint32. The store uses it only when all three match the archive's settings and the stored body;
    and its LSH band hashes for `threshold` (`archive.stories.band_hashes`) only when that is the
    archive's threshold too (None: the store computes them)."""

    num_perm: int
    shingle: int
    body_hash: str
    values: bytes
    threshold: float | None = None
    bands: list[int] | None = None


@dataclass
class FetchedArticle:
    """An article with where and when it was fetched, and its body's signature when the parser
    computed one (None: the store computes it)."""

    article: Article
    fetched_url: str
    fetched_at: datetime
    signature: BodySignature | None = None


@dataclass
class SitemapLastmods:
    """One sitemap's <lastmod> dates by URL: recorded so that the next crawl can skip unchanged
    articles. One item per sitemap, not per entry: each item costs the crawl a trip through
    Scrapy's pipelines."""

    lastmods: dict[str, str]


@dataclass
class SitemapRead:
    """A child sitemap read to its end, and the <lastmod> its index gave it: the next crawl
    skips it unless its index gives a newer one."""

    url: str
    lastmod: str


@dataclass
class Seen:
    """An archived article the site still links to, not downloaded again: moves its last_seen."""

    article_id: int


@dataclass
class Alias:
    """`url` shows the article whose canonical address is `canonical_url` (AMP copy, tracking link)."""

    url: str
    canonical_url: str


@dataclass
class CrawlError:
    """A failed fetch, parse or store: the URL and why."""

    url: str
    stage: str  # fetch | parse | store
    reason: str


@dataclass
class Claim:
    """An article page that names another page of its site, in the crawl's scope, as its
    canonical: it becomes an alias of the article archived from there, or, if none is, is
    archived under its own URL with the refusal recorded."""

    article: Article
    fetched_url: str
    fetched_at: datetime
