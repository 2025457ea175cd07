"""Link lists: "More about X" (related links) and "You may also like" (related articles)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from lxml import etree

from model import Link
from parsers.blocks import HEADINGS, Block
from parsers.page import Page
from parsers.sections import ALSO_LIKE_HEADING
from parsers.text import element_text
from parsers.themes import selector
from model import url_key
from parsers.urls import absolute_url

LISTING_PATH = re.compile(r"/(?:category|tag|author|page|feed|wp-admin|wp-login\.php)(?:/|$)", re.IGNORECASE)
_PAGE_WIDE = frozenset({"body", "html", "main", "article"})


def links_from_blocks(blocks: list[Block], base: str) -> list[Link]:
    """Every link of the blocks: anchor text and absolute URL, first occurrence of a URL wins."""
    return unique_links((a for b in blocks for a in b.links()), base)


def related_articles(page: Page, base: str, own_url: str) -> list[Link]:
    """"You may also like" posts: a known related-posts widget, else the links that follow a
    heading of that name. Links to listings and to the article itself are left out."""
    containers = page.select(selector("related")) or [
        el for h in page.root.iter(*HEADINGS) if ALSO_LIKE_HEADING.match(element_text(h))
        for el in _section_of(h)
    ]
    own = url_key(own_url)
    links = unique_links((a for c in containers for a in c.iter("a")), base)
    return [link for link in links if url_key(link.url) != own and not LISTING_PATH.search(urlsplit(link.url).path)]


def page_links(root: etree._Element, url: str) -> list[str]:
    """Every <a href> target of the page: absolute (against <base href> when there is one),
    http(s) only, fragment dropped, each once, in page order."""
    base_el = root.find(".//base[@href]")
    base = absolute_url(base_el.get("href"), url) if base_el is not None else None
    base = base or url
    seen: dict[str, None] = {}
    for a in root.iter("a"):
        target = absolute_url(a.get("href"), base)  # which also drops hrefs urllib cannot split
        if target:
            seen.setdefault(target.split("#", 1)[0], None)
    return list(seen)


def unique_links(anchors: Iterable[etree._Element], base: str) -> list[Link]:
    """Links with text and an http(s) URL, each URL once, in order."""
    seen: dict[str, Link] = {}
    for a in anchors:
        url = absolute_url(a.get("href"), base)
        text = element_text(a) or (a.get("title") or "").strip()
        if url and text and url not in seen:
            seen[url] = Link(text, url)
    return list(seen.values())


def _section_of(heading: etree._Element) -> list[etree._Element]:
    """The siblings after a heading up to the next heading; its parent box if they hold no link."""
    siblings = []
    for sib in heading.itersiblings():
        if sib.tag in HEADINGS:
            break
        siblings.append(sib)
    if any(True for s in siblings for _ in s.iter("a")):
        return siblings
    parent = heading.getparent()
    return [parent] if parent is not None and parent.tag not in _PAGE_WIDE else []
