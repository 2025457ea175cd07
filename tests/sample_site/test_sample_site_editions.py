"""Edition 2 changes the body and modification date of a known subset of articles, and
nothing else."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import lxml.html
import pytest

from tests.helpers import SiteClient
from bbn_scraper.sample_site import SampleSite, manifest as module_manifest

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _all_paths(m: dict) -> list[str]:
    return (m["article_paths"] + [a["path"] for a in m["amp_pages"]] + m["listing_paths"]
            + ["/robots.txt", "/feed/", m["sitemap_index_path"]] + m["sitemap_paths"]
            + [m["disallowed_path"], "/no-such-page/"] + [b["path"] for b in m["broken_links"]])


@pytest.fixture(scope="module")
def both_editions():
    """{edition: {path: body bytes}} fetched from one running server switched at runtime."""
    with SampleSite(edition=1) as site:
        client = SiteClient(site)
        m1 = site.manifest()
        pages = {}
        for edition in (1, 2):
            site.edition = edition
            pages[edition] = {}
            for path in _all_paths(m1):
                got = client.get(path)
                if got.status == 503:
                    got = client.get(path)
                    got = client.get(path) if got.status == 503 else got
                pages[edition][path] = got.body
        m2 = site.manifest()
        assert m2["edition"] == 2
    return m1, m2, pages


def test_exactly_the_listed_paths_change(both_editions):
    m1, m2, pages = both_editions
    changed = {p for p in pages[1] if pages[1][p] != pages[2][p]}
    assert changed == set(m1["edition_2_changed_paths"]) == set(m2["edition_2_changed_paths"])
    flagged = {a["path"] for a in m1["articles"] if a["changes_in_edition_2"]}
    assert len(flagged) == 4
    assert changed - {"/post-sitemap.xml", "/sitemap_index.xml"} == flagged


def test_changed_articles_have_new_body_and_modified_time(both_editions):
    m1, m2, pages = both_editions
    a1 = {a["path"]: a for a in m1["articles"]}
    a2 = {a["path"]: a for a in m2["articles"]}
    for path in a1:
        if not a1[path]["changes_in_edition_2"]:
            assert a1[path] == a2[path]
            continue
        assert a1[path]["body"] != a2[path]["body"]
        assert a2[path]["modified"] > a1[path]["modified"]
        assert a1[path]["published"] == a2[path]["published"]
        for edition, art in ((1, a1[path]), (2, a2[path])):
            tree = lxml.html.fromstring(pages[edition][path].decode(art["charset"]))
            assert tree.xpath('//meta[@property="article:modified_time"]/@content') == [art["modified"]]
            for para in art["body_paragraphs"]:
                assert para in tree.text_content()
        assert "Update, October 4, 2023" in a2[path]["body"]
        assert "Update, October 4, 2023" not in a1[path]["body"]


def test_post_sitemap_lastmod_changes_only_for_changed_articles(both_editions):
    m1, m2, pages = both_editions

    def lastmods(edition):
        root = ET.fromstring(pages[edition]["/post-sitemap.xml"])
        return {u.findtext(SM + "loc"): u.findtext(SM + "lastmod") for u in root.findall(SM + "url")}

    l1, l2 = lastmods(1), lastmods(2)
    assert l1.keys() == l2.keys()
    changed = {url for url in l1 if l1[url] != l2[url]}
    assert changed == {a["url"] for a in m1["articles"] if a["changes_in_edition_2"]}
    assert all(l2[a["url"]] == a["modified"] for a in m2["articles"])


def test_module_manifest_matches_editions():
    m1, m2 = module_manifest(1), module_manifest(2)
    diff = [a["path"] for a, b in zip(m1["articles"], m2["articles"]) if a != b]
    assert diff == [a["path"] for a in m1["articles"] if a["changes_in_edition_2"]]


def test_edition_flag_at_construction():
    with SampleSite(edition=2) as site:
        path = site.manifest()["special_pages"]["edition-2-changes"][0]
        assert "Update, October 4, 2023" in SiteClient(site).get(path).text
        site.edition = 1
        assert "Update, October 4, 2023" not in SiteClient(site).get(path).text
