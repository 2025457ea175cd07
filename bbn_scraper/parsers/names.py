"""The site's own names, and the tests that keep them out of authors and headlines: a
publisher is not an author, and a blog's title in the page header is not the headline."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from bbn_scraper.parsers.metadata import Metadata, ld_text
from bbn_scraper.parsers.words import NOT_AUTHORS

ORGANIZATION_TYPES = frozenset({
    "Organization", "NewsMediaOrganization", "Corporation", "OnlineBusiness", "LocalBusiness",
    "EducationalOrganization", "GovernmentOrganization", "NGO", "Brand", "WebSite",
})
# Class or id tokens of the site's header and logo (not the article's own header).
_SITE_HEADER_TOKENS = frozenset({
    "header", "site-header", "masthead", "site-branding", "branding", "site-title", "site-name", "navbar",
})
_NON_WORD = re.compile(r"\W+")
# Lower-case words a name may hold ("Ursula von der Leyen", "Ana y Juan").
_PARTICLES = frozenset({
    "von", "van", "der", "den", "dem", "de", "del", "della", "di", "da", "do", "dos", "das", "du", "la", "le",
    "ten", "ter", "bin", "al", "el", "y", "e", "et", "i", "en", "und", "and", "oraz", "&",
})
_SEPARATORS = frozenset("|–—:·•-»")
_NOT_IN_NAMES = frozenset("*$€£%#!?=+<>{}[]")  # "Por mes*", "By signing up?"
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go"})


def key(name: str) -> str:
    """A name reduced for comparison: case-folded, letters and digits only."""
    return _NON_WORD.sub("", name.casefold()).replace("_", "")


def site_names(md: Metadata, url: str) -> list[str]:
    """The names the site goes by: og:site_name, the JSON-LD publisher, WebSite and
    Organization names, and its domain ("linknaija" and "linknaija.com" for www.linknaija.com).
    A fresh list each call; worked out once per page (three field functions ask)."""
    global _LAST
    last = _LAST
    if last[0] is not md or last[1] != url:
        last = _LAST = (md, url, _site_names(md, url))
    return list(last[2])


_LAST: tuple = (None, None, [])  # the page asked last: its Metadata, URL and site names


def _site_names(md: Metadata, url: str) -> list[str]:
    names = [md.first("og:site_name", "application-name") or ""]
    names.append(ld_text(md.article_node.get("publisher")) or "")
    names += [ld_text(n.get("name")) or "" for n in md.of_type(ORGANIZATION_TYPES)]
    host = (urlsplit(url).hostname or "").lower()
    labels = [part for part in host.split(".") if part not in ("www", "m", "amp")]
    if len(labels) >= 2:
        n = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
        names += [".".join(labels[-n:]), labels[-n]]
    return [n for n in dict.fromkeys(n.strip() for n in names) if n]


def is_person(name: str, site_keys: frozenset[str]) -> bool:
    """Whether `name` may be an author: not the site's own name, not a platform ("Google")."""
    k = key(name)
    return bool(k) and k not in site_keys and k not in NOT_AUTHORS


def looks_like_names(text: str) -> bool:
    """Whether the words of `text` may be names: none lower-case but name particles ("von",
    "de") and conjunctions, no price or markup signs. "By choosing I Accept…" is a sentence,
    "Por mes*" a price, not a byline."""
    if any(c in _NOT_IN_NAMES for c in text):
        return False
    return all(not w[0].islower() or w in _PARTICLES for w in text.replace(",", " ").split())


def in_site_header(el: etree._Element) -> bool:
    """Whether the element sits in the site's header, logo or navigation rather than in the
    article (an article's own <header> is inside its <article> or <main>, or its microdata
    says it is the headline or inside an Article)."""
    if "headline" in (el.get("itemprop") or "").split():
        return False
    ancestors = []
    for node in el.iterancestors():
        tag = node.tag
        if tag in ("article", "main") or "Article" in (node.get("itemtype") or ""):
            return False
        if tag == "body":
            break
        ancestors.append(node)
    for node in ancestors:
        if node.tag in ("header", "nav", "a", "button"):
            return True
        tokens = ((node.get("class") or "") + " " + (node.get("id") or "")).lower().split()
        if any(t in _SITE_HEADER_TOKENS or "logo" in t or t.startswith("nav") for t in tokens):
            return True
    return False


# Class tokens of text shown to screen readers only (WordPress, Bootstrap, Tailwind, Naver...).
_HIDDEN_TOKENS = frozenset({
    "sr-only", "screen-reader-text", "screen-reader-only", "visually-hidden", "visuallyhidden", "is_blind", "blind",
    "a11y-hidden", "hidden-text", "offscreen", "element-invisible", "u-visually-hidden", "hide-text", "hidden",
})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|clip\s*:\s*rect\(\s*0|left\s*:\s*-\d{3,}px", re.I)


def visually_hidden(el: etree._Element) -> bool:
    """Whether the element, or an ancestor, is hidden from sight (a screen-reader-only heading,
    a hidden attribute, an inline style that hides it)."""
    node = el
    while node is not None and node.tag not in ("body", "html"):
        if node.get("hidden") is not None or node.get("aria-hidden") == "true":
            return True
        cls = node.get("class")
        if cls and not _HIDDEN_TOKENS.isdisjoint(cls.lower().split()):
            return True
        style = node.get("style")
        if style and _HIDDEN_STYLE.search(style):
            return True
        node = node.getparent()
    return False


_LAST_SEPARATOR = re.compile(r"\s[|–—-]\s")


def strip_site_name(title: str, names: list[str]) -> str | None:
    """`title` without a site name after or before a separator ("Story | Site", "Site - Story"),
    or None when it holds none of `names`; the last part after " | " or " - " is the site's
    name too when it reads as one of them without spaces, case or a leading "The" ("Story |
    The Daily Planet" at dailyplanet.com)."""
    stripped = _strip_site_name(title, names)
    if stripped is not None:
        return stripped
    separators = list(_LAST_SEPARATOR.finditer(title))
    if separators:
        head, tail = title[: separators[-1].start()], title[separators[-1].end():]
        k = key(re.sub(r"^the\s+", "", tail.strip(), flags=re.I))
        if k and head.strip() and any(k == key(n) or k == key(n).removeprefix("the") for n in names):
            return head.strip()
    return None


def _strip_site_name(title: str, names: list[str]) -> str | None:
    folded = title.lower()
    if len(folded) != len(title):
        return None
    for name in names:
        n = name.lower()
        if len(n) < len(folded) and folded.endswith(n):
            rest = title[: len(title) - len(n)].rstrip()
            if rest[-1:] in _SEPARATORS and rest[:-1].strip():
                return rest[:-1].strip()
        if len(n) < len(folded) and folded.startswith(n):
            rest = title[len(n):].lstrip()
            if rest[:1] in _SEPARATORS and rest[1:].strip():
                return rest[1:].strip()
    return None
