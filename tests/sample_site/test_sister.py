"""The sister site: served on loopback, every article parses to what its manifest says, and
the labels name real sample-site stories."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from bbn_scraper.parsers import parse_article
from bbn_scraper.sample_site import manifest
from bbn_scraper.sample_site.sister import REWRITES, SisterSite


@pytest.fixture(scope="module")
def sister():
    with SisterSite(port=0) as running:
        yield running


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_every_article_parses_to_its_manifest_entry(sister):
    for entry in sister.manifest()["articles"]:
        status, html = get(entry["url"])
        assert status == 200
        article = parse_article(html, entry["url"])
        assert (article.headline, article.body, article.canonical_url) == (entry["headline"], entry["body"], entry["url"])
        assert article.section and article.tags and article.published


def test_labels_name_sample_site_stories(sister):
    originals = {a["path"]: a for a in manifest()["articles"]}
    entries = sister.manifest()["articles"]
    copies = [e for e in entries if e["copy_of"]]
    own = [e for e in entries if not e["copy_of"]]
    assert len(copies) == 18 and len(own) == 10
    assert len({e["copy_of"] for e in copies}) == len(copies) and {e["copy_of"] for e in copies} <= set(originals)
    assert {e["rewrite"] for e in copies} == set(REWRITES) and {e["rewrite"] for e in own} == {"own-story"}
    for e in copies:
        assert e["headline"] != originals[e["copy_of"]]["headline"] and e["body"] != originals[e["copy_of"]]["body"]
    for e in own:  # on a sample-site story's topic, with its names, not its sentences
        original = originals[e["topic_of"]]
        assert e["topic"] == original["topic"]
        assert not set(e["body"].split(". ")) & set(original["body"].split(". "))


def test_home_and_archives_link_every_article_and_the_rest_is_404(sister):
    entries = sister.manifest()["articles"]
    status, home = get(sister.base_url)
    assert sister.base_url.startswith("http://127.0.0.1:")
    assert status == 200 and all(e["url"].encode() in home for e in entries)
    assert get(sister.base_url + "category/world/")[0] == 200
    assert get(sister.base_url + "feed/")[0] == 404 and get(sister.base_url + "2023/01/01/nothing/")[0] == 404
    with pytest.raises(ValueError):
        SisterSite(host="0.0.0.0")
