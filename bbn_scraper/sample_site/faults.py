"""Fault mode of the sample site (`SampleSite(faults=True)`, `--faults`): the failures a nightly
crawl meets, on purpose.

Transient faults hit ordinary articles once and then let them through, so a crawl that
retries still archives every article of the manifest. Content faults, on every request,
mislabel an article's charset or make the home page refresh itself. Permanent faults live at
their own addresses and can only end as errors. Hostile articles are real articles full of XSS
payloads and SQL fragments. The home page links the addresses that exist only in fault mode.
"""
from __future__ import annotations

import html
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass

from .content import CONTENT
from .render import Renderer
from .routes import HTML_UTF8, Response

DEFAULT_STALL = 5.0  # seconds a timeout fault waits: more than the crawl's DOWNLOAD_TIMEOUT
HUGE_SIZE = 20 * 1024 * 1024
RETRY_AFTER = 2  # seconds, in the 429's Retry-After

# name -> (kind, slug of the article it hits, what it does)
ARTICLE_FAULTS = {
    "timeout": ("transient", "island-ferry-strike", "stalls longer than the crawl's DOWNLOAD_TIMEOUT, once"),
    "connection-reset": ("transient", "voting-age-reform", "resets the connection before answering, once"),
    "truncated-body": ("transient", "deep-sea-coral-survey", "sends half the Content-Length and closes, once"),
    "http-500": ("transient", "varna-river-dam-dispute", "answers 500, once"),
    "http-502": ("transient", "monsoon-relief-effort", "answers 502, once"),
    "http-503": ("transient", "fishing-quota-row", "answers 503, once"),
    "http-429": ("transient", "housing-bill-debate", f"answers 429 with Retry-After: {RETRY_AFTER}, once"),
    "wrong-charset": ("content", "election-observer-mission", "UTF-8 page labelled ISO-8859-1 in the header"),
    "missing-charset": ("content", "coffee-price-surge", "windows-1252 page with no charset in header or meta"),
}
HOME_FAULT = ("home-refresh", "content", "/", "the home page reloads itself every 60 s (meta refresh)")
# name -> (kind, path, what it does); the home page links these paths, except the feed's.
PAGE_FAULTS = {
    "binary-feed": ("permanent", "/feed/", "the RSS feed answers application/octet-stream"),
    "redirect-loop": ("permanent", "/2024/01/02/redirect-loop/", "301 to a page that redirects back"),
    "redirect-localhost": ("permanent", "/2024/01/03/moved-to-localhost/", "302 to http://localhost:PORT/trap/"),
    "redirect-other-ip": ("permanent", "/2024/01/04/moved-to-127-0-0-2/", "302 to http://127.0.0.2:PORT/trap/"),
    "redirect-file-scheme": ("permanent", "/2024/01/05/moved-to-a-file/", "302 to file:///etc/passwd"),
    "refresh-localhost": ("permanent", "/2024/01/12/refreshed-away/", "meta refresh to http://localhost:PORT/trap/"),
    "huge-page": ("permanent", "/2024/01/06/huge-page/", "a 20 MiB HTML page"),
    "binary-article": ("permanent", "/2024/01/07/binary-article/", "application/octet-stream at an article address"),
    "empty-200": ("permanent", "/2024/01/08/empty-article/", "200 with an empty body"),
    "fake-gzip": ("permanent", "/2024/01/09/not-really-gzip/", "Content-Encoding: gzip on a plain body"),
    "xss-article": ("hostile", "/2024/01/10/hostile-markup/", "an article full of XSS payloads"),
    "sql-headline": ("hostile", "/2024/01/11/quotes-and-sql/", "an article whose headline is quotes and SQL; linked without its slash"),
}
LOOP_SECOND = "/2024/01/02/redirect-loop-back/"

