"""Stable addresses: `bbn-archive demo` into a fresh archive gives the same ids every run (ids
follow the articles' content, not the order pages arrived in), a second demo into the same
archive adds nothing, and the ids README.md shows are those of a fresh demo."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.helpers import copy_archive, rows

ROOT = Path(__file__).resolve().parents[2]
# README examples that show an id beside a headline: search results ("1. HEADLINE" above
# "... · id N · ..."), the Python session's search loop ("N ['article'] DATE HEADLINE") and
# its article tuple ("(N, 'HEADLINE', ...").
EXAMPLES = (
    re.compile(r"^\d+\. (?P<headline>.+)\n   .* · id (?P<id>\d+) · ", re.M),
    re.compile(r"^(?P<id>\d+) \['(?:article|faq)'[^\]]*\] \d{4}-\d\d-\d\d (?P<headline>.+)$", re.M),
    re.compile(r"^\((?P<id>\d+), '(?P<headline>[^']+)'", re.M),
)


def demo(db: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "bbn_scraper", "demo", "--port", "0", "--db", str(db)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def addresses(db: Path) -> list[tuple]:
    """Every numbered thing of the archive, with the port of the sample site taken out of URLs."""
    def path(url: str) -> str:
        return urlsplit(url).path

    return ([("article", r["id"], path(r["canonical_url"])) for r in rows(db, "SELECT id, canonical_url FROM articles ORDER BY id")]
            + [("url", r["id"], r["article_id"], path(r["url"])) for r in rows(db, "SELECT * FROM article_urls ORDER BY id")]
            + [("author", r["id"], r["name"]) for r in rows(db, "SELECT * FROM authors ORDER BY id")]
            + [("tag", r["id"], r["name"]) for r in rows(db, "SELECT * FROM tags ORDER BY id")]
            + [("faq", r["rowid"], r["article_id"], r["position"]) for r in rows(db, "SELECT rowid, * FROM faqs ORDER BY rowid")])


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("demos")
    first, second = folder / "first.db", folder / "second.db"
    demo(first)
    demo(second)
    return first, second


def test_two_demos_into_fresh_archives_number_everything_alike(demos):
    first, second = addresses(demos[0]), addresses(demos[1])
    assert len(first) > 36 * 2 and first == second
    published = [r["published"] for r in rows(demos[0], "SELECT published FROM articles ORDER BY id")]
    assert published == sorted(published)


def test_a_second_demo_into_the_same_archive_adds_nothing(demos, tmp_path):
    db = copy_archive(demos[0], tmp_path / "again.db")  # a fresh demo's archive, demo not run a third time
    before = addresses(db)
    again = demo(db)
    assert "articles: 0 new" in again.stdout, again.stdout
    assert addresses(db) == before
    assert rows(db, "SELECT count(*) AS n FROM crawls")[0]["n"] == 2
    assert rows(db, "SELECT count(DISTINCT start_urls) AS n FROM crawls")[0]["n"] == 1  # the same port again


def test_the_ids_of_the_readme_are_those_of_a_fresh_demo(demos):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = {(int(m["id"]), m["headline"]) for pattern in EXAMPLES for m in pattern.finditer(readme)}
    assert len(shown) >= 3, shown
    headlines = {r["id"]: r["headline"] for r in rows(demos[0], "SELECT id, headline FROM articles")}
    assert {(i, headlines.get(i)) for i, _ in shown} == shown
