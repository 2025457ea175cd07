"""One progress line on a terminal instead of Scrapy's INFO log (setting PROGRESS_LINE; the CLI
turns it on when stderr is a terminal and --verbose is not given): pages fetched, new articles
stored, errors recorded, and pages per second, rewritten in place every PROGRESS_INTERVAL."""
from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall


class ProgressLine:
    def __init__(self, crawler, stream=None):
        self.crawler = crawler
        self.stream = stream or sys.stderr
        self.interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 1.0)
        self.started = time.monotonic()
        self.loop: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("PROGRESS_LINE"):
            raise NotConfigured
        progress = cls(crawler)
        crawler.signals.connect(progress.opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.closed, signal=signals.spider_closed)
        return progress

    def opened(self, spider) -> None:
        self.started = time.monotonic()
        self.loop = LoopingCall(self.show)
        self.loop.start(self.interval, now=False)

    def closed(self, spider, reason) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.show(end="\n")

    def line(self) -> str:
        pages = self.crawler.stats.get_value("downloader/response_count", 0)
        seconds = max(time.monotonic() - self.started, 1e-6)
        return (f"{pages} pages, {self._store('new_articles')} new articles, {self._store('errors')} errors,"
                f" {pages / seconds:.1f} pages/s")

    def show(self, end: str = "") -> None:
        self.stream.write(f"\r\x1b[K{self.line()}{end}")
        self.stream.flush()

    def _store(self, count: str) -> int:
        """New articles or error rows, as the store counted them (on its writer thread: an int
        read is safe)."""
        scraper = getattr(self.crawler.engine, "scraper", None)
        for pipeline in getattr(getattr(scraper, "itemproc", None), "middlewares", ()):
            if hasattr(pipeline, count):
                return getattr(pipeline, count)
        return 0
