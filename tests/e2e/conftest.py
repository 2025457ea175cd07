"""End-to-end helpers: crawls of the bundled sample site, each in its own process (Twisted's
reactor runs once per process), and snapshots of the resulting archive."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from sample_site import SampleSite

# Timestamps and ids that differ between any two runs.
VOLATILE = {"id", "first_seen", "last_seen", "crawl_id", "fetched_at", "at", "superseded_at"}


def crawl(db, base_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`bbn-archive crawl BASE_URL --db DB --local ARGS` in a subprocess."""
    result = subprocess.run(
        [sys.executable, "-m", "app", "crawl", base_url, "--db", str(db), "--local", *args],
        capture_output=True, text=True, timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def rows(db, sql: str, params=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def stable(records: list[dict], drop=VOLATILE) -> list[dict]:
    """Rows without run-dependent columns, in a deterministic order."""
    cleaned = [{k: v for k, v in r.items() if k not in drop} for r in records]
    return sorted(cleaned, key=lambda r: repr(sorted(r.items())))


def archive_state(db) -> dict:
    """The archive's content, comparable between crawls: articles with their children keyed by
    canonical URL instead of ids."""
    return {
        "articles": stable(rows(db, "SELECT * FROM articles")),
        "faqs": stable(rows(db, "SELECT a.canonical_url, f.position, f.question, f.answer FROM faqs f JOIN articles a ON a.id = f.article_id")),
        "links": stable(rows(db, "SELECT a.canonical_url, l.kind, l.position, l.text, l.url FROM links l JOIN articles a ON a.id = l.article_id")),
        "urls": stable(rows(db, "SELECT a.canonical_url, u.url FROM article_urls u JOIN articles a ON a.id = u.article_id")),
        "authors": stable(rows(db, "SELECT a.canonical_url, au.name, x.position FROM article_authors x JOIN authors au ON au.id = x.author_id JOIN articles a ON a.id = x.article_id")),
        "tags": stable(rows(db, "SELECT a.canonical_url, t.name, x.position FROM article_tags x JOIN tags t ON t.id = x.tag_id JOIN articles a ON a.id = x.article_id")),
        "versions": stable(rows(db, "SELECT a.canonical_url, v.version, v.body FROM article_versions v JOIN articles a ON a.id = v.article_id")),
    }


@pytest.fixture(scope="module")
def sample_site():
    with SampleSite(port=0) as running:
        yield running
