"""Scrapy settings of the bbn spider: polite by default. Override with -s NAME=VALUE."""

from archive.decoding import MAX_BODY

BOT_NAME = "bbn_scraper"
SPIDER_MODULES = ["bbn_scraper.crawler.spiders"]
NEWSPIDER_MODULE = "bbn_scraper.crawler.spiders"

# Say who we are, obey robots.txt, and let AutoThrottle keep the load low.
USER_AGENT = "bbn-archive/0.1 (+https://github.com/bbn-archive/bbn-archive; news archiving for research)"
ROBOTSTXT_OBEY = True
# The part of a robots.txt read: the 500 KiB RFC 9309 asks a crawler to read at least, and the
# bound Google applies. Protego 0.7 took 0.4 s to parse 243 KiB of wildcard rules and 9 ms to
# check a URL against them; 13 MB took 18 s and 0.39 s a URL, on the reactor's thread.
ROBOTSTXT_MAX_SIZE = 500 * 1024
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 0.5
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
# Nothing a news page needs is this large; larger responses are failed and recorded.
DOWNLOAD_MAXSIZE = MAX_BODY  # 16 MiB; also what import-warc, reparse and the reading room take of a page
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Response headers are bounded as they arrive (bbn_scraper.crawler.download_handler): DOWNLOAD_MAXSIZE
# covers bodies only. Chromium refuses headers over 256 KiB and nginx, by default, passes on
# at most 4-8 KiB (proxy_buffer_size), so real pages stay far below 64 KiB. 100 header lines
# is the limit of Python's http.client, which every requests-based crawler lives with.
DOWNLOAD_MAX_HEADER_BYTES = 64 * 1024
DOWNLOAD_MAX_HEADERS = 100
# Only http and https: no file:, data:, ftp: or s3: requests, whatever a page or redirect says.
DOWNLOAD_HANDLERS = {
    "http": "bbn_scraper.crawler.download_handler.BoundedHeadersHandler",
    "https": "bbn_scraper.crawler.download_handler.BoundedHeadersHandler",
    "file": None, "data": None, "ftp": None, "s3": None,
}

