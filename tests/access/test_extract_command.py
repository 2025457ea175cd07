"""`bbn-archive extract`: one saved page's article, as the crawler would archive it, without an archive."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from bbn_scraper.app.cli import cli
from bbn_scraper.app.extract_inputs import MAX_PAGE


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:
        return response.read()


def test_extract_prints_the_article_as_json(sample_site, site_manifest, tmp_path):
    expected = next(a for a in site_manifest["articles"] if a["faqs"] and a["related_links"])
    page = tmp_path / "page.html"
    page.write_bytes(fetch(expected["canonical_url"]))
    result = CliRunner().invoke(cli, ["extract", str(page), "--url", expected["canonical_url"], "--json"])
    assert result.exit_code == 0, result.output
    article = json.loads(result.stdout)
    assert article["canonical_url"] == expected["canonical_url"]
    assert (article["headline"], article["authors"], article["tags"], article["faqs"]) == (
        expected["headline"], expected["authors"], expected["tags"], expected["faqs"])
    assert article["related_links"] == expected["related_links"]
    assert article["body"].split("\n\n") == expected["body_paragraphs"]


def test_extract_reads_standard_input_and_prints_text(sample_site, site_manifest):
    expected = next(a for a in site_manifest["articles"] if a["faqs"])
    result = CliRunner().invoke(cli, ["extract", "-", "--url", expected["canonical_url"]],
                                input=fetch(expected["canonical_url"]))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(expected["headline"] + "\n")
    assert expected["body_paragraphs"][-1] in result.stdout
    assert f"Q: {expected['faqs'][0]['question']}\nA: {expected['faqs'][0]['answer']}" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


def test_a_page_that_is_not_an_article_is_one_line_and_status_4(sample_site):
    result = CliRunner().invoke(cli, ["extract", "-", "--url", sample_site.base_url], input=fetch(sample_site.base_url))
    assert result.exit_code == 4 and result.stdout == ""
    assert result.stderr == "Error: standard input is not an article page (home, listing, search or error page, or no HTML)\n"


# Many inputs in one process (issue 25): JSON lines, one per page, in order, each named.

def run(*args: str, input=None):
    return CliRunner().invoke(cli, ["extract", *args], input=input)


def lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def saved(sample_site, site_manifest, tmp_path_factory):
    """A folder of saved pages: three articles (plain, .htm, and gzip in a subfolder), the home
    page (no article) and a file that is no page (ignored); the articles' manifest entries."""
    folder = tmp_path_factory.mktemp("saved") / "pages"
    (folder / "deeper").mkdir(parents=True)
    articles = site_manifest["articles"][:3]
    bodies = [fetch(a["canonical_url"]) for a in articles]
    (folder / "a.html").write_bytes(bodies[0])
    (folder / "b.htm").write_bytes(bodies[1])
    (folder / "deeper" / "c.html.gz").write_bytes(gzip.compress(bodies[2]))
    (folder / "home.html").write_bytes(fetch(sample_site.base_url))
    (folder / "notes.txt").write_text("not a page")
    return folder, articles


def test_a_folder_files_urls_and_bad_inputs_in_one_run(saved, sample_site, site_manifest, tmp_path):
    folder, articles = saved
    damaged = tmp_path / "damaged.html.gz"
    damaged.write_bytes(gzip.compress(fetch(articles[0]["canonical_url"]))[:400])
    url = site_manifest["articles"][5]["canonical_url"]
    missing = str(tmp_path / "missing.html")
    result = run(str(folder), url, missing, str(damaged), sample_site.base_url + "no/such/page/")
    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: 3 of 8 inputs could not be read (their lines say why)\n"
    found = lines(result)
    # a folder's pages, then its subfolders' (each sorted by name), then the other inputs in order
    assert [line["input"] for line in found] == [str(folder / "a.html"), str(folder / "b.htm"), str(folder / "home.html"),
                                                 str(folder / "deeper" / "c.html.gz"),
                                                 url, missing, str(damaged), sample_site.base_url + "no/such/page/"]
    for line, expected in zip([found[0], found[1], found[3]], articles):
        assert (line["headline"], line["canonical_url"], line["body"].split("\n\n")) == (
            expected["headline"], expected["canonical_url"], expected["body_paragraphs"])
    assert found[4]["headline"] == site_manifest["articles"][5]["headline"] and found[4]["url"] == url
    assert found[2] == {"input": str(folder / "home.html"),
                        "error": "not an article page (home, listing, search or error page, or no HTML)"}
    assert found[5] == {"input": missing, "error": "No such file or directory"}
    assert found[6] == {"input": str(damaged), "error": "damaged gzip (cut short: the stream ends before its end marker)"}
    assert found[7] == {"input": sample_site.base_url + "no/such/page/", "error": "HTTP 404 Not Found"}


