"""Comparing a distributed crawl's archive with the local crawl of the sample site (the
session's `sample_crawl`, made with the site on another port)."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from tests.helpers import archive_state, rows


def state_on(db, base_url: str) -> dict:
    """The archive's content with the site's address written as BASE (the local crawl's site
    ran on another port)."""
    host = urlsplit(base_url).netloc
    return json.loads(json.dumps(archive_state(db)).replace(base_url.rstrip("/"), "BASE").replace(host, "HOST"))


def local_base(sample_crawl) -> str:
    return json.loads(rows(sample_crawl.db, "SELECT start_urls FROM crawls ORDER BY id LIMIT 1")[0]["start_urls"])[0]
