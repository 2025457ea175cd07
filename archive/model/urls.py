"""URL identity: one spelling per page (`normalize_url`) and one key per page whatever its
spelling (`url_key`), so that aliases collapse onto one article."""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that only track the reader and never select content.
TRACKING_PARAMS = re.compile(
    r"^(utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|mc_cid|mc_eid"
    r"|_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|wt_mc|ref_src|s_cid|__twitter_impression)$",
    re.IGNORECASE,
)
# Session IDs in URLs: every visit gets new ones, so a site that puts them in its links is an
# endless supply of new URLs for the same pages. Query parameters and `;jsessionid=` path parameters.
SESSION_PARAMS = re.compile(
    r"^(phpsessid|jsessionid|aspsessionid\w*|sessionid|session_id|sessid|cfid|cftoken|zenid|oscsid)$", re.IGNORECASE)
PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/?#]*", re.IGNORECASE)
DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=65536)  # a crawl meets the same links on every page
def normalize_url(url: str) -> str:
    """The URL without fragment, tracking parameters and session IDs, query sorted, host
    lower-cased, default port dropped (w3lib's canonicalisation). Keeps scheme, host and path
    as spelled."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if ";" in parts.path:
        url = urlunsplit(parts._replace(path=PATH_SESSION.sub("", parts.path)))
    if parts.query:
        names = {name for name, _, _ in (p.partition("=") for p in parts.query.split("&"))}
        tracking = [n for n in names if TRACKING_PARAMS.match(n) or SESSION_PARAMS.match(n)]
        if tracking:
            url = url_query_cleaner(url, tracking, remove=True, keep_fragments=True)
    url = canonicalize_url(url)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = host
    if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme):
        netloc = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def without_credentials(url: str) -> str:
    """`url` without its userinfo (`http://user:secret@host/` -> `http://host/`): a password in
    a link or a WARC's Target-URI is never requested, stored or exported. Anything else as is."""
    if "@" not in url:  # no userinfo possible: the common case, without a parse
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


@lru_cache(maxsize=65536)
def url_key(url: str) -> str:
    """The identity of a page for deduplication: `normalize_url` without scheme, without a
    leading "www." and without a trailing slash, so http/https, www/bare host and slash
    variants of one page share a key."""
    parts = urlsplit(normalize_url(url))
    netloc = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/")
    key = netloc + path
    return f"{key}?{parts.query}" if parts.query else key
