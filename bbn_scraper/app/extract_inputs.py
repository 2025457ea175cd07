"""What `bbn-archive extract` reads: saved pages (plain or gzip), folders of them, http(s) URLs,
standard input, and list files naming any of these, each turned into a `Page` (its bytes) or a
`Failure` (why it could not be read), one by one and in the order given, so that one bad
input never stops the others. Everything is bounded: MAX_PAGE bytes a page once decoded (gzip
undone as a stream, archive.decoding), FETCH_TIMEOUT seconds a URL, MAX_LINE characters a line
of a list."""
from __future__ import annotations

import contextlib
import http.client
import os
import queue
import socket
import ssl
import stat
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import IO

from archive.decoding import MAX_BODY, TooLarge, decoded, read_at_most

MAX_PAGE = MAX_BODY  # a crawl's DOWNLOAD_MAXSIZE: no page extract reads is larger, once decoded
FETCH_TIMEOUT = 30.0  # seconds a URL may take, connection and every byte of its body
MAX_LINE = 8192  # characters of one line of a list file
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")  # the files a folder is searched for
USER_AGENT = f"bbn-archive/{version('bbn-archive')} (extract)"
STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Page:
    """One input read: its name as given, the URL to parse it under, its bytes and Content-Type."""

    name: str
    url: str
    body: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class Failure:
    """One input that could not be read, and why."""

    name: str
    reason: str


class Unreadable(Exception):
    """An input that cannot be read (the message says why)."""


def is_url(name: str) -> bool:
    return name.lower().startswith(("http://", "https://"))


def pages(inputs: Iterable[str | Failure], stdin: IO[bytes] | None = None,
          timeout: float = FETCH_TIMEOUT) -> Iterator[Page | Failure]:
    """A `Page` or a `Failure` for every page of `inputs` (file paths, folders, URLs, "-" for
    `stdin`; a `Failure` passed on), in order; a folder gives its page files (PAGE_SUFFIXES,
    any depth, `page_files`; no symbolic link followed into another folder)."""
    for name in inputs:
        if isinstance(name, Failure):
            yield name
        elif name == STDIN:
            yield _read(name, lambda: Page(name, "file:///dev/stdin", _bounded((stdin or sys.stdin.buffer).read)))
        elif is_url(name):
            yield _read(name, lambda: _fetch(name, timeout))
        elif os.path.isdir(name):
            found = 0
            for path in page_files(name):
                found += 1
                yield _read(str(path), lambda path=path: Page(str(path), path.resolve().as_uri(), _file(path, found=True)))
            if not found:
                yield Failure(name, f"a folder with no page in it (no {', '.join(PAGE_SUFFIXES)} file)")
        else:
            yield _read(name, lambda: Page(name, Path(name).resolve().as_uri(), _file(Path(name))))


def page_files(folder: str) -> Iterator[Path]:
    """The page files under `folder`: a folder's own, sorted by name, then each subfolder's
    the same way, in name order."""
    for root, dirs, files in os.walk(folder):  # followlinks=False: no loop through a link
        dirs.sort()
        for file in sorted(files):
            if file.lower().endswith(PAGE_SUFFIXES):
                yield Path(root, file)


def listed(stream: IO[str]) -> Iterator[str | Failure]:
    """The entries of a list file, one a line (blank lines and lines starting with # skipped);
    a line over MAX_LINE characters is a `Failure`, the rest read on."""
    number = 0
    while line := stream.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            while line and not line.endswith("\n"):  # the rest of the long line, skipped
                line = stream.readline(MAX_LINE + 1)
            yield Failure(f"line {number}", f"a line of the list over {MAX_LINE} characters")
            continue
        entry = line.strip()
        if entry and not entry.startswith("#"):
            yield entry


def _read(name: str, load: Callable[[], Page]) -> Page | Failure:
    try:
        return load()
    except Unreadable as exc:
        return Failure(name, str(exc))
    except OSError as exc:
        return Failure(name, exc.strerror or str(exc) or type(exc).__name__)


