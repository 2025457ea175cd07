"""The crawl command behaves (issue 13 item 4): an exact article cap, bad input refused before
anything starts, SIGTERM, exit status 3 when nothing was fetched, and the errors command."""
from __future__ import annotations

import pytest

from click.testing import CliRunner

from app.cli import cli
from tests.helpers import crawl, rows


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
    from crawler.run import bad_setting

    assert bad_setting(*pair.split("=", 1)) is None
