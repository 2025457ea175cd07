"""Distributed crawl benchmark (issue 15): bench/big_site.py crawled by 1, 2 and 4 workers
(`bbn-archive worker`) sharing a redis-server on 127.0.0.1, one writer (`bbn-archive ingest`).

For each worker count, on a fresh Redis and archive: the writer opens the round and is paused
(SIGSTOP) while the workers crawl, so that pages/s is the workers' alone; then it is resumed and
its items/s timed until the round is stored. Redis memory is sampled during the crawl: bytes per
1,000 URLs in the dupefilter and per 1,000 requests queued (`MEMORY USAGE`, at the largest queue).

    python bench/distributed_bench.py [--articles 5000] [--workers 1,2,4]
"""
from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crawl_bench import start_site  # noqa: E402

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bbn(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bbn_scraper", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, **kw)


def one_run(base_url: str, workers: int, log=print) -> dict:
    import redis

    from bbn_scraper.crawler.distributed import CRAWL_ID, DUPEFILTER, ITEMS, REQUESTS

    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        server = subprocess.Popen([REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                   "--appendonly", "yes", "--dir", tmp], stdout=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis(port=port)
        try:
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            db = Path(tmp) / "news.db"
            writer = _bbn("ingest", "--redis", url, "--db", str(db), "--once")
            subprocess.run([sys.executable, "-m", "bbn_scraper", "enqueue", "--redis", url, base_url], cwd=ROOT,
                           check=True, capture_output=True)
            while not client.exists(CRAWL_ID):
                time.sleep(0.05)
            writer.send_signal(signal.SIGSTOP)
            started = time.perf_counter()
            crew = [_bbn("worker", "--redis", url, "--local", "--wait", "60") for _ in range(workers)]
            frontier = (0, 0)  # (requests queued, bytes) at the largest queue seen
            while any(w.poll() is None for w in crew):
                queued = client.zcard(REQUESTS)
                if queued > frontier[0]:
                    frontier = (queued, client.memory_usage(REQUESTS) or 0)
                time.sleep(0.5)
            crawl_seconds = time.perf_counter() - started
            fingerprints = client.scard(DUPEFILTER)
            fingerprint_bytes = client.memory_usage(DUPEFILTER) or 0
            items = client.llen(ITEMS)
            resumed = time.perf_counter()
            writer.send_signal(signal.SIGCONT)
            writer.wait(3600)
            write_seconds = time.perf_counter() - resumed
            with sqlite3.connect(db) as conn:
                pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
                articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            server.terminate()
            server.wait(10)
    result = {
        "workers": workers, "pages": pages, "articles": articles, "crawl_seconds": round(crawl_seconds, 1),
        "pages_per_s": round(pages / crawl_seconds, 1), "writer_items": items,
        "writer_items_per_s": round(items / write_seconds, 1),
        "fingerprint_bytes_per_1000": round(fingerprint_bytes / max(fingerprints, 1) * 1000),
        "queued_request_bytes_per_1000": round(frontier[1] / max(frontier[0], 1) * 1000) if frontier[0] else None,
        "largest_queue": frontier[0],
    }
    log(f"  {workers} workers: {result['pages_per_s']} pages/s, writer {result['writer_items_per_s']} items/s")
    return result


def run(articles: int, workers: tuple[int, ...] = (1, 2, 4), log=print) -> dict:
    with start_site(articles) as site:
        return {"articles": articles, "runs": [one_run(site.base_url, n, log) for n in workers]}


def rows(result: dict) -> list[tuple[str, str, str, str]]:
    out = []
    for r in result["runs"]:
        out.append((f"7. distributed crawl, {r['workers']} workers, {result['articles']:,}-article site",
                    f"{r['pages_per_s']} pages/s ({r['pages']:,} pages); writer {r['writer_items_per_s']} items/s", "—", "—"))
    last = result["runs"][-1]
    out.append(("   Redis memory per 1,000 URLs", f"{last['fingerprint_bytes_per_1000'] / 1024:.0f} KiB fingerprints,"
                f" {(last['queued_request_bytes_per_1000'] or 0) / 1024:.0f} KiB queued requests", "—", "—"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    print(json.dumps(run(args.articles, tuple(int(n) for n in args.workers.split(","))), indent=1))


if __name__ == "__main__":
    main()