def _bounded(read: Callable[[int], bytes]) -> bytes:
    """The bytes `read` gives, gzip undone when they are gzip (anything else passes as it is),
    at most MAX_PAGE of them. A gzip that does not decode or is cut short is `Unreadable`."""
    first = iter([read(len(GZIP_MAGIC))])

    def reading(size: int) -> bytes:
        # The first two bytes alone first: a gzip's magic decodes without error, so a gzip
        # damaged further on raises (archive.decoding passes on as it is only what fails at once).
        return next(first, b"") or read(size)

    try:
        return read_at_most(decoded(reading, "gzip", whole=True), MAX_PAGE, "page")
    except TooLarge:
        raise Unreadable(f"over {MAX_PAGE} bytes (once decoded): larger than any page a crawl takes") from None
    except zlib.error as exc:
        raise Unreadable(f"damaged gzip ({exc})") from None


def _file(path: Path, found: bool = False) -> bytes:
    """The page file at `path`; `found` in a folder, it must be a regular file (a FIFO there
    would wait for a writer for ever). A pipe named on the command line (`<(...)`) is read."""
    if found and not stat.S_ISREG(os.stat(path).st_mode):
        raise Unreadable("not a regular file (a pipe, a device or a socket) in a folder of pages")
    with open(path, "rb") as stream:
        return _bounded(stream.read)


class _WebRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects followed to http(s) URLs only (urllib also follows them to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_url(urllib.parse.urljoin(req.full_url, newurl)):
            raise Unreadable(f"HTTP {code}: redirected to {newurl[:200]!r}, not an http(s) URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(sockets: list[socket.socket]) -> urllib.request.OpenerDirector:
    """An opener whose connections put their sockets in `sockets` (so that a fetch given up on
    can be shut down from another thread) and that redirects to http(s) URLs only."""
    def tracked(base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
        class Tracked(base):
            def connect(self):
                super().connect()
                sockets.append(self.sock)
        return Tracked

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(tracked(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(tracked(http.client.HTTPSConnection), req, context=_TLS)

    return urllib.request.build_opener(Http, Https, _WebRedirects)


_TLS = ssl.create_default_context()


def _fetch(url: str, timeout: float) -> Page:
    """The page at `url` (under its final URL, with its Content-Type), in at most `timeout`
    seconds all told: the fetch runs in a thread of its own, waited for that long (a server
    that trickles its headers or body a byte at a time keeps each read within the socket's
    timeout); a fetch given up on has its socket shut down, which ends its thread."""
    done: queue.Queue = queue.Queue(maxsize=1)
    sockets: list[socket.socket] = []

    def fetch() -> None:
        try:
            done.put(_fetch_now(url, timeout, _opener(sockets)))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            done.put(exc)

    threading.Thread(target=fetch, name="extract-fetch", daemon=True).start()
    try:
        result = done.get(timeout=timeout)
    except queue.Empty:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise Unreadable(f"not read within {timeout:g} s") from None
    if isinstance(result, BaseException):
        raise result
    return result


def _fetch_now(url: str, timeout: float, opener: urllib.request.OpenerDirector) -> Page:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"})
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > MAX_PAGE:
                raise Unreadable(f"Content-Length {length}: larger than any page a crawl takes ({MAX_PAGE} bytes)")
            received = 0

            def read(size: int) -> bytes:
                nonlocal received
                data = response.read(size)
                received += len(data)
                return data

            body = read_at_most(decoded(read, response.headers.get("Content-Encoding"), whole=True), MAX_PAGE, "page")
            if length.isdigit() and received < int(length):  # http.client's read(n) ends short quietly
                raise Unreadable(f"cut short: {received} of the {length} bytes its Content-Length announces")
            return Page(url, response.url, body, response.headers.get("Content-Type"))
    except TooLarge:
        raise Unreadable(f"over {MAX_PAGE} bytes (once decoded): larger than any page a crawl takes") from None
    except urllib.error.HTTPError as exc:
        raise Unreadable(one_line(f"HTTP {exc.code} {exc.reason}")) from None
    except urllib.error.URLError as exc:
        raise Unreadable(one_line(f"not fetched: {exc.reason}")) from None
    except (TimeoutError, ConnectionError) as exc:
        raise Unreadable(f"not fetched: {exc.strerror or exc or type(exc).__name__}") from None
    except (ValueError, zlib.error, http.client.HTTPException) as exc:
        raise Unreadable(one_line(f"not fetched: {exc or type(exc).__name__}")) from None


def one_line(text: str) -> str:
    """`text` on one line (urllib's redirect-loop message spans three)."""
    return " ".join(text.split())
