"""The reading room's front page, a story page, a filtered search and its CSV in headless
Chromium (tests/datasette/cdp.py), on `bbn-archive serve` of the sample site and its sister
site crawled together, at a desktop window (1400 px) and a phone's (390 px): what a reader
sees on the first screen, no page wider than the window, no error page. With BBN_SCREENSHOTS
(`make screenshots`) the desktop front page and story page are saved for README.md.
Skipped without Chromium."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest

from tests.datasette.cdp import Browser
from tests.datasette.test_browser import CHROMIUM, FLAGS
from tests.datasette.test_reading_browser import no_error_page, shoot
from tests.helpers import rows as sql_rows
from tests.helpers import served_archive

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium (or set CHROMIUM=/path/to/chrome)")

DESKTOP, PHONE = 1400, 390


@pytest.fixture(scope="module")
def served(two_site_crawl, tmp_path_factory):
    with served_archive(two_site_crawl["db"], tmp_path_factory.mktemp("served")) as (root, db, _out):
        yield root + two_site_crawl["name"], db


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    with Browser(CHROMIUM, tmp_path_factory.mktemp("profile"), FLAGS) as running:
        yield running


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1400px", "390px"])
def browser(chromium, request):
    chromium.resize(request.param)
    return chromium


def readable(browser: Browser) -> None:
    """No error page, and nothing wider than the window."""
    no_error_page(browser)
    assert not browser.scrolls_sideways(), browser.eval("document.documentElement.scrollWidth")


def text(browser: Browser) -> str:
    return browser.eval("document.body.innerText")


def test_front_page(served, two_site_crawl, browser, tmp_path):
    base, db = served
    browser.open(base.rsplit("/", 1)[0] + "/")
    readable(browser)
    newest = sql_rows(db, "SELECT headline FROM articles ORDER BY published DESC LIMIT 1")[0]["headline"]
    assert browser.box(".bbn-latest li a")["text"] == newest
    for selector in ("h1", ".bbn-front-head input[type=search]", ".bbn-latest li a", ".bbn-latest li time"):
        assert browser.on_first_screen(selector), selector
    assert browser.eval("document.querySelector('.bbn-latest li time').title").startswith("20")  # the exact time on hover
    page = text(browser)
    for heading in ("Latest articles", "Stories carried by most sites", "Sections", "Sites", "Authors", "Last crawls"):
        assert heading in page, heading
    for host in two_site_crawl["hosts"]:
        assert host in browser.box(".bbn-sites")["text"]
    assert "finished" in browser.box(".bbn-crawls")["text"]
    assert browser.eval("document.querySelector('.bbn-sql a').getAttribute('href')") == "/news"
    story_links = browser.eval("[...document.querySelectorAll('.bbn-front-stories a')].map(a => a.getAttribute('href'))")
    assert story_links and all(h.startswith("/news/-/story/") for h in story_links)
    if browser.width == DESKTOP:  # two columns that use the window: the lists beside the latest articles
        assert browser.on_first_screen(".bbn-front-side h2")
        assert browser.box(".bbn-front-side")["right"] > 0.85 * DESKTOP
        assert browser.box(".bbn-latest")["right"] - browser.box(".bbn-latest")["left"] > 0.5 * DESKTOP
        shoot(browser, tmp_path, "reading-front-page.png")
    else:
        assert browser.box(".bbn-latest")["right"] <= PHONE


def a_story(db, two_site_crawl) -> dict:
    """A story of an original and its sister-site copy that dropped paragraphs."""
    copy = next(a for a in two_site_crawl["sister"]["articles"] if a["rewrite"] == "paragraphs-dropped")
    (row,) = sql_rows(db, "SELECT s.story_id FROM article_story s JOIN articles a ON a.id = s.article_id"
                          " WHERE a.canonical_url = ?", [copy["url"]])
    members = sql_rows(db, "SELECT a.id, a.headline, s.site FROM article_story s JOIN articles a ON a.id = s.article_id"
                           " WHERE s.story_id = ? ORDER BY s.first_seen, a.id", [row["story_id"]])
    return {"id": row["story_id"], "copy": copy, "members": members}


def test_story_page(served, two_site_crawl, browser, tmp_path):
    base, db = served
    story = a_story(db, two_site_crawl)
    first, *others = story["members"]
    assert others
    browser.open(f"{base}/-/article/{others[0]['id']}")  # the copy's article page leads to its story
    readable(browser)
    assert browser.eval("document.querySelector('.bbn-story-link a').getAttribute('href')") == f"/news/-/story/{story['id']}"
    assert first["headline"] in browser.box(".bbn-story-copies")["text"]  # and to the other site's copy
    browser.open(f"{base}/-/story/{story['id']}")
    readable(browser)
    assert browser.box("h1")["text"] == first["headline"]
    copies = browser.eval("[...document.querySelectorAll('.bbn-copy')].map(c => c.innerText)")
    assert len(copies) == len(story["members"])
    for shown, member in zip(copies, story["members"]):
        assert member["headline"] in shown and member["site"] in shown and "First seen" in shown
    assert "earliest" in copies[0]
    dropped = int(browser.box(".bbn-copy:nth-child(2) .bbn-compare")["text"].split("drops ")[1].split(",")[0])
    assert dropped > 0 and browser.eval("document.querySelectorAll('.bbn-copy:nth-child(2) .bbn-removed').length") == dropped
    assert browser.eval("document.querySelectorAll('.bbn-copy:nth-child(2) .bbn-reworded ins').length") > 0
    for selector in ("h1", ".bbn-copy:nth-child(1) h2", ".bbn-copy:nth-child(1) .bbn-byline"):
        assert browser.on_first_screen(selector), selector
    one, two = browser.box(".bbn-copy:nth-child(1)"), browser.box(".bbn-copy:nth-child(2)")
    if browser.width == DESKTOP:  # side by side, both on the first screen
        assert one["top"] == two["top"] and two["left"] > one["right"]
        for selector in (".bbn-copy:nth-child(2) h2", ".bbn-copy:nth-child(2) .bbn-compare", ".bbn-copy:nth-child(2) .bbn-kept"):
            assert browser.on_first_screen(selector), selector
        shoot(browser, tmp_path, "reading-story.png")
    else:  # one after the other
        assert two["top"] >= one["bottom"]
    browser.open(f"{base}/-/stories?order=recent")
    readable(browser)
    assert browser.on_first_screen(".bbn-story-list a")
    assert len(browser.eval("[...document.querySelectorAll('.bbn-story-list li')]")) == len(
        sql_rows(db, "SELECT id FROM stories WHERE sites > 1"))


def filtered(db) -> tuple[dict, list[int]]:
    """Search arguments with a section filter and an OR, and the ids the archive finds for them."""
    section = sql_rows(db, "SELECT section FROM section_counts ORDER BY article_count DESC LIMIT 1")[0]["section"]
    args = {"q": "officials OR council", "section": section}
    from archive import Archive

    with Archive(db) as arc:
        ids = [r.id for r in arc.search(args["q"], section=section, limit=50)]
        unfiltered = [r.id for r in arc.search(args["q"], limit=200)]
    assert ids and len(unfiltered) > len(ids)  # the filter leaves some out
    return args, ids


def test_filtered_search(served, browser, tmp_path):
    base, db = served
    args, ids = filtered(db)
    browser.open(f"{base}/-/search?{urlencode(args)}")
    readable(browser)
    shown = browser.eval("[...document.querySelectorAll('.bbn-hit-title')].map(a => +a.getAttribute('href').split('/').pop())")
    assert shown == ids
    assert all(args["section"] in line for line in browser.eval(
        "[...document.querySelectorAll('.bbn-hit small')].map(s => s.innerText)"))
    assert browser.eval("document.querySelector('select[name=section]').value") == args["section"]
    assert f"{len(ids)} article" in browser.box(".bbn-order")["text"]
    for selector in ("input[name=q]", ".bbn-hit-title"):
        assert browser.on_first_screen(selector), selector
    if browser.width == DESKTOP:
        shoot(browser, tmp_path, "reading-filtered-search.png")


def test_filtered_search_as_csv(served, browser):
    base, db = served
    args, ids = filtered(db)
    browser.open(f"{base}/-/search.csv?{urlencode(args)}")
    no_error_page(browser)
    # plain text, wrapped: a phone shows it whole, zoomed to fit (a page without a viewport tag)
    assert browser.eval("document.documentElement.scrollWidth <= window.innerWidth")
    assert 0 <= browser.box("pre")["top"] < 50 and browser.box("pre")["text"].startswith("id,headline,published,section,site")
    table = list(csv.DictReader(io.StringIO(browser.eval("document.body.innerText"))))
    assert [int(r["id"]) for r in table] == ids
    assert {r["section"] for r in table} == {args["section"]}
    assert all(r["article_url"].endswith(f"/news/-/article/{r['id']}") and r["headline"] for r in table)
