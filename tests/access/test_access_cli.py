"""The search, show, export, stats and reparse commands through click's CliRunner (one through
a real subprocess), and their one-line errors."""
from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.helpers import decoded
from bbn_scraper.app.cli import cli

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_search_prints_ranked_results_with_marked_snippets(sample_crawl):
    article = sample_crawl.articles[3]
    result = run("search", article["unique_word"], "--db", str(sample_crawl.db))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"1. {article['headline']}\n")
    assert article["canonical_url"] in result.stdout
    assert f"[{article['unique_word']}]" in result.stdout and "\x1b[" not in result.stdout


def test_search_json_with_filters(sample_crawl):
    section = sample_crawl.articles[0]["section"]
    result = run("search", "the", "--section", section, "--limit", "100", "--json", "--db", str(sample_crawl.db))
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {r["url"] for r in found} == {a["canonical_url"] for a in sample_crawl.articles if a["section"] == section}
    assert set(found[0]) >= {"id", "headline", "url", "published", "section", "authors", "snippet", "rank", "matched"}


def test_show_prints_the_article_with_faqs_and_links(sample_crawl):
    article = next(a for a in sample_crawl.articles if a["faqs"] and a["related_links"] and a["related_articles"])
    result = run("show", article["canonical_url"], "--db", str(sample_crawl.db))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(article["headline"] + "\n")
    assert article["body_paragraphs"][0] in out
    assert f"Q: {article['faqs'][0]['question']}\nA: {article['faqs'][0]['answer']}" in out
    assert f"- {article['related_links'][0]['text']} <{article['related_links'][0]['url']}>" in out
    assert "You may also like" in out and article["related_articles"][-1]["url"] in out
    assert "Version 1 (0 earlier versions)" in out


def test_show_json_by_amp_url(sample_crawl):
    amp = sample_crawl.manifest["amp_pages"][0]
    result = run("show", amp["url"], "--json", "--db", str(sample_crawl.db))
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["canonical_url"] == amp["canonical_url"] and amp["url"] in shown["urls"]


def test_export_jsonl_round_trips_every_article(sample_crawl, sample_archive, tmp_path):
    out = tmp_path / "all.jsonl"
    result = run("export", "-o", str(out), "--db", str(sample_crawl.db))
    assert result.exit_code == 0, result.output
    records = {r["canonical_url"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    stored = {row["canonical_url"]: decoded(row) for row in sample_archive.db.query("SELECT * FROM articles")}
    assert records.keys() == stored.keys() == {a["canonical_url"] for a in sample_crawl.articles}
    for url, row in stored.items():
        record = records[url]
        assert {k: record[k] for k in row} == row
        expected = sample_crawl.by_url(url)
        assert (record["authors"], record["tags"], record["faqs"]) == (expected["authors"], expected["tags"], expected["faqs"])


def test_export_csv_round_trips_every_article(sample_crawl, sample_archive, tmp_path):
    out = tmp_path / "all.csv"
    result = run("export", "--format", "csv", "-o", str(out), "--db", str(sample_crawl.db))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        records = {r["canonical_url"]: r for r in csv.DictReader(fh)}
    stored = {row["canonical_url"]: row for row in sample_archive.db.query("SELECT * FROM articles")}
    assert records.keys() == stored.keys()
    for url, row in stored.items():
        record = records[url]
        assert {k: record[k] for k in row} == {k: "" if v is None else str(v) for k, v in row.items()}
        expected = sample_crawl.by_url(url)
        assert json.loads(record["authors"]) == expected["authors"]
        assert json.loads(record["tags"]) == expected["tags"]
        assert json.loads(record["faqs"]) == expected["faqs"]


def test_export_selects_like_search(sample_crawl, tmp_path):
    tag = sample_crawl.articles[0]["tags"][-1]
    word = sample_crawl.manifest["faq_only_word"]["word"]
    for args, wanted in [
        (["--tag", tag], lambda a: tag in a["tags"]),
        (["--query", word], lambda a: a["path"] == sample_crawl.manifest["faq_only_word"]["article_path"]),
        (["--since", "2023-09-01", "--until", "2023-09-10"], lambda a: "2023-09-01" <= a["published"][:10] <= "2023-09-10"),
    ]:
        out = tmp_path / "some.jsonl"
        assert run("export", *args, "-o", str(out), "--db", str(sample_crawl.db)).exit_code == 0
        got = {json.loads(line)["canonical_url"] for line in out.read_text(encoding="utf-8").splitlines()}
        assert got == {a["canonical_url"] for a in sample_crawl.articles if wanted(a)}, args


def test_stats_prints_the_tables_and_plots_a_png(sample_crawl, tmp_path):
    png = tmp_path / "months.png"
    result = run("stats", "--plot", str(png), "--db", str(sample_crawl.db))
    assert result.exit_code == 0, result.output
    for title in ("Articles per section", "Articles per author", "Articles per month published", "Crawls", "Errors by stage"):
        assert title in result.stdout
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 100 and height > 100


def test_the_chart_of_an_archive_of_many_centuries_stays_small(sample_archive_copy, tmp_path):
    """12,000 months (hostile or mistaken dates) were a 720,000-pixel-wide PNG: 156 s, 1.6 GB."""
    conn = sqlite3.connect(sample_archive_copy)
    with conn:
        conn.execute("UPDATE articles SET published = 'not a date' WHERE id = 1")
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 11999)"
            " INSERT INTO articles (url_key, url, canonical_url, canonical_source, published, word_count, body,"
            " body_html, content_hash, first_seen, last_seen) SELECT 'k' || i, 'http://x/' || i, 'http://x/' || i,"
            " 'x', printf('%04d-%02d-01', 1000 + i / 12, 1 + i % 12), 1, 'b', 'b', 'h', 't', 't' FROM n")
    conn.close()
    png = tmp_path / "months.png"
    result = run("stats", "--plot", str(png), "--db", str(sample_archive_copy))
    assert result.exit_code == 0, result.output
    assert f"chart of articles per year written to {png}" in result.stderr
    data = png.read_bytes()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width <= 4000 and height <= 400, (width, height)


