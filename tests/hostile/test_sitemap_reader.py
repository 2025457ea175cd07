"""The sitemap reader on its own: a document libxml2 gives up on yields the entries before the
halt and not the one it stopped inside, whichever lxml is installed (lxml 6.2 closes the open
elements after a halt, earlier lines did not)."""
from __future__ import annotations

from bbn_scraper.crawler.sitemaps import CheckedSitemap

LAUGHS = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))


def sitemap(*locs: str, doctype: str = "") -> bytes:
    urls = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (f'<?xml version="1.0"?>{doctype}'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()


def test_a_whole_sitemap_is_read_to_its_end():
    read = CheckedSitemap(sitemap("http://a.test/1", "http://a.test/2"))
    assert [e["loc"] for e in read] == ["http://a.test/1", "http://a.test/2"]
    assert read.stopped is None


def test_the_entry_the_parser_halted_in_is_not_yielded_and_the_halt_is_said():
    read = CheckedSitemap(sitemap("http://a.test/1", "http://a.test/2&lol9;", "http://a.test/3",
                                  doctype=f"<!DOCTYPE urlset [{LAUGHS}]>"))
    assert [e["loc"] for e in read] == ["http://a.test/1"]
    assert read.stopped == "Maximum entity amplification factor exceeded, see xmlCtxtSetMaxAmplification."


def test_a_sitemap_cut_inside_an_entry_yields_the_entries_before_it():
    read = CheckedSitemap(sitemap("http://a.test/1", "http://a.test/2")[:-30])
    assert [e["loc"] for e in read] == ["http://a.test/1"]
    assert read.stopped == "Premature end of data in tag loc line 1"


def test_a_sitemap_cut_after_its_last_entry_yields_every_entry_and_is_not_read_to_its_end():
    read = CheckedSitemap(sitemap("http://a.test/1", "http://a.test/2")[:-10])
    assert [e["loc"] for e in read] == ["http://a.test/1", "http://a.test/2"]
    assert read.stopped == "Premature end of data in tag urlset line 1"


def test_a_mismatched_tag_libxml2_recovers_from_is_read_to_the_end():
    text = sitemap("http://a.test/1", "http://a.test/2").replace(b"</loc></url></urlset>", b"</lo></url></urlset>")
    read = CheckedSitemap(text)
    assert [e["loc"] for e in read] == ["http://a.test/1", "http://a.test/2"]
    assert read.stopped is None
