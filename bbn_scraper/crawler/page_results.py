"""What a crawl makes of a page once it is parsed, and of a sitemap: the items to store and the
links to follow. Shared by the crawl's spider (bbn_scraper.crawler.spiders.bbn) and the WARC
import (bbn_scraper.crawler.warc_import), which decide alike and differ only in what following
a link means (a request, or just its alias) and in where the page comes from.

`owner` is the spider or the import: its `followed` (links met so far), `not_articles`
(url_key -> why no article is archived from there), `scope` (the URLs it may follow) and
`_follow(url, lastmod=None)` (the results of following a link)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from urllib.parse import urlsplit

from scrapy.linkextractors import IGNORED_EXTENSIONS

from archive.items import Claim, CrawlError, FetchedArticle, SitemapLastmods
from archive.model import Article, not_an_article, own_identity, url_key
from bbn_scraper.crawler.identity import refusal
from bbn_scraper.crawler.sitemaps import CheckedSitemap

# Links never worth a request: admin, login, comment replies, share buttons, search, JSON API.
DENY = re.compile(
    r"/wp-(?:admin|login|json)|xmlrpc\.php|[?&](?:replytocom|share|s)=|/feed/?$|/comments?/feed|/trackback/?$"
)
# Files, not pages (Scrapy's list): images, documents, archives, audio, video.
NOT_A_PAGE = re.compile(r"\.(?:%s)$" % "|".join(map(re.escape, IGNORED_EXTENSIONS)), re.IGNORECASE)
PERMALINK = re.compile(r"/\d{4}/\d{2}/(?:\d{2}/)?[^/]+/?$")
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_LINKS = "//item/link/text() | //*[local-name()='entry']/*[local-name()='link']/@href"  # RSS and Atom


def page_results(owner, url: str, article: Article | None, links: list[str], signature, fetched_at: datetime,
                 later: set[str] = frozenset(), redirects: list[str] = ()) -> Iterator:
    """The results of the HTML page fetched from `url` (after `redirects`), parsed into `article`
    (None: not one), `links` and the body's `signature`: the links followed (but those held
    `later`), and the article, or the claim of a copy on its canonical page, or the errors that
    say why there is none."""
    for link in links:
        if link not in owner.followed and link not in later:
            owner.followed.add(link)
            if not DENY.search(link) and not NOT_A_PAGE.search(urlsplit(link).path):
                yield from owner._follow(link)
    if article is None:
        _not_an_article(owner, [*redirects, url], not_an_article(article))
        if PERMALINK.search(urlsplit(url).path):
            yield CrawlError(url, "parse", "page at an article address is not an article")
        return
    claimed = article.canonical_url
    if url_key(claimed) != url_key(url):
        known = owner.not_articles.get(url_key(claimed))
        reason = refusal(claimed, url) or known and f"canonical {claimed} refused: {known}"
        if reason:
            # Identity is earned: the page keeps its own URL, the refused claim is an error row.
            yield CrawlError(url, "parse", reason)
            article = own_identity(article, url, reason)
        else:
            _not_an_article(owner, [*redirects, url], f"it names {claimed} as its canonical")
        if not reason and claimed in owner.scope:
            # A copy (AMP, alias): the article is archived from its canonical page, fetched
            # for it; the store makes this page an alias once that page is archived,
            # or archives it under its own URL if no article is archived from there.
            yield Claim(article, url, fetched_at)
            yield from owner._follow(claimed)
            return
    elif not_an_article(article):  # yielded still: the store records why it is not archived
        _not_an_article(owner, [*redirects, url], not_an_article(article))
    yield FetchedArticle(article, url, fetched_at, signature)  # ARCHIVE_MAX_ARTICLES: applied at the store


def _not_an_article(owner, urls: list[str], reason: str) -> None:
    """Remember that no article is archived from this page (nor the URLs redirected to it)."""
    for url in urls:
        owner.not_articles.setdefault(url_key(url), reason)


def sitemap_results(url: str, body: bytes, follow: Callable, child: Callable) -> Iterator:
    """The results of the sitemap at `url`: `child(loc, lastmod)`'s for each sitemap an index
    lists, `follow(loc, lastmod=...)`'s for each page a urlset lists, and their lastmods; an
    error for a sitemap unreadable or not read to its end. Returns whether it was read whole."""
    try:
        sitemap = CheckedSitemap(body)
    except Exception as exc:  # noqa: BLE001 - lxml raises several types on junk
        yield CrawlError(url, "parse", f"unreadable sitemap: {exc}")
        return False
    lastmods = {}
    read = 0
    for read, entry in enumerate(sitemap, 1):
        loc = entry.get("loc")
        if not loc:
            continue
        if sitemap.type == "sitemapindex":
            yield from child(loc, entry.get("lastmod"))
        else:
            if entry.get("lastmod"):
                lastmods[loc] = entry["lastmod"]
            yield from follow(loc, lastmod=entry.get("lastmod"))
    if lastmods:
        yield SitemapLastmods(lastmods)
    if sitemap.stopped:
        yield CrawlError(url, "parse", f"sitemap not read to the end, {read} entries read: {sitemap.stopped}")
        return False
    return True
