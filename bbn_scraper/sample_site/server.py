"""The HTTP server of the sample site: stdlib `ThreadingHTTPServer`, loopback only."""
from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from .content import CONTENT, FLAKY_SLUG
from .faults import DEFAULT_STALL, Faults
from .manifest import build_manifest
from .render import Renderer
from .routes import Response, resolve

LOOPBACK = ("127.0.0.1", "localhost", "::1")
FLAKY_FAILURES = 2
EDITIONS = (1, 2)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bbn-sample-site/1.0"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = urlsplit(self.path).path
        site = self.server.site
        _, entry = site._record("POST", self.path, path)
        site._set_status(entry, 405)
        self._send(Response(405, b"Method Not Allowed\n", "text/plain; charset=utf-8", {"Allow": "GET, HEAD"}), True)

    def _serve(self, send_body: bool) -> None:
        site = self.server.site
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        edition = site.edition
        attempt, entry = site._record(self.command, self.path, path)
        site._arrived(path, self.headers.get("User-Agent"))
        if path == site.flaky_path and attempt <= FLAKY_FAILURES:
            resp = Response(503, Renderer(site.base_url, edition).unavailable_page().encode(),
                            "text/html; charset=UTF-8", {"Retry-After": "1"})
        else:
            stale = site.stale_sitemaps and path.endswith(".xml")  # edition 1's sitemaps in either edition
            resp = self._conditional(resolve(Renderer(site.base_url, 1 if stale else edition), path, parts.query), path)
        if site.faults is not None:
            resp = site.faults.apply(self, path, resp)
            if resp is None:  # the fault answered on the socket itself
                return
        site._set_status(entry, resp.status)
        self._send(resp, send_body)

    def _conditional(self, resp: Response, path: str) -> Response:
        """With `etags`, a 200 carries an ETag (its body's hash); a conditional request whose
        If-None-Match names it, or, without If-None-Match, whose If-Modified-Since is not older
        than Last-Modified (RFC 9110 13.2.2), is answered 304."""
        site = self.server.site
        match, since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if match or since:
            site._conditioned(path, match, since)
        if resp.status != 200:
            return resp
        validators = {"Last-Modified": resp.headers["Last-Modified"]} if "Last-Modified" in resp.headers else {}
        if site.etags:
            resp.headers["ETag"] = validators["ETag"] = f'"{hashlib.sha256(resp.body).hexdigest()[:20]}"'
        if match is not None:
            fresh = site.etags and validators["ETag"] in [tag.strip() for tag in match.split(",")]
        else:
            try:
                fresh = bool(since and validators) and (
                    parsedate_to_datetime(validators["Last-Modified"]) <= parsedate_to_datetime(since))
            except (TypeError, ValueError):
                fresh = False
        return Response(304, b"", resp.content_type, validators) if fresh else resp

    def _send(self, resp: Response, send_body: bool) -> None:
        self.send_response(resp.status)
        if resp.status != 304:
            self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)) if resp.status != 304 else "0")
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body and resp.status != 304:
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.server.site.verbose:
            super().log_message(format, *args)


