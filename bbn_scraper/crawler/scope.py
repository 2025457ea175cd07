"""What a crawl may request: http(s) URLs on the hosts (and subdomains) and ports of its start
URLs. `Scope` says it; the downloader middlewares here enforce it on every request, redirect
and meta refresh, and refuse with `Refused`, which the spider records as a fetch error.
Nothing else leaves the machine: cookies are checked against the bundled public suffix list."""
from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_meta_refresh
from tldextract import TLDExtract
from w3lib.url import safe_url_string

from archive.model import normalize_url, url_key
from bbn_scraper.crawler.compat import use_public_suffixes

SCHEMES = ("http", "https")
DEFAULT_PORTS = (80, 443)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
SHOWN_URL_CHARS = 200  # of a refused target in its error row (a data: URL may be megabytes)
# The last label of a host that URL parsers read as an IPv4 address (127.1, 0x7f.1 included).
NUMERIC_LABEL = re.compile(r"\d+|0x[0-9a-f]*")


class Scope:
    """The crawl's allowed origins. A start URL with an explicit port allows that port only;
    one without allows the default ports, so that http and https of one site are both in.
    A host name allows its subdomains; an IP address only itself (`evil.127.0.0.1` is a name
    for DNS to look up, not a part of 127.0.0.1)."""

    def __init__(self, start_urls: list[str]):
        self.origins = {_origin(url) for url in start_urls}
        self.origins.discard(None)

    def __contains__(self, url: str) -> bool:
        origin = _origin(url)
        if origin is None:
            return False
        host, port = origin
        return any(
            (host == h or not is_ip_address(h) and host.endswith("." + h))
            and (port == p or port in DEFAULT_PORTS and p is None)
            for h, p in self.origins
        )


def is_ip_address(host: str) -> bool:
    """Whether `host` (lower case) is an IP address, as URL parsers and resolvers read one."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(NUMERIC_LABEL.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]))
    return True


def _origin(url: str) -> tuple[str, int | None] | None:
    """(host, explicit port or None) of an http(s) URL; None for anything else or a malformed URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        return None
    return parts.hostname.lower(), port


class Refused(IgnoreRequest):
    """A request the crawl will not send; its message is the reason recorded in `errors`."""


class ScopeMiddleware:
    """Refuses, before it is sent, any request outside the spider's `scope`. It replaces
    Scrapy's OffsiteMiddleware, which ignores ports and drops requests silently when they are
    scheduled; this refusal reaches the errback. The spider follows only links in scope and the
    redirect middlewares below check their targets: this is the backstop."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        if request.url not in self.crawler.spider.scope:
            raise Refused(f"not followed: {request.url} is outside the crawl's hosts")


class _Checked:
    """The check of a redirect's target shared by the two redirect middlewares."""

    def _checked(self, request: Request, redirected: Request) -> Request:
        """`redirected`, unless it leaves the scope or loops (Refused). A redirect to another
        spelling of a page in the chain (http to https, slash added, www dropped) is let past
        the dupefilter, which fingerprints by url_key and would drop it as a duplicate."""
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if redirected.url not in self.crawler.spider.scope:
            raise Refused(f"not followed: redirect to {redirected.url}, outside the crawl's hosts")
        if normalize_url(redirected.url) in {normalize_url(url) for url in chain}:
            raise Refused(f"redirect loop: {' -> '.join([*chain, redirected.url])}")
        if url_key(redirected.url) in {url_key(url) for url in chain}:
            redirected.dont_filter = True
        return redirected


class SafeRedirectMiddleware(_Checked, RedirectMiddleware):
    """Scrapy's RedirectMiddleware that refuses, saying why, a redirect off the crawl's hosts,
    in a loop, or to a scheme other than http(s) (which Scrapy hands on as a 3xx response)."""

    def process_response(self, request, response):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            return self._checked(request, result)
        if response.status in REDIRECT_STATUSES and response.headers.get(b"Location"):
            target = urljoin(request.url, safe_url_string(response.headers[b"Location"]))
            if target.split(":", 1)[0].lower() not in SCHEMES:
                raise Refused(f"not followed: redirect to {_shown(target)} (only http and https)")
        return result


