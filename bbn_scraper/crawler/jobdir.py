"""`--resume DIR` (Scrapy's JOBDIR) that is safe to reuse every night and after a crash."""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

logger = logging.getLogger(__name__)

STATUS_FILE = "bbn-job"  # "running <pid>" during a crawl, its close reason after it
RESUMABLE = "shutdown"  # Ctrl-C or SIGTERM: Scrapy saved the queue and the seen requests
SCRAPY_STATE = ("requests.seen", "requests.queue", "spider.state")


class JobDirBusy(RuntimeError):
    """Another crawl is using the job directory."""


def _lock(path: Path):
    """The job directory's status file, exclusively locked; `JobDirBusy` if a crawl holds it."""
    path.mkdir(parents=True, exist_ok=True)
    status_file = open(path / STATUS_FILE, "a+")
    try:
        fcntl.flock(status_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        status_file.seek(0)
        status = status_file.read().strip()
        status_file.close()
        raise JobDirBusy(f"job directory {path} is in use by another crawl ({status})") from None
    return status_file


def check_free(path: str | Path) -> None:
    """Raise `JobDirBusy` now, before Scrapy starts, if another crawl uses the job directory."""
    _lock(Path(path)).close()  # closing the file releases the lock


class JobDirGuard:
    """Extension that decides, before the scheduler opens the job directory, whether its
    state is worth resuming. Scrapy keeps the queue and the seen requests consistent only
    when a crawl stops gracefully (reason "shutdown"); that crawl is resumed. After a crawl
    that finished, whose seen requests would filter out every request of the next run, or
    one that was killed (queue lost, seen requests partly written), the state is removed and
    the crawl starts discovery again; articles already archived are still not downloaded."""

    def __init__(self, path: Path):
        self.path = path
        self.file = None

    @classmethod
    def from_crawler(cls, crawler):
        jobdir = job_dir(crawler.settings)
        if not jobdir:
            raise NotConfigured
        guard = cls(Path(jobdir))
        guard.open()
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def open(self) -> None:
        self.file = _lock(self.path)
        self.file.seek(0)
        previous = self.file.read().strip()
        if previous and previous != RESUMABLE:
            killed = previous.startswith("running")
            logger.log(logging.WARNING if killed else logging.INFO,
                       "the last crawl in %s %s: starting afresh, archived articles are not downloaded again",
                       self.path, "was killed" if killed else f"ended ({previous})")
            self.clear()

    def clear(self) -> None:
        for name in SCRAPY_STATE:
            target = self.path / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)

    def spider_opened(self, spider):
        """From now on the state in the directory changes: if the crawl dies, it is not to be trusted."""
        self._write(f"running {os.getpid()}")

    def spider_closed(self, spider, reason):
        """Runs after the scheduler has saved its state."""
        self._write(reason)
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()

    def _write(self, text: str) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.file.write(text)
        self.file.flush()
        os.fsync(self.file.fileno())
