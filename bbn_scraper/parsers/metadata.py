"""Structured metadata: JSON-LD nodes and <meta> tags, the most trustworthy sources of a page."""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from lxml import etree

from bbn_scraper.parsers.text import element_text, strip_controls

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
    "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "LiveBlogPosting",
    "Report", "TechArticle", "SocialMediaPosting",
})
# The publication date of a trackback RDF block (Movable Type, goo, Hatena and other blog
# engines print one inside an HTML comment): kept under this meta name.
RDF_DATE = "rdf:dc:date"
_RDF_DATE = re.compile(rb"<rdf:Description\b[^>]{0,4000}?\bdc:date=\"([^\"]{10,40})\"")
LISTING_TYPES = frozenset({"CollectionPage", "SearchResultsPage", "ProfilePage", "ItemList"})


@dataclass
class Metadata:
    """What a page says about itself outside its visible text."""

    meta: dict[str, list[str]] = field(default_factory=dict)  # property/name (lower-case) -> contents
    nodes: list[dict] = field(default_factory=list)  # every JSON-LD node, @graph flattened
    canonical: str | None = None
    lang: str | None = None
    title: str | None = None
    body_classes: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)

    def first(self, *names: str) -> str | None:
        """The first non-empty content of the named meta tags, in the order given."""
        for name in names:
            for value in self.meta.get(name, ()):
                if value and value.strip():
                    return value.strip()
        return None

    def of_type(self, types: frozenset[str]) -> list[dict]:
        """JSON-LD nodes whose @type is one of `types`."""
        return [n for n in self.nodes if ld_types(n) & types]

    @cached_property
    def article_node(self) -> dict:
        """The page's (News)Article JSON-LD node, or an empty dict (read once the nodes are all in)."""
        found = self.of_type(ARTICLE_TYPES)
        return found[0] if found else {}


def read_metadata(root: etree._Element, source: str | bytes | None = None) -> Metadata:
    """Meta tags, JSON-LD, rel=canonical, <html lang>, <title> and body classes of a page;
    from its `source` (the page as given to the parser, comments included), the date of a
    trackback RDF block, when there is one only."""
    md = Metadata(lang=(root.get("lang") or root.get("xml:lang") or "").strip() or None)
    if source is not None:
        raw = source.encode("utf-8", "replace") if isinstance(source, str) else source
        if b"<rdf:Description" in raw:
            dates = {m.group(1).decode("ascii", "replace") for m in _RDF_DATE.finditer(raw)}
            if len(dates) == 1:
                md.meta[RDF_DATE] = list(dates)
    head_and_body = root.iter("meta", "link", "script", "title", "body")
    for el in head_and_body:
        tag = el.tag
        if tag == "meta":
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
            if key:
                md.meta.setdefault(key, []).append(el.get("content") or "")
        elif tag == "link":
            rels = (el.get("rel") or "").lower().split()
            if "canonical" in rels and md.canonical is None and el.get("href"):
                md.canonical = el.get("href").strip()
        elif tag == "script":
            if (el.get("type") or "").strip().lower() == "application/ld+json" and el.text:
                _add_json_ld(md, el.text)
        elif tag == "title" and md.title is None:
            md.title = element_text(el)
        elif tag == "body":
            md.body_classes = frozenset((el.get("class") or "").split())
    return md


def _unwrapped(text: str) -> str:
    """A JSON-LD block without the comment or CDATA wrapper some CMSs put around it
    ("<!-- ... -->", "<![CDATA[ ... ]]>", "//<![CDATA[ ... //]]>")."""
    text = text.strip()
    for head, tail in (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("/*<![CDATA[*/", "/*]]>*/"), ("<![CDATA[", "]]>")):
        if text.startswith(head) and text.endswith(tail):
            text = text[len(head): len(text) - len(tail)].strip()
    return text


def _add_json_ld(md: Metadata, text: str) -> None:
    try:
        data = json.loads(_unwrapped(text))
    except (ValueError, RecursionError):
        md.warnings.append("unreadable JSON-LD block ignored")
        return
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            if "@graph" in item:
                stack.append(item["@graph"])
            if "@type" in item:
                md.nodes.append(item)


def ld_types(node: dict) -> set[str]:
    """A JSON-LD node's @type values."""
    value = node.get("@type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def ld_text(value) -> str | None:
    """A JSON-LD value as text: strings as they are, {"name": …} objects by name, lists by their first."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("url") or value.get("@id")
    # Yoast and others write HTML-escaped text into JSON-LD ("Business &amp; Economy").
    return strip_controls(html.unescape(value)).strip() if isinstance(value, str) and value.strip() else None


def ld_names(value) -> list[str]:
    """Names from a JSON-LD author/keywords value: a string, an object, or a list of them."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = ld_text(item)
        if name:
            names.append(name)
    return names
