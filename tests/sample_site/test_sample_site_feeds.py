"""robots.txt, the Yoast sitemaps and the RSS feed of the sample site."""
from __future__ import annotations

import urllib.robotparser
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_robots_txt(site_client, site_manifest):
    got = site_client.ok("/robots.txt")
    assert got.content_type.startswith("text/plain")
    lines = got.text.splitlines()
    assert "User-agent: *" in lines
    assert f"Disallow: {site_manifest['disallowed_path']}" in lines
    assert f"Sitemap: {site_manifest['base_url']}sitemap_index.xml" in lines
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(lines)
    base = site_manifest["base_url"]
    assert not rp.can_fetch("bbn-archive", base + "private/")
    assert not rp.can_fetch("bbn-archive", base + "private/drafts/")
    for a in site_manifest["articles"][:5]:
        assert rp.can_fetch("bbn-archive", a["url"])
    assert rp.site_maps() == [base + "sitemap_index.xml"]


def test_sitemap_index(site_client, site_manifest):
    got = site_client.ok("/sitemap_index.xml")
    assert got.content_type.startswith("text/xml")
    root = ET.fromstring(got.body)
    assert root.tag == SM + "sitemapindex"
    locs = [s.findtext(SM + "loc") for s in root.findall(SM + "sitemap")]
    assert locs == [site_manifest["base_url"] + p.lstrip("/") for p in site_manifest["sitemap_paths"]]
    for s in root.findall(SM + "sitemap"):
        datetime.fromisoformat(s.findtext(SM + "lastmod"))


def test_post_sitemap_lists_every_article_with_lastmod(site_client, site_manifest):
    root = ET.fromstring(site_client.ok("/post-sitemap.xml").body)
    assert root.tag == SM + "urlset"
    entries = {u.findtext(SM + "loc"): u.findtext(SM + "lastmod") for u in root.findall(SM + "url")}
    assert entries == {a["url"]: a["modified"] for a in site_manifest["articles"]}


def test_category_sitemap(site_client, site_manifest):
    root = ET.fromstring(site_client.ok("/category-sitemap.xml").body)
    locs = {u.findtext(SM + "loc") for u in root.findall(SM + "url")}
    assert locs == {site_manifest["base_url"] + pages[0].lstrip("/") for pages in site_manifest["listings"]["category"].values()}
    assert all(u.findtext(SM + "lastmod") for u in root.findall(SM + "url"))


def test_rss_feed(site_client, site_manifest):
    got = site_client.ok("/feed/")
    assert got.content_type.startswith("application/rss+xml")
    root = ET.fromstring(got.body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("link") == site_manifest["base_url"]
    items = channel.findall("item")
    assert len(items) == 10
    by_path = {a["path"]: a for a in site_manifest["articles"]}
    feed_links = [t for t in site_manifest["tracking_links"] if "/feed/" in t["linked_from"]]
    assert [i.findtext("link") for i in items] == [t["url"] for t in feed_links]
    for item in items:
        link = urlsplit(item.findtext("link"))
        query = parse_qs(link.query)
        assert query["utm_source"] == ["rss"] and query["utm_medium"] == ["rss"]
        art = by_path[link.path]
        assert item.findtext("title") == art["headline"]
        assert parsedate_to_datetime(item.findtext("pubDate")) == datetime.fromisoformat(art["published"])
        assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == art["byline"]
        assert item.find("guid").get("isPermaLink") == "false"
    # newest first, the same order as the manifest
    assert [urlsplit(i.findtext("link")).path for i in items] == [a["path"] for a in site_manifest["articles"][:10]]


def test_feed_is_advertised(site_client, site_manifest):
    home = site_client.ok("/").text
    assert f'type="application/rss+xml" title="BBN - Big Big News RSS Feed" href="{site_manifest["base_url"]}feed/"' in home
