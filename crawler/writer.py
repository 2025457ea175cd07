"""The crawl's archive writes, in a thread of their own and in batches: SQLite and zlib release
the GIL, so storing overlaps with Scrapy's event loop, and one transaction per batch instead of
one per item halves the cost of a write.

A batch commits when no write is waiting, or after BATCH_SECONDS: a quiet crawl commits every
item at once, a busy one about once a second (a killed crawl loses at most that second, which
its next run fetches again)."""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from archive import Archive

logger = logging.getLogger(__name__)
BATCH_SECONDS = 1.0
QUEUE_SIZE = 256  # writes waiting (each may hold a page): past it the crawl waits for the writer
_STOP = object()


class ArchiveWriter:
    """`submit(fn, *args)` runs `fn(*args)` on the writer thread, inside the current batch's
    transaction; `fn` records its own failures. `flush()` waits until every submitted write is
    committed; `close()` flushes and stops the thread. The archive is only used by this thread
    between `start()` and `close()`."""

    def __init__(self, archive: Archive, batch_seconds: float = BATCH_SECONDS):
        self.archive = archive
        self.batch_seconds = batch_seconds
        self.failed_batches = 0
        self._queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        self._thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, fn: Callable, *args) -> None:
        if not self._thread.is_alive():
            raise RuntimeError("the archive writer is not running")
        self._queue.put((fn, args))

    def flush(self) -> None:
        self._queue.join()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        while True:
            task = self._queue.get()
            if task is _STOP:
                self._queue.task_done()
                return
            taken, stop = 1, False
            try:
                with self.archive.transaction():
                    deadline = time.monotonic() + self.batch_seconds
                    while True:
                        _call(*task)
                        if time.monotonic() >= deadline:
                            break
                        try:
                            task = self._queue.get_nowait()
                        except queue.Empty:
                            break
                        taken += 1
                        if task is _STOP:
                            stop = True
                            break
            except Exception:  # noqa: BLE001 - BEGIN or COMMIT failed (locked, disk full): say so loudly
                self.failed_batches += 1
                logger.exception("could not commit %d archive writes; they are lost", taken - stop)
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
