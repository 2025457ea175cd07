"""Running the bbn spider from Python (the CLI's `crawl` and `demo`): one crawl per process,
as Twisted's reactor cannot be restarted."""
from __future__ import annotations

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.bbn import BbnSpider

# For sites the project serves itself on 127.0.0.1: no politeness delays.
LOCAL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "RETRY_BACKOFF_BASE": 0.1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "WARNING",
}


def crawl_settings(db: str, overrides: dict | None = None) -> Settings:
    """The project's settings with the archive path and `overrides` on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_DB", db, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(start_urls: list[str], db: str, overrides: dict | None = None, refresh: bool = False,
              full: bool = False) -> dict:
    """Crawl `start_urls` into the archive at `db` (`full`: walk every listing page, as a
    first crawl does); returns the crawl's stats when it is over
    (no `bbn/crawl_id`: it never started; a `bbn/store_failure`: the archive stopped it)."""
    process = CrawlerProcess(crawl_settings(db, overrides))
    crawler = process.create_crawler(BbnSpider)
    process.crawl(crawler, start_urls=list(start_urls), refresh=refresh, full=full)
    process.start()
    return crawler.stats.get_stats()
