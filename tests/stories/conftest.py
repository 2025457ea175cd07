"""The labelled sister-site set, parsed: the sample site's and the sister site's article pages,
rendered without a server (their URLs are the identities the archive keys them by)."""
from __future__ import annotations

import pytest

from bbn_scraper.parsers import parse_article
from bbn_scraper.sample_site import Renderer, manifest, resolve
from bbn_scraper.sample_site.sister import BY_PATH, article_page, manifest as sister_manifest

BBN = "http://127.0.0.1:8000/"
SISTER = "http://127.0.0.1:8001/"


@pytest.fixture(scope="session")
def labelled():
    """{"articles": {url: Article}, "copies": {copy url: original url}, "own": {own-story url:
    url of the original whose topic it shares}, "truth": the expected clusters (sets of URLs)}."""
    renderer = Renderer(BBN, 1)
    originals = manifest(1, BBN)["articles"]
    sister = sister_manifest(SISTER)["articles"]
    articles = {a["url"]: parse_article(resolve(renderer, a["path"]).body, a["url"]) for a in originals}
    articles |= {a["url"]: parse_article(article_page(SISTER, BY_PATH[a["path"]]), a["url"]) for a in sister}
    url_of = {a["path"]: a["url"] for a in originals}
    copies = {a["url"]: url_of[a["copy_of"]] for a in sister if a["copy_of"]}
    own = {a["url"]: url_of[a["topic_of"]] for a in sister if not a["copy_of"]}
    paired = set(copies) | set(copies.values())
    truth = {frozenset((c, o)) for c, o in copies.items()} | {frozenset([u]) for u in articles if u not in paired}
    return {"articles": articles, "copies": copies, "own": own, "truth": truth}
