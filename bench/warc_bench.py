"""The raw store, measured both ways (issue 14 item 2) on one crawl of bench/big_site.py with
WARC recording on (`crawl --local --warc DIR`):

(a) today: the `pages` table keeps each body zlib-compressed; WARC files are written on demand
    (`export-warc`) or recorded beside it.
(b) the WARC files are the raw store: `pages` keeps file, offset, length and digest instead of
    the body (measured on a copy whose bodies are replaced by those four columns).

The crawl is timed without and with recording. Bytes per article on disk for each, and `reparse` without its store: every article page's body
from SQLite (zlib) against from its WARC record (seek, gunzip, undo Content-Encoding), pages/s,
read only and read + parse_article.

    python bench/warc_bench.py [--articles 1000]
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from warcio.archiveiterator import ArchiveIterator  # noqa: E402

ARTICLE_PAGES = "SELECT p.id, p.url FROM pages p JOIN articles a ON a.url = p.url ORDER BY p.id"


def _size(db: Path) -> int:
    conn = sqlite3.connect(db)
    conn.execute("VACUUM")
    conn.close()
    return db.stat().st_size


def _warc_index(folder: Path) -> dict[str, tuple[str, int, int, str]]:
    """url -> (file, offset, length, payload digest) of its last response record."""
    index = {}
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    digest = record.rec_headers.get_header("WARC-Payload-Digest")
                    record.content_stream().read()
                    index[url] = (path.name, records.get_record_offset(), records.get_record_length(), digest)
    return index


def _indexed_copy(db: Path, index: dict, to: Path) -> Path:
    """Store (b): the archive with each page's body replaced by its WARC record's place."""
    shutil.copy(db, to)
    conn = sqlite3.connect(to)
    for column in ("warc_file TEXT", "warc_offset INTEGER", "warc_length INTEGER", "warc_digest TEXT"):
        conn.execute(f"ALTER TABLE pages ADD COLUMN {column}")
    for page_id, url in conn.execute("SELECT id, url FROM pages").fetchall():
        conn.execute("UPDATE pages SET body = x'', warc_file = ?, warc_offset = ?, warc_length = ?, warc_digest = ?"
                     " WHERE id = ?", [*index.get(url, (None, None, None, None)), page_id])
    conn.commit()
    conn.close()
    return to


def _read_sqlite(db: Path, parse=None) -> tuple[int, float]:
    conn = sqlite3.connect(db)
    started = time.perf_counter()
    n = 0
    for page_id, url in conn.execute(ARTICLE_PAGES).fetchall():
        body = zlib.decompress(conn.execute("SELECT body FROM pages WHERE id = ?", [page_id]).fetchone()[0])
        n += (parse(body, url) if parse else body) is not None
    return n, time.perf_counter() - started


def _read_warc(db: Path, folder: Path, index: dict, parse=None) -> tuple[int, float]:
    conn = sqlite3.connect(db)
    started = time.perf_counter()
    n = 0
    for _, url in conn.execute(ARTICLE_PAGES).fetchall():
        name, offset, length, _ = index[url]
        with open(folder / name, "rb") as stream:
            stream.seek(offset)
            body = next(iter(ArchiveIterator(stream))).content_stream().read()
        n += (parse(body, url) if parse else body) is not None
    return n, time.perf_counter() - started


def run(articles: int = 1000, log=print) -> dict:
    import crawl_bench

    with tempfile.TemporaryDirectory(prefix="bbn-warc-bench-") as tmp:
        tmp = Path(tmp)
        db, warc = tmp / "archive.db", tmp / "warc"
        log(f"   crawling a {articles:,}-article site without, then with --warc ...")
        seconds = {}
        with crawl_bench.start_site(articles) as site:
            for name, target, extra in (("plain", tmp / "plain.db", []), ("warc", db, ["--warc", str(warc)])):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "app", "crawl", site.base_url, "--db", str(target), "--local",
                                *extra], cwd=ROOT, check=True, capture_output=True)
                seconds[name] = time.perf_counter() - started
        conn = sqlite3.connect(db)
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        page_count = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
        conn.close()
        today = _size(db)
        index = _warc_index(warc)
        warc_bytes = sum(p.stat().st_size for p in warc.glob("*.warc.gz"))
        indexed = _size(_indexed_copy(db, index, tmp / "indexed.db"))
        n_sql, t_sql = min((_read_sqlite(db) for _ in range(3)), key=lambda r: r[1])
        n_warc, t_warc = min((_read_warc(db, warc, index) for _ in range(3)), key=lambda r: r[1])
        from parsers import parse_article

        parse = lambda body, url: parse_article(body.decode("utf-8", "replace"), url)  # noqa: E731
        p_sql, tp_sql = _read_sqlite(db, parse)
        p_warc, tp_warc = _read_warc(db, warc, index, parse)
    return {
        "articles": stored, "pages": page_count,
        "crawl_seconds": seconds["plain"], "crawl_warc_seconds": seconds["warc"],
        "a_bytes_per_article": today / stored,
        "a_with_recording_bytes_per_article": (today + warc_bytes) / stored,
        "b_bytes_per_article": (indexed + warc_bytes) / stored,
        "warc_bytes_per_article": warc_bytes / stored,
        "read_sqlite_pages_per_s": n_sql / t_sql, "read_warc_pages_per_s": n_warc / t_warc,
        "reparse_sqlite_pages_per_s": p_sql / tp_sql, "reparse_warc_pages_per_s": p_warc / tp_warc,
    }


def rows(w: dict) -> list[tuple[str, str, str, str]]:
    n = w["articles"]
    return [
        (f"6. raw store, {n:,}-article crawl ({w['pages']:,} pages): bytes per article on disk",
         f"(a) pages table, chosen: {w['a_bytes_per_article']:,.0f}; (b) WARC as the store + index: "
         f"{w['b_bytes_per_article']:,.0f}; (a) + recording on: {w['a_with_recording_bytes_per_article']:,.0f}", "", ""),
        ("   reading every article page's body (reparse's read)",
         f"SQLite zlib {w['read_sqlite_pages_per_s']:,.0f} pages/s; WARC seek + gunzip {w['read_warc_pages_per_s']:,.0f} pages/s",
         "", ""),
        ("   the crawl (`crawl --local`) without and with `--warc`",
         f"{w['crawl_seconds']:.1f} s and {w['crawl_warc_seconds']:.1f} s", "", ""),
        ("   read + parse_article, one process (reparse without its store)",
         f"SQLite {w['reparse_sqlite_pages_per_s']:,.0f} pages/s; WARC {w['reparse_warc_pages_per_s']:,.0f} pages/s", "", ""),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    result = run(parser.parse_args().articles)
    for row in rows(result):
        print(" | ".join(row[:2]))
    print(result)
