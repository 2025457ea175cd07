"""`import-commoncrawl`: an archive backfilled from Common Crawl's news collection (CC-NEWS) or
any Common Crawl WARC collection, read over HTTP(S), the sites asked for only.

Which files: CC-NEWS lists its WARC files per month (`crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz`),
each named by when it was written (CC-NEWS-YYYYMMDDHHMMSS-NNNNN.warc.gz), so a date range reads
the lists of its months and keeps the files written in it; any other collection is read from a
path list given. Each file is streamed (`bbn_scraper.crawler.http_files`: one connection, the
operator's User-Agent, retried with back-off, never outside the base URL) and read record by
record with warcio: a record whose WARC-Target-URI the filter refuses
(`bbn_scraper.crawler.record_filter`) is skipped as its gzip member is read through, its HTTP
headers and payload never parsed or decoded; a record kept is read whole (within the crawl's
limits) and parsed by `bbn_scraper.crawler.warc_records`, as a record of a local file.

The import is `import-warc`'s (`bbn_scraper.crawler.warc_import.Importer`): the kept records go
its way (parse, deduplicate, store, stories), a crawl row of their own; only where the records
come from differs (`_read_files`). What has been read is kept in the
archive per file (`archive.backfill`): the offset past the last record fully handled, saved
and committed once every page before it was stored, and whether the file is
done. A run that was stopped or killed continues a file at its offset with a Range request (each
record is a gzip member of its own) and reads no file that is done again.

A download that fails after its retries is an error row (the file's URL and the offset reached),
and the run goes on with the next file; a later run tries the file again. A file that ends inside
a record (truncated) is an error row with its offset, and done: reading it again would not help."""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import io
import re
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from archive.backfill import BackfillFiles, FilePosition
from archive.items import CrawlError
from bbn_scraper.crawler.http_files import Cut, DownloadFailed, HttpFiles, Retry, TooLong
from bbn_scraper.crawler.record_filter import RecordFilter
from bbn_scraper.crawler.run import crawl_settings
from bbn_scraper.crawler.warc_import import Importer, import_into
from bbn_scraper.crawler.warc_records import (
    GZIP_MAGIC, MEMBER_PROBE, OVERRUN, REASON_CHARS, SCAN_BYTES, SCAN_CARRY, Capture, Limits, Oversized, StreamRecords,
    Unreadable, opens_warc_member, read_warc_file, record_start,
)

DEFAULT_BASE_URL = "https://data.commoncrawl.org/"
NEWS_LIST = "crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz"
NEWS_FILE_TIME = re.compile(r"CC-NEWS-(\d{14})-\d+\.warc(?:\.gz)?$")
MAX_LIST_BYTES = 16 << 20  # a path list, compressed (CC-NEWS: a few KB a month; a CC-MAIN crawl: under 1 MB)
MAX_LIST_DECODED = 64 << 20  # (a CC-MAIN crawl's list of ~100,000 WARC files: ~15 MB)
MAX_LIST_PATHS = 500_000
MAX_PATH_CHARS = 1000
PATH_CHARS = re.compile(r"[!-~]+")  # printable ASCII: a path of Common Crawl's, percent-encoded if need be
CHECKPOINT_BYTES = 32 << 20  # of a file read between two saved positions, at most
CHECKPOINT_SECONDS = 30.0
AHEAD = 64  # items a file's reading thread makes before the import has taken them
STOP_POLL = 0.2  # seconds between looks at whether the import was stopped, while a download stalls
STAT = "bbn/commoncrawl/"
WARC_START = b"WARC/"  # an uncompressed WARC file, read from a record boundary, starts so


class ListError(ValueError):
    """A path list that cannot be had or read (one line)."""


# Which files


