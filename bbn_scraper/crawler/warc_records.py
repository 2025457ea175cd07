"""The captures in WARC files (.warc or .warc.gz, from any tool), streamed with warcio's
ArchiveIterator: one record in memory at a time, however large the file, and no record larger
than a crawl takes (`Limits`: its WARC and HTTP header lines, its block, its body decoded with
archive.decoding), whatever it expands to. A record that cannot be read (a damaged header, a
truncated or altered body, by its digests) or is over the limits is reported with its file and
offset, and reading goes on at the next record found after it."""
from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader

from archive.decoding import MAX_BODY, TooLarge, read_at_most
from archive.warc import CONTENT_LENGTH
from archive.warc_store import body_chunks, drain
from bbn_scraper.settings import DOWNLOAD_MAX_HEADER_BYTES, DOWNLOAD_MAX_HEADERS

GZIP_MAGIC = b"\x1f\x8b\x08"  # every record of a .warc.gz is a gzip member of its own
GZIP_START = re.compile(re.escape(GZIP_MAGIC))
PLAIN_START = re.compile(rb"\nWARC/\d\.\d{1,2}\r?\n")  # an uncompressed record's first line (WARC/0.17 to 1.1)
PLAIN_FIRST = re.compile(rb"WARC/\d\.\d{1,2}\r?\n")
SCAN_CARRY = 16  # bytes of a chunk scanned kept for the next: a record's first line may straddle them
SCAN_BYTES = 1 << 20
MEMBER_PROBE = 4096  # bytes of a gzip member decompressed to tell whether it starts a WARC record
OVERRUN = "damaged: its block does not end where its Content-Length says (no blank line after it)"
REASON_CHARS = 300  # of an error's message in the errors table (zlib and warcio may quote data)
MEMBER_RATIO = 200  # a downloaded gzip member decompresses to at most this many times its size...
MEMBER_SLACK = 1 << 20  # ...plus this many bytes (HTML: 3-20 times)
# The body is decoded by warcio (chunks joined, gzip/deflate/br undone): these no longer apply.
DECODED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


class Limits(NamedTuple):
    """What an import takes of a record, as a crawl takes of a response (its settings): the
    body decoded (DOWNLOAD_MAXSIZE), the header lines of the WARC record and of the HTTP
    response each (DOWNLOAD_MAX_HEADER_BYTES, DOWNLOAD_MAX_HEADERS), the record's block (both)."""
    body: int = MAX_BODY
    header_bytes: int = DOWNLOAD_MAX_HEADER_BYTES
    header_lines: int = DOWNLOAD_MAX_HEADERS

    @property
    def block(self) -> int:
        return self.body + self.header_bytes


class BlankLines(TooLarge):
    """Blank lines without end between records, from `offset` (None in a gzip member: the
    record's own)."""

    def __init__(self, message: str, offset: int | None):
        super().__init__(message)
        self.offset = offset


class _BoundedReader(DecompressingBufferedReader):
    """warcio's reader with lines cut at `limits.header_bytes` (a line without end is read in
    pieces), and `BlankLines` past `limits.header_lines` blank lines in a row beyond the two that
    end a record (warcio reads them one by one)."""

    limits = Limits()
    _blanks = _junk = 0

    def readline(self, length=None):
        cap = self.limits.header_bytes
        # where a third blank line in a row starts (asked only then: twice a syscall a line)
        position = self.stream.tell() - self.rem_length() if self._blanks == 2 else None
        line = super().readline(cap if length is None or length > cap else length)
        self._blanks = self._blanks + 1 if line and not line.strip() else 0
        if self._blanks == 3:
            self._junk = position
        if self._blanks > self.limits.header_lines + 2:
            self._blanks = 0
            raise BlankLines(f"more than {self.limits.header_lines} blank lines in a row",
                             None if self.decompressor else self._junk)
        return line

    def read(self, length=None):
        self._blanks = 0
        return super().read(length)


class _StrictReader(_BoundedReader):
    """warcio's reader of a .warc.gz, raising on a damaged gzip member: warcio's own writes the
    zlib error to stderr and reads on as if the member had ended, or, in a member's first
    block, reads the compressed bytes as if they were a plain WARC."""

    def _decompress(self, data):
        return self.decompressor.decompress(data) if self.decompressor and data else data


