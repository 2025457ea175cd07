"""Article fields, each from layered sources: JSON-LD, meta tags, theme markup, heuristics.

A field function is named after the `model.Article` field it fills and registered with
`@extracts`; `parse_article` calls them in the model's field order, so a function may read the
fields declared before its own from `article`. Each takes the indexed Page, its Metadata and the
article so far, and returns the value, or `Noted(value, note)` where a note says which fallback
was used or what is missing. A new field is one line in the model and one function here."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from model import Article

from parsers.dates import find_text_date, htmldate_published, local_day, parse_date, url_date
from parsers.metadata import Metadata, ld_names, ld_text
from parsers.page import Matcher, Page
from parsers.themes import selector
from parsers.text import clean, element_text, split_authors, strip_byline_prefix
from parsers.urls import absolute_url

DATED = f"{selector('published')}, {selector('date_text')}"  # where a visible date is looked for
# Publication metas, most specific first (Open Graph, schema.org microdata, Parse.ly, Sailthru, Dublin Core).
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "parsely-pub-date", "sailthru.date", "analyticsattributes.articledate", "article.published",
    "publishdate", "publish-date", "publish_date", "pubdate", "dc.date.issued", "dcterms.issued",
    "dc.date.created", "dcterms.created", "dc.date", "dcterms.date", "citation_publication_date", "date",
)
_COMMENT_THREAD = Matcher(selector("comment_thread"))
_COUNT = re.compile(r"(\d[\d,]*)\s*(?:comments?|responses?|repl(?:y|ies)|thoughts?)\b", re.IGNORECASE)
_NO_COMMENTS = re.compile(r"\bno\s+(?:comments?|responses?|replies)\b", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,60}$")
_TRAILING_SEPARATORS = re.compile(r"[\s\-–—|·•,]+$")

FieldFunction = Callable[[Page, Metadata, Article], Any]
FIELD_FUNCTIONS: dict[str, FieldFunction] = {}  # Article field name -> the function that fills it


class Noted(NamedTuple):
    """A field's value, a note for the article's warnings (None: nothing to say) and its
    source: a short name of where the value was read ("json-ld", "meta", "h1", "theme", "text"),
    recorded in the article's "sources:" warning so low-confidence rows can be filtered."""

    value: Any
    note: str | None = None
    source: str | None = None


def extracts(fn: FieldFunction) -> FieldFunction:
    """Register `fn` as the function that fills the Article field of its name."""
    FIELD_FUNCTIONS[fn.__name__] = fn
    return fn


@extracts
def headline(page: Page, md: Metadata, article: Article) -> Noted:
    """The visible h1 first (JSON-LD headlines are often cut at 110 characters)."""
    for el in page.iselect(selector("headline")):
        text = element_text(el)
        if text:
            return Noted(text, source="h1")
    text = ld_text(md.article_node.get("headline")) or md.first("og:title", "twitter:title")
    if text:
        return Noted(clean(text), "headline from metadata: no <h1>", "meta")
    if md.title and clean(md.title):
        return Noted(_TITLE_SUFFIX.sub("", clean(md.title)), "headline from <title>", "title")
    return Noted(None, "no headline found")


@extracts
def byline(page: Page, md: Metadata, article: Article) -> Noted:
    """The byline as printed, without "by": theme byline box, author links, a "By …" line,
    then JSON-LD or meta author names."""
    for el in page.iselect(selector("byline")):
        text = _TRAILING_SEPARATORS.sub("", strip_byline_prefix(element_text(el)))
        if text and len(text) <= 150:
            return Noted(text, source="theme")
    links = page.first_group(selector("author_links"))
    if links:
        names = []
        for a in links:
            name = element_text(a)
            if name and name not in names and a.getparent() is links[0].getparent():
                names.append(name)
        if names:
            return Noted(_join_names(names), source="author-links")
    for el in page.root.iter("p", "span", "div", "address"):
        head = (el.text or "").lstrip()[:3].lower()
        if head in ("by", "by ", "by:") and not _in_comments(el):
            text = _TRAILING_SEPARATORS.sub("", strip_byline_prefix(element_text(el)))
            if not text and el.getparent() is not None:  # "<span>By </span><a>Name</a>"
                text = _TRAILING_SEPARATORS.sub("", strip_byline_prefix(element_text(el.getparent())))
            if text and len(text) <= 100:
                return Noted(text, "byline found by its 'By' prefix", "text")
    names = ld_names(_resolve(md, md.article_node.get("author")))
    if names:
        return Noted(_join_names(names), "byline from JSON-LD author", "json-ld")
    author = md.first("author", "article:author", "twitter:creator")
    if author and not author.startswith(("http://", "https://", "@")):
        return Noted(clean(author), "byline from meta author", "meta")
    return Noted(None, "no byline found")


