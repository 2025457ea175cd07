"""Files read over HTTP(S) under one base URL (the Common Crawl backfill's path lists and WARC
files): one connection at a time, streamed from an offset with a Range request, each attempt
bounded by a timeout, with the operator's User-Agent, and never outside the base URL (a
redirect is not followed: it is an error, whatever its target).

`open` makes one attempt; what failed says whether to try again (`Retry`, after `wait`: 5xx,
429 and network failures, Retry-After honoured up to `FetchPolicy.max_wait`) or not
(`DownloadFailed`: a 4xx, a redirect, an answer that ignores the Range). A body that ends before
its Content-Length, or whose connection fails mid-way, raises `Cut` from `read`: the reader
starts again with a Range request where it stopped."""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from urllib.parse import unquote

from bbn_scraper.crawler.middlewares import retry_after as parse_retry_after

RETRIED_STATUSES = (429, 500, 502, 503, 504)
CONTENT_RANGE = re.compile(r"bytes (\d+)-\d+/(?:\d+|\*)")


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str
    retries: int = 5  # attempts after the first, per file, before it is a failed download
    backoff: float = 1.0  # seconds before the first retry, doubled on each following one
    max_wait: float = 120.0  # the longest wait before a retry, Retry-After included
    timeout: float = 60.0  # seconds to connect, and without a byte while reading
    max_bytes: int = 8 << 30  # of one file read (Common Crawl's are about 1 GB): past it, `TooLong`

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1, 2...): the server's Retry-After
        (seconds or an HTTP date) when it gives one, else exponential back-off; at most max_wait."""
        asked = parse_retry_after(retry_after)
        chosen = asked if asked is not None else self.backoff * 2 ** (attempt - 1)
        return max(0.0, min(chosen, self.max_wait))


class DownloadFailed(Exception):
    """A file that cannot be read, and that trying again now will not fix."""


class Retry(Exception):
    """An attempt failed in a way another attempt may not: `retry_after` is the server's header."""

    def __init__(self, reason: str, retry_after: str | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class Cut(Retry):
    """The body stopped before its end: read again from the last record boundary."""


class TooLong(DownloadFailed):
    """A body over `FetchPolicy.max_bytes`."""


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises the 3xx as an HTTPError


class Body:
    """A response body, read in pieces: `Cut` when it ends early or the connection fails."""

    def __init__(self, response, url: str, length: int | None, max_bytes: int):
        self.response, self.url, self.length, self.max_bytes = response, url, length, max_bytes
        self.received = 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.response.read(size if size is not None and size >= 0 else None)
        except (OSError, HTTPException) as exc:
            raise Cut(f"{self.url}: connection failed after {self.received} bytes ({type(exc).__name__}: {exc})") from None
        self.received += len(data)
        if self.received > self.max_bytes:
            raise TooLong(f"{self.url}: over {self.max_bytes} bytes read")
        if not data and size != 0 and self.length is not None and self.received < self.length:
            raise Cut(f"{self.url}: the download stopped after {self.received} of {self.length} bytes")
        return data

    def close(self) -> None:
        self.response.close()


class HttpFiles:
    """The files under `base_url` (it ends with a slash)."""

    def __init__(self, base_url: str, policy: FetchPolicy):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.policy = policy
        self.opener = urllib.request.build_opener(NoRedirects)

    def url(self, path: str) -> str:
        """The URL of `path` (relative to the base URL, or a URL under it); ValueError otherwise,
        a `.` or `..` segment included (percent-encoded or not: a server resolving it would
        serve a file outside the base URL)."""
        given = path = path.strip()
        if "://" in path:
            if not path.startswith(self.base_url):
                raise ValueError(f"{given} is not under the base URL {self.base_url}")
            path = path[len(self.base_url):]
        if _climbs(path):
            raise ValueError(f"{given} is not under the base URL {self.base_url}: it has a '.' or '..' segment")
        return self.base_url + path.lstrip("/")

    def open(self, url: str, offset: int = 0) -> Body | None:
        """The body of `url` from byte `offset`; None when the file ends there (416 at its size)."""
        if not url.startswith(self.base_url):
            raise DownloadFailed(f"{url} is not under the base URL {self.base_url}")
        headers = {"User-Agent": self.policy.user_agent, "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = self.opener.open(request, timeout=self.policy.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and offset:
                return None
            if exc.code in RETRIED_STATUSES:
                raise Retry(f"{url}: HTTP {exc.code}", exc.headers.get("Retry-After")) from None
            if 300 <= exc.code < 400:
                raise DownloadFailed(f"{url}: HTTP {exc.code} redirect to {exc.headers.get('Location')!r}"
                                     " not followed (only the base URL is read)") from None
            raise DownloadFailed(f"{url}: HTTP {exc.code} {exc.reason}") from None
        except (OSError, HTTPException) as exc:  # refused, reset, timed out, DNS
            reason = getattr(exc, "reason", exc)
            raise Retry(f"{url}: {type(reason).__name__}: {reason}") from None
        if offset and response.status != 206:
            response.close()
            raise DownloadFailed(f"{url}: the server answered {response.status} to a Range request from byte {offset}")
        if offset and _range_start(response.headers.get("Content-Range")) != offset:
            response.close()
            raise DownloadFailed(f"{url}: asked for the bytes from {offset}, the server sent"
                                 f" Content-Range {response.headers.get('Content-Range')!r}")
        length = response.headers.get("Content-Length")
        return Body(response, url, int(length) if length and length.isdigit() else None, self.policy.max_bytes)

    def read_all(self, url: str, limit: int, sleep=time.sleep) -> bytes:
        """The whole file at `url`, at most `limit` bytes, retried as the policy says
        (DownloadFailed past the limit or the retries)."""
        attempt = 0
        while True:
            try:
                return self._read_all(url, limit)
            except Retry as exc:
                attempt += 1
                if attempt > self.policy.retries:
                    raise DownloadFailed(f"{exc} (after {attempt} attempts)") from None
                sleep(self.policy.wait(attempt, exc.retry_after))

    def _read_all(self, url: str, limit: int) -> bytes:
        body = self.open(url)
        chunks, size = [], 0
        try:
            while body is not None and (chunk := body.read(1 << 16)):
                size += len(chunk)
                if size > limit:
                    raise DownloadFailed(f"{url}: over {limit} bytes")
                chunks.append(chunk)
        finally:
            if body is not None:
                body.close()
        return b"".join(chunks)



def _climbs(path: str) -> bool:
    """Whether `path` has a `.` or `..` segment, once percent-decoded (as often as it decodes to
    something else: a server may decode again), `/` and `\\` both separators."""
    for _ in range(4):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    return any(segment in (".", "..") for segment in re.split(r"[/\\]", path.split("?")[0].split("#")[0]))


def _range_start(content_range: str | None) -> int | None:
    """The first byte a 206's Content-Range says its body starts at (None: no such header)."""
    found = CONTENT_RANGE.fullmatch((content_range or "").strip())
    return int(found.group(1)) if found else None
