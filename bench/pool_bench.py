"""The parse pool's cost to the crawl: pages pushed through the parse workers as the spider
pushes them (links included, CONCURRENT pages in flight), against parsing in process, on the
same pages, in one run. (It chose the hand-written pool over pebble.ProcessPool: bench/README.md.)

    python bench/pool_bench.py [--rounds 5] [--processes 1] [--corpus DIR] [--pages N]

Per round and pool: pages/s (wall time from the first page sent to the last answer, the
workers already started) and the calling process's CPU per page (every thread of it: the
event loop and whatever threads the pool runs; the workers' own CPU is not counted). Rounds
are interleaved; each figure is the median. DIR defaults to tests/fixtures; a folder of
*.html.gz pages works too (e.g. ../shared/benchmarks/article-extraction/html).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from parse_speed import load_pages  # noqa: E402

CONTENT_TYPE = "text/html; charset=utf-8"
CONCURRENT = 16  # the crawl's CONCURRENT_REQUESTS


def pools(processes: int) -> dict:
    from bbn_scraper.crawler.parse_pool import ParsePool

    return {
        "parse workers": lambda: ParsePool(processes),
        "in process": lambda: ParsePool(0),
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_round(make_pool, pages: list[tuple[str, bytes]]) -> tuple[float, float]:
    """(pages/s, ms of this process's CPU per page) of one pass over `pages`."""
    pool = make_pool()
    limit = asyncio.Semaphore(CONCURRENT)

    async def parse(url, body):
        async with limit:
            return await pool.parse(body, CONTENT_TYPE, url)

    try:
        await asyncio.gather(*(parse(url, body) for url, body in pages[:CONCURRENT]))  # workers up
        started, cpu = time.perf_counter(), cpu_seconds()
        await asyncio.gather(*(parse(url, body) for url, body in pages))
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    finally:
        await pool.close()
    return len(pages) / wall, 1000 * cpu / len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "fixtures")
    parser.add_argument("--pages", type=int, default=2000, help="pages per round (the corpus repeated)")
    args = parser.parse_args()
    corpus = load_pages(args.corpus)
    pages = (corpus * (args.pages // len(corpus) + 1))[:args.pages]
    contenders = pools(args.processes)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, make_pool in contenders.items():
            results[name].append(asyncio.run(one_round(make_pool, pages)))
    print(f"{len(pages)} pages ({len(corpus)} of {args.corpus}), {args.processes} worker(s), "
          f"{CONCURRENT} in flight, median of {args.rounds} rounds; load {os.getloadavg()[0]:.2f}")
    for name, rounds in results.items():
        rates = [rate for rate, _ in rounds]
        cpus = [cpu for _, cpu in rounds]
        print(f"{name:20} {statistics.median(rates):7.0f} pages/s ({min(rates):.0f}-{max(rates):.0f})"
              f"  {statistics.median(cpus):6.3f} ms CPU/page ({min(cpus):.3f}-{max(cpus):.3f})")


if __name__ == "__main__":
    main()
