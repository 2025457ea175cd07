"""One store for every writer of a crawl, without Scrapy: `CrawlStore` takes what a crawl
produces (`archive.items`) and stores it under one crawl row. The Scrapy crawl (through
`bbn_scraper.crawler.pipelines.StorePipeline`), the WARC and Common Crawl imports
(`bbn_scraper.crawler.warc_import.Importer`), a distributed crawl's writer (`ingest`) and
`reparse` all store through it.

An article is judged here once (`not_an_article`), its fields cut to the limits (each cut a
parse error row), and a second page of an article already stored in this crawl is an alias.
Aliases, sightings and sitemap dates are applied by `settle` when the crawl is over, so that
the order pages arrive in does not matter; claims (a page naming another as its canonical)
are settled then too. Every failure is an error row with its URL and reason."""
from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from .db import Archive
from .errors import IdentityRefused
from .items import Alias, BodySignature, Claim, CrawlError, FetchedArticle, FetchedPage, Seen, SitemapLastmods, SitemapRead
from .model import Article, not_an_article, own_identity, url_key, without_credentials

logger = logging.getLogger(__name__)
# SQLite errors that say the archive takes no more writes, rather than that one item is bad.
STORAGE_FAILURES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CORRUPT", "SQLITE_CANTOPEN", "SQLITE_NOTADB")


@dataclass(frozen=True)
class StoreLimits:
    """The store's caps, 0 for none: ARCHIVE_MAX_ARTICLES new articles in a crawl,
    ARCHIVE_MAX_ALIASES URLs of an article, ARTICLE_MAX_HEADLINE and ARTICLE_MAX_BYLINE
    characters and ARTICLE_MAX_FAQS pairs of a stored article."""

    max_articles: int = 0
    max_aliases: int = 0
    headline: int = 0
    byline: int = 0
    faqs: int = 0

    def cut(self, article: Article) -> list[str]:
        """Cut `article`'s fields to the caps, in place; a warning on the article and the
        returned reason say what was cut."""
        cuts = []
        for name, limit, setting in (("headline", self.headline, "ARTICLE_MAX_HEADLINE"),
                                     ("byline", self.byline, "ARTICLE_MAX_BYLINE")):
            value = getattr(article, name)
            if limit and value and len(value) > limit:
                setattr(article, name, value[:limit - 1].rstrip() + "…")
                cuts.append(f"{name} of {len(value)} characters cut to {limit} ({setting})")
        if self.faqs and len(article.faqs) > self.faqs:
            cuts.append(f"{len(article.faqs)} FAQ pairs cut to {self.faqs} (ARTICLE_MAX_FAQS)")
            del article.faqs[self.faqs:]
        for cut in cuts:
            article.warnings.append(f"truncated: {cut}")
        return [f"truncated: {cut}" for cut in cuts]


class _OverCap(Exception):
    """A new article past ARCHIVE_MAX_ARTICLES: its savepoint is rolled back."""


def invalid(article: Article) -> str | None:
    """The parse error of an article not to archive (`not_an_article`, and the parser's
    warnings), or None."""
    why = not_an_article(article)
    return f"{why} ({'; '.join(article.warnings)})" if why else None


URL_FIELDS = ("url", "fetched_url", "canonical_url")


def _urls_in(item):
    """Every URL the item holds (its own, its article's and their links, a sitemap's entries)."""
    yield from (getattr(item, name) for name in URL_FIELDS if hasattr(item, name))
    article = getattr(item, "article", None)
    if isinstance(article, Article):
        yield from (getattr(article, name) for name in URL_FIELDS if hasattr(article, name))
        yield from (link.url for link in (*article.related_links, *article.related_articles))
    if isinstance(item, SitemapLastmods):
        yield from item.lastmods


def without_credentials_in(item):
    """The item with userinfo removed from every URL it holds (`_urls_in`), and how many URLs
    had some. An item without "@" in any URL is returned as it is, without copies."""
    if not any(isinstance(url, str) and "@" in url for url in _urls_in(item)):
        return item, 0
    removed = 0

    def clean(url):
        nonlocal removed
        if not isinstance(url, str):
            return url
        stripped = without_credentials(url)
        removed += stripped != url
        return stripped

    changes = {name: clean(getattr(item, name)) for name in URL_FIELDS if hasattr(item, name)}
    article = getattr(item, "article", None)
    if isinstance(article, Article):
        changes["article"] = replace(
            article, **{name: clean(getattr(article, name)) for name in URL_FIELDS if hasattr(article, name)},
            related_links=[replace(link, url=clean(link.url)) for link in article.related_links],
            related_articles=[replace(link, url=clean(link.url)) for link in article.related_articles])
    if isinstance(item, SitemapLastmods):
        changes["lastmods"] = {clean(url): lastmod for url, lastmod in item.lastmods.items()}
    return (replace(item, **changes) if removed else item), removed


