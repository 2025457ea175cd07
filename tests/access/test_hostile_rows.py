"""The read commands on an archive whose rows may come from anyone: archived text cannot drive
the terminal, an export that cannot write a row leaves no file, a stored body that is not the
one recorded is an error, and bad numbers or URLs are one line."""
from __future__ import annotations

import json
import sqlite3
import zlib

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.errors import ArchiveError
from bbn_scraper.app.cli import cli

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202e"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def _alter(db, sql: str, params=()):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql, params)
    conn.close()


def test_archived_text_cannot_drive_the_terminal(sample_archive_copy):
    db = str(sample_archive_copy)
    _alter(db, "UPDATE articles SET headline = ? || headline, byline = ? WHERE id = 1", [ESCAPES, ESCAPES])
    _alter(db, "INSERT INTO errors (crawl_id, url, stage, reason, at) VALUES (1, ?, 'fetch', ?, '2024-01-01T00:00:00+00:00')",
           [f"http://x/{ESCAPES}", ESCAPES])
    shown = [run("show", "1", "--db", db), run("errors", "--crawl", "1", "--db", db), run("stats", "--db", db)]
    headline = sqlite3.connect(db).execute("SELECT headline FROM articles WHERE id = 1").fetchone()[0]
    shown.append(run("search", headline.split()[-1], "--db", db))
    for result in shown:
        assert result.exit_code == 0, result.output
        assert not {"\x1b", "\x07", "\x9b", "\u202e"} & set(result.output), result.output
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202e" in shown[0].output and "\\x1b" in shown[1].output
    as_json = [run("show", "1", "--json", "--db", db), run("errors", "--crawl", "1", "--json", "--db", db),
               run("search", headline.split()[-1], "--json", "--db", db),
               run("query", "SELECT headline FROM articles WHERE id = 1", "--db", db)]
    for result in as_json:  # the same JSON to a parser, \\u escapes to a terminal
        assert result.exit_code == 0 and not {"\x1b", "\x07", "\x9b", "\u202e"} & set(result.output), result.output
        assert any(ESCAPES in text for text in _strings(json.loads(result.output))), result.output


def _strings(value):
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _strings(item)


BAD_JSON = ("UPDATE articles SET keywords = '{not json' WHERE id = ?", "export stopped after")
BAD_UTF8 = ("UPDATE articles SET headline = CAST(x'48ff28' AS TEXT) WHERE id = ?", "Could not decode to UTF-8")


@pytest.mark.parametrize("fmt, damage", [("jsonl", BAD_JSON), ("parquet", BAD_JSON), ("csv", BAD_UTF8), ("jsonl", BAD_UTF8)])
def test_an_export_stopped_by_a_row_it_cannot_write_leaves_no_file(sample_archive_copy, tmp_path, fmt, damage):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    db = str(sample_archive_copy)
    last = sqlite3.connect(db).execute("SELECT id FROM articles ORDER BY published DESC LIMIT 1").fetchone()[0]
    _alter(db, damage[0], [last])
    out = tmp_path / "out" / f"articles.{fmt}"
    out.parent.mkdir()
    result = run("export", "-o", str(out), "--db", db)
    assert result.exit_code == 1 and damage[1] in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert list(out.parent.iterdir()) == []  # neither the file nor its temporary


def test_an_export_is_renamed_into_place_whole(sample_archive_copy, tmp_path):
    out = tmp_path / "articles.jsonl"
    assert run("export", "-o", str(out), "--db", str(sample_archive_copy)).exit_code == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert len(out.read_text().splitlines()) == sqlite3.connect(sample_archive_copy).execute(
        "SELECT count(*) FROM articles").fetchone()[0]
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # as open() makes a file, not mkstemp


