"""A hostile site for one test: a loopback HTTP server whose routes answer on the socket however
they like, around an ordinary little news site (home page, robots.txt, sitemap, feed and
articles the parser reads), so that a crawl of it has nothing to record but the attack."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML = "text/html; charset=UTF-8"
Route = Callable[["Handler"], None]


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    path: str
    host: str
    cookie: str
    at: float  # time.monotonic()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802
        site = self.server.site
        path = self.path.split("?", 1)[0]
        site.record(Seen(path, self.headers.get("Host", ""), self.headers.get("Cookie", ""), time.monotonic()))
        route = site.routes.get(path) or next(
            (r for prefix, r in site.prefixes.items() if path.startswith(prefix)), None)
        if route is None:
            self.send(404, b"<html><body><h1>Not Found</h1></body></html>")
        else:
            route(self)

    def send(self, status: int, body: bytes, content_type: str = HTML, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            for one in value if isinstance(value, list) else [value]:
                self.send_header(name, one)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    site: "HostileSite"


class HostileSite:
    """`with HostileSite() as site:` serves on 127.0.0.1 (a free port) until the block ends.
    `add_article(path)` serves an article there and links it from the home page; `routes`
    maps any other path to a function of the request handler, `prefixes` any path starting
    with a key (a trap's endless paths); `seen` lists the requests. `host` is any loopback
    address (127.0.0.2 is another site than 127.0.0.1)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._server = _Server((host, 0), Handler)
        self._server.site = self
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}/"
        self.links: list[str] = []  # paths the home page and the sitemap list
        self.home_headers: dict = {}
        self.discovery_delay = 0.0  # seconds the home page, sitemap and feed take to answer
        self.article_delay = 0.0  # seconds each article takes
        self.routes: dict[str, Route] = {
            "/": self._home,
            "/robots.txt": lambda h: h.send(200, f"User-agent: *\nSitemap: {self.url('/sitemap.xml')}\n".encode(), "text/plain"),
            "/sitemap.xml": self._sitemap,
            "/feed/": lambda h: time.sleep(self.discovery_delay) or h.send(200, b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
                                       "application/rss+xml"),
        }
        self.prefixes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self.seen: list[Seen] = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def add_article(self, path: str, headline: str | None = None, headers: dict | None = None,
                    canonical: str | None = None) -> None:
        """An ordinary article at `path` (`/YYYY/MM/DD/slug/`), linked from the home page; its
        rel=canonical is its own URL unless `canonical` says otherwise."""
        page = article_html(canonical or self.url(path), headline or f"The story at {path}")
        self.routes[path] = lambda h: time.sleep(self.article_delay) or h.send(200, page, headers=headers)
        self.link(path)

    def link(self, path: str) -> None:
        self.links.append(path)

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def requests(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def _home(self, handler: Handler) -> None:
        time.sleep(self.discovery_delay)
        items = "".join(f'<li><a href="{path}">{path}</a></li>' for path in self.links)
        handler.send(200, f'<!DOCTYPE html><html><head><title>Home</title></head><body class="home"><ul>{items}</ul></body></html>'.encode(),
                     headers=self.home_headers)

    def _sitemap(self, handler: Handler) -> None:
        time.sleep(self.discovery_delay)
        urls = "".join(f"<url><loc>{self.url(path)}</loc></url>" for path in self.links)
        handler.send(200, f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
                     "application/xml")

    def __enter__(self) -> "HostileSite":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def article_html(url: str, headline: str) -> bytes:
    """A WordPress-style single post: headline, byline, date and six paragraphs."""
    body = "".join(f"<p>Paragraph {n} of {headline.lower()}: the facts, the people and what happens next.</p>"
                   for n in range(6))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>{headline} - Hostile News</title>
<link rel="canonical" href="{url}"><meta property="og:type" content="article">
<meta property="article:published_time" content="2024-01-10T09:00:00+00:00"></head>
<body class="post-template-default single single-post postid-1"><main><article>
<h1 class="entry-title">{headline}</h1><span class="author vcard"><span class="fn">Ann Writer</span></span>
<time datetime="2024-01-10T09:00:00+00:00">January 10, 2024</time>
<div class="entry-content">{body}</div></article></main></body></html>""".encode()
