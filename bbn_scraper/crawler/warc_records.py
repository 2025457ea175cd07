"""The captures in WARC files (.warc or .warc.gz, from any tool), streamed with warcio's
ArchiveIterator: one record in memory at a time, however large the file, and no record larger
than a crawl takes (`Limits`: its WARC and HTTP header lines, its block, its body decoded with
archive.decoding), whatever it expands to. A record that cannot be read (a damaged header, a
truncated or altered body, by its digests) or is over the limits is reported with its file and
offset, and reading goes on at the next record found after it."""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader

from archive.decoding import MAX_BODY, TooLarge, read_at_most
from archive.warc_store import body_chunks, drain
from bbn_scraper.settings import DOWNLOAD_MAX_HEADER_BYTES, DOWNLOAD_MAX_HEADERS

GZIP_MAGIC = b"\x1f\x8b\x08"  # every record of a .warc.gz is a gzip member of its own
WARC_MAGIC = b"\r\n\r\nWARC/1."  # an uncompressed record starts after the blank lines ending the last
SCAN_BYTES = 1 << 20
MEMBER_PROBE = 4096  # bytes of a gzip member decompressed to tell whether it starts a WARC record
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


class _Records(ArchiveIterator):
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


class StreamRecords(ArchiveIterator):
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
    magic = GZIP_MAGIC if fh.read(3) == GZIP_MAGIC else WARC_MAGIC
    start: int | None = 0
    while start is not None:
        fh.seek(start)
        records = _Records(fh, magic == GZIP_MAGIC, limits)
        begun, start = start, None
        for offset, url, result in _each(records, path, limits):
            yield result
            if isinstance(result, Unreadable):
                start = _next_record(fh, max(offset, begun) + 1, magic)  # always onwards
                break


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
        try:
            result = _read(record, path, offset, limits)
        except Exception as exc:  # noqa: BLE001
            result = _unreadable(path, offset, url, exc)
        yield offset, url, result
        if isinstance(result, Unreadable):
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
    body = b""
    if kind == "response" and record.http_headers:
        body = read_at_most(body_chunks(record, f"{path} at {offset}"), limits.body, "decoded body")
    drain(record)  # digests are checked as the stream is read
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
    return opens_warc_member(fh.read(MEMBER_PROBE))


def opens_warc_member(data: bytes) -> bool:
    """Whether `data` (MEMBER_PROBE bytes, or up to a file's end) starts a gzip member holding a WARC record."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 16).startswith(b"WARC/")
    except zlib.error:
        return False
