"""A synthetic Common Crawl on 127.0.0.1: a CC-NEWS month (its warc.paths.gz and WARC files of
articles of several hosts, written with warcio) under a base path, served with Range support,
every request logged (path, Range header). Files can answer 503 a few times, be cut off once
mid-download, be sent slowly (so that a test can kill the import while it reads one), or answer
a Range request from another byte than the one asked for."""
from __future__ import annotations

import gzip
import io
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

BASE_PATH = "/cc/"
MONTH_LIST = "crawl-data/CC-NEWS/2024/03/warc.paths.gz"


def article_html(url: str, headline: str, lang: str = "en") -> bytes:
    """A news article page the parser takes: headline, byline, date and paragraphs of its own words."""
    words = headline.lower()
    body = "".join(f"<p>Paragraph {n} about {words}: {n * 7} people said {words} changed the town of {words}.</p>"
                   for n in range(6))
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="UTF-8"><title>{headline}</title>
<link rel="canonical" href="{url}"><meta property="og:type" content="article">
<meta property="article:published_time" content="2024-03-10T09:00:00+00:00"></head>
<body><main><article><h1>{headline}</h1><span class="author vcard"><span class="fn">Ann Writer</span></span>
<time datetime="2024-03-10T09:00:00+00:00">March 10, 2024</time>
<div class="entry-content">{body}</div></article></main></body></html>""".encode()


def warc_file(pages: list[tuple[str, bytes]], gzip_records: bool = True) -> bytes:
    """A WARC of `pages` (URL, HTML), one response record each (gzip per record, or none)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip_records)
    for url, html in pages:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8"),
                                              ("Content-Length", str(len(html)))], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html), http_headers=headers,
                                                      warc_headers_dict={"WARC-Date": "2024-03-10T10:00:00Z"}))
    return out.getvalue()


@dataclass
class Behaviour:
    fail_503: int = 0  # answer 503 (Retry-After: 1) this many times first
    cut_after: int | None = None  # once: send the headers of the whole file, then only this many bytes
    slow: float = 0.0  # seconds between 1 KiB pieces
    range_from: int | None = None  # a Range request answered from this byte instead of the one asked for


@dataclass
class CommonCrawlServer:
    files: dict[str, bytes]  # path under BASE_PATH -> bytes
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    log: list[tuple[str, str | None]] = field(default_factory=list)  # (request path, Range header)
    agents: set[str] = field(default_factory=set)  # the User-Agent headers seen

    def __post_init__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.log.append((self.path, self.headers.get("Range")))
                server.agents.add(self.headers.get("User-Agent", ""))
                path = self.path[len(BASE_PATH):] if self.path.startswith(BASE_PATH) else None
                data = server.files.get(path) if path is not None else None
                if data is None:
                    self.send_error(404)
                    return
                behaviour = server.behaviours.get(path, Behaviour())
                if behaviour.fail_503:
                    behaviour.fail_503 -= 1
                    self.send_response(503)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                if self.headers.get("Range"):
                    start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
                    start = start if behaviour.range_from is None else behaviour.range_from
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                body = data[start:]
                if behaviour.cut_after is not None:
                    body, behaviour.cut_after = body[:behaviour.cut_after], None
                    self.wfile.write(body)
                    self.close_connection = True
                    return
                step = 1024 if behaviour.slow else len(body) or 1
                try:
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i:i + step])
                        if behaviour.slow:
                            self.wfile.flush()
                            time.sleep(behaviour.slow)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away (killed)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{BASE_PATH}"

    def requests_of(self, path: str) -> list[str | None]:
        """The Range headers of the requests for `path` (None: the whole file)."""
        return [rng for logged, rng in self.log if logged == BASE_PATH + path]

    def __enter__(self) -> CommonCrawlServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def path_list(paths: list[str]) -> bytes:
    return gzip.compress("".join(p + "\n" for p in paths).encode())
