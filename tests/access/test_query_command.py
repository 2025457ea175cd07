"""`bbn-archive query`: one read-only SQL statement, rows as JSON, JSON lines or CSV."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import time

from click.testing import CliRunner

from bbn_scraper.app.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_query_prints_rows_as_json_csv_and_json_lines(sample_crawl, sample_archive):
    db = str(sample_crawl.db)
    expected = [dict(r) for r in sample_archive.db.query("SELECT id, headline, word_count FROM articles ORDER BY id")]
    sql = "SELECT id, headline, word_count FROM articles ORDER BY id"
    as_json = run("query", sql, "--db", db)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == expected
    as_nl = run("query", sql, "--nl", "--db", db)
    assert [json.loads(line) for line in as_nl.stdout.splitlines()] == expected
    as_csv = run("query", sql, "--csv", "--db", db)
    assert list(csv.DictReader(io.StringIO(as_csv.stdout))) == [{k: str(v) for k, v in r.items()} for r in expected]


def test_query_takes_named_parameters(sample_crawl):
    article = sample_crawl.articles[0]
    result = run("query", "SELECT headline FROM articles WHERE canonical_url = :url",
                 "-p", "url", article["canonical_url"], "--db", str(sample_crawl.db))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"headline": article["headline"]}]


def test_query_encodes_blobs_as_sqlite_utils_does(sample_crawl):
    result = run("query", "SELECT x'00ff' AS b", "--nl", "--db", str(sample_crawl.db))
    assert json.loads(result.stdout) == {"b": {"$base64": True, "encoded": "AP8="}}


def test_a_write_is_refused_and_changes_nothing(sample_crawl):
    before = hashlib.sha256(sample_crawl.db.read_bytes()).hexdigest()
    for sql in ("DELETE FROM articles", "UPDATE articles SET headline = 'x'", "DROP TABLE faqs",
                "INSERT INTO tags (name) VALUES ('x')", "PRAGMA user_version = 7", "VACUUM"):
        result = run("query", sql, "--db", str(sample_crawl.db))
        assert result.exit_code == 1, (sql, result.output)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), (sql, result.stderr)
    assert hashlib.sha256(sample_crawl.db.read_bytes()).hexdigest() == before
    count = run("query", "SELECT count(*) AS n FROM articles", "--db", str(sample_crawl.db))
    assert json.loads(count.stdout) == [{"n": len(sample_crawl.articles)}]


def test_a_statement_past_its_time_limit_ends_in_one_line(sample_crawl):
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    started = time.monotonic()
    result = run("query", endless, "--timeout", "0.5", "--db", str(sample_crawl.db))
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert result.stderr == "Error: the statement ran past its time limit of 0.5 s (--timeout S to allow more)\n"


def test_the_time_limit_covers_the_rows_as_they_are_read(sample_crawl):
    rows_forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
    result = run("query", rows_forever, "--timeout", "0.5", "--max-rows", "0", "--nl", "--db", str(sample_crawl.db))
    assert result.exit_code == 1
    assert result.stderr.endswith("time limit of 0.5 s (--timeout S to allow more)\n")
    assert result.stdout.count("\n") > 1000  # rows streamed until then


def test_a_value_past_64_mib_ends_in_one_line(sample_crawl):
    huge = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200) " \
           "SELECT length(group_concat(randomblob(1000000))) FROM c"
    result = run("query", huge, "--db", str(sample_crawl.db))
    assert result.exit_code == 1
    assert result.stderr == "Error: SQL error: string or blob too big\n"


def test_more_rows_than_max_rows_end_in_one_line_and_well_formed_json(sample_crawl):
    result = run("query", "SELECT id FROM articles ORDER BY id", "--max-rows", "5", "--db", str(sample_crawl.db))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: more than 5 rows: stopped after 5 (--max-rows N")
    assert len(json.loads(result.stdout)) == 5
