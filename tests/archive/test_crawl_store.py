"""archive.crawl_store.CrawlStore without Scrapy: a crawl's items stored, judged, cut,
deduplicated, capped and settled; every failure an error row; the items as JSON for Redis."""
from __future__ import annotations

import base64
import hashlib
import os
import pickle
import subprocess
import sys
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from archive import Archive
from archive.crawl_store import CrawlStore, StoreLimits
from archive import item_codec
from archive.item_codec import UndecodableItem, decode, encode
from archive.items import (Alias, Claim, CrawlError, FetchedArticle, FetchedPage, PackedBody, Seen, SitemapLastmods,
                           SitemapRead, pack_body)
from archive.model import Faq, Link, url_key
from archive.wire import VERSION
from tests.helpers import BASE, make_article

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


def errors(archive, crawl_id) -> list[tuple]:
    return [(e["url"], e["stage"], e["reason"]) for e in archive.db.query(
        "SELECT url, stage, reason FROM errors WHERE crawl_id = ? ORDER BY id", [crawl_id])]


def article_urls(archive) -> dict[str, list[str]]:
    return {a["url"]: [u["url"] for u in archive.db.query(
        "SELECT url FROM article_urls WHERE article_id = ? ORDER BY url", [a["id"]])]
        for a in archive.db.query("SELECT id, url FROM articles ORDER BY id")}


def test_a_crawls_items_are_stored_and_settled_without_scrapy(empty_archive):
    stops = []
    store = CrawlStore(empty_archive, StoreLimits(max_aliases=5), "test-1", site_of=lambda url: "bbn", on_stop=stops.append)
    crawl_id = store.start([f"{BASE}/"])
    one, two, amp = f"{BASE}/news/one", f"{BASE}/news/two", f"{BASE}/news/one/amp"
    lonely, never = f"{BASE}/news/lonely-copy", f"{BASE}/news/never-fetched"
    items = [
        FetchedPage(one, 200, "text/html", b"<html>one</html>", NOW),
        FetchedArticle(make_article(one), one, NOW),
        FetchedArticle(make_article(f"{one}?utm_source=x", canonical_url=one), f"{one}?utm_source=x", NOW),  # a second page
        Claim(make_article(amp, canonical_url=one), amp, NOW),
        Claim(make_article(lonely, canonical_url=never, body="Another story."), lonely, NOW),
        FetchedArticle(make_article(two, body=""), two, NOW),  # no body: not an article
        CrawlError(f"{BASE}/gone", "fetch", "HTTP 404"),
        Alias(f"{BASE}/news/one#top", one),
        SitemapLastmods({one: "2024-05-01"}),
        SitemapRead(f"{BASE}/sitemap-1.xml", "2024-05-01"),
        Seen(12345),  # an article the archive does not hold: touching it is harmless
    ]
    for item in items:
        store.store(item)
    store.settle({url_key(never): "HTTP 404"})
    empty_archive.finish_crawl(crawl_id, "finished", dict(store.counts))

    assert stops == []
    assert errors(empty_archive, crawl_id) == [
        (two, "parse", "no body ()"),
        (f"{BASE}/gone", "fetch", "HTTP 404"),
        (lonely, "parse", f"canonical {never} refused: HTTP 404"),
    ]
    urls = article_urls(empty_archive)
    assert set(urls) == {one, lonely}
    assert {f"{one}?utm_source=x", amp, f"{BASE}/news/one#top"} <= set(urls[one])
    assert store.counts["bbn/article_new"] == 2 and store.counts["bbn/duplicate_article"] == 1
    assert store.counts["bbn/invalid_article"] == 1 and store.counts["bbn/site/bbn/pages"] == 1
    assert store.counts["bbn/error_parse"] == 2 and store.counts["bbn/error_fetch"] == 1
    assert store.errors == 3  # the rows recorded: what the progress line shows
    assert empty_archive.sitemap_lastmods() == {f"{BASE}/sitemap-1.xml": "2024-05-01"}


