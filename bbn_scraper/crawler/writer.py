"""The crawl's archive writes, in a thread of their own and in batches: SQLite and zlib release
the GIL, so storing overlaps with Scrapy's event loop, and one transaction per batch instead of
one per item halves the cost of a write.

A batch commits when no write is waiting, or after BATCH_SECONDS: a quiet crawl commits every
item at once, a busy one about once a second (a killed crawl loses at most that second, which
its next run fetches again). An import, whose writes come steadily, passes
commit_when_idle=False: its batches last BATCH_SECONDS, or until `flush`. When QUEUE_SIZE writes
wait, `put` waits for room without blocking the event loop."""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable

from archive import Archive

logger = logging.getLogger(__name__)
BATCH_SECONDS = 1.0
QUEUE_SIZE = 256  # writes waiting (each may hold a page): past it the crawl waits for the writer
CACHE_MIB = 64  # the writer's SQLite page cache: a batch's index pages stay in it (bench/README.md, section 11)
IDLE_POLL = 0.05  # seconds a batch that does not commit when idle waits for a write before looking for a flush
_STOP = object()


class ArchiveWriter:
    """`await put(fn, *args)` runs `fn(*args)` on the writer thread, inside the current batch's
    transaction; `fn` records its own failures. While the queue is full, `put` waits on the
    event loop, not in the loop's thread. Writes run in the order they were put. `flush()`
    waits until every write put so far is committed; `close()` flushes and stops the thread. The archive is only used by this thread
    between `start()` and `close()`."""

    def __init__(self, archive: Archive, batch_seconds: float = BATCH_SECONDS,
                 on_lost: Callable[[int, Exception], None] | None = None, commit_when_idle: bool = True):
        """`on_lost(writes, exc)` is called on the writer thread, after the rollback, when a
        batch of `writes` could not commit. `commit_when_idle=False`: a batch waits for more
        writes until its BATCH_SECONDS are over, rather than committing when none waits."""
        self.archive = archive
        self.batch_seconds = batch_seconds
        self.on_lost = on_lost
        self.commit_when_idle = commit_when_idle
        self._flushing = threading.Event()  # a flush waits: the batch commits now
        self.failed_batches = 0
        self._queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        self._waiting: deque = deque()  # (task, future) of puts waiting for room, in order
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)

    def start(self) -> None:
        self.archive.use_cache(CACHE_MIB)
        self._thread.start()

    async def put(self, fn: Callable, *args) -> None:
        self._check_running()
        if not self._waiting:
            try:
                self._queue.put_nowait((fn, args))
                return
            except queue.Full:
                pass
        self._loop = asyncio.get_running_loop()
        room = self._loop.create_future()
        self._waiting.append(((fn, args), room))
        self._move_waiting()  # the writer may have made room before this put was waiting
        await room

    def flush(self) -> None:
        self._flushing.set()
        try:
            self._queue.join()
        finally:
            self._flushing.clear()

    def close(self) -> None:
        if self._thread.is_alive():
            while self._waiting:  # puts whose event loop stopped before there was room
                task, room = self._waiting.popleft()
                self._queue.put(task)
            self._queue.put(_STOP)
            self._thread.join()

    def _check_running(self) -> None:
        if not self._thread.is_alive():
            raise RuntimeError("the archive writer is not running")

    def _move_waiting(self) -> None:
        """On the event loop: queue the waiting puts, in order, while there is room."""
        while self._waiting:
            task, room = self._waiting[0]
            try:
                self._queue.put_nowait(task)
            except queue.Full:
                return
            self._waiting.popleft()
            if not room.done():
                room.set_result(None)

    def _take(self, block: bool = True, timeout: float | None = None):
        """On the writer thread: the next write; a put waiting for room is told there is some."""
        task = self._queue.get(timeout=timeout) if block else self._queue.get_nowait()
        if self._waiting:
            try:
                self._loop.call_soon_threadsafe(self._move_waiting)
            except RuntimeError:
                pass  # the loop is closed: close() queues what still waits
        return task

    def _next(self, deadline: float):
        """On the writer thread, in a batch: the next write, or None when the batch should commit
        (no write waits and the writer commits when idle, or a flush waits; or the deadline is past)."""
        while (left := deadline - time.monotonic()) > 0:
            now = self.commit_when_idle or self._flushing.is_set()
            try:
                return self._take(block=False) if now else self._take(timeout=min(left, IDLE_POLL))
            except queue.Empty:
                if now:
                    return None
        return None

    def _run(self) -> None:
        while True:
            task = self._take()
            if task is _STOP:
                self._queue.task_done()
                return
            taken, stop = 1, False
            try:
                with self.archive.transaction(search_later=True):
                    deadline = time.monotonic() + self.batch_seconds
                    while True:
                        _call(*task)
                        task = self._next(deadline)
                        if task is None:
                            break
                        taken += 1
                        if task is _STOP:
                            stop = True
                            break
            except Exception as exc:  # noqa: BLE001 - BEGIN or COMMIT failed (locked, disk full): say so loudly
                self.failed_batches += 1
                logger.error("could not commit %d archive writes; they are lost: %s", taken - stop, exc)
                if self.on_lost is not None:
                    self.on_lost(taken - stop, exc)
            finally:
                for _ in range(taken):
                    self._queue.task_done()
            if stop:
                return


def _call(fn: Callable, args: tuple) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - fn records its own failures; this is the last resort
        logger.exception("archive write %s failed", getattr(fn, "__name__", fn))
