"""The reading room's front page, stories and search data in process, on the sample site and
its sister site crawled together: the search's JSON and CSV are the HTML page's results, with
its filters, bounded; bad input is a message, never an error page; a story's copies are read
against the earliest; dates are for humans with the exact timestamp kept; `/` is Datasette's
own index when no archive is served."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from lxml import html as lxml_html

from archive import Archive
from archive.browse import StoryArticle
from bbn_scraper.app.datasette.reading import compare_with, human_date, paragraphs, time_tag
from bbn_scraper.app.datasette.reading_room import MAX_EXPORT_ROWS, MAX_OFFSET, PAGE_SIZE
from tests.helpers import DatasetteClient


@pytest.fixture(scope="module")
def client(two_site_crawl):
    from bbn_scraper.app.serve import build_datasette

    running = DatasetteClient(build_datasette(two_site_crawl["db"]), two_site_crawl["name"])
    yield running
    running.close()


def ids_on(page) -> list[int]:
    tree = lxml_html.fromstring(page.text)
    return [int(h.rsplit("/", 1)[1]) for h in tree.xpath("//a[@class='bbn-hit-title']/@href")]


def test_search_json_and_csv_are_the_pages_results(client, two_site_crawl):
    sample, sister = two_site_crawl["hosts"]
    args = {"q": '"the council" OR officials -nonexistentword', "site": sister, "since": "2023-09-01", "until": "2023-12-31"}
    with Archive(two_site_crawl["db"]) as arc:
        expected = [r.id for r in arc.search(args["q"], site=sister, since=args["since"], until=args["until"], limit=200)]
    assert expected
    page = client.get(f"/news/-/search?{urlencode(args)}")
    assert ids_on(page) == expected[:PAGE_SIZE]
    data = client.json(f"/news/-/search.json?{urlencode(args)}")
    assert [r["id"] for r in data["results"]] == expected[:100]
    assert data["total"] == len(expected) and data["filters"] == {k: v for k, v in args.items() if k != "q"}
    assert {r["site"] for r in data["results"]} == {sister}
    assert all(r["published"].startswith("2023-") and "T" in r["published"] for r in data["results"])  # exact timestamps
    table = list(csv.DictReader(io.StringIO(client.get(f"/news/-/search.csv?{urlencode(args)}").text)))
    assert [int(r["id"]) for r in table] == expected[:100]
    download = client.get(f"/news/-/search.csv?{urlencode({**args, '_dl': 1})}")
    assert download.headers["content-type"].startswith("text/csv") and "attachment" in download.headers["content-disposition"]


def test_search_pages_and_bounds(client, two_site_crawl):
    with Archive(two_site_crawl["db"]) as arc:
        everything = [r.id for r in arc.search("the", limit=None)]
    assert len(everything) > 2 * 5
    first = client.json("/news/-/search.json?" + urlencode({"q": "the", "limit": 5}))
    second = client.json(first["next"])
    assert [r["id"] for r in first["results"] + second["results"]] == everything[:10]
    huge = client.json("/news/-/search.json?" + urlencode({"q": "the", "limit": 10**9, "offset": 10**9}))
    assert (huge["limit"], huge["offset"], huge["results"], huge["next"]) == (MAX_EXPORT_ROWS, MAX_OFFSET, [], None)
    page = client.get("/news/-/search?" + urlencode({"q": "the", "offset": PAGE_SIZE}))
    assert ids_on(page) == everything[PAGE_SIZE:2 * PAGE_SIZE] and "Previous" in page.text


@pytest.mark.parametrize("args, says", [
    ({"q": "-officials"}, "give at least one word"),
    ({"q": "officials", "since": "not a date"}, "bad date"),
])
def test_bad_search_input_is_a_message(client, args, says):
    assert says in client.get(f"/news/-/search?{urlencode(args)}").text
    assert says in client.json(f"/news/-/search.json?{urlencode(args)}", status=400)["error"]
    assert says in client.get(f"/news/-/search.csv?{urlencode(args)}", status=400).text


@pytest.mark.parametrize("text", ['"', "NEAR(a b", "col:x", "^x", "*", "a OR", "\x00", "((", "'; DROP TABLE articles; --"])
def test_hostile_search_text_is_never_an_error(client, text):
    client.get(f"/news/-/search?{urlencode({'q': text, 'section': text, 'author': text, 'site': text})}")
    client.json(f"/news/-/search.json?{urlencode({'q': text})}")


def test_front_page_and_stories(client, two_site_crawl):
    tree = lxml_html.fromstring(client.get("/").text)
    assert tree.xpath("//form[@role='search']/@action") == ["/news/-/search"]
    stories = tree.xpath("//ol[contains(@class, 'bbn-front-stories')]//a/@href")
    assert stories and all(h.startswith("/news/-/story/") for h in stories)
    listed = lxml_html.fromstring(client.get("/news/-/stories?order=recent").text)
    copies = [a for a in two_site_crawl["sister"]["articles"] if a["copy_of"]]
    assert len(listed.xpath("//ol[contains(@class, 'bbn-story-list')]/li")) == min(len(copies), PAGE_SIZE)
    assert set(two_site_crawl["hosts"]) <= set(" ".join(listed.xpath("//ol//small//text()")).replace(",", " ").split())
    story = lxml_html.fromstring(client.get(stories[0]).text)
    assert len(story.xpath("//article[contains(@class, 'bbn-copy')]")) == 2
    client.get("/news/-/story/999999999", status=404)


def test_story_tables_link_to_the_story_page(client):
    tree = lxml_html.fromstring(client.get("/news/multi_site_stories").text)
    links = tree.xpath("//td[contains(@class, 'col-story_id')]/a")
    assert links and all(a.get("href") == f"/news/-/story/{a.text}" for a in links)
    client.get(links[0].get("href"))


def test_a_copy_read_against_the_earliest():
    def article(body: str) -> StoryArticle:
        return StoryArticle(1, "a.example", "H", None, [], "https://a.example/1", None, "2026-01-01T00:00:00", body)

    first = ["One two three four five six.", "Seven eight nine ten.", "Eleven twelve thirteen.", "Gone paragraph here."]
    copy = compare_with(first, article("Seven eight nine ten.\n\nOne two three four five SIX.\n\nA new one.\n\n"
                                       "Eleven twelve thirteen."))
    assert [kind for kind, _ in copy.paragraphs] == ["kept", "reworded", "added", "kept"]  # moved is kept
    assert ("-", "six.") in copy.paragraphs[1][1].words and ("+", "SIX.") in copy.paragraphs[1][1].words
    assert copy.dropped == ["Gone paragraph here."]
    assert (copy.count("kept"), copy.count("reworded"), copy.count("added")) == (2, 1, 1)
    assert compare_with(first, article("\n\n".join(first))).dropped == [] and paragraphs("") == []


def test_dates_for_humans():
    assert human_date("2026-12-06T17:02:02.320087+00:00") == "6 Dec 2026, 17:02"
    assert human_date("2023-09-21") == "21 Sep 2023"
    assert human_date("sometime") == "sometime" and human_date(None) == ""
    assert str(time_tag("2026-12-06T17:02:02+00:00")) == (
        '<time datetime="2026-12-06T17:02:02+00:00" title="2026-12-06T17:02:02+00:00">6 Dec 2026, 17:02</time>')
    assert "&lt;b&gt;" in str(time_tag("<b>"))


def test_the_index_when_no_archive_is_served(tmp_path):
    import sqlite3

    from datasette.app import Datasette

    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    client = DatasetteClient(Datasette([str(plain)]), "plain")  # the plugin comes from its entry point
    try:
        page = client.get("/").text
        assert "plain" in page and "bbn-front" not in page
    finally:
        client.close()
