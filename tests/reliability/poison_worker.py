"""A parse worker that dies, as a parser crash would, on every page whose URL contains
"poison", and hangs, as a parser stuck in a loop would, on every page whose URL contains
"hang"; the parse pool's tests start it in place of `python -m crawler.parse_pool`."""
import os
import signal
import time

from crawler import parse_pool

parse = parse_pool.parse_fetched


def parse_or_fail(body, content_type, url, links):
    if "poison" in url:
        os.kill(os.getpid(), signal.SIGKILL)
    if "hang" in url:
        time.sleep(3600)
    return parse(body, content_type, url, links)


if __name__ == "__main__":
    parse_pool.parse_fetched = parse_or_fail
    parse_pool.serve()
