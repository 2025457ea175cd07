"""parse_article never raises, whatever it is fed: it returns None or an Article, and an Article's
warnings are a list of str. Inputs: arbitrary text and bytes, the fixture pages cut short, with tags
deleted or duplicated, with random bytes spliced in, deeply nested markup and huge attribute values.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.model import Article
from bbn_scraper.parsers import parse_article
from tests.fixture_pages import fixture_pages

PAGES = {page.name: (page.html, page.url) for page in fixture_pages()}
SEED, SEED_URL = PAGES["soledad_seed"]
URL = "https://bigbignews.net/2023/09/14/some-story/"
TAG = re.compile(rb"<[^<>]*>")
# Byte sequences that tend to upset HTML parsers and decoders.
NASTY = [b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3", b"\xed\xa0\x80", b"<!--", b"-->", b"<![CDATA[",
         b"]]>", b"<script>", b"</script>", b"<style>", b"</html>", b"<html lang='x\x00'>", b"&#0;",
         b"&#x110000;", b"&#xD800;", b"&", b"<", b">", b'"', b"<meta charset=utf-16>",
         b'<time datetime="9999-99-99T99:99">', b'<time datetime="0001-01-01T00:00:00-23:59">',
         b'<script type="application/ld+json">{"@graph": [', b'<script type="application/ld+json">[1, 2',
         b'<link rel="canonical" href="http://[::1">', b'<meta property="og:url" content="javascript:x">']

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
cases = st.sampled_from(sorted(PAGES))


def check(html, url: str = URL) -> None:
    result = parse_article(html, url)
    assert result is None or isinstance(result, Article), type(result)
    if result is not None:
        assert isinstance(result.warnings, list), result.warnings
        assert all(isinstance(w, str) for w in result.warnings), result.warnings


@SETTINGS
@given(st.text())
def test_arbitrary_text(text):
    check(text)


@SETTINGS
@given(st.binary())
def test_arbitrary_bytes(data):
    check(data)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' &;#!-abdiptv\n")), max_size=400))
def test_tag_soup(text):
    check(text)


@SETTINGS
@given(cases, st.data())
def test_truncated_fixture(case, data):
    html, url = PAGES[case]
    check(html[: data.draw(st.integers(0, len(html)), label="cut")], url)


@SETTINGS
@given(cases, st.data())
def test_fixture_with_tags_deleted_or_duplicated(case, data):
    html, url = PAGES[case]
    spans = [m.span() for m in TAG.finditer(html)]
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(spans) - 1), st.booleans()),
                               min_size=1, max_size=30), label="edits")
    for index, duplicate in sorted(set(edits), reverse=True):  # from the end: offsets stay valid
        start, end = spans[index]
        html = html[:end] + html[start:end] + html[end:] if duplicate else html[:start] + html[end:]
    check(html, url)


@SETTINGS
@given(cases, st.data())
def test_fixture_with_bytes_spliced_in(case, data):
    html, url = PAGES[case]
    splices = data.draw(st.lists(st.tuples(st.integers(0, len(html)),
                                           st.one_of(st.binary(min_size=1, max_size=64), st.sampled_from(NASTY))),
                                 min_size=1, max_size=8), label="splices")
    for position, chunk in sorted(splices, reverse=True):
        html = html[:position] + chunk + html[position:]
    check(html, url)


DEPTH = 5000


@pytest.mark.parametrize("html", [
    "<div>" * DEPTH + "deep" + "</div>" * DEPTH,
    "<html><body><article><h1>Deep</h1>" + "<div>" * DEPTH + "<p>Deep story.</p>" + "</div>" * DEPTH,
    "<p><b><i>" * DEPTH + "unclosed",
    "<span>" * DEPTH,
    "<table><tr><td>" * 1000 + "cell",
    "<ul><li>" * DEPTH + "item",
    "<details><summary>Q?</summary>" * 2000,
], ids=["divs", "divs-in-article", "unclosed-inline", "spans", "tables", "lists", "details"])
def test_deeply_nested_markup(html):
    check(html)


def test_deeply_nested_story_in_a_real_page():
    marker = b'id="penci-post-entry-inner">'
    assert marker in SEED
    check(SEED.replace(marker, marker + b"<div>" * DEPTH, 1).replace(
        b'<div class="penci-single-link-pages">', b"</div>" * DEPTH + b'<div class="penci-single-link-pages">', 1),
        SEED_URL)


HUGE = 4_000_000


@pytest.mark.parametrize("old, new", [
    (b'<article id="post-98765" class="', b'<article id="post-98765" class="' + b"x " * (HUGE // 2)),
    (b'<meta property="og:image" content="', b'<meta property="og:image" content="https://bigbignews.net/' + b"a" * HUGE),
    (b'<meta name="description" content="', b'<meta name="description" content="' + b"word " * (HUGE // 5)),
    (b'<link rel="canonical" href="', b'<link rel="canonical" href="https://bigbignews.net/?q=' + b"%20" * (HUGE // 3)),
    (b'<time class="entry-date published" datetime="', b'<time class="entry-date published" datetime="' + b"2023" * (HUGE // 4)),
    (b'<li><a href="', b'<li><a href="/' + b"x" * HUGE + b'"></a><a href="'),
    (b'<h1 class="', b'<h1 data-x="' + b"&amp;" * (HUGE // 5) + b'" class="'),
    (b'"headline":"', b'"headline":"' + b"\\u00e9" * (HUGE // 6)),
], ids=["class", "og-image", "description", "canonical", "datetime", "href", "entities", "json-ld"])
def test_huge_attribute_values(old, new):
    assert old in SEED
    check(SEED.replace(old, new, 1), SEED_URL)