def test_a_list_of_inputs_from_a_file_or_standard_input(saved, site_manifest, tmp_path):
    folder, articles = saved
    urls = [a["canonical_url"] for a in site_manifest["articles"][6:8]]
    listing = "\n".join(["# pages to read", str(folder / "a.html"), "", *urls, str(folder / "deeper")]) + "\n"
    (tmp_path / "list.txt").write_text(listing)
    expected = [str(folder / "a.html"), *urls, str(folder / "deeper" / "c.html.gz")]
    for args, stdin in ((["--from", str(tmp_path / "list.txt")], None), (["--from", "-"], listing)):
        result = run(*args, input=stdin)
        assert result.exit_code == 0 and result.stderr == "", result.output
        found = lines(result)
        assert [line["input"] for line in found] == expected
        assert [line["headline"] for line in found] == [articles[0]["headline"],
                                                       *(a["headline"] for a in site_manifest["articles"][6:8]),
                                                       articles[2]["headline"]]


def test_standard_input_among_files_and_a_gzip_page_alone(saved):
    folder, articles = saved
    page = (folder / "a.html").read_bytes()
    result = run("-", str(folder / "b.htm"), input=gzip.compress(page))
    assert result.exit_code == 0, result.output
    assert [(line["input"], line["headline"]) for line in lines(result)] == [
        ("-", articles[0]["headline"]), (str(folder / "b.htm"), articles[1]["headline"])]
    alone = run(str(folder / "deeper" / "c.html.gz"), "--json")  # one page: the JSON object, as before
    assert alone.exit_code == 0 and json.loads(alone.stdout)["headline"] == articles[2]["headline"]


def test_only_pages_that_are_no_articles_exit_4(saved):
    folder, _ = saved
    result = run(str(folder / "home.html"), str(folder / "notes.txt"))
    assert result.exit_code == 4, result.output
    assert [line["error"].startswith("not an article page") for line in lines(result)] == [True, True]
    assert result.stderr == "Error: 2 of 2 pages are not articles (their lines say why)\n"


@pytest.mark.parametrize("args, message", [
    ([], "Missing argument: give pages (FILE, DIR, URL or -) or --from LIST"),
    (["a.html", "b.html", "--url", "http://x/"], "--url names one page's address: give one page"),
    (["a.html", "b.html", "--text"], "--text shows one page: many pages are JSON lines"),
    (["-", "--from", "-"], "standard input is either a page (-) or a list (--from -), not both"),
    (["x.html", "--timeout", "0"], "'--timeout'"),
])
def test_usage_errors_are_one_line_and_status_2(args, message):
    result = run(*args, input="")
    assert result.exit_code == 2 and result.stdout == "", result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr and result.stderr.count("\n") == 1


class Hostile(BaseHTTPRequestHandler):
    """Pages no reader should take whole: a body that never ends in time, a Content-Length past
    the cap, a gzip that expands past it."""

    def do_GET(self):
        if self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"<p>" + b"x" * 1000)
                self.wfile.flush()
                time.sleep(0.05)
        elif self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(MAX_PAGE + 1))
            self.end_headers()
        elif self.path in ("/trickle", "/trickle-headers"):  # a byte at a time, each within the socket's timeout
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self.wfile.flush()
            for _ in range(40):
                self.wfile.write(b"X-Slow: 1\r\n" if self.path == "/trickle-headers" else b"")
                if self.path == "/trickle":
                    if _ == 0:
                        self.wfile.write(b"Content-Length: 1000\r\n\r\n")
                    self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path == "/cut":  # Content-Length announces twice what is sent
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "2000")
            self.end_headers()
            self.wfile.write(b"<html><body><p>" + b"x" * 985)
            self.close_connection = True
        elif self.path == "/to-ftp":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1:1/file.html")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/reason":
            self.send_response(404, "Not\x1b]0;owned\x07Found")
            self.end_headers()
        elif self.path == "/bomb":
            body = gzip.compress(bytes(MAX_PAGE + 1), compresslevel=9)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


class Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the reader hung up on a page it refused: expected


