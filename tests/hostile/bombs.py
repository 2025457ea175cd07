"""Decompression bombs, made in about a second a GiB: a gzip member or zlib stream of `count`
repeats of a 1 MiB filler, its compressed filler block computed once and repeated (each block
ends in a full flush, so it refers to nothing before it)."""
from __future__ import annotations

import functools
import struct
import zlib

MIB = 1 << 20
ZEROS = bytes(MIB)
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def _raw(data: bytes, final: bool = False) -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return deflate.compress(data) + deflate.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


@functools.cache
def _block(filler: bytes) -> bytes:
    return _raw(filler)


def _deflate(head: bytes, count: int, tail: bytes, filler: bytes) -> bytes:
    return _raw(head) + _block(filler) * count + _raw(tail, final=True)


def _checksum(check, head: bytes, count: int, tail: bytes, filler: bytes, value: int) -> int:
    value = check(head, value)
    for _ in range(count):
        value = check(filler, value)
    return check(tail, value)


def gzip_bomb(head: bytes, count: int, tail: bytes = b"", filler: bytes = ZEROS) -> bytes:
    """One gzip member of `head`, `count` MiB of `filler` and `tail`."""
    crc = _checksum(zlib.crc32, head, count, tail, filler, 0)
    size = len(head) + count * len(filler) + len(tail)
    return GZIP_HEADER + _deflate(head, count, tail, filler) + struct.pack("<II", crc, size & 0xFFFFFFFF)


def zlib_bomb(count: int, head: bytes = b"", filler: bytes = ZEROS) -> bytes:
    """A zlib stream (what `pages.body` holds) of `head` and `count` MiB of `filler`."""
    adler = _checksum(zlib.adler32, head, count, b"", filler, 1)
    return b"\x78\xda" + _deflate(head, count, b"", filler) + struct.pack(">I", adler)
