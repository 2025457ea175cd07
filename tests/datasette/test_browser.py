"""A real browser on `bbn-archive serve`: headless Chromium (Debian's `chromium`) loads the
articles search page, the right headline is in the rendered results, and a screenshot is
saved; and an article carrying script/onerror payloads runs none of them.

Chromium is driven through its command line (`--dump-dom` prints the DOM after the page has
loaded and run its scripts, `--screenshot` saves a PNG): no driver, no browser download.
Skipped when no Chromium is installed (`apt-get install chromium`, or set CHROMIUM=path)."""
from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import quote

import pytest
from lxml import html as lxml_html

from archive import Archive
from archive.model import Faq
from tests.helpers import make_article, served_archive

CHROMIUM = os.environ.get("CHROMIUM") or next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed: apt-get install chromium (or set CHROMIUM=/path/to/chrome)")

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,1200",
]


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"  # a fresh one per run
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return result


def cells(dom: str, column: str) -> list[str]:
    doc = lxml_html.fromstring(dom)
    xpath = f"//table[contains(@class, 'rows-and-columns')]//td[contains(concat(' ', @class, ' '), ' col-{column} ')]"
    return [td.text_content().strip() for td in doc.xpath(xpath)]


def test_search_page_in_chromium_shows_the_headline(two_edition_crawl, tmp_path):
    article = two_edition_crawl["manifest"]["articles"][5]
    with served_archive(two_edition_crawl["db"], tmp_path) as (base, _db, _out):
        url = f"{base}news/articles?_search={quote(article['unique_word'])}"
        dom = chromium(tmp_path, "--dump-dom", url).stdout
        assert cells(dom, "headline") == [article["headline"]]
        heading = " ".join(lxml_html.fromstring(dom).xpath("normalize-space(//h3)").split())
        assert heading.startswith(f'1 row where search matches "{article["unique_word"]}"'), heading
        shot = tmp_path / "articles-search.png"
        chromium(tmp_path, f"--screenshot={shot}", url)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    print(f"\nscreenshot of {url}: {shot}")


def test_hostile_article_runs_no_script_in_chromium(tmp_path):
    src = tmp_path / "src.db"
    mark = "document.body.setAttribute('data-xss', '{}')"
    with Archive(src, create=True) as arc:
        crawl_id = arc.start_crawl(["https://www.bbn.example/"])
        arc.store_article(make_article(
            headline=f'Hostile <img src=x onerror="{mark.format(1)}">',
            body_html=f"<p>Story</p><script>{mark.format(2)}</script><img src=x onerror=\"{mark.format(3)}\">",
            faqs=[Faq("Why?", f"<script>{mark.format(4)}</script>")],
        ), crawl_id=crawl_id)
        arc.finish_crawl(crawl_id, "finished", {})
    with served_archive(src, tmp_path, "hostile.db") as (base, _db, _out):
        for path in ("hostile/articles", "hostile/articles/1", "hostile/faq_pairs"):
            dom = chromium(tmp_path, "--dump-dom", base + path).stdout
            body = lxml_html.fromstring(dom).xpath("//body")[0]
            assert body.get("data-xss") is None, f"{path}: a payload ran"
            assert "<script>document.body" in body.text_content(), f"{path}: the payload is not shown as text"