@extracts
def authors(page: Page, md: Metadata, article: Article) -> list[str]:
    """One name per author, from the byline, else from JSON-LD."""
    if article.byline:
        return split_authors(article.byline)
    return ld_names(_resolve(md, md.article_node.get("author")))


@extracts
def published(page: Page, md: Metadata, article: Article) -> Noted:
    """JSON-LD datePublished, publication metas, <time datetime>; then a visible date, the
    URL's date, and htmldate's search of the page. The URL's day wins over metadata in UTC
    that falls on the next morning (the page's own day, west of UTC)."""
    in_url = url_date(article.url) or url_date(article.canonical_url)
    exact, source = _exact_published(page, md)
    if exact is not None:
        if (day := local_day(exact, in_url)) is not None:
            return Noted(day, "published day from the URL: metadata's UTC time is the next morning", "url")
        return Noted(exact, source=source)
    month_first = _month_first(md.lang)
    for el in [el for el in page.select(DATED) if not _in_comments(el)]:
        if (d := find_text_date(element_text(el), month_first)) is not None:
            return Noted(d, "published date read from visible text", "text")
    if in_url is not None:
        return Noted(in_url, "published date read from the URL", "url")
    if (d := htmldate_published(page.root, article.url)) is not None:
        return Noted(d, "published date found by htmldate", "htmldate")
    return Noted(None, "no published date found")


def _exact_published(page: Page, md: Metadata) -> tuple[datetime | None, str | None]:
    """The publication time the page states for machines: JSON-LD (the article's node, else any
    node's datePublished), a publication meta, a marked <time>. When the page's first marked
    <time> gives the same instant in its local zone, that spelling wins."""
    times = (el for el in page.iselect(selector("published")) if not _in_comments(el))
    marked = next((d for d in (parse_date(el.get("datetime") or el.get("content")) for el in times) if d), None)
    ld_value = md.article_node.get("datePublished") or next(
        (n["datePublished"] for n in md.nodes if isinstance(n.get("datePublished"), str)), None)
    for source, value in (("json-ld", ld_value), ("meta", md.first(*PUBLISHED_META))):
        if (d := parse_date(value if isinstance(value, str) else None)) is not None:
            return (marked if marked is not None and _same_instant(marked, d) else d), source
    return marked, ("time" if marked is not None else None)


def _month_first(lang: str | None) -> bool:
    """Whether the page's numeric dates read month first (09/14/2023): US English."""
    lang = (lang or "").lower().replace("_", "-")
    return lang in ("en", "en-us")


@extracts
def modified(page: Page, md: Metadata, article: Article) -> Noted:
    """JSON-LD dateModified (the article's node, else the node that gives datePublished),
    article:modified_time / og:updated_time, <time class=updated>."""
    node = md.article_node or next((n for n in md.nodes if isinstance(n.get("datePublished"), str)), {})
    for source, value in (("json-ld", node.get("dateModified")), ("meta", md.first("article:modified_time", "og:updated_time", "datemodified"))):
        if (d := parse_date(value if isinstance(value, str) else None)) is not None:
            return Noted(d, source=source)
    for el in page.iselect(selector("modified")):
        if "published" in (el.get("class") or "").split() or _in_comments(el):
            continue
        if (d := parse_date(el.get("datetime") or el.get("content"))) is not None:
            return Noted(d, source="time")
    return Noted(None)


