"""Fixtures for the sample-site tests: one running site for the session and a urllib client
that neither follows redirects nor uses proxies (so loopback requests stay on loopback)."""
from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from sample_site import SampleSite


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class Fetched:
    status: int
    headers: dict
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def charset(self) -> str:
        ctype = self.content_type.lower()
        return ctype.split("charset=", 1)[1].strip() if "charset=" in ctype else "utf-8"

    @property
    def text(self) -> str:
        return self.body.decode(self.charset)


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> Fetched:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return Fetched(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return Fetched(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


class Client:
    """Fetches pages of one site, retrying the 503-twice article, caching by (edition, path)."""

    def __init__(self, site: SampleSite) -> None:
        self.site = site
        self._cache: dict[tuple[int, str], Fetched] = {}

    def get(self, path: str, **kw) -> Fetched:
        return fetch(self.site.url(path), **kw)

    def ok(self, path: str) -> Fetched:
        key = (self.site.edition, path)
        if key not in self._cache:
            for _ in range(3):
                got = self.get(path)
                if got.status != 503:
                    break
            assert got.status == 200, f"{path} answered {got.status}"
            self._cache[key] = got
        return self._cache[key]


@pytest.fixture(scope="session")
def sample_site():
    with SampleSite(port=0, edition=1) as running:
        yield running


@pytest.fixture(scope="session")
def site_client(sample_site) -> Client:
    return Client(sample_site)


@pytest.fixture(scope="session")
def site_manifest(sample_site) -> dict:
    return sample_site.manifest()


@pytest.fixture(scope="session")
def make_client():
    """Client factory for tests that start their own site instance."""
    return Client


@pytest.fixture(scope="session")
def fetch_url():
    """`fetch(url, method="GET", headers=None) -> Fetched`, without redirects or proxies."""
    return fetch