class _MemberBound(_StrictReader):
    """`_StrictReader` that refuses a gzip member decompressing to more than MEMBER_RATIO times
    its compressed bytes read so far plus MEMBER_SLACK (a gzip bomb: reading it through would
    take minutes, and a record skipped unread would still be decompressed)."""

    _member_start = 0
    _member_out = 0

    def _init_decomp(self, decomp_type):
        super()._init_decomp(decomp_type)
        self._member_start = self.stream.tell() - len(getattr(self, "starting_data", None) or b"")
        self._member_out = 0

    def _decompress(self, data):
        out = super()._decompress(data)
        self._member_out += len(out)
        if self._member_out > MEMBER_SLACK + MEMBER_RATIO * (self.stream.tell() - self._member_start):
            raise TooLarge(f"a gzip member decompressing to over {MEMBER_RATIO} times its size (a gzip bomb)")
        return out


class _CountedLines:
    """A stream whose header lines are counted as a parser reads them: `TooLarge` past the limits."""

    def __init__(self, stream, limits: Limits, what: str):
        self.stream, self.limits, self.what = stream, limits, what
        self.size = self.lines = 0

    def readline(self, length=None):
        line = self.stream.readline()
        self.size += len(line)
        self.lines += 1
        if self.size > self.limits.header_bytes:
            raise TooLarge(f"{self.what} headers over {self.limits.header_bytes} bytes")
        if self.lines > self.limits.header_lines + 1:  # the status line, then the headers
            raise TooLarge(f"more than {self.limits.header_lines} {self.what} header lines")
        return line


class _BoundedParser:
    """A warcio header parser reading through `_CountedLines`."""

    def __init__(self, parser, limits: Limits, what: str):
        self.parser, self.limits, self.what = parser, limits, what

    def parse(self, stream, full_statusline=None):
        return self.parser.parse(_CountedLines(stream, self.limits, self.what), full_statusline)


class _QuietBlankLines(ArchiveIterator):
    """warcio's ArchiveIterator whose `_consume_blanklines` (warcio 1.8's, below) counts a record
    not followed by its blank lines in `err_count`, which the readers check, instead of
    writing a warning quoting the file's bytes to stderr."""

    def _consume_blanklines(self):
        empty_size, first_line = 0, True
        while True:
            line = self.reader.readline()
            if len(line) == 0:
                return None, empty_size
            if len(line.rstrip()) == 0 or first_line:
                empty_size += len(line)
                if len(line.rstrip()) != 0:
                    self.err_count += 1
                first_line = False
                continue
            return line, empty_size


class _Records(_QuietBlankLines):
    """warcio's ArchiveIterator, digests checked, lines and headers bounded by `limits`, a .warc.gz
    (`strict`) read by `_StrictReader`."""

    def __init__(self, fh, strict: bool, limits: Limits):
        super().__init__(fh, check_digests=True)
        self.reader = (_StrictReader if strict else _BoundedReader)(self.fh, block_size=self.reader.block_size)
        self.reader.limits = limits
        loader = self.loader
        loader.warc_parser = _BoundedParser(loader.warc_parser, limits, "WARC")
        loader.http_parser = _BoundedParser(loader.http_parser, limits, "HTTP")
        loader.http_req_parser = _BoundedParser(loader.http_req_parser, limits, "HTTP")


class StreamRecords(_QuietBlankLines):
    """warcio's ArchiveIterator over a stream read once (a download), for a reader that judges a
    record by its WARC headers: WARC records only (no ARC), no HTTP headers parsed, no digests
    checked, the WARC header lines bounded by `limits`, and for a .warc.gz (`compressed`) a
    damaged gzip member or a gzip bomb raising instead of being read on. Once iterated to its
    end, `cut` says whether the stream ended inside a gzip member (a file cut short there)."""

    def __init__(self, fh, compressed: bool, limits: Limits):
        super().__init__(fh, no_record_parse=True)
        self.known_format = "warc"
        self.reader = (_MemberBound if compressed else _BoundedReader)(self.fh, block_size=self.reader.block_size)
        self.reader.limits = limits
        self.loader.warc_parser = _BoundedParser(self.loader.warc_parser, limits, "WARC")
        self.cut = False

    def close(self):
        decompressor = self.reader.decompressor if self.reader else None
        self.cut = bool(decompressor is not None and not decompressor.eof and self.fh.tell())
        super().close()


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


