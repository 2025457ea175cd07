"""The crawl command behaves (issue 13 item 4): an exact article cap, bad input refused before
anything starts, SIGTERM, exit status 3 when nothing was fetched, and the errors command."""
from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from click.testing import CliRunner

from bbn_scraper.app.cli import cli
from tests.helpers import crawl, read_terminal, rows


@pytest.mark.parametrize("concurrency", ["1", "64"])
def test_max_articles_stores_exactly_that_many_new_articles(sample_site, tmp_path, concurrency):
    db = tmp_path / "capped.db"
    for run in (1, 2):  # the second crawl skips the five archived, and stores five more
        result = crawl(db, sample_site.base_url, "--max-articles", "5", "--concurrency", concurrency)
        assert "article cap of 5 reached" in result.stdout
        assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 5 * run
        new = rows(db, "SELECT count(*) AS n FROM article_sightings WHERE crawl_id = ? AND outcome = 'new'", [run])
        assert new[0]["n"] == 5


@pytest.mark.parametrize("args, message", [
    (["http://"], "'http://' has no host name"),
    (["http://:8080/"], "has no host name"),
    (["http://example.com:99999/"], "is not a URL (Port out of range"),
    (["http://[::1/"], "is not a URL"),
    (["ftp://example.com/"], "is not an http or https URL"),
    (["--concurrency", "0"], "'--concurrency': 0 is not in the range x>=1"),
    (["--concurrency", "-3"], "'--concurrency'"),
    (["--delay", "-1"], "'--delay': -1.0 is not in the range x>=0"),
    (["--max-articles", "-1"], "'--max-articles'"),
    (["-s", "DOWNLOAD_DELAY=abc"], "DOWNLOAD_DELAY=abc is not a number"),
    (["-s", "DOWNLOAD_DELAY=-2"], "DOWNLOAD_DELAY=-2: must not be negative"),
    (["-s", "CONCURRENT_REQUESTS=many"], "CONCURRENT_REQUESTS=many is not a whole number"),
    (["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=0"], "must be at least 1"),
    (["-s", "ROBOTSTXT_OBEY=perhaps"], "ROBOTSTXT_OBEY=perhaps is not true or false"),
    (["-s", "PARSE_PROCESSES=two"], "PARSE_PROCESSES=two is not a whole number"),
    (["-s", "DOWNLOAD_DELAY"], "is not NAME=VALUE"),
    (["-s", "REVISIT_POLICY=weekly"], "REVISIT_POLICY: 'weekly' is not a revisit policy"),
    (["-s", "REVISIT_POLICY=30d:7d,2d:always"], "the ages must be above zero and increasing"),
    (["-s", "DOWNLOAD_DELAYY=1"], "DOWNLOAD_DELAYY: no such setting (did you mean DOWNLOAD_DELAY?)"),
    (["-s", "robotstxt_obey=false"], "robotstxt_obey: no such setting (did you mean ROBOTSTXT_OBEY?)"),
    (["-s", "WARC_MAXSIZE=10"], "did you mean WARC_MAX_SIZE?"),
    (["-s", "ZZZ=1"], "ZZZ: no such setting (README: Settings lists them)"),
])
def test_bad_crawl_input_is_refused_before_anything_starts(tmp_path, args, message):
    db = tmp_path / "never.db"
    result = CliRunner().invoke(cli, ["crawl", *args, "--db", str(db)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr and result.exception is None or isinstance(result.exception, SystemExit)
    assert not db.exists()


@pytest.mark.parametrize("pair", ["DOWNLOAD_DELAY=0.25", "DOWNLOAD_TIMEOUT=1.5", "ROBOTSTXT_OBEY=false",
                                  "USER_AGENT=anything at all", "DEPTH_PRIORITY=-1", "PARSE_PROCESSES=0"])
def test_readable_settings_pass(pair):
    from bbn_scraper.crawler.run import bad_setting

    assert bad_setting(*pair.split("=", 1)) is None


def test_every_setting_the_readme_or_the_project_names_is_known():
    """The names of README.md's Settings table, every setting of bbn_scraper/settings.py and
    the -s examples of README.md: none of them refused as unknown."""
    from pathlib import Path

    import bbn_scraper.settings as project
    from bbn_scraper.crawler.run import unknown_setting

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Settings", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"^\| `([A-Z_]+)`", table, re.M)) | set(re.findall(r", `([A-Z_]+)`", table))
    refused = {"NAME", "DOWNLOAD_DELAYY"}  # the README's placeholder and its example of a misspelt name
    names |= (set(re.findall(r"-s ([A-Z_]+)=", readme)) - refused) | {n for n in vars(project) if n.isupper()}
    assert "DOWNLOAD_DELAYY: no such setting (did you mean DOWNLOAD_DELAY?)" in readme
    assert len(names) > 40
    assert [n for n in sorted(names) if unknown_setting(n)] == []


def test_a_known_setting_gets_past_the_check(tmp_path):
    """A setting Scrapy declares and one the project declares: the crawl starts (and, its site
    down, fetches nothing: exit status 3, not 2)."""
    from tests.helpers import free_port

    result = crawl(tmp_path / "x.db", f"http://127.0.0.1:{free_port()}/", "-s", "DOWNLOAD_DELAY=0",
                   "-s", "PROGRESS_INTERVAL=0.5", "-s", "RETRY_ENABLED=false", check=False)
    assert result.returncode == 3, result.stderr


def test_sigterm_stops_a_polite_crawl_at_once_its_work_committed(sample_site, tmp_path):
    """Two seconds between requests: Scrapy's graceful stop alone would fetch every request the
    downloader holds, one delay apart (16 of them: half a minute). Ours fetches none of them:
    counted at the site (at most the one in flight when the signal came), not timed, so that a
    loaded machine cannot fail it."""
    db = tmp_path / "stopped.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "bbn_scraper", "crawl", sample_site.base_url, "--db", str(db), "--delay", "2",
         "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "ROBOTSTXT_OBEY=false",
         # one request in flight at most: with the default 4, a response slower than the delay (the
         # site's thread starved on a loaded machine) let a second be in flight at the signal (CI, once)
         "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _pages(db):
            time.sleep(0.2)
        assert _pages(db), "the crawl stored nothing in a minute"
        process.send_signal(signal.SIGTERM)
        arrived_before = len(sample_site.arrivals)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert len(sample_site.arrivals) - arrived_before <= 1, "requests fetched after SIGTERM"
    assert process.returncode == 0, stderr
    crawl_row = rows(db, "SELECT status, finished FROM crawls")[0]
    assert crawl_row["status"] == "shutdown" and crawl_row["finished"]
    assert _pages(db) >= 1 and "Traceback" not in stderr
    assert not rows(db, "SELECT * FROM errors WHERE reason LIKE '%stopped%'")


def _pages(db) -> int:
    try:
        return rows(db, "SELECT count(*) AS n FROM pages")[0]["n"]
    except sqlite3.Error:
        return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_crawl_that_fetched_nothing_exits_3(tmp_path):
    db = tmp_path / "down.db"
    result = crawl(db, f"http://127.0.0.1:{_free_port()}/", check=False)
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "Error: crawl 1 fetched nothing: see `bbn-archive errors`"
    assert "Traceback" not in result.stderr  # the unreachable robots.txt is one warning line
    assert re.search(r"WARNING: Error downloading <GET http://127\.0\.0\.1:\d+/>: Connection was refused", result.stderr)


def test_a_crawl_whose_every_start_url_failed_exits_3_and_errors_lists_why(sample_site, tmp_path):
    db = tmp_path / "missing.db"
    missing = f"{sample_site.base_url}no-such-page/"
    result = crawl(db, missing, check=False)
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "Error: crawl 1 every start URL failed: see `bbn-archive errors`"
    listed = CliRunner().invoke(cli, ["errors", "--db", str(db)])
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0] == f"crawl 1: {len(lines) - 1} errors"
    assert f"fetch\t{missing}\tHTTP 404" in lines
    as_json = json.loads(CliRunner().invoke(cli, ["errors", "--crawl", "1", "--json", "--db", str(db)]).stdout)
    assert {"url": missing, "stage": "fetch", "reason": "HTTP 404"} in [
        {k: e[k] for k in ("url", "stage", "reason")} for e in as_json]


def test_a_crawl_with_one_good_start_url_exits_0(sample_site, tmp_path):
    db = tmp_path / "half.db"
    result = crawl(db, f"{sample_site.base_url}no-such-page/", sample_site.base_url, "--max-articles", "1", check=False)
    assert result.returncode == 0, result.stderr
    assert "Disabled" not in result.stderr  # WARC recording, off by default, is not a warning


def test_errors_of_the_latest_crawl_by_default_and_of_a_missing_crawl(tmp_path):
    from archive import Archive

    db = tmp_path / "two.db"
    with Archive(db, create=True) as archive:
        result = CliRunner().invoke(cli, ["errors", "--db", str(db)])
        assert result.exit_code == 1 and result.stderr == "Error: the archive has no crawls yet\n"
        first, second = archive.start_crawl(["http://a.example/"]), archive.start_crawl(["http://b.example/"])
        archive.record_error(first, "http://a.example/x", "fetch", "HTTP 500")
        archive.record_error(second, None, "store", "disk full")
    latest = CliRunner().invoke(cli, ["errors", "--db", str(db)])
    assert latest.stdout == f"crawl {second}: 1 errors\nstore\t-\tdisk full\n"
    assert CliRunner().invoke(cli, ["errors", "--crawl", str(first), "--db", str(db)]).stdout.endswith(
        "fetch\thttp://a.example/x\tHTTP 500\n")
    missing = CliRunner().invoke(cli, ["errors", "--crawl", "99", "--db", str(db)])
    assert missing.exit_code == 1 and missing.stderr == "Error: no crawl with id 99\n"


def _crawl_on_a_terminal(db, url: str, *args: str) -> tuple[int, str]:
    """The crawl with its stderr on a pseudo-terminal; its exit status and what it wrote there."""
    import os
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bbn_scraper", "crawl", url, "--db", str(db), "--local", *args],
                               stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    written = read_terminal(master)
    return process.wait(timeout=120), written.decode("utf-8", "replace")


def test_a_progress_line_on_a_terminal_and_the_info_log_behind_verbose(sample_site, tmp_path):
    status, written = _crawl_on_a_terminal(tmp_path / "tty.db", sample_site.base_url, "-s", "PROGRESS_INTERVAL=0.1")
    assert status == 0, written
    assert "] INFO:" not in written
    final = written.rstrip("\r\n").rsplit("\r\x1b[K", 1)[-1]
    new = rows(tmp_path / "tty.db", "SELECT count(*) AS n FROM articles")[0]["n"]
    errors = rows(tmp_path / "tty.db", "SELECT count(*) AS n FROM errors")[0]["n"]
    assert re.fullmatch(rf"\d+ pages, {new} new articles, {errors} errors, [\d.]+ pages/s", final), final
    status, verbose = _crawl_on_a_terminal(tmp_path / "verbose.db", sample_site.base_url, "--verbose")
    assert status == 0 and "] INFO:" in verbose and "pages/s" not in verbose
