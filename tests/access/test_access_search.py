"""Archive.search against the sample site's manifest: ranking, FAQ-only matches, stemming,
filters, limits and queries that would be FTS5 syntax errors if passed through."""
from __future__ import annotations

import re

import pytest

from tests.helpers import article_text, has_word
from archive import BadQuery
from archive.query import fts_query

# A word of every sample article, so a search for it with a filter returns what the filter selects.
EVERYWHERE = "the"


def urls(results) -> list[str]:
    return [r.url for r in results]


def test_every_article_is_found_first_by_its_unique_word(sample_archive, sample_crawl):
    for article in sample_crawl.articles:
        results = sample_archive.search(article["unique_word"])
        assert urls(results) == [article["canonical_url"]], article["unique_word"]


def test_a_result_carries_the_article_fields_and_a_highlighted_snippet(sample_archive, sample_crawl):
    article = sample_crawl.articles[0]
    [result] = sample_archive.search(article["unique_word"])
    assert (result.headline, result.published, result.section, result.authors) == (
        article["headline"], article["published"], article["section"], article["authors"])
    assert f"[{article['unique_word']}]" in result.snippet
    assert "article" in result.matched
    assert result.rank < 0  # bm25: lower is better


def test_custom_markers_wrap_the_match(sample_archive, sample_crawl):
    word = sample_crawl.articles[1]["unique_word"]
    [result] = sample_archive.search(word, markers=("<b>", "</b>"))
    assert f"<b>{word}</b>" in result.snippet


def test_a_word_only_in_one_faq_answer_finds_that_article(sample_archive, sample_crawl):
    faq_only = sample_crawl.manifest["faq_only_word"]
    expected = next(a for a in sample_crawl.articles if a["path"] == faq_only["article_path"])
    assert not has_word({**expected, "faqs": []}, faq_only["word"])  # the premise: not in the text
    [result] = sample_archive.search(faq_only["word"])
    assert result.url == expected["canonical_url"]
    assert result.matched == ["faq"]
    assert f"[{faq_only['word']}]" in result.snippet.lower()


def test_search_is_stemmed_a_plural_finds_the_singular(sample_archive, sample_crawl):
    for article in sample_crawl.articles[:5]:
        plural = article["unique_word"] + "s"
        assert not any(has_word(a, plural) for a in sample_crawl.articles)
        assert urls(sample_archive.search(plural)) == [article["canonical_url"]]


def test_a_trailing_star_is_a_prefix_search(sample_archive, sample_crawl):
    article = sample_crawl.articles[2]
    prefix = article["unique_word"][:5]
    assert not has_word(article, prefix)
    assert article["canonical_url"] not in urls(sample_archive.search(prefix, limit=None))
    assert article["canonical_url"] in urls(sample_archive.search(prefix + "*", limit=None))


def test_a_quoted_phrase_must_appear_in_order(sample_archive, sample_crawl):
    article = next(a for a in sample_crawl.articles if re.search(rf"{a['unique_word']} (\w+)", a["body"]))
    word, following = re.search(rf"({article['unique_word']}) (\w+)", article["body"]).groups()
    assert article["canonical_url"] in urls(sample_archive.search(f'"{word} {following}"'))
    assert f"{following} {word}".lower() not in article_text(article)
    assert article["canonical_url"] not in urls(sample_archive.search(f'"{following} {word}"'))


def test_the_full_headline_ranks_its_article_first(sample_archive, sample_crawl):
    for article in sample_crawl.articles[::6]:
        results = sample_archive.search(article["headline"], limit=None)
        assert results[0].url == article["canonical_url"], article["headline"]
        assert [r.rank for r in results] == sorted(r.rank for r in results)


def test_filters_select_what_the_manifest_says(sample_archive, sample_crawl):
    assert all(has_word(a, EVERYWHERE) for a in sample_crawl.articles)
    author = sample_crawl.articles[0]["authors"][0]
    section = sample_crawl.articles[0]["section"]
    tag = max((t for a in sample_crawl.articles for t in a["tags"]),
              key=lambda t: sum(t in a["tags"] for a in sample_crawl.articles))
    cases = [
        ({"author": author.upper()}, lambda a: author in a["authors"]),
        ({"section": section.lower()}, lambda a: a["section"] == section),
        ({"tag": tag}, lambda a: tag in a["tags"]),
        ({"author": author, "section": section}, lambda a: author in a["authors"] and a["section"] == section),
    ]
    for filters, wanted in cases:
        expected = {a["canonical_url"] for a in sample_crawl.articles if wanted(a)}
        assert expected, filters
        assert set(urls(sample_archive.search(EVERYWHERE, limit=None, **filters))) == expected, filters


