"""The crawl command behaves (issue 13 item 4): an exact article cap, bad input refused before
anything starts, SIGTERM, exit status 3 when nothing was fetched, and the errors command."""
from __future__ import annotations

import pytest

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
