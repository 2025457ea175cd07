"""Crawl middlewares: retries that back off, callback errors recorded instead of raised, and
request fingerprints by url_key. What the crawl may request is enforced in `bbn_scraper.crawler.scope`."""
from __future__ import annotations

import hashlib
import logging
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from datetime import datetime, timezone

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from archive.items import CrawlError
from bbn_scraper.crawler.compat import settled_robots
from bbn_scraper.crawler.scheduler import RETRY_DELAY
from bbn_scraper.crawler.scope import COOKIES_DROPPED, Refused
from archive.model import url_key

logger = logging.getLogger(__name__)


class CallbackErrorsMiddleware:
    """An exception in a spider callback becomes a parse error of that page, in `errors`,
    instead of a Scrapy "Spider error": the page's other results and the crawl go on."""

    def process_spider_exception(self, response, exception):
        if isinstance(exception, CloseSpider):
            return None
        logger.warning("could not process %s: %r", response.url, exception)
        return [CrawlError(response.url, "parse", f"{type(exception).__name__}: {exception}")]


class ResponseNotesMiddleware:
    """What a downloader middleware noted on a request it let through (cookies not kept or not
    sent: `scope.COOKIES_DROPPED`) becomes a fetch error row of its URL, after the callback's
    own results."""

    def process_spider_output(self, response, result):
        yield from result
        yield from _notes(response)

    async def process_spider_output_async(self, response, result):
        async for item in result:
            yield item
        for note in _notes(response):
            yield note


def _notes(response) -> list[CrawlError]:
    note = response.meta.get(COOKIES_DROPPED)
    return [CrawlError(response.url, "fetch", note)] if note else []


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, with a wait before each retry: RETRY_BACKOFF_BASE seconds,
    doubled per attempt, or the server's Retry-After; never more than RETRY_BACKOFF_MAX. The
    wait is not spent here, which would hold one of the crawl's CONCURRENT_REQUESTS and, with
    a site answering 429 to everything, starve every other site: the retry request carries
    its delay (`RETRY_DELAY` in meta) to `bbn_scraper.crawler.scheduler.BackoffScheduler`, which holds it."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def process_response(self, request, response):
        result = super().process_response(request, response)
        if result is not response:
            self._delay(result, retry_after(response.headers.get(b"Retry-After")))
            return self._waited(result) if is_robots_fetch(result) else result
        return result

    def process_exception(self, request, exception):
        result = super().process_exception(request, exception)
        if result is not None:
            self._delay(result, None)
            return self._waited(result) if is_robots_fetch(result) else result
        return result

    @staticmethod
    async def _waited(retry_request):
        """The robots middleware's own fetch is retried by the engine at once, past the
        scheduler: its back-off is waited here (its host's requests all wait for it anyway)."""
        from twisted.internet import reactor, task

        await maybe_deferred_to_future(task.deferLater(reactor, retry_request.meta[RETRY_DELAY], lambda: None))
        return retry_request

    def _delay(self, retry_request, server_delay: float | None) -> None:
        attempt = retry_request.meta.get("retry_times", 1)
        delay = server_delay if server_delay is not None else self.base * 2 ** (attempt - 1)
        retry_request.meta[RETRY_DELAY] = min(max(delay, 0.0), self.cap)


def retry_after(value: bytes | str | None) -> float | None:
    """Seconds from a Retry-After header (as Scrapy's bytes or urllib's str): delta-seconds or
    an HTTP date; None when there is none or it does not read."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


class QuietRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, changed in four ways:

    - A robots.txt that cannot be read for a server or network error (5xx, 429, a refused
      connection, a timeout: after the retries) forbids every page of its host for the rest of
      the crawl: each is refused with `RobotsUnreachable`, an error row saying why, and the
      next crawl tries again. One warning line names the host. A 4xx answer is no robots.txt:
      every page is allowed, whatever the error page's body says (Scrapy parsed it as rules).
    - Every request is checked, also when several came while their host's robots.txt was on
      the way (start URLs of one host, a distributed worker's first batch from the frontier).
      Scrapy 2.19 hands them one Deferred, whose result only the first awaiter gets: the others
      got None, which let them through unchecked.
    - Only the first ROBOTSTXT_MAX_SIZE bytes of a robots.txt are read (to the last line end
      within them): Protego's time to parse and to check each URL grows with the rules.
    - A failure of another kind is one warning line, not an error with a traceback."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.unreachable: dict[str, str] = {}  # netloc -> why its robots.txt could not be read
        self.max_size = crawler.settings.getint("ROBOTSTXT_MAX_SIZE")
        robots_logger = logging.getLogger(RobotsTxtMiddleware.__module__)
        if not any(isinstance(f, _OneLine) for f in robots_logger.filters):
            robots_logger.addFilter(_OneLine())

    async def process_request(self, request):
        await super().process_request(request)
        why = self.unreachable.get(urlparse_cached(request).netloc)
        if why and not request.meta.get("dont_obey_robotstxt"):
            raise RobotsUnreachable(f"not fetched: {why}, and a robots.txt that cannot be read forbids every"
                                    " page (RFC 9309)")

    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        settled = settled_robots(self, urlparse_cached(request).netloc)
        return parser if isinstance(settled, Deferred) else settled

    def process_response(self, request, response):
        if not is_robots_fetch(request):
            return response
        if response.status < 400:
            return self._bounded(response)
        if response.status >= 500 or response.status == 429:  # Google reads 429 as a server error too
            self._unreachable(request, f"its robots.txt answered HTTP {response.status}")
        return response.replace(body=b"")  # no rules: what a 4xx means, and nothing for an unreachable one

    def process_exception(self, request, exception):
        if is_robots_fetch(request) and not isinstance(exception, IgnoreRequest):
            message = str(exception).strip() or "no message"
            self._unreachable(request, f"its robots.txt could not be fetched ({type(exception).__name__}: {message})")
        return None

    def _bounded(self, response):
        if len(response.body) <= self.max_size:
            return response
        logger.warning("%s: robots.txt of %d bytes; only its first %d are read (RFC 9309)",
                       urlsplit(response.url).netloc, len(response.body), self.max_size)
        return response.replace(body=response.body[:response.body.rfind(b"\n", 0, self.max_size + 1) + 1])

    def _unreachable(self, request, why: str) -> None:
        first = request.meta.get("redirect_urls", [request.url])[0]  # the host whose robots.txt it is
        netloc = urlsplit(first).netloc
        if netloc not in self.unreachable:
            logger.warning("%s: %s; none of its pages is fetched in this crawl (RFC 9309)", netloc, why)
            self.unreachable[netloc] = why


class RobotsUnreachable(Refused):
    """A request not sent because its host's robots.txt could not be read."""


def is_robots_fetch(request) -> bool:
    """Whether `request` is RobotsTxtMiddleware's own fetch of a robots.txt (or a retry or
    redirect of it); not the spider's, which reads the sitemaps it names."""
    return request.callback is NO_CALLBACK and bool(request.meta.get("dont_obey_robotstxt"))


class _OneLine(logging.Filter):
    """Drops a record's traceback and makes its error a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.exc_info:
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class UrlKeyFingerprinter:
    """Request fingerprints by method, url_key and body: tracking-parameter, scheme, www and
    trailing-slash variants of a URL are one request for the dupefilter and JOBDIR."""

    def fingerprint(self, request) -> bytes:
        digest = hashlib.sha1()
        digest.update(request.method.encode())
        digest.update(b"\0" + url_key(request.url).encode())
        digest.update(b"\0" + (request.body or b""))
        return digest.digest()
