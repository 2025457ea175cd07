"""Fixtures of the WARC tests: the sample site crawled once with WARC recording on."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bbn_scraper.sample_site.server import SampleSite
from tests.helpers import crawl


@dataclass
class WarcCrawl:
    db: Path
    warc_dir: Path
    manifest: dict


@pytest.fixture(scope="session")
def warc_crawl(tmp_path_factory) -> WarcCrawl:
    folder = tmp_path_factory.mktemp("warc")
    with SampleSite(port=0) as site:
        crawl(folder / "archive.db", site.base_url, "--warc", str(folder / "warc"))
        return WarcCrawl(folder / "archive.db", folder / "warc", site.manifest())


def warcio_check(*paths: Path) -> subprocess.CompletedProcess:
    """`warcio check -v PATHS` (exit 0: every digest passes)."""
    return subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", *map(str, paths)],
                          capture_output=True, text=True)


def warc_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.warc.gz"))


# pywb pins older cryptography and pyOpenSSL than Scrapy 2.19 installs: `make install` gives it
# a venv of its own, .venv/pywb.
PYWB_VENV = Path(__file__).resolve().parents[2] / ".venv" / "pywb"


@pytest.fixture(scope="session")
def pywb_bin() -> Path:
    """The bin folder of the venv with pywb (wb-manager, wayback)."""
    bin_dir = PYWB_VENV / "bin"
    if not (bin_dir / "wayback").exists():
        pytest.fail(f"pywb is not installed in {PYWB_VENV}: run `make install`")
    return bin_dir
