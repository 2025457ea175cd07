"""WARC records as the raw store (migration m006_warc): with WARC recording on, a page's body
is not copied into `pages`; its row keeps compression 'warc', an empty body, and where its
response record is: warc_file, warc_offset, warc_length (bytes of the gzip member) and
warc_digest (the record's WARC-Payload-Digest, of the payload as sent).

warc_file is relative to the archive file's folder when the WARC file lies under that folder
(the archive and its WARC folder move together), absolute otherwise."""
from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed

from .decoding import CHUNK, MAX_BODY, decoded
from .errors import ArchiveError


class WarcRef(NamedTuple):
    """Where a response record is: its file (absolute when given to the archive), offset and
    length in bytes, its payload digest, and its WARC-Target-URI."""

    file: str
    offset: int
    length: int
    digest: str
    url: str = ""


def stored_path(file: str | Path, archive_path: str | None) -> str:
    """warc_file for `file`: relative to the archive's folder when under it, else absolute."""
    file = Path(os.path.abspath(file))
    if archive_path:
        try:
            return str(file.relative_to(Path(os.path.abspath(archive_path)).parent))
        except ValueError:
            pass
    return str(file)


def resolve(warc_file: str, archive_path: str | None) -> Path:
    """The file a stored warc_file names."""
    if not isinstance(warc_file, str) or not warc_file:
        raise ArchiveError(f"no WARC file named ({warc_file!r})")
    path = Path(warc_file)
    if path.is_absolute() or not archive_path:
        return path
    if ".." in path.parts:  # a relative warc_file is one under the archive's folder (stored_path)
        raise ArchiveError(f"WARC file {warc_file} is refused: a relative name that leaves the archive's folder")
    return Path(os.path.abspath(archive_path)).parent / path


WARC_SUFFIXES = (".warc.gz", ".warc")
MAX_RECORD = MAX_BODY + 1024 * 1024  # a response record of the largest page a crawl keeps, with its headers


def read_record(path: Path, offset: int, length: int) -> bytes:
    """The `length` bytes of the record at `offset`; `ArchiveError` (one line) when the file
    is missing or ends before them, or the row asks for what no crawl records: a file that is
    not a WARC file (by its name, or not a regular file), a record over MAX_RECORD bytes, a
    negative offset. An archive's rows may come from anyone: they name no other file to read."""
    if not isinstance(path, Path) or not path.name.endswith(WARC_SUFFIXES):
        raise ArchiveError(f"WARC file {path} is refused: not named .warc or .warc.gz")
    if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or not 0 < length <= MAX_RECORD:
        raise ArchiveError(f"WARC record in {path} is refused: offset {offset!r}, length {length!r}"
                           f" (at most {MAX_RECORD} bytes)")
    try:
        if not path.is_file():
            raise ArchiveError(f"WARC file {path} is missing" if not path.exists() else f"WARC file {path} is not a file")
        with open(path, "rb") as stream:
            stream.seek(offset)
            raw = stream.read(length)
    except FileNotFoundError:
        raise ArchiveError(f"WARC file {path} is missing") from None
    except OSError as exc:
        raise ArchiveError(f"WARC file {path} cannot be read: {exc.strerror or exc}") from None
    if len(raw) < length:
        raise ArchiveError(f"WARC file {path} is truncated: record at offset {offset} has {len(raw)} of its {length} bytes")
    return raw


def open_record(raw: bytes, where: str, check: bool = False):
    """The single record `raw`, its headers read, its body not yet (`body_chunks`); with
    `check`, its digests are checked as it is read (`drain`)."""
    try:
        return next(iter(ArchiveIterator(BytesIO(raw), check_digests=check)))
    except (StopIteration, ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
        raise _unreadable(where, exc) from None


def _unreadable(where: str, exc: Exception) -> ArchiveError:
    why = str(exc).splitlines()[0][:80] if str(exc) else ""
    return ArchiveError(f"{where}: not a readable WARC record, damaged or altered ({type(exc).__name__}: {why})")


def body_chunks(record, where: str) -> Iterator[bytes]:
    """The record's HTTP body with its transfer and content encodings undone, in chunks
    (archive.decoding); `ArchiveError` for one that does not decode."""
    stream = record.raw_stream
    encoding = None
    if record.http_headers:
        encoding = ", ".join(v for k, v in record.http_headers.headers if k.lower() == "content-encoding")
        if (record.http_headers.get_header("transfer-encoding") or "").lower() == "chunked":
            stream = ChunkedDataReader(stream, decomp_type=None)
    try:
        yield from decoded(stream.read, encoding)
    except (EOFError, OSError, ValueError, zlib.error, brotli.error) as exc:
        raise _unreadable(where, exc) from None


def drain(record) -> None:
    """Read the rest of the record, in chunks, for its digests."""
    while record.raw_stream.read(CHUNK):
        pass


def page_chunks(archive_path: str | None, page_id: int, warc_file: str, offset: int, length: int) -> Iterator[bytes]:
    """The body of a page stored as a WARC record, as the crawl's parser saw it, in chunks:
    the record is read now, decoded as the chunks are taken."""
    path = resolve(warc_file, archive_path)
    where = f"page {page_id} ({path} at {offset})"
    return body_chunks(open_record(read_record(path, offset, length), where), where)


def check_page(archive_path: str | None, page: tuple) -> str | None:
    """What is wrong with an indexed page's record (None: nothing): missing, truncated, digests
    not matching the record's block, the page's warc_digest or its sha256."""
    page_id, warc_file, offset, length, digest, sha256 = page
    path = resolve(warc_file, archive_path)
    where = f"page {page_id} ({warc_file} at {offset})"
    body = hashlib.sha256()
    try:
        record = open_record(read_record(path, offset, length), where, check=True)
        for chunk in body_chunks(record, where):
            body.update(chunk)
        drain(record)
    except ArchiveError as exc:
        return str(exc)
    if record.digest_checker.problems:
        return f"{where}: {'; '.join(record.digest_checker.problems)}"
    if record.rec_headers.get_header("WARC-Payload-Digest") != digest:
        return f"{where}: payload digest {record.rec_headers.get_header('WARC-Payload-Digest')}, indexed as {digest}"
    if body.hexdigest() != sha256:
        return f"{where}: body does not match the page's sha256"
    return None
