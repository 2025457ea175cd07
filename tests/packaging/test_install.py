"""The package as a user installs it: `pip install .` puts exactly two import names into
site-packages (bbn_scraper and archive) with the files they read at run time, and a crawl
started in a folder full of modules named like the old layout's packages stores every article."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import rows

ROOT = Path(__file__).resolve().parents[2]
# Read at run time from the installed package, not from the checkout.
DATA_FILES = ("bbn_scraper/app/datasette/metadata.yml", "bbn_scraper/app/datasette/static/archive.css",
              "bbn_scraper/app/datasette/templates/bbn_article.html")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The project installed (not editable) into a folder of its own, as pip installs it, from
    a copy of what a build reads (setuptools builds in the source tree)."""
    source, target = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("site-packages")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    for package in ("bbn_scraper", "archive"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-cache-dir",
         "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return target


def record(site_packages: Path) -> list[str]:
    """The paths of the installed distribution's RECORD."""
    (dist_info,) = site_packages.glob("bbn_archive-*.dist-info")
    with open(dist_info / "RECORD", newline="", encoding="utf-8") as f:
        return [row[0] for row in csv.reader(f)]


def test_pip_install_gives_exactly_two_import_names(installed):
    paths = record(installed)
    top_level = {p.split("/")[0] for p in paths if not p.split("/")[0].endswith(".dist-info") and not p.startswith("..")}
    assert top_level == {"archive", "bbn_scraper"}
    assert set(DATA_FILES) <= set(paths)


def test_the_installed_package_imports_from_site_packages(installed, tmp_path):
    code = ("import archive, bbn_scraper.crawler.spiders.bbn, bbn_scraper.app.cli, bbn_scraper.settings;"
            "print(archive.__file__); print(bbn_scraper.__file__)")
    result = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(installed)!r}); {code}"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [Path(line).parent.parent for line in result.stdout.splitlines()] == [installed, installed]


SHADOWS = {"model.py": "", "app.py": "", "crawler.py": "", "archive.py": "", "bbn_scraper.py": "",
           "parsers/__init__.py": "", "parsers/article.py": ""}


def test_a_crawl_in_a_folder_that_shadows_every_old_and_new_name_stores_every_article(sample_site, tmp_path):
    """Each module raises on import; the CLI and its parse workers must not pick any up."""
    folder = tmp_path / "work"
    for name in SHADOWS:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"raise ImportError('{name} of the working directory was imported')\n")
    cli = Path(sys.executable).with_name("bbn-archive")
    result = subprocess.run([str(cli), "crawl", sample_site.base_url, "--db", "news.db", "--local",
                             "-s", "PARSE_PROCESSES=2"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "working directory was imported" not in result.stdout + result.stderr
    stored = {r["url"] for r in rows(folder / "news.db", "SELECT url FROM articles")}
    expected = {sample_site.base_url.rstrip("/") + a["path"] for a in sample_site.manifest()["articles"]}
    assert stored == expected
    assert rows(folder / "news.db", "SELECT count(*) AS n FROM errors WHERE stage = 'parse'") == [{"n": 0}]