def test_since_and_until_bound_the_published_date_inclusively(sample_archive, sample_crawl):
    dates = sorted(a["published"][:10] for a in sample_crawl.articles)
    since, until = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    cases = [
        ({"since": since}, lambda d: d >= since),
        ({"until": until}, lambda d: d <= until),
        ({"since": since, "until": until}, lambda d: since <= d <= until),
        ({"since": since, "until": since}, lambda d: d == since),
        ({"since": since[:7], "until": since[:7]}, lambda d: d[:7] == since[:7]),  # a month
    ]
    for filters, wanted in cases:
        expected = {a["canonical_url"] for a in sample_crawl.articles if wanted(a["published"][:10])}
        assert set(urls(sample_archive.search(EVERYWHERE, limit=None, **filters))) == expected, filters


def test_dates_in_other_spellings_are_read_by_dateutil(sample_archive):
    iso = sample_archive.search(EVERYWHERE, since="2023-09-10", until="2023-09-20", limit=None)
    spelled = sample_archive.search(EVERYWHERE, since="10 September 2023", until="Sep 20, 2023", limit=None)
    assert urls(iso) and urls(iso) == urls(spelled)


def test_date_order_is_newest_first_and_limit_keeps_the_newest(sample_archive, sample_crawl):
    ranked = sample_archive.search(EVERYWHERE, limit=None)
    newest = sorted(ranked, key=lambda r: (r.published, r.id), reverse=True)
    assert urls(sample_archive.search(EVERYWHERE, limit=None, order="date")) == urls(newest)
    assert urls(sample_archive.search(EVERYWHERE, limit=3, order="date")) == urls(newest[:3])
    assert len(ranked) == len(sample_crawl.articles)
    with pytest.raises(BadQuery):
        sample_archive.search(EVERYWHERE, order="newest")


def test_limit_keeps_the_best_results(sample_archive):
    everything = sample_archive.search(EVERYWHERE, limit=None)
    assert len(everything) > 3
    assert urls(sample_archive.search(EVERYWHERE, limit=3)) == urls(everything)[:3]


@pytest.mark.parametrize("date", ["12", "Sep 21", "21 September"])
def test_a_date_without_a_year_is_refused_for_since_and_until_alike(sample_archive, date):
    """'12' was January 12 of this year as --since, December 12 as --until."""
    for bound in ("since", "until"):
        with pytest.raises(BadQuery, match=f"bad date '{date}': it has no year"):
            sample_archive.search(EVERYWHERE, **{bound: date})


def test_a_long_bad_date_is_quoted_short(sample_archive):
    with pytest.raises(BadQuery) as raised:
        sample_archive.search(EVERYWHERE, since="x" * 100_000)
    assert len(str(raised.value)) < 200


@pytest.mark.parametrize("query", ["", "   ", "(", '""', "* ) -"])
def test_a_query_without_words_is_a_bad_query(sample_archive, query):
    with pytest.raises(BadQuery, match="empty query"):
        sample_archive.search(query)


@pytest.mark.parametrize("date", ["yesterday-ish", "2023-13-45", "not a date"])
def test_a_bad_date_is_a_bad_query(sample_archive, date):
    with pytest.raises(BadQuery, match="bad date"):
        sample_archive.search(EVERYWHERE, since=date)


@pytest.mark.parametrize("query", [
    'it\'s "quoted', "AND OR (", "NEAR(the officials, 3)", "headline:officials", "the -officials",
    "officials^", '"unbalanced phrase', "officials AND", "*officials", "{headline body}: officials",
    "café ‘quotes’ — dash", "officials NOT", 'say "" nothing',
])
def test_hostile_queries_never_raise_sqlite_errors(sample_archive, query):
    assert isinstance(sample_archive.search(query), list)


def test_operators_are_searched_as_words(sample_archive):
    assert fts_query('AND NOT ( it\'s "a phrase"* pre*') == '"AND" AND "NOT" AND "it\'s" AND "a phrase"* AND "pre"*'
    assert urls(sample_archive.search("officials AND")) == urls(sample_archive.search("officials and"))
