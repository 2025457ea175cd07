"""Link lists: "More about X" (related links) and "You may also like" (related articles)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from lxml import etree

from archive.model import Link
from bbn_scraper.parsers.blocks import HEADINGS, Block
from bbn_scraper.parsers.page import Page
from bbn_scraper.parsers.sections import ALSO_LIKE_HEADING
from bbn_scraper.parsers.text import clean, element_text
from bbn_scraper.parsers.themes import selector
from archive.model import url_key
from bbn_scraper.parsers.urls import absolute_url

# Paths of pages that list articles (or are no page at all), never one article.
LISTING_PATH = re.compile(
    r"/(?:category|categories|tags?|t|topics?|authors?|profile|page|feed|search|wp-admin|wp-login\.php)(?:/|$)"
    r"|^(?:/\d+)*/?$",  # the home page and date archives
    re.IGNORECASE,
)
# A title's worth of text: three words, or a few characters of a script written without spaces.
_TITLE_WORDS = 3
_UNSPACED_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_UNSPACED_TITLE = 6
_MAX_TITLE = 200  # longer is a teaser paragraph, not a title
_PAGE_WIDE = frozenset({"body", "html", "main", "article"})


def links_from_blocks(blocks: list[Block], base: str) -> list[Link]:
    """Every link of the blocks: anchor text and absolute URL, first occurrence of a URL wins."""
    return unique_links((a for b in blocks for a in b.links()), base)


def related_articles(page: Page, base: str, own_url: str) -> list[Link]:
    """"You may also like" posts: a known related-posts widget, else the links that follow a
    heading of that name, through `article_links`."""
    widgets = page.select(selector("related"))
    if widgets:
        return article_links((a for c in widgets for a in c.iter("a")), base, own_url, in_menus=True)
    sections = [
        el for h in page.root.iter(*HEADINGS) if ALSO_LIKE_HEADING.match(element_text(h))
        for el in _section_of(h)
    ]
    return article_links((a for c in sections for a in c.iter("a")), base, own_url)


def article_links(anchors: Iterable[etree._Element], base: str, own_url: str, in_menus: bool = False) -> list[Link]:
    """The anchors that may be other articles of the site: same host as `base` or `own_url`
    ("www." aside), not the article itself, not a listing (LISTING_PATH), with a title's worth
    of text, not in a menu or the page's footer unless `in_menus` (a related-posts widget may
    be a <nav>). Each article once, in order, fragment dropped; its text is the first anchor
    text given (a title link's, not a thumbnail's title attribute or alt text)."""
    own = url_key(own_url)
    hosts = {_host(base), _host(own_url)}
    found: dict[str, list] = {}  # url_key -> [url, text, text is only a title attribute]
    for a in anchors:
        url = absolute_url(a.get("href"), base)
        if not url or not in_menus and _in_menu(a):
            continue
        url = url.split("#", 1)[0]
        key = url_key(url)
        entry = found.get(key)
        if entry is not None and not entry[2]:
            continue
        text = element_text(a)
        if text or entry is None:
            found[key] = [url, text or _attribute_title(a), not text]
    return [
        Link(text, url) for key, (url, text, _) in found.items()
        if key != own and _host(url) in hosts and _is_title(text) and not LISTING_PATH.search(urlsplit(url).path)
    ]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _attribute_title(a: etree._Element) -> str:
    """A text-less link's title attribute, else its image's alt text."""
    img = a.find(".//img")
    return clean(a.get("title") or (img.get("alt") if img is not None else None) or "")


def _is_title(text: str) -> bool:
    if len(text) > _MAX_TITLE:
        return False
    return len(text.split()) >= _TITLE_WORDS or len(_UNSPACED_SCRIPT.findall(text)) >= _UNSPACED_TITLE


def _in_menu(a: etree._Element) -> bool:
    """Whether the anchor is in a <nav>, or in a <footer> outside any <article> (the page's)."""
    footer = False
    for el in a.iterancestors("nav", "footer", "article"):
        if el.tag == "nav":
            return True
        if el.tag == "article":
            return False
        footer = True
    return footer


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
