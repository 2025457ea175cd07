"""Every command of the CLI, each with a table of bad arguments: exactly one line on stderr,
no traceback, and the exit status README.md documents (Exit statuses). The commands are listed
from the click group, so a command missing from the table fails the test."""
from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from bbn_scraper.app.cli import cli

ROOT = Path(__file__).resolve().parents[2]

# command -> [(arguments, exit status, text the line holds)]; {db} is the sample archive,
# {notdb} a file of garbage, {other} a SQLite database that is not an archive, {missing} a
# path with nothing at it, {dir} a folder, {page} a saved page that is not an article (the
# sample site's home page), {noise} bytes that decode as nothing.
BAD_ARGUMENTS = {
    "crawl": [
        (["http://", "--db", "{missing}"], 2, "has no host name"),
        (["ftp://example.com/", "--db", "{missing}"], 2, "not an http or https URL"),
        (["--concurrency", "0", "--db", "{missing}"], 2, "--concurrency"),
        (["-s", "DOWNLOAD_DELAY=abc", "--db", "{missing}"], 2, "DOWNLOAD_DELAY"),
        (["-s", "DOWNLOAD_DELAYY=1", "--db", "{missing}"], 2, "DOWNLOAD_DELAYY: no such setting (did you mean DOWNLOAD_DELAY?)"),
        (["-s", "NO_SUCH_THING=1", "--db", "{missing}"], 2, "NO_SUCH_THING: no such setting"),
        (["-s", "DOWNLOAD_DELAY", "--db", "{missing}"], 2, "is not NAME=VALUE"),
        (["--sites", "{missing}", "--db", "{missing}"], 2, "--sites"),
        (["--warc", "{page}", "--db", "{missing}"], 2, "Invalid value for '--warc'"),
        (["--db", "{notdb}"], 1, "is not a SQLite database"),
        (["--db", "{other}"], 1, "not a bbn-archive"),
    ],
    "demo": [
        (["--port", "99999", "--db", "{missing}"], 2, "99999"),
        (["--port", "x", "--db", "{missing}"], 2, "--port"),
        (["--db", "{notdb}"], 1, "is not a SQLite database"),
    ],
    "serve": [
        (["--port", "99999", "--db", "{db}"], 2, "99999"),
        (["--port", "0", "--db", "{db}"], 2, "--port"),
        (["--db", "{missing}"], 1, "does not exist"),
        (["--db", "{notdb}"], 1, "is not a SQLite database"),
        (["--db", "{other}"], 1, "not a bbn-archive"),
    ],
    "search": [
        ([], 2, "Missing argument"),
        (["", "--db", "{db}"], 1, "empty"),
        (["storm", "--since", "not a date", "--db", "{db}"], 1, "not a date"),
        (["storm", "--limit", "0", "--db", "{db}"], 2, "--limit"),
        (["storm", "--db", "{missing}"], 1, "does not exist"),
    ],
    "show": [
        ([], 2, "Missing argument"),
        (["999999", "--db", "{db}"], 1, "no article with id 999999"),
        (["1", "--db", "{other}"], 1, "not a bbn-archive"),
        (["99999999999999999999999", "--db", "{db}"], 1, "no article with id 99999999999999999999999"),
    ],
    "export": [
        (["--db", "{db}"], 2, "-o"),
        (["-o", "{dir}/absent/x.csv", "--db", "{db}"], 1, "{dir}/absent/x.csv: No such file or directory"),
        (["-o", "{dir}/absent/x.parquet", "--db", "{db}"], 1, "No such file or directory"),
        (["-o", "{dir}", "--db", "{db}"], 2, "is a directory"),
        (["-o", "{dir}/x.txt", "--db", "{db}"], 2, "names no format"),
        (["-o", "{dir}/x.json", "--db", "{db}"], 2, "names no format"),
        (["-o", "{dir}/x.warc.gz", "--db", "{db}"], 2, "'-o' / '--output': {dir}/x.warc.gz: an extension that names no format"),
        (["-o", "-", "--format", "xml", "--db", "{db}"], 2, "--format"),
        (["-o", "-", "--since", "soon", "--db", "{db}"], 1, "soon"),
        (["-o", "-", "--db", "{notdb}"], 1, "is not a SQLite database"),
    ],
    "export-warc": [
        (["--db", "{db}"], 2, "--output"),
        (["-o", "{dir}/absent/x.warc.gz", "--db", "{db}"], 1, "{dir}/absent/x.warc.gz: No such file or directory"),
        (["-o", "{dir}/x.warc.gz", "--since", "soon", "--db", "{db}"], 1, "soon"),
        (["-o", "{dir}/x.warc.gz", "--db", "{missing}"], 1, "does not exist"),
        (["-o", "{dir}/x.txt", "--db", "{db}"], 2, "'-o' / '--output': {dir}/x.txt: an extension that names no WARC file (end the name with .warc.gz)"),
        (["-o", "{dir}/x.warc", "--db", "{db}"], 2, "names no WARC file"),
        (["-o", "{dir}/x.wacz", "--db", "{db}"], 2, "names no WARC file"),
    ],
    "export-wacz": [
        (["--db", "{db}"], 2, "--output"),
        (["-o", "{dir}/absent/x.wacz", "--db", "{db}"], 1, "{dir}/absent/x.wacz: No such file or directory"),
        (["-o", "{dir}/x.wacz", "--db", "{notdb}"], 1, "is not a SQLite database"),
        (["-o", "{dir}/news.zip", "--db", "{db}"], 2, "'-o' / '--output': {dir}/news.zip: an extension that names no WACZ file (end the name with .wacz)"),
        (["-o", "{dir}/x.warc.gz", "--db", "{db}"], 2, "names no WACZ file"),
    ],
    "stats": [
        (["--plot", "{dir}/absent/m.png", "--db", "{db}"], 1, "{dir}/absent/m.png: No such file or directory"),
        (["--plot", "{dir}/m.txt", "--db", "{db}"], 2, "'--plot': {dir}/m.txt: an extension that names no PNG chart (end the name with .png)"),
        (["--db", "{missing}"], 1, "does not exist"),
    ],
    "errors": [
        (["--crawl", "0", "--db", "{db}"], 2, "--crawl"),
        (["--crawl", "999", "--db", "{db}"], 1, "999"),
        (["--crawl", "99999999999999999999", "--db", "{db}"], 2, "--crawl"),
    ],
    "reparse": [
        (["--since", "not a date", "--db", "{db}"], 1, "not a date"),
        (["--processes", "-1", "--db", "{db}"], 2, "--processes"),
        (["--db", "{missing}"], 1, "does not exist"),
    ],
    "verify": [
        (["--db", "{notdb}"], 1, "is not a SQLite database"),
        (["--db", "{other}"], 1, "not a bbn-archive"),
        (["--db", "{missing}"], 1, "does not exist"),
        (["--warc", "{missing}", "--db", "{db}"], 1, "does not exist"),
    ],
    "query": [
        ([], 2, "Missing argument"),
        (["  ", "--db", "{db}"], 2, "empty statement"),
        (["DELETE FROM articles", "--db", "{db}"], 1, "read-only"),
        (["UPDATE articles SET headline = 'x'", "--db", "{db}"], 1, "read-only"),
        (["ATTACH '{dir}/new.db' AS n", "--db", "{db}"], 1, "not authorized"),
        (["SELECT nope FROM articles", "--db", "{db}"], 1, "no such column"),
        (["SELECT 1; SELECT 2", "--db", "{db}"], 1, "one statement"),
        (["SELECT :x", "--db", "{db}"], 1, "SQL error"),
        (["SELECT 1", "--db", "{notdb}"], 1, "is not a SQLite database"),
        (["SELECT 1", "--db", "{other}"], 1, "not a bbn-archive"),
    ],
    "worker": [
        ([], 2, "Missing option '--redis'"),
        (["--redis", "nonsense://x"], 2, "is not a redis://"),
        (["--redis", "redis://127.0.0.1:9/0", "--wait", "nan"], 2, "nan is not a number of seconds"),
        (["--redis", "redis://127.0.0.1:9/0", "-s", "CONCURENT_REQUESTS=2"], 2, "CONCURENT_REQUESTS: no such setting (did you mean CONCURRENT_REQUESTS?)"),
        (["--redis", "redis://127.0.0.1:9/0"], 1, "Connection refused"),
    ],
    "enqueue": [
        (["--redis", "redis://127.0.0.1:9/0"], 2, "give start URLs or --sites FILE"),
        (["--redis", "redis://127.0.0.1:9/0", "ftp://x/"], 2, "not an http or https URL"),
        (["--redis", "redis://127.0.0.1:9/0", "http://example.org/"], 1, "Connection refused"),
    ],
    "ingest": [
        (["--db", "{missing}"], 2, "Missing option '--redis'"),
        (["--redis", "redis://127.0.0.1:9/0", "--db", "{missing}"], 1, "Connection refused"),
    ],
    "status": [
        ([], 2, "Missing option '--redis'"),
        (["--redis", "localhost"], 2, "is not a redis://"),
        (["--redis", "redis://127.0.0.1:99999/0"], 2, "Port out of range"),
        (["--redis", "redis://127.0.0.1:9/abc"], 2, "the database after the port is a number"),
        (["--redis", "redis://[::1"], 2, "Invalid IPv6 URL"),
        (["--redis", "redis://127.0.0.1:9/0"], 1, "Connection refused"),
    ],
    "import-warc": [
        ([], 2, "Missing argument"),
        (["{missing}", "--db", "{missing}"], 2, "does not exist"),
        (["{page}", "--db", "{notdb}"], 2, "{page}: not a WARC file (it starts with '<!DOCTYPE html>"),
        (["{noise}", "--db", "{missing}"], 2, "{noise}: not a WARC file"),
    ],
    "import-commoncrawl": [
        ([], 2, "give one of --month"),
        (["--month", "2024-03", "--host", "a.com", "--db", "{missing}"], 2, "--contact"),
        (["--month", "2024-03", "--domain", "co.uk", "--contact", "x@y.z", "--db", "{missing}"], 2,
         "not a registrable domain"),
        (["--since", "2024-03-xx", "--host", "a.com", "--contact", "x@y.z", "--db", "{missing}"], 2, "not a date"),
        (["--month", "2024-03", "--host", "a.com", "--contact", "x@y.z", "--base-url", "ftp://x/", "--db", "{missing}"],
         2, "--base-url"),
        (["--month", "2024-03", "--host", "a.com", "--contact", "x@y.z", "--db", "{notdb}"], 1, "is not a SQLite database"),
    ],
    "stories": [
        (["--min-sites", "0", "--db", "{db}"], 2, "--min-sites"),
        (["--threshold", "2", "--db", "{db}"], 2, "--threshold"),
        (["--db", "{missing}"], 1, "does not exist"),
        (["--db", "{other}"], 1, "not a bbn-archive"),
    ],
    "extract": [
        ([], 2, "Missing argument"),
        (["{missing}"], 1, "{missing}: No such file or directory"),
        (["{dir}"], 1, "1 of 1 inputs could not be read"),
        (["{page}", "--url", "http://x/", "{page}"], 2, "--url names one page's address"),
        (["{page}"], 4, "is not an article page"),
        (["{notdb}", "--json"], 4, "an article with no headline"),
    ],
}
COMMON = [(["--no-such-option"], 2, "No such option")]  # for every command
TOP_LEVEL = [(["--version"], 0, None), (["no-such-command"], 2, "No such command"), (["--no-such-option"], 2, "No such option")]


