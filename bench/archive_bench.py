"""Archive benchmarks: store rate, full-text query latency, bytes per article, and re-parsing
every stored page, on archives synthesised from the parser fixtures.

    python bench/archive_bench.py [--articles 100000] [--store-articles 5000] [--rounds 3]
                                  [--reparse-pages 0] [--rebuild]

Synthesis: each fixture article page is parsed once; article k is fixture k mod 20 with ~6% of
its body words, two headline words and one word of every FAQ answer replaced from the corpus
vocabulary (seeded by k), its own canonical URL and dates. Every article is stored with
`Archive.store_article` (FAQs, links, authors, tags, URLs, FTS triggers) and its raw page with
`Archive.record_page` (the fixture's bytes with the canonical URL replaced, zlib-compressed by
the archive) - what a crawl stores per article.

The big archive is built once per size and kept in bench/results/archive-<N>.db (gitignored),
in batches of 1,000 articles per outer transaction (`Archive.transaction()` nests: each
store_article inside becomes a savepoint). The store rate is measured on a fresh archive of
--store-articles articles, both ways: one transaction per call (what the crawl pipeline does)
and batched.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import Archive  # noqa: E402
from archive.model import Article, Faq, Link  # noqa: E402
from bbn_scraper.parsers import PARSER_VERSION, parse_article  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
RESULTS = ROOT / "bench" / "results"
SYNTH_VERSION = 2  # bump when the synthesis changes: cached archives are rebuilt
BATCH = 1000
FETCHED = datetime(2024, 7, 1, tzinfo=timezone.utc)
_WORD = re.compile(r"[A-Za-z]{4,}")
_CANDIDATE = re.compile(r"\b[a-z]{7,}\b")  # whole lower-case ASCII words: no headings' "about", no "Pádraig"

FTS_SQL = (
    "SELECT a.id, a.canonical_url, a.headline, a.published, snippet(articles_fts, 2, '[', ']', '…', 12) "
    "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
    "WHERE articles_fts MATCH ? ORDER BY rank LIMIT 20"
)


# ----------------------------------------------------------------------------- synthesis

class Synth:
    """Distinct articles, each with the raw page it is parsed from, made from the fixture pages.

    Article k starts from fixture page k mod 20 and swaps 12 of that page's story words (lower-case
    words of 7 letters or more that occur in no tag or attribute of the page) for words of the corpus vocabulary, chosen
    by k, in the page's HTML and in the parsed article alike, and gets its own canonical URL:
    parsing the synthesised page gives the synthesised article again (see `check`), so that a
    reparse of the archive finds articles unchanged, as it does after a crawl."""

    SWAPS = 12

    def __init__(self) -> None:
        self.sources: list[tuple[Article, str, list[str]]] = []
        for case in sorted(FIXTURES.iterdir()):
            page = case / "input.html"
            if not page.is_file():
                continue
            expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
            html = page.read_bytes().decode("utf-8")
            article = parse_article(html, expected["url"])
            if article is None or not article.body:
                continue
            markup = set(_WORD.findall(" ".join(re.findall(r"<[^>]*>", html))))
            markup |= set(_WORD.findall(article.canonical_url + " " + expected["url"]))
            words = sorted(set(_CANDIDATE.findall(article.body)) - markup)
            self.sources.append((article, html, words))
        everything = " ".join(a.body for a, _, _ in self.sources)
        taken = set().union(*(set(_WORD.findall(h)) for _, h, _ in self.sources))
        # Replacement words: lower-case corpus words, made distinct from every word of the pages.
        self.vocab = sorted({w.lower() + "x" for w in _WORD.findall(everything)} - taken)

    @staticmethod
    def fetched_at(k: int) -> datetime:
        """When page k was "fetched": one second apart, so that `reparse --since` can pick the newest."""
        return FETCHED + timedelta(seconds=k)

    def article(self, k: int) -> tuple[Article, bytes]:
        base, html, words = self.sources[k % len(self.sources)]
        rng = random.Random(k)
        swaps = {w: rng.choice(self.vocab) for w in rng.sample(words, min(self.SWAPS, len(words)))}
        url = f"https://bench.example/{k // 1000:03d}/story-{k}/"
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, swaps)) + r")\b")

        def text(value):
            if value is None:
                return None
            value = value.replace(base.canonical_url, url)
            return pattern.sub(lambda m: swaps[m.group(1)], value) if swaps else value

        article = replace(
            base, url=url, canonical_url=url, headline=text(base.headline), byline=text(base.byline),
            authors=[text(a) for a in base.authors], section=text(base.section), tags=[text(t) for t in base.tags],
            topic=text(base.topic), summary=text(base.summary), body=text(base.body), body_html=text(base.body_html),
            faqs=[Faq(text(f.question), text(f.answer)) for f in base.faqs],
            related_links=[Link(text(x.text), text(x.url)) for x in base.related_links],
            related_articles=[Link(text(x.text), text(x.url)) for x in base.related_articles],
            warnings=list(base.warnings),
        )
        return article, text(html).encode("utf-8")

    def check(self, ks) -> int:
        """How many of the articles `ks` parse back from their pages with the same content hash."""
        from archive.model import content_hash

        same = 0
        for k in ks:
            article, raw = self.article(k)
            again = parse_article(raw, article.url)
            same += again is not None and content_hash(again) == content_hash(article)
        return same


def synthesise(synth: Synth, start: int, count: int) -> list[tuple[Article, bytes, datetime]]:
    return [(*synth.article(k), synth.fetched_at(k)) for k in range(start, start + count)]


def store(archive: Archive, crawl_id: int, items: list, batch: int | None) -> float:
    """Store synthesised (article, raw page, fetched_at) items as the crawl's store (archive.crawl_store) does
    (record_page, then store_article); `batch` items per outer transaction, or one transaction
    per call when None. Returns the seconds it took."""
    started = time.perf_counter()
    step = batch or 1
    for i in range(0, len(items), step):
        if batch:
            with archive.transaction():
                for item in items[i:i + step]:
                    _store_one(archive, crawl_id, *item)
        else:
            _store_one(archive, crawl_id, *items[i])
    return time.perf_counter() - started


def _store_one(archive: Archive, crawl_id: int, article: Article, raw: bytes, fetched_at: datetime) -> None:
    archive.record_page(crawl_id, article.url, 200, "text/html; charset=UTF-8", raw, fetched_at)
    archive.store_article(article, crawl_id=crawl_id, fetched_url=article.url,
                          parser_version=PARSER_VERSION, fetched_at=fetched_at)


# ----------------------------------------------------------------------------- measures

def store_rate(items: list, batch: int | None) -> dict:
    """Articles (with their raw pages) stored per second into a fresh file archive."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
        with Archive(Path(tmp) / "store.db", create=True) as archive:
            crawl_id = archive.start_crawl(["https://bench.example/"], {})
            seconds = store(archive, crawl_id, items, batch)
    return {"articles": len(items), "seconds": seconds, "rate": len(items) / seconds, "batch": batch}


