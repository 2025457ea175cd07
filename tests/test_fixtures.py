"""Golden-file tests of the article parser.

Every folder tests/fixtures/<case>/ holds a hand-written page (input.html) and the item a correct
parser must make of it (expected.json, written by hand: the ground truth). An article's expected.json
has the url and any of the other keys of `Article.to_dict()`, in the model's order; a key left out is
not checked (so a new field needs expected values only in the fixtures that show it). A page that is
not an article (home page, archives, search, 404) has `{"url": ..., "article": false}`.

Every key of expected.json is compared, a null one too (it must come out as None). `published` and
`modified` are compared as points in time: "2023-08-30T11:05:00-07:00" equals
"2023-08-30T18:05:00+00:00" (a page may spell one instant with either offset), but a naive value never
equals an aware one. tests/regenerate_expected.py fills the parser-derived keys (body_html,
word_count, warnings) and shows where the parser disagrees with the hand-written values.
"""
from __future__ import annotations

import dataclasses
import difflib
from datetime import datetime

import pytest

from archive.model import Article
from tests.fixture_pages import FIXTURES, fixture_page, fixture_pages

CASES = [page.name for page in fixture_pages()]
ARTICLE_KEYS = [f.name for f in dataclasses.fields(Article)]
DATETIME_KEYS = ("published", "modified")
# Site chrome of the BBN seed page: never part of an article's body.
CHROME = ("Leave a Comment", "Editors' Picks", "Latest News", "You may also like", "© 2023",
          "Frequently Asked Questions")


def parse(html: bytes, url: str):
    # Imported here, not at module level: a missing or broken parser fails these tests one by one
    # instead of breaking the collection of the whole file.
    from bbn_scraper.parsers import parse_article

    return parse_article(html, url)


def same(key: str, expected, actual) -> bool:
    """Whether one field agrees; datetimes as instants (and both naive or both aware)."""
    if key in DATETIME_KEYS and isinstance(expected, str) and isinstance(actual, str):
        try:
            e, a = datetime.fromisoformat(expected), datetime.fromisoformat(actual)
        except ValueError:
            return expected == actual
        return (e.tzinfo is None) == (a.tzinfo is None) and e == a
    return expected == actual


def describe(key: str, expected, actual) -> str:
    """A readable account of one differing field: a paragraph diff for multi-paragraph text."""
    if isinstance(expected, str) and isinstance(actual, str) and "\n" in expected + actual:
        diff = difflib.unified_diff(expected.split("\n\n"), actual.split("\n\n"),
                                    "expected", "actual", lineterm="", n=0)
        return f"{key}: paragraphs differ\n    " + "\n    ".join(diff)
    return f"{key}:\n    expected {expected!r}\n    actual   {actual!r}"


def differences(expected: dict, actual: dict) -> list[str]:
    """Each field of `expected` that `actual` does not match; a field left out of `expected` is
    not checked, but the url must be there."""
    if "url" not in expected:
        return ["url: expected.json must give the page's url"]
    missing = object()
    return [describe(key, expected[key], actual.get(key, missing))
            for key in expected if not same(key, expected[key], actual.get(key, missing))]


def test_differences_check_the_keys_present_and_only_those():
    actual = {"url": "https://x.example/a", "headline": "Hello", "byline": "Jo"}
    assert differences({"url": "https://x.example/a", "headline": "Hello"}, actual) == []
    assert differences({"url": "https://x.example/a", "headline": "Bye"}, actual)[0].startswith("headline")
    assert differences({"url": "https://x.example/a", "keywords": []}, actual)[0].startswith("keywords")
    assert differences({"headline": "Hello"}, actual)[0].startswith("url")


@pytest.mark.parametrize("case", CASES)
def test_fixture(case):
    page = fixture_page(case)
    html, expected = page.html, page.expected
    assert "url" in expected, f"{case}: expected.json has no url"
    item = parse(html, expected["url"])
    if expected.get("article") is False:
        assert item is None, f"{case} is not an article, yet the parser made one: {item.headline!r}"
        return
    assert item is not None, f"{case}: the parser returned None for an article page"
    problems = differences(expected, item.to_dict())
    assert not problems, f"{case}: {len(problems)} field(s) differ\n  " + "\n  ".join(problems)


def test_enough_cases():
    assert len(CASES) >= 15, CASES


@pytest.mark.parametrize("case", CASES)
def test_expected_file_is_well_formed(case):
    """The hand-written files themselves: right keys, right types (no parser involved)."""
    expected = fixture_page(case).expected
    if expected.get("article") is False:
        assert set(expected) == {"url", "article"}
        return
    assert "url" in expected
    assert list(expected) == [key for key in ARTICLE_KEYS if key in expected], "unknown or misordered keys"
    assert expected.get("canonical_source", "url") in ("link", "og", "url")
    for key in DATETIME_KEYS:
        if expected.get(key) is not None:
            datetime.fromisoformat(expected[key])
    assert all(set(f) == {"question", "answer"} for f in expected.get("faqs", []))
    for link in expected.get("related_links", []) + expected.get("related_articles", []):
        assert set(link) == {"text", "url"} and link["url"].startswith(("http://", "https://"))


def seed_story_paragraphs() -> list[str]:
    """The news paragraphs of the seed page's text: after the byline block, before the FAQ."""
    text = (FIXTURES / "soledad_seed" / "seed.txt").read_text(encoding="utf-8")
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    start = next(i for i, b in enumerate(blocks) if b.startswith("by ")) + 1
    end = next(i for i, b in enumerate(blocks) if b.startswith("Frequently Asked Questions"))
    return blocks[start:end]


def test_seed_body_is_the_story_and_nothing_else():
    seed = fixture_page("soledad_seed")
    html, expected = seed.html, seed.expected
    story = seed_story_paragraphs()
    assert len(story) == 14 and story[-1].startswith("Contributions were made by")
    item = parse(html, expected["url"])
    assert item is not None
    paragraphs = item.body.split("\n\n")
    missing = [p for p in story if p not in paragraphs]
    assert not missing, f"{len(missing)} story paragraph(s) missing from the body, first: {missing[0]!r}"
    flat = " ".join(item.body.split())  # the footer's "©&nbsp;2023" must not slip through as "©\xa02023"
    chrome = [c for c in CHROME if c in flat]
    assert not chrome, f"site chrome in the body: {chrome}"
