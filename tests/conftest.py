"""Every fixture of the tests (what they import is in tests/helpers.py):

- `empty_archive`: a fresh in-memory archive; `crawl_id`: a crawl started in it.
- `sample_site`: the running sample site, one per test module (a module may switch its edition
  or reset its counters); `site_client` and `site_manifest` go with it.
- `sample_crawl`: the sample site crawled once per session (its db path and manifest);
  `sample_archive`: that archive, open; `sample_archive_copy`: a copy a test may change.
- `two_edition_crawl`: the sample site crawled at edition 1 then 2 into news.db, once per session;
  `datasette_client`: Datasette on it, in process.
- `two_site_crawl`: the sample site and its sister site (copies of its stories) crawled into one
  news.db, once per session: the stories the reading room shows side by side.
- `fault_crawl`: one crawl of the sample site in fault mode, once per session.
- `warc_crawl`: the sample site crawled with `--warc` (bodies in WARC files), once per session.
"""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from archive import Archive
from tests.helpers import BASE, DatasetteClient, SampleCrawl, SiteClient, copy_archive, crawl
from bbn_scraper.sample_site import SampleSite


@pytest.fixture(autouse=True)
def _sigint_left_as_found():
    """Every test leaves SIGINT's handler and mask as it found them: a test worker holding SIGINT
    ignored or blocked passes that on to every process it starts later (both survive exec), and
    a server started by a later test would then never see Ctrl-C."""
    before = signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, [])
    yield
    after = signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, [])
    if after != before:
        signal.signal(signal.SIGINT, before[0])
        signal.pthread_sigmask(signal.SIG_SETMASK, before[1])
        pytest.fail(f"the test left SIGINT changed: handler {after[0]!r}, blocked {sorted(after[1])}"
                    f" (before: {before[0]!r}, blocked {sorted(before[1])})")


# The longest files of `make test` (by their time in one xdist worker, measured per directory
# on 2026-12-07), longest first. `make test` hands whole files to its workers (--dist loadfile)
# in collection order (--no-loadscope-reorder: xdist's default order, by test count, put these
# files of few tests last, and one worker ran them alone for minutes after the other had
# finished). Started first, they share the two workers, and the many short files fill the end.
# A file missing here only runs in its usual place; a stale entry only costs balance.
LONGEST_FIRST = (
    "tests/access/test_crawl_command.py",
    "tests/warc_import/test_import_warc.py",
    "tests/hostile/test_storage.py",
    "tests/distributed/test_distributed_faults.py",
    "tests/access/test_readme_examples.py",
    "tests/distributed/test_distributed.py",
    "tests/access/test_demo_ids.py",
    "tests/e2e/test_recrawl.py",
    "tests/e2e/test_revisit.py",
    "tests/reliability/test_resume.py",
    "tests/datasette/test_browse.py",
    "tests/reliability/test_parse_pool.py",
    "tests/access/test_access_reparse.py",
    "tests/packaging/test_install.py",  # these four not measured: a pip install, pywb, two crawls
    "tests/warc/test_replay.py",
    "tests/packaging/test_extras.py",
    "tests/stories/test_stories_crawl.py",
    "tests/datasette/test_reading_browser.py",
    "tests/datasette/test_browser.py",
    "tests/e2e/test_sites.py",
    "tests/commoncrawl/test_import_commoncrawl.py",
    "tests/e2e/test_order_and_lock.py",
    "tests/datasette/test_front_and_stories.py",
    "tests/datasette/test_reading_warc.py",
    "tests/distributed/test_dead_letters.py",
)


def pytest_collection_modifyitems(config, items):
    """The files of LONGEST_FIRST first, in its order; each file's tests keep their order."""
    root = Path(__file__).resolve().parent.parent
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}

    def key(item):
        path = Path(str(item.path)).resolve().relative_to(root).as_posix()
        return rank.get(path, len(rank))

    items.sort(key=key)