class SafeMetaRefreshMiddleware(_Checked, MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware with the same checks, and a refresh it would follow but
    for its scheme (`data:`, `file:`, which Scrapy passes over in silence) refused. A page that
    refreshes to itself (news home pages reload every few minutes) is kept: Scrapy would follow
    the refresh, drop the new request as a duplicate and lose the page."""

    def process_response(self, request, response):
        result = super().process_response(request, response)
        if not isinstance(result, Request):
            self._refuse_other_schemes(request, result)
            return result
        if url_key(result.url) == url_key(request.url):
            return response
        return self._checked(request, result)

    def _refuse_other_schemes(self, request: Request, response) -> None:
        """Refused if `response` is a page Scrapy would have followed to a non-http(s) URL
        (the same tests as Scrapy's, its meta refresh cached per response)."""
        if not isinstance(response, HtmlResponse) or request.meta.get("dont_redirect") or request.method == "HEAD":
            return
        interval, target = get_meta_refresh(response, ignore_tags=self._ignore_tags)
        if target and interval < self._maxdelay and target.split(":", 1)[0].lower() not in SCHEMES:
            raise Refused(f"not followed: meta refresh to {_shown(target)} (only http and https)")


def _shown(url: str) -> str:
    return url if len(url) <= SHOWN_URL_CHARS else url[:SHOWN_URL_CHARS] + "…"


# Offline: without a cache, Scrapy's extractor downloads the list from publicsuffix.org,
# outside the crawl's scope, and writes it under ~/.cache. tldextract bundles a snapshot.
BUNDLED_SUFFIXES = TLDExtract(cache_dir=None, suffix_list_urls=(), include_psl_private_domains=True)
COOKIES_DROPPED = "bbn_cookies_dropped"  # response.meta: why cookies were dropped (ResponseNotesMiddleware records it)


@dataclass(frozen=True)
class CookieLimits:
    """What the crawl's cookie jar keeps, as browsers bound theirs (RFC 6265, section 6.1: at
    least 4096 bytes a cookie, 50 a domain, 3000 in all) and as servers take it (a Cookie
    header over 8 KiB is answered 431 by nginx's and Apache's defaults)."""

    cookie_bytes: int  # COOKIE_MAX_BYTES: name and value
    per_host: int  # COOKIES_MAX_PER_HOST
    total: int  # COOKIES_MAX_TOTAL
    header_bytes: int  # COOKIES_MAX_HEADER_BYTES: the Cookie header of one request

    @classmethod
    def from_settings(cls, settings) -> CookieLimits:
        return cls(settings.getint("COOKIE_MAX_BYTES"), settings.getint("COOKIES_MAX_PER_HOST"),
                   settings.getint("COOKIES_MAX_TOTAL"), settings.getint("COOKIES_MAX_HEADER_BYTES"))


class BoundedCookiesMiddleware(CookiesMiddleware):
    """Scrapy's CookiesMiddleware with a bounded jar. A cookie that would pass a limit is not
    kept (the ones a site set first stay: its session is usually among them), and a request
    sends only the cookies that fit COOKIES_MAX_HEADER_BYTES, so a site that sets cookies
    without end cannot make the crawl's requests too large to answer. Each drop is noted on
    the response (`COOKIES_DROPPED`) and recorded as a fetch error row of its URL. Public
    suffixes (a cookie for all of `co.uk` is refused) are told by the list bundled with
    tldextract: it replaces the extractor Scrapy's middleware consults."""

    limits: CookieLimits

    @classmethod
    def from_crawler(cls, crawler):
        use_public_suffixes(BUNDLED_SUFFIXES)
        middleware = super().from_crawler(crawler)
        middleware.limits = CookieLimits.from_settings(crawler.settings)
        return middleware

    def process_request(self, request, spider=None):
        result = super().process_request(request)
        header = request.headers.get(b"Cookie")
        if header and len(header) > self.limits.header_bytes:
            kept, size = [], 0
            for pair in header.split(b"; "):
                if size + len(pair) + 2 * bool(kept) > self.limits.header_bytes:
                    break
                kept.append(pair)
                size += len(pair) + 2 * (len(kept) > 1)
            request.headers[b"Cookie"] = b"; ".join(kept)
            request.meta[COOKIES_DROPPED] = (f"{header.count(b'; ') + 1 - len(kept)} cookies not sent: the Cookie"
                                             f" header would be {len(header)} bytes, over COOKIES_MAX_HEADER_BYTES"
                                             f" {self.limits.header_bytes}")
        return result

    def process_response(self, request, response, spider=None):
        if request.meta.get("dont_merge_cookies", False):
            return response
        jar = self.jars[request.meta.get("cookiejar")].jar
        before = {_key(c) for c in jar}
        response = super().process_response(request, response)
        dropped = self._bound(jar, before)
        if dropped:
            noted = request.meta.get(COOKIES_DROPPED)
            request.meta[COOKIES_DROPPED] = f"{noted}; {dropped}" if noted else dropped
        return response

    def _bound(self, jar, before: set) -> str | None:
        """Clear the cookies just set that pass a limit; why, or None."""
        limits, reasons = self.limits, Counter()
        cookies = list(jar)
        per_host = Counter(c.domain.lstrip(".") for c in cookies if _key(c) in before)
        total = len(before)
        for cookie in cookies:
            if _key(cookie) in before:
                continue
            host = cookie.domain.lstrip(".")
            if len(cookie.name) + len(cookie.value or "") > limits.cookie_bytes:
                reasons[f"over COOKIE_MAX_BYTES {limits.cookie_bytes}"] += 1
            elif per_host[host] >= limits.per_host:
                reasons[f"{host} has COOKIES_MAX_PER_HOST {limits.per_host}"] += 1
            elif total >= limits.total:
                reasons[f"the jar has COOKIES_MAX_TOTAL {limits.total}"] += 1
            else:
                per_host[host] += 1
                total += 1
                continue
            jar.clear(cookie.domain, cookie.path, cookie.name)
        if not reasons:
            return None
        return "cookies not kept: " + ", ".join(f"{n} ({why})" for why, n in reasons.items())


def _key(cookie) -> tuple[str, str, str]:
    return cookie.domain, cookie.path, cookie.name
