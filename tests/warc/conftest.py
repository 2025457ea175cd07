"""Helpers and fixtures of the WARC tests (the sample site crawled with WARC recording on,
`warc_crawl`, is in tests/conftest.py: the reading room's tests read it too)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


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
