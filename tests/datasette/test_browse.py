"""Datasette on an archive crawled from the sample site, in process: metadata, search, facets,
sort order and the m2m/month facets of the plugin, checked against the site's manifest."""
from __future__ import annotations

import sqlite3
from collections import Counter
from urllib.parse import urlsplit

from bbn_scraper.app.datasette import load_metadata
from tests.helpers import rows as sql_rows, utc_month

FTS_SHADOW = ("_data", "_idx", "_docsize", "_config", "_content")


def schema_objects(db) -> dict[str, list[str]]:
    """Every table and view of the archive (FTS shadow tables aside) with its columns."""
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        names = [n for n in names if not (("_fts_" in n) and n.endswith(FTS_SHADOW))]
        return {n: [r[1] for r in conn.execute(f"PRAGMA table_info([{n}])")] for n in names}
    finally:
        conn.close()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_instance_metadata_has_title_description_source_and_license(datasette_client):
    meta = datasette_client.json("/-/metadata.json")
    for key in ("title", "description", "source", "license"):
        assert meta.get(key), key
    page = datasette_client.get("/").text
    assert meta["title"] in page and meta["license"].split(";")[0] in page


def test_every_table_view_and_column_is_described(two_edition_crawl, datasette_client):
    tables = load_metadata(datasette_client.name)["databases"][datasette_client.name]["tables"]
    for name, columns in schema_objects(two_edition_crawl["db"]).items():
        assert tables.get(name, {}).get("description"), f"{name} has no description"
        described = tables[name].get("columns", {})
        missing = [c for c in columns if not described.get(c)]
        assert not missing, f"{name}: columns without description: {missing}"
        stale = set(described) - set(columns)
        assert not stale, f"{name}: descriptions of columns it does not have: {stale}"
    # and Datasette shows them, filed under the database's own name (news, not archive)
    page = datasette_client.get(f"/{datasette_client.name}/articles").text
    assert tables["articles"]["columns"]["url_key"].split(":")[0] in page
    assert datasette_client.json(f"/{datasette_client.name}/articles.json?_size=0")["database"] == datasette_client.name


def test_articles_table_holds_every_article_newest_first(two_edition_crawl, datasette_client):
    manifest = two_edition_crawl["manifest"]
    data = datasette_client.json(f"/{datasette_client.name}/articles.json?_size=0")
    assert data["filtered_table_rows_count"] == len(manifest["articles"])
    rows = datasette_client.rows(f"/{datasette_client.name}/articles")
    assert sorted(r["canonical_url"] for r in rows) == sorted(a["canonical_url"] for a in manifest["articles"])
    published = [r["published"] for r in rows]
    assert published == sorted(published, reverse=True)
    assert "sorted by published descending" in data["human_description_en"]


def test_search_finds_each_article_by_its_unique_word(two_edition_crawl, datasette_client):
    for article in two_edition_crawl["manifest"]["articles"]:
        rows = datasette_client.rows(f"/{datasette_client.name}/articles?_search={article['unique_word']}&_col=headline")
        assert [r["headline"] for r in rows] == [article["headline"]], article["unique_word"]


def test_search_in_the_html_page_shows_the_headline(two_edition_crawl, datasette_client):
    article = two_edition_crawl["manifest"]["articles"][3]
    page = datasette_client.get(f"/{datasette_client.name}/articles?_search={article['unique_word']}").text
    assert "1 row" in page and f'search matches "{article["unique_word"]}"'.replace('"', "&#34;") in page
    headline = article["headline"].replace("’", "&#8217;")
    assert article["headline"] in page or headline in page


def test_faq_search_finds_the_faq_only_word_and_article_search_does_not(two_edition_crawl, datasette_client):
    faq_word = two_edition_crawl["manifest"]["faq_only_word"]
    article = next(a for a in two_edition_crawl["manifest"]["articles"] if a["path"] == faq_word["article_path"])
    pairs = datasette_client.rows(f"/{datasette_client.name}/faq_pairs?_search={faq_word['word']}")
    assert [(p["url"], p["question"]) for p in pairs] == [(article["canonical_url"], faq_word["question"])]
    faqs = datasette_client.rows(f"/{datasette_client.name}/faqs?_search={faq_word['word']}&_labels=on")
    assert [f["article_id"]["label"] for f in faqs] == [article["headline"]]
    # porter stemming: the plural finds it too
    assert len(datasette_client.rows(f"/{datasette_client.name}/faqs?_search={faq_word['word']}s")) == 1
    assert datasette_client.rows(f"/{datasette_client.name}/articles?_search={faq_word['word']}") == []