def _is_loopback(host: str) -> bool:
    """127.0.0.0/8 is all loopback: 127.0.0.2 and 127.0.0.3 serve as distinct hosts on one machine."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    site: "SampleSite"


class SampleSite:
    """The sample BBN-style site, served on 127.0.0.1 from a background thread.

    The constructor binds the port (OSError if it is taken; port 0 picks a free one), so
    `base_url` is known before `start()`; `start()`/`stop()` or the context manager run it.

    >>> with SampleSite(port=0, edition=1) as site:
    ...     site.base_url            # "http://127.0.0.1:PORT/"
    ...     site.edition = 2         # switch edition on the running server
    ...     site.requests["/private/"]

    `faults=True` serves the site in fault mode (see `faults.py`): `site.faults` then holds
    the fault layer; `stall` is how long its timeout fault keeps a request waiting.
    `etags=True` gives every 200 an ETag and answers a matching If-None-Match with 304
    (If-Modified-Since is answered from Last-Modified either way); `stale_sitemaps=True` serves
    edition 1's sitemaps in edition 2 too: its changed articles get no newer <lastmod>.
    `site.conditional_requests` lists the conditional requests the site was sent.
    """

    def __init__(self, port: int = 0, edition: int = 1, host: str = "127.0.0.1", verbose: bool = False,
                 faults: bool = False, stall: float = DEFAULT_STALL, etags: bool = False,
                 stale_sitemaps: bool = False) -> None:
        if host not in LOOPBACK and not _is_loopback(host):
            raise ValueError(f"the sample site only listens on loopback, not {host!r}")
        self.host = host
        self.port = port
        self.verbose = verbose
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._requests_raw: Counter[str] = Counter()
        self._log: list[list] = []
        self._arrivals: list[tuple[float, str, str | None]] = []
        self._flaky_attempts = 0
        self._conditional: list[tuple[str, str | None, str | None]] = []
        self.etags, self.stale_sitemaps = etags, stale_sitemaps
        self._edition = 1
        self.edition = edition
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.flaky_path = CONTENT.by_slug[FLAKY_SLUG].path
        self.faults: Faults | None = Faults(stall) if faults else None
        self._bind()

    # -- lifecycle
    def _bind(self) -> None:
        """Listen on host:port (port 0: a free port). Raises OSError if the port is taken."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.site = self
        self.port = self._server.server_address[1]

    def start(self) -> "SampleSite":
        """Serve from a background thread (binding again, on the same port, after `stop`)."""
        if self._thread is not None:
            return self
        if self._server is None:
            self._bind()
        self._thread = threading.Thread(target=self._server.serve_forever, name="bbn-sample-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call twice, or without `start`."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            if thread is not None:
                server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    close = stop

    def __enter__(self) -> "SampleSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- properties
    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    @property
    def edition(self) -> int:
        return self._edition

    @edition.setter
    def edition(self, value: int) -> None:
        if value not in EDITIONS:
            raise ValueError(f"edition must be one of {EDITIONS}, not {value!r}")
        with self._lock:
            self._edition = value

    # -- counters
    def _record(self, method: str, raw_path: str, path: str) -> tuple[int, list]:
        """Count one request. Returns how many times `path` has been requested so far (for the
        503-twice article: its attempts since the last re-arm) and the log entry to complete."""
        entry = [method, raw_path, None]
        with self._lock:
            self._requests[path] += 1
            self._requests_raw[raw_path] += 1
            self._log.append(entry)
            if path == self.flaky_path:
                self._flaky_attempts += 1
                return self._flaky_attempts, entry
            return self._requests[path], entry

    def _arrived(self, path: str, user_agent: str | None) -> None:
        with self._lock:
            self._arrivals.append((time.monotonic(), path, user_agent))

    @property
    def arrivals(self) -> list[tuple[float, str, str | None]]:
        """(time.monotonic(), path, User-Agent) of every GET and HEAD in arrival order (a snapshot)."""
        with self._lock:
            return list(self._arrivals)

    def _conditioned(self, path: str, if_none_match: str | None, if_modified_since: str | None) -> None:
        with self._lock:
            self._conditional.append((path, if_none_match, if_modified_since))

    @property
    def conditional_requests(self) -> list[tuple[str, str | None, str | None]]:
        """(path, If-None-Match, If-Modified-Since) of every conditional request (a snapshot)."""
        with self._lock:
            return list(self._conditional)

    def _set_status(self, entry: list, status: int) -> None:
        with self._lock:
            entry[2] = status

    @property
    def requests(self) -> Counter:
        """Requests served so far, by path without query string (a snapshot)."""
        with self._lock:
            return Counter(self._requests)

    @property
    def requests_raw(self) -> Counter:
        """Requests served so far, by path with query string as sent (a snapshot)."""
        with self._lock:
            return Counter(self._requests_raw)

    @property
    def request_log(self) -> list[tuple[str, str, int | None]]:
        """(method, path with query, status) of every request in arrival order (a snapshot)."""
        with self._lock:
            return [tuple(e) for e in self._log]

    def hits(self, prefix: str) -> int:
        """Requests for paths starting with `prefix` (e.g. "/private/")."""
        with self._lock:
            return sum(n for p, n in self._requests.items() if p.startswith(prefix))

    @property
    def flaky_attempts(self) -> int:
        with self._lock:
            return self._flaky_attempts

    def reset_counters(self, rearm_503: bool = False) -> None:
        """Forget counted requests. The 503-twice article stays healthy once it has failed twice
        (per server instance) unless `rearm_503` is true."""
        with self._lock:
            self._requests.clear()
            self._requests_raw.clear()
            self._log.clear()
            self._conditional.clear()
            if rearm_503:
                self._flaky_attempts = 0

    def manifest(self) -> dict:
        """What the site contains, with URLs absolute to this running server, for its current edition."""
        return build_manifest(self.edition, self.base_url)
