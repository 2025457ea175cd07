"""Issue 24, item 7: URLs that carry credentials (`http://user:secret@host/...`) in a page's
links, in its related links and in a WARC's Target-URI. The userinfo is removed before the URL is
requested or stored: the secret is nowhere in the archive file, and each removal is a row."""
from __future__ import annotations

import io

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.helpers import rows
from tests.hostile.hostile_crawl import assert_clean, crawl
from tests.hostile.hostile_server import HostileSite, article_html
from tests.warc_import.conftest import import_warc

SECRET = "hunter2-secret"
STORY = "/2024/10/01/a-story-behind-a-password/"
OTHER = "/2024/10/02/another-story/"
REMOVED = "credentials (user:password@) removed from 1 URL(s) of this page before they were stored"


def archive_bytes(db) -> bytes:
    """The archive file with its write-ahead log, whatever is not yet checkpointed."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_a_link_with_credentials_is_requested_and_stored_without_them(tmp_path):
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        host = site.base_url.split("//")[1].rstrip("/")
        related = f'<h3>More about stories</h3><ul><li><a href="http://reader:{SECRET}@{host}{OTHER}">Another</a></li></ul>'
        page = article_html(site.url(STORY), "A story behind a password").replace(b"</article>", related.encode() + b"</article>")
        site.routes[STORY] = lambda h: h.send(200, page)
        site.add_article(OTHER)
        site.links.append(f"http://reader:{SECRET}@{host}{STORY}")
        result = crawl(db, [site.base_url], timeout=60)
        assert_clean(result)
        requested = [s for s in site.seen if s.path == STORY]
    assert requested and all(SECRET not in s.host for s in requested)
    assert sorted(r["url"] for r in rows(db, "SELECT url FROM articles")) == sorted([site.url(STORY), site.url(OTHER)])
    assert SECRET.encode() not in archive_bytes(db)
    # the two links: each page's alias under its address with credentials, not recorded as such
    assert rows(db, "SELECT url, stage, reason FROM errors") == [
        {"url": site.url(path), "stage": "store", "reason": REMOVED} for path in (STORY, OTHER)]


def test_a_warc_target_uri_with_credentials_is_stored_without_them(tmp_path):
    url = "http://news.test/2024/10/03/imported-story/"
    target = f"http://editor:{SECRET}@news.test/2024/10/03/imported-story/"
    path = tmp_path / "creds.warc.gz"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8")], protocol="HTTP/1.1")
        body = article_html(url, "An imported story")
        writer.write_record(writer.create_warc_record(target, "response", payload=io.BytesIO(body), http_headers=headers))
    db = tmp_path / "imported.db"
    import_warc(db, path)
    assert [r["url"] for r in rows(db, "SELECT url FROM articles")] == [url]
    assert SECRET.encode() not in archive_bytes(db)
    assert rows(db, "SELECT url, stage, reason FROM errors") == [{"url": url, "stage": "store", "reason": REMOVED}]
    import_warc(db, path)  # the same file again: the page is archived already, nothing is added
    assert len(rows(db, "SELECT id FROM errors")) == 1
    assert rows(db, "SELECT stats FROM crawls ORDER BY id DESC LIMIT 1")[0]["stats"].count('"bbn/warc/already_archived": 1') == 1
