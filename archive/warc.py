"""WARC from the archive and checks of WARC files, with warcio.

`write_warc` makes WARC 1.1 of the archive's pages, each body streamed (archive.decoding). A page recorded by a crawl with WARC on
(archive.warc_store) is its recorded response record and the request record after it, copied
byte for byte. Any other page keeps its status, Content-Type and decoded body, not the
exchange's headers or request: its rebuilt response record says so in WARC-Bbn-Reconstructed. A page whose body equals the
last exported capture of its URL is a revisit record (identical-payload-digest profile).
`check_warc` reads every record of a WARC file, checking its digests (`verify --warc`)."""
from __future__ import annotations

import base64
import hashlib
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from http.client import responses
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator, ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive.model import url_key

from .db import Archive
from .decoding import ChunkReader, decoded
from .errors import ArchiveError, NotFound
from .export import _selection
from .verify import Check
from .warc_store import drain, open_record, read_record, resolve

RECONSTRUCTED = "status and Content-Type as archived, Content-Length of the body as archived (any Content-Encoding undone)"
# The pages of the selected articles: fetched from their own URL or one of their aliases.
ARTICLE_PAGE_IDS = """
WITH chosen AS (SELECT a.id, a.url_key FROM articles a WHERE {where}),
keys AS (SELECT url_key AS key FROM chosen
         UNION SELECT u.url_key FROM article_urls u JOIN chosen c ON c.id = u.article_id)
SELECT p.id FROM pages p WHERE page_key(p.url) IN (SELECT key FROM keys)"""
PAGES = ("SELECT id, url, status, content_type, fetched_at, sha256, warc_file, warc_offset, warc_length"
         " FROM pages {where} ORDER BY fetched_at, id")
# What may not be in a header value written to a WARC: a line break would end it and start a
# header of the row's choosing, and no other control character but a tab; in a Target-URI, no
# space or control character at all.
_NOT_IN_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a tab may be in a value (RFC 9110 5.5)
_NOT_IN_URI = re.compile(r"[\x00-\x20\x7f]")
# For pages.jsonl: each selected article with the capture replay opens (as reparse picks it).
ARTICLE_CAPTURES = """
WITH chosen AS (SELECT a.* FROM articles a WHERE {where}),
candidates AS (
  SELECT a.id, a.headline, a.published, p.url, p.fetched_at,
    row_number() OVER (PARTITION BY a.id
      ORDER BY page_key(p.url) IN (a.url_key, page_key(a.url)) DESC, p.fetched_at DESC, p.id DESC) AS n
  FROM chosen a JOIN (SELECT url_key AS key, id AS article_id FROM articles
                      UNION SELECT url_key, article_id FROM article_urls) o ON o.article_id = a.id
  JOIN pages p ON page_key(p.url) = o.key
  WHERE p.status IS NULL OR p.status < 400
)
SELECT url, fetched_at, headline, published FROM candidates WHERE n = 1
ORDER BY published IS NULL, published, id"""


@dataclass
class WarcExport:
    """What `write_warc` wrote: response and revisit records, of `pages` pages."""

    pages: int = 0
    responses: int = 0
    revisits: int = 0


