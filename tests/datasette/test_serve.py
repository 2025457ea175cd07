"""`bbn-archive serve`: refuses what it cannot serve with one line, and serves a live archive
(not immutable: rows a crawl writes meanwhile show up) from a subprocess."""
from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import urllib.request

import pytest
from click.testing import CliRunner

from archive import Archive
from bbn_scraper.app.cli import cli
from tests.helpers import free_port, served_archive


def serve(*args: str):
    return CliRunner().invoke(cli, ["serve", *args])


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_missing_database_is_refused(tmp_path):
    assert "missing.db does not exist" in one_line_error(serve("--db", str(tmp_path / "missing.db")))


def test_sqlite_database_that_is_not_an_archive_is_refused(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert "not a bbn-archive" in one_line_error(serve("--db", str(other)))


def test_file_that_is_not_sqlite_is_refused(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all\n" * 100)
    assert "is not a SQLite database" in one_line_error(serve("--db", str(junk)))


def test_empty_file_is_refused_and_left_alone(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    assert "is empty, not a bbn-archive" in one_line_error(serve("--db", str(empty)))
    assert empty.stat().st_size == 0


def test_busy_port_is_refused(two_edition_crawl):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        line = one_line_error(serve("--db", str(two_edition_crawl["db"]), "--port", str(port)))
    assert f"cannot serve on 127.0.0.1:{port}" in line


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_serve_runs_datasette_on_a_live_archive(two_edition_crawl, tmp_path):
    with served_archive(two_edition_crawl["db"], tmp_path) as (base, db, out):
        meta = get_json(f"{base}-/metadata.json")
        assert meta["title"] == "BBN news archive"
        settings = get_json(f"{base}-/settings.json")
        assert settings["sql_time_limit_ms"] == 3000 and settings["default_page_size"] == 50
        dbs = get_json(f"{base}-/databases.json")
        assert [(d["name"], d["is_mutable"]) for d in dbs] == [("news", True)]
        article = two_edition_crawl["manifest"]["articles"][0]
        rows = get_json(f"{base}news/articles.json?_search={article['unique_word']}&_shape=array")
        assert [r["headline"] for r in rows] == [article["headline"]]
        # a crawl writing meanwhile: the server sees the new row (no immutable snapshot)
        before = get_json(f"{base}news/errors.json?_size=0")["filtered_table_rows_count"]
        with Archive(db) as arc:
            arc.record_error(1, "http://127.0.0.1/written-while-serving", "fetch", "HTTP 500")
        after = get_json(f"{base}news/errors.json?_size=0")["filtered_table_rows_count"]
        assert after == before + 1
    assert "Serving" in out() and "/news" in out()


@pytest.mark.parametrize("flag", ["--db", "--port", "--host"])
def test_serve_help_names_its_options(flag):
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and flag in result.output


def test_serve_without_the_plugin_installed_is_refused(two_edition_crawl):
    """Were bbn-archive not installed (no entry point), Datasette would serve bare tables."""
    without_plugin = ("from datasette.plugins import pm; pm.set_blocked('bbn_archive');"
                      " from bbn_scraper.app.cli import main; main()")
    result = subprocess.run(
        [sys.executable, "-c", without_plugin, "serve", "--db", str(two_edition_crawl["db"]), "--port", str(free_port())],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: bbn-archive's Datasette plugin is not installed: run `make install` (or pip install -e .)"]
