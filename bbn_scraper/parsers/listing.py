"""Telling one article from the pages that are not one (home, archives, search, 404), on evidence.

Every clue is a signed weight, positive for "one article", negative for "a listing"; the page is
an article unless the sum is negative (a tie keeps the article: losing one is the worst failure).
What the page declares is read first: body classes, og:type, JSON-LD types, the URL's shape. When
that does not settle it (a clue on each side, or less than SETTLED), one walk over the headings,
paragraphs and links adds the layout: an h1 that is the <title> and a long run of paragraphs make
an article; three different long h1s, many linked teaser headings and "read more" links make a
listing. The count of <article> elements is no clue: teaser cards, comments and CMS content
blocks are all <article>s. og:type article alone can be outweighed (some sites set it on every
page, archives included), but only by what declares a listing (an archive body class, a listing
JSON-LD type, og:type profile, a search query), never by the URL's shape or the layout: a page
that declares itself one article (og:type article, a JSON-LD article, a single-post body class)
is never dropped as a listing; where its shape says otherwise, the verdict is a close call (a
warning of the article).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from bbn_scraper.parsers.metadata import ARTICLE_TYPES, Metadata
from bbn_scraper.parsers.text import clean
from bbn_scraper.parsers.themes import THEMES
from bbn_scraper.parsers.urls import absolute_url

LISTING_BODY_CLASSES = frozenset().union(*(theme.listing_body_classes for theme in THEMES))
ARTICLE_BODY_CLASSES = frozenset().union(*(theme.article_body_classes for theme in THEMES))
# "home" and "blog" alone are weaker: themes add them to single posts (a static front page setup).
_FRONT_CLASSES = frozenset({"home", "blog"})
_ARCHIVE_CLASSES = LISTING_BODY_CLASSES - _FRONT_CLASSES - {"error404"}
_LISTING_TYPES = {"CollectionPage": -3, "SearchResultsPage": -3, "ProfilePage": -3, "ItemList": -1}
# Clues by which a page declares itself a listing (not only looks like one): an archive body
# class (-4), a listing JSON-LD type, og:type profile, a search query; only these outweigh a
# page's declaration that it is one article.
_LISTING_DECLARATIONS = ("JSON-LD CollectionPage", "JSON-LD SearchResultsPage", "JSON-LD ProfilePage", "JSON-LD ItemList",
                         "og:type profile", "url search")
_NOT_FOUND_TITLE = re.compile(r"\b(?:page not found|not found|404)\b", re.IGNORECASE)

# Paths of listings: a page number, a taxonomy or author archive, a date archive, search.
_LISTING_PATH = re.compile(
    r"(?:/page/\d+|/(?:category|categories|tag|tags|author|authors|topics?|archives?)/[^/]+|"
    r"/\d{4}(?:/\d{2}){0,2}|/search(?:/[^/]*)?)/?$", re.IGNORECASE)
_SEARCH_QUERY = re.compile(r"(?:^|&)s=")  # WordPress search
_QUERY_TERMS = re.compile(r"(?:^|&)(?:q|query|search|keywords?)=")  # on a /search path
# A permalink: a slug of four or more words, an id of five or more digits, a dated path, or ?id=123.
_SLUG_WORD = re.compile(r"[^\W_]+")
_ARTICLE_ID = re.compile(r"\d{5,}|/\d{4}/\d{1,2}/(?:\d{1,2}/)?[^/]+")
_ID_QUERY = re.compile(r"(?:^|&)(?:p|id|idx|aid|no|article_?id|news_?id|story_?id)=\d+(?:&|$)", re.IGNORECASE)
_READ_MORE = re.compile(
    r"(?:read|view) (?:the )?(?:more|full (?:story|article))|continue reading|weiterlesen|mehr lesen|"
    r"lire la suite|leer m[aá]s|ver m[aá]s|ver noticia|leggi (?:tutto|di più)|lees meer|ler mais|"
    r"czytaj (?:więcej|dalej)|подробнее|читать далее|devamı", re.IGNORECASE)

# Linked headings beside an element's paragraphs: the excerpts of a list of teasers.
_LINKED_HEADINGS = etree.XPath("count(h2[.//a] | h3[.//a] | h4[.//a] | a[h2 or h3 or h4])")

STORY_SLUG_WORDS = 5  # "/archive/council-approves-new-school-budget": a story's slug, not an archive's name
SETTLED = 3  # declarations this strong, with nothing against them, need no look at the layout
CLOSE = 3  # a sum nearer zero than this is a close call


@dataclass(frozen=True)
class PageKind:
    """What the page is, the sum of its clues, and the clues ("og:type article +2")."""

    kind: str  # "article", "listing" or "not_found"
    score: int = 0
    evidence: tuple[str, ...] = ()
    declared: bool = False  # the page declares itself one article (body class, og:type, JSON-LD)

    @property
    def close(self) -> bool:
        return self.kind != "not_found" and (abs(self.score) < CLOSE or (self.kind == "article") != (self.score >= 0))

    @property
    def reason(self) -> str:
        return f"{self.kind} by {self.score:+d}: " + ", ".join(self.evidence)


def page_kind(root: etree._Element, md: Metadata, url: str = "") -> PageKind:
    """Whether the page at `url` is one article, a listing or a "not found" page."""
    classes = md.body_classes
    if "error404" in classes:
        return PageKind("not_found", evidence=("body class error404",))
    clues = _declared(md, url)
    declared = any(weight > 0 and not name.startswith("url") for name, weight in clues)
    if not declared and md.title and _NOT_FOUND_TITLE.search(md.title):
        return PageKind("not_found", evidence=("title says not found",))
    score = sum(weight for _, weight in clues)
    if declared and not any(name.startswith(_LISTING_DECLARATIONS) or name.startswith("body class") and weight <= -4
                            for name, weight in clues):
        # Declared one article, and nothing declares a listing: the page's shape (its URL, its
        # h1s and teasers) does not outweigh that; a close call when it points the other way.
        if score < SETTLED:
            clues += _layout(root, md)
        return PageKind("article", sum(w for _, w in clues), tuple(f"{name} {weight:+d}" for name, weight in clues), True)
    settled = abs(score) >= SETTLED and all((weight > 0) == (score > 0) for _, weight in clues)
    if not settled:
        clues += _layout(root, md)
        score = sum(weight for _, weight in clues)
    evidence = tuple(f"{name} {weight:+d}" for name, weight in clues)
    return PageKind("listing" if score < 0 else "article", score, evidence, declared)


def _declared(md: Metadata, url: str) -> list[tuple[str, int]]:
    """What the page says it is: body classes, og:type, JSON-LD types, the shape of its URL."""
    clues = []
    classes = md.body_classes
    single = classes & ARTICLE_BODY_CLASSES or {c for c in classes if c.startswith("postid-")}
    if single:
        clues.append((f"body class {min(single)}", 4))
    archive = classes & _ARCHIVE_CLASSES
    if archive:
        clues.append((f"body class {min(archive)}", -4))
    for name in sorted(classes & _FRONT_CLASSES):
        clues.append((f"body class {name}", -2))
    og_type = (md.first("og:type") or "").lower()
    if og_type == "article":
        clues.append(("og:type article", 2))
    elif og_type == "profile":
        clues.append(("og:type profile", -2))
    articles = md.of_type(ARTICLE_TYPES)
    if articles:
        # Three or more article nodes side by side are a list of teasers, not the page's story.
        clues.append((f"JSON-LD {len(articles)} articles", -1) if len(articles) > 2 else ("JSON-LD article", 4))
    listed = [t for t in _LISTING_TYPES if md.of_type(frozenset({t}))]
    if listed:
        clues.append((f"JSON-LD {listed[0]}", _LISTING_TYPES[listed[0]]))  # the strongest: dict order
    clue = _url_clue(absolute_url(md.canonical, url) or url)
    if clue:
        clues.append(clue)
    return clues


def _url_clue(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    path = parts.path
    if _SEARCH_QUERY.search(parts.query) or "search" in path.lower() and _QUERY_TERMS.search(parts.query):
        return "url search", -3
    if path.strip("/") == "" and not parts.query:
        return "url home", -3
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    if _LISTING_PATH.search(path) and len(_SLUG_WORD.findall(slug)) < STORY_SLUG_WORDS:
        return "url archive", -3
    if ("-" in slug or "_" in slug) and len(_SLUG_WORD.findall(slug)) >= 4 or _ARTICLE_ID.search(path) \
            or _ID_QUERY.search(parts.query):
        return "url permalink", 1
    return None


def _layout(root: etree._Element, md: Metadata) -> list[tuple[str, int]]:
    """What the page looks like, from one walk over its headings and paragraphs: its h1, its
    longest run of paragraphs, its linked teaser headings and "read more" links."""
    h1s: list[str] = []
    teasers = read_more = 0
    chars: dict = {}  # element -> characters of its own <p> children
    for el in root.iter("a", "h1", "h2", "h3", "h4", "p"):
        tag = el.tag
        if tag == "a":
            text = el.text or (el[0].text if len(el) else None)  # "Read more", or <a><span>Read more</span></a>
            read_more += text is not None and len(text) < 40 and _READ_MORE.search(text) is not None
        elif tag == "p":
            parent = el.getparent()
            chars[parent] = chars.get(parent, 0) + len(" ".join("".join(el.itertext()).split()))
        elif tag == "h1":
            h1s.append(clean("".join(el.itertext())))
        elif el.find(".//a") is not None or _in_link(el):
            teasers += 1
    clues = []
    long_h1s = list(dict.fromkeys(h for h in h1s if len(h) >= 15))  # responsive themes repeat the h1
    titled = next((h for h in long_h1s if _in_title(h, md)), None)
    if titled is not None and (titled == long_h1s[0] or len(long_h1s) >= 3):
        clues.append(("h1 = title", 2))  # widgets' h1s beside the story's own are no listing
    elif len(long_h1s) >= 3:
        clues.append((f"{len(long_h1s)} h1", -2))
    story = 0
    if chars:
        container = max(chars, key=chars.get)
        # Paragraphs between linked headings, one per few lines, are teasers' excerpts, not a story.
        if chars[container] >= 400 and _LINKED_HEADINGS(container) <= chars[container] // 400:
            story = chars[container]
            clues.append((f"story {story} chars", 3 if story >= 1000 else 2))
    teaser_weight = (-3 if teasers >= 20 else -2 if teasers >= 8 else 0) + (-2 if read_more >= 3 else 0)
    if teaser_weight:
        # Beside a story, teasers are the page's rails: they count for less.
        clues.append((f"{teasers} teaser headings, {read_more} read-more links", max(teaser_weight, -3) if story else teaser_weight))
    return clues


def _in_link(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and (parent.tag == "a" or parent.getparent() is not None and parent.getparent().tag == "a")


def _in_title(h1: str, md: Metadata) -> bool:
    """Whether the h1 is the page's title (the <title> often adds the site's name)."""
    h1 = h1.casefold()
    for title in (md.title, md.first("og:title")):
        title = clean(title).casefold()
        if title and (h1 in title or _main_title(title) in h1):
            return True
    return False


def _main_title(title: str) -> str:
    """The title before a " | Site name" suffix, when that part is long enough to say something."""
    main = re.split(r"\s[|–—-]\s", title)[0]
    return main if len(main) >= 15 else "\0"
