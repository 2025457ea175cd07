"""The reading room in a real browser: headless Chromium (Debian's `chromium`) on `bbn-archive
serve`, asked over the DevTools protocol (tests/datasette/cdp.py) what a reader sees on the
first screen of the article page, the articles table, an FAQ search, a search for `"` and a
versions diff; and that a stored page runs no script. Each test saves a screenshot in its
tmp_path; with BBN_SCREENSHOTS=dir (`make screenshots`, dir docs/) the three of DOCS_SHOTS are
also written there. Skipped without Chromium (`apt-get install chromium`, or CHROMIUM=path)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from archive import Archive
from tests.datasette.cdp import HEIGHT, Browser
from tests.datasette.test_browser import CHROMIUM, FLAGS
from tests.helpers import rows as sql_rows
from tests.helpers import datasette_command, served_archive

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium (or set CHROMIUM=/path/to/chrome)")

DOCS_SHOTS = {"reading-article.png", "reading-articles-table.png", "reading-faq-search.png",  # and test_front_browser.py's:
              "reading-front-page.png", "reading-story.png", "reading-filtered-search.png"}


@pytest.fixture(scope="module")
def served(two_edition_crawl, tmp_path_factory):
    with served_archive(two_edition_crawl["db"], tmp_path_factory.mktemp("served")) as (base, db, _out):
        yield base + two_edition_crawl["name"], db


@pytest.fixture
def browser(tmp_path):
    with Browser(CHROMIUM, tmp_path / "profile", FLAGS) as running:
        yield running


def shoot(browser: Browser, tmp_path: Path, name: str) -> Path:
    """A screenshot in tmp_path (and in $BBN_SCREENSHOTS for the DOCS_SHOTS), checked a PNG."""
    shot = browser.screenshot(tmp_path / name)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    if os.environ.get("BBN_SCREENSHOTS") and name in DOCS_SHOTS:
        shutil.copyfile(shot, Path(os.environ["BBN_SCREENSHOTS"]) / name)
    print(f"\nscreenshot: {shot}")
    return shot


def no_error_page(browser: Browser) -> None:
    title = browser.eval("document.title")
    assert "Error" not in title and "Invalid SQL" not in browser.eval("document.body.innerText"), title


def article_id(db, canonical_url: str) -> int:
    return sql_rows(db, "SELECT id FROM articles WHERE canonical_url = ?", [canonical_url])[0]["id"]


def test_article_page(served, two_edition_crawl, browser, tmp_path):
    base, db = served
    article = next(a for a in two_edition_crawl["manifest"]["articles"] if a["faqs"] and len(a["authors"]) > 1)
    browser.open(f"{base}/-/article/{article_id(db, article['canonical_url'])}")
    no_error_page(browser)
    assert browser.box("article h1")["text"] == article["headline"]
    for selector in ("article h1", ".bbn-byline", ".bbn-dates", "a.bbn-section", "a.bbn-raw", ".bbn-body p"):
        assert browser.on_first_screen(selector), selector
    assert browser.box("article h1")["height"] < 120  # the headline is not wrapped word by word
    assert [a for a in article["authors"] if a in browser.box(".bbn-byline")["text"]] == article["authors"]
    assert browser.box(".bbn-body p")["text"] == " ".join(article["body_paragraphs"][0].split())
    assert browser.box(".bbn-faq dt")["text"] == article["faqs"][0]["question"]
    shoot(browser, tmp_path, "reading-article.png")


def test_articles_table(served, two_edition_crawl, browser, tmp_path):
    base, _db = served
    browser.open(f"{base}/articles")
    no_error_page(browser)
    headers = browser.eval("[...document.querySelectorAll('table.rows-and-columns th')].map(th => th.dataset.column)")
    assert headers[:6] == ["headline", "published", "section", "authors", "word_count", "faq_count"]
    for selector in ("th.col-headline", "th.col-faq_count", "td.col-headline a", "td.col-authors"):
        assert browser.on_first_screen(selector), selector
    heights = browser.eval("[...document.querySelectorAll('table.rows-and-columns tbody tr')].map(tr => tr.getBoundingClientRect().height)")
    assert len(heights) == min(50, len(two_edition_crawl["manifest"]["articles"])) and max(heights) < 60, heights
    newest = max(two_edition_crawl["manifest"]["articles"], key=lambda a: a["published"])
    assert browser.box("td.col-headline")["text"] == newest["headline"]
    shoot(browser, tmp_path, "reading-articles-table.png")


def test_search_for_a_word_only_in_an_faq_answer(served, two_edition_crawl, browser, tmp_path):
    base, _db = served
    faq_word = two_edition_crawl["manifest"]["faq_only_word"]
    article = next(a for a in two_edition_crawl["manifest"]["articles"] if a["path"] == faq_word["article_path"])
    browser.open(f"{base}/-/search?q={faq_word['word']}&in=faqs")
    no_error_page(browser)
    assert browser.box(".bbn-hit-title")["text"] == article["headline"]
    assert browser.box(".bbn-snippet mark")["text"] == faq_word["word"]
    assert browser.box(".bbn-snippet mark")["background"] not in ("rgba(0, 0, 0, 0)", "transparent")
    for selector in ("input[name=q]", ".bbn-hit-title", ".bbn-snippet mark"):
        assert browser.on_first_screen(selector), selector
    shoot(browser, tmp_path, "reading-faq-search.png")


def test_search_for_a_lone_quote(served, browser, tmp_path):
    base, _db = served
    for url, search_box, says in (
        (f"{base}/articles?_search={quote(chr(34))}", "input[name=_search]", "0 rows"),
        (f"{base}/faq_pairs?_search={quote(chr(34))}", "input[name=_search]", "0 rows"),
        (f"{base}/-/search?q={quote(chr(34))}", "input[name=q]", "No results"),
    ):
        browser.open(url)
        no_error_page(browser)
        assert browser.on_first_screen(search_box), url
        assert browser.eval(f"document.querySelector({search_box!r}).value") == '"', url
        assert says in browser.eval("document.body.innerText"), url
    shoot(browser, tmp_path, "reading-search-quote.png")


def test_versions_diff(served, two_edition_crawl, browser, tmp_path):
    base, db = served
    article = next(a for a in two_edition_crawl["manifest"]["articles"] if a["changes_in_edition_2"])
    browser.open(f"{base}/-/article/{article_id(db, article['canonical_url'])}")
    no_error_page(browser)
    browser.eval("document.querySelector('.bbn-diff').scrollIntoView()")
    assert browser.box(".bbn-diff h3")["text"].startswith("Version 1 → 2")
    assert browser.on_first_screen(".bbn-diff ins")
    assert browser.box(".bbn-diff ins")["background"] not in ("rgba(0, 0, 0, 0)", "transparent")
    added = [p for p in article["body_paragraphs"] if p not in
             next(a for a in two_edition_crawl["manifest1"]["articles"] if a["path"] == article["path"])["body_paragraphs"]]
    assert added and " ".join(added[-1].split()) in browser.eval("document.querySelector('.bbn-diff').innerText")
    shoot(browser, tmp_path, "reading-versions-diff.png")


def test_plain_datasette_shows_the_reading_room(two_edition_crawl, browser, tmp_path):
    """`datasette news.db`, the venv's console script without a project flag: the plugin comes
    from the entry point, with its templates and stylesheet."""
    article = next(a for a in two_edition_crawl["manifest"]["articles"] if a["faqs"])
    with served_archive(two_edition_crawl["db"], tmp_path, command=datasette_command) as (base, db, _out):
        browser.open(f"{base}news/-/article/{article_id(db, article['canonical_url'])}")
        no_error_page(browser)
        assert browser.box("article h1")["text"] == article["headline"]
        assert browser.box(".bbn-faq dt")["text"] == article["faqs"][0]["question"]
        sheets = browser.eval("[...document.styleSheets].map(s => s.href)")
        assert f"{base}-/static-plugins/bbn-archive/archive.css" in sheets, sheets
        # archive.css applied: the section kicker in capitals, the reading column 44em wide at most
        assert browser.eval("getComputedStyle(document.querySelector('.bbn-kicker')).textTransform") == "uppercase"
        assert browser.eval("getComputedStyle(document.querySelector('.bbn-reading')).maxWidth") != "none"
        shoot(browser, tmp_path, "plain-datasette-article.png")
        browser.open(f"{base}news/articles")  # the headlines lead to the reading room
        assert browser.eval("document.querySelector('td.col-headline a').getAttribute('href')").startswith("/news/-/article/")


def test_stored_page_runs_no_script(tmp_path, browser):
    src = tmp_path / "src.db"
    with Archive(src, create=True) as arc:
        crawl_id = arc.start_crawl(["https://www.bbn.example/"])
        page_id = arc.record_page(crawl_id, "https://www.bbn.example/x/", 200, "text/html", (
            b"<html><head><title>Stored</title></head><body><h1>Stored page</h1>"
            b"<script>document.title = 'script ran'</script>"
            b"<img src=x onerror=\"document.title = 'handler ran'\"></body></html>"))
        arc.finish_crawl(crawl_id, "finished", {})
    with served_archive(src, tmp_path, "stored.db") as (base, _db, _out):
        browser.open(f"{base}stored/-/page/{page_id}")
        assert browser.box("h1")["text"] == "Stored page"
        assert browser.eval("document.title") == "Stored"
        assert browser.box("h1")["top"] < HEIGHT
