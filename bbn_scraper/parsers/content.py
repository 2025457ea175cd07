"""Finding the element that holds the story, by theme markup first, then by text density."""
from __future__ import annotations

from lxml import etree

from bbn_scraper.parsers.page import Page
from bbn_scraper.parsers.text import element_text
from bbn_scraper.parsers.themes import GENERIC, THEMES, selector

_MIN_WORDS = 25
_THEME_CONTENT = ", ".join(s for theme in THEMES if theme is not GENERIC for s in theme.content)
_GENERIC_CONTENT = ", ".join(GENERIC.content)


def find_content(page: Page) -> tuple[etree._Element | None, str | None, str | None]:
    """The story's container, a note when it was only guessed, and how it was found: "theme"
    (a named theme's container), "generic" (.entry-content, itemprop=articleBody ...),
    "article" (<article>/<main>), "density"."""
    for kind, found in (("theme", _THEME_CONTENT), ("generic", _GENERIC_CONTENT)):
        for el in page.iselect(found):
            if _has_words(el) or _has_loose_words(el):
                return el, None, kind
    for el in page.iselect(selector("guessed_content")):
        if _has_words(el):
            return el, "content container guessed from <article>/<main>", "article"
    best = _densest(page.root)
    if best is not None:
        return best, "content container guessed by paragraph density", "density"
    return None, "no content container found", None


def _has_words(el: etree._Element) -> bool:
    """Whether the element's paragraphs hold at least _MIN_WORDS words (counting stops there)."""
    words = 0
    for p in el.iter("p"):
        words += len(element_text(p).split())
        if words >= _MIN_WORDS:
            return True
    return False


def _has_loose_words(el: etree._Element) -> bool:
    """Whether the element's own text and the text after its <br>s (a post written without
    <p>, as Blogger's editor does) hold at least _MIN_WORDS words."""
    words = len((el.text or "").split())
    for br in el.iter("br"):
        words += len((br.tail or "").split())
        if words >= _MIN_WORDS:
            return True
    return words >= _MIN_WORDS


def _densest(root: etree._Element) -> etree._Element | None:
    """The element whose own <p> children (and text after its own <br>s) hold the most text."""
    scores: dict = {}
    for el in root.iter("p", "br"):
        parent = el.getparent()
        if parent is not None:
            length = len(element_text(el)) if el.tag == "p" else len((el.tail or "").strip())
            scores[parent] = scores.get(parent, 0) + length
    if not scores:
        return None
    best = max(scores, key=scores.get)
    return best if scores[best] >= 200 else None
