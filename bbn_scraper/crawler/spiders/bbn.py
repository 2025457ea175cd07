"""The bbn spider: finds a news site's articles through its home page, archives, sitemap and
feed, and hands each article page to the parser. Thin: parsing and storing live elsewhere."""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import sitemap_urls_from_robots

from archive import KnownArticle, known_urls, recrawl_state, story_settings
from bbn_scraper.crawler.bounds import SitemapBudget, refused
from bbn_scraper.crawler.downloader import CrawlStopped
from archive.items import Alias, CrawlError, FetchedPage, Seen, SitemapRead
from bbn_scraper.crawler.pagination import is_page_of, listed, next_pages
from bbn_scraper.crawler.parse_pool import PARSE_TIMEOUT, ParsePool, auto_processes
from bbn_scraper.crawler.revisit import DEFAULT_POLICY, RevisitPolicy
from bbn_scraper.parsers.dates import parse_date
from archive.model import normalize_url, url_key
from bbn_scraper.crawler.scope import Refused, Scope
from bbn_scraper.crawler.sites import SiteMap
from bbn_scraper.crawler.warc import WARC_META
from bbn_scraper.crawler.page_results import DENY, FEED_LINKS, HTML_TYPES, NOT_A_PAGE, page_results, sitemap_results

DEFAULT_START_URL = "https://bigbignews.net/"
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"  # RobotsTxtMiddleware's IgnoreRequest: not a failure
# What a failure that comes without a message means (the reason is never blank).
SILENT_FAILURES = {
    "ResponseDataLossError": "the connection closed before the body's Content-Length arrived",
    "DownloadCancelledError": "the download was cancelled",
}


