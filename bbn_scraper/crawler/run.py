"""Running the bbn spider from Python (the CLI's `crawl` and `demo`): one crawl per process,
as Twisted's reactor cannot be restarted."""
from __future__ import annotations

import contextlib
import difflib
import functools
import logging
import signal
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.ossignal import install_shutdown_handlers, signal_names

from bbn_scraper.crawler.downloader import stop_waiting
from bbn_scraper.crawler.revisit import bad_policy
from bbn_scraper.crawler.spiders.bbn import BbnSpider

# For sites the project serves itself on 127.0.0.1: no politeness delays.
LOCAL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "RETRY_BACKOFF_BASE": 0.1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "WARNING",
}


logger = logging.getLogger(__name__)


class StoppingCrawlerProcess(CrawlerProcess):
    """SIGTERM or Ctrl-C: Scrapy's graceful stop, without waiting out the download delays; a
    second one stops at once. Scrapy's own handlers are left out (`install_signal_handlers`)
    and these installed the way Scrapy installs its own, through public names only."""

    def start(self, stop_after_crawl: bool = True, install_signal_handlers: bool = True) -> None:
        from twisted.internet import reactor

        if install_signal_handlers:
            reactor.addSystemEventTrigger("after", "startup", install_shutdown_handlers, self._stop_gracefully)
        super().start(stop_after_crawl, install_signal_handlers=False)

    def _stop_gracefully(self, signum, frame) -> None:
        from twisted.internet import reactor

        # Signal handlers only queue work: logging here could interrupt a write to the same stream.
        install_shutdown_handlers(self._stop_now)
        reactor.callFromThread(logger.info, "Received %s, shutting down gracefully. Send again to force",
                               signal_names[signum])
        reactor.callFromThread(self.stop)  # the engines stop scheduling; the reactor stops when the crawls end
        for crawler in list(self.crawlers):
            reactor.callFromThread(stop_waiting, crawler)  # then the requests waiting for a delay go

    def _stop_now(self, signum, frame) -> None:
        from twisted.internet import reactor

        install_shutdown_handlers(signal.SIG_IGN)
        reactor.callFromThread(logger.info, "Received %s twice, forcing unclean shutdown", signal_names[signum])
        reactor.callFromThread(_stop_reactor)


def _stop_reactor() -> None:
    from twisted.internet import reactor

    with contextlib.suppress(RuntimeError):  # already stopping
        reactor.stop()


def crawl_settings(db: str, overrides: dict | None = None) -> Settings:
    """The project's settings with the archive path and `overrides` on top."""
    settings = Settings()
    settings.setmodule("bbn_scraper.settings", priority="project")
    settings.set("ARCHIVE_DB", db, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


# Settings that must be above zero, or not below it, whatever their default's type.
POSITIVE = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS")
NOT_NEGATIVE = ("DOWNLOAD_DELAY", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY", "DOWNLOAD_TIMEOUT",
                "RETRY_BACKOFF_BASE", "RETRY_BACKOFF_MAX", "ARCHIVE_MAX_ARTICLES", "RETRY_TIMES", "PARSE_PROCESSES", "PARSE_TIMEOUT")
INTEGERS = ("PARSE_PROCESSES",)  # no default to tell the type by


@functools.cache
def known_settings() -> tuple[str, ...]:
    """Every setting name Scrapy (scrapy.settings.default_settings) or the project
    (bbn_scraper.settings) declares, sorted."""
    from scrapy.settings import default_settings

    from bbn_scraper import settings as project

    return tuple(sorted({name for module in (default_settings, project) for name in vars(module)
                         if name.isupper() and not name.startswith("_")}))


def unknown_setting(name: str) -> str | None:
    """Why `name` is no setting (declared by neither Scrapy nor the project), with the nearest
    declared names (difflib); None when it is one."""
    if name in known_settings():
        return None
    near = difflib.get_close_matches(name.upper(), known_settings(), n=1, cutoff=0.6)
    return f"{name}: no such setting" + (f" (did you mean {near[0]}?)" if near else " (README: Settings lists them)")


def bad_setting(name: str, value) -> str | None:
    """Why `value` is no value for the setting `name`, judged by the type of its default
    (Scrapy's or the project's): a name no one declares (`unknown_setting`), a number that does
    not read as one, a boolean Scrapy's `getbool` refuses, a count below 1 or a delay below 0,
    a revisit policy that does not read. None when it is fine."""
    if unknown_setting(name):
        return unknown_setting(name)
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