def test_fields_are_cut_to_the_limits_each_cut_an_error_row(empty_archive):
    store = CrawlStore(empty_archive, StoreLimits(headline=20, byline=10, faqs=1))
    crawl_id = store.start([f"{BASE}/"])
    url = f"{BASE}/news/long"
    article = make_article(url, headline="A headline of many many words", byline="Somebody With A Long Name",
                           faqs=[Faq("Q1?", "A1"), Faq("Q2?", "A2")])
    store.store(FetchedArticle(article, url, NOW))
    [row] = empty_archive.db.query("SELECT headline, byline FROM articles")
    assert row == {"headline": "A headline of many…", "byline": "Somebody…"}
    assert [reason for _, _, reason in errors(empty_archive, crawl_id)] == [
        "truncated: headline of 29 characters cut to 20 (ARTICLE_MAX_HEADLINE)",
        "truncated: byline of 25 characters cut to 10 (ARTICLE_MAX_BYLINE)",
        "truncated: 2 FAQ pairs cut to 1 (ARTICLE_MAX_FAQS)",
    ]


def test_the_article_cap_refuses_new_articles_and_stops_the_crawl_once(empty_archive):
    stops = []
    store = CrawlStore(empty_archive, StoreLimits(max_articles=2), on_stop=stops.append)
    store.start([f"{BASE}/"])
    for n in range(4):
        url = f"{BASE}/news/story-{n}"
        store.store(FetchedArticle(make_article(url, body=f"Story {n} body."), url, NOW))
    assert empty_archive.counts()["articles"] == 2
    assert stops == ["article cap of 2 reached"]
    assert store.counts["bbn/refused/max_articles"] == 2
    # The writer stores behind the crawler: a crawl that ran out of pages as the cap was reached
    # did not finish (its next crawl walks every listing again); another reason stays as it is.
    assert store.status("finished") == "article cap of 2 reached"
    assert store.status("shutdown") == "shutdown"
    assert CrawlStore(empty_archive).status("finished") == "finished"


def test_an_item_that_cannot_be_stored_is_an_error_row(empty_archive):
    store = CrawlStore(empty_archive)
    crawl_id = store.start([f"{BASE}/"])
    store.store(FetchedPage(f"{BASE}/x", 200, "text/html", "not bytes", NOW))  # type: ignore[arg-type]
    store.store(object())
    [(url, stage, reason), (none, stage2, unknown)] = errors(empty_archive, crawl_id)
    assert (url, stage, none, stage2) == (f"{BASE}/x", "store", None, "store")
    assert unknown == "TypeError: unknown item type object"


def test_a_reparsed_page_keeps_its_sighting_and_is_judged_as_in_a_crawl(empty_archive):
    crawl = CrawlStore(empty_archive)
    first = crawl.start([f"{BASE}/"])
    url = f"{BASE}/news/one"
    crawl.store(FetchedArticle(make_article(url), url, NOW))
    [seen] = empty_archive.db.query("SELECT id, last_seen, crawl_id FROM articles")
    store = CrawlStore(empty_archive, StoreLimits(headline=10), "test-2")
    again = store.start(["reparse"])
    page = {"id": 1, "url": url, "last_seen": seen["last_seen"], "crawl_id": first}
    assert store.reparsed(page, make_article(url, body="A changed body.")) == "changed"
    assert store.reparsed(page, None) == "failed"
    assert store.reparsed(page, make_article(url, body="")) == "failed"
    assert list(empty_archive.db.query("SELECT id, last_seen, crawl_id FROM articles")) == [seen]
    assert [reason for _, _, reason in errors(empty_archive, again)] == [
        "truncated: headline of 33 characters cut to 10 (ARTICLE_MAX_HEADLINE)",
        "page 1 is not an article for parser test-2",
        "truncated: headline of 33 characters cut to 10 (ARTICLE_MAX_HEADLINE)",
        "page 1: no body (truncated: headline of 33 characters cut to 10 (ARTICLE_MAX_HEADLINE))",
    ]


