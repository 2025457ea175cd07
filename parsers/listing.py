"""Telling one article from the pages that are not one: home, archives, search, 404."""
from __future__ import annotations

import re

from lxml import etree

from parsers.metadata import ARTICLE_TYPES, LISTING_TYPES, Metadata
from parsers.themes import THEMES

LISTING_BODY_CLASSES = frozenset().union(*(theme.listing_body_classes for theme in THEMES))
ARTICLE_BODY_CLASSES = frozenset().union(*(theme.article_body_classes for theme in THEMES))
_NOT_FOUND_TITLE = re.compile(r"\b(?:page not found|not found|404)\b", re.IGNORECASE)


def page_kind(root: etree._Element, md: Metadata) -> str:
    """"article", "listing" or "not_found", from body classes, structured data and layout."""
    classes = md.body_classes
    if "error404" in classes:
        return "not_found"
    single = bool(classes & ARTICLE_BODY_CLASSES) or any(c.startswith("postid-") for c in classes)
    if classes & LISTING_BODY_CLASSES and not single:
        return "listing"
    if single:
        return "article"
    typed_article = bool(md.of_type(ARTICLE_TYPES)) or (md.first("og:type") or "").lower() == "article"
    if typed_article:
        return "article"
    if md.title and _NOT_FOUND_TITLE.search(md.title):
        return "not_found"
    if md.of_type(LISTING_TYPES) or len(root.findall(".//article")) > 2:
        return "listing"
    return "article"