def test_a_stored_body_that_is_not_the_one_recorded_is_an_error(sample_archive_copy):
    page = sqlite3.connect(sample_archive_copy).execute("SELECT id, body FROM pages WHERE compression = 'zlib' LIMIT 1").fetchone()
    whole = zlib.decompress(page[1])
    for damaged in (zlib.compress(whole.replace(b"<", b"[", 1)), page[1][:len(page[1]) // 2]):
        _alter(sample_archive_copy, "UPDATE pages SET body = ? WHERE id = ?", [damaged, page[0]])
        with Archive(sample_archive_copy) as archive, pytest.raises(ArchiveError, match=f"page {page[0]}: its stored body is damaged"):
            archive.page_body(page[0])


@pytest.mark.parametrize("args", [("show", "http://[::1"), ("show", "http://a:99999/")])
def test_a_url_that_does_not_parse_is_no_article(sample_archive_copy, args):
    result = run(*args, "--db", str(sample_archive_copy))
    assert result.exit_code == 1 and result.output.startswith("Error: no article archived under"), result.output


@pytest.mark.parametrize("args", [("search", "vote", "--limit", "9" * 20), ("query", "SELECT 1", "--timeout", "nan")])
def test_numbers_out_of_range_are_usage_errors(sample_archive_copy, args):
    result = run(*args, "--db", str(sample_archive_copy))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize("args", [("search", "x"), ("show", "1"), ("stats",), ("errors",), ("stories",),
                                  ("export", "-o", "-"), ("verify",), ("query", "SELECT 1")])
def test_a_read_command_on_an_empty_file_writes_nothing_to_it(tmp_path, args):
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run(*args, "--db", str(empty))
    assert result.exit_code == 1 and "is empty, not a bbn-archive" in result.output, result.output
    assert empty.stat().st_size == 0


@pytest.mark.parametrize("damage, command, words", [
    ("UPDATE articles SET headline = x'ff00fe' WHERE id = 1", ["show", "1"], "article 1 is damaged: its headline is a BLOB"),
    ("UPDATE articles SET body = x'0001' WHERE id = 1", ["show", "1"], "article 1 is damaged: its body is a BLOB"),
    ("UPDATE articles SET keywords = '[1' WHERE id = 1", ["show", "1"], "article 1 is damaged: its keywords is not JSON"),
    ("UPDATE articles SET keywords = '[1, 2]' WHERE id = 1", ["show", "1"], "its keywords is a list holding something else"),
    ("UPDATE faqs SET article_id = 1, answer = x'00' WHERE rowid = (SELECT min(rowid) FROM faqs)", ["show", "1"], "article 1's FAQ pair is damaged"),
    ("UPDATE crawls SET stats = '[1, 2]' WHERE id = 1", ["stats"], "crawl 1 is damaged: its stats are not a JSON object"),
    ("UPDATE crawls SET stats = '{bad' WHERE id = 1", ["stats"], "crawl 1 is damaged: its stats is not JSON"),
    ("UPDATE crawls SET start_urls = '{}' WHERE id = 1", ["stats"], "crawl 1 is damaged: its start_urls is a JSON object"),
])
def test_a_row_of_the_wrong_kind_is_one_line_naming_it(sample_archive_copy, damage, command, words):
    _alter(sample_archive_copy, damage)
    result = run(*command, "--db", str(sample_archive_copy))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and words in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "internal error" not in result.output


def test_reading_leaves_a_rollback_journal_archive_as_it_is_and_writing_puts_it_in_wal(sample_archive_copy):
    """A reader does not change the file: an archive kept in rollback-journal mode (a network
    file system, where WAL does not work) stays so; the first write puts it in WAL mode."""
    db = str(sample_archive_copy)

    def journal_mode() -> str:
        conn = sqlite3.connect(db)
        try:
            return conn.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            conn.close()

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    conn.close()
    for args in (("search", "vote"), ("show", "1"), ("stats",), ("errors",), ("stories",), ("export", "-o", "-"),
                 ("verify",), ("query", "SELECT count(*) FROM articles")):
        result = run(*args, "--db", db)
        assert result.exit_code in (0, 3) and "Error:" not in result.output, (args, result.output)
        assert journal_mode() == "delete", args
    with Archive(db) as archive:
        archive.start_crawl(["http://example.com/"])
    assert journal_mode() == "wal"


@pytest.mark.parametrize("command, name", [("export-warc", "out.warc.gz"), ("export-wacz", "out.wacz")])
@pytest.mark.parametrize("damage", ["x''", "x'0102030405'", "zeroblob(64)"])
def test_an_export_of_a_damaged_page_body_is_an_error_and_leaves_no_file(sample_archive_copy, tmp_path, command,
                                                                           name, damage):
    """An empty or non-zlib body was exported as a 0- or 5-byte page, silently (an HTTP body's
    decoder passes on what is not compressed); a failed export-warc left its file half-written."""
    page = sqlite3.connect(sample_archive_copy).execute("SELECT max(id) FROM pages").fetchone()[0]
    _alter(sample_archive_copy, f"UPDATE pages SET body = {damage} WHERE id = ?", [page])
    out = tmp_path / "out" / name
    out.parent.mkdir()
    result = run(command, "-o", str(out), "--db", str(sample_archive_copy))
    assert result.exit_code == 1 and f"page {page}: its stored body is damaged" in result.output, result.output
    assert list(out.parent.iterdir()) == []  # neither the file nor its temporary


def test_a_file_written_whole_is_removed_on_sigterm(tmp_path):
    import os
    import signal

    from bbn_scraper.app.output import replaced_whole

    target, before = tmp_path / "out.warc.gz", signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with replaced_whole(target) as written:
            written.write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGTERM)
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("damage, says", [
    ("url = url || char(13, 10) || 'WARC-Injected: 1'", "its URL is not one a WARC record can name"),
    ("content_type = 'text/html' || char(13, 10) || 'Set-Cookie: injected=1'", "its Content-Type holds a line break"),
    ("fetched_at = 'garbage'", "its fetched_at is not a date ('garbage')"),
    ("fetched_at = x'00'", "its fetched_at is not a date"),
    ("url = x'68'", "its URL is not one a WARC record can name"),
    ("status = 'teapot'", "its status is not an HTTP status ('teapot')"),
])
def test_export_warc_of_a_page_row_it_cannot_write_is_one_line_naming_it(sample_archive_copy, tmp_path, damage, says):
    """CR/LF in a URL or Content-Type wrote headers of the row's choosing into the WARC; a bad
    date or a BLOB URL was an internal error."""
    page = sqlite3.connect(sample_archive_copy).execute("SELECT max(id) FROM pages").fetchone()[0]
    _alter(sample_archive_copy, f"UPDATE pages SET {damage} WHERE id = ?", [page])
    out = tmp_path / "out.warc.gz"
    result = run("export-warc", "-o", str(out), "--db", str(sample_archive_copy))
    assert result.exit_code == 1 and f"Error: page {page}: {says}" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_stories_of_a_damaged_row_are_json_and_escaped(sample_archive_copy):
    _alter(sample_archive_copy, "UPDATE articles SET headline = x'ff00' WHERE id = 1")
    _alter(sample_archive_copy, "UPDATE stories SET first_seen = 'X' || char(27) || ']0;owned' || char(7)")
    found = run("stories", "--min-sites", "1", "--json", "--db", str(sample_archive_copy))
    assert found.exit_code == 0, found.output
    assert {"$base64": True, "encoded": "/wA="} in [a["headline"] for s in json.loads(found.output) for a in s["articles"]]
    text = run("stories", "--min-sites", "1", "--db", str(sample_archive_copy))
    assert text.exit_code == 0 and "\x1b" not in text.output and "\\x1b]0;owned" in text.output, text.output
    assert run("stories", "--num-perm", "100000", "--db", str(sample_archive_copy)).exit_code == 2


def test_an_error_row_of_a_huge_reason_is_cut_when_read(sample_archive_copy):
    """errors read every row whole into memory: 1,000,000 rows took 2.2 GB, a 300 MB reason 1.2 GB."""
    _alter(sample_archive_copy, "INSERT INTO errors (crawl_id, url, stage, reason, at)"
                                " VALUES (1, 'http://x/', 'fetch', printf('%.*c', 25000, 'r'), '2024-01-01T00:00:00+00:00')")
    for args in ((), ("--json",)):
        result = run("errors", *args, "--db", str(sample_archive_copy))
        assert result.exit_code == 0 and "r" * 10_000 + "... (15000 more characters)" in result.output, result.output[-300:]
        assert "r" * 10_001 not in result.output
    rows = json.loads(run("errors", "--json", "--db", str(sample_archive_copy)).output)
    assert rows[-1]["url"] == "http://x/" and len(rows) == sqlite3.connect(sample_archive_copy).execute(
        "SELECT count(*) FROM errors WHERE crawl_id = 1").fetchone()[0]


def test_the_python_apis_crawl_errors_gives_values_whole(sample_archive_copy):
    _alter(sample_archive_copy, "INSERT INTO errors (crawl_id, url, stage, reason, at)"
                                " VALUES (1, 'http://x/', 'fetch', printf('%.*c', 25000, 'r'), '2024-01-01T00:00:00+00:00')")
    with Archive(sample_archive_copy) as archive:
        assert archive.crawl_errors(1)[1][-1].reason == "r" * 25_000
        assert list(archive.error_rows(1)[2])[-1].reason.endswith("... (15000 more characters)")


def test_export_warc_takes_a_tab_in_a_content_type(sample_archive_copy, tmp_path):
    """A tab may be in a header value (RFC 9110): a server's `text/html;<TAB>charset=utf-8`."""
    _alter(sample_archive_copy, "UPDATE pages SET content_type = 'text/html;' || char(9) || 'charset=utf-8'")
    result = run("export-warc", "-o", str(tmp_path / "out.warc.gz"), "--db", str(sample_archive_copy))
    assert result.exit_code == 0, result.output