def item_url(item) -> str | None:
    """The URL an item is about, for its error row."""
    return getattr(item, "fetched_url", None) or getattr(item, "url", None)


class CrawlStore:
    """Stores a crawl's items in `archive` under `crawl_id` (`start` opens a crawl row). Counts
    what it did in `counts` (Scrapy stat names), per site too when `site_of(url)` names one.
    `on_stop(reason)` is called when the crawl should stop: the article cap is reached, or the
    archive takes no more writes (`failure` then says why)."""

    def __init__(self, archive: Archive, limits: StoreLimits = StoreLimits(), parser_version: str = "",
                 site_of: Callable[[str], str | None] | None = None,
                 on_stop: Callable[[str], None] | None = None):
        self.archive = archive
        archive.keep_savepoints_in_memory()  # each item is stored in a savepoint
        self.limits = limits
        self.parser_version = parser_version
        self.site_of = site_of
        self.on_stop = on_stop
        self.crawl_id: int | None = None
        self.counts: Counter = Counter()
        self.failure: str | None = None
        self.stopped: str | None = None  # why the store stopped the crawl, if it did
        self.new_articles = 0  # ARCHIVE_MAX_ARTICLES caps them exactly; the progress line shows them
        self.errors = 0  # error rows recorded (the progress line shows them)
        self.stored_keys: set[str] = set()  # url_keys of the canonicals stored in this crawl
        self.aliases: dict[str, str] = {}  # alias URL -> canonical URL
        self.claims: dict[str, list[Claim]] = {}  # url_key claimed -> the pages waiting for its article
        self.seen: set[int] = set()
        self.lastmods: dict[str, str] = {}
        self._kinds: dict[type, Callable] = {
            FetchedPage: self._page, FetchedArticle: self._article, Claim: self._claim, CrawlError: self._error,
            Alias: self._alias, Seen: self._seen, SitemapLastmods: self._lastmods, SitemapRead: self._sitemap_read,
        }

    def start(self, start_urls: list[str], settings: dict | None = None) -> int:
        self.crawl_id = self.archive.start_crawl(start_urls, settings)
        return self.crawl_id

    def store(self, item) -> None:
        """Store the item, or record why it could not be stored."""
        try:
            self._store(item)
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorname", "").startswith(STORAGE_FAILURES):
                self.storage_failed(f"could not store {item_url(item)}", exc, url=item_url(item))
            else:
                self.record_failure(item_url(item), exc)
        except Exception as exc:  # noqa: BLE001 - one bad item must not end the crawl
            self.record_failure(item_url(item), exc)

    def storage_failed(self, what: str, exc: Exception, writes: int = 1, url: str | None = None) -> None:
        """The archive cannot take writes (disk full, file made read-only, I/O error): count the
        lost writes, record the failure if the archive still takes a row, and stop the crawl."""
        self.counts["bbn/error_store_writes_lost"] += writes
        reason = f"{what} ({type(exc).__name__}: {exc})"
        logger.error("%s", reason)
        if self.failure is None:
            self.failure = f"{reason}; the crawl stopped, what was committed before is intact"
            self._stop("store_failed")
        try:
            self._record_error(url, "store", reason)
        except sqlite3.Error:
            pass  # the archive takes nothing more: the log and the CLI say it

    def record_failure(self, url: str | None, exc: Exception) -> None:
        logger.warning("could not store %s: %r", url, exc)
        self.counts["bbn/error_store"] += 1
        self._record_error(url, "store", f"{type(exc).__name__}: {exc}")

    def _record_error(self, url: str | None, stage: str, reason: str) -> None:
        self.archive.record_error(self.crawl_id, url, stage, reason)
        self.errors += 1

    def _stop(self, reason: str) -> None:
        self.stopped = self.stopped or reason
        if self.on_stop is not None:
            self.on_stop(reason)

    def status(self, reason: str) -> str:
        """The crawl's status when the crawler ended for `reason`: why the store stopped it,
        when the crawler says it finished. The writer stores behind the crawler, so the article
        cap can be reached after the last page was fetched; such a crawl is not a finished one
        (the next crawl walks every listing again), whichever came first."""
        return self.stopped if reason == "finished" and self.stopped else reason

    def _store(self, item) -> None:
        kind = self._kinds.get(type(item))
        if kind is None:
            raise TypeError(f"unknown item type {type(item).__name__}")
        item, removed = without_credentials_in(item)
        if removed:
            self.counts["bbn/credentials_removed"] += removed
            self._record_error(item_url(item), "store", f"credentials (user:password@) removed from {removed}"
                                                        " URL(s) of this page before they were stored")
        kind(item)

    # One method per item kind

    def _page(self, page: FetchedPage) -> None:
        if page.unchanged:
            self.archive.record_not_modified(self.crawl_id, page.url, page.fetched_at, page.etag, page.last_modified)
            self.counts["bbn/not_modified"] += 1
            return
        if self.archive.record_fetch(self.crawl_id, page.url, page.status, page.content_type, page.body,
                                     page.fetched_at, page.etag, page.last_modified, _warc_ref(page),
                                     page.packed) is None:
            self.counts["bbn/page_unchanged"] += 1  # byte-identical to its stored copy: not stored again
        self._count_site(page.url, "pages")

    def _article(self, item: FetchedArticle, once: bool = True) -> None:
        """Cut, judge and store the article; with `once`, a second page of an article stored in
        this crawl is its alias."""
        self._cut(item.article, item.fetched_url)
        why = invalid(item.article)
        if why:
            self.counts["bbn/invalid_article"] += 1
            self._error(CrawlError(item.fetched_url, "parse", why))
            return
        key = url_key(item.article.canonical_url)
        if once and key in self.stored_keys:
            self.counts["bbn/duplicate_article"] += 1
            self._alias(Alias(item.fetched_url, item.article.canonical_url))
            return
        self.stored_keys.add(key)
        try:
            result = self._store_article(item)
        except IdentityRefused as exc:  # a claim, not a storage failure
            self._error(CrawlError(item.fetched_url, "parse", f"canonical refused: {exc}"))
            return
        except _OverCap:
            self.counts["bbn/refused/max_articles"] += 1
            return
        self.counts[f"bbn/article_{result.outcome}"] += 1
        self._count_site(item.fetched_url, f"article_{result.outcome}")
        key = url_key(item.fetched_url)
        if result.outcome != "alias" and url_key(item.article.canonical_url) == key:
            for claim in self.claims.pop(key, []):  # archived from its own address
                self.aliases.setdefault(claim.fetched_url, claim.article.canonical_url)

    def _store_article(self, item: FetchedArticle):
        """Past ARCHIVE_MAX_ARTICLES new ones, a new article is rolled back (`_OverCap`) while
        updates still go in. The article that reaches the cap stops the crawl."""
        cap = self.limits.max_articles
        with self.archive.transaction():  # a savepoint inside the writer's batch
            result = self.archive.store_article(
                item.article, crawl_id=self.crawl_id, fetched_url=item.fetched_url,
                parser_version=self.parser_version, fetched_at=item.fetched_at, signature=item.signature,
            )
            if result.outcome == "new":
                if cap and self.new_articles >= cap:
                    raise _OverCap
                self.new_articles += 1
                if self.new_articles == cap:
                    self._stop(f"article cap of {cap} reached")
        return result

    def _claim(self, claim: Claim) -> None:
        self._cut(claim.article, claim.fetched_url)
        if self.archive.archived_from(claim.article.canonical_url) is not None:
            self.aliases.setdefault(claim.fetched_url, claim.article.canonical_url)
        else:
            self.claims.setdefault(url_key(claim.article.canonical_url), []).append(claim)

    def _error(self, error: CrawlError) -> None:
        self._record_error(error.url, error.stage, error.reason)
        self.counts[f"bbn/error_{error.stage}"] += 1
        self._count_site(error.url, f"error_{error.stage}")

    def _alias(self, alias: Alias) -> None:
        self.aliases.setdefault(alias.url, alias.canonical_url)

    def _seen(self, seen: Seen) -> None:
        self.seen.add(seen.article_id)

    def _lastmods(self, item: SitemapLastmods) -> None:
        self.lastmods.update(item.lastmods)

    def _sitemap_read(self, item: SitemapRead) -> None:
        self.archive.record_sitemap(self.crawl_id, item.url, item.lastmod)

    def _cut(self, article: Article, url: str) -> None:
        """Cut the article's fields to the limits, each cut a parse error of its page."""
        for reason in self.limits.cut(article):
            self._error(CrawlError(url, "parse", reason))

    def _count_site(self, url: str | None, what: str) -> None:
        """One more `what` for the configured site of `url` (stats `bbn/site/NAME/WHAT`)."""
        name = self.site_of(url) if self.site_of and url else None
        if name is not None:
            self.counts[f"bbn/site/{name}/{what}"] += 1

    # The end of a crawl

    def settle(self, why_not: Mapping[str, str] | None = None, pending: dict | None = None) -> None:
        """The crawl is over: settle the claims, then apply the aliases, sightings and lastmods.
        `why_not`: url_key -> why no article was archived from there (the crawl knows). `pending`:
        a paused crawl's saved state; the aliases and lastmods whose article is not archived yet
        are taken from it and put back (pending_aliases, pending_lastmods)."""
        self._settle_claims(why_not or {})
        try:
            self._apply_deferred(pending)
        except Exception as exc:  # noqa: BLE001 - the crawl row must still be closed
            self.record_failure(None, exc)

    def _settle_claims(self, why_not: Mapping[str, str]) -> None:
        """A page whose claimed canonical has an article archived from it is its alias; the
        others are archived under their own URLs, the refused claim recorded."""
        for key in list(self.claims):
            for claim in self.claims.pop(key, []):
                canonical = claim.article.canonical_url
                try:
                    if self.archive.archived_from(canonical) is not None:
                        self.aliases.setdefault(claim.fetched_url, canonical)
                        continue
                    reason = f"canonical {canonical} refused: {why_not.get(key, 'no article was archived from there')}"
                    self._error(CrawlError(claim.fetched_url, "parse", reason))
                    own = own_identity(claim.article, claim.fetched_url, reason)
                    self._article(FetchedArticle(own, claim.fetched_url, claim.fetched_at), once=False)
                except Exception as exc:  # noqa: BLE001 - one bad item must not end the others
                    self.record_failure(claim.fetched_url, exc)

    def _apply_deferred(self, state: dict | None) -> None:
        archive = self.archive
        if state is not None:
            self.aliases = {**self.aliases, **state.pop("pending_aliases", {})}
            self.lastmods = {**state.pop("pending_lastmods", {}), **self.lastmods}
        pending, placed = {}, {}
        for url, canonical_url in self.aliases.items():
            article_id = archive.known_article_id(canonical_url)
            if article_id is None:
                pending[url] = canonical_url
            else:
                placed.setdefault((article_id, canonical_url), []).append(url)
        limit = self.limits.max_aliases
        for (article_id, canonical_url), urls in placed.items():
            left_out = archive.add_aliases(article_id, urls, limit)
            if left_out:
                self.counts["bbn/refused/aliases"] += len(left_out)
                self._record_error(canonical_url, "store", f"{len(left_out)} aliases not recorded: the article has"
                                                           f" ARCHIVE_MAX_ALIASES {limit} URLs (first left out: {left_out[0]})")
        if self.seen:
            archive.touch_many(sorted(self.seen), self.crawl_id)
        unplaced_lastmods = archive.record_lastmods(self.lastmods)
        self.seen.clear()  # applied: a later settle (a distributed crawl's next round) starts afresh
        if state is not None:
            state["pending_aliases"] = pending
            state["pending_lastmods"] = unplaced_lastmods
            self.aliases, self.lastmods = {}, {}
        else:  # kept for the next settle: their article may be archived by then
            self.aliases, self.lastmods = pending, unplaced_lastmods

    # Reparse

    def reparsed(self, page: dict, article: Article | None, signature: BodySignature | None = None) -> str:
        """A stored page (`archive.query.reparse_pages`) parsed again (`signature`: its body's,
        if the parser computed it): "changed", "unchanged" or "failed" (an error row). Its fields
        are cut and the article judged as in a crawl; its last_seen and crawl_id keep their
        values, a reparse being no visit to the site."""
        url, page_id = page["url"], page["id"]
        if article is None:
            return self.failed(url, "parse", f"page {page_id} is not an article for parser {self.parser_version}")
        self._cut(article, url)
        why = invalid(article)
        if why:
            return self.failed(url, "parse", f"page {page_id}: {why}")
        try:
            with self.archive.transaction():
                stored = self.archive.store_article(article, crawl_id=self.crawl_id, fetched_url=url,
                                                    parser_version=self.parser_version, refresh=True,
                                                    signature=signature)
                self.archive.keep_last_seen(stored.article_id, page["last_seen"], page["crawl_id"])
        except Exception as exc:  # noqa: BLE001
            return self.failed(url, "store", f"page {page_id}: {type(exc).__name__}: {exc}")
        return "changed" if stored.outcome in ("new", "updated") else "unchanged"

    def failed(self, url: str, stage: str, reason: str) -> str:
        """Record the failure as an error row: "failed"."""
        self._error(CrawlError(url, stage, reason))
        return "failed"


def _warc_ref(page: FetchedPage):
    """Where the page's recorded response is; None (the body is kept in `pages`) when it was not
    recorded, or the record is another URL's (a redirect's)."""
    ref = page.warc() if page.warc is not None else None
    return ref if ref is not None and ref.url == page.url else None