def build_archive(articles: int, rebuild: bool = False, log=print) -> tuple[Path, dict]:
    """The cached archive of `articles` synthesised articles, built when missing; its meta
    records the build's store rate (batches of BATCH, synthesis not counted)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"archive-{articles}.db"
    meta_path = RESULTS / f"archive-{articles}.json"
    if not rebuild and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("synth_version") == SYNTH_VERSION and meta.get("complete"):
            meta["cached"] = True
            return path, meta
    for stale in list(RESULTS.glob(f"archive-{articles}.db*")) + [meta_path]:
        stale.unlink(missing_ok=True)
    synth = Synth()
    log(f"  building a {articles:,}-article archive in {path.relative_to(ROOT)} (kept for later runs) ...")
    started = time.perf_counter()
    storing = 0.0
    with Archive(path, create=True) as archive:
        crawl_id = archive.start_crawl(["https://bench.example/"], {"synthesised": True})
        for start in range(0, articles, BATCH):
            items = synthesise(synth, start, min(BATCH, articles - start))
            storing += store(archive, crawl_id, items, BATCH)
            done = start + len(items)
            if done % 10_000 == 0 or done == articles:
                log(f"    {done:,} articles, {done / storing:,.0f}/s storing, {time.perf_counter() - started:,.0f} s")
        archive.finish_crawl(crawl_id, "finished", {})
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    meta = {"articles": articles, "seconds": time.perf_counter() - started, "store_seconds": storing,
            "rate": articles / storing, "batch": BATCH, "synth_version": SYNTH_VERSION,
            "built": datetime.now(timezone.utc).isoformat(timespec="seconds"), "complete": True}
    meta_path.write_text(json.dumps(meta, indent=1))
    meta["cached"] = False
    return path, meta


def queries(synth: Synth) -> list[str]:
    """20 full-text queries with the spread a researcher types, chosen from the corpus so that
    each matches: 5 words found in most stories (tens of thousands of matches at 100,000
    articles), 5 words of one story (~5% of the archive), 3 phrases, 3 prefixes, and 4 pairs of
    swapped-in words (a handful of matches each)."""
    docs = [set(_CANDIDATE.findall(a.body)) for a, _, _ in synth.sources]
    df: dict[str, int] = {}
    for words in docs:
        for w in words:
            df[w] = df.get(w, 0) + 1
    by_df = sorted(df, key=lambda w: (-df[w], w))
    common = by_df[:5]
    single = [w for w in sorted(df) if df[w] == 1][::7][:5]
    phrases = []
    for a, _, _ in synth.sources[:3]:
        words = re.findall(r"\b[a-z]{5,}\s+[a-z]{5,}\b", a.body)
        phrases.append(f'"{words[len(words) // 2]}"')
    prefixes = [w[:5] + "*" for w in by_df[5:8]]
    rng = random.Random(6)
    pairs = [f"{rng.choice(synth.vocab)} {rng.choice(synth.vocab)}" for _ in range(4)]
    return common + single + phrases + prefixes + pairs


def fts_latency(path: Path, synth: Synth, repeats: int = 5) -> dict:
    """Median and p95 over the 20 `queries` of each query's median time (ms), warm cache:
    the researchers' query, ranked by bm25 and joined to articles, 20 rows with a snippet."""
    conn = sqlite3.connect(path)
    try:
        per_query, hits = [], {}
        chosen = queries(synth)
        for q in chosen:
            conn.execute(FTS_SQL, [q]).fetchall()  # warm-up
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                rows = conn.execute(FTS_SQL, [q]).fetchall()
                times.append((time.perf_counter() - t) * 1000)
            per_query.append(statistics.median(times))
            hits[q] = conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [q]).fetchone()[0]
            del rows
    finally:
        conn.close()
    ordered = sorted(per_query)
    p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest-rank
    slowest = max(zip(per_query, chosen))
    return {"median_ms": statistics.median(per_query), "p95_ms": p95, "max_ms": slowest[0],
            "slowest_query": slowest[1], "per_query_ms": dict(zip(chosen, per_query)), "matches": hits}


