"""A loopback server that gzips its one article page and answers 304 to every GET of a path
after the first of that path, for the WARC recorder's Content-Encoding and revisit tests. (Per
path: a crawl requests its start URL and /feed/ at once, in either order.)"""
from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEADLINE = "Gzipped news travels compressed"
PAGE = f"""<!doctype html><html><head><title>{HEADLINE}</title>
<meta property="og:type" content="article"></head><body><article><h1>{HEADLINE}</h1>
<p>{"A sentence of the article that the server sends gzip-encoded. " * 20}</p></article></body></html>""".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/robots.txt":
            return self._send(404, b"", {"Content-Type": "text/plain"})
        with self.server.lock:
            again = self.path in self.server.got
            self.server.got.add(self.path)
        if again and self.server.not_modified:
            return self._send(304, b"", {"ETag": '"v1"'})
        self._send(200, gzip.compress(PAGE, mtime=0),
                   {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", "ETag": '"v1"'})

    def _send(self, status: int, body: bytes, headers: dict) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class GzipServer:
    """`with GzipServer() as server:` serves on `server.url` (127.0.0.1, a free port)."""

    def __init__(self, not_modified: bool = True):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.got, self.httpd.lock, self.httpd.not_modified = set(), threading.Lock(), not_modified
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"

    def __enter__(self) -> GzipServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