def test_the_store_imports_without_scrapy_twisted_or_the_crawler():
    code = ("import sys, archive.crawl_store, archive.item_codec;"
            " print(sorted({m.partition('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'bbn_scraper'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.parametrize("item", [
    FetchedPage(f"{BASE}/a", 200, "text/html", b"\x00\xff<html>", NOW, '"etag"', None),
    FetchedPage(f"{BASE}/a", 304, "text/html", b"", NOW, unchanged=True),
    FetchedPage(f"{BASE}/a", 200, "text/html", b"<html>", NOW, packed=pack_body(b"<html>")),
    FetchedArticle(make_article(f"{BASE}/a", published=NOW, faqs=[Faq("Q?", "A")],
                                related_links=[Link("More", f"{BASE}/b")], warnings=["w"]), f"{BASE}/a", NOW),
    Claim(make_article(f"{BASE}/a/amp", canonical_url=f"{BASE}/a"), f"{BASE}/a/amp", NOW),
    Alias(f"{BASE}/a?utm_source=x", f"{BASE}/a"), Seen(7), CrawlError(None, "store", "why"),
    SitemapLastmods({f"{BASE}/a": "2024-05-01"}), SitemapRead(f"{BASE}/sitemap.xml", "2024-05-01"),
], ids=lambda item: type(item).__name__)
def test_every_item_crosses_redis_as_json_and_back(item):
    data = encode(item)
    assert data.startswith(b'{"type":') and decode(data) == item


def test_where_a_warc_record_is_stays_on_the_recording_machine():
    page = FetchedPage(f"{BASE}/a", 200, "text/html", b"<html>", NOW, warc=lambda: None)
    assert decode(encode(page)).warc is None


@pytest.mark.parametrize("data", [
    pickle.dumps(Seen(7), protocol=0).replace(b"archive.items\n", b"crawler.items\n"),
    b"", b"[1]", b'{"type": "Os", "fields": {}}', b'{"type": "Seen", "fields": {"article_id": "7"}}',
    b'{"type": "Seen", "fields": {"article_id": 7, "extra": 1}}',
])
def test_anything_else_is_refused_without_running_it(data):
    with pytest.raises(UndecodableItem):
        decode(data)


def test_an_item_of_another_version_is_refused_saying_so():
    data = encode(Seen(7)).replace(b'"version":%d,' % VERSION, b'"version":%d,' % (VERSION + 1))
    with pytest.raises(UndecodableItem, match=f"a record of version {VERSION + 1}, this bbn-archive reads version {VERSION}"):
        decode(data)
    with pytest.raises(UndecodableItem, match="without a version field"):
        decode(data.replace(b'"version":%d,' % (VERSION + 1), b""))



def test_a_second_settle_does_not_apply_the_first_ones_sightings_again(empty_archive):
    """ingest settles each round of a distributed crawl with one store: what a round applied is
    not applied again under the next round's crawl."""
    store = CrawlStore(empty_archive, StoreLimits(), "test-1")
    first = store.start([f"{BASE}/"])
    one = f"{BASE}/news/one"
    store.store(FetchedArticle(make_article(one), one, NOW))
    store.settle()
    second = store.start([f"{BASE}/"])
    store.store(Seen(empty_archive.known_article_id(one)))
    store.settle()
    third = store.start([f"{BASE}/"])
    store.settle()
    assert [r["crawl_id"] for r in empty_archive.db.query("SELECT crawl_id FROM articles")] == [second]
    assert (first, second, third) == (1, 2, 3)
    assert store.seen == set() and store.aliases == {} and store.lastmods == {}


