"""The selector engine (bbn_scraper/parsers/page.py) against lxml's CSSSelector: for every selector the
parser uses (all of the theme declarations) on every fixture page, `Page.select` and
`Page.iselect` give each alternative's lxml matches in turn, without repeats, and
`Page.first_group` the matches of the first alternative that has any; `Matcher` says yes to
exactly the elements lxml matches."""
from __future__ import annotations

from dataclasses import fields

import pytest
from lxml import etree
from lxml.cssselect import CSSSelector

from bbn_scraper.parsers.document import load_tree
from bbn_scraper.parsers.fields import DATED
from bbn_scraper.parsers.page import Matcher, Page
from bbn_scraper.parsers.themes import THEMES, Theme, selector
from tests.fixture_pages import fixture_pages

PAGES = {page.name: page for page in fixture_pages()}


def parser_selectors() -> dict[str, str]:
    """Every selector list the parser asks: each kind of the declarations (all themes in
    priority order, as the field functions ask it) and each FAQ widget's parts."""
    kinds = [f.name for f in fields(Theme) if f.type == "tuple[str, ...]"]
    found = {kind: selector(kind) for kind in kinds}
    found["published+date_text"] = DATED
    for theme in THEMES:
        for n, widget in enumerate(theme.faq_widgets):
            for part in ("box", "question", "answer"):
                if getattr(widget, part):
                    found[f"{theme.name.split()[0]}-faq{n}-{part}"] = getattr(widget, part)
    return found


SELECTORS = parser_selectors()


def _is_matcher_selector(selector_list: str) -> bool:
    try:
        Matcher(selector_list)
    except ValueError:
        return False
    return True


MATCHER_KINDS = sorted(kind for kind, s in SELECTORS.items() if _is_matcher_selector(s))


def lxml_alternatives(root, selector_list: str) -> list[list]:
    """lxml's matches of each alternative, in the order written."""
    return [CSSSelector(alternative.strip(), translator="html")(root) for alternative in selector_list.split(",")]


def without_repeats(groups: list[list]) -> list:
    seen, out = set(), []
    for group in groups:
        for el in group:
            if el not in seen:
                seen.add(el)
                out.append(el)
    return out


def paths(root, elements) -> list[str]:
    tree = root.getroottree()
    return [tree.getpath(el) for el in elements]


@pytest.fixture(scope="module", params=sorted(PAGES))
def page(request) -> Page:
    root, _ = load_tree(PAGES[request.param].html)
    return Page.index(root)


def test_the_parser_uses_selectors_of_every_kind():
    assert {"headline", "byline", "published", "content", "chrome", "related"} <= SELECTORS.keys()
    assert all(SELECTORS.values())


@pytest.mark.parametrize("kind", sorted(SELECTORS))
def test_select_is_lxml_alternative_by_alternative(page, kind):
    groups = lxml_alternatives(page.root, SELECTORS[kind])
    expected = paths(page.root, without_repeats(groups))
    assert paths(page.root, page.select(SELECTORS[kind])) == expected
    assert paths(page.root, page.iselect(SELECTORS[kind])) == expected
    first = next((group for group in groups if group), [])
    assert paths(page.root, page.first_group(SELECTORS[kind])) == paths(page.root, first)


def test_the_walks_have_matcher_selectors():
    assert {"chrome", "comment_thread"} <= set(MATCHER_KINDS)


@pytest.mark.parametrize("kind", MATCHER_KINDS)
def test_matcher_says_yes_to_what_lxml_matches(page, kind):
    matches = Matcher(SELECTORS[kind])
    expected = set(without_repeats(lxml_alternatives(page.root, SELECTORS[kind])))
    wrong = [el for el in page.root.iter(etree.Element) if matches(el) != (el in expected)]
    assert paths(page.root, wrong) == []


def test_alternatives_keep_the_order_written_not_document_order():
    root, _ = load_tree(b"<html><body><main role='main'><article><p>Story</p></article></main></body></html>")
    page = Page.index(root)
    assert [el.tag for el in page.select("article, main, [role=main]")] == ["article", "main"]
    assert [el.tag for el in page.select("main, article")] == ["main", "article"]
    assert [el.tag for el in page.iselect("p, article, main")] == ["p", "article", "main"]


def test_an_attribute_value_must_equal_exactly():
    root, _ = load_tree(b"<html><body><div itemprop='articleBody '>x</div><div itemprop=articleBody>y</div></body></html>")
    assert [el.text for el in Page.index(root).select("[itemprop=articleBody]")] == ["y"]
