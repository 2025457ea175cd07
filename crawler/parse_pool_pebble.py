"""Prototype for measurement: the parse pool on pebble.ProcessPool (forkserver workers)."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
from concurrent.futures import TimeoutError as FutureTimeout

import pebble

from crawler.parse_pool import ParseFailed, Parsed, _peak_rss_mib, parse_fetched

PARSE_TIMEOUT = 30.0


def parse_in_worker(parse, body, content_type, url, links):
    """In a worker: the page parsed, with the worker's pid, CPU seconds and peak RSS so far."""
    result = parse(body, content_type, url, links)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return result, os.getpid(), usage.ru_utime + usage.ru_stime, _peak_rss_mib(usage)


class PebblePool:
    def __init__(self, processes: int, timeout: float = PARSE_TIMEOUT, parse=parse_fetched):
        self.processes = processes
        self.timeout = timeout
        self.parse_function = parse
        self.started = 0
        self._usage: dict[int, tuple[float, float]] = {}
        self._pool = None
        if processes:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            self._pool = pebble.ProcessPool(max_workers=processes, context=context)
            self.started = processes

    async def parse(self, body: bytes, content_type: str, url: str, links: bool = True) -> Parsed:
        if self._pool is None:
            return self.parse_function(body, content_type, url, links)
        deaths = 0
        while True:
            future = self._pool.schedule(parse_in_worker, (self.parse_function, body, content_type, url, links),
                                         timeout=self.timeout)
            try:
                result, pid, cpu, rss = await asyncio.wrap_future(future)
            except FutureTimeout:
                self.started += 1
                raise ParseFailed(f"parse timed out after {self.timeout:g} s") from None
            except pebble.ProcessExpired as expired:
                self.started += 1
                deaths += 1
                if deaths == 2:
                    raise ParseFailed(f"the parser's process died on this page, twice (exit code {expired.exitcode})") from None
                continue
            except Exception as exc:
                raise ParseFailed(f"{type(exc).__name__}: {exc}") from None
            self._usage[pid] = (cpu, rss)
            return result

    async def close(self, timeout: float = 30.0) -> None:
        if self._pool is not None:
            self._pool.close()
            await asyncio.get_running_loop().run_in_executor(None, self._pool.join)

    def usage(self):
        return {
            "processes_started": self.started,
            "cpu_seconds": round(sum(c for c, _ in self._usage.values()), 2),
            "peak_rss_mib": round(max((r for _, r in self._usage.values()), default=0.0), 1),
        }