def test_stats_json(sample_crawl):
    result = run("stats", "--json", "--db", str(sample_crawl.db))
    assert json.loads(result.stdout)["totals"]["articles"] == len(sample_crawl.articles)


def test_reparse_command_reports_counts(sample_crawl, sample_archive_copy):
    result = run("reparse", "--db", str(sample_archive_copy))
    assert result.exit_code == 0, result.output
    assert f"{len(sample_crawl.articles)} pages parsed, 0 articles changed, {len(sample_crawl.articles)} unchanged, 0 failed" in result.stdout


def test_every_command_has_an_example_in_its_help():
    for command in ("search", "show", "export", "stats", "reparse"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example:" in result.stdout and f"bbn-archive {command}" in result.stdout


def test_a_real_subprocess_search(sample_crawl):
    word = sample_crawl.manifest["faq_only_word"]["word"]
    done = subprocess.run([sys.executable, "-m", "bbn_scraper", "search", word, "--db", str(sample_crawl.db), "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [found] = json.loads(done.stdout)
    assert found["matched"] == ["faq"] and found["url"].endswith(sample_crawl.manifest["faq_only_word"]["article_path"])


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "notes.txt").write_text("not a database\n" * 100)
    other = sqlite3.connect(folder / "other.db")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    return folder


COMMANDS = [["search", "word"], ["show", "1"], ["export", "-o", "out.jsonl"], ["stats"], ["reparse"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("name, message", [
    ("missing.db", "does not exist"), ("notes.txt", "is not a SQLite database"), ("other.db", "not a bbn-archive"),
])
def test_unusable_archive_is_one_error_line(bad_files, monkeypatch, command, name, message):
    monkeypatch.chdir(bad_files)
    result = run(*command, "--db", name)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ") and message in result.stderr
    assert not (bad_files / "out.jsonl").exists()


def test_verify_of_a_missing_archive_is_one_error_line(tmp_path):
    result = run("verify", "--db", str(tmp_path / "missing.db"))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "missing.db does not exist" in result.stderr
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize("args, message", [
    (["search", "the", "--since", "someday"], "bad date 'someday'"),
    (["search", "the", "--until", "2023-02-30"], "bad date"),
    (["export", "--since", "nope", "-o", "x.jsonl"], "bad date"),
    (["reparse", "--since", "nope"], "bad date"),
    (["search", ""], "empty query"),
    (["search", "( * )"], "empty query"),
    (["export", "--query", " ", "-o", "x.jsonl"], "empty query"),
    (["show", "424242"], "no article with id 424242"),
])
def test_bad_input_is_one_error_line(sample_crawl, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(*args, "--db", str(sample_crawl.db))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ") and message in result.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_a_command_that_reads_the_archive_does_not_load_datasketch(sample_crawl):
    """datasketch imports scipy (about 0.6 s of every start): only writing a story needs it."""
    code = ("import sys; from bbn_scraper.app.cli import cli\n"
            f"try: cli.main(['stats', '--json', '--db', {str(sample_crawl.db)!r}])\n"
            "except SystemExit: pass\n"
            "print(sorted({m.partition('.')[0] for m in sys.modules} & {'datasketch', 'scipy'}), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout)["totals"]["articles"] > 0
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr
