"""parse_article: one BBN-style article page -> Article, or None for pages that are not one."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

from lxml import etree

from archive.model import Article, normalize_url
from bbn_scraper.parsers.agreement import Opinion, agree, looks_clean, trafilatura_text
from bbn_scraper.parsers.blocks import Block, blocks_html, iter_blocks, strip_chrome, text_blocks
from bbn_scraper.parsers.content import find_content
from bbn_scraper.parsers.document import load_tree
from bbn_scraper.parsers.faq import faqs_from_blocks, faqs_from_json_ld
from bbn_scraper.parsers.fields import FIELD_FUNCTIONS, Noted
from bbn_scraper.parsers.links import article_links, links_from_blocks, page_links, related_articles
from bbn_scraper.parsers.listing import page_kind
from bbn_scraper.parsers.metadata import Metadata, read_metadata
from bbn_scraper.parsers.page import Page
from bbn_scraper.parsers.sections import split_sections
from bbn_scraper.parsers.text import join_paragraphs, sanitize_html
from bbn_scraper.parsers.urls import absolute_url

# Bump when a change of the parser changes what it extracts: archived articles record it.
PARSER_VERSION = "7"

ARTICLE_FIELDS = fields(Article)


def parse_article(html: str | bytes, url: str) -> Article | None:
    """The article on the page at `url`, or None when the page is not one article (home,
    archives, search results, 404, empty). Never raises: a field that cannot be read is left
    empty and named in `warnings`."""
    return _parse(html, url, with_links=False)[0]


def parse_page(html: str | bytes, url: str) -> tuple[Article | None, list[str]]:
    """`parse_article` and the page's link targets (absolute http(s) URLs without fragment,
    in page order, each once), from one parse of the page: what a crawler needs of any page."""
    return _parse(html, url, with_links=True)


def _parse(html: str | bytes, url: str, with_links: bool) -> tuple[Article | None, list[str]]:
    """`parse_page`; the link list is left empty unless `with_links` (`parse_article` needs none)."""
    try:
        root, warnings = load_tree(html)
        if root is None:
            return None, []
        links = page_links(root, url) if with_links else []
        md = read_metadata(root, html)
        kind = page_kind(root, md, url)
        if kind.kind != "article":
            return None, links
        page = Page.index(root)
    except (etree.LxmlError, ValueError, RecursionError, MemoryError):
        return None, []
    warnings += md.warnings
    if kind.close:
        warnings.append(f"page kind a close call: {kind.reason}")
    article = Article(url=url, canonical_url=normalize_url(url), warnings=warnings)
    sources: dict[str, str] = {}
    _contained(article, "canonical_url", lambda: _canonical(article, md, url))
    _fill_fields(article, page, md, sources)
    _contained(article, "body", lambda: _fill_content(article, page, md, url, sources))
    if not article.headline and not article.body and not kind.declared:
        return None, links
    article.warnings.append(sources_note(sources))
    return article, links


def sources_note(sources: dict[str, str]) -> str:
    """The warning that records where each field was read: "sources: headline=h1 body=theme",
    in the model's field order."""
    return "sources: " + " ".join(f"{f.name}={sources[f.name]}" for f in ARTICLE_FIELDS if f.name in sources)


def _canonical(article: Article, md: Metadata, url: str) -> None:
    for source, value in (("link", md.canonical), ("og", md.first("og:url"))):
        absolute = absolute_url(value, url)
        if absolute:
            article.canonical_url, article.canonical_source = normalize_url(absolute), source
            return


def _fill_fields(article: Article, page: Page, md: Metadata, sources: dict[str, str]) -> None:
    """Every field with a registered field function, in the model's field order."""
    for f in ARTICLE_FIELDS:
        fn = FIELD_FUNCTIONS.get(f.name)
        if fn is not None:
            _contained(article, f.name, lambda: _set(article, f.name, fn(page, md, article), sources))


def _set(article: Article, name: str, result, sources: dict[str, str]) -> None:
    if isinstance(result, Noted):
        result, note, source = result
        if note:
            article.warnings.append(note)
        if source and result:
            sources[name] = source
    setattr(article, name, result)


def _fill_content(article: Article, page: Page, md: Metadata, url: str, sources: dict[str, str]) -> None:
    """Body, FAQ and link boxes from the story's container, checked against trafilatura's text
    (bbn_scraper.parsers.agreement): our paragraphs that agree stay; when ours are the wrong text, the body
    is trafilatura's."""
    article.related_articles = related_articles(page, url, article.canonical_url)
    content, note, source = find_content(page)
    if note:
        article.warnings.append(note)
    story: list[Block] = []
    if content is not None:
        strip_chrome(content)
        parts = split_sections(iter_blocks(content), article.headline)
        story = parts.story
        article.faqs = faqs_from_blocks(parts.faq)
        article.related_links = links_from_blocks(parts.more_about, url)
        also_like = article_links((a for b in parts.also_like for a in b.links()), url, article.canonical_url)
        article.related_articles = article.related_articles or also_like
        article.topic = parts.faq_topic or parts.more_topic
        if parts.faq_heading_seen and not article.faqs:
            article.warnings.append("FAQ heading found but no question in it")
    if article.faqs:
        sources["faqs"] = "page"
    elif faqs := faqs_from_json_ld(md):
        article.faqs, sources["faqs"] = faqs, "json-ld"
    if source != "theme" and not (source == "generic" and looks_clean(story, page.root)):
        scope = content.getparent() if source == "generic" else None  # the container and what is around it
        second = _second_opinion(article, scope if scope is not None else page.root, content)
        if second is not None:
            boxes = [f.question + "\n" + f.answer for f in article.faqs]
            boxes += [link.text for link in article.related_links + article.related_articles if link.text]
            opinion = Opinion.of(second, boxes)
            kept = agree([b.text for b in story], opinion, [_parent(b) for b in story])
            if kept is None:
                story, source = text_blocks(opinion.lines), "trafilatura"
            elif len(kept) < len(story):
                story, source = [story[i] for i in kept], f"{source}+trafilatura"
    article.body = join_paragraphs([b.text for b in story])
    article.body_html = sanitize_html(blocks_html(story), base=url)
    article.word_count = len(article.body.split())
    if article.body:
        sources["body"] = source
    else:
        article.warnings.append("no body text found")


def _second_opinion(article: Article, scope: etree._Element, story: etree._Element | None) -> str | None:
    """trafilatura's text of `scope`, our container `story` in it; None (and a warning) when it fails."""
    try:
        return trafilatura_text(scope, story)
    except Exception as exc:  # noqa: BLE001 - the library's failure costs only its opinion
        article.warnings.append(f"trafilatura failed ({type(exc).__name__}: {exc})")
        return None


def _contained(article: Article, name: str, step: Callable[[], None]) -> None:
    """Run one extraction step; a failure costs that field only and is named in warnings."""
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - one field's failure must not lose the others
        article.warnings.append(f"{name}: extraction failed ({type(exc).__name__}: {exc})")


def _parent(block: Block) -> etree._Element | None:
    """The element that holds a block (None for loose text)."""
    return block.element.getparent() if block.element is not None else None
