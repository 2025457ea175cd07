"""Without an extra installed, the feature that needs it says which extra to install, in one
line, exit status 1, before it writes anything; the core commands work without any extra."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import hiding

# The CLI, run after `hiding` the modules of an extra.
CLI = """
from bbn_scraper.app.cli import main
sys.argv[0] = "bbn-archive"
main()
"""
EXTRAS = ("pyarrow", "matplotlib", "redis", "scrapy_redis")


def cli_without(hidden, *args, cwd):
    return subprocess.run([sys.executable, "-P", "-c", hiding(hidden) + CLI, *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("hidden, args, extra", [
    (("pyarrow",), ["export", "-o", "out.parquet", "--db", "{db}"], "parquet"),
    (("matplotlib",), ["stats", "--plot", "out.png", "--db", "{db}"], "plots"),
    (("redis",), ["ingest", "--redis", "redis://127.0.0.1:1/0", "--once", "--db", "{db}"], "distributed"),
    (("scrapy_redis",), ["enqueue", "--redis", "redis://127.0.0.1:1/0", "http://127.0.0.1:1/"], "distributed"),
])
def test_a_feature_without_its_extra_names_the_extra(sample_crawl, tmp_path, hidden, args, extra):
    result = cli_without(hidden, *(a.format(db=sample_crawl.db) for a in args), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert line.endswith(f" needs {hidden[0]}, which is not installed: pip install 'bbn-archive[{extra}]'"
                         " (make install installs every extra)")
    assert list(tmp_path.iterdir()) == []


def test_the_core_commands_work_without_any_extra(sample_crawl, tmp_path):
    for args in (["stats"], ["search", "storm"], ["export", "-o", "out.jsonl"]):
        result = cli_without(EXTRAS, *args, "--db", str(sample_crawl.db), cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out.jsonl").stat().st_size > 0
