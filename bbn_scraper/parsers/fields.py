"""Article fields, each from layered sources: JSON-LD, meta tags, theme markup, heuristics.

A field function is named after the `archive.model.Article` field it fills and registered with
`@extracts`; `parse_article` calls them in the model's field order, so a function may read the
fields declared before its own from `article`. Each takes the indexed Page, its Metadata and the
article so far, and returns the value, or `Noted(value, note)` where a note says which fallback
was used or what is missing. A new field is one line in the model and one function here."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from lxml import etree

from archive.model import Article

from bbn_scraper.parsers.authors import byline_candidates, choose, cjk_credit, json_ld_candidates, labelled_author, meta_candidates
from bbn_scraper.parsers.dates import find_text_date, htmldate_published, local_day, parse_date, url_date
from bbn_scraper.parsers.metadata import RDF_DATE, Metadata, ld_names, ld_text, ld_types
from bbn_scraper.parsers.names import (
    ORGANIZATION_TYPES, in_site_header, is_person, key, looks_like_names, site_names, strip_site_name, visually_hidden,
)
from bbn_scraper.parsers.page import Matcher, Page
from bbn_scraper.parsers.themes import selector
from bbn_scraper.parsers.topics import topic_values
from bbn_scraper.parsers.text import BYLINE_PREFIX, clean, element_text, split_authors, strip_byline_prefix
from bbn_scraper.parsers.urls import absolute_url
from bbn_scraper.parsers.words import openers
from bbn_scraper.parsers.zones import in_zone, page_zone

DATED = f"{selector('published')}, {selector('date_text')}"  # where a visible date is looked for
# Publication metas, most specific first (Open Graph, schema.org microdata, Parse.ly, Sailthru, Dublin Core).
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "parsely-pub-date", "sailthru.date", "analyticsattributes.articledate", "article.published",
    "publishdate", "publish-date", "publish_date", "pubdate", "dc.date.issued", "dcterms.issued", RDF_DATE,
    "dc.date.created", "dcterms.created", "dc.date", "dcterms.date", "citation_publication_date", "date",
)
_COMMENT_THREAD = Matcher(selector("comment_thread"))
_COUNT = re.compile(r"(\d[\d,]*)\s*(?:comments?|responses?|repl(?:y|ies)|thoughts?)\b", re.IGNORECASE)
_NO_COMMENTS = re.compile(r"\bno\s+(?:comments?|responses?|replies)\b", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,60}$")
_TRAILING_SEPARATORS = re.compile(r"[\s\-–—|·•,]+$")
_BYLINE_OPENERS = openers("byline")

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
    """The visible h1 first (JSON-LD headlines are often cut at 110 characters), unless it is
    the site's name or sits in the site's header; then JSON-LD, og:title, <title>, each without
    a "| Site" suffix."""
    names = site_names(md, article.url)
    keys = {key(n) for n in names}
    why = "no <h1>"
    for el in page.iselect(selector("headline")):
        if visually_hidden(el):
            why = "the <h1> is hidden (screen readers only)"
            continue
        if _in_caption(el):
            why = "the <h1> is a photo's caption"
            continue
        text = _with_kicker(el)
        if text and (key(text) in keys or in_site_header(el)):
            why = "the <h1> is the site's name"
            names.append(text)  # "Blog Name: Post title" in <title>
        elif text:
            return Noted(text, source="h1")
    text = ld_text(md.article_node.get("headline")) or md.first("og:title", "twitter:title")
    if text:
        text = clean(text)
        return Noted(strip_site_name(text, names) or text, f"headline from metadata: {why}", "meta")
    if md.title and clean(md.title):
        title = clean(md.title)
        return Noted(strip_site_name(title, names) or _TITLE_SUFFIX.sub("", title), "headline from <title>", "title")
    return Noted(None, "no headline found")


def _in_caption(el) -> bool:
    """Whether the heading is inside a figure or its caption (a photo's title, not the story's)."""
    return any(node.tag in ("figure", "figcaption") or "caption" in (node.get("class") or "").lower()
               for node in el.iterancestors() if isinstance(node.tag, str))


_KICKER = re.compile(r"kicker|topline|overline|eyebrow|dachzeile|roofline|supertitle|pretitle|overtitle|flag", re.I)
_ENDS_LIKE_A_LABEL = re.compile(r"[:|–—-]\s*$")


def _with_kicker(el) -> str:
    """The headline's text; a kicker printed inside it in its own element ("<span
    class=kicker>Nationale Demo</span><span>Der 9. Juli naht</span>") is set off by a colon
    rather than glued to the headline."""
    text = element_text(el)
    if len(el) < 2 or (el.text or "").strip():
        return text
    first = next((child for child in el if isinstance(child.tag, str)), None)
    if first is None:
        return text
    kicker = element_text(first)
    marked = _KICKER.search(f"{first.get('class') or ''} {first.get('id') or ''}")
    if not (kicker and marked and text.startswith(kicker)) or (first.tail or "").strip() or _ENDS_LIKE_A_LABEL.search(kicker):
        return text
    rest = text[len(kicker):].strip()
    if rest and (rest[0].isalnum() or rest[0] in "\"'„“«"):  # not already set off (": ", "|")
        return f"{kicker}: {rest}"
    return text


@extracts
def byline(page: Page, md: Metadata, article: Article) -> Noted:
    """The byline as printed, without "by" ("von", "par", …): theme byline box, author links, a
    "By …" line, then JSON-LD or meta author names. The site's own name, an Organization or a
    platform ("Google") is a publisher, not an author: no byline rather than that."""
    names = site_names(md, article.url)
    keys = frozenset(key(n) for n in names) | _credited_organisations(md)
    for el in page.iselect(selector("byline")):
        text = _TRAILING_SEPARATORS.sub("", strip_byline_prefix(element_text(el)))
        if text and len(text) <= 150 and is_person(text, keys):
            return Noted(text, source="theme")
    links = page.first_group(selector("author_links"))
    if links:
        found: list[str] = []
        for a in links:
            name = strip_byline_prefix(element_text(a))
            if name and name not in found and a.getparent() is links[0].getparent() and is_person(name, keys):
                found.append(name)
        if found:
            return Noted(_join_names(found), source="author-links")
    for el in page.root.iter("p", "span", "div", "address"):
        head = (el.text or "").lstrip()[:12].lower()
        if head.startswith(_BYLINE_OPENERS) and BYLINE_PREFIX.match(el.text) and not _in_comments(el) and not _in_menu(el):
            text = _TRAILING_SEPARATORS.sub("", strip_byline_prefix(element_text(el)))
            if not text and el.getparent() is not None:  # "<span>By </span><a>Name</a>"
                text = _TRAILING_SEPARATORS.sub("", strip_byline_prefix(element_text(el.getparent())))
            text = strip_site_name(text, names) or text  # "Jane Doe | Site"
            if text and len(text) <= 100 and looks_like_names(text) and is_person(text, keys):
                people = _ld_authors(md, keys)  # the same names without the dates and titles around them
                if people and all(p in text for p in people) and len(people) >= _name_count(text):
                    return Noted(_join_names(people), "byline from JSON-LD author, found in a 'By' line", "json-ld")
                return Noted(text, "byline found by its prefix ('By', 'Von', 'par', ...)", "text")
    labelled = labelled_author(page.root)
    if labelled and looks_like_names(labelled) and is_person(labelled, keys):
        return Noted(labelled, "byline found after an author label", "label")
    people = _ld_authors(md, keys)
    if people:
        return Noted(_join_names(people), "byline from JSON-LD author", "json-ld")
    if _unspaced_language(md.lang) and (credit := cjk_credit(page.root)):
        return Noted(credit, "byline from a credit line (责编, 记者, 기자...)", "credit")
    author = md.first("author", "article:author", "twitter:creator")
    if author and not author.startswith(("http://", "https://", "@")) and "@" not in author and any(
            c.isalpha() for c in author) and is_person(author, keys):
        return Noted(clean(author), "byline from meta author", "meta")
    return Noted(None, "no byline found")


@extracts
def authors(page: Page, md: Metadata, article: Article) -> Noted:
    """One name per author, chosen among JSON-LD, the printed byline and the author metas
    (bbn_scraper.parsers.authors); an organisation credited is named in a warning, never an author."""
    keys = _site_keys(md, article)
    ld, meta = json_ld_candidates(md, keys, _resolve), meta_candidates(md, keys)
    names, source = choose(ld, meta, byline_candidates(article.byline, keys | _credited_organisations(md)))
    organisations = ld.organisations or meta.organisations
    note = f"authors: no person named; the page credits {', '.join(organisations)}" if organisations and not names else None
    return Noted(names, note, source)


@extracts
def published(page: Page, md: Metadata, article: Article) -> Noted:
    """JSON-LD datePublished, publication metas, <time datetime>; then a visible date, the
    URL's date, and htmldate's search of the page. The URL's day wins over metadata in UTC
    that falls on the next morning (the page's own day, west of UTC); a UTC time is otherwise
    shown in the page's zone when the page tells it (bbn_scraper.parsers.zones)."""
    in_url = url_date(article.url) or url_date(article.canonical_url)
    exact, source = _exact_published(page, md)
    if exact is not None:
        if (day := local_day(exact, in_url)) is not None:
            return Noted(day, "published day from the URL: metadata's UTC time is the next morning", "url")
        if exact.utcoffset() == timedelta(0):
            shown = in_zone(exact, page_zone(article.url, md.lang, md.first("og:locale"), _stated_times(page, md)))
            if shown.date() == exact.date() or exact.date() not in _days_shown(page, in_url):
                exact = shown
        return Noted(exact, source=source)
    month_first = _month_first(md.lang)
    for el in [el for el in page.select(DATED) if not _in_comments(el) and not _in_teaser(el)]:
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
    times = (el for el in page.iselect(selector("published")) if not _in_comments(el) and not _in_teaser(el))
    marked = next((d for d in (parse_date(_marked_date(el)) for el in times) if d), None)
    ld_value = md.article_node.get("datePublished") or next(
        (n["datePublished"] for n in md.nodes if isinstance(n.get("datePublished"), str)), None)
    for source, value in (("json-ld", ld_value), ("meta", md.first(*PUBLISHED_META))):
        if (d := parse_date(value if isinstance(value, str) else None)) is not None:
            return (marked if marked is not None and _same_instant(marked, d) else d), source
    return marked, ("time" if marked is not None else None)


def _stated_times(page: Page, md: Metadata) -> list[str]:
    """The times the page states for machines (JSON-LD dates, date metas, marked <time>s), as
    written: their offsets tell the page's zone."""
    node = md.article_node
    values = [node.get(k) for k in ("datePublished", "dateModified", "dateCreated")]
    values += [md.first(name) for name in (*PUBLISHED_META, "article:modified_time", "og:updated_time")]
    values += [_marked_date(el) for el in page.iselect(selector("published"))]
    return [v for v in values if isinstance(v, str)]


def _days_shown(page: Page, in_url: datetime | None) -> set:
    """The days the page itself shows for its publication: the URL's, the printed text of its
    first marked <time> (they tell the page's own day where a zone guess would move it)."""
    days = {in_url.date()} if in_url is not None else set()
    first = next(iter(page.iselect(selector("published"))), None)
    if first is not None and (printed := find_text_date(element_text(first))) is not None:
        days.add(printed.date())
    return days


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
        if (d := parse_date(_marked_date(el))) is not None:
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
    return Noted(topic_values([v for v in values if v]), source=source)


@extracts
def keywords(page: Page, md: Metadata, article: Article) -> list[str]:
    """The news_keywords meta (Google News), else the keywords meta: comma-separated, each once."""
    value = md.first("news_keywords", "keywords") or ""
    return topic_values([part for part in value.split(",") if part.strip()])


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


def _marked_date(el) -> str | None:
    """The machine-readable date of a <time datetime>, a microdata <meta content> or a
    microformats <abbr title>."""
    return el.get("datetime") or el.get("content") or (el.get("title") if el.tag == "abbr" else None)


def _in_comments(el) -> bool:
    """Whether the element belongs to the comment thread (its dates and names are not the article's)."""
    node = el
    while node is not None:
        if _COMMENT_THREAD(node):
            return True
        node = node.getparent()
    return False


_TEASER_HEADING = etree.XPath("boolean(.//h2[.//a] | .//h3[.//a] | .//h4[.//a] | .//a[.//h2 or .//h3 or .//h4])")


def _in_teaser(el) -> bool:
    """Whether the element belongs to another story's teaser (its date is that story's): it
    sits in an <article> or <li> that holds a linked heading and not the page's <h1>."""
    for node in el.iterancestors():
        tag = node.tag
        if tag in ("article", "li"):
            return node.find(".//h1") is None and _TEASER_HEADING(node)
        if tag in ("body", "main"):
            return False
    return False


def _unspaced_language(lang: str | None) -> bool:
    """Whether the page's language is Chinese, Japanese or Korean (None: unknown, also looked at)."""
    return not lang or lang.lower()[:2] in ("zh", "ja", "ko")


def _in_menu(el) -> bool:
    """Whether the element is link text or navigation ("Por Dentro do Porto" in a menu)."""
    return any(node.tag in ("a", "nav", "button") for node in el.iterancestors())


def _is_category_link(a) -> bool:
    return "category" in (a.get("rel") or "").split() or "/category/" in (a.get("href") or "")


def _same_instant(a: datetime, b: datetime) -> bool:
    return a.tzinfo is not None and b.tzinfo is not None and a == b


def _name_count(byline: str) -> int:
    """How many parts of a byline may be names: two words or more, no digits ("Jane Doe", not
    "Monday" or "Nov 18, 2019")."""
    return sum(1 for part in split_authors(byline) if " " in part and not any(c.isdigit() for c in part))


def _credited_organisations(md: Metadata) -> frozenset[str]:
    """Keys of the Organizations the article's JSON-LD credits as its author ("Associated
    Press"), with and without a leading "The": a byline that prints one names no person."""
    value = _resolve(md, md.article_node.get("author"))
    names = [ld_text(v.get("name")) or "" for v in (value if isinstance(value, list) else [value])
             if isinstance(v, dict) and ld_types(v) & ORGANIZATION_TYPES]
    keys = {key(n) for n in names if n}
    return frozenset(keys | {"the" + k for k in keys} | {k[3:] for k in keys if k.startswith("the")} - {""})


def _site_keys(md: Metadata, article: Article) -> frozenset[str]:
    return frozenset(key(n) for n in site_names(md, article.url))


def _ld_authors(md: Metadata, keys: frozenset[str]) -> list[str]:
    """JSON-LD author names, without Organizations and the site's own name."""
    value = _resolve(md, md.article_node.get("author"))
    items = value if isinstance(value, list) else [value]
    people = [v for v in items if not (isinstance(v, dict) and ld_types(v) & ORGANIZATION_TYPES)]
    return [name for name in ld_names(people) if is_person(name, keys)]


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
