"""Issue 12, item 9: terminal escape and formula injection. A site writes window-title,
clear-screen and colour sequences, C1 controls and a bidi override into its headline, byline,
tags and body, and starts headlines, bylines, sections and tags with = + - @. The crawl stores the
text without the controls; `show` and `search` under a pseudo-terminal print no control
character but the bold marks of `search`; the CSV export quotes every formula cell."""
from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys

import pytest

from tests.helpers import read_terminal, rows
from tests.hostile.hostile_crawl import ROOT, assert_clean, crawl
from tests.hostile.hostile_server import HostileSite

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b31m\u202e\x85\x00\x7f"
ESCAPED = "/2024/06/01/escaped/"
FORMULAS = {  # path -> (headline, byline, section, tag)
    "/2024/06/02/hyperlink/": ('=HYPERLINK("http://evil.example/","Click")', "Ann Writer", "News", "Local"),
    "/2024/06/03/plus/": ("Plus", "+Cmd Calc", "-2+3", "@SUM(1+1)"),
}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BOLD = ("\x1b[1m", "\x1b[0m")  # search's own marks on a terminal


def page(url: str, headline: str, byline: str, section: str, tag: str, words: str = "") -> bytes:
    body = "".join(f"<p>Paragraph {n} {words}of the harbour story: the facts, the people and what happens next.</p>"
                   for n in range(6))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>{headline} - Hostile News</title>
<link rel="canonical" href="{url}"><meta property="og:type" content="article">
<meta property="article:published_time" content="2024-06-01T09:00:00+00:00">
<meta property="article:section" content="{section}"><meta property="article:tag" content="{tag}"></head>
<body class="post-template-default single single-post postid-1"><main><article>
<h1 class="entry-title">{headline}</h1><span class="byline">By {byline}</span>
<div class="entry-content">{body}</div></article></main></body></html>""".encode()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    db = tmp_path_factory.mktemp("escapes") / "archive.db"
    with HostileSite() as site:
        pages = {ESCAPED: (f"Harbour{ESCAPES} deal", "\x1bAnn\x07\x9b\u202e Writer\x00\x7f", f"World{ESCAPES}", f"Ports{ESCAPES}"),
                 **FORMULAS}
        for path, fields in pages.items():
            html = page(site.url(path), *fields, words=ESCAPES if path == ESCAPED else "")
            site.link(path)
            site.routes[path] = lambda h, html=html: h.send(200, html)
        result = crawl(db, [site.base_url], timeout=90)
        yield site, db, result


def on_a_terminal(*args: str) -> str:
    """`bbn-archive ARGS` with its output on a pseudo-terminal, as the terminal receives it."""
    main, child = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bbn_scraper", *args], stdin=child, stdout=child, stderr=child,
                               cwd=ROOT, env={**os.environ, "TERM": "xterm", "COLUMNS": "100"})
    os.close(child)
    out = read_terminal(main)
    assert process.wait(timeout=60) == 0, out
    return out.decode("utf-8")


def test_the_crawl_ends_cleanly_and_archives_every_page(archive):
    site, db, result = archive
    assert_clean(result)
    assert rows(db, "SELECT url FROM errors") == []
    assert {a["url"] for a in rows(db, "SELECT url FROM articles")} == {site.url(p) for p in [ESCAPED, *FORMULAS]}


def test_stored_text_has_no_control_characters(archive):
    site, db, _ = archive
    [article] = rows(db, "SELECT headline, byline, section, body, body_html FROM articles WHERE url = ?",
                     [site.url(ESCAPED)])
    assert (article["headline"], article["byline"]) == ("Harbour]0;pwned[2J[31m31m deal", "Ann Writer")
    for name, value in article.items():
        assert value and not CONTROL.search(value), (name, value)
    for table, column in (("authors", "name"), ("tags", "name")):
        for row in rows(db, f"SELECT {column} FROM {table}"):
            assert not CONTROL.search(row[column]), (table, row)


@pytest.mark.parametrize("command", [["show", ESCAPED], ["search", "harbour"]])
def test_show_and_search_send_no_control_sequence_to_the_terminal(archive, command):
    site, db, _ = archive
    args = [command[0], site.url(command[1]) if command[0] == "show" else command[1], "--db", str(db)]
    out = on_a_terminal(*args)
    assert "Harbour" in out and "pwned" in out, out
    for mark in BOLD:
        out = out.replace(mark, "")
    assert not CONTROL.search(out.replace("\r\n", "\n")), repr(out)


def test_csv_export_neutralises_formula_cells(archive, tmp_path):
    site, db, _ = archive
    out = tmp_path / "export.csv"
    subprocess.run([sys.executable, "-m", "bbn_scraper", "export", "--db", str(db), "-o", str(out)], cwd=ROOT, check=True)
    records = {r["url"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline=""))}
    hyperlink, plus = records[site.url("/2024/06/02/hyperlink/")], records[site.url("/2024/06/03/plus/")]
    assert hyperlink["headline"] == "'" + FORMULAS["/2024/06/02/hyperlink/"][0]
    assert (plus["byline"], plus["section"]) == ("'+Cmd Calc", "'-2+3")
    assert json.loads(plus["tags"]) == ["@SUM(1+1)"]  # inside a JSON array: not a formula
    for record in records.values():
        for name, value in record.items():
            assert value[:1] not in "=+-@" or not value, (name, value)
