"""The layers hold: the model, the parsers and the archive (every module of them) import with
Scrapy, Twisted and Datasette hidden, and the import-linter contracts of pyproject.toml fail on a
reverse import."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import hiding

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bbn_scraper", "archive")
HIDDEN = ("scrapy", "twisted", "datasette")

# Imports `package` and each of its modules with HIDDEN refused (`hiding`), as if they were not
# installed; prints the hidden packages that got imported all the same.
WITHOUT_SCRAPY = """
import importlib, pkgutil
package = importlib.import_module({package!r})
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(module.name)
print(sorted(m for m in sys.modules if m.partition(".")[0] in {hidden!r}))
"""


def import_without_scrapy(package: str) -> subprocess.CompletedProcess:
    script = hiding(HIDDEN) + WITHOUT_SCRAPY.format(package=package, hidden=HIDDEN)
    return subprocess.run([sys.executable, "-c", script],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("package", ["archive.model", "bbn_scraper.parsers", "archive"])
def test_a_lower_layer_imports_without_scrapy(package):
    result = import_without_scrapy(package)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_hiding_scrapy_breaks_the_crawler():
    """The finder does hide: the crawler, which needs Scrapy, does not import."""
    result = import_without_scrapy("bbn_scraper.crawler")
    assert result.returncode != 0
    assert "ModuleNotFoundError: No module named 'scrapy" in result.stderr


def lint_imports(tmp_path, reverse_import: tuple[str, str] | None = None) -> subprocess.CompletedProcess:
    """lint-imports with the project's contracts on a copy of the packages, with `import X`
    appended to one module first if `reverse_import` is (module path, X)."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    if reverse_import:
        module, imported = reverse_import
        with open(tmp_path / module, "a", encoding="utf-8") as source:
            source.write(f"\nimport {imported}  # noqa: E402, F401\n")
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(tmp_path), "COLUMNS": "500"})


def test_the_contracts_hold_on_the_packages_as_they_are(tmp_path):
    result = lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, imported, contract", [
    ("archive/query.py", "bbn_scraper.crawler", "archive imports nothing of bbn_scraper"),
    ("bbn_scraper/parsers/text.py", "bbn_scraper.app", "Layers: app > crawler > parsers > model"),
    ("bbn_scraper/crawler/pipelines.py", "bbn_scraper.app.cli", "Layers: app > crawler > parsers > model"),
    ("archive/model/article.py", "bbn_scraper.parsers", "Layers: app > crawler > parsers > model"),
    ("archive/db.py", "scrapy", "archive imports nothing of bbn_scraper, and no Scrapy"),
    ("archive/export.py", "click", "archive imports nothing of bbn_scraper, and no Scrapy"),
    ("bbn_scraper/parsers/text.py", "sqlite3", "The parsers are pure"),
    ("bbn_scraper/parsers/text.py", "archive.db", "The parsers are pure"),
    ("archive/model/urls.py", "lxml", "The model imports only the standard library and w3lib"),
    ("archive/model/urls.py", "archive.db", "The model imports only the standard library and w3lib"),
    ("bbn_scraper/sample_site/content.py", "archive.model", "The sample site is equipment"),
    ("bbn_scraper/crawler/run.py", "bbn_scraper.sample_site", "Only the app uses the sample site"),
])
def test_a_reverse_import_breaks_its_contract(tmp_path, module, imported, contract):
    result = lint_imports(tmp_path, (module, imported))
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if line.endswith(" BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
    assert f"{module[:-3].replace('/', '.')} -> {imported}" in result.stdout


def test_every_storage_module_is_forbidden_to_the_parsers_and_the_model():
    """import-linter has no "all of archive but its model": the contracts list archive's modules,
    and a module added to archive must be added there too."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    storage = {f"archive.{p.stem}" for p in (ROOT / "archive").glob("*.py") if p.stem != "__init__"}
    for name in ("The parsers are pure", "The model imports only"):
        (contract,) = [c for c in contracts if c["name"].startswith(name)]
        assert storage - set(contract["forbidden_modules"]) == set(), name