@pytest.fixture(scope="module")
def hostile():
    server = Quiet(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_input_is_bounded_in_bytes_and_time(hostile, tmp_path):
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(bytes(MAX_PAGE + 1), compresslevel=9))
    started = time.monotonic()
    result = run(f"{hostile}/slow", f"{hostile}/huge", f"{hostile}/bomb", str(bomb), "--timeout", "1")
    assert time.monotonic() - started < 30  # the slow page alone would take 5 s; the cap is 1
    assert result.exit_code == 1, result.output
    found = lines(result)
    assert found[0] == {"input": f"{hostile}/slow", "error": "not read within 1 s"}
    assert found[1]["error"] == f"Content-Length {MAX_PAGE + 1}: larger than any page a crawl takes ({MAX_PAGE} bytes)"
    over = f"over {MAX_PAGE} bytes (once decoded): larger than any page a crawl takes"
    assert [line["error"] for line in found[2:]] == [over, over]
    assert result.stderr == "Error: 4 of 4 inputs could not be read (their lines say why)\n"


def test_many_pages_are_one_process(saved, tmp_path):
    """The point of many inputs: one start-up. 60 pages through the real program, in one process
    whose parser is imported once (the time is reported, not asserted: bench/ measures)."""
    folder, _ = saved
    many = tmp_path / "many"
    many.mkdir()
    for i in range(60):
        (many / f"p{i:02}.html").write_bytes((folder / "a.html").read_bytes())
    result = subprocess.run([sys.executable, "-m", "bbn_scraper", "extract", str(many)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 60 and result.stderr == ""


def test_a_damaged_gzip_is_an_error_wherever_the_damage(saved, tmp_path):
    folder, _ = saved
    packed = bytearray(gzip.compress((folder / "a.html").read_bytes()))
    header, middle = bytearray(packed), bytearray(packed)
    header[2] = 0  # compression method
    middle[len(middle) // 2:len(middle) // 2 + 50] = bytes(50)
    names = []
    for kind, data in (("header", header), ("middle", middle), ("cut", packed[:-20])):
        names.append(str(tmp_path / f"{kind}.html.gz"))
        Path(names[-1]).write_bytes(bytes(data))
    result = run(*names)
    assert result.exit_code == 1, result.output
    assert [line["error"].split(" (")[0] for line in lines(result)] == ["damaged gzip"] * 3, result.stdout


def test_a_fetch_is_bounded_in_time_all_told_and_whole_or_an_error(hostile, tmp_path):
    """A server trickling its headers or body a byte at a time kept extract waiting past any
    --timeout; a body cut short of its Content-Length was parsed as the page; a redirect to
    ftp was followed; a redirect loop's error was three lines."""
    started = time.monotonic()
    result = run(*(f"{hostile}{path}" for path in ("/trickle", "/trickle-headers", "/cut", "/to-ftp", "/loop")),
                 "--timeout", "1")
    assert time.monotonic() - started < 15, result.output
    errors = [line["error"] for line in lines(result)]
    assert errors[:2] == ["not read within 1 s"] * 2, errors
    assert errors[2] == "cut short: 1000 of the 2000 bytes its Content-Length announces", errors
    assert errors[3] == "HTTP 302: redirected to 'ftp://127.0.0.1:1/file.html', not an http(s) URL", errors
    assert errors[4].startswith("HTTP 302") and "\n" not in errors[4], errors


def test_an_error_line_cannot_drive_the_terminal(hostile):
    result = run(f"{hostile}/reason")
    assert result.exit_code == 1 and "\x1b" not in result.stderr and "\\x1b]0;owned\\x07" in result.stderr, result.stderr


def test_a_pipe_in_a_folder_is_refused_not_waited_for_and_one_named_is_read(saved, tmp_path):
    """A FIFO among a folder's pages waited for a writer for ever, and the rest of the folder
    was never read; a pipe named on the command line (`<(gzip -dc page.html.gz)`) is a page."""
    folder = tmp_path / "pages"
    folder.mkdir()
    os.mkfifo(folder / "b.html")
    named = tmp_path / "named.html"
    os.mkfifo(named)
    page = (saved[0] / "a.html").read_bytes()
    writer = threading.Thread(target=lambda: named.write_bytes(page), daemon=True)
    writer.start()
    result = run(str(folder), str(named))
    writer.join(timeout=10)
    found = lines(result)
    assert found[0] == {"input": str(folder / "b.html"), "error": "not a regular file (a pipe, a device or a socket)"
                        " in a folder of pages"}, found[0]
    assert found[1]["input"] == str(named) and "headline" in found[1], found[1]
