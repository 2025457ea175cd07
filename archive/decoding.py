"""Bounded decoding of what comes in: an HTTP body's Content-Encoding undone as a stream, in
chunks of at most CHUNK bytes whatever the ratio of the data (a gzip of zeros expands 1,000
times, brotli far more), so a reader holds no more of a body than it keeps. The import, the
stored pages and the reading room decode through it."""
from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

import brotli

from .errors import ArchiveError

CHUNK = 1 << 16
# Content-Encoding -> zlib's wbits (deflate: zlib-wrapped, or raw as some servers send it).
ZLIB_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}
MAX_BODY = 16 * 1024 * 1024  # the crawl's DOWNLOAD_MAXSIZE: no page a reader takes is larger


class TooLarge(ArchiveError):
    """More bytes than the limit a reader takes."""


def _as_is(first: bytes, read: Callable[[int], bytes]) -> Iterator[bytes]:
    """`first`, then the rest of the body undecoded: it is not in the encoding it claims."""
    yield first
    yield from iter(lambda: read(CHUNK), b"")


def _zlib(read: Callable[[int], bytes], wbits: int, whole: bool = False, strict: bool = False) -> Iterator[bytes]:
    """A body that does not start as its encoding says is passed on as it is (as warcio and
    browsers do); deflate may be raw. `whole`: a stream that ends before its end marker raises
    zlib.error once what it held is given. `strict`: nothing but the stream is taken (an empty
    one or another format raises zlib.error)."""
    decoder, data, first = zlib.decompressobj(wbits), read(CHUNK), True
    while data and not decoder.eof:
        try:
            out = decoder.decompress(data, CHUNK)
        except zlib.error:
            if not first or strict:
                raise
            if wbits == 15:
                decoder, wbits = zlib.decompressobj(-15), -15
                continue
            yield from _as_is(data, read)
            return
        first = False
        if out:
            yield out
        data = decoder.unconsumed_tail or read(CHUNK)
    if whole and not decoder.eof and (strict or not first):
        raise zlib.error("cut short: the stream ends before its end marker")


def stored_zlib(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """A body as the archive stores it, a zlib stream the archive made itself, decompressed
    in chunks: anything else, an empty body or a stream cut short raises zlib.error (where an
    HTTP body's decoder passes on what is not compressed as it is)."""
    return _zlib(read, 15, whole=True, strict=True)


def _brotli(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """As `_zlib`: a body that is no brotli from its start is passed on as it is."""
    decoder, first = brotli.Decompressor(), True
    while not decoder.is_finished():
        data = read(CHUNK) if decoder.can_accept_more_data() else b""
        try:
            out = decoder.process(data, output_buffer_limit=CHUNK)
        except brotli.error:
            if not first:
                raise
            yield from _as_is(data, read)
            return
        first = False
        if out:
            yield out
        elif not data and decoder.can_accept_more_data():
            raise brotli.error("brotli stream cut short")


def decoded(read: Callable[[int], bytes], encoding: str | None, whole: bool = False) -> Iterator[bytes]:
    """The bytes `read(n)` gives, the Content-Encoding `encoding` (gzip, deflate, br; several,
    comma-separated, in the order they were applied) undone, in chunks of at most CHUNK bytes.
    As Scrapy's HttpCompressionMiddleware does, the codings are undone from the last one
    applied, up to one that is not known (it and those before it stay as they are).
    `whole=True`: a gzip or deflate stream cut short raises zlib.error (brotli's always does)
    rather than end quietly."""
    chunks = None
    for coding in reversed([c.strip().lower() for c in (encoding or "").split(",") if c.strip()]):
        if coding == "identity":
            continue
        if coding not in ZLIB_WBITS and coding != "br":
            break
        if chunks is not None:
            read = _ChunkStream(chunks).read
        chunks = _zlib(read, ZLIB_WBITS[coding], whole) if coding in ZLIB_WBITS else _brotli(read)
    return chunks if chunks is not None else iter(lambda: read(CHUNK), b"")


class _ChunkStream:
    """`read(n)` over chunks (one decoding's output, read by the next)."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks, self.held = chunks, b""

    def read(self, size: int) -> bytes:
        while len(self.held) < size:
            chunk = next(self.chunks, b"")
            if not chunk:
                break
            self.held += chunk
        out, self.held = self.held[:size], self.held[size:]
        return out


def read_at_most(chunks: Iterator[bytes], limit: int, what: str = "body") -> bytes:
    """The joined `chunks`; `TooLarge` as soon as they pass `limit` bytes."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"{what} over {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


class ChunkReader:
    """A file object reading `chunks()` (called again to seek back to the start): a stream
    warcio's writer can digest, rewind and copy without holding it."""

    def __init__(self, chunks: Callable[[], Iterator[bytes]]):
        self._chunks, self._left, self._pos = chunks, chunks(), 0
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._left, b"")
            if not chunk:
                break
            self._buffer += chunk
        size = len(self._buffer) if size < 0 else size
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        self._pos += len(out)
        return out

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        if (pos, whence) != (self._pos, 0):
            if (pos, whence) != (0, 0):
                raise OSError("a decoded stream seeks back to its start only")
            self._left, self._pos, self._buffer = self._chunks(), 0, b""
        return self._pos
