"""A parse worker that dies, as a parser crash would, on every page whose URL contains
"/poison/", and hangs, as a parser stuck in a loop would, on every page whose URL contains
"/hang/" (or $HANG_URL_PART; whole path segments, so that a story about timetable "changes"
does not hang), and spends $SLOW_CPU_SECONDS (0.6) of CPU on every page whose URL contains
"/slow/"; the parse pool's tests start it in place of `python -m
bbn_scraper.crawler.parse_pool`. `python poison_worker.py crawl ARGS` is `bbn-archive crawl ARGS` with
these workers, and so is `import-warc` (its PARSE_TIMEOUT from $PARSE_TIMEOUT, if set)."""
import os
import signal
import sys
import time

from bbn_scraper.crawler import parse_pool

parse = parse_pool.parse_fetched


def parse_or_fail(body, content_type, url, *args):
    if "/poison/" in url:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("HANG_URL_PART", "/hang/") in url:
        while True:  # stuck in a loop, burning CPU
            pass
    if "/slow/" in url:  # SLOW_CPU_SECONDS of CPU, however long that takes on a busy machine
        started = time.process_time()
        while time.process_time() - started < float(os.environ.get("SLOW_CPU_SECONDS", "0.6")):
            pass
    return parse(body, content_type, url, *args)


if __name__ == "__main__":
    if sys.argv[1:2] in (["crawl"], ["import-warc"]):
        from bbn_scraper import settings
        from bbn_scraper.app.cli import cli

        settings.PARSE_TIMEOUT = float(os.environ.get("PARSE_TIMEOUT", settings.PARSE_TIMEOUT))

        parse_pool.ParsePool.__init__.__defaults__ = (parse_pool.PARSE_TIMEOUT, [sys.executable, __file__], None)
        cli(sys.argv[1:], prog_name="bbn-archive")
    else:
        parse_pool.parse_fetched = parse_or_fail
        parse_pool.serve()