class Oversized(Unreadable):
    """A record over the `Limits`: not read further."""


def read_warc(path: str, limits: Limits = Limits()) -> Iterator[Capture | Skipped | Unreadable]:
    """Every record of the WARC file at `path`, in file order."""
    with open(path, "rb") as fh:
        yield from read_warc_file(fh, path, limits)


def read_warc_file(fh, path: str, limits: Limits = Limits()) -> Iterator[Capture | Skipped | Unreadable]:
    """Every record of the seekable WARC file `fh` (named `path` in what it yields), in file order."""
    fh.seek(0)
    compressed = fh.read(3) == GZIP_MAGIC
    start: int | None = 0
    while start is not None:
        fh.seek(start)
        records = _Records(fh, compressed, limits)
        begun, start = start, None
        for offset, url, result in _each(records, path, limits):
            yield result
            if isinstance(result, Unreadable):
                start = _resume(fh, offset, begun, compressed, limits)
                break


def _resume(fh, offset: int, begun: int, compressed: bool, limits: Limits) -> int | None:
    """Where reading goes on after the unreadable record at `offset`: where that record ends by
    its own measure (its gzip member's end; an uncompressed record's Content-Length) when a
    record starts there, so that a record written inside its payload (a page's bytes, which its
    site controls) is never taken for one; else the next record found after its start."""
    end = _member_end(fh, offset) if compressed else _declared_end(fh, offset, limits)
    if end is not None and end > offset:
        fh.seek(0, 2)
        if end >= fh.tell():
            return None
        start = _record_at(fh, end, compressed)
        if start is not None:
            return start
    return _next_record(fh, max(offset, begun) + 1, compressed)  # always onwards


def _member_end(fh, offset: int) -> int | None:
    """Where the gzip member at `offset` ends (None: it is damaged, or a gzip bomb)."""
    fh.seek(offset)
    decoder, read, out = zlib.decompressobj(16 + zlib.MAX_WBITS), 0, 0
    try:
        while not decoder.eof:
            chunk = decoder.unconsumed_tail or fh.read(SCAN_BYTES)
            if not chunk:
                return None
            read += 0 if decoder.unconsumed_tail else len(chunk)
            out += len(decoder.decompress(chunk, SCAN_BYTES))
            if out > MEMBER_SLACK + MEMBER_RATIO * read:
                return None
    except zlib.error:
        return None
    return offset + read - len(decoder.unused_data)


def _declared_end(fh, offset: int, limits: Limits) -> int | None:
    """Where the uncompressed record at `offset` ends by its header's Content-Length (None: no
    header ending within `limits`, or no Content-Length in it)."""
    fh.seek(offset)
    head = fh.read(limits.header_bytes + 4)
    end = head.find(b"\r\n\r\n")
    length = CONTENT_LENGTH.search(head[:end]) if end >= 0 and head.startswith(b"WARC/") else None
    return offset + end + 4 + int(length.group(1)) if length else None


def _record_at(fh, position: int, compressed: bool) -> int | None:
    """`position` when a record starts there (an uncompressed one after the line ends that close
    the record before it), else None."""
    fh.seek(position)
    data = fh.read(MEMBER_PROBE)
    if compressed:
        return position if opens_warc_member(data) else None
    body = data.lstrip(b"\r\n")
    return position + len(data) - len(body) if len(data) - len(body) <= 4 and PLAIN_FIRST.match(body) else None