def news_months(since: date, until: date) -> list[tuple[int, int]]:
    """(year, month) of every month from `since` to `until`, both included."""
    months, year, month = [], since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def news_file_in(path: str, since: datetime, until: datetime) -> bool:
    """Whether a CC-NEWS file was written in [since, until) by the time in its name (a file not
    named so is kept: the month's list holds it)."""
    found = NEWS_FILE_TIME.search(path)
    if found is None:
        return True
    written = datetime.strptime(found.group(1), "%Y%m%d%H%M%S")
    return since <= written < until


def parse_path_list(data: bytes, source: str) -> list[str]:
    """The paths of a path list (gzip, of one member or several, or plain text; one a line);
    ListError when it is not one, is cut short, or holds more than MAX_LIST_PATHS paths."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzipped(data, source)
    if data.count(b"\n") > MAX_LIST_PATHS + MAX_LIST_PATHS // 10:  # before any line is made a string
        raise ListError(f"{source}: more than {MAX_LIST_PATHS} lines: not a path list")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ListError(f"{source}: not a text file of paths") from None
    paths = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if len(paths) > MAX_LIST_PATHS:
        raise ListError(f"{source}: more than {MAX_LIST_PATHS} paths: not a path list")
    bad = next((p for p in paths if len(p) > MAX_PATH_CHARS or not PATH_CHARS.fullmatch(p)), None)
    if bad is not None:
        raise ListError(f"{source}: {bad[:80]!r} is not a path")
    return paths


def _gunzipped(data: bytes, source: str) -> bytes:
    """`data` decompressed, every gzip member of it, at most MAX_LIST_DECODED bytes."""
    out, size = [], 0
    while data:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            piece = decoder.decompress(data, MAX_LIST_DECODED - size + 1)
        except zlib.error as exc:
            raise ListError(f"{source}: not a readable gzip file ({exc})") from None
        size += len(piece)
        if size > MAX_LIST_DECODED or decoder.unconsumed_tail:
            raise ListError(f"{source}: over {MAX_LIST_DECODED} bytes once decompressed")
        if not decoder.eof:
            raise ListError(f"{source}: the gzip file is cut short")
        out.append(piece)
        data = decoder.unused_data
    return b"".join(out)


def news_files(files: HttpFiles, since: datetime, until: datetime, sleep=time.sleep) -> tuple[list[str], list[str]]:
    """(the path lists read, the URLs of the CC-NEWS files written in [since, until))."""
    lists, urls = [], []
    for year, month in news_months(since.date(), until.date()):
        if (year, month) == (until.year, until.month) and until == datetime(year, month, 1):
            continue  # until is exclusive: a range ending at a month's first instant reads nothing of it
        url = files.url(NEWS_LIST.format(year=year, month=month))
        lists.append(url)
        try:
            data = files.read_all(url, MAX_LIST_BYTES, sleep)
        except DownloadFailed as exc:
            raise ListError(f"the path list of {year:04d}-{month:02d}: {exc}") from None
        urls += [files.url(p) for p in parse_path_list(data, url) if news_file_in(p, since, until)]
    return lists, urls


def listed_files(files: HttpFiles, paths: str, sleep=time.sleep) -> tuple[list[str], list[str]]:
    """([the path list's URL], the URLs of its WARC files): `paths` is a local file (its file://
    URL), or a path or URL under the base URL."""
    local = Path(paths)
    if local.is_file():
        try:
            with open(local, "rb") as file:
                data = file.read(MAX_LIST_BYTES + 1)
        except OSError as exc:
            raise ListError(f"{paths}: {exc.strerror or exc}") from None
        if len(data) > MAX_LIST_BYTES:
            raise ListError(f"{paths}: over {MAX_LIST_BYTES} bytes: not a path list")
        return [local.resolve().as_uri()], [files.url(p) for p in parse_path_list(data, paths)]
    url = files.url(paths)
    return [url], [files.url(p) for p in parse_path_list(files.read_all(url, MAX_LIST_BYTES, sleep), url)]


# Reading one file


@dataclass(frozen=True)
class Pause:
    """Wait this long before the next attempt (the import waits without blocking its parse workers)."""
    seconds: float


@dataclass
class FileRead:
    """Where the reading of one file is, and what it has seen (`position`: past the last
    record fully read)."""
    position: FilePosition
    records: int = 0  # in this run
    kept: int = 0
    bytes: int = 0


def read_file(files: HttpFiles, read: FileRead, want: RecordFilter, limits: Limits,
              checkpoint_bytes: int = CHECKPOINT_BYTES) -> Iterator[object]:
    """The kept records of a WARC file from `read.position` on: a `Capture`, `Skipped` or
    `Unreadable` of warc_records for each record kept or damaged; a `FilePosition` every
    `checkpoint_bytes` or CHECKPOINT_SECONDS and at the end (done); a `Pause` before each
    retry; a `CrawlError` for a download that failed after its retries (the file not done: a
    later run tries it again). After a damaged record, reading goes on at the next record
    found after it (`_next_start`)."""
    url, attempt, scan = read.position.url, 0, None
    saved_bytes, saved_at = read.bytes, time.monotonic()
    while True:
        try:
            if scan is not None:
                found = _next_start(files, read, scan)
                scan = None
                if found is None:
                    yield dataclasses.replace(read.position, done=True)
                    return
                read.position = dataclasses.replace(read.position, offset=found)
                yield read.position
            body = files.open(url, read.position.offset)
            if body is None:  # 416: the file ends at the offset (its last record read, the file not marked done)
                yield dataclasses.replace(read.position, done=True)
                return
            try:
                for result in _records(body, read, want, limits):
                    if isinstance(result, _Resync):
                        scan = result
                        break
                    if isinstance(result, FilePosition):
                        attempt = 0  # a record read whole: the connection works
                        if read.bytes - saved_bytes < checkpoint_bytes and time.monotonic() - saved_at < CHECKPOINT_SECONDS:
                            continue
                        saved_bytes, saved_at = read.bytes, time.monotonic()
                    yield result
            finally:
                body.close()
            if scan is None:
                yield dataclasses.replace(read.position, done=True)
                return
        except DownloadFailed as exc:
            yield _failed(read.position, str(exc))
            return
        except Retry as exc:  # Cut among them: again from the last record read whole
            attempt += 1
            if attempt > files.policy.retries:
                yield _failed(read.position, f"{exc} (after {attempt} attempts)")
                return
            yield Pause(files.policy.wait(attempt, exc.retry_after))


def _failed(position: FilePosition, reason: str) -> CrawlError:
    return CrawlError(position.url, "fetch", f"download of {position.url} failed at offset {position.offset}:"
                                             f" {reason}; a later run tries it again")


@dataclass(frozen=True)
class _Resync:
    """The record at `offset` is damaged: read on from the next record that starts after it."""
    offset: int
    compressed: bool


class _Prefixed:
    """`body` with `head`, the bytes already read of it, put back in front."""

    def __init__(self, head: bytes, body):
        self.head, self.body = head, body

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.body.read(size)
        data, self.head = (self.head, b"") if size is None or size < 0 or size >= len(self.head) else \
            (self.head[:size], self.head[size:])
        return data


def _records(body, read: FileRead, want: RecordFilter, limits: Limits) -> Iterator[object]:
    """The records of `body` (the file read from `read.position.offset`, a record boundary),
    `read` moved past each, and then a `FilePosition`; what is kept before it. `Cut` goes up.
    A record that cannot be read is `Unreadable`, followed by a `_Resync`; one whose block
    ends short of its Content-Length is damaged when a record follows it, and the file's
    truncation when the file ends there (or inside a gzip member): an `Unreadable` that ends it."""
    base, url, before = read.position.offset, read.position.url, read.bytes
    head = body.read(len(WARC_START))
    compressed = head.startswith(GZIP_MAGIC)
    if head and not compressed and head != WARC_START:
        yield Unreadable(url, base, None, "not a WARC record (neither a gzip member nor a WARC header):"
                                          " the rest of the file is not read")
        return
    records = StreamRecords(_Prefixed(head, body), compressed, limits)
    iterator = iter(records)
    short = None  # (offset, URL, bytes missing) of the last record, when its block ended early
    last, last_offset, target = None, base, ""  # the last record's result (None: skipped) and offset
    while True:
        offset = base + records.offset
        try:
            errors = records.err_count
            record = next(iterator)
            target = record.rec_headers.get_header("WARC-Target-URI") or ""
            result = _kept(record, url, offset, target, want, limits) if _wanted(record, target, want) else None
            records.read_to_end()
            if records.err_count > errors:
                raise ValueError(OVERRUN)
        except StopIteration:
            if short is not None:
                yield Unreadable(url, short[0], short[1], f"truncated: the file ends {short[2]} bytes short of the"
                                                          " record's Content-Length")
            elif records.cut and records.offset < records.fh.tell():  # inside a member begun after the last record
                yield Unreadable(url, offset, None, "truncated: the file ends inside the record's gzip member")
            elif records.cut and not isinstance(last, Unreadable):  # in the last record's member, past its block
                yield Unreadable(url, last_offset, target or None, "truncated: the file ends inside the record's gzip"
                                                                   " member, after its block")
            return
        except Cut:
            raise
        except TooLong as exc:
            yield Unreadable(url, offset, None, f"{exc}; the rest of the file is not read")
            return
        except Exception as exc:  # noqa: BLE001 - warcio and zlib raise many types on a damaged file
            yield from _damaged(url, short)
            yield Unreadable(url, offset, None, f"{type(exc).__name__}: {exc}"[:REASON_CHARS - 60]
                             + "; reading goes on at the next record")
            yield _Resync(offset, compressed)
            return
        yield from _damaged(url, short)
        last, last_offset = result, offset
        missing = getattr(record.raw_stream, "limit", 0)  # warcio's LimitReader: bytes of Content-Length not read
        short = (offset, target or None, missing) if missing > 0 else None
        read.bytes = before + body.received
        whole = short is None  # a short record is not counted as read: it is an error row
        read.records += whole
        kept = whole and result is not None and (not isinstance(result, Capture) or want.wants_page(result.body))
        if kept:
            read.kept += 1
            yield result
        read.position = dataclasses.replace(read.position, offset=base + records.offset,
                                            records=read.position.records + whole, kept=read.position.kept + kept)
        yield read.position


def _damaged(url: str, short: tuple | None) -> Iterator[Unreadable]:
    """The record whose block ended short, once another record (or damage) came after it."""
    if short is not None:
        yield Unreadable(url, short[0], short[1], f"damaged: its block ends {short[2]} bytes short of its Content-Length")


def _next_start(files: HttpFiles, read: FileRead, damaged: _Resync) -> int | None:
    """Where the first record after the damaged one starts (None: none does), read from the byte
    after its start: the next gzip member that decompresses to a WARC header, or in an
    uncompressed file the next WARC header line."""
    start = damaged.offset + 1
    body = files.open(read.position.url, start)
    if body is None:
        return None
    held, at = b"", start  # the bytes read and not yet ruled out, from file offset `at`
    try:
        while True:
            chunk = body.read(SCAN_BYTES)
            read.bytes += len(chunk)
            held += chunk
            found, keep = _record_start(held, damaged.compressed, final=not chunk)
            if found is not None:
                return at + found
            if not chunk:
                return None
            at, held = at + keep, held[keep:]
    finally:
        body.close()


def _record_start(held: bytes, compressed: bool, final: bool) -> tuple[int | None, int]:
    """(where in `held` a record starts, or None; how many of its bytes are ruled out). A gzip
    candidate is judged on MEMBER_PROBE bytes of it, or on what is left at the file's end."""
    position = 0
    while (found := record_start(held, compressed, position)) is not None:
        if not compressed:
            return found, 0
        if len(held) - found < MEMBER_PROBE and not final:
            return None, found  # judged once more of it is here
        if opens_warc_member(held[found:found + MEMBER_PROBE]):
            return found, 0
        position = found + 1
    return None, max(0, len(held) - SCAN_CARRY)


def _wanted(record, target: str, want: RecordFilter) -> bool:
    """From the record's WARC headers alone."""
    if record.rec_type != "response" or not want.wants_url(target):
        return False
    return want.wants_language_header(record.rec_headers.get_header("WARC-Identified-Content-Language")) is not False


def _kept(record, url: str, offset: int, target: str, want: RecordFilter, limits: Limits):
    """The record read whole and parsed as warc_records parses a record of a local file."""
    length = int(record.rec_headers.get_header("Content-Length") or 0)
    if length > limits.block:
        return Oversized(url, offset, target, f"record of {length} bytes, over {limits.block}"
                                              " (DOWNLOAD_MAXSIZE and DOWNLOAD_MAX_HEADER_BYTES)")
    block = b"".join(iter(lambda: record.raw_stream.read(length), b""))  # short only when truncated
    data = record.rec_headers.to_bytes() + block + b"\r\n\r\n"
    result = next(read_warc_file(io.BytesIO(data), url, limits))
    return dataclasses.replace(result, offset=offset) if isinstance(result, (Capture, Unreadable)) else result


# The import


async def _read_files(importer: Importer, warc_urls: list[str], http: HttpFiles, want: RecordFilter, limits: Limits,
                      checkpoint_bytes: int, progress: BackfillProgress | None, deadline: float | None = None) -> None:
    """Give the importer the kept records of `warc_urls`, each file from its saved position; save
    the position once the pages of every record before it are stored. Past `deadline` (of
    time.monotonic) the import stops as on SIGTERM, with status `time_limit`."""
    stats = importer.stats
    for url in warc_urls:
        if _past(deadline, importer):
            return
        position = BackfillFiles(importer.reader).position(url)
        if position.done:
            stats[STAT + "files_done_before"] += 1
            continue
        stats[STAT + "files_resumed" if position.offset else STAT + "files_started"] += 1
        read = FileRead(position)
        before = (read.records, read.kept, read.bytes)
        async for result, counts in _pulled(read_file(http, read, want, limits, checkpoint_bytes), read, importer,
                                            deadline):
            stats[STAT + "records_read"] += counts[0] - before[0]
            stats[STAT + "records_kept"] += counts[1] - before[1]
            stats[STAT + "bytes"] += counts[2] - before[2]
            before = counts
            if progress is not None:
                progress.tick()
            if importer.stopped:
                return
            if isinstance(result, Pause):
                stats[STAT + "retries"] += 1  # (the reading thread waits)
            elif isinstance(result, FilePosition):
                await importer.drain()  # it never runs ahead of the archive
                await importer.write(functools.partial(BackfillFiles(importer.archive).save, result, importer.store.crawl_id))
                if result.done:
                    stats[STAT + "files_done"] += 1
            else:
                if isinstance(result, CrawlError):
                    stats[STAT + "files_failed"] += 1
                elif isinstance(result, Unreadable) and result.reason.startswith("truncated"):
                    stats[STAT + "files_truncated"] += 1
                await importer.take(result)


def _past(deadline: float | None, importer: Importer) -> bool:
    """Whether the import is stopped, stopping it first when `deadline` has passed."""
    if deadline is not None and time.monotonic() >= deadline:
        importer.stop("time_limit")
    return bool(importer.stopped)


async def _pulled(results: Iterator[object], read: FileRead, importer: Importer, deadline: float | None = None):
    """The items of `results` (one file's `read_file`), each with `read`'s counts (records,
    kept, bytes) after it, made on a daemon thread of their own: a download that stalls leaves
    the event loop free (Ctrl-C and SIGTERM are heard at once, not when the read times out), and
    a reading thread left behind when the import stops does not hold the process. The thread
    reads at most AHEAD items ahead, and waits out each `Pause` itself."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    room = threading.Semaphore(AHEAD)

    def hand(item) -> bool:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
            return True
        except RuntimeError:  # the import is over: nobody takes it
            return False

    def produce() -> None:
        try:
            for result in results:
                room.acquire()
                if not hand((result, (read.records, read.kept, read.bytes), None)):
                    return
                if isinstance(result, Pause):
                    time.sleep(result.seconds)
        except Exception as exc:  # noqa: BLE001 - raised where the items are taken
            hand((None, None, exc))
            return
        hand((_END, None, None))

    threading.Thread(target=produce, name="commoncrawl-reader", daemon=True).start()
    while True:
        try:
            result, counts, exc = await asyncio.wait_for(queue.get(), STOP_POLL)
        except asyncio.TimeoutError:
            if _past(deadline, importer):
                return
            continue
        if _past(deadline, importer):
            return
        if exc is not None:
            raise exc
        if result is _END:
            return
        room.release()
        yield result, counts


_END = object()


class BackfillProgress:
    """The progress line of a backfill on a terminal: files, records read and kept, articles,
    errors, MB/s, rewritten in place every `interval` seconds. `store`: the import's CrawlStore."""

    def __init__(self, stats: Counter, stream=None, interval: float = 1.0):
        self.stats, self.stream, self.interval = stats, stream or sys.stderr, interval
        self.store = None
        self.started = self.shown = time.monotonic()

    def line(self) -> str:
        stats = self.stats
        seconds = max(time.monotonic() - self.started, 1e-6)
        done = stats[STAT + "files_done"] + stats[STAT + "files_done_before"]
        return (f"{done}/{stats[STAT + 'files_listed']} files, {stats[STAT + 'records_read']} records read,"
                f" {stats[STAT + 'records_kept']} kept, {getattr(self.store, 'new_articles', 0)} new articles,"
                f" {getattr(self.store, 'errors', 0)} errors, {stats[STAT + 'bytes'] / seconds / 1e6:.1f} MB/s")

    def tick(self) -> None:
        if time.monotonic() - self.shown >= self.interval:
            self.show()

    def show(self, end: str = "") -> None:
        self.shown = time.monotonic()
        self.stream.write(f"\r\x1b[K{self.line()}{end}")
        self.stream.flush()


def run_backfill(warc_urls: list[str], files: HttpFiles, want: RecordFilter, lists: list[str], db: str,
                 overrides: dict | None = None, checkpoint_bytes: int = CHECKPOINT_BYTES,
                 max_seconds: float = 0.0) -> dict:
    """Import the kept records of `warc_urls` into the archive at `db` (import-warc's way:
    `bbn_scraper.crawler.warc_import.import_into`), `lists` the crawl row's start URLs; the
    import's stats. With PROGRESS_LINE in `overrides`, a progress line on stderr. `max_seconds`
    (0: none): the reading stops after that long, as on SIGTERM (status `time_limit`)."""
    overrides = dict(overrides or {})
    stats = Counter({STAT + "files_listed": len(warc_urls)})
    stats["bbn/import_kind"] = "commoncrawl"  # in the crawl row's stats
    progress = BackfillProgress(stats) if overrides.pop("PROGRESS_LINE", False) else None
    settings = crawl_settings("", overrides)
    limits = Limits(settings.getint("DOWNLOAD_MAXSIZE"), settings.getint("DOWNLOAD_MAX_HEADER_BYTES"),
                    settings.getint("DOWNLOAD_MAX_HEADERS"))

    async def feed(importer: Importer) -> None:
        if progress is not None:
            progress.store = importer.store
        deadline = time.monotonic() + max_seconds if max_seconds else None
        await _read_files(importer, warc_urls, files, want, limits, checkpoint_bytes, progress, deadline)

    try:
        return import_into(db, list(lists), feed, overrides, stats)
    finally:
        if progress is not None:
            progress.show(end="\n")