XSS_HEADLINE = "Hostile markup: <img src=x onerror=alert('xss-headline')> in a \"headline\""
XSS_BODY = """
<p>Researchers catalogued the markup that attackers hide in pages, and how a careful archive stores none of it.</p>
<p>Quoted as text, a payload is only text: &lt;script&gt;alert('xss-quoted')&lt;/script&gt;.</p>
<script>alert('xss-script')</script>
<p>Images carry handlers <img src="x" onerror="alert('xss-onerror')"> and links carry code:
<a href="javascript:alert('xss-js')">one</a>, <a href=" JaVaScRiPt:alert('xss-js-case')">two</a>,
<a href="jav&#x09;ascript:alert('xss-js-tab')">three</a>, <a href="https://example.org/" onclick="alert('xss-onclick')">four</a>.</p>
<iframe src="https://evil.example/xss-iframe" srcdoc="<script>alert('xss-srcdoc')</script>"></iframe>
<svg onload="alert('xss-svg')"><script>alert('xss-svg-script')</script><a xlink:href="javascript:alert('xss-svg-link')"><text>svg</text></a></svg>
<p>Data addresses: <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzLWRhdGEnKTwvc2NyaXB0Pg==">a page</a>
and <img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KCd4c3MtZGF0YS1zdmcnKSIvPg==" alt="an image">.</p>
<p style="background:url(javascript:alert('xss-style-url'))">Old browsers ran <span style="width: expression(alert('xss-expression'))">style expressions</span>.</p>
<object data="javascript:alert('xss-object')"></object><embed src="javascript:alert('xss-embed')"></embed>
<form action="javascript:alert('xss-form')"><input type="submit" value="go" onfocus="alert('xss-onfocus')" autofocus></form>
<math><mtext><table><mglyph><style><img src=x onerror="alert('xss-mxss')"></style></mglyph></table></mtext></math>
<base href="javascript:alert('xss-base')//">
<p>The archive keeps the words of the story and drops the rest, whatever the page tried to smuggle in.</p>
<details open ontoggle="alert('xss-ontoggle')"><summary>Details</summary><p>Toggling runs nothing.</p></details>
"""
XSS_SUMMARY = "<script>alert('xss-summary')</script> A page of hostile markup."

SQL_HEADLINE = ("Robert'); DROP TABLE articles;-- \"Bobby\" O'Brien's 1=1 OR '1'='1' "
                "/* ? :name $1 %s */ UNION SELECT * FROM errors; --")
SQL_TAG = "O'Reilly\"; DELETE FROM tags WHERE '1'='1"
SQL_BODY_TEXT = ("The headline of this story is made of quotes and SQL: '; DROP TABLE faqs; -- "
                 "and \"double\" quotes, backslashes \\ and percent signs 100% survive as they are.")


@dataclass(frozen=True)
class Fault:
    name: str
    kind: str  # transient | content | permanent | hostile
    path: str  # what the crawl requests (absolute path on the site)
    link: str  # how the home page links it ("" for an ordinary article)
    what: str


def all_faults() -> list[Fault]:
    """Every fault of fault mode, ordinary articles first."""
    faults = [Fault(name, kind, CONTENT.by_slug[slug].path, "", what)
              for name, (kind, slug, what) in ARTICLE_FAULTS.items()]
    name, kind, path, what = HOME_FAULT
    faults.append(Fault(name, kind, path, "", what))
    for name, (kind, path, what) in PAGE_FAULTS.items():
        link = "" if name == "binary-feed" else path.rstrip("/") if name == "sql-headline" else path
        faults.append(Fault(name, kind, path, link, what))
    return faults