@pytest.fixture(scope="module")
def paths(sample_crawl, sample_site, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("bad")
    (folder / "notdb.db").write_bytes(b"this is not a database\n" * 100)
    conn = sqlite3.connect(folder / "other.db")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with urllib.request.urlopen(sample_site.base_url) as home:  # the home page: a listing
        (folder / "page.html").write_bytes(home.read())
    (folder / "dir").mkdir()
    (folder / "noise.bin").write_bytes(random.Random(0).randbytes(3000))
    return {"db": str(sample_crawl.db), "notdb": str(folder / "notdb.db"), "other": str(folder / "other.db"),
            "missing": str(folder / "missing.db"), "dir": str(folder / "dir"), "page": str(folder / "page.html"),
            "noise": str(folder / "noise.bin")}


def test_every_command_has_bad_arguments_in_the_table():
    assert set(cli.commands) == set(BAD_ARGUMENTS)


@pytest.mark.parametrize("command", sorted(BAD_ARGUMENTS))
def test_every_failure_is_one_line_and_its_exit_status(command, paths):
    for args, status, words in BAD_ARGUMENTS[command] + COMMON:
        args = [command] + [a.format(**paths) for a in args]
        result = CliRunner().invoke(cli, args)
        what = (args, result.exit_code, result.stderr, result.exception)
        assert result.exit_code == status, what
        assert result.exception is None or isinstance(result.exception, SystemExit), what
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, what
        assert lines[0].startswith("Error: ") and words.format(**paths) in lines[0], what
    assert not Path(paths["dir"], "new.db").exists() and not Path(paths["dir"], "absent").exists()


def test_usage_errors_of_the_group_are_one_line_too():
    for args, status, words in TOP_LEVEL:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == status, (args, result.output)
        if words:
            assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
            assert words in result.stderr and "Usage:" not in result.stderr and "Try " not in result.stderr


def test_the_real_program_prints_one_line_and_the_status(paths):
    for args, status in ((["export", "-o", f"{paths['dir']}/absent/x.csv", "--db", paths["db"]], 1),
                         (["export", "--format", "xml", "-o", "-", "--db", paths["db"]], 2),
                         # bytes that decode as nothing: no log line of bs4 on stderr (which pytest's
                         # log capture would hide in process)
                         (["extract", paths["noise"]], 4)):
        result = subprocess.run([sys.executable, "-m", "bbn_scraper", *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert result.returncode == status, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
        assert "Usage:" not in result.stderr and "Try '" not in result.stderr


def test_a_bug_is_one_line_too(sample_crawl, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("archive.db.Archive.stats", broken)
    result = CliRunner().invoke(cli, ["stats", "--db", str(sample_crawl.db)])
    assert result.exit_code == 1
    assert result.stderr == ("Error: internal error, ZeroDivisionError: division by zero"
                             " (BBN_ARCHIVE_TRACEBACK=1 shows the traceback)\n")
    monkeypatch.setenv("BBN_ARCHIVE_TRACEBACK", "1")
    assert isinstance(CliRunner().invoke(cli, ["stats", "--db", str(sample_crawl.db)]).exception, ZeroDivisionError)


def test_ctrl_c_while_the_cli_loads_is_one_line():
    """A Ctrl-C in the few tenths of a second the CLI's imports take: "Aborted!", exit status 1,
    no traceback (the KeyboardInterrupt comes from an import hook, at the CLI's import)."""
    script = """
import sys
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "bbn_scraper.app.cli":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt())
from bbn_scraper.__main__ import main
sys.argv = ["bbn-archive", "stats"]
main()
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "Aborted!\n")
