"""The captures in WARC files (.warc or .warc.gz, from any tool), streamed with warcio's
ArchiveIterator: one record in memory at a time, however large the file. A record that cannot
be read (a damaged header, a truncated or altered body, by its digests) is reported with its
file and offset, and reading goes on at the next record found after it."""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader

GZIP_MAGIC = b"\x1f\x8b\x08"  # every record of a .warc.gz is a gzip member of its own
WARC_MAGIC = b"\r\n\r\nWARC/1."  # an uncompressed record starts after the blank lines ending the last
SCAN_BYTES = 1 << 20
REASON_CHARS = 300  # of an error's message in the errors table (zlib and warcio may quote data)
# The body is decoded by warcio (chunks joined, gzip/deflate/br undone): these no longer apply.
DECODED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


class _StrictReader(DecompressingBufferedReader):
    """warcio's reader of a .warc.gz, raising on a damaged gzip member: warcio's own writes the
    zlib error to stderr and reads on as if the member had ended, or, in a member's first
    block, reads the compressed bytes as if they were a plain WARC."""

    def _decompress(self, data):
        return self.decompressor.decompress(data) if self.decompressor and data else data


class _Records(ArchiveIterator):
    """warcio's ArchiveIterator, digests checked, a .warc.gz (`strict`) read by `_StrictReader`."""

    def __init__(self, fh, strict: bool):
        super().__init__(fh, check_digests=True)
        if strict:
            self.reader = _StrictReader(self.fh, block_size=self.reader.block_size)


@dataclass(frozen=True)
class Capture:
    """An HTTP response as a WARC `response` record keeps it, its body decoded."""
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str  # WARC-Date
    path: str
    offset: int


@dataclass(frozen=True)
class Skipped:
    """A record that holds no response to parse: `what` is `revisit`, `request`, `metadata`,
    `warcinfo`, `resource`, `conversion`... or `not_http` (a response without HTTP headers)."""
    what: str
    url: str | None


@dataclass(frozen=True)
class Unreadable:
    path: str
    offset: int
    url: str | None
    reason: str


def read_warc(path: str) -> Iterator[Capture | Skipped | Unreadable]:
    """Every record of the WARC file at `path`, in file order."""
    with open(path, "rb") as fh:
        magic = GZIP_MAGIC if fh.read(3) == GZIP_MAGIC else WARC_MAGIC
        start: int | None = 0
        while start is not None:
            fh.seek(start)
            records = _Records(fh, strict=magic == GZIP_MAGIC)
            start = None
            for offset, url, result in _each(records, path):
                yield result
                if isinstance(result, Unreadable):
                    start = _next_record(fh, offset + 1, magic)
                    break


def _each(records, path: str):
    """(offset, URL, what it is) for each record; the first unreadable one ends it."""
    advance = iter(records)
    while True:
        try:
            record = next(advance)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - warcio, zlib and the HTTP parser raise many types
            yield records.offset, None, Unreadable(path, records.offset, None, _why(exc))
            return
        offset, url = records.offset, record.rec_headers.get_header("WARC-Target-URI")
        try:
            result = _read(record, path, offset)
        except Exception as exc:  # noqa: BLE001
            result = Unreadable(path, offset, url, _why(exc))
        yield offset, url, result
        if isinstance(result, Unreadable):
            return


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:REASON_CHARS]


def _read(record, path: str, offset: int) -> Capture | Skipped | Unreadable:
    kind = record.rec_type
    url = record.rec_headers.get_header("WARC-Target-URI")
    if record.rec_headers.get_header("Content-Length") is None:
        return Unreadable(path, offset, url, "no Content-Length: the record's header is truncated or damaged")
    body = record.content_stream().read() if kind == "response" and record.http_headers else b""
    record.raw_stream.read()  # digests are checked as the stream is read
    missing = getattr(record.raw_stream, "limit", 0)  # warcio's LimitReader: bytes of Content-Length not read
    if missing > 0:
        return Unreadable(path, offset, url, f"truncated: the record ends {missing} bytes short of its Content-Length")
    if record.digest_checker.passed is False:
        return Unreadable(path, offset, url, "; ".join(map(str, record.digest_checker.problems))[:REASON_CHARS])
    if kind != "response":
        return Skipped(kind, url)
    if record.http_headers is None:
        return Skipped("not_http", url)
    status = int(record.http_headers.get_statuscode() or 0)
    headers = [(k, v) for k, v in record.http_headers.headers if k.lower() not in DECODED_HEADERS]
    return Capture(url, status, headers, body, record.rec_headers.get_header("WARC-Date") or "", path, offset)


def _next_record(fh, position: int, magic: bytes) -> int | None:
    """The offset of the next record start at or after `position`, None at the end: `magic`
    (a gzip member must also decompress to a WARC header: the magic bytes occur in compressed data)."""
    while (found := _find(fh, position, magic)) is not None:
        if magic == WARC_MAGIC:
            return found + 4
        if _starts_warc_member(fh, found):
            return found
        position = found + 1
    return None


def _find(fh, position: int, magic: bytes) -> int | None:
    fh.seek(position)
    carry = b""
    while True:
        chunk = fh.read(SCAN_BYTES)
        if not chunk:
            return None
        data = carry + chunk
        found = data.find(magic)
        if found >= 0:
            return position - len(carry) + found
        carry = data[-(len(magic) - 1):]
        position += len(chunk)


def _starts_warc_member(fh, position: int) -> bool:
    fh.seek(position)
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(fh.read(4096), 16).startswith(b"WARC/")
    except zlib.error:
        return False