def warc_date(iso: str) -> str:
    """A stored ISO date as a WARC-Date (UTC, microseconds when it has them)."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(when, use_micros=bool(when.microsecond))


def _digest_and_size(chunks) -> tuple[str, int]:
    """The payload digest (WARC-Payload-Digest) and length of a body given in chunks."""
    sha1, size = hashlib.sha1(), 0
    for chunk in chunks:
        sha1.update(chunk)
        size += len(chunk)
    return "sha1:" + base64.b32encode(sha1.digest()).decode("ascii"), size


def selected_page_ids(archive: Archive, selection: dict | None) -> list[int] | None:
    """The ids of the pages of the articles `selection` picks (export's filters); None: all."""
    if selection is None:
        return None
    where, params = _selection(**selection)
    archive.db.register_function(url_key, deterministic=True, name="page_key")
    return [row[0] for row in archive.db.execute(ARTICLE_PAGE_IDS.format(where=where), params)]


def write_warc(archive: Archive, out: BinaryIO, filename: str, info: dict, page_ids: list[int] | None = None) -> WarcExport:
    """WARC 1.1, gzip per record, of the pages `page_ids` (None: every page), oldest fetch first,
    after a warcinfo record."""
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    writer.write_record(writer.create_warcinfo_record(filename, info))
    result, last, copied = WarcExport(), {}, {}
    wanted = None if page_ids is None else set(page_ids)
    for page_id, url, status, content_type, fetched_at, sha256, *ref in archive.db.execute(PAGES.format(where="")).fetchall():
        if wanted is not None and page_id not in wanted:
            continue
        _check_row(page_id, url, status, content_type, fetched_at)
        if ref[0] is not None and tuple(ref[:2]) not in copied:
            copied[tuple(ref[:2])] = last[url] = _copy_recorded(archive.path, page_id, *ref, out)
            result.responses += 1
            result.pages += 1
            continue
        digest, size = _digest_and_size(archive.page_chunks(page_id, check=True))  # a damaged body: before it is written
        body = ChunkReader(lambda page_id=page_id: archive.page_chunks(page_id))
        status = status or 200
        headers = [("Content-Type", content_type)] if content_type else []
        http = StatusAndHeaders(f"{status} {responses.get(status, '')}".strip(),
                                headers + [("Content-Length", str(size))], protocol="HTTP/1.1")
        fields = {"WARC-Date": warc_date(fetched_at), "WARC-Bbn-Reconstructed": RECONSTRUCTED}
        earlier = copied.get(tuple(ref[:2])) if ref[0] is not None else last.get(url)
        if earlier is not None and (ref[0] is not None or earlier[0] == digest):
            digest = earlier[0]
            record = writer.create_revisit_record(url, digest, url, earlier[2], http_headers=http, warc_headers_dict=fields)
            record.rec_headers.add_header("WARC-Refers-To", earlier[1])
            result.revisits += 1
        else:
            record = writer.create_warc_record(url, "response", payload=body, length=size, http_headers=http,
                                               warc_headers_dict={**fields, "WARC-Payload-Digest": digest})
            last[url] = (digest, record.rec_headers.get_header("WARC-Record-ID"), fields["WARC-Date"])
            result.responses += 1
        writer.write_record(record)
        result.pages += 1
    return result


def _check_row(page_id: int, url, status, content_type, fetched_at) -> None:
    """`ArchiveError` naming the page for a row bbn-archive never writes (changed outside it):
    a URL or Content-Type that would break out of its header, a status or date of another kind."""
    where = f"page {page_id}"
    if not isinstance(url, str) or _NOT_IN_URI.search(url):
        raise ArchiveError(f"{where}: its URL is not one a WARC record can name (a space, a line break or a BLOB)")
    if content_type is not None and (not isinstance(content_type, str) or _NOT_IN_HEADER.search(content_type)):
        raise ArchiveError(f"{where}: its Content-Type holds a line break or a control character")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 999):
        raise ArchiveError(f"{where}: its status is not an HTTP status ({str(status)[:40]!r})")
    try:
        warc_date(fetched_at)
    except (TypeError, ValueError, AttributeError):
        raise ArchiveError(f"{where}: its fetched_at is not a date ({str(fetched_at)[:40]!r})") from None


