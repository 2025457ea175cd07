"""A stored page sent as it is decoded, one chunk at a time (archive.decoding): at most
`MAX_BODY` bytes of it, the crawl's DOWNLOAD_MAXSIZE; a larger page (an older bbn-archive
stored one) is shown truncated, with a notice at its end and an ``X-Bbn-Truncated`` header. So
a reader of the largest page costs the server a chunk of memory, and other requests wait for
none of it. A page that stops decoding midway ends there, the error logged in one line."""
from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

from archive.decoding import MAX_BODY
from archive.errors import ArchiveError
from archive.reading import StoredPage

from .errors import log, one_line

MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:\s*;[ -~]*)?")
NOTICE = "bbn-archive: this page is shown truncated, its first {shown:,} of {size:,} bytes."
HTML_NOTICE = '<p style="border:2px solid #b00;padding:1em;font:16px sans-serif">{}</p>'


class StoredPageResponse:
    """What Datasette sends for /<db>/-/page/<id>: `page`'s `chunks`, with `headers`."""

    def __init__(self, page: StoredPage, chunks: Iterator[bytes], headers: dict[str, str], limit: int = MAX_BODY):
        self.page, self.chunks, self.limit = page, chunks, limit
        self.content_type = _media_type(page.content_type)
        self.headers = dict(headers)
        self.size = page.size if isinstance(page.size, int) else 0  # as recorded (a damaged row's is no number)
        if self.size > limit:
            self.headers["X-Bbn-Truncated"] = f"{limit} of {self.size} bytes shown"

    def notice(self, size: int) -> bytes:
        text = NOTICE.format(shown=self.limit, size=max(size, self.size))
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
        except Exception as exc:  # noqa: BLE001 - the headers are sent: the page ends here, said in one line
            log.error(one_line(f"ERROR stored page {self.page.id}: {type(exc).__name__}: {exc}"))
        await send({"type": "http.response.body", "body": b""})


def _media_type(stored) -> str:
    """The stored Content-Type when it is one a header may carry (a media type and parameters in
    printable ASCII), else the type browsers show as text: a stored value is the site's."""
    if not stored:
        return "text/html"
    if isinstance(stored, str) and MEDIA_TYPE.fullmatch(stored):
        return stored
    return "text/plain"
