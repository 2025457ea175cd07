"""Fixtures of the reliability tests: the sample site, plain and in fault mode, and one crawl
of the fault-mode site shared by the fault and safety tests."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from sample_site import SampleSite
from tests.e2e.conftest import crawl

DOWNLOAD_TIMEOUT = 2  # seconds; the site's timeout fault stalls longer
STALL = 4
MAXSIZE = 5 * 1024 * 1024  # the site's huge page is 20 MiB
FAULT_SETTINGS = ("-s", f"DOWNLOAD_TIMEOUT={DOWNLOAD_TIMEOUT}", "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}")


@dataclass
class FaultCrawl:
    """One crawl of the fault-mode site: its archive, output and what the site saw."""

    db: Path
    result: CompletedProcess
    seconds: float
    site: SampleSite
    manifest: dict  # the site's manifest (articles, broken links, ...)
    faults: dict  # fault name -> its entry of the fault manifest (kind, url, what)


@pytest.fixture(scope="module")
def sample_site():
    with SampleSite(port=0) as running:
        yield running


@pytest.fixture(scope="session")
def fault_crawl(tmp_path_factory) -> FaultCrawl:
    with SampleSite(port=0, faults=True, stall=STALL) as fault_site:
        db = tmp_path_factory.mktemp("faults") / "archive.db"
        started = time.monotonic()
        result = crawl(db, fault_site.base_url, *FAULT_SETTINGS)
        seconds = time.monotonic() - started
        faults = {f["name"]: f for f in fault_site.faults.manifest(fault_site.base_url)}
        yield FaultCrawl(db, result, seconds, fault_site, fault_site.manifest(), faults)