def _whole_record(raw: bytes, where: str):
    """The record `raw`, read through (its headers kept); `ArchiveError` unless it is one whole
    WARC record: a gzip member ending at its end (when it is one), its block matching its digests."""
    if raw[:2] == b"\x1f\x8b":
        member, data = zlib.decompressobj(31), raw
        try:
            while data and not member.eof:
                member.decompress(data, 1 << 16)
                data = member.unconsumed_tail
        except zlib.error as exc:
            raise ArchiveError(f"{where}: not a whole WARC record (zlib.error: {exc})") from None
        if not member.eof or member.unused_data:
            raise ArchiveError(f"{where}: not a whole WARC record (its gzip member is cut short, or more follows it)")
    record = open_record(raw, where, check=True)
    try:
        drain(record)
    except (EOFError, OSError, ValueError, zlib.error) as exc:
        raise ArchiveError(f"{where}: not a whole WARC record ({type(exc).__name__}: {str(exc)[:80]})") from None
    if record.digest_checker.problems:
        raise ArchiveError(f"{where}: {'; '.join(record.digest_checker.problems)}")
    return record


def _copy_recorded(archive_path: str | None, page_id: int, warc_file: str, offset: int, length: int,
                   out: BinaryIO) -> tuple[str, str, str]:
    """Copy a page's recorded response record, read whole through its block digest first,
    and the request record written after it, to `out`; its (payload digest, record id, date),
    as `write_warc`'s `last` keeps them. What follows the record that is not its request is
    not copied."""
    path = resolve(warc_file, archive_path)
    raw = read_record(path, offset, length)
    where = f"page {page_id} ({path} at {offset})"
    record = _whole_record(raw, where)
    out.write(raw)
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    with open(path, "rb") as stream:
        stream.seek(offset + length)
        records = ArchiveIterator(stream)
        try:
            request = next(iter(records), None)
        except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error):
            request = None  # not a record: nothing of it is copied
        if request is not None and request.rec_type == "request" \
                and request.rec_headers.get_header("WARC-Concurrent-To") == record_id:
            size = records.get_record_length()
            stream.seek(offset + length)
            out.write(stream.read(size))
    headers = record.rec_headers
    return headers.get_header("WARC-Payload-Digest"), record_id, headers.get_header("WARC-Date")


def article_pages(archive: Archive, selection: dict | None) -> Iterator[dict]:
    """pages.jsonl entries of the selected articles (all: None): url, ts, title, date."""
    where, params = _selection(**(selection or {}))
    archive.db.register_function(url_key, deterministic=True, name="page_key")
    for url, fetched_at, headline, published in archive.db.execute(ARTICLE_CAPTURES.format(where=where), params):
        if isinstance(headline, bytes):  # a damaged row's: the listing's label only, the page itself is exported
            headline = headline.decode("utf-8", errors="replace")
        entry = {"url": url, "ts": warc_date(fetched_at), "title": headline}
        if published:
            entry["date"] = published
        yield entry


def warc_paths(names) -> list[Path]:
    """The files named, a folder standing for its *.warc.gz and *.warc; `NotFound` for a missing name."""
    paths = []
    for name in map(Path, names):
        if not name.exists():
            raise NotFound(f"{name} does not exist")
        paths += sorted([*name.glob("*.warc.gz"), *name.glob("*.warc")]) if name.is_dir() else [name]
    return paths


def _last_member_complete(path, offset: int) -> bool:
    """Whether the file's last gzip member, from `offset`, reaches its end-of-stream trailer
    (warcio yields a record whose member lost only its trailer); an uncompressed WARC: True."""
    with open(path, "rb") as stream:
        if stream.read(2) != b"\x1f\x8b":
            return True
        stream.seek(offset)
        member = zlib.decompressobj(wbits=31)
        while chunk := stream.read(1 << 16):
            member.decompress(chunk)
        return member.eof


REQUIRED_HEADERS = ("WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length")  # WARC 1.1, section 5


