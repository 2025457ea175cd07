"""Which canonical URL a page may claim: one on its own site (the same registrable host, by the
public suffix list bundled with tldextract), and one that can be an article (not the home page
or a listing). A refused claim leaves the page its own URL; `refusal` says why."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from bbn_scraper.crawler.scope import BUNDLED_SUFFIXES, is_ip_address

# Paths of listings, not articles: the WordPress (and most CMSs') archive and author pages.
LISTING = re.compile(r"/(?:category|tag|tags|author|page/\d+)(?:/|$)", re.IGNORECASE)


def site(url: str) -> str:
    """The registrable host of `url` (`bbc.co.uk` for `news.bbc.co.uk`); an IP address, or a
    host with no public suffix, is its own site."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    if not host or is_ip_address(host):
        return host
    return BUNDLED_SUFFIXES(host).top_domain_under_public_suffix or host


def listing_shape(url: str) -> bool:
    """Whether `url` is a home page or has a listing's path (/category/, /tag/, /author/, /page/N/)."""
    parts = urlsplit(url)
    return parts.path.strip("/") == "" and not parts.query or bool(LISTING.search(parts.path))


def refusal(canonical_url: str, page_url: str) -> str | None:
    """Why the page fetched from `page_url` may not claim `canonical_url`; None if it may."""
    if site(canonical_url) != site(page_url):
        return f"canonical {canonical_url} refused: another site than the page's"
    if listing_shape(canonical_url):
        return f"canonical {canonical_url} refused: a home page or listing, not an article"
    return None