def search_latency(path: Path, synth: Synth, repeats: int = 3) -> dict | None:
    """The same statistics for the read API, `Archive.search(q, limit=20)` (article text and
    FAQ pairs, best hit per article, with a snippet), when the archive has one."""
    with Archive(path) as archive:
        if not hasattr(archive, "search"):
            return None
        per_query = []
        chosen = queries(synth)
        for q in chosen:
            archive.search(q, limit=20)
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                archive.search(q, limit=20)
                times.append((time.perf_counter() - t) * 1000)
            per_query.append(statistics.median(times))
    ordered = sorted(per_query)
    slowest = max(zip(per_query, chosen))
    return {"median_ms": statistics.median(per_query), "p95_ms": ordered[max(0, -(-95 * len(ordered) // 100) - 1)],
            "max_ms": slowest[0], "slowest_query": slowest[1], "per_query_ms": dict(zip(chosen, per_query))}


def disk_usage(path: Path) -> dict:
    """Bytes per article on disk, and how they split between raw pages, FTS and the rest."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        raw, stored = conn.execute("SELECT sum(size), sum(length(body)) FROM pages").fetchone()
        by_table: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            by_table[name] = size
    finally:
        conn.close()
    total = path.stat().st_size
    groups = {"pages": 0, "fts": 0, "articles": 0, "other": 0}
    for name, size in by_table.items():
        if name.startswith("pages") or name.startswith("idx_pages") or name.startswith("sqlite_autoindex_pages"):
            groups["pages"] += size
        elif "_fts" in name:
            groups["fts"] += size
        elif name == "articles" or name.startswith("sqlite_autoindex_articles") or name.startswith("idx_articles"):
            groups["articles"] += size
        else:
            groups["other"] += size
    return {"articles": articles, "file_bytes": total, "bytes_per_article": total / articles,
            "per_article": {k: v / articles for k, v in groups.items()},
            "raw_page_bytes": raw / articles, "compressed_page_bytes": stored / articles,
            "tables": by_table}


def reparse_direct(path: Path, pages: int = 0) -> dict:
    """The parser's share of a reparse: parse_article over the archive's newest `pages` stored
    pages (0: all), decompress + decode + parse, pages/s in this one process."""
    try:
        from bbn_scraper.parsers.document import page_text
    except ImportError:  # before the shared page decoder existed
        def page_text(body, content_type):
            return body
    conn = sqlite3.connect(path)
    sql = "SELECT id, url, content_type, compression, body FROM pages ORDER BY id DESC"
    done = articles = 0
    decompress = parse = 0.0
    started = time.perf_counter()
    try:
        for _id, url, content_type, compression, body in conn.execute(sql + (f" LIMIT {int(pages)}" if pages else "")):
            t0 = time.perf_counter()
            html = page_text(zlib.decompress(body) if compression == "zlib" else body, content_type)
            t1 = time.perf_counter()
            article = parse_article(html, url)
            parse += time.perf_counter() - t1
            decompress += t1 - t0
            done += 1
            articles += article is not None
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    return {"pages": done, "articles": articles, "seconds": seconds, "rate": done / seconds,
            "decompress_share": decompress / seconds, "parse_share": parse / seconds}


def reparse_cli_available() -> bool:
    result = subprocess.run([sys.executable, "-m", "bbn_scraper", "reparse", "--help"], cwd=ROOT,
                            capture_output=True, text=True)
    return result.returncode == 0 and "--since" in result.stdout


def reparse_cli(path: Path, articles: int, pages: int = 0) -> dict:
    """`bbn-archive reparse --db COPY [--since T]` on a copy of the archive (reparse writes):
    every page, or the newest `pages` (pages are fetched one second apart: --since picks them)."""
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
        copy = Path(tmp) / "reparse.db"
        shutil.copyfile(path, copy)
        cmd = [sys.executable, "-m", "bbn_scraper", "reparse", "--db", str(copy)]
        if pages and pages < articles:
            cmd += ["--since", Synth.fetched_at(articles - pages).isoformat()]
        started = time.perf_counter()
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    output = (result.stdout + result.stderr).strip()
    counts = {name: int(m.group(1)) for name in ("parsed", "changed", "unchanged", "failed")
              if (m := re.search(rf"(\d+) (?:pages |articles )?{name}", output))}
    parsed = counts.get("parsed", 0)
    return {"pages": parsed, "seconds": seconds, "rate": parsed / seconds if parsed else 0.0,
            "returncode": result.returncode, "counts": counts, "output": output[-1000:],
            "command": " ".join(["bbn-archive"] + cmd[3:]).replace(str(copy), "COPY")}


def run(articles: int, store_articles: int, rounds: int, reparse_pages: int, rebuild: bool = False,
        log=print) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    synth = Synth()
    items = synthesise(synth, 0, store_articles)
    single, batched = [], []
    for r in range(rounds):  # interleaved, so both see the same machine
        for batch in ((None, BATCH) if r % 2 == 0 else (BATCH, None)):
            (batched if batch else single).append(store_rate(items, batch)["rate"])
    log(f"  store_article: {statistics.median(single):,.0f}/s one transaction each, "
        f"{statistics.median(batched):,.0f}/s in batches of {BATCH}")
    del items
    path, meta = build_archive(articles, rebuild, log)
    result = {
        "store": {"articles": store_articles, "rounds": rounds, "roundtrip": synth.check(range(0, 2000, 10)) / 200,
                  "per_call_rate": statistics.median(single), "batched_rate": statistics.median(batched),
                  "per_call_rates": single, "batched_rates": batched},
        "build": meta,
        "fts": fts_latency(path, synth),
        "search": search_latency(path, synth),
        "disk": disk_usage(path),
        "archive_path": str(path.relative_to(ROOT)),
    }
    log(f"  FTS: median {result['fts']['median_ms']:.1f} ms, p95 {result['fts']['p95_ms']:.1f} ms; "
        f"{result['disk']['bytes_per_article']:,.0f} bytes/article")
    result["reparse"] = reparse_direct(path, reparse_pages)
    log(f"  parse_article over {result['reparse']['pages']:,} stored pages: {result['reparse']['rate']:,.0f} pages/s")
    if reparse_cli_available():
        result["reparse_cli"] = reparse_cli(path, articles, reparse_pages)
        log(f"  {result['reparse_cli']['command']}: {result['reparse_cli']['pages']:,} pages in "
            f"{result['reparse_cli']['seconds']:.1f} s ({result['reparse_cli']['counts']})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="size of the query/disk/reparse archive")
    parser.add_argument("--store-articles", type=int, default=5000, help="articles per store-rate round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reparse-pages", type=int, default=0, help="re-parse the newest N pages only (0: all)")
    parser.add_argument("--rebuild", action="store_true", help="build the archive again even when cached")
    args = parser.parse_args()
    result = run(args.articles, args.store_articles, args.rounds, args.reparse_pages, args.rebuild)
    print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