# Retries: transient server errors and timeouts, waiting longer each time (see middlewares).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry, doubled for each further one
RETRY_BACKOFF_MAX = 60.0  # also caps a server's Retry-After
# A request that fails after its retries is a fetch error row; the log says so as a warning,
# like every other failure the crawl records (Scrapy's default: ERROR).
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
# Holds each retry for its back-off outside the downloader: one site's back-off delays no other site.
SCHEDULER = "bbn_scraper.crawler.scheduler.BackoffScheduler"
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "bbn_scraper.crawler.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "bbn_scraper.crawler.middlewares.QuietRobotsTxtMiddleware": 100,
    # Only the start URLs' hosts and ports, also after redirects; every refusal is recorded.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "bbn_scraper.crawler.scope.ScopeMiddleware": 50,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "bbn_scraper.crawler.scope.SafeMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "bbn_scraper.crawler.scope.SafeRedirectMiddleware": 600,
    # A bounded jar (COOKIE*_MAX_*, below); public suffixes from the list bundled with
    # tldextract: Scrapy's downloads it.
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "bbn_scraper.crawler.scope.BoundedCookiesMiddleware": 700,
    # The User-Agent with the operator's contact (BBN_CONTACT, sites.toml); see bbn_scraper.crawler.sites.
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "bbn_scraper.crawler.sites.SiteRequestsMiddleware": 500,
    # WARC recording (WARC_DIR): closer to the downloader than HttpCompressionMiddleware (590).
    "bbn_scraper.crawler.warc.WarcRecorder": 950,
}
# The cookie jar, bounded as browsers bound theirs (RFC 6265: at least 4096 bytes a cookie, 50
# a domain, 3000 in all); a request's Cookie header as servers take it (nginx and Apache answer
# 431 past 8 KiB). A cookie past a bound is not kept, or not sent; each drop is an error row.
COOKIE_MAX_BYTES = 4096
COOKIES_MAX_PER_HOST = 50
COOKIES_MAX_TOTAL = 3000
COOKIES_MAX_HEADER_BYTES = 8192
# WARC 1.1 files of every exchange (bbn_scraper.crawler.warc), off by default: `crawl --warc DIR`.
WARC_DIR = None
WARC_PREFIX = "bbn"
WARC_MAX_SIZE = 1024**3  # bytes: a new file once one reaches it
WARC_QUEUE_SIZE = 256  # exchanges waiting for the WARC writer thread
# Archived articles requested again without a newer sitemap lastmod, by age (bbn_scraper.crawler.revisit):
# every crawl up to 2 days old, weekly up to 30 days, then never; "never": only a newer lastmod.
# Revisits are conditional (If-None-Match / If-Modified-Since): a 304 keeps the archived copy.
# Scrapy's HttpCacheMiddleware (off by default) would answer revalidations itself: keep it off.
REVISIT_POLICY = "2d:always,30d:7d"
HTTPCACHE_ENABLED = False
# `crawl --sites FILE` (bbn_scraper.crawler.sites): the sites, their hosts' DOWNLOAD_SLOTS, and the contact.
BBN_SITES: list = []
BBN_CONTACT = None
# An exception in a callback is recorded as that page's parse error; the crawl goes on.
# Bounds (bbn_scraper.crawler.bounds): every request refused by one is a fetch error row, not just a log line.
SPIDER_MIDDLEWARES = {
    "bbn_scraper.crawler.middlewares.CallbackErrorsMiddleware": 10,
    "bbn_scraper.crawler.middlewares.ResponseNotesMiddleware": 20,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "bbn_scraper.crawler.bounds.RecordedDepthMiddleware": 900,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "bbn_scraper.crawler.bounds.RecordedUrlLengthMiddleware": 800,
    "bbn_scraper.crawler.bounds.TrapMiddleware": 750,
}
# Crawler traps (calendars, endless pagination, relative links that grow the path) never end
# by themselves. Links from a start URL: 50 is 50 listing pages (a listing links its next ones,
# so more through "1 2 3 ... 10"); sitemaps take articles 3 links deep. Heritrix stops at 20
# hops; walking a news site's listings needs more (PAGINATION_LIMIT bounds the pages of each).
DEPTH_LIMIT = 50
# Scrapy's default is 2083; real article URLs stay under 300 characters, percent-encoded
# non-Latin slugs (6 characters a letter) under 1,000.
URLLENGTH_LIMIT = 1024
PATH_MAX_REPEATS = 2  # /a/b/a/b/ passes, /a/b/a/b/a/b/ is a trap (Heritrix's rule); 0: off
# A tree of links that never repeats (/a/b/b/a/a/b/...): Heritrix's default path depth. A news
# article's path has 3 to 6 segments (/2024/08/05/slug/); 0: off.
PATH_MAX_SEGMENTS = 20
PAGINATION_LIMIT = 100  # /page/N, ?page=N, ?paged=N, ?pg=N past it are not requested; 0: off
SITE_MAX_PAGES = 100_000  # requests to one host in one crawl; later crawls skip what is archived; 0: off
# The sitemap protocol nests one index level; 3 allows one more. Daily sitemaps for 13 years
# make about 5,000.
SITEMAP_MAX_DEPTH = 3
SITEMAP_MAX_COUNT = 5000
# --resume DIR: resume a paused crawl, start afresh after a finished or killed one.
EXTENSIONS = {"bbn_scraper.crawler.jobdir.JobDirGuard": 1000, "bbn_scraper.crawler.progress.ProgressLine": 1100}
# One line of pages, new articles, errors and rate on stderr (the CLI's default on a terminal).
PROGRESS_LINE = False
PROGRESS_INTERVAL = 1.0  # seconds between two progress lines
# Variants of one URL (tracking parameters, http/https, www, trailing slash) are one request.
REQUEST_FINGERPRINTER_CLASS = "bbn_scraper.crawler.middlewares.UrlKeyFingerprinter"

# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every callback's output, however small; a
# page gives a handful of items, so 8 instead of 100 (bench/README.md: 1,000-article site,
# 140-176 -> 240-269 pages/s, 9-11 -> 7 ms CPU per page).
CONCURRENT_ITEMS = 8

# One pipeline: the archive's store judges, deduplicates, cuts and stores (archive.crawl_store).
ITEM_PIPELINES = {"bbn_scraper.crawler.pipelines.StorePipeline": 300}
ARCHIVE_DB = "archive.db"
# Processes that parse fetched pages beside the crawl (bbn_scraper.crawler.parse_pool); 0 parses in the
# crawl's own process. None: one per CPU beyond the first, at most four.
PARSE_PROCESSES = None
# Seconds a parse worker may spend on one page; past it the page is a parse error and its worker
# is replaced. Not applied with PARSE_PROCESSES = 0 (a parse in the crawl's own thread cannot be stopped).
PARSE_TIMEOUT = 30
ARCHIVE_MAX_ARTICLES = 0  # 0: no cap
# At store time (0: no cap): longer fields are cut, the article kept, a parse error recorded.
ARTICLE_MAX_HEADLINE = 1000  # characters
ARTICLE_MAX_BYLINE = 500  # characters
ARTICLE_MAX_FAQS = 200  # FAQ pairs
# URLs kept per article (canonical, fetched, AMP, tracking variants...): past it, aliases are
# not recorded and one store error per article says how many.
ARCHIVE_MAX_ALIASES = 20

LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control runs Python code sent to a local HTTP port and writes its token
# to ~/.local/state/scrapy: a door into the crawl, and a file outside the job.
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