class Faults:
    """The fault layer of one running site: `apply` turns the normal response into the fault,
    counting requests per path so that a transient fault happens once per site instance."""

    def __init__(self, stall: float = DEFAULT_STALL):
        self.stall = stall
        self.faults = all_faults()
        self.by_path = {f.path: f for f in self.faults}
        self._lock = threading.Lock()
        self._attempts: Counter[str] = Counter()
        self.log: list[tuple[str, float]] = []  # (path, time.monotonic()) of every request
        self.hosts: Counter[str] = Counter()  # Host headers of every request

    def manifest(self, base_url: str) -> list[dict]:
        base = base_url.rstrip("/")
        return [{"name": f.name, "kind": f.kind, "url": base + f.path, "what": f.what} for f in self.faults]

    def times(self, name: str) -> list[float]:
        """When each request for fault `name` arrived (time.monotonic())."""
        path = next(f.path for f in self.faults if f.name == name)
        with self._lock:
            return [t for p, t in self.log if p == path]

    def apply(self, handler, path: str, resp: Response) -> Response | None:
        """The response to send for `path` instead of `resp`; None when the fault has already
        answered (or not) on the socket itself."""
        with self._lock:
            self._attempts[path] += 1
            attempt = self._attempts[path]
            self.log.append((path, time.monotonic()))
            self.hosts[handler.headers.get("Host", "")] += 1
        site = handler.server.site
        if path == LOOP_SECOND:
            return Response(301, b"", HTML_UTF8, {"Location": site.url(PAGE_FAULTS["redirect-loop"][1])})
        hostile = self.by_path.get(path + "/")
        if hostile is not None and hostile.kind == "hostile":
            return Response(301, b"", HTML_UTF8, {"Location": site.url(hostile.path)})
        fault = self.by_path.get(path)
        if fault is None or fault.kind == "transient" and attempt > 1:
            return resp
        return getattr(self, "_" + fault.name.replace("-", "_"))(handler, resp, site)

    # Transient: once, then the article.

    def _timeout(self, handler, resp, site):
        time.sleep(self.stall)
        handler.close_connection = True
        try:
            handler._send(resp, True)
        except OSError:
            pass  # the crawler gave up waiting

    def _connection_reset(self, handler, resp, site):
        handler.close_connection = True
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()  # with linger 0: RST instead of FIN

    def _truncated_body(self, handler, resp, site):
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", resp.content_type)
        handler.send_header("Content-Length", str(len(resp.body)))
        handler.end_headers()
        handler.wfile.write(resp.body[: len(resp.body) // 2])

    def _http_500(self, handler, resp, site):
        return _error_page(500, "Internal Server Error")

    def _http_502(self, handler, resp, site):
        return _error_page(502, "Bad Gateway")

    def _http_503(self, handler, resp, site):
        return _error_page(503, "Service Unavailable")

    def _http_429(self, handler, resp, site):
        return _error_page(429, "Too Many Requests", {"Retry-After": str(RETRY_AFTER)})

    # Content: every time.

    def _home_refresh(self, handler, resp, site):
        refresh = f'<meta http-equiv="refresh" content="60;url={site.base_url}">\n</head>'.encode()
        return _with_fault_links(Response(resp.status, resp.body.replace(b"</head>", refresh, 1),
                                          resp.content_type, resp.headers), self.faults)

    def _wrong_charset(self, handler, resp, site):
        return Response(resp.status, resp.body, "text/html; charset=ISO-8859-1", resp.headers)

    def _missing_charset(self, handler, resp, site):
        body = re.sub(rb"<meta charset=[^>]*>\s*", b"", resp.body, count=1)
        return Response(resp.status, body, "text/html", resp.headers)

    # Permanent.

    def _redirect_loop(self, handler, resp, site):
        return Response(301, b"", HTML_UTF8, {"Location": site.url(LOOP_SECOND)})

    def _redirect_localhost(self, handler, resp, site):
        return Response(302, b"", HTML_UTF8, {"Location": f"http://localhost:{site.port}/trap/localhost/"})

    def _redirect_other_ip(self, handler, resp, site):
        return Response(302, b"", HTML_UTF8, {"Location": f"http://127.0.0.2:{site.port}/trap/other-ip/"})

    def _redirect_file_scheme(self, handler, resp, site):
        return Response(302, b"", HTML_UTF8, {"Location": "file:///etc/passwd"})

    def _huge_page(self, handler, resp, site):
        handler.close_connection = True
        chunk = b"<p>" + b"all work and no play " * 3000 + b"</p>\n"
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", HTML_UTF8)
            handler.send_header("Content-Length", str(HUGE_SIZE))
            handler.end_headers()
            sent = 0
            while sent < HUGE_SIZE:
                part = chunk[: HUGE_SIZE - sent]
                handler.wfile.write(part)
                sent += len(part)
        except OSError:
            pass  # the crawler hung up: it does not want that much

    def _refresh_localhost(self, handler, resp, site):
        page = (f'<!DOCTYPE html>\n<html><head><meta http-equiv="refresh" content="0; url=http://localhost:{site.port}'
                '/trap/refresh/"><title>Moved</title></head><body><p>This story has moved.</p></body></html>\n')
        return Response(200, page.encode(), HTML_UTF8)

    def _binary_article(self, handler, resp, site):
        return Response(200, random.Random(7).randbytes(64 * 1024), "application/octet-stream")

    def _binary_feed(self, handler, resp, site):
        return Response(200, random.Random(8).randbytes(4096), "application/octet-stream")

    def _empty_200(self, handler, resp, site):
        return Response(200, b"", HTML_UTF8)

    def _fake_gzip(self, handler, resp, site):
        page = hostile_page(Renderer(site.base_url, site.edition), site.url(PAGE_FAULTS["fake-gzip"][1]),
                            "A page that says it is gzip", "<p>It is not.</p>", "")
        return Response(200, page.encode(), HTML_UTF8, {"Content-Encoding": "gzip"})

    # Hostile articles.

    def _xss_article(self, handler, resp, site):
        url = site.url(PAGE_FAULTS["xss-article"][1])
        page = hostile_page(Renderer(site.base_url, site.edition), url, XSS_HEADLINE, XSS_BODY, XSS_SUMMARY,
                            image="javascript:alert('xss-og-image')")
        return Response(200, page.encode(), HTML_UTF8)

    def _sql_headline(self, handler, resp, site):
        url = site.url(PAGE_FAULTS["sql-headline"][1])
        body = f"<p>{html.escape(SQL_BODY_TEXT)}</p>\n<p>Nothing in it is executed; all of it is stored.</p>"
        page = hostile_page(Renderer(site.base_url, site.edition), url, SQL_HEADLINE, body, SQL_HEADLINE, tag=SQL_TAG)
        return Response(200, page.encode(), HTML_UTF8)


def _error_page(status: int, title: str, headers: dict | None = None) -> Response:
    body = f"<!DOCTYPE html>\n<html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>\n"
    return Response(status, body.encode(), HTML_UTF8, headers or {})


def _with_fault_links(resp: Response, faults: list[Fault]) -> Response:
    items = "".join(f'<li><a href="{html.escape(f.link)}">{f.name}</a></li>' for f in faults if f.link)
    body = resp.body.replace(b"</body>", f'<ul class="fault-links">{items}</ul>\n</body>'.encode(), 1)
    return Response(resp.status, body, resp.content_type, resp.headers)


def hostile_page(r: Renderer, url: str, headline: str, body_html: str, summary: str,
                 image: str = "", tag: str = "Security") -> str:
    """A single-article page in the block theme's markup around `body_html`."""
    esc = html.escape
    meta = (f'\t<meta property="og:type" content="article" />\n\t<meta property="og:url" content="{esc(url)}" />\n'
            f'\t<meta name="description" content="{esc(summary)}" />\n'
            f'\t<meta property="article:published_time" content="2024-01-10T09:00:00+00:00" />\n'
            f'\t<meta property="article:tag" content="{esc(tag)}" />\n')
    if image:
        meta += f'\t<meta property="og:image" content="{esc(image)}" />\n'
    main = f"""<main class="wp-block-group is-layout-flow" id="wp--skip-link--target">
<h1 class="wp-block-post-title">{esc(headline, quote=False)}</h1>
<div class="wp-block-group post-meta is-layout-flex"><div class="wp-block-post-author-name">
<a href="{r.u('/author/andrew-wright/')}" class="wp-block-post-author-name__link">Andrew Wright</a></div>
<div class="wp-block-post-date"><time datetime="2024-01-10T09:00:00+00:00">January 10, 2024</time></div></div>
<div class="entry-content wp-block-post-content is-layout-constrained">
{body_html}
</div>
</main>"""
    head = r.head(f"{esc(headline, quote=False)} - BBN", url, meta)
    return r.page(head, "post-template-default single single-post postid-90001 wp-embed-responsive is-block-theme", main)