def check_warc(path: str | Path) -> Check:
    """Every record of the WARC file at `path` read to its end, its block and payload digests
    checked: a truncated file, a record cut short or altered, are problems."""
    check = Check(f"WARC {path}")
    records = start = end = 0
    try:
        with open(path, "rb") as stream:
            iterator = ArchiveIterator(stream, check_digests=True)
            for record in iterator:
                records += 1
                uri = record.rec_headers.get_header("WARC-Target-URI") or record.rec_type
                drain(record)  # in chunks: digests are checked as it is read
                start = iterator.get_record_offset()
                end = start + iterator.get_record_length()
                where = f"record {records} at offset {start}"
                check.problems += [f"{where} ({uri}): {problem}" for problem in record.digest_checker.problems]
                missing = [name for name in REQUIRED_HEADERS if not record.rec_headers.get_header(name)]
                if missing:
                    check.problems.append(f"{where} ({uri}): cut short or damaged, no {', '.join(missing)}")
                if (record.digest_checker.passed is None and record.rec_type != "revisit"  # a revisit has no payload
                        and record.rec_headers.get_header("WARC-Block-Digest")):
                    check.problems.append(f"{where} ({uri}): cut short, fewer bytes than its Content-Length")
    except Exception as exc:  # warcio fails in many ways on a damaged file (a header block cut short: AttributeError)
        check.problems.append(f"unreadable after {records} records: {type(exc).__name__}: {exc}")
    else:
        size = Path(path).stat().st_size
        if end != size:  # warcio ends quietly on a last gzip member cut short
            check.problems.append(f"cut short: {size - end} bytes after record {records} (offset {end}) are no WARC record")
        elif records and not _last_member_complete(path, start):
            check.problems.append(f"cut short: the gzip member of record {records} (offset {start}) has no end")
    check.checked = f"{records} records"
    if records == 0 and not check.problems:
        check.problems.append("no WARC records")
    return check


WARC_MAGIC = b"WARC/"
GZIP_MAGIC = b"\x1f\x8b"
CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d{1,15})[ \t]*\r?$")  # in a WARC record's header
MEMBER_LOOK = 1 << 20  # bytes of a .warc.gz's first member decompressed to tell whether it holds one record


def _records_share_a_member(stream: BinaryIO) -> bool:
    """Whether the first gzip member of `stream` goes on past its first record's block (a WARC
    gzipped whole), judged on at most the first record decompressed (MEMBER_LOOK bytes past its
    header at most: a first record larger than that is taken to end its member)."""
    stream.seek(0)
    decoder, out = zlib.decompressobj(16 + zlib.MAX_WBITS), b""
    while not decoder.eof and len(out) < MEMBER_LOOK:
        chunk = stream.read(1 << 16)
        if not chunk:
            return False
        try:
            out += decoder.decompress(chunk, MEMBER_LOOK)
        except zlib.error:
            return False  # reading it says where it is damaged
        header = out.find(b"\r\n\r\n")
        if header < 0:
            continue
        length = CONTENT_LENGTH.search(out[:header])
        if length is None:
            return False
        after = header + 8 + int(length.group(1))  # past the block and the blank lines that end the record
        if len(out) >= after + 7:
            return out[after:].lstrip(b"\r\n")[:5] == b"WARC/"
    return False


def not_a_warc(path: str | Path) -> str | None:
    """Why the file at `path` is no WARC file, from its first bytes alone: a WARC starts with
    "WARC/" (WARC/1.0, WARC/1.1), or is gzip whose first member does (its first 64 KiB
    decoded, archive.decoding); None when it is one. An unreadable file raises OSError."""
    with open(path, "rb") as stream:
        head = stream.read(16)
        if head.startswith(WARC_MAGIC):
            return None
        if head.startswith(GZIP_MAGIC):
            stream.seek(0)
            if not next(decoded(stream.read, "gzip"), b"").startswith(WARC_MAGIC):
                return f"{path}: gzip, but not of a WARC (its first member does not start with WARC/)"
            if _records_share_a_member(stream):
                return (f"{path}: a WARC gzipped whole, in one stream, where a .warc.gz holds each record in a gzip"
                        f" member of its own: gunzip it, or recompress it record by record (warcio recompress"
                        f" {path} OUT.warc.gz)")
            return None
    starts = f"it starts with {head.decode('ascii', 'backslashreplace')!r}" if head else "it is empty"
    return f"{path}: not a WARC file ({starts}; a WARC starts with WARC/1.0 or WARC/1.1, or is gzip of that)"
