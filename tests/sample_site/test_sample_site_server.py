"""HTTP behaviour of the sample site: status codes, headers, the 503-twice article, the
windows-1252 article, broken links, the disallowed path, counters and the CLI."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import SiteClient, fetch
from bbn_scraper.sample_site import SampleSite, manifest as module_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_base_url_is_loopback_with_a_free_port(sample_site):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", sample_site.base_url)
    assert sample_site.port > 0


def test_only_loopback_hosts_are_accepted():
    with pytest.raises(ValueError):
        SampleSite(host="0.0.0.0")


def test_every_article_answers_200_with_length_and_charset(site_client, site_manifest):
    assert len(site_manifest["articles"]) >= 30
    for art in site_manifest["articles"]:
        got = site_client.ok(art["path"])
        assert int(got.headers["content-length"]) == len(got.body)
        assert got.content_type.startswith("text/html; charset=")
        assert got.charset == ("windows-1252" if art["charset"] == "windows-1252" else "utf-8")
        assert "last-modified" in got.headers


def test_tracking_parameters_serve_the_same_article(site_client, site_manifest):
    for link in site_manifest["tracking_links"][:4]:
        got = site_client.get(link["url"].removeprefix(site_manifest["base_url"]))
        assert got.status == 200
        assert got.body == site_client.ok(link["target_path"]).body


def test_503_twice_then_200_per_server_instance():
    with SampleSite() as fresh:
        c = SiteClient(fresh)
        path = fresh.manifest()["special_pages"]["503-twice"]
        first, second, third, fourth = (c.get(path) for _ in range(4))
        assert (first.status, second.status, third.status, fourth.status) == (503, 503, 200, 200)
        assert first.headers.get("retry-after") == "1"
        assert fresh.requests[path] == 4
        assert fresh.flaky_attempts == 4
        # counters reset, the article stays healthy...
        fresh.reset_counters()
        assert fresh.requests[path] == 0
        assert c.get(path).status == 200
        # ...unless re-armed
        fresh.reset_counters(rearm_503=True)
        assert [c.get(path).status for _ in range(3)] == [503, 503, 200]
        statuses = [s for m, p, s in fresh.request_log if p == path]
        assert statuses == [503, 503, 200]


def test_503_state_is_per_instance():
    for _ in range(2):
        with SampleSite() as fresh:
            path = fresh.manifest()["special_pages"]["503-twice"]
            assert SiteClient(fresh).get(path).status == 503


def test_cp1252_article_decodes_as_windows_1252(site_client, site_manifest):
    path = site_manifest["special_pages"]["cp1252"]
    art = next(a for a in site_manifest["articles"] if a["path"] == path)
    got = site_client.ok(path)
    assert got.content_type == "text/html; charset=windows-1252"
    assert b'<meta charset="windows-1252">' in got.body
    # cp1252 bytes: e-acute 0xE9, euro 0x80, curly quotes 0x93/0x94, em dash 0x97
    for raw in (b"Caf\xe9", b"\x803", b"\x93winter blend\x94", b"\x97", b"na\xefve"):
        assert raw in got.body, raw
    with pytest.raises(UnicodeDecodeError):
        got.body.decode("utf-8")
    text = got.body.decode("cp1252")
    assert "Café owners across Marlow Heights" in text
    assert "crème brûlée" in text
    assert art["headline"] in text.replace("&#8216;", "‘").replace("&#8217;", "’")
    import lxml.html
    paras = [p.text_content() for p in lxml.html.fromstring(text).xpath('//*[@id="penci-post-entry-inner"]/p')]
    assert paras[: len(art["body_paragraphs"])] == art["body_paragraphs"]


def test_broken_links_answer_404_and_are_linked(site_client, site_manifest):
    assert len(site_manifest["broken_links"]) >= 3
    for link in site_manifest["broken_links"]:
        got = site_client.get(link["path"])
        assert got.status == 404
        assert "Page not found" in got.text
        for page in link["linked_from"]:
            assert link["url"] in site_client.ok(page).text, (link["path"], page)


def test_unknown_paths_404(site_client):
    for path in ("/nope/", "/2023/01/01/no-such-story/", "/category/world/page/9/", "/tag/no-such-tag/",
                 "/author/nobody/", "/2023/09/20/harbor-accord-talks/amp/extra/", "/page/99/"):
        assert site_client.get(path).status == 404, path


def test_amp_only_for_articles_that_have_a_copy(site_client, site_manifest):
    no_amp = next(a for a in site_manifest["articles"] if a["amp_path"] is None)
    assert site_client.get(no_amp["path"] + "amp/").status == 404


def test_redirects(site_client, site_manifest):
    art = site_manifest["articles"][0]
    got = site_client.get(art["path"].rstrip("/"))
    assert got.status == 301 and got.headers["location"] == art["url"]
    got = site_client.get("/category/world/page/1/")
    assert got.status == 301 and got.headers["location"] == site_manifest["base_url"] + "category/world/"
    got = site_client.get(f"/?p={art['post_id']}")
    assert got.status == 301 and got.headers["location"] == art["url"]
    got = site_client.get("/private")
    assert got.status == 301


def test_head_has_headers_but_no_body(site_client, site_manifest):
    art = site_manifest["articles"][1]
    got = site_client.get(art["path"], method="HEAD")
    assert got.status == 200 and got.body == b""
    assert int(got.headers["content-length"]) == len(site_client.ok(art["path"]).body)


def test_if_modified_since_answers_304(site_client, site_manifest):
    art = site_manifest["articles"][1]
    last = site_client.ok(art["path"]).headers["last-modified"]
    assert site_client.get(art["path"], headers={"If-Modified-Since": last}).status == 304
    assert site_client.get(art["path"], headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status == 200


def test_post_is_not_allowed(sample_site):
    import urllib.error
    import urllib.request
    req = urllib.request.Request(sample_site.url("/wp-comments-post.php"), data=b"comment=x", method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as err:
        opener.open(req, timeout=5)
    err.value.close()
    assert err.value.code == 405


def test_images_are_served(site_client, site_manifest):
    art = site_manifest["articles"][0]
    got = site_client.get(art["image_url"].removeprefix(site_manifest["base_url"]))
    assert got.status == 200 and got.content_type == "image/jpeg" and got.body.startswith(b"\xff\xd8")
    assert site_client.get("/wp-content/uploads/2023/01/bbn-logo.png").content_type == "image/png"


def test_private_path_is_linked_served_and_counted():
    with SampleSite() as fresh:
        c = SiteClient(fresh)
        m = fresh.manifest()
        home = c.ok("/").text
        assert f'href="{fresh.url(m["disallowed_path"])}"' in home
        assert fresh.hits("/private/") == 0
        assert c.get("/private/").status == 200
        assert c.get("/private/drafts/").status == 200
        assert fresh.requests["/private/"] == 1
        assert fresh.hits("/private/") == 2


def test_request_counters():
    with SampleSite() as fresh:
        c = SiteClient(fresh)
        art = fresh.manifest()["articles"][0]
        c.get(art["path"])
        c.get(art["path"] + "?utm_source=x&utm_medium=y")
        assert fresh.requests[art["path"]] == 2
        assert fresh.requests_raw[art["path"] + "?utm_source=x&utm_medium=y"] == 1
        assert fresh.request_log[-1] == ("GET", art["path"] + "?utm_source=x&utm_medium=y", 200)
        fresh.reset_counters()
        assert fresh.requests == {} and fresh.request_log == []


def test_edition_is_validated():
    with SampleSite() as site:
        with pytest.raises(ValueError):
            site.edition = 3
        assert site.edition == 1
    with pytest.raises(ValueError):
        SampleSite(edition=0)


def test_manifest_is_deterministic_and_follows_the_base(sample_site):
    a = module_manifest(1, "http://127.0.0.1:9/")
    b = module_manifest(1, "http://127.0.0.1:9/")
    assert a == b
    live = sample_site.manifest()
    assert [x["path"] for x in a["articles"]] == [x["path"] for x in live["articles"]]
    assert live["articles"][0]["url"].startswith(sample_site.base_url)


def _sigint_as_in_a_shell() -> None:
    """In the child before exec: SIGINT neither ignored nor blocked, as a terminal's shell starts
    a command. A test worker can hold it ignored (an in-process crawl's forced shutdown sets
    SIG_IGN), and an ignored signal stays ignored across exec: Python then never raises
    KeyboardInterrupt, and the server would never see Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_cli_serves_in_the_foreground():
    proc = subprocess.Popen([sys.executable, "-m", "bbn_scraper.sample_site", "--port", "0", "--edition", "2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_as_in_a_shell)
    try:
        line = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert m, line
        home = fetch(m.group(1))
        assert home.status == 200 and "BBN" in home.text
        art = module_manifest(2, m.group(1))["special_pages"]["edition-2-changes"][0]
        assert "Update, October 4, 2023" in fetch(m.group(1) + art.lstrip("/")).text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert proc.returncode == 0, err


def test_cli_prints_manifest():
    out = subprocess.run([sys.executable, "-m", "bbn_scraper.sample_site", "--manifest", "--port", "8123"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    import json
    data = json.loads(out)
    assert data["base_url"] == "http://127.0.0.1:8123/"
    assert len(data["articles"]) >= 30


def test_port_is_bound_by_the_constructor():
    site = SampleSite()
    try:
        assert site.base_url == f"http://127.0.0.1:{site.port}/"
        with pytest.raises(OSError):
            SampleSite(port=site.port)
        site.start()
        assert fetch(site.base_url).status == 200
    finally:
        site.stop()
        site.stop()


def test_stop_releases_the_port_and_start_rebinds():
    site = SampleSite().start()
    port = site.port
    site.stop()
    again = None
    for _ in range(20):
        try:
            again = SampleSite(port=port)
            break
        except OSError:
            time.sleep(0.1)
    assert again is not None
    again.stop()
    site.start()
    try:
        assert site.port == port and fetch(site.base_url).status == 200
    finally:
        site.stop()
