"""A parse worker that dies, as a parser crash would, on every page whose URL contains
"poison"; the parse pool's tests start it in place of `python -m crawler.parse_pool`."""
import os
import signal

from crawler import parse_pool

parse = parse_pool.parse_fetched


def parse_or_die(body, content_type, url, links):
    if "poison" in url:
        os.kill(os.getpid(), signal.SIGKILL)
    return parse(body, content_type, url, links)


if __name__ == "__main__":
    parse_pool.parse_fetched = parse_or_die
    parse_pool.serve()
