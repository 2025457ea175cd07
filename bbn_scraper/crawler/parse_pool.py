"""Parsing beside the crawl: fetched pages are decoded and parsed in worker processes, so the
crawl's largest CPU cost runs on other cores instead of blocking Scrapy's event loop. A page
that kills the parser's process (twice: the first death may be chance) or takes longer than
the timeout costs that page only: its worker is replaced and the pages behind it go on.

Each worker is `python -P -m bbn_scraper.crawler.parse_pool` (-P: the crawl's working directory
is not put on sys.path, so a `parsers/` or `archive.py` of the user's cannot stand in for ours),
fed length-prefixed JSON records (`archive.wire`: data, never pickle) over its stdin, each
page's body following its record as raw bytes (no base64 to encode and decode), and
answering in order on its stdout, each answer with its CPU time and peak RSS so far. Besides
the article and its links, a worker computes the body's MinHash signature
(`archive.stories.body_signature`) with the archive's story settings, so that the store only
writes it: the CPU of a page is spent on the workers, not on the archive's one writer; asked
to (`pack`), it also makes the body as the archive stores it (`archive.items.pack_body`: its
SHA-256 and zlib stream, sent back as raw bytes), which the store then only checks and writes.
Setting PARSE_PROCESSES: how many; 0 parses in the crawl's own process; unset, one per CPU
beyond the first, at most four. Setting PARSE_TIMEOUT: CPU seconds a worker may spend on one
page (default 30; where /proc does not tell a process's CPU time, wall-clock seconds), and
four times that in wall-clock time at most; counted in CPU, so that a page's fate does not
depend on how many workers share the cores. It cannot apply in process (nothing can stop a parse running in the event
loop's own thread), so PARSE_PROCESSES=0 has no timeout."""
from __future__ import annotations

import asyncio
import fcntl
import os
import resource
import struct
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from archive import item_codec, wire
from archive.items import BodySignature, PackedBody, pack_body
from archive.model import Article
from archive.stories import StorySettings, body_signature
from bbn_scraper.parsers import parse_article, parse_page
from bbn_scraper.parsers.document import page_text

MAX_AUTO_PROCESSES = 4
HEADER = struct.Struct("!II")  # a frame: the JSON record's length, then the raw bytes' after it
PIPE_BYTES = 1 << 20
PARSE_TIMEOUT = 30.0
WALL_FACTOR = 4  # a worker that has not answered in this many times PARSE_TIMEOUT of wall-clock time is killed too
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
Parsed = tuple[Article | None, list[str], BodySignature | None, PackedBody | None]
PAGE, ANSWER = "ParsePage", "ParseAnswer"  # the records of the workers' pipes


class ParseFailed(Exception):
    """The parser raised on this page, took longer than the timeout, or its process died on it twice."""


def parse_fetched(body: bytes, content_type: str, url: str, links: bool = True,
                  stories: StorySettings | None = None, pack: bool = False) -> Parsed:
    """A fetched page's article (or None), its links (none unless `links`: the link list
    costs a walk of the page), with `stories` its body's signature under those settings, and
    with `pack` the page's body as the archive stores it: what a worker does for each page."""
    text = page_text(body, content_type)
    article, found = parse_page(text, url) if links else (parse_article(text, url), [])
    signature = body_signature(article.body, stories) if article is not None and stories is not None else None
    return article, found, signature, pack_body(body) if pack else None


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def auto_processes(reserved: int = 1) -> int:
    """One worker per CPU this process may use beyond `reserved` (the crawl keeps one for
    Scrapy), at most MAX_AUTO_PROCESSES."""
    return max(0, min(MAX_AUTO_PROCESSES, usable_cpus() - reserved))


@dataclass
class _Worker:
    process: asyncio.subprocess.Process
    pending: deque = field(default_factory=deque)  # futures, in the order of their pages
    reader: asyncio.Task | None = None
    ready: bool = False  # started: a page's time counts from then
    deadline: asyncio.TimerHandle | None = None  # for the page at the head of `pending`
    timed_out: asyncio.Future | None = None  # the page it was killed for
    timed_out_reason: str = ""
    page_started: tuple[float, float] = (0.0, 0.0)  # the loop's time and the worker's CPU seconds then
    cpu_seconds: float = 0.0  # as the worker last reported them
    peak_rss_mib: float = 0.0


class _Requeue(Exception):
    """The worker died on an earlier page: send this one again."""


class _Died(Exception):
    """The worker died while parsing this page (which is sent once more before it is blamed)."""


