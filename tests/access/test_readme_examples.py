"""README.md's example outputs are what a fresh run prints (issue 25). Each example block
follows a marker `<!-- example: NAME -->`; this test reads the blocks from README.md, runs what
they show in a fresh folder (the demo, the demo run again, the demo with the sister site, the
CLI examples on the demo's archive) and compares, with only what differs between any two runs
taken out: the sample sites' ports (a test serves them on free ports) and a crawl's seconds."""
from __future__ import annotations

import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKED = re.compile(r"^<!-- example: (?P<name>[\w-]+) -->\n```[^\n]*\n(?P<body>.*?)\n```$", re.S | re.M)


def examples() -> dict[str, str]:
    found = {m["name"]: m["body"] for m in MARKED.finditer((ROOT / "README.md").read_text(encoding="utf-8"))}
    assert {"demo", "demo-again", "demo-sister", "after-demo", "ingest"} <= set(found), sorted(found)
    return found


def normal(text: str) -> str:
    """`text` without what differs between two runs: ports of 127.0.0.1 and a crawl's seconds."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    return re.sub(r"(crawl \d+ \w+) in [\d.]+ s:", r"\1 in SECONDS s:", text).rstrip("\n")


def bbn(folder: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "bbn_scraper", *args], cwd=folder, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> dict:
    """A fresh demo into archive.db, a copy of that archive (for the CLI examples), then the demo
    run again on the first."""
    folder, copy = tmp_path_factory.mktemp("readme"), tmp_path_factory.mktemp("readme-cli")
    first = bbn(folder, "demo", "--port", "0", "--db", "archive.db")
    with sqlite3.connect(folder / "archive.db") as source, sqlite3.connect(copy / "archive.db") as target:
        source.backup(target)
    again = bbn(folder, "demo", "--port", "0", "--db", "archive.db")
    return {"first": first, "again": again, "copy": copy}


def test_the_demo_prints_the_readme_quick_start(demos):
    assert normal(demos["first"].stdout) == normal(examples()["demo"])


def test_the_demo_run_again_prints_the_readme_line(demos):
    assert normal(demos["again"].stdout) == normal(examples()["demo-again"])
    assert "serving the sample site on port" in demos["again"].stderr  # the first demo's port, again


def test_the_cli_examples_print_what_the_readme_shows(demos):
    """Each `$ bbn-archive ...` line of the block, run in turn on the demo's archive: its output
    (stdout, then stderr) is the lines that follow it."""
    block = examples()["after-demo"]
    runs = re.split(r"^\$ ", block, flags=re.M)[1:]
    assert len(runs) >= 3
    for run in runs:
        command, _, expected = run.partition("\n")
        args = shlex.split(command)
        assert args[0] == "bbn-archive"
        result = bbn(demos["copy"], *args[1:])
        assert normal(result.stdout + result.stderr) == normal(expected), command


def test_the_demo_with_its_sister_site_prints_the_readme_and_has_stories(tmp_path):
    first = bbn(tmp_path, "demo", "--sister", "--port", "0", "--sister-port", "0", "--db", "archive.db")
    assert normal(first.stdout) == normal(examples()["demo-sister"])
    sample, sister = re.findall(r"^(?:sample|sister) site: http://127\.0\.0\.1:(\d+)/$", first.stdout, re.M)
    stories = bbn(tmp_path, "stories", "--db", "archive.db").stdout
    count = int(re.match(r"(\d+) stories on 2\+ sites", stories)[1])
    assert count >= 10 and stories.count(f"127.0.0.1:{sample}  ") >= count and stories.count(f"127.0.0.1:{sister}  ") >= count
    again = bbn(tmp_path, "demo", "--sister", "--port", "0", "--sister-port", "0", "--db", "archive.db")
    assert f"sample site: http://127.0.0.1:{sample}/" in again.stdout and f"sister site: http://127.0.0.1:{sister}/" in again.stdout
    assert "articles: 0 new, 0 updated" in again.stdout
