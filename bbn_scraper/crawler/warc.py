"""WARC 1.1 recording of every exchange of a crawl (setting WARC_DIR, `crawl --warc DIR`).

`WarcRecorder` is a downloader middleware placed closer to the downloader than Scrapy's
HttpCompressionMiddleware (590), so it sees each response as the server sent it: body still
content-encoded, status and headers as received (Scrapy has only undone chunked transfer coding,
so a Transfer-Encoding header is left out and the record says so in WARC-Bbn-Removed-Headers).
Each fetch is a request and a response record linked by WARC-Concurrent-To; a fetch whose payload
digest equals the last capture of its URL, and a 304 answer to a URL captured before, is a
revisit record (identical-payload-digest profile); a 304 to a URL never captured in WARC_DIR is
a revisit of the server-not-modified profile. The last capture of each URL is kept across
crawls in WARC_DIR/captures.jsonl. Records are built and written on a thread of their own
(`WarcFiles`: gzip per record, a warcinfo record opening each file, rotation at WARC_MAX_SIZE);
a write that fails is counted and recorded in the archive's errors, and the crawl goes on.

The WARC files are then the raw store (archive.warc_store): each recorded response's request
carries, in meta[WARC_META], a `Location` future that the recording thread resolves to where
its response record is (a revisit: the record it refers to), or to None (not written, or a
Content-Encoding warcio cannot undo); the store keeps that place instead of the body."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import queue
import tempfile
import threading
from concurrent.futures import Future
from datetime import datetime, timezone
from importlib.metadata import version
from http.client import responses
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.statusandheaders import StatusAndHeaders
from warcio.bufferedreaders import BufferedReader
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive import Archive
from archive.warc_store import WarcRef

logger = logging.getLogger(__name__)
TOOL = "bbn-archive"
CAPTURES = "captures.jsonl"  # url, payload digest, record id and date of each response record
_STOP = object()
NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
HOP_BY_HOP = {"transfer-encoding"}  # undone by Scrapy before any middleware sees the body
WARC_META = "bbn_warc"


class Location(Future):
    """Where a response's record is (a `WarcRef`, or None); pickled as None, so that a request
    copied from a recorded one (a redirect, a retry) can still go to a JOBDIR queue."""

    def __reduce__(self):
        return type(None), ()

    def __call__(self, timeout: float = 600) -> WarcRef | None:
        """On the archive writer's thread (`FetchedPage.warc`): the record's place once the
        recording thread has written it; None when it was not written, or not in time."""
        try:
            return self.result(timeout)
        except TimeoutError:
            logger.warning("a WARC record not written after %s s: its body is kept in the archive", timeout)
            return None


def payload_digest(payload: bytes) -> str:
    """The WARC payload digest warcio writes: sha1, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


class WarcFiles:
    """WARC files `prefix-YYYYmmddHHMMSSffffff-NNNNN.warc.gz` in `folder`, gzip per record,
    each opened by a warcinfo record; a new file once one reaches `max_size` bytes."""

    def __init__(self, folder: str | Path, prefix: str, max_size: int, info: dict):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prefix, self.max_size, self.info = prefix, max_size, info
        self.serial = 0
        self.paths: list[Path] = []
        self._file = None
        self._writer: WARCWriter | None = None

    def write(self, *records) -> tuple[str, int, int]:
        """Write `records`; returns the file, offset and length of the first."""
        if self._file is None:
            self._open()
        path, first = str(self.paths[-1]), None
        for record in records:
            offset = self._file.tell()
            self._writer.write_record(record)
            first = first or (path, offset, self._file.tell() - offset)
        self._file.flush()
        if self._file.tell() >= self.max_size:
            self.close()
        return first

    def writer(self) -> WARCWriter:
        """A writer to build records with (the current file's, or one for the next file)."""
        if self._writer is None:
            self._open()
        return self._writer

    def _open(self) -> None:
        self.serial += 1
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        path = self.folder / f"{self.prefix}-{stamp}-{self.serial:05d}.warc.gz"
        self._file = open(path, "xb")
        self.paths.append(path)
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        self._writer.write_record(self._writer.create_warcinfo_record(path.name, self.info))

    def close(self) -> None:
        if self._file is not None:
            file, self._file, self._writer = self._file, None, None
            file.close()

    def abandon(self) -> None:
        """Forget the current file (its close failed): the next write opens a new one."""
        self._file = self._writer = None


