"""import-commoncrawl's host filter on a generated CC-NEWS-like file (issue 26): records/s read
and skipped, MB/s and seconds per GB, against a floor measured in the same run.

    python bench/commoncrawl_bench.py [--size-mb 1024] [--every 100]

The WARC is written with warcio, gzip per record as CC-NEWS writes them: response records of
news pages (about 90 KB of HTML each, 30-odd KB compressed: a CC-NEWS file of 1 GB holds some
tens of thousands), one in `--every` (default 100: 1%) a distinct article of the host kept
(kept.example), the others copies of 200 pages of 20 other hosts. It is served from 127.0.0.1
by a file server with Range support in this process, and `bbn-archive import-commoncrawl
--paths LIST --host kept.example` reads it over HTTP into a new archive (the kept articles
parsed and stored as an import does). The floor, in the same run: the same file downloaded
from the same server and every gzip member decompressed (zlib), nothing parsed, in a process of
its own as the import is. The WARC is kept in bench/results/."""
from __future__ import annotations

import argparse
import io
import json
import random
import sqlite3
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from crawl_bench import measured  # noqa: E402

RESULTS = BENCH / "results"
KEPT_HOST = "kept.example"
OTHER_HOSTS = [f"www.news{n}.example" for n in range(20)]
FILLERS = 200
PARAGRAPHS = 120  # of about 100 words: some 90 KB of HTML a page
CHUNK = 1 << 20


def _words(rng: random.Random, vocabulary: list[str], n: int) -> str:
    return " ".join(rng.choices(vocabulary, k=n))


def page(url: str, rng: random.Random, vocabulary: list[str]) -> bytes:
    headline = _words(rng, vocabulary, 8).title()
    body = "".join(f"<p>{_words(rng, vocabulary, 100)}.</p>\n" for _ in range(PARAGRAPHS))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>{headline}</title>
<link rel="canonical" href="{url}"><meta property="og:type" content="article">
<meta property="article:published_time" content="2024-03-10T09:00:00+00:00"></head>
<body><nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/business/">Business</a></nav>
<main><article><h1>{headline}</h1><span class="author vcard"><span class="fn">Ann Writer</span></span>
<time datetime="2024-03-10T09:00:00+00:00">March 10, 2024</time>
<div class="entry-content">{body}</div></article></main></body></html>""".encode()


def record(url: str, html: bytes) -> bytes:
    """One response record, a gzip member of its own."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", str(len(html)))],
                               protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html), http_headers=headers,
                                                  warc_headers_dict={"WARC-Date": "2024-03-10T10:00:00Z"}))
    return out.getvalue()


def write_warc(path: Path, size_mb: int, every: int, log=print) -> dict:
    """Write the WARC (unless one of that size and share is there); its records and kept ones."""
    meta = path.with_suffix(".json")
    wanted = {"size_mb": size_mb, "every": every, "paragraphs": PARAGRAPHS}
    if path.exists() and meta.exists() and json.loads(meta.read_text()).get("wanted") == wanted:
        return json.loads(meta.read_text())
    rng = random.Random(26)
    vocabulary = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 10))) for _ in range(20000)]
    fillers = [record(url, page(url, rng, vocabulary))
               for i in range(FILLERS) for url in [f"https://{OTHER_HOSTS[i % len(OTHER_HOSTS)]}/2024/03/story-{i}"]]
    limit, records, kept = size_mb * 2**20, 0, 0
    with open(path, "wb") as out:
        while out.tell() < limit:
            if records % every == every - 1:
                url = f"https://{KEPT_HOST}/news/article-{kept}"
                out.write(record(url, page(url, rng, vocabulary)))
                kept += 1
            else:
                out.write(fillers[records % FILLERS])
            records += 1
        size = out.tell()
    info = {"wanted": wanted, "bytes": size, "records": records, "kept": kept}
    meta.write_text(json.dumps(info))
    log(f"  wrote {path.name}: {size / 2**20:,.0f} MiB, {records:,} records, {kept:,} of {KEPT_HOST}")
    return info


