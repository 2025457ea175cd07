"""archive.search_syntax: the search syntax (phrases, OR, -word, prefix*) parsed into an FTS5
query that is never a syntax error, whatever the text; and what each form finds, on a small
FTS5 table with the archive's tokenizer (porter)."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.errors import BadQuery
from archive.query import safe_match
from archive.search_syntax import fts_query, parse

DOCS = {
    1: "floods hit the river town",
    2: "new bridges over the river",
    3: "floods or bridges",
    4: "the council met on Monday",
    5: "river of floods near the bridge column",
}


@pytest.fixture(scope="module")
def fts():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(body, tokenize='porter')")
    conn.executemany("INSERT INTO docs (rowid, body) VALUES (?, ?)", DOCS.items())
    yield conn
    conn.close()


def found(fts, text: str) -> set[int]:
    return {r[0] for r in fts.execute("SELECT rowid FROM docs WHERE docs MATCH ?", [fts_query(text)])}


@pytest.mark.parametrize("text, expected", [
    ("floods bridges", {3, 5}),  # every word required (porter: bridge = bridges)
    ("floods OR bridges", {1, 2, 3, 5}),
    ("floods OR council", {1, 3, 4, 5}),
    ("river -floods", {2}),
    ('river -"the river"', {5}),
    ('"river town"', {1}),
    ('"town river"', set()),  # a phrase in its order
    ("flood*", {1, 3, 5}),
    ("floods or bridges", {3}),  # lower-case or is a word, required like the others
    ("OR floods", {1, 3, 5}),  # a leading, trailing or doubled OR is dropped
    ("floods OR OR", {1, 3, 5}),
    ("river floods OR council", {1, 5}),  # OR binds the terms either side: river AND (floods OR council)
])
def test_what_each_form_finds(fts, text, expected):
    assert found(fts, text) == expected


@pytest.mark.parametrize("text", [
    '"', '""', '"""', '"unbalanced phrase', 'unbalanced" phrase', "NEAR(floods bridges, 3)", "NEAR/2 floods",
    "body:floods", "{body}: floods", "-body:floods river", "^floods", "floods^", "*", "*floods", "floods**",
    "AND", "NOT floods", "floods NOT", "floods AND", "(floods", "floods)", "(", ")", "- -", "--floods", "-", "+floods",
    "floods OR -bridges", "-floods OR bridges", "OR", "OR OR", "'; DROP TABLE docs; --", "\x00floods", "floods\u2028town",
    "col:", ":", "a:b:c", "\\", "floods\\", "'", "`", "ṻ", "🌊 floods", "@@@", "floods * bridges", '"a" "b"*', '"*"',
])
def test_hostile_text_never_an_fts5_error(fts, text):
    try:
        query = fts_query(text)
    except BadQuery:
        query = safe_match(text)
        assert query == '""'
    fts.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", [query]).fetchone()


def test_what_hostile_text_means(fts):
    assert found(fts, "body:floods") == set()  # not a column filter (that would find 1, 3, 5): the phrase "body floods"
    assert parse("body:floods").required[0][0].text == "body:floods"
    assert found(fts, "NEAR(floods bridges)") == found(fts, '"near floods" bridges') == set()  # the operator: 3, 5
    assert found(fts, '"river floods') == found(fts, "river floods") == {1, 5}  # the lone quote dropped
    assert found(fts, "^floods") == found(fts, "floods")  # no initial-token anchor
    assert found(fts, "NOT floods") == found(fts, "not floods")  # NOT is a word


@pytest.mark.parametrize("text", ["-floods", "-floods -bridges", '-"a phrase"', "OR", "- * ^ :", ""])
def test_nothing_to_require_is_a_bad_query(text):
    with pytest.raises(BadQuery, match="give at least one word"):
        fts_query(text)
    assert safe_match(text) == '""'


def test_the_query_written():
    assert fts_query("floods OR bridges -closed") == '("floods" OR "bridges") NOT ("closed")'
    assert fts_query('"a phrase"* word') == '"a phrase"* AND "word"'
    assert fts_query('say "it\'s" "') == '"say" AND "it\'s"'


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('ab "-*^:()\\\'{}+,./é\x00') + ["OR", "NOT", "NEAR", "AND", " OR ", "-"]), max_size=20).map("".join))
def test_any_text_is_a_valid_query_or_a_bad_query(fts, text):
    try:
        query = fts_query(text)
    except BadQuery:
        return
    fts.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", [query]).fetchone()


def test_a_search_is_bounded_in_words_and_prefixes():
    """What an index answers in bounded time: at most MAX_WORDS words in all (phrases and OR
    terms included), and no one-character prefix (each reads most of the index)."""
    from archive.search_syntax import MAX_WORDS

    fts_query(" ".join(["the"] * MAX_WORDS))
    fts_query("ab* OR cd*")
    for text in (f'"{" ".join(["the"] * MAX_WORDS)}" more', " OR ".join(["word"] * (MAX_WORDS + 1)), "a* floods", "floods -b*"):
        with pytest.raises(BadQuery):
            fts_query(text)
