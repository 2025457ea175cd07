"""`bbn-archive stories` through click's CliRunner, on an archive of the labelled set."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from bbn_scraper.app.cli import cli
from archive import Archive


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def labelled_db(labelled, tmp_path_factory):
    path = tmp_path_factory.mktemp("stories") / "news.db"
    with Archive(path, create=True) as archive:
        crawl = archive.start_crawl(["test"])
        for article in labelled["articles"].values():
            archive.store_article(article, crawl_id=crawl, fetched_url=article.url)
    return path


def test_stories_lists_each_copy_with_its_original(labelled, labelled_db):
    result = run("stories", "--db", str(labelled_db), "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {frozenset(a["url"] for a in s["articles"]) for s in found} == {
        frozenset(pair) for pair in labelled["copies"].items()}
    assert all(s["sites"] == 2 and s["size"] == 2 for s in found)
    assert set(found[0]) == {"id", "first_seen", "sites", "size", "articles"}


def test_stories_text_and_min_sites(labelled, labelled_db):
    result = run("stories", "--db", str(labelled_db))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{len(labelled['copies'])} stories on 2+ sites (threshold 0.4, 128 permutations")
    copy, original = next(iter(labelled["copies"].items()))
    assert copy in result.stdout and original in result.stdout
    every = json.loads(run("stories", "--db", str(labelled_db), "--min-sites", "1", "--json").stdout)
    assert len(every) == len(labelled["truth"])
    assert json.loads(run("stories", "--db", str(labelled_db), "--min-sites", "3", "--json").stdout) == []


def test_stories_reclusters_with_a_setting_and_keeps_it(labelled_db, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copy(labelled_db, db)
    result = run("stories", "--db", str(db), "--threshold", "0.95", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []  # no rewrite is that close to its original
    again = run("stories", "--db", str(db))
    assert again.stdout.startswith("0 stories on 2+ sites (threshold 0.95,")


def test_stories_bad_input_is_one_line(tmp_path, labelled_db):
    missing = run("stories", "--db", str(tmp_path / "none.db"))
    assert missing.exit_code == 1 and missing.output.strip().count("\n") == 0
    assert "does not exist" in missing.output
    bad = run("stories", "--db", str(labelled_db), "--threshold", "1.5")
    assert bad.exit_code == 2 and "--threshold" in bad.output and "Traceback" not in bad.output
