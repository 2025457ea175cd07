"""What tests import (the fixtures that use these live in tests/conftest.py): crawls of the sample
site in a subprocess and snapshots of an archive, the article factory, the sample site's HTTP
client, the Datasette client and server, and the manifest's searchable text."""
from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, fields as dataclass_fields
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from archive import copy_archive  # noqa: F401 - the tests' archive copy
from archive.model import Article, Faq, Link
from bbn_scraper.sample_site import SampleSite

def hiding(modules) -> str:
    """Python source that makes `modules` (top-level names) fail to import, as if they were not
    installed, by a finder ahead of all others: the prelude of a `python -c` script."""
    return f"""import sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {tuple(modules)!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (hidden)", name=name)
        return None

sys.meta_path.insert(0, Refuse())
"""


# --- Crawls and archive snapshots -------------------------------------------------------------

# Timestamps and ids that differ between any two runs.
VOLATILE = {"id", "first_seen", "last_seen", "crawl_id", "fetched_at", "at", "superseded_at"}


def crawl(db, base_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`bbn-archive crawl BASE_URL --db DB --local ARGS` in a subprocess (Twisted's reactor runs
    once per process)."""
    result = subprocess.run(
        [sys.executable, "-m", "bbn_scraper", "crawl", base_url, "--db", str(db), "--local", *args],
        capture_output=True, text=True, timeout=300,
    )
    if check and result.returncode != 0:
        errors = rows(db, "SELECT url, stage, reason FROM errors") if Path(db).exists() else []
        raise AssertionError(f"crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\nerrors: {errors}")
    return result


def rows(db, sql: str, params=()) -> list[dict]:
    """The rows of one query on the SQLite file `db`, as dicts."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def query_plans(reader, read) -> dict[str, list[str]]:
    """Every statement `read(reader)` runs on `reader.db` (not FTS5's own, traced as comments),
    with its EXPLAIN QUERY PLAN lines."""
    statements = []
    reader.db.conn.set_trace_callback(statements.append)
    try:
        read(reader)
    finally:
        reader.db.conn.set_trace_callback(None)
    return {sql: [row[3] for row in reader.db.conn.execute(f"EXPLAIN QUERY PLAN {sql}")] for sql in statements
            if not sql.startswith("--")}


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


def state_on(db, base_url: str) -> dict:
    """`archive_state` with the site's address written as BASE: comparable with the archive of
    the same site served on another port (the session's `sample_crawl`, for one)."""
    host = urlsplit(base_url).netloc
    return json.loads(json.dumps(archive_state(db)).replace(base_url.rstrip("/"), "BASE").replace(host, "HOST"))


def local_base(sample_crawl) -> str:
    """The base URL the sample site had when `sample_crawl` crawled it."""
    return json.loads(rows(sample_crawl.db, "SELECT start_urls FROM crawls ORDER BY id LIMIT 1")[0]["start_urls"])[0]


@dataclass(frozen=True)
class SampleCrawl:
    """An archive crawled from the sample site, and the site's manifest (the truth to compare with)."""

    db: Path
    manifest: dict

    @property
    def articles(self) -> list[dict]:
        return self.manifest["articles"]

    def by_url(self, url: str) -> dict:
        return next(a for a in self.articles if a["canonical_url"] == url)


# The article columns the archive keeps as JSON text, by the model's field metadata.
JSON_COLUMNS = frozenset(f.name for f in dataclass_fields(Article) if f.metadata.get("json"))


def decoded(row: dict) -> dict:
    """An articles row with its JSON columns decoded."""
    return {k: json.loads(v) if k in JSON_COLUMNS else v for k, v in row.items()}


def article_text(article: dict) -> str:
    """Everything of a manifest article that is searchable, lower-cased."""
    faqs = [f"{f['question']} {f['answer']}" for f in article["faqs"]]
    return " ".join([article["headline"], article["summary"] or "", article["body"], *faqs]).lower()


def has_word(article: dict, word: str) -> bool:
    return re.search(rf"\b{re.escape(word.lower())}\b", article_text(article)) is not None


# --- Hand-built articles ----------------------------------------------------------------------

BASE = "https://www.bbn.example"


def make_article(url: str = f"{BASE}/news/uk-politics-66812345", canonical_url: str | None = None,
                 canonical_source: str = "link", **fields) -> Article:
    """A complete article; by default its canonical is its own URL, declared with rel=canonical."""
    values = dict(
        headline="Minister resigns after budget row",
        byline="By Jane Doe & John Roe",
        authors=["Jane Doe", "John Roe"],
        published=datetime(2023, 9, 14, 9, 15, tzinfo=timezone.utc),
        modified=datetime(2023, 9, 14, 10, 0, tzinfo=timezone.utc),
        section="UK Politics",
        tags=["Budget", "Westminster"],
        comment_count=12,
        topic="Politics",
        summary="The minister stepped down on Thursday.",
        image_url=f"{BASE}/images/minister.jpg",
        language="en-GB",
        word_count=9,
        body="The minister resigned on Thursday.\n\nThe budget row had lasted weeks.",
        body_html="<p>The minister resigned on Thursday.</p><p>The budget row had lasted weeks.</p>",
        faqs=[Faq("Who resigned?", "The minister."), Faq("When?", "On Thursday.")],
        related_links=[Link("Budget 2023", f"{BASE}/news/topics/budget")],
        related_articles=[Link("Who is the new minister?", f"{BASE}/news/uk-politics-66812399")],
        warnings=[],
    )
    values.update(fields)
    return Article(url=url, canonical_url=canonical_url or url, canonical_source=canonical_source, **values)


# --- HTTP: the sample site ----------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# Neither follows redirects nor uses proxies (so loopback requests stay on loopback).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class Fetched:
    status: int
    headers: dict
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def charset(self) -> str:
        ctype = self.content_type.lower()
        return ctype.split("charset=", 1)[1].strip() if "charset=" in ctype else "utf-8"

    @property
    def text(self) -> str:
        return self.body.decode(self.charset)


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> Fetched:
    """One request, without redirects or proxies; an HTTP error status is a result, not an error."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return Fetched(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return Fetched(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


class SiteClient:
    """Fetches pages of one sample site, retrying the 503-twice article, caching by (edition, path)."""

    def __init__(self, site: SampleSite) -> None:
        self.site = site
        self._cache: dict[tuple[int, str], Fetched] = {}

    def get(self, path: str, **kw) -> Fetched:
        return fetch(self.site.url(path), **kw)

    def ok(self, path: str) -> Fetched:
        key = (self.site.edition, path)
        if key not in self._cache:
            for _ in range(3):
                got = self.get(path)
                if got.status != 503:
                    break
            assert got.status == 200, f"{path} answered {got.status}"
            self._cache[key] = got
        return self._cache[key]


# --- Datasette ----------------------------------------------------------------------------------

class DatasetteClient:
    """`datasette.client` driven from synchronous tests, on one event loop."""

    def __init__(self, ds, name: str):
        self.ds = ds
        self.name = name
        self.loop = asyncio.new_event_loop()

    def get(self, path: str, status: int = 200):
        response = self.loop.run_until_complete(self.ds.client.get(path))
        assert response.status_code == status, f"{path}: {response.status_code}\n{response.text[:2000]}"
        return response

    def json(self, path: str, status: int = 200):
        return self.get(path, status).json()

    def rows(self, path: str) -> list[dict]:
        """Every row of a table, view or canned query (path of its page, with or without
        .json), as objects."""
        base, _, query = path.partition("?")
        if not base.endswith(".json"):
            base += ".json"
        args = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("_size", "_shape")]
        return self.json(f"{base}?{urlencode(args + [('_shape', 'array'), ('_size', 'max')])}")

    def close(self) -> None:
        self.loop.close()


def utc_month(iso: str) -> str:
    """The UTC month of an ISO 8601 time, as the archive stores it."""
    value = datetime.fromisoformat(iso)
    if value.utcoffset() is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer from {url} within {timeout} s")
        time.sleep(0.1)


@dataclass
class Server:
    """A server running in a subprocess: its base URL, and what it printed so far."""

    base: str
    out_path: Path
    err_path: Path

    def stdout(self) -> str:
        return self.out_path.read_text()

    def stderr(self) -> str:
        return self.err_path.read_text()


@contextmanager
def server(command: list[str], port: int, folder: Path):
    """`command` in a subprocess serving HTTP on 127.0.0.1:`port`, its stdout and stderr in
    files of `folder`; yields a `Server` once it answers, stops it afterwards."""
    out_path, err_path = folder / "server.out", folder / "server.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    running = Server(f"http://127.0.0.1:{port}/", out_path, err_path)
    try:
        wait_for_http(f"{running.base}-/versions.json", proc)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve_command(db: Path, port: int) -> list[str]:
    """`bbn-archive serve` on 127.0.0.1:`port`."""
    return [sys.executable, "-m", "bbn_scraper", "serve", "--db", str(db), "--port", str(port)]


def datasette_command(db: Path, port: int) -> list[str]:
    """Plain `datasette DB` on 127.0.0.1:`port`: the venv's console script, no project flag."""
    return [str(Path(sys.executable).with_name("datasette")), str(db), "--host", "127.0.0.1", "--port", str(port)]


@contextmanager
def served_archive(src_db, tmp_path, name: str = "news.db", command=serve_command):
    """`bbn-archive serve` (or another `command`, such as `datasette_command`) in a subprocess
    on 127.0.0.1 and a free port, serving a copy of `src_db` named `name`; yields (base URL,
    path of the copy, a function returning what the server printed so far)."""
    db = tmp_path / name
    copy_archive(src_db, db)
    port = free_port()
    with server(command(db, port), port, tmp_path) as running:
        yield running.base, db, lambda: running.stdout() + running.stderr()


def read_terminal(master: int) -> bytes:
    """All a child wrote to the pseudo-terminal whose master end is `master`, until it closed
    its end; closes `master`."""
    written = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        written += chunk
    os.close(master)
    return written
