"""A stored page sent as it is decoded, one chunk at a time (archive.decoding): at most
`MAX_BODY` bytes of it, the crawl's DOWNLOAD_MAXSIZE; a larger page (an older bbn-archive
stored one) is shown truncated, with a notice at its end and an ``X-Bbn-Truncated`` header. So
a reader of the largest page costs the server a chunk of memory, and other requests wait for
none of it. A page that stops decoding midway ends there, the error logged in one line."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator

from archive.decoding import MAX_BODY
from archive.errors import ArchiveError
from archive.reading import StoredPage

from .errors import log, one_line

NOTICE = "bbn-archive: this page is shown truncated, its first {shown:,} of {size:,} bytes."
HTML_NOTICE = '<p style="border:2px solid #b00;padding:1em;font:16px sans-serif">{}</p>'


class StoredPageResponse:
    """What Datasette sends for /<db>/-/page/<id>: `page`'s `chunks`, with `headers`."""

    def __init__(self, page: StoredPage, chunks: Iterator[bytes], headers: dict[str, str], limit: int = MAX_BODY):
        self.page, self.chunks, self.limit = page, chunks, limit
        self.content_type = page.content_type or "text/html"
        self.headers = dict(headers)
        if (page.size or 0) > limit:
            self.headers["X-Bbn-Truncated"] = f"{limit} of {page.size} bytes shown"

    def notice(self, size: int) -> bytes:
        text = NOTICE.format(shown=self.limit, size=max(size, self.page.size or 0))
        html = "html" in self.content_type.lower()
        return (HTML_NOTICE.format(text) if html else f"\n\n[{text}]\n").encode()

    async def asgi_send(self, send) -> None:
        headers = {**self.headers, "content-type": self.content_type}
        await send({"type": "http.response.start", "status": 200,
                    "headers": [[k.encode("latin-1"), v.encode("latin-1", "replace")] for k, v in headers.items()]})
        sent = 0
        try:
            for chunk in self.chunks:
                if sent + len(chunk) > self.limit:
                    chunk = chunk[:self.limit - sent] + self.notice(sent + len(chunk))
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await asyncio.sleep(0)  # the other requests' turn
                sent += len(chunk)
                if sent > self.limit:
                    break
        except ArchiveError as exc:
            log.error(one_line(f"ERROR stored page {self.page.id}: {exc}"))
        await send({"type": "http.response.body", "body": b""})
