"""Replay in pywb: an article of the sample site, recorded by a crawl with --warc, and the
gzip-encoded page of a server that compresses, served by `wayback` on a loopback port."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request

from tests.helpers import crawl
from tests.warc.conftest import warc_files
from tests.warc.gzip_server import HEADLINE, GzipServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read().decode("utf-8", "replace")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_pywb_replays_a_recorded_article_and_a_gzipped_page(warc_crawl, pywb_bin, tmp_path):
    with GzipServer(not_modified=False) as server:
        crawl(tmp_path / "gz.db", server.url, "--warc", str(tmp_path / "gz"))
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run([str(pywb_bin / "wb-manager"), "init", "news"], cwd=root, check=True, capture_output=True)
    files = warc_files(warc_crawl.warc_dir) + warc_files(tmp_path / "gz")
    subprocess.run([str(pywb_bin / "wb-manager"), "add", "news", *map(str, files)], cwd=root, check=True,
                   capture_output=True)
    port = _free_port()
    wayback = subprocess.Popen([str(pywb_bin / "wayback"), "--bind", "127.0.0.1", "-p", str(port)], cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        article = warc_crawl.manifest["articles"][0]
        page = _get(f"http://127.0.0.1:{port}/news/mp_/{article['url']}", time.monotonic() + 60)
        assert article["headline"] in page
        assert "<html" in page.lower()
        page = _get(f"http://127.0.0.1:{port}/news/mp_/{server.url}", time.monotonic() + 30)
        assert HEADLINE in page  # gzip as sent, decoded by the replay
    finally:
        wayback.terminate()
        wayback.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)