def _temporary_files() -> list[str]:
    """The temporary files SQLite holds open in this process (created, then unlinked)."""
    fds = Path("/proc/self/fd")
    return [target for fd in fds.iterdir() if "etilqs" in (target := os.readlink(fd) if fd.exists() else "")]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_batchs_savepoints_are_kept_in_memory_not_in_a_temporary_file(tmp_path):
    """Each item is stored in a savepoint inside the batch's transaction; the pages it changes
    that the batch had changed already are copied to a sub-journal, a temporary file (written
    a page at a time) past 64 KiB unless the store's connection keeps it in memory."""
    with Archive(tmp_path / "a.db", create=True) as archive:
        store = CrawlStore(archive)
        store.start([f"{BASE}/"])
        with archive.transaction():
            for i in range(40):
                url = f"{BASE}/news/{i}"
                store.store(FetchedPage(url, 200, "text/html", b"<html>%d</html>" % i * 500, NOW))
                store.store(FetchedArticle(make_article(url, body=f"Story {i}. " + "Some words here. " * 300), url, NOW))
            assert _temporary_files() == []
        assert store.counts["bbn/article_new"] == 40


def test_a_page_packed_by_its_worker_is_stored_as_the_store_would_store_it(empty_archive):
    """The body's zlib stream and SHA-256 made in the parse worker are written as they come,
    when they are this body's; a pack of another body (or a damaged one) is not: the store
    packs the body itself then. The rows are the same either way."""
    store = CrawlStore(empty_archive)
    store.start([f"{BASE}/"])
    body, other = b"<html>" + b"the page " * 200 + b"</html>", b"<html>another page</html>"
    packed = pack_body(body)
    wrong = [pack_body(other), PackedBody(packed.sha256, pack_body(other).zlib),
             PackedBody(pack_body(other).sha256, packed.zlib), PackedBody(packed.sha256, b"")]
    pages = [FetchedPage(f"{BASE}/{i}", 200, "text/html", body, NOW, packed=p) for i, p in enumerate([None, packed, *wrong])]
    for page in pages:
        store.store(page)
    rows = list(empty_archive.db.execute("SELECT size, sha256, compression, body FROM pages ORDER BY id"))
    assert len(rows) == len(pages) and len(set(rows)) == 1
    assert rows[0] == (len(body), hashlib.sha256(body).hexdigest(), "zlib", zlib.compress(body))
    assert [empty_archive.page_body(i) for i in range(1, len(pages) + 1)] == [body] * len(pages)


def test_a_packed_page_crosses_as_its_pack_alone():
    """A quarter of the size for a typical page: the body's base64 is not sent beside its pack."""
    body = b"<html><body>" + b"".join(b"<p>Paragraph %d of the story, in words.</p>" % i for i in range(400)) + b"</body></html>"
    page = FetchedPage(f"{BASE}/a", 200, "text/html", body, NOW, packed=pack_body(body))
    data = encode(page)
    assert base64.b64encode(body[:300]) not in data and len(data) < len(body) / 4
    assert decode(data) == page


@pytest.mark.parametrize("stream, reason", [
    (b"not zlib at all", "no zlib stream"),
    (zlib.compress(b"<html>")[:-3], "not one whole zlib stream"),
    (zlib.compress(b"<html>") + b"more", "not one whole zlib stream"),
    (zlib.compress(b"\0" * (16 * 1024 * 1024 + 1)), "over 16777216 bytes once unpacked"),
])
def test_a_pack_that_is_no_page_is_refused(stream, reason):
    page = FetchedPage(f"{BASE}/a", 200, "text/html", b"", NOW, packed=PackedBody("0" * 64, stream))
    with pytest.raises(UndecodableItem, match=reason):
        decode(encode(page))


def test_an_entry_too_large_for_any_item_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(item_codec, "MAX_ENTRY", 100)
    with pytest.raises(UndecodableItem, match="an entry of [0-9]+ bytes, over the 100 an item can take"):
        decode(encode(FetchedPage(f"{BASE}/a", 200, "text/html", b"x" * 100, NOW)))
