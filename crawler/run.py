"""Running the bbn spider from Python (the CLI's `crawl` and `demo`): one crawl per process,
as Twisted's reactor cannot be restarted."""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.downloader import stop_waiting
from crawler.revisit import bad_policy
from crawler.spiders.bbn import BbnSpider

# For sites the project serves itself on 127.0.0.1: no politeness delays.
LOCAL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "RETRY_BACKOFF_BASE": 0.1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "WARNING",
}


class StoppingCrawlerProcess(CrawlerProcess):
    """SIGTERM or Ctrl-C: Scrapy's graceful stop, without waiting out the download delays."""

    def _signal_shutdown(self, signum, frame) -> None:
        from twisted.internet import reactor

        super()._signal_shutdown(signum, frame)  # queues the graceful stop: the engine stops scheduling
        for crawler in list(self.crawlers):
            reactor.callFromThread(stop_waiting, crawler)  # then the requests waiting for a delay go


def crawl_settings(db: str, overrides: dict | None = None) -> Settings:
    """The project's settings with the archive path and `overrides` on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_DB", db, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


# Settings that must be above zero, or not below it, whatever their default's type.
POSITIVE = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS")
NOT_NEGATIVE = ("DOWNLOAD_DELAY", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY", "DOWNLOAD_TIMEOUT",
                "RETRY_BACKOFF_BASE", "RETRY_BACKOFF_MAX", "ARCHIVE_MAX_ARTICLES", "RETRY_TIMES", "PARSE_PROCESSES", "PARSE_TIMEOUT")
INTEGERS = ("PARSE_PROCESSES",)  # no default to tell the type by


def bad_setting(name: str, value) -> str | None:
    """Why `value` is no value for the setting `name`, judged by the type of its default
    (Scrapy's or the project's): a number that does not read as one, a boolean Scrapy's
    `getbool` refuses, a count below 1 or a delay below 0, a revisit policy that does not read.
    None when it is fine."""
    if name == "REVISIT_POLICY":
        return bad_policy(value) and f"{name}: {bad_policy(value)}"
    default = crawl_settings("").get(name)
    readers = {bool: Settings.getbool, int: Settings.getint, float: Settings.getfloat}
    reader = readers.get(type(default)) or (Settings.getfloat if name in POSITIVE + NOT_NEGATIVE else None)
    if name in INTEGERS:
        reader = Settings.getint
    elif reader is Settings.getint and ("DELAY" in name or "TIMEOUT" in name):
        reader = Settings.getfloat  # seconds: Scrapy reads them as floats
    if reader is None:
        return None
    probe = Settings({name: value})
    try:
        number = reader(probe, name)
    except (TypeError, ValueError):
        expected = {Settings.getbool: "true or false", Settings.getint: "a whole number"}.get(reader, "a number")
        return f"{name}={value} is not {expected}"
    if name in POSITIVE and number < 1:
        return f"{name}={value}: must be at least 1"
    if name in NOT_NEGATIVE and number < 0:
        return f"{name}={value}: must not be negative"
    return None


def bad_start_url(url: str) -> str | None:
    """Why `url` cannot start a crawl (not http or https, no host, an unreadable port), or None."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number in 0-65535
    except ValueError as exc:
        return f"{url!r} is not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{url!r} is not an http or https URL"
    if not parts.hostname:
        return f"{url!r} has no host name"
    return None


def run_crawl(start_urls: list[str], db: str, overrides: dict | None = None, refresh: bool = False,
              full: bool = False) -> dict:
    """Crawl `start_urls` into the archive at `db` (`full`: walk every listing page, as a
    first crawl does); returns the crawl's stats when it is over
    (no `bbn/crawl_id`: it never started; a `bbn/store_failure`: the archive stopped it)."""
    process = StoppingCrawlerProcess(crawl_settings(db, overrides))
    crawler = process.create_crawler(BbnSpider)
    process.crawl(crawler, start_urls=list(start_urls), refresh=refresh, full=full)
    process.start()
    return crawler.stats.get_stats()