class WarcRecorder:
    """The downloader middleware: queues each exchange for the recording thread."""

    def __init__(self, crawler, folder: str):
        settings = crawler.settings
        self.crawler = crawler
        self.folder = Path(folder)
        self.max_size = settings.getint("WARC_MAX_SIZE")
        self.prefix = settings.get("WARC_PREFIX")
        self.failures: list[tuple[str, str]] = []  # (url, reason) of each record not written
        self.last: dict[str, dict] = {}  # url -> its last capture (see CAPTURES)
        self._queue: queue.Queue = queue.Queue(settings.getint("WARC_QUEUE_SIZE"))
        self._thread = threading.Thread(target=self._run, name="warc-writer", daemon=True)
        self._files: WarcFiles | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        folder = crawler.settings.get("WARC_DIR")
        if not folder:
            raise NotConfigured  # recording is off (a message would make Scrapy warn on every crawl)
        return cls(crawler, folder)

    def spider_opened(self, spider) -> None:
        try:
            self.last = read_captures(self.folder / CAPTURES)
            self._files = WarcFiles(self.folder, self.prefix, self.max_size, self._info())
        except OSError as exc:  # nothing recorded: said in the errors, not only in the log
            logger.error("WARC recording off: %s", exc)
            self.failures.append((None, f"recording off: {type(exc).__name__}: {exc}"))
            return
        self._thread.start()

    def _info(self) -> dict:
        return {"software": f"{TOOL}/{version(TOOL)} (warcio {version('warcio')}, Scrapy {version('scrapy')})",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": f"crawl {self.crawler.stats.get_value('bbn/crawl_id')}",
                "http-header-user-agent": self.crawler.settings.get("USER_AGENT")}

    async def process_response(self, request, response):
        """Queue the exchange as Scrapy received it; never changes the response. While the
        queue is full (the disk is slower than the crawl), wait for room off the event loop."""
        if self._thread.is_alive():
            location = Location()
            exchange = (location, request.method, request.url, request.headers.to_unicode_dict(), request.body,
                        response.status, getattr(response, "protocol", None), list(response.headers.items()),
                        response.body, response.ip_address, datetime.now(timezone.utc))
            try:
                self._queue.put_nowait(exchange)
            except queue.Full:
                await asyncio.get_running_loop().run_in_executor(None, self._queue.put, exchange)
            request.meta[WARC_META] = location
        return response

    def spider_closed(self, spider, reason) -> None:
        """Write what is queued, close the files and record the failures in the archive."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        if self._files is not None:
            self._files.close()
        self.crawler.stats.set_value("bbn/warc_files", len(self._files.paths) if self._files else 0)
        if self.failures:
            self.crawler.stats.inc_value("bbn/error_warc", len(self.failures))
            crawl_id = self.crawler.stats.get_value("bbn/crawl_id")
            with Archive(self.crawler.settings.get("ARCHIVE_DB")) as archive, archive.transaction():
                for url, why in self.failures:
                    archive.record_error(crawl_id, url, "store", f"WARC {why}")

    def _run(self) -> None:
        """Until _STOP: write each exchange; one that fails is a failure, and the next starts a
        fresh file. Never stops early, so that a put waiting for room always gets it."""
        captures = None
        while (exchange := self._queue.get()) is not _STOP:
            location, exchange = exchange[0], exchange[1:]
            ref = None
            try:
                capture, ref = self._record(*exchange)
                if capture is not None:
                    captures = captures or open(self.folder / CAPTURES, "a", encoding="utf-8")
                    captures.write(json.dumps(capture) + "\n")
                    captures.flush()
            except Exception as exc:  # noqa: BLE001 - a failed write is an error row, not a crash
                logger.warning("could not write the WARC records of %s: %r", exchange[1], exc)
                self.failures.append((exchange[1], f"record not written: {type(exc).__name__}: {exc}"))
                try:
                    self._files.close()
                except OSError:
                    self._files.abandon()
            finally:
                location.set_result(ref)
        if captures is not None:
            captures.close()

    def _record(self, method, url, req_headers, req_body, status, protocol, headers, body, ip, when):
        """Write the request and response (or revisit) records of one exchange; returns the new
        capture of `url` if the response is one, and where the body is (see `Location`)."""
        writer = self._files.writer()
        date = datetime_to_iso_date(when.replace(tzinfo=None), use_micros=True)  # naive UTC: warcio adds the Z
        digest = payload_digest(body)
        last = self.last.get(url)
        protocol = protocol or "HTTP/1.1"
        kept = [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers for v in values
                if k.decode("latin-1").lower() not in HOP_BY_HOP]
        removed = sorted({k.decode("latin-1") for k, _ in headers if k.decode("latin-1").lower() in HOP_BY_HOP})
        http = StatusAndHeaders(f"{status} {responses.get(status, '')}".strip(), kept, protocol=protocol)
        fields = {"WARC-Date": date, **({"WARC-IP-Address": ip.compressed} if ip else {})}
        if removed:
            fields["WARC-Bbn-Removed-Headers"] = ", ".join(removed)
        revisit = status == 304 or (last is not None and status == last["status"] and digest == last["digest"])
        if revisit and last is not None:
            response = writer.create_revisit_record(url, last["digest"], url, last["date"],
                                                    http_headers=http, warc_headers_dict=fields)
            response.rec_headers.add_header("WARC-Refers-To", last["id"])
        elif revisit:  # a 304 to a URL this folder has no capture of: nothing to refer to
            response = writer.create_warc_record(url, "revisit", http_headers=http,
                                                 warc_headers_dict={**fields, "WARC-Profile": NOT_MODIFIED})
        else:
            response = writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http,
                                                 warc_headers_dict=fields)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_list = [(k, v) for k, v in req_headers.items()]
        if not any(k.lower() == "host" for k, _ in req_list):
            req_list.insert(0, ("Host", parts.netloc))
        request = writer.create_warc_record(
            url, "request", payload=BytesIO(req_body or b""),
            http_headers=StatusAndHeaders(f"{method} {target} HTTP/1.1", req_list, is_http_request=True),
            warc_headers_dict={"WARC-Date": date})
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        file, offset, length = self._files.write(response, request)
        encoding = next((v.lower() for k, v in kept if k.lower() == "content-encoding"), None)
        readable = encoding in (None, "identity") or encoding in BufferedReader.get_supported_decompressors()
        if revisit:
            ref = last and "file" in last and readable and status != 304 and WarcRef(
                last["file"], last["offset"], last["length"], last["digest"], url)
            return None, ref or None
        capture = {"url": url, "digest": digest, "id": response.rec_headers.get_header("WARC-Record-ID"),
                   "date": date, "status": status, "file": file, "offset": offset, "length": length}
        self.last[url] = capture
        return capture, WarcRef(file, offset, length, digest, url) if readable else None


def folder_problem(folder: str | Path) -> str | None:
    """Why WARC files cannot be written in `folder` (created if missing), or None."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"{folder}: cannot write WARC files there ({exc.strerror or exc})"
    return None


def read_captures(path: Path) -> dict[str, dict]:
    """The last capture of each URL from a captures file (a torn last line is skipped)."""
    last: dict[str, dict] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                capture = json.loads(line)
                last[capture["url"]] = capture
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
    return last