@extracts
def section(page: Page, md: Metadata, article: Article) -> Noted:
    """JSON-LD articleSection, article:section, then the theme's category link."""
    for source, value in (("json-ld", ld_text(md.article_node.get("articleSection"))), ("meta", md.first("article:section"))):
        if value and clean(value):
            return Noted(clean(value), source=source)
    for el in page.first_group(selector("section")):
        if text := element_text(el):
            return Noted(text, source="theme")
    return Noted(None)


@extracts
def tags(page: Page, md: Metadata, article: Article) -> Noted:
    """article:tag metas, JSON-LD keywords, then the theme's tag links; each tag once."""
    values, source = [clean(v) for v in md.meta.get("article:tag", [])], "meta"
    if not any(values):
        keywords = md.article_node.get("keywords")
        values, source = [clean(k) for k in (keywords.split(",") if isinstance(keywords, str) else ld_names(keywords))], "json-ld"
    if not any(values):
        values, source = [element_text(a) for a in page.first_group(selector("tags")) if not _is_category_link(a)], "theme"
    return Noted(list(dict.fromkeys(v for v in values if v)), source=source)


@extracts
def keywords(page: Page, md: Metadata, article: Article) -> list[str]:
    """The news_keywords meta (Google News), else the keywords meta: comma-separated, each once."""
    value = md.first("news_keywords", "keywords") or ""
    return list(dict.fromkeys(k for k in (clean(part) for part in value.split(",")) if k))


@extracts
def comment_count(page: Page, md: Metadata, article: Article) -> int | None:
    """JSON-LD commentCount, then "5 comments" / "No comments" / a bare number in comment markup."""
    value = md.article_node.get("commentCount")
    if isinstance(value, int) or isinstance(value, str) and value.strip().isdigit():
        return int(value)
    for el in page.iselect(selector("comments")):
        text = element_text(el)
        if m := _COUNT.search(text):
            return int(m.group(1).replace(",", ""))
        if _NO_COMMENTS.search(text):
            return 0
        if text.isdigit():
            return int(text)
    return None


@extracts
def summary(page: Page, md: Metadata, article: Article) -> str | None:
    """The page's description: meta description, og:description, JSON-LD description."""
    value = md.first("description", "og:description", "twitter:description") or ld_text(md.article_node.get("description"))
    return clean(value) or None


@extracts
def image_url(page: Page, md: Metadata, article: Article) -> str | None:
    """og:image, JSON-LD image, twitter:image; absolute."""
    value = md.first("og:image", "og:image:url") or ld_text(_resolve(md, md.article_node.get("image"))) or md.first("twitter:image")
    return absolute_url(value, article.url)


@extracts
def language(page: Page, md: Metadata, article: Article) -> str | None:
    """<html lang>, og:locale (en_US -> en-US), JSON-LD inLanguage."""
    value = md.lang or (md.first("og:locale") or "").replace("_", "-") or ld_text(md.article_node.get("inLanguage"))
    return value or None


def _in_comments(el) -> bool:
    """Whether the element belongs to the comment thread (its dates and names are not the article's)."""
    node = el
    while node is not None:
        if _COMMENT_THREAD(node):
            return True
        node = node.getparent()
    return False


def _is_category_link(a) -> bool:
    return "category" in (a.get("rel") or "").split() or "/category/" in (a.get("href") or "")


def _same_instant(a: datetime, b: datetime) -> bool:
    return a.tzinfo is not None and b.tzinfo is not None and a == b


def _join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _resolve(md: Metadata, value):
    """JSON-LD references ({"@id": …} only) replaced by the node they name."""
    if isinstance(value, list):
        return [_resolve(md, v) for v in value]
    if isinstance(value, dict) and set(value) == {"@id"}:
        for node in md.nodes:
            if node.get("@id") == value["@id"]:
                return node
    return value