class FileServer:
    """The files of `root` on 127.0.0.1, Range requests answered, streamed in 1 MiB pieces."""

    def __init__(self, root: Path):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = (root / self.path.lstrip("/")).resolve()
                if root not in path.parents or not path.is_file():
                    self.send_error(404)
                    return
                size = path.stat().st_size
                start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0]) if self.headers.get("Range") else 0
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                self.send_header("Content-Length", str(size - start))
                self.end_headers()
                with open(path, "rb") as file:
                    file.seek(start)
                    try:
                        while chunk := file.read(CHUNK):
                            self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def floor(url: str) -> None:
    """Download `url` and decompress every gzip member; print the bytes decompressed (JSON)."""
    from urllib.request import urlopen

    decompressed = 0
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    with urlopen(url) as response:
        while data := response.read(CHUNK):
            while data:
                decompressed += len(decoder.decompress(data))
                data = decoder.unused_data if decoder.eof else b""
                if decoder.eof:
                    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    print(json.dumps({"decompressed": decompressed}))


def run(size_mb: int = 1024, every: int = 100, log=print) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    warc = RESULTS / f"cc-news-{size_mb}mb.warc.gz"
    info = write_warc(warc, size_mb, every, log)
    paths = RESULTS / "cc-news-bench.paths"
    paths.write_text(warc.name + "\n")
    db = RESULTS / "commoncrawl.db"
    for stale in RESULTS.glob("commoncrawl.db*"):
        stale.unlink()
    with FileServer(RESULTS) as server:
        log(f"  floor: download + gunzip of {info['bytes'] / 2**20:,.0f} MiB ...")
        base = measured([sys.executable, str(Path(__file__).resolve()), "--floor", server.base_url + warc.name])
        if base["returncode"] != 0:
            raise RuntimeError(f"the floor failed: {base['stderr']}")
        log(f"  import-commoncrawl --host {KEPT_HOST} ...")
        ours = measured([sys.executable, "-m", "bbn_scraper", "import-commoncrawl", "--paths", str(paths),
                         "--host", KEPT_HOST, "--base-url", server.base_url, "--contact", "bench@example.org",
                         "--db", str(db)])
    if ours["returncode"] != 0:
        raise RuntimeError(f"import-commoncrawl failed: {ours['stderr']}")
    with sqlite3.connect(db) as conn:
        stats = json.loads(conn.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()[0])
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    read = stats.get("bbn/commoncrawl/records_read", 0)
    megabytes = info["bytes"] / 1e6
    result = {
        "warc_mb": info["bytes"] / 2**20, "records": info["records"], "kept_in_file": info["kept"], "every": every,
        "records_read": read, "records_kept": stats.get("bbn/commoncrawl/records_kept", 0), "articles": articles,
        "wall": ours["wall"], "cpu": ours["cpu"], "rss_mb": ours["rss_mb"], "records_per_s": read / ours["wall"],
        "mb_per_s": megabytes / ours["wall"], "s_per_gb": ours["wall"] / (info["bytes"] / 1e9),
        "floor_wall": base["wall"], "floor_cpu": base["cpu"], "floor_mb_per_s": megabytes / base["wall"],
        "floor_records_per_s": info["records"] / base["wall"],
    }
    log(f"  {read:,} records in {ours['wall']:.1f} s: {result['records_per_s']:,.0f} records/s,"
        f" {result['mb_per_s']:.0f} MB/s ({result['s_per_gb']:.0f} s per GB), {articles:,} articles;"
        f" floor {result['floor_mb_per_s']:.0f} MB/s")
    return result


def rows(r: dict) -> list[tuple[str, str, str, str]]:
    share = f"{100 / r['every']:.0f}%"
    return [
        (f"11. import-commoncrawl --host, {r['warc_mb']:,.0f} MiB CC-NEWS-like WARC.gz over HTTP from 127.0.0.1,"
         f" {share} of records kept",
         f"{r['records_per_s']:,.0f} records/s read ({r['records_read']:,} in {r['wall']:.0f} s, {r['cpu']:.0f} s CPU);"
         f" {r['mb_per_s']:.0f} MB/s, {r['s_per_gb']:.0f} s per GB; {r['articles']:,} of {r['kept_in_file']:,} kept"
         f" stored; peak RSS {r['rss_mb']:.0f} MiB", "", ""),
        ("    floor: the same file downloaded and every gzip member decompressed, nothing parsed",
         f"{r['floor_records_per_s']:,.0f} records/s, {r['floor_mb_per_s']:.0f} MB/s ({r['floor_wall']:.0f} s,"
         f" {r['floor_cpu']:.0f} s CPU); import ÷ floor: {r['floor_wall'] / r['wall']:.2f} in speed,"
         f" {r['cpu'] / max(r['floor_cpu'], 1e-9):.1f}× the CPU", "", ""),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--every", type=int, default=100, help="one record in EVERY is of the host kept")
    parser.add_argument("--floor", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(args.floor)
    else:
        print(json.dumps(run(args.size_mb, args.every), indent=1))