class ParsePool:
    """`await pool.parse(body, content_type, url)` in `processes` workers (0: in process), each
    page given `timeout` seconds of its worker's time; `command` starts a worker (default: this
    module's `serve`); `stories`: the archive's story settings, for the body signatures (None:
    none computed)."""

    def __init__(self, processes: int, timeout: float = PARSE_TIMEOUT, command: list[str] | None = None,
                 stories: StorySettings | None = None):
        self.processes = processes
        self.stories = stories
        self.timeout = timeout
        self.command = command or [sys.executable, "-P", "-m", __name__]
        self.started = 0
        self._workers: list[_Worker] = []
        self._ended: list[_Worker] = []
        self._starting = asyncio.Lock()  # bound to a loop only once contended

    async def parse(self, body: bytes, content_type: str, url: str, links: bool = True, pack: bool = False) -> Parsed:
        """`pack`: the page's body as stored too, made by the worker (not in process: there
        the store's thread would make it alike)."""
        if not self.processes:
            return parse_fetched(body, content_type, url, links, self.stories)
        frame = _frame(PAGE, {"body": body is not None, "content_type": content_type, "url": url, "links": links,
                              "stories": _plain_settings(self.stories), "pack": pack}, body or b"")
        deaths = 0
        while True:
            worker = await self._least_busy()
            if worker.reader.done():
                continue
            future = asyncio.get_running_loop().create_future()
            worker.pending.append(future)
            self._arm(worker)
            try:
                worker.process.stdin.write(frame)
                await worker.process.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the worker is gone: its reader settles the future
            try:
                return await future
            except _Requeue:
                continue
            except _Died as died:
                deaths += 1
                if deaths == 2:  # not a worker killed by chance (OOM killer, a signal): this page
                    raise ParseFailed(f"the parser's process died on this page, twice ({died})") from None

    async def close(self, timeout: float = 30.0) -> None:
        """End every worker's input and wait for it to exit (each answers what it was sent
        first); one still running after `timeout` seconds is killed."""
        workers, self._workers = self._workers, []
        self._ended += workers
        for worker in workers:
            worker.process.stdin.close()
        for worker in workers:
            try:
                await asyncio.wait_for(worker.process.wait(), timeout)
            except asyncio.TimeoutError:
                worker.process.kill()
                await worker.process.wait()

    def usage(self) -> dict[str, float]:
        """Workers started, their CPU seconds in all and the largest one's peak RSS, as they
        reported them with their last answers."""
        workers = self._ended + self._workers
        return {
            "processes_started": self.started,
            "cpu_seconds": round(sum(w.cpu_seconds for w in workers), 2),
            "peak_rss_mib": round(max((w.peak_rss_mib for w in workers), default=0.0), 1),
        }

    async def _least_busy(self) -> _Worker:
        self._ended += [w for w in self._workers if w.reader.done()]
        self._workers = [w for w in self._workers if not w.reader.done()]
        if len(self._workers) < self.processes:
            async with self._starting:
                if len(self._workers) < self.processes:
                    worker = await self._start()  # not `self._workers.append(await ...)`: the
                    self._workers.append(worker)  # list may be replaced while this awaits
        return min(self._workers, key=lambda w: len(w.pending))

    def _arm(self, worker: _Worker) -> None:
        """Time the page the worker is parsing now, the head of its queue (answers come in order)."""
        if worker.ready and worker.pending and worker.deadline is None:
            loop = asyncio.get_running_loop()
            worker.page_started = (loop.time(), worker.cpu_seconds)  # its CPU at its last answer: idle since
            worker.deadline = loop.call_later(self.timeout, self._time_out, worker, worker.pending[0])

    def _time_out(self, worker: _Worker, page: asyncio.Future) -> None:
        """Kill the worker still parsing `page` once it has spent the timeout in CPU seconds on
        it, or WALL_FACTOR times that in wall-clock time (a worker waiting on nothing); its
        reader then fails the page and requeues the rest. Counted in CPU, a page's fate does
        not depend on how many workers share the machine's cores."""
        worker.deadline = None
        if not (worker.pending and worker.pending[0] is page and worker.process.returncode is None):
            return
        loop = asyncio.get_running_loop()
        started, cpu_started = worker.page_started
        cpu = process_cpu_seconds(worker.process.pid)
        waited = loop.time() - started
        if cpu is not None and waited < WALL_FACTOR * self.timeout:
            left = self.timeout - (cpu - cpu_started)
            if left > 0:
                worker.deadline = loop.call_later(min(max(left, 0.05), WALL_FACTOR * self.timeout - waited),
                                                  self._time_out, worker, page)
                return
        worker.timed_out = page
        worker.timed_out_reason = (f"parse timed out after {self.timeout:g} s" if waited < WALL_FACTOR * self.timeout
                                   else f"parse timed out: no answer in {waited:.0f} s")
        worker.process.kill()

    async def _start(self) -> _Worker:
        package_root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        # A process group of its own: a terminal's Ctrl-C goes to the crawl alone, which then
        # ends the worker's input (a KeyboardInterrupt in the worker only printed a traceback).
        process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, process_group=0,
        )
        worker = _Worker(process)
        worker.reader = asyncio.create_task(self._read(worker))
        self.started += 1
        return worker

    async def _read(self, worker: _Worker) -> None:
        """Settle the worker's futures in order from its answers; on its death the page it
        was parsing is suspect and the pages queued behind it go to another worker."""
        stdout = worker.process.stdout
        try:
            while True:
                size, raw = HEADER.unpack(await stdout.readexactly(HEADER.size))
                answer = wire.loads(await stdout.readexactly(size), {ANSWER})
                packed = await stdout.readexactly(raw) if raw else b""
                kind, value = answer["kind"], answer["value"]
                worker.cpu_seconds, worker.peak_rss_mib = answer["cpu_seconds"], answer["peak_rss_mib"]
                if worker.deadline is not None:
                    worker.deadline.cancel()
                    worker.deadline = None
                if kind == "ready":
                    worker.ready = True
                else:
                    _settle(worker.pending.popleft(), kind, value, packed)
                self._arm(worker)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            code = await worker.process.wait()
            if worker.deadline is not None:
                worker.deadline.cancel()
            if worker.pending:
                culprit = worker.pending.popleft()
                if culprit is worker.timed_out:
                    _settle(culprit, "error", worker.timed_out_reason)
                elif not culprit.done():
                    culprit.set_exception(_Died(f"exit code {code}"))
            while worker.pending:
                future = worker.pending.popleft()
                if not future.done():
                    future.set_exception(_Requeue())