class BbnSpider(scrapy.Spider):
    """`scrapy crawl bbn -a start_urls=URL[,URL...] [-a refresh=1] [-a full=1] -s ARCHIVE_DB=PATH`

    A re-crawl (a crawl finished before) follows a listing's next page only from a listing
    page that lists a new article or one requested again for a newer lastmod, and skips the child sitemaps not newer
    in their index; `full` walks every listing and reads every sitemap. An archived article
    is requested again when a link to it comes with a newer sitemap lastmod, or from the start
    when REVISIT_POLICY (a site's `revisit` in sites.toml) says it is due: the archive knows
    its address, no listing needs walking to find it (nor counts it as new). Revisits are
    conditional: a 304 leaves the archived article as it is."""

    name = "bbn"

    def __init__(self, start_urls: str | list[str] | None = None, refresh: str | bool = False,
                 full: str | bool = False, **kwargs):
        super().__init__(**kwargs)
        urls = start_urls.split(",") if isinstance(start_urls, str) else list(start_urls or [DEFAULT_START_URL])
        self.start_urls = [normalize_url(u) for u in urls if u.strip()]
        self.scope = Scope(self.start_urls)
        refused = [u for u in self.start_urls if u not in self.scope]
        if refused:
            raise ValueError(f"start URLs must be http or https: {', '.join(refused)}")
        self.refresh = str(refresh).lower() in ("1", "true", "yes", "on")
        self.full = self.refresh or str(full).lower() in ("1", "true", "yes", "on")
        self.known: dict[str, KnownArticle] = {}
        self.now = datetime.now(timezone.utc)  # what article ages and revisit intervals are counted to
        self.policy = RevisitPolicy.parse(DEFAULT_POLICY)
        self.site_policies: dict[str, RevisitPolicy] = {}  # sites.toml site name -> its `revisit`
        self.sites: SiteMap | None = None
        self.skipped: dict[str, int] = {}  # url_key -> id of archived articles linked and not requested then
        self.followed: set[str] = set()  # links already followed: a site repeats its menus on every page
        self.requested: set[str] = set()  # url_keys requested: Scrapy's dupefilter would drop them, at a cost
        self.revisits: set[str] = set()  # url_keys of the archived articles requested as due
        self.not_articles: dict[str, str] = {}  # url_key -> why no article is archived from there
        self.visited: set[str] = set()  # url_keys of pages earlier crawls fetched or failed
        self.sitemaps_read: dict[str, str] = {}  # child sitemap -> its index's lastmod when last read
        self.sitemap_budget = SitemapBudget()
        self.failed_starts: set[str] = set()  # url_keys of start URLs whose request failed
        self.parser = ParsePool(0)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.sitemap_budget = SitemapBudget(crawler.settings.getint("SITEMAP_MAX_COUNT"),
                                              crawler.settings.getint("SITEMAP_MAX_DEPTH"))
        sites = SiteMap.from_settings(crawler.settings)
        if sites:  # sites.toml: each site's allowed_hosts are in scope too
            spider.scope = Scope(spider.start_urls + sites.host_urls())
            spider.sites = sites
            spider.site_policies = {s.name: RevisitPolicy.parse(s.revisit) for s in sites.sites if s.revisit}
        spider.policy = RevisitPolicy.parse(crawler.settings.get("REVISIT_POLICY", DEFAULT_POLICY))
        processes = crawler.settings.get("PARSE_PROCESSES")
        spider.parser = ParsePool(auto_processes() if processes in (None, "") else int(processes),
                                  timeout=crawler.settings.getfloat("PARSE_TIMEOUT", PARSE_TIMEOUT),
                                  stories=story_settings(crawler.settings.get("ARCHIVE_DB")))
        if not spider.refresh:
            spider.known = known_urls(crawler.settings.get("ARCHIVE_DB"))
            if not spider.full:
                # After a crawl that never finished, everything is walked again, as at first.
                finished, visited, sitemaps_read = recrawl_state(crawler.settings.get("ARCHIVE_DB"))
                if finished:
                    spider.visited, spider.sitemaps_read = visited, sitemaps_read
                spider.full = not finished
        return spider

    async def closed(self, reason):
        # Counted at the end: a sitemap's newer lastmod may request an article skipped before.
        requested = {self.known[key][0] for key in self.requested if key in self.known}
        self.crawler.stats.set_value("bbn/known_article_skipped", len(set(self.skipped.values()) - requested))
        self.crawler.stats.set_value("bbn/start_urls", len({url_key(url) for url in self.start_urls}))
        self.crawler.stats.set_value("bbn/start_urls_failed", len(self.failed_starts))
        if self.parser.processes:  # set before the first await: the archive's crawl row takes them
            for name, value in self.parser.usage().items():
                self.crawler.stats.set_value(f"bbn/parse_{name}", value)
        await self.parser.close()

    async def start(self):
        for url in self.start_urls:
            self.requested.add(url_key(url))
            request = self._request(url, self.parse_html_page)
            request.meta["start_url"] = True  # a failure counts in bbn/start_urls_failed
            yield request
            yield self._request(urljoin(url, "/robots.txt"), self.parse_robots, priority=10)
            yield self._request(urljoin(url, "/feed/"), self.parse_feed, priority=5)
        for request in self._due_revisits():
            yield request

    def _due_revisits(self):
        """A conditional request for each archived article in scope the revisit policy has due."""
        for key, known in self.known.items():
            if known.own and known.url in self.scope and key not in self.requested and self._due(known.url, known):
                self.requested.add(key)
                self.revisits.add(key)
                self.crawler.stats.inc_value("bbn/revisit/due")
                yield self._conditional(self._request(known.url, self.parse_html_page), known)

    # Discovery

    def parse_robots(self, response):
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        for url in sitemaps or [urljoin(response.url, "/sitemap_index.xml")]:
            yield from self._sitemap(url, 1)

    def parse_sitemap(self, response):
        whole = yield from sitemap_results(response.url, response.body, self._follow,
                                           functools.partial(self._child_sitemap, response))
        if whole and response.meta.get("index_lastmod"):
            yield SitemapRead(response.meta["sitemap_url"], response.meta["index_lastmod"])

    def _child_sitemap(self, response, loc: str, lastmod: str | None):
        """The request for a sitemap an index lists, unless it is not newer than when last read."""
        if loc in self.sitemaps_read and not _is_newer(lastmod, self.sitemaps_read[loc]):
            self.crawler.stats.inc_value("bbn/sitemap_unchanged")
            return
        yield from self._sitemap(loc, response.meta.get("sitemap_depth", 1) + 1, lastmod)

    def parse_feed(self, response):
        for link in response.xpath(FEED_LINKS).getall():
            yield from self._follow(link.strip())

    # Pages

    async def parse_html_page(self, response):
        fetched_at = datetime.now(timezone.utc)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        validators = [(response.headers.get(name) or b"").decode("latin-1").strip() or None
                      for name in (b"ETag", b"Last-Modified")]
        if response.status == 304:  # a revisit's conditional request: the archived copy is current
            yield FetchedPage(response.url, 304, content_type, b"", fetched_at, *validators, unchanged=True)
            if response.meta.get("revisit_of"):
                yield Seen(response.meta["revisit_of"])
            return
        page = FetchedPage(response.url, response.status, content_type, response.body, fetched_at, *validators,
                           warc=response.meta.get(WARC_META))
        mime = content_type.split(";")[0].strip().lower()
        if not isinstance(response, TextResponse) or mime and mime not in HTML_TYPES:
            yield page
            yield CrawlError(response.url, "parse", f"not an HTML page (Content-Type: {content_type or 'none'})")
            return
        if not response.body.strip():
            yield page
            yield CrawlError(response.url, "parse", "empty response body")
            return
        try:  # the worker packs the body as stored (a page recorded in a WARC keeps no body)
            article, links, signature, page.packed = await self.parser.parse(
                response.body, content_type, response.url, pack=page.warc is None)
        except Exception:
            yield page  # stored as before the parse, which fails the page
            raise
        yield page
        later = self._pages_held_back(response, links) if article is None else set()
        for result in page_results(self, response.url, article, links, signature, fetched_at, later,
                                   response.meta.get("redirect_urls", [])):
            yield result

    def errback(self, failure):
        """Every failed request is a fetch error of the URL first requested (before any
        redirect), except the ones robots.txt forbids."""
        request = failure.request
        if failure.check(CrawlStopped):
            # Not fetched before the crawl stopped: back to the scheduler, whose queue a paused
            # crawl (--resume DIR) saves for the run that resumes it.
            yield request.replace(dont_filter=True)
            return
        if request.meta.get("start_url"):
            self.failed_starts.add(url_key(request.url))
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        elif failure.check(Refused):
            reason = str(failure.value)
        elif failure.check(IgnoreRequest) and str(failure.value) == ROBOTS_FORBIDDEN:
            self.not_articles[url_key(request.url)] = "forbidden by robots.txt"
            return
        else:
            name = failure.type.__name__
            message = failure.getErrorMessage().strip() or SILENT_FAILURES.get(name, "no message")
            reason = f"{name}: {message}"
        redirects = request.meta.get("redirect_urls")
        for url in [*(redirects or []), request.url]:
            self.not_articles[url_key(url)] = reason
        if redirects and not failure.check(Refused):
            reason += f" (at {request.url})"
        yield CrawlError(redirects[0] if redirects else request.url, "fetch", reason)

    # Helpers

    def _pages_held_back(self, response, links: list[str]) -> set[str]:
        """The other pages of its listing a listing page links to that a re-crawl does not
        follow from it: all if it lists nothing new, else all but the next. None on a first
        crawl or with `full`: every page of every listing is walked."""
        pages = {url for url in links if is_page_of(url, response.url)}
        if not pages or not self.known or self.full:
            return set()
        if any(map(self._is_new, listed(response))):
            return pages - set(next_pages(response.url, list(pages)))
        self.crawler.stats.inc_value("bbn/pagination_stopped")
        return pages

    def _is_new(self, url: str) -> bool:
        """Whether a link is to an article new to the archive, or to one archived and requested
        again for a newer sitemap lastmod, as far as this crawl knows when the link is read.
        Articles the revisit policy has due are requested from the start and count for nothing."""
        if url not in self.scope or DENY.search(url) or NOT_A_PAGE.search(urlsplit(url).path):
            return False
        key = url_key(normalize_url(url))
        if key in self.known:
            return key in self.requested and key not in self.revisits
        # Not a listing, menu page or broken link an earlier crawl met, nor one met in this crawl.
        return key not in self.visited and key not in self.not_articles

    def _follow(self, url: str, lastmod: str | None = None):
        """A request for a discovered URL, unless the archive already holds that article
        (and its sitemap lastmod is not newer). Tracking-decorated links become aliases."""
        if url not in self.scope:
            return
        clean = normalize_url(url)
        if url.split("#")[0] != clean:
            yield Alias(url, clean)
        key = url_key(clean)
        if key in self.requested:
            return
        known = self.known.get(key)
        if known and not _is_newer(lastmod, known.lastmod):
            if key not in self.skipped:
                self.skipped[key] = known.article_id
                yield Seen(known.article_id)
            return
        self.requested.add(key)
        request = self._request(clean, self.parse_html_page)
        if known:
            self.crawler.stats.inc_value("bbn/revisit/lastmod")
            yield self._conditional(request, known)
        else:
            yield request

    def _due(self, url: str, known: KnownArticle) -> bool:
        """Whether the revisit policy (its site's, else REVISIT_POLICY) has the archived article
        requested again: only at its own address, the one its content was fetched from."""
        if not known.own:
            return False
        name = self.sites.name(url) if self.sites else None
        policy = self.site_policies.get(name, self.policy)
        return policy.is_due(known.published or known.first_seen, known.fetched, self.now)

    @staticmethod
    def _conditional(request: scrapy.Request, known: KnownArticle) -> scrapy.Request:
        """The revisit of an archived article: If-None-Match / If-Modified-Since from its page's
        stored validators, and a 304 answer handed to the callback (`FetchedPage.unchanged`)."""
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        request.meta["revisit_of"] = known.article_id
        request.meta["handle_httpstatus_list"] = [304]
        return request

    def _sitemap(self, url: str, depth: int, lastmod: str | None = None):
        """The request for a sitemap `depth` deep (1: listed in robots.txt), unless it is one
        too deep (SITEMAP_MAX_DEPTH) or too many for its site (SITEMAP_MAX_COUNT). `lastmod`:
        its index's, recorded once the sitemap is read to its end."""
        if not self.sitemap_budget.first_time(url):
            return  # an index that lists itself or an ancestor
        over = self.sitemap_budget.refusal(url, depth)
        if over:
            stat, reason = over
            self.crawler.stats.inc_value(f"bbn/refused/{stat}")
            yield refused(url, reason)
        else:
            request = self._request(url, self.parse_sitemap, priority=5)
            request.meta.update(sitemap_depth=depth, sitemap_url=url, index_lastmod=lastmod)
            yield request

    def _request(self, url: str, callback, priority: int = 0):
        return scrapy.Request(url, callback, errback=self.errback, priority=priority)


def _is_newer(lastmod: str | None, known: str | None) -> bool:
    """Whether a sitemap lastmod is later than the one the archive recorded."""
    new = parse_date(lastmod)
    if new is None:
        return False
    old = parse_date(known)
    if old is None:
        return True
    if (new.tzinfo is None) != (old.tzinfo is None):
        new, old = new.replace(tzinfo=None), old.replace(tzinfo=None)
    return new > old
