"""A parse worker that notes "started PID" in the file named by its argument, and "exited PID"
once it has served its whole input (a killed worker never does); the parse pool's tests start it
in place of `python -m bbn_scraper.crawler.parse_pool` to see its workers from outside."""
import os
import sys

from bbn_scraper.crawler import parse_pool


def note(log: str, event: str) -> None:
    with open(log, "a") as out:
        out.write(f"{event} {os.getpid()}\n")


if __name__ == "__main__":
    note(sys.argv[1], "started")
    parse_pool.serve()
    note(sys.argv[1], "exited")
