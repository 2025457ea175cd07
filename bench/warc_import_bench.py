"""import-warc on a generated WARC: pages/s and peak RSS (issue 14).

    python bench/warc_import_bench.py [--size-mb 1024] [--articles 2000]

The WARC is written with warcio, gzip per record as the field writes them: the pages of a
generated site (bench/big_site.py, `--articles` articles with their listings), its articles
then written again under distinct URLs (the slug suffixed, in the URL and in the page) until
the file is `--size-mb` MiB, each response preceded by its request record as wget and Heritrix
write them. `bbn-archive import-warc` then imports it into a new archive, measured as a crawl is
(bench/crawl_bench.py's `measured`: wall and CPU seconds, peak RSS of the import's process;
the parse workers' own peak from the import's stats). The WARC is kept in bench/results/."""
from __future__ import annotations

import argparse
import io
import json
import sqlite3
import sys
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import big_site  # noqa: E402
from crawl_bench import measured  # noqa: E402

RESULTS = BENCH / "results"
BASE = "https://big.example/"


def write_warc(path: Path, size_mb: int, articles: int, log=print) -> dict:
    """Write the WARC (unless one of that size and site is there); its records and pages."""
    meta = path.with_suffix(".json")
    wanted = {"size_mb": size_mb, "articles": articles}
    if path.exists() and meta.exists() and json.loads(meta.read_text()).get("wanted") == wanted:
        return json.loads(meta.read_text())
    content = big_site.BigContent(articles)
    responses = big_site.render_all(content, BASE)
    article_paths = set(big_site.article_paths(content))
    limit, pages, copy = size_mb * 1024 * 1024, 0, 0
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        while out.tell() < limit:
            for page_path, response in responses.items():
                if copy and page_path not in article_paths:
                    continue
                url_path, body = page_path, response.body
                if copy:  # the same article under another address, which the page says too
                    url_path = page_path.rstrip("/") + f"-c{copy}/"
                    body = body.replace(page_path.encode(), url_path.encode())
                _write(writer, BASE.rstrip("/") + url_path, response, body)
                pages += 1
                if out.tell() >= limit:
                    break
            copy += 1
        size = out.tell()
    info = {"wanted": wanted, "bytes": size, "responses": pages, "copies": copy}
    meta.write_text(json.dumps(info))
    log(f"  wrote {path.name}: {size / 2**20:,.0f} MiB, {pages:,} responses")
    return info


def _write(writer: WARCWriter, url: str, response, body: bytes) -> None:
    request = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=StatusAndHeaders(
        "GET " + url.split("/", 3)[3].join(("/", "")) + " HTTP/1.1", [("Host", "big.example")],
        is_http_request=True))
    headers = [("Content-Type", response.content_type), ("Content-Length", str(len(body))), *response.headers.items()]
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                       http_headers=StatusAndHeaders(f"{response.status} OK", headers, protocol="HTTP/1.1"))
    writer.write_request_response_pair(request, record)


def run(size_mb: int = 1024, articles: int = 2000, log=print) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    warc = RESULTS / f"import-{size_mb}mb.warc.gz"
    info = write_warc(warc, size_mb, articles, log)
    db = RESULTS / "warc_import.db"
    for stale in RESULTS.glob("warc_import.db*"):
        stale.unlink()
    log(f"  import-warc of {info['bytes'] / 2**20:,.0f} MiB ...")
    run_ = measured([sys.executable, "-m", "bbn_scraper", "import-warc", str(warc), "--db", str(db)])
    if run_["returncode"] != 0:
        raise RuntimeError(f"import-warc failed: {run_['stderr']}")
    with sqlite3.connect(db) as conn:
        stats = json.loads(conn.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()[0])
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    parsed = stats.get("bbn/warc/pages", 0)
    result = {
        "warc_mb": info["bytes"] / 2**20, "responses": info["responses"], "pages": parsed, "articles": stored,
        "wall": run_["wall"], "cpu": run_["cpu"], "rate": parsed / run_["wall"],
        "rss_mb": run_["rss_mb"], "worker_rss_mb": stats.get("bbn/parse_peak_rss_mib", 0.0),
        "errors": stats.get("bbn/warc/unreadable", 0),
    }
    log(f"  {parsed:,} pages in {run_['wall']:.0f} s: {result['rate']:,.0f} pages/s, peak RSS {result['rss_mb']:.0f} MiB"
        f" (+ parse worker {result['worker_rss_mb']:.0f} MiB), {stored:,} articles")
    return result


def rows(r: dict) -> list[tuple[str, str, str, str]]:
    return [
        (f"8. import-warc of a {r['warc_mb']:,.0f} MiB WARC.gz ({r['responses']:,} responses)",
         f"{r['rate']:,.0f} pages/s ({r['wall']:,.0f} s, {r['cpu']:,.0f} s CPU), {r['articles']:,} articles", "", ""),
        ("   import-warc peak RSS (its process; largest parse worker)",
         f"{r['rss_mb']:.0f} MiB; {r['worker_rss_mb']:.0f} MiB", "flat: streamed", ""),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(run(args.size_mb, args.articles), indent=1))
