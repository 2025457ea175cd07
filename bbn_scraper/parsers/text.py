"""Text cleaning: whitespace, entities, paragraphs, the text of an element."""
from __future__ import annotations

import re

import nh3

from lxml import etree

from bbn_scraper.parsers.words import compile_words

BYLINE_PREFIX = compile_words(r"^\s*{prefix}(?:\s*:\s*|\s+|$)", prefix="byline")
# A credit that is not the author's ("…, Photos: Name") ends the byline.
_CREDIT = compile_words(r"[\s,;|/·•–—-]*(?<!\w){credit}.*$", credit="credit")
_INVISIBLE = frozenset({"script", "style", "noscript", "template"})
# Removed from text: C0 and C1 controls (terminal escape sequences start with them) and the
# bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what a
# terminal or a spreadsheet shows. Newline and tab are whitespace, collapsed like the rest.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str | None) -> str:
    """Whitespace collapsed to single spaces and trimmed; entities are already decoded by lxml.
    Whitespace is what str.isspace() says (as for `\\s`), plus zero-width and BOM spaces;
    control characters and bidi overrides are removed (`_CONTROLS`)."""
    if not text:
        return ""
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    text = " ".join(text.split())
    if not text.isprintable():  # rare: a control, a bidi mark, a soft hyphen...
        text = " ".join(_CONTROLS.sub("", text).split())
    return text


def strip_controls(text: str) -> str:
    """`text` without the control characters and bidi overrides of `_CONTROLS`."""
    return _CONTROLS.sub("", text)


def element_text(el: etree._Element) -> str:
    """The visible text of an element in document order, whitespace collapsed; <br> counts as
    a space and script/style contents and comments are ignored."""
    if not len(el):
        return clean(el.text) if isinstance(el.tag, str) and el.tag not in _INVISIBLE else ""
    parts: list[str] = []
    deferred: dict = {}  # the tail of an element with children waits for its last descendant
    for node in el.iter():
        tag = node.tag
        if isinstance(tag, str) and tag not in _INVISIBLE:
            if tag == "br":
                parts.append(" ")
            if node.text:
                parts.append(node.text)
        if node is el:
            continue
        if len(node):
            if node.tail:
                last = node[-1]
                while len(last):
                    last = last[-1]
                deferred.setdefault(last, []).append(node.tail)
            continue
        if node.tail:
            parts.append(node.tail)
        if deferred and node in deferred:
            parts.extend(reversed(deferred.pop(node)))  # innermost first
    return clean("".join(parts))


def strip_byline_prefix(text: str) -> str:
    """"by Jane Doe" -> "Jane Doe", in every language of `bbn_scraper.parsers.words` ("Von", "par", "Text:");
    a photo credit after the name is dropped."""
    return clean(_CREDIT.sub("", BYLINE_PREFIX.sub("", text, count=1), count=1))


_AUTHOR_SPLIT = compile_words(r"\s*(?:,\s*{conj}\s+|,|;|\s{conj}\s|&|\|)\s*", conj="conjunction")


def split_authors(byline: str) -> list[str]:
    """One name per author: "A, B and C" -> ["A", "B", "C"]; "A und B", "A et B", "A y B"."""
    names = [clean(n) for n in _AUTHOR_SPLIT.split(byline)]
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs separated by a blank line."""
    return "\n\n".join(p for p in paragraphs if p)


SAFE_TAGS = frozenset({
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
    "a", "em", "strong", "b", "i", "u", "s", "sub", "sup", "br", "q", "cite", "abbr", "mark", "small",
})


def sanitize_html(html: str, base: str) -> str:
    """HTML reduced to text markup with nh3: no script, style, iframe, event handlers,
    styles or javascript: URLs; links keep only http(s) and mailto targets, made absolute."""
    return nh3.clean(
        strip_controls(html),
        tags=set(SAFE_TAGS),
        clean_content_tags={"script", "style", "noscript", "template", "iframe", "object", "svg", "math"},
        attributes={"a": {"href", "title"}, "abbr": {"title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        url_relative=("rewrite_with_base", base),
    )