def process_cpu_seconds(pid: int) -> float | None:
    """The CPU seconds (user and system) process `pid` has used, from /proc (None where there is none)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


def _settle(future: asyncio.Future, kind: str, value, packed: bytes = b"") -> None:
    if not future.done():
        if kind == "ok":
            future.set_result(_parsed(value, packed))
        else:
            future.set_exception(ParseFailed(value))


def _plain_parsed(parsed: Parsed) -> tuple[dict, bytes]:
    """The answer's record, and its raw bytes: the packed body's zlib stream (no base64)."""
    article, links, signature, packed = parsed
    return {"article": None if article is None else item_codec.plain(article), "links": links,
            "signature": None if signature is None else item_codec.plain(signature),
            "packed": None if packed is None else packed.sha256}, b"" if packed is None else packed.zlib


def _parsed(value: dict, raw: bytes) -> Parsed:
    """The parse result of an answer; its packed body None unless whole (the store makes it then)."""
    article, signature, digest = value["article"], value["signature"], value["packed"]
    return (None if article is None else item_codec.build(Article, article), value["links"],
            None if signature is None else item_codec.build(BodySignature, signature),
            PackedBody(digest, raw) if isinstance(digest, str) and raw else None)


def _plain_settings(settings: StorySettings | None) -> list | None:
    return None if settings is None else [settings.threshold, settings.num_perm, settings.shingle]


def _peak_rss_mib(usage) -> float:
    """This process's own peak RSS: VmHWM where /proc has it (ru_maxrss carries the crawl's RSS
    over the exec that started the worker)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return usage.ru_maxrss / 1024


def _widen(pipe) -> None:
    """A pipe of PIPE_BYTES where Linux allows it: a page then crosses in one write instead of
    several, each of which costs the crawl's event loop a wake-up."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # not a pipe, or above the system's pipe-max-size: the default then


def _frame(kind: str, record: dict, raw: bytes = b"") -> bytes:
    data = wire.dumps(kind, record)
    return b"".join((HEADER.pack(len(data), len(raw)), data, raw))


def serve(stdin=sys.stdin.buffer, stdout=sys.stdout.buffer) -> None:
    """A worker: say it is ready, then parse each page read from stdin and answer on stdout,
    until end of input."""
    for pipe in (stdin, stdout):
        _widen(pipe)
    _answer(stdout, "ready", None)
    while header := stdin.read(HEADER.size):
        try:
            size, raw = HEADER.unpack(header)
            data, body = stdin.read(size), stdin.read(raw)
            page = wire.loads(data, {PAGE})
            stories = page["stories"] and StorySettings(*page["stories"])
            answer = ("ok", *_plain_parsed(parse_fetched(
                body if page["body"] else None, page["content_type"], page["url"], page["links"], stories,
                bool(page["pack"]))))
        except Exception as exc:  # noqa: BLE001 - reported to the crawl as this page's parse error
            answer = ("error", f"{type(exc).__name__}: {exc}")
        _answer(stdout, *answer)


def _answer(stdout, kind: str, value, raw: bytes = b"") -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stdout.write(_frame(ANSWER, {"kind": kind, "value": value, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                                 "peak_rss_mib": _peak_rss_mib(usage)}, raw))
    stdout.flush()

if __name__ == "__main__":
    serve()
