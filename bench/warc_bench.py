"""The raw store, measured both ways (issue 14 item 2) on crawls of bench/big_site.py
(`crawl --local`), one without and one with `--warc DIR`:

(a) pages-only: the `pages` table keeps each body zlib-compressed (recording off).
(b) WARC-indexed: with recording on the WARC files are the raw store and `pages` keeps file,
    offset, length and digest of each response record (archive.warc_store, m006_warc).

Bytes per article on disk for each (after VACUUM), what (a) cost with recording on before
m006 (its table plus the WARC files), the crawl's time, and the two reads of `reparse`:
every article page's body through `Archive.page_body`, and `bbn-archive reparse` itself.

    python bench/warc_bench.py [--articles 1000]
"""
from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

ARTICLE_PAGES = "SELECT p.id FROM pages p JOIN articles a ON a.url = p.url ORDER BY p.id"


def _size(db: Path) -> int:
    conn = sqlite3.connect(db)
    conn.execute("VACUUM")
    conn.close()
    return db.stat().st_size


def _read(db: Path) -> float:
    """Article page bodies read per second through Archive.page_body."""
    from archive import Archive

    with Archive(db) as archive:
        ids = [row[0] for row in archive.db.execute(ARTICLE_PAGES)]
        started = time.perf_counter()
        for page_id in ids:
            archive.page_body(page_id)
        return len(ids) / (time.perf_counter() - started)


def _reparse(db: Path) -> float:
    """`bbn-archive reparse` pages per second, by the seconds its crawl row records."""
    subprocess.run([sys.executable, "-m", "bbn_scraper", "reparse", "--db", str(db)], cwd=ROOT, check=True, capture_output=True)
    conn = sqlite3.connect(db)
    parsed, seconds = conn.execute("SELECT json_extract(stats, '$.parsed'), json_extract(stats, '$.seconds')"
                                   " FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    return parsed / seconds


def run(articles: int = 1000, log=print) -> dict:
    import crawl_bench

    with tempfile.TemporaryDirectory(prefix="bbn-warc-bench-") as tmp:
        tmp = Path(tmp)
        plain, db, warc = tmp / "plain.db", tmp / "archive.db", tmp / "warc"
        log(f"   crawling a {articles:,}-article site without, then with --warc ...")
        seconds = {}
        with crawl_bench.start_site(articles) as site:
            for name, target, extra in (("plain", plain, []), ("warc", db, ["--warc", str(warc)])):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "bbn_scraper", "crawl", site.base_url, "--db", str(target), "--local",
                                *extra], cwd=ROOT, check=True, capture_output=True)
                seconds[name] = time.perf_counter() - started
        conn = sqlite3.connect(db)
        stored, page_count, indexed = conn.execute(
            "SELECT (SELECT count(*) FROM articles), count(*), sum(compression = 'warc') FROM pages").fetchone()
        conn.close()
        warc_bytes = sum(p.stat().st_size for p in warc.glob("*.warc.gz"))
        a_bytes, b_db = _size(plain), _size(db)
        reads = {name: max(_read(path) for _ in range(3)) for name, path in (("a", plain), ("b", db))}
        reparses = {name: _reparse(path) for name, path in (("a", plain), ("b", db))}
    return {
        "articles": stored, "pages": page_count, "indexed_pages": indexed,
        "crawl_seconds": seconds["plain"], "crawl_warc_seconds": seconds["warc"],
        "a_bytes_per_article": a_bytes / stored,
        "a_with_recording_bytes_per_article": (a_bytes + warc_bytes) / stored,
        "b_bytes_per_article": (b_db + warc_bytes) / stored,
        "b_archive_bytes_per_article": b_db / stored, "warc_bytes_per_article": warc_bytes / stored,
        "read_sqlite_pages_per_s": reads["a"], "read_warc_pages_per_s": reads["b"],
        "reparse_sqlite_pages_per_s": reparses["a"], "reparse_warc_pages_per_s": reparses["b"],
    }


def rows(w: dict) -> list[tuple[str, str, str, str]]:
    n = w["articles"]
    return [
        (f"6. raw store, {n:,}-article crawl ({w['pages']:,} pages): bytes per article on disk",
         f"(a) pages-only: {w['a_bytes_per_article']:,.0f}; (b) WARC-indexed, recording on (chosen): "
         f"{w['b_bytes_per_article']:,.0f} (archive {w['b_archive_bytes_per_article']:,.0f} + WARC "
         f"{w['warc_bytes_per_article']:,.0f}); (a) + WARC beside it, before m006: "
         f"{w['a_with_recording_bytes_per_article']:,.0f}", "", ""),
        ("   reading every article page's body (Archive.page_body)",
         f"(a) SQLite zlib {w['read_sqlite_pages_per_s']:,.0f} pages/s; (b) WARC record {w['read_warc_pages_per_s']:,.0f} pages/s",
         "", ""),
        ("   `bbn-archive reparse`", f"(a) {w['reparse_sqlite_pages_per_s']:,.0f} pages/s; "
         f"(b) {w['reparse_warc_pages_per_s']:,.0f} pages/s", "", ""),
        ("   the crawl (`crawl --local`) without and with `--warc`",
         f"{w['crawl_seconds']:.1f} s and {w['crawl_warc_seconds']:.1f} s", "", ""),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    result = run(parser.parse_args().articles)
    for row in rows(result):
        print(" | ".join(row[:2]))
    print(result)