def facets(datasette_client, query: str = "") -> dict:
    data = datasette_client.json(f"/{datasette_client.name}/articles.json?_size=0&_facet_size=max{query}")
    return {name: {v["value"]: v["count"] for v in f["results"]} for name, f in data["facet_results"].items()}


def test_section_author_tag_and_month_facets_count_the_manifest(two_edition_crawl, datasette_client):
    articles = two_edition_crawl["manifest"]["articles"]
    got = facets(datasette_client)
    assert got["section"] == Counter(a["section"] for a in articles)
    assert got["authors"] == Counter(name for a in articles for name in a["authors"])
    assert got["tags"] == Counter(tag for a in articles for tag in a["tags"])
    assert got["published"] == Counter(utc_month(a["published"]) for a in articles)


def test_selecting_facet_values_filters_the_articles(two_edition_crawl, datasette_client):
    articles = two_edition_crawl["manifest"]["articles"]
    data = datasette_client.json(f"/{datasette_client.name}/articles.json?_size=0&_facet_size=max")
    author = next(v for v in data["facet_results"]["authors"]["results"] if v["count"] > 1)
    rows = datasette_client.rows(path_of(author["toggle_url"]))
    assert sorted(r["canonical_url"] for r in rows) == sorted(
        a["canonical_url"] for a in articles if author["value"] in a["authors"])
    # then a tag of those articles, and a month: every selection narrows the rows
    narrowed = datasette_client.json(path_of(author["toggle_url"]) + "&_facet_size=max")
    tag = narrowed["facet_results"]["tags"]["results"][0]
    rows = datasette_client.rows(path_of(tag["toggle_url"]))
    expected = [a for a in articles if author["value"] in a["authors"] and tag["value"] in a["tags"]]
    assert sorted(r["canonical_url"] for r in rows) == sorted(a["canonical_url"] for a in expected)
    month = datasette_client.json(path_of(tag["toggle_url"]))["facet_results"]["published"]["results"][0]
    rows = datasette_client.rows(path_of(month["toggle_url"]))
    assert sorted(r["canonical_url"] for r in rows) == sorted(
        a["canonical_url"] for a in expected if utc_month(a["published"]) == month["value"])
    selected = datasette_client.json(path_of(author["toggle_url"]))
    assert selected["human_description_en"].startswith(f'where authors include "{author["value"]}"')


def test_unknown_many_to_many_filter_is_a_clear_400(datasette_client):
    data = datasette_client.json(f"/{datasette_client.name}/articles.json?_m2m_crawls=1", status=400)
    assert "crawls is not a many-to-many table of articles" in data["error"]


def test_label_columns_show_headlines_and_names(two_edition_crawl, datasette_client):
    row = datasette_client.rows(f"/{datasette_client.name}/article_authors?_labels=on&_size=1")[0]
    assert set(row["author_id"]) == {"value", "label"}
    names = {r["name"] for r in sql_rows(two_edition_crawl["db"], "SELECT name FROM authors")}
    assert row["author_id"]["label"] in names
    row = datasette_client.rows(f"/{datasette_client.name}/faqs?_labels=on&_size=1")[0]
    headlines = {a["headline"] for a in two_edition_crawl["manifest"]["articles"]}
    assert row["article_id"]["label"] in headlines


def test_every_table_view_and_query_page_renders(datasette_client):
    db = datasette_client.json(f"/{datasette_client.name}.json")
    names = [t["name"] for t in db["tables"]] + [v["name"] for v in db["views"]]
    for name in names:
        datasette_client.get(f"/{datasette_client.name}/{name}")
        datasette_client.get(f"/{datasette_client.name}/{name}.json?_size=1")
    for query in load_metadata(datasette_client.name)["databases"][datasette_client.name]["queries"]:
        datasette_client.get(f"/{datasette_client.name}/{query}")
