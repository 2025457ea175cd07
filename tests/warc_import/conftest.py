"""The sample site crawled, and captured by Debian's wget into WARC files, once per module."""
from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bbn_scraper.sample_site import SampleSite
from tests.helpers import crawl


@dataclass(frozen=True)
class Captured:
    crawl_db: Path  # a crawl of the site
    warc_gz: Path  # wget --warc-file of the same site, per-record gzip
    warc: Path  # the same records uncompressed
    base_url: str


def wget_warc(base_url: str, prefix: Path) -> Path:
    """Mirror the site with wget, recording WARC (`prefix`.warc.gz); robots.txt is the crawl's
    rule, not wget's. The sample site answers one article 503 twice: wget retries it."""
    if shutil.which("wget") is None:
        pytest.skip("wget is not installed (.ci/run installs it)")
    result = subprocess.run(
        ["wget", "--quiet", "--recursive", "--level=inf", "--no-parent", "-e", "robots=off",
         "--retry-on-http-error=503", "--tries=4", "--waitretry=0", "--no-directories", "--delete-after",
         f"--directory-prefix={prefix.parent / 'wget'}", f"--warc-file={prefix}", base_url],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode in (0, 8), result.stderr  # 8: the site's 404s
    return prefix.with_suffix(".warc.gz")


def import_warc(db: Path, *files: Path, check: bool = True, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`bbn-archive import-warc FILES --db DB OPTIONS` in a subprocess (one reactor per process)."""
    result = subprocess.run([sys.executable, "-m", "bbn_scraper", "import-warc", *map(str, files), "--db", str(db), *options],
                            capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"import-warc failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def captured(tmp_path_factory) -> Captured:
    tmp = tmp_path_factory.mktemp("warc")
    with SampleSite(port=0) as site:
        warc_gz = wget_warc(site.base_url, tmp / "site")
        site.reset_counters(rearm_503=True)
        crawl(tmp / "crawl.db", site.base_url)
    warc = tmp / "site.warc"
    with gzip.open(warc_gz) as packed, open(warc, "wb") as plain:
        shutil.copyfileobj(packed, plain)
    return Captured(tmp / "crawl.db", warc_gz, warc, site.base_url)
