"""The reading room (bbn_scraper/app/datasette/reading_room.py) in process: an article's reading view holds
what the sample site published, its versions' diff what edition 2 changed, the stored page is
served sandboxed, search ranks like the archive's own search and no text breaks any search box,
and the articles table puts the reader's columns first."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from lxml import html as lxml_html

from bbn_scraper.app.datasette.reading import Change, highlight, text_changes, version_diffs
from archive import Archive
from tests.helpers import rows as sql_rows


def doc(response):
    return lxml_html.fromstring(response.text)


def texts(tree, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in tree.xpath(xpath)]


def article_id(db, canonical_url: str) -> int:
    return sql_rows(db, "SELECT id FROM articles WHERE canonical_url = ?", [canonical_url])[0]["id"]


def test_article_page_shows_what_was_published(two_edition_crawl, datasette_client):
    db, name = two_edition_crawl["db"], datasette_client.name
    article = next(a for a in two_edition_crawl["manifest"]["articles"] if a["faqs"] and a["related_links"]
                   and len(a["tags"]) > 1)
    tree = doc(datasette_client.get(f"/{name}/-/article/{article_id(db, article['canonical_url'])}"))
    assert texts(tree, "//article//h1") == [article["headline"]]
    assert texts(tree, "//a[@class='bbn-author']") == article["authors"]
    assert tree.xpath("//a[@class='bbn-author']/@href")[0] == f"/{name}/articles?_m2m_article_authors={quote(article['authors'][0]).replace('%20', '+')}"
    assert texts(tree, "//a[@class='bbn-section']") == [article["section"]]
    assert texts(tree, "//a[@class='bbn-tag']") == article["tags"]
    assert texts(tree, "//div[@class='bbn-body']/p") == [" ".join(p.split()) for p in article["body_paragraphs"]]
    assert texts(tree, "//section[@class='bbn-faq']//dt") == [f["question"] for f in article["faqs"]]
    assert [" ".join(texts(dd, "p")) for dd in tree.xpath("//section[@class='bbn-faq']//dd")] == [
        " ".join(f["answer"].split()) for f in article["faqs"]]
    link_texts = texts(tree, "//section[@class='bbn-links']//a")
    assert all(link["text"] in link_texts for link in article["related_links"] + article["related_articles"])
    urls = [r["url"] for r in sql_rows(db, "SELECT url FROM article_urls WHERE article_id = ? ORDER BY id",
                                       [article_id(db, article["canonical_url"])])]
    assert texts(tree, "//section[@class='bbn-urls']//li/code") == urls and len(urls) >= 1
    # links to archived articles open their reading view
    archived = [h for h in tree.xpath("//section[@class='bbn-links']//a/@href") if "/-/article/" in h]
    assert archived and all(datasette_client.get(h).status_code == 200 for h in archived)


def test_versions_diff_shows_what_edition_2_changed(two_edition_crawl, datasette_client):
    db, name = two_edition_crawl["db"], datasette_client.name
    old = {a["path"]: a for a in two_edition_crawl["manifest1"]["articles"]}
    changed = [a for a in two_edition_crawl["manifest"]["articles"] if a["changes_in_edition_2"]]
    assert changed
    for article in changed:
        before = [" ".join(p.split()) for p in old[article["path"]]["body_paragraphs"]]
        after = [" ".join(p.split()) for p in article["body_paragraphs"]]
        tree = doc(datasette_client.get(f"/{name}/-/article/{article_id(db, article['canonical_url'])}"))
        assert texts(tree, "//div[@class='bbn-diff']/h3")[0].startswith("Version 1 → 2")
        inserted = " ".join(texts(tree, "//div[@class='bbn-diff']//ins"))
        deleted = " ".join(texts(tree, "//div[@class='bbn-diff']//del"))
        for paragraph in (p for p in after if p not in before):
            assert paragraph.split()[-1] in inserted, article["path"]
        for paragraph in (p for p in before if p not in after):
            assert paragraph.split()[-1] in deleted, article["path"]
    unchanged = next(a for a in two_edition_crawl["manifest"]["articles"] if not a["changes_in_edition_2"])
    tree = doc(datasette_client.get(f"/{name}/-/article/{article_id(db, unchanged['canonical_url'])}"))
    assert not tree.xpath("//div[@class='bbn-diff']")
    assert "One version" in texts(tree, "//section[@class='bbn-versions']")[0]


def test_an_article_row_page_leads_to_its_reading_view(datasette_client):
    name = datasette_client.name
    tree = doc(datasette_client.get(f"/{name}/articles/3"))
    assert tree.xpath("//p[@class='bbn-read']/a/@href") == [f"/{name}/-/article/3"]
    assert not doc(datasette_client.get(f"/{name}/authors/1")).xpath("//p[@class='bbn-read']")


def test_unknown_article_or_page_is_a_404(datasette_client):
    datasette_client.get(f"/{datasette_client.name}/-/article/999999", status=404)
    datasette_client.get(f"/{datasette_client.name}/-/page/999999", status=404)
    datasette_client.get("/nosuchdb/-/article/1", status=404)


def test_stored_page_is_served_sandboxed(two_edition_crawl, datasette_client):
    db, name = two_edition_crawl["db"], datasette_client.name
    article = two_edition_crawl["manifest"]["articles"][0]
    tree = doc(datasette_client.get(f"/{name}/-/article/{article_id(db, article['canonical_url'])}"))
    (href,) = tree.xpath("//a[@class='bbn-raw']/@href")
    response = datasette_client.get(href)
    policy = [p.strip() for p in response.headers["content-security-policy"].split(";")]
    assert "sandbox" in policy and "default-src 'none'" in policy
    with Archive(db) as arc:
        assert response.content == arc.page_body(int(href.rsplit("/", 1)[1]))
    assert article["headline"].encode() in response.content


HOSTILE = ['"', '""', "AND", "OR", "NOT", "*", "NEAR(", "NEAR(a b", "(", ")", "a OR", "-", "^", ":",
           "headline:", "'", "\\", "“", "a\"b", '"unbalanced OR', "*a*", "{}", "   "]
SEARCH_PAGES = ["articles?_search={}", "articles_full?_search={}", "faqs?_search={}", "faq_pairs?_search={}",
                "faq_search?q={}", "-/search?q={}", "-/search?q={}&in=faqs", "-/search?q={}&order=date",
                "articles?_search_headline={}"]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_text_breaks_a_search_box(datasette_client, text):
    for page in SEARCH_PAGES:
        response = datasette_client.get(f"/{datasette_client.name}/{page.format(quote(text))}")
        assert "Invalid SQL" not in response.text and "fts5" not in response.text, page


def test_table_search_keeps_phrases_and_prefixes(two_edition_crawl, datasette_client):
    article = two_edition_crawl["manifest"]["articles"][3]
    name, prefix = datasette_client.name, article["unique_word"][:-2] + "*"
    rows = datasette_client.rows(f"/{name}/articles?_search={quote(prefix)}&_col=headline")
    assert [r["headline"] for r in rows] == [article["headline"]]
    phrase = " ".join(article["headline"].split()[1:3])
    rows = datasette_client.rows(f"/{name}/articles_full?_search={quote(chr(34) + phrase + chr(34))}")
    assert article["headline"] in [r["headline"] for r in rows]
    assert all(phrase.lower() in (r["headline"] + " " + (r["summary"] or "") + " " + r["body"]).lower().replace("\n", " ")
               for r in rows)


@pytest.mark.parametrize("text", ['"', "NEAR(", "nosuchcolumn: word", "AND"])
def test_a_raw_search_fts5_cannot_parse_is_searched_as_words(datasette_client, text):
    path = f"/{datasette_client.name}/articles?_search={quote(text)}&_searchmode=raw"
    response = datasette_client.get(path, status=302)
    escaped = response.headers["location"]
    assert "_searchmode=escaped" in escaped and f"_search={quote(text)}" in escaped.replace("+", "%20")
    assert "rows where search matches" in datasette_client.get(escaped).text
    datasette_client.get(f"/{datasette_client.name}/articles?_search=marathon&_searchmode=raw")  # valid: as is


def test_article_search_ranks_like_the_archive_and_orders_by_date(two_edition_crawl, datasette_client):
    name = datasette_client.name
    with Archive(two_edition_crawl["db"]) as arc:
        expected = [r.id for r in arc.search("officials", limit=None)]
    assert len(expected) > 3
    tree = doc(datasette_client.get(f"/{name}/-/search?q=officials"))
    ranked = [int(h.rsplit("/", 1)[1]) for h in tree.xpath("//a[@class='bbn-hit-title']/@href")]
    assert ranked == expected
    assert tree.xpath("//p[@class='bbn-snippet']/mark") and all(
        m.lower().startswith("official") for m in texts(tree, "//p[@class='bbn-snippet']/mark"))
    newest, oldest = tree.xpath("//p[@class='bbn-order']/a/@href")
    published = {r["id"]: r["published"] for r in sql_rows(two_edition_crawl["db"], "SELECT id, published FROM articles")}
    for url, reverse in ((newest, True), (oldest, False)):
        dated = doc(datasette_client.get(url))
        ids = [int(h.rsplit("/", 1)[1]) for h in dated.xpath("//a[@class='bbn-hit-title']/@href")]
        assert sorted(ids) == sorted(expected)
        assert [published[i] for i in ids] == sorted((published[i] for i in ids), reverse=reverse)
        assert dated.xpath("//p[@class='bbn-order']/strong/text()") == ["newest first" if reverse else "oldest first"]


def test_a_word_only_in_an_faq_answer_is_found_and_marked(two_edition_crawl, datasette_client):
    name, faq_word = datasette_client.name, two_edition_crawl["manifest"]["faq_only_word"]
    article = next(a for a in two_edition_crawl["manifest"]["articles"] if a["path"] == faq_word["article_path"])
    for search_in in ("articles", "faqs"):
        tree = doc(datasette_client.get(f"/{name}/-/search?q={faq_word['word']}&in={search_in}"))
        assert texts(tree, "//a[@class='bbn-hit-title']") == [article["headline"]], search_in
        assert texts(tree, "//p[@class='bbn-snippet']/mark") == [faq_word["word"]], search_in
    assert faq_word["question"] in texts(tree, "//p[@class='bbn-snippet']")[0]
    tree = doc(datasette_client.get(f"/{name}/-/search?q=%22"))
    assert texts(tree, "//p[@class='bbn-no-results']") == ["No results for “\"”."]


def test_articles_table_puts_the_readers_columns_first(two_edition_crawl, datasette_client):
    name = datasette_client.name
    tree = doc(datasette_client.get(f"/{name}/articles?_sort=id"))
    headers = tree.xpath("//table[contains(@class, 'rows-and-columns')]//th/@data-column")
    assert headers[:6] == ["headline", "published", "section", "authors", "word_count", "faq_count"]
    assert {"canonical_url", "url_key", "canonical_source", "body"} <= set(headers[6:])
    by_url = {a["headline"]: a for a in two_edition_crawl["manifest"]["articles"]}
    rows = tree.xpath("//table[contains(@class, 'rows-and-columns')]/tbody/tr")
    assert len(rows) == min(50, len(by_url))
    for row in rows:
        headline = " ".join(row.xpath("td[contains(@class, 'col-headline')]")[0].text_content().split())
        article = by_url[headline]
        assert texts(row, "td[contains(@class, 'col-authors')]/a") == article["authors"]
        assert texts(row, "td[contains(@class, 'col-faq_count')]") == [str(article["faq_count"])]
        assert row.xpath("td[contains(@class, 'col-headline')]/a/@href")[0].startswith(f"/{name}/-/article/")


def test_version_diffs_word_by_word_for_an_edit_whole_paragraphs_otherwise():
    old = {"version": 1, "seen": "t1", "headline": "Floods hit the city", "byline": "A",
           "body": "One two three four five.\n\nGone paragraph.", "faqs": [{"question": "Q?", "answer": "A."}]}
    new = {**old, "version": 2, "seen": "t2", "body": "One two three four six.\n\nEntirely new text here."}
    (diff,) = version_diffs([old, new])
    assert (diff.old, diff.new, diff.seen, list(diff.fields)) == (1, 2, "t2", ["Body"])
    edit, rewrite = diff.fields["Body"]
    assert edit.words == [("=", "One two three four"), ("-", "five."), ("+", "six.")]
    assert rewrite == Change(["Gone paragraph."], ["Entirely new text here."])
    assert text_changes(["a", "b"], ["a", "c", "d"]) == [Change(["b"], ["c", "d"])]
    assert highlight("a \ue000b\ue001 c") == [(False, "a "), (True, "b"), (False, " c")]
