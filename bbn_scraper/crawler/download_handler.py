"""Scrapy's HTTP/1.1 download handler with bounded response headers. `DOWNLOAD_MAXSIZE` covers
bodies only: a server that sends headers without end grows the crawl until it dies. Here the
response parser counts header bytes and lines as they arrive and drops the connection at
`DOWNLOAD_MAX_HEADER_BYTES` or `DOWNLOAD_MAX_HEADERS`; the request fails with
`ResponseHeadersTooLarge`, which is not retried and is recorded with the URL."""
from __future__ import annotations

from dataclasses import dataclass

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadFailedError

from bbn_scraper.crawler.compat import (
    PARSING_HEADERS, LenientClientFactory, LenientClientProtocol, LenientResponseParser, quiescent_callback,
    response_parser, set_client_factory,
)


class ResponseHeadersTooLarge(Exception):
    """A response's headers went past a limit; the connection was dropped."""


@dataclass(frozen=True)
class HeaderLimits:
    max_bytes: int  # status line and header lines, with their line ends
    max_lines: int  # header lines (not status lines), continuation lines included


class BoundedHeadersParser(LenientResponseParser):
    """Scrapy's lenient response parser that counts what the headers cost while they arrive.
    The counts carry over a 1xx interim response, so a stream of those is bounded too.
    `MAX_LENGTH` (the longest line Twisted's LineReceiver buffers) is the byte limit: a line
    that never ends is refused at the same point as many lines."""

    limits: HeaderLimits
    header_bytes: int
    header_lines: int

    def bound(self, limits: HeaderLimits) -> None:
        self.limits = limits
        self.MAX_LENGTH = limits.max_bytes
        self.header_bytes = 0
        self.header_lines = 0

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 - Twisted's name
        self.header_bytes += len(line) + len(self.delimiter)
        if self.header_bytes > self.limits.max_bytes:
            raise ResponseHeadersTooLarge(f"response headers exceed {self.limits.max_bytes} bytes")
        if self.state == PARSING_HEADERS and line.rstrip(b"\r"):
            self.header_lines += 1
            if self.header_lines > self.limits.max_lines:
                raise ResponseHeadersTooLarge(f"more than {self.limits.max_lines} response header lines")
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:  # noqa: N802 - Twisted's name
        raise ResponseHeadersTooLarge(f"response headers exceed {self.limits.max_bytes} bytes")


class BoundedHeadersProtocol(LenientClientProtocol):
    """Scrapy's HTTP/1.1 client protocol with `BoundedHeadersParser` for every response. An
    exception in the parser makes Twisted drop the connection and fail the request with it."""

    limits: HeaderLimits

    def request(self, request):
        result = super().request(request)
        # Scrapy swaps the parser's class the same way, for the same reason: the class is
        # hard-coded in HTTP11ClientProtocol.request().
        parser = response_parser(self)
        parser.__class__ = BoundedHeadersParser
        parser.bound(self.limits)
        return result


class BoundedHeadersHandler(HTTP11DownloadHandler):
    """`DOWNLOAD_HANDLERS` for http and https: Scrapy's handler whose connections parse
    responses with bounded headers."""

    def __init__(self, crawler):
        super().__init__(crawler)
        limits = HeaderLimits(crawler.settings.getint("DOWNLOAD_MAX_HEADER_BYTES"),
                              crawler.settings.getint("DOWNLOAD_MAX_HEADERS"))

        class Factory(LenientClientFactory):
            def buildProtocol(self, addr):  # noqa: N802 - Twisted's name
                protocol = BoundedHeadersProtocol(quiescent_callback(self))
                protocol.limits = limits
                return protocol

        set_client_factory(self, Factory)

    async def download_request(self, request):
        try:
            return await super().download_request(request)
        except DownloadFailedError as exc:
            # Twisted wraps the parser's exception in ResponseFailed, Scrapy that in DownloadFailedError.
            for reason in getattr(exc.__cause__, "reasons", ()):
                if reason.check(ResponseHeadersTooLarge):
                    raise reason.value from None
            raise
