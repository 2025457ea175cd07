"""Links as the parser reads them: an href resolved against its page, http(s) only."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

# An absolute http(s) URL that urljoin would return unchanged whatever the (valid) base: plain host,
# path without ";params", query and fragment absent or non-empty (urljoin drops a bare ? or #).
_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[\w.~%!$&'()*+,=:@/-]*)?(?:\?[^#\s]+)?(?:#\S+)?", re.ASCII)


def absolute_url(href: str | None, base: str) -> str | None:
    """`href` resolved against `base`; None for empty, fragment-only and non-http(s) links."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    if _PLAIN_ABSOLUTE.fullmatch(href):
        return href
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return url
