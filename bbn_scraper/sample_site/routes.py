"""URL routing of the sample site: (path, query) -> status, headers and body bytes.

Pure functions of the base URL and the edition; the per-instance state (request counters,
the article that answers 503 twice) lives in `server.SampleSite`.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from email.utils import format_datetime
from urllib.parse import parse_qs

from .content import DISALLOWED_PATH
from .render import Renderer

HTML_UTF8 = "text/html; charset=UTF-8"
ARTICLE_RE = re.compile(r"^/(\d{4})/(\d{2})/(\d{2})/([a-z0-9-]+)/(amp/)?$")
LISTING_RE = re.compile(r"^/(?:(category|tag|author)/([a-z0-9-]+)/)?(?:page/(\d+)/)?$")
IMAGE_RE = re.compile(r"^/wp-content/uploads/(\d{4})/(\d{2})/([a-z0-9-]+?)(?:-(\d+x\d+))?\.(jpg|png)$")

# The smallest well-formed images: a 1x1 grey JPEG and a 1x1 transparent PNG.
JPEG_1PX = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////"
    "////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=")
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
SITE_IMAGES = {"bbn-logo", "cropped-bbn-icon"}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = HTML_UTF8
    headers: dict[str, str] = field(default_factory=dict)


def _html(text: str, status: int = 200, charset: str = "utf-8", **headers: str) -> Response:
    ctype = "text/html; charset=UTF-8" if charset == "utf-8" else f"text/html; charset={charset}"
    return Response(status, text.encode(charset), ctype, dict(headers))


def _redirect(location: str) -> Response:
    return Response(301, b"", HTML_UTF8, {"Location": location})


def http_date(d) -> str:
    return format_datetime(d, usegmt=True)


def resolve(r: Renderer, path: str, query: str = "") -> Response:
    """The response for a GET of `path` (already percent-decoded, without query)."""
    c = r.c
    if path == "/" and query:
        p_id = parse_qs(query).get("p", [""])[0]
        if p_id.isdigit() and int(p_id) in c.by_id:
            return _redirect(r.u(c.by_id[int(p_id)].path))
    if path == "/robots.txt":
        return Response(200, r.robots().encode(), "text/plain; charset=utf-8")
    if path == "/sitemap_index.xml":
        return Response(200, r.sitemap_index().encode(), "text/xml; charset=UTF-8")
    if path == "/post-sitemap.xml":
        last = max(p.modified[r.edition] for p in c.posts)
        return Response(200, r.post_sitemap().encode(), "text/xml; charset=UTF-8", {"Last-Modified": http_date(last)})
    if path == "/category-sitemap.xml":
        return Response(200, r.category_sitemap().encode(), "text/xml; charset=UTF-8")
    if path == "/feed/":
        return Response(200, r.feed().encode(), "application/rss+xml; charset=UTF-8")
    if path == DISALLOWED_PATH.rstrip("/"):
        return _redirect(r.u(DISALLOWED_PATH))
    if path.startswith(DISALLOWED_PATH):
        return _html(r.private_page())
    m = ARTICLE_RE.match(path)
    if m:
        post = c.by_path.get(path[: -len("amp/")] if m.group(5) else path)
        if post is not None:
            last = {"Last-Modified": http_date(post.modified[r.edition])}
            if m.group(5):
                if post.amp:
                    return _html(r.amp_page(post), **last)
            else:
                return _html(r.article_page(post), charset=post.charset, **last)
    m = LISTING_RE.match(path)
    if m:
        kind, slug, page = m.group(1) or "home", m.group(2) or "", m.group(3)
        if page == "1":
            if c.posts_in(kind, slug) is not None:
                return _redirect(r.u(c.listing_path(kind, slug, 1)))
        else:
            text = r.listing_page(kind, slug, int(page or 1))
            if text is not None:
                return _html(text)
    m = IMAGE_RE.match(path)
    if m:
        stem = m.group(3)
        if stem in SITE_IMAGES or (stem in c.by_slug and c.by_slug[stem].image_path.startswith(f"/wp-content/uploads/{m.group(1)}/{m.group(2)}/")):
            return Response(200, JPEG_1PX if m.group(5) == "jpg" else PNG_1PX,
                            "image/jpeg" if m.group(5) == "jpg" else "image/png")
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        target = resolve(r, path + "/")
        if target.status == 200:
            return _redirect(r.u(path + "/") + (f"?{query}" if query else ""))
    return _html(r.not_found_page(), 404)