def _each(records, path: str, limits: Limits):
    """(offset, URL, what it is) for each record; the first unreadable one ends it."""
    advance = iter(records)
    while True:
        try:
            record = next(advance)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - warcio, zlib and the HTTP parser raise many types
            offset = exc.offset if isinstance(exc, BlankLines) and exc.offset is not None else records.offset
            yield offset, None, _unreadable(path, offset, None, exc)
            return
        offset, url = records.offset, record.rec_headers.get_header("WARC-Target-URI")
        errors, after = records.err_count, None
        try:
            result = _read(record, path, offset, limits)
        except Exception as exc:  # noqa: BLE001
            result = _unreadable(path, offset, url, exc)
        if not isinstance(result, Unreadable):
            try:
                records.read_to_end()  # the blank lines after it: whether it ends where it says
            except Exception as exc:  # noqa: BLE001 - what follows the record is damaged, not the record
                after = exc
            if records.err_count > errors:
                result = Unreadable(path, offset, url, OVERRUN)
        yield offset, url, result
        if isinstance(result, Unreadable):
            return
        if after is not None:
            offset = after.offset if isinstance(after, BlankLines) and after.offset is not None else records.offset
            yield offset, None, _unreadable(path, offset, None, after)
            return


def _unreadable(path: str, offset: int, url: str | None, exc: Exception) -> Unreadable:
    if isinstance(exc, TooLarge):
        return Oversized(path, offset, url, str(exc)[:REASON_CHARS])
    return Unreadable(path, offset, url, f"{type(exc).__name__}: {exc}"[:REASON_CHARS])


def _read(record, path: str, offset: int, limits: Limits) -> Capture | Skipped | Unreadable:
    kind = record.rec_type
    url = record.rec_headers.get_header("WARC-Target-URI")
    length = record.rec_headers.get_header("Content-Length")
    if length is None:
        return Unreadable(path, offset, url, "no Content-Length: the record's header is truncated or damaged")
    if int(length) > limits.block:
        raise TooLarge(f"record of {length} bytes, over {limits.block} (DOWNLOAD_MAXSIZE and DOWNLOAD_MAX_HEADER_BYTES)")
    http = record.http_headers is not None and (record.http_headers.protocol or "").upper().startswith("HTTP/") \
        and (record.http_headers.get_statuscode() or "").isdigit()
    body = b""
    if kind == "response" and http:
        body = read_at_most(body_chunks(record, f"{path} at {offset}"), limits.body, "decoded body")
    drain(record)  # digests are checked as the stream is read
    missing = getattr(record.raw_stream, "limit", 0)  # warcio's LimitReader: bytes of Content-Length not read
    if missing > 0:
        return Unreadable(path, offset, url, f"truncated: the record ends {missing} bytes short of its Content-Length")
    if record.digest_checker.passed is False:
        return Unreadable(path, offset, url, "; ".join(map(str, record.digest_checker.problems))[:REASON_CHARS])
    if kind != "response":
        return Skipped(kind, url)
    if not http:  # a response record whose block holds no HTTP status line
        return Skipped("not_http", url)
    status = int(record.http_headers.get_statuscode())
    headers = [(k, v) for k, v in record.http_headers.headers if k.lower() not in DECODED_HEADERS]
    return Capture(url, status, headers, body, record.rec_headers.get_header("WARC-Date") or "", path, offset)


def _next_record(fh, position: int, compressed: bool) -> int | None:
    """The offset of the next record start at or after `position`, None at the end: a gzip
    member decompressing to a WARC header (its magic bytes also occur in compressed data), or
    an uncompressed WARC header line (any version) at the start of a line."""
    while (found := _find(fh, position, compressed)) is not None:
        if not compressed or _record_at(fh, found, compressed) is not None:
            return found
        position = found + 1
    return None


def record_start(data: bytes, compressed: bool, position: int = 0) -> int | None:
    """Where in `data`, from `position`, the next candidate record start is (a gzip member's
    magic bytes, to be checked with `opens_warc_member`; an uncompressed WARC header line)."""
    found = (GZIP_START if compressed else PLAIN_START).search(data, position)
    return None if found is None else found.start() + (0 if compressed else 1)


def _find(fh, position: int, compressed: bool) -> int | None:
    fh.seek(position)
    carry = b""
    while True:
        chunk = fh.read(SCAN_BYTES)
        if not chunk:
            return None
        data = carry + chunk
        found = record_start(data, compressed)
        if found is not None:
            return position - len(carry) + found
        carry = data[-SCAN_CARRY:]
        position += len(chunk)


def opens_warc_member(data: bytes) -> bool:
    """Whether `data` (MEMBER_PROBE bytes, or up to a file's end) starts a gzip member holding a WARC record."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 16).startswith(b"WARC/")
    except zlib.error:
        return False