@pytest.fixture
def empty_archive():
    with Archive(":memory:") as arc:
        yield arc


@pytest.fixture
def crawl_id(empty_archive):
    return empty_archive.start_crawl([f"{BASE}/news"])


@pytest.fixture(scope="module")
def sample_site():
    with SampleSite(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def site_client(sample_site) -> SiteClient:
    return SiteClient(sample_site)


@pytest.fixture(scope="module")
def site_manifest(sample_site) -> dict:
    return sample_site.manifest()


@pytest.fixture(scope="session")
def sample_crawl(tmp_path_factory) -> SampleCrawl:
    db = tmp_path_factory.mktemp("sample") / "archive.db"
    with SampleSite(port=0) as site:
        crawl(db, site.base_url)
        return SampleCrawl(db, site.manifest())


@pytest.fixture(scope="session")
def sample_archive(sample_crawl):
    with Archive(sample_crawl.db) as arc:
        yield arc


@pytest.fixture
def sample_archive_copy(sample_crawl, tmp_path) -> Path:
    copy = tmp_path / "copy.db"
    copy_archive(sample_crawl.db, copy)
    return copy


@pytest.fixture(scope="session")
def two_edition_crawl(tmp_path_factory) -> dict:
    """news.db (not archive.db: Datasette's metadata follows the file's name) after two crawls;
    `manifest` is the second edition's, which the archive now holds, `manifest1` the first's."""
    db = tmp_path_factory.mktemp("two_editions") / "news.db"
    with SampleSite(port=0) as site:
        manifest1 = site.manifest()
        crawl(db, site.base_url)
        site.edition = 2
        crawl(db, site.base_url)
        manifest = site.manifest()
    return {"db": db, "name": "news", "manifest": manifest, "manifest1": manifest1}


@pytest.fixture(scope="session")
def two_site_crawl(tmp_path_factory) -> dict:
    """news.db after one crawl of the sample site and the sister site; their manifests."""
    from bbn_scraper.sample_site.sister import SisterSite

    db = tmp_path_factory.mktemp("two_sites") / "news.db"
    with SampleSite(port=0) as site, SisterSite(port=0) as sister:
        crawl(db, site.base_url, sister.base_url)
        return {"db": db, "name": "news", "manifest": site.manifest(), "sister": sister.manifest(),
                "hosts": (site.base_url.split("/")[2], sister.base_url.split("/")[2])}


@pytest.fixture(scope="session")
def datasette_client(two_edition_crawl):
    from bbn_scraper.app.serve import build_datasette  # imported here: only these tests need Datasette

    client = DatasetteClient(build_datasette(two_edition_crawl["db"]), two_edition_crawl["name"])
    yield client
    client.close()


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


@pytest.fixture(scope="session")
def fault_crawl(tmp_path_factory) -> FaultCrawl:
    with SampleSite(port=0, faults=True, stall=STALL) as fault_site:
        db = tmp_path_factory.mktemp("faults") / "archive.db"
        started = time.monotonic()
        result = crawl(db, fault_site.base_url, *FAULT_SETTINGS)
        seconds = time.monotonic() - started
        faults = {f["name"]: f for f in fault_site.faults.manifest(fault_site.base_url)}
        yield FaultCrawl(db, result, seconds, fault_site, fault_site.manifest(), faults)


@dataclass
class WarcCrawl:
    db: Path
    warc_dir: Path
    manifest: dict


@pytest.fixture(scope="session")
def warc_crawl(tmp_path_factory) -> WarcCrawl:
    """archive.db, and beside it the folder warc/ its pages' bodies are in."""
    folder = tmp_path_factory.mktemp("warc")
    with SampleSite(port=0) as site:
        crawl(folder / "archive.db", site.base_url, "--warc", str(folder / "warc"))
        return WarcCrawl(folder / "archive.db", folder / "warc", site.manifest())
