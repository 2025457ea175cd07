"""Issue 26, items 2 and 3: parsing on every core and a writer that keeps up, each figure beside
today's code measured in the same run (`--baseline DIR`: a checkout of the code to compare with,
with its own .venv, e.g. /work/main; without it only this code is measured).

    python bench/writer_bench.py [--baseline ../main] [--rounds 2] [--store-articles 1000] [--instructions N]
                                 [--warc-mb 1024] [--crawl-articles 5000] [--skip store,import,crawl]

- store: articles/s stored into a new empty archive and into section 10's big archive
  (bench/results/million-1000000.db, as far as it is built; the articles are deleted afterwards)
  of million_bench.py's synthetic articles with their raw pages. Two ways: "one by one" is
  today's crawl path (record_page + store_article, one transaction each, the MinHash signature
  computed by the store); "writer" is the crawl's writer now (`CrawlStore.store` of a FetchedPage
  (with its body packed as stored, `archive.items.pack_body`, where the code's workers do that)
  and a FetchedArticle carrying the signature a parse worker computed, 500 items per
  transaction, as `ArchiveWriter` batches them, with its page cache and, where the code has it,
  its search indexing deferred to each batch's commit). The signatures and packed bodies are
  made before the clock starts (in a crawl they are the workers'), and so are the LSH band
  parameters (once a process, ~0.1 s: 0.1 ms per article of a 1,000-article round). The
  baseline's ways run its own code in a subprocess. Rounds interleave the ways. Besides the
  wall-clock rate, the storing process's CPU ms per article (time.process_time): on a shared
  machine the steadier figure.
- import: `bbn-archive import-warc` of warc_import_bench.py's generated WARC (`--warc-mb`),
  pages/s and CPU ms per page (the import's process and its parse workers, from wait4), with
  this code's default workers (one per CPU) and with the baseline's default.
- crawl: the 5,000-article generated site crawled by `bbn-archive crawl --local` and by the bare
  Scrapy spider (crawl_bench.py), rounds interleaved, this code and the baseline's.
- `--instructions N` (not in `make bench`; needs valgrind): the writer's way into an empty archive
  counted in instructions instead of seconds, for this code and the baseline's writer: N articles
  stored under valgrind's cachegrind, less the same process run up to the store and not storing,
  divided by N. The same code gives the same count to ~0.1% (string hashing fixed, numpy's BLAS
  on the calling thread), where its wall-clock rate varies by a third on this machine
  (bench/README.md, section 12, session 16): the measure to compare a change of the store's
  code by.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
BIG = RESULTS / "million-1000000.db"
PER_TRANSACTION = 500  # items per writer transaction


# ----------------------------------------------------------------------------- store rate

def _store_child(code: Path, way: str, target: str, count: int, first: int, dry: bool = False) -> dict:
    """In this process, with the archive code of `code`: store `count` synthetic articles one
    `way` into `target` ("empty": a new archive); their rate. `dry` (the writer's way): all but
    the store itself, for `store_instructions` to subtract."""
    sys.path.insert(0, str(code))
    sys.path.insert(1, str(code / "bench"))  # million_bench puts its own checkout first on sys.path:
    import million_bench as mb  # `code`'s, or the baseline's rounds would run this checkout's archive
    from archive import Archive

    synth = mb.Synth()
    new = synth.batch(first, count)
    pages = [synth.page(a) for a in new]
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
        path = Path(tmp) / "empty.db" if target == "empty" else Path(target)
        with Archive(path, create=True) as archive:
            before = archive.db.execute("SELECT count(*) FROM articles").fetchone()[0]
            crawl_id = archive.start_crawl(["https://news0.example/"], {"bench": "writer"})
            if way == "one":
                try:  # once a process, not per article: datasketch's import (scipy, ~0.6 s) and its permutations
                    from archive.stories import StorySettings, signature
                    signature("words to draw the permutations with", StorySettings())
                except ImportError:  # code whose archive imported datasketch with itself
                    import datasketch  # noqa: F401
                started, cpu = time.perf_counter(), time.process_time()
                for a, page in zip(new, pages):
                    archive.record_page(crawl_id, a.url, 200, "text/html; charset=UTF-8", page, mb.FETCHED)
                    archive.store_article(a, crawl_id=crawl_id, fetched_url=a.url, parser_version="synth",
                                          fetched_at=mb.FETCHED)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            else:
                from archive.crawl_store import CrawlStore
                from archive.items import FetchedArticle, FetchedPage
                from archive.stories import body_signature
                try:  # the workers pack the page's body as stored, where the code's workers do
                    from archive.items import pack_body
                except ImportError:
                    pack_body = None

                items = []
                for a, page in zip(new, pages):  # what the parse workers send
                    packed = {"packed": pack_body(page)} if pack_body else {}
                    items += [FetchedPage(a.url, 200, "text/html; charset=UTF-8", page, mb.FETCHED, **packed),
                              FetchedArticle(a, a.url, mb.FETCHED, body_signature(a.body))]
                from bbn_scraper.crawler.writer import CACHE_MIB

                archive.use_cache(CACHE_MIB)  # as ArchiveWriter.start does
                from archive.stories import _bands

                settings = archive.stories.settings  # the LSH bands: computed once a process (~0.1 s), not per article
                _bands(settings.threshold, settings.num_perm)
                store = CrawlStore(archive, parser_version="synth")
                store.crawl_id = crawl_id
                # the writer's batches defer their search indexing, where the code does that
                batch = ({"search_later": True} if "search_later" in inspect.signature(archive.transaction).parameters
                         else {})
                if dry:
                    return {"way": way, "articles": 0, "dry": True}
                started, cpu = time.perf_counter(), time.process_time()
                for i in range(0, len(items), PER_TRANSACTION):
                    with archive.transaction(**batch):
                        for item in items[i:i + PER_TRANSACTION]:
                            store.store(item)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                assert store.counts["bbn/article_new"] == count, store.counts
            stored = archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] - before
            if target != "empty":  # the big archive stays as built
                with archive.transaction():
                    archive.db.conn.executemany(
                        "DELETE FROM articles WHERE id = ?",
                        archive.db.execute("SELECT article_id FROM article_sightings WHERE crawl_id = ?",
                                           [crawl_id]).fetchall())
                    for table in ("pages", "article_sightings", "errors", "validators"):
                        archive.db.execute(f"DELETE FROM {table} WHERE crawl_id = ?", [crawl_id])
                    archive.db.execute("DELETE FROM crawls WHERE id = ?", [crawl_id])
                archive.truncate_wal()
            size = before
    return {"way": way, "articles": stored, "seconds": seconds, "rate": stored / seconds, "archive_articles": size,
            "cpu_ms": 1000 * cpu / stored}


def _store(python: str, code: Path, way: str, target: str, count: int, first: int) -> dict:
    out = subprocess.run([python, str(BENCH / "writer_bench.py"), "--store-child", way, target, str(count), str(first),
                          "--code", str(code)], capture_output=True, text=True, cwd=code)
    if out.returncode != 0:
        raise RuntimeError(f"store round failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _has_writer_way(baseline: Path) -> bool:
    """Whether the baseline's code has the writer's way: the workers' signatures (code before
    issue 26 had none)."""
    return "def body_signature" in (baseline / "archive/stories.py").read_text()


def store_rates(count: int, rounds: int, baseline: Path | None, big: Path | None = BIG, log=print,
                baseline_big: Path | None = None, ways: set = frozenset()) -> dict:
    """`baseline_big`: the baseline's copy of `big` (a copy made before this code's migrations
    touched it: an archive migrated by newer code is refused by older code); `big` itself if None.
    `ways`: only these ("writer", "one"; all if empty)."""
    targets = ["empty"] + ([str(big)] if big and big.exists() else [])
    contenders = [("writer", sys.executable, ROOT, "writer"), ("one by one", sys.executable, ROOT, "one")]
    if baseline:
        if _has_writer_way(baseline):
            contenders.append(("baseline writer", str(baseline / ".venv/bin/python"), baseline, "writer"))
        contenders.append(("baseline one by one", str(baseline / ".venv/bin/python"), baseline, "one"))
    if ways:
        contenders = [c for c in contenders if c[3] in ways]
    result: dict = {}
    for target in targets:
        for r in range(rounds):
            for name, python, code, way in (contenders if r % 2 == 0 else contenders[::-1]):
                if target != "empty" and code != ROOT and not baseline_big:
                    continue  # older code refuses the big archive this code migrated: its own copy or nothing
                into = str(baseline_big) if target != "empty" and code != ROOT else target
                m = _store(python, code, way, into, count, 3_000_000 + 10_000 * r)
                result.setdefault(target, {}).setdefault(name, []).append(m)
                where = "an empty archive" if target == "empty" else f"{m['archive_articles']:,} articles"
                m["load"] = os.getloadavg()[0]
                log(f"  store {name} into {where}: {m['rate']:,.0f} articles/s, {m['cpu_ms']:.2f} ms CPU per article"
                    f" (load {m['load']:.1f})")
    return result


def _instructions(python: str, code: Path, count: int, dry: bool) -> int:
    """Instructions (cachegrind's I refs) of a writer's-way store child of `count` articles."""
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", python,
               str(BENCH / "writer_bench.py"), "--store-child", "writer", "empty", str(count), "3000000",
               "--code", str(code)] + (["--dry"] if dry else [])
    # Fixed string hashing, and numpy's BLAS on the calling thread: its idle worker threads spin
    # for a while, and the count varied by up to 10% from run to run.
    deterministic = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(command, capture_output=True, text=True, cwd=code, env={**os.environ, **deterministic})
    refs = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if out.returncode != 0 or refs is None:
        raise RuntimeError(f"store child under valgrind failed: {out.stderr[-3000:]}")
    return int(refs[1].replace(",", ""))


def store_instructions(count: int, baseline: Path | None, log=print) -> dict:
    """Instructions per article of the writer's way into an empty archive, this code's and the
    baseline's (where it has a writer's way): each child once storing `count` articles and once
    `dry`, the difference divided by `count`."""
    if shutil.which("valgrind") is None:
        raise RuntimeError("--instructions needs valgrind (apt install valgrind)")
    contenders = [("writer", sys.executable, ROOT)]
    if baseline and _has_writer_way(baseline):
        contenders.append(("baseline writer", str(baseline / ".venv/bin/python"), baseline))
    result = {}
    for name, python, code in contenders:
        per_article = (_instructions(python, code, count, False) - _instructions(python, code, count, True)) / count
        result[name] = {"articles": count, "instructions": per_article}
        log(f"  store {name} into an empty archive: {per_article / 1e6:.2f} million instructions per article")
    return result


# ----------------------------------------------------------------------------- import

def import_rates(size_mb: int, rounds: int, baseline: Path | None, log=print) -> dict:
    import warc_import_bench
    from crawl_bench import measured

    RESULTS.mkdir(parents=True, exist_ok=True)
    warc = RESULTS / f"import-{size_mb}mb.warc.gz"
    info = warc_import_bench.write_warc(warc, size_mb, 2000, log)
    contenders = [("this code", sys.executable, ROOT)] + ([("baseline", str(baseline / ".venv/bin/python"), baseline)]
                                                          if baseline else [])
    result: dict = {"warc_mb": info["bytes"] / 2**20, "responses": info["responses"]}
    for r in range(rounds):
        for name, python, code in (contenders if r % 2 == 0 else contenders[::-1]):
            with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
                db = Path(tmp) / "import.db"
                run = measured([python, "-m", "bbn_scraper", "import-warc", str(warc), "--db", str(db)], code)
                if run["returncode"] != 0:
                    raise RuntimeError(f"import-warc ({name}) failed: {run['stderr']}")
                import sqlite3
                with sqlite3.connect(db) as conn:
                    stats = json.loads(conn.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()[0])
                    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            pages = stats.get("bbn/warc/pages", 0)
            m = {"pages": pages, "articles": articles, "wall": run["wall"], "cpu": run["cpu"],
                 "rate": pages / run["wall"], "cpu_ms": 1000 * run["cpu"] / max(pages, 1),
                 "workers": stats.get("bbn/parse_processes_started", 0)}
            result.setdefault(name, []).append(m)
            log(f"  import-warc {name}: {pages:,} pages in {run['wall']:.0f} s = {m['rate']:.0f} pages/s,"
                f" {m['cpu_ms']:.1f} ms CPU/page, {m['workers']} parse workers, {articles:,} articles")
    return result


# ----------------------------------------------------------------------------- crawl

def crawl_ratios(articles: int, rounds: int, baseline: Path | None, log=print) -> dict:
    from datetime import datetime, timedelta, timezone

    import crawl_bench as cb

    contenders = [("this code", sys.executable, ROOT)] + ([("baseline", str(baseline / ".venv/bin/python"), baseline)]
                                                          if baseline else [])
    result: dict = {}
    newest = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp, cb.start_site(articles, cb.NEW_ARTICLES, newest) as site:
        tmp = Path(tmp)
        urls_file = tmp / "urls.txt"
        urls_file.write_text("\n".join(cb.site_urls(site, articles, cb.NEW_ARTICLES)) + "\n")
        for r in range(rounds):
            order = [("bare", None, None)] + contenders
            for name, python, code in (order if r % 2 == 0 else order[::-1]):
                if name == "bare":
                    m = cb.crawl_bare(urls_file, [])
                else:
                    m = cb.crawl_ours(site.base_url, tmp / f"{name.replace(' ', '-')}-{r}.db", [], python=python, cwd=code)
                result.setdefault(name, []).append({"pages_per_s": m["pages_per_s"], "responses": m["responses"],
                                                    "cpu_ms_per_page": m["cpu_ms_per_page"]})
                log(f"  crawl round {r + 1} {name}: {m['responses']:,} pages, {m['pages_per_s']:.0f} pages/s,"
                    f" {m['cpu_ms_per_page']:.1f} ms CPU/page")
    return result


# ----------------------------------------------------------------------------- report

def rows(res: dict) -> list[tuple[str, str, str, str]]:
    out = []

    def each(values, fmt="{:,.0f}"):
        return " / ".join(fmt.format(v) for v in values)

    for target, ways in res.get("store", {}).items():
        where = "an empty archive" if target == "empty" else f"the {ways['writer'][0]['archive_articles']:,}-article archive"
        goal = "≥ 1,000" if target == "empty" else "≥ 500"
        best = max(m["rate"] for m in ways["writer"])
        out.append((f"store rate into {where}, the writer (batches of {PER_TRANSACTION} items, signatures from the workers)",
                    each(m["rate"] for m in ways["writer"]) + " articles/s; " + each((m["cpu_ms"] for m in ways["writer"]), "{:.2f}")
                    + " ms CPU per article", goal, "✓" if best >= int(goal[2:].replace(",", "")) else "✗"))
        for name in ("baseline writer", "one by one", "baseline one by one"):
            if name in ways:
                how = "the baseline's CrawlStore, batches" if name == "baseline writer" else \
                    "record_page + store_article, a transaction each"
                out.append((f"   the same, {name} ({how})",
                            each(m["rate"] for m in ways[name]) + " articles/s; " + each((m["cpu_ms"] for m in ways[name]), "{:.2f}")
                            + " ms CPU per article", "", ""))
    for name, m in res.get("instructions", {}).items():
        out.append((f"   the same, {name}, counted (cachegrind, {m['articles']:,} articles)",
                    f"{m['instructions'] / 1e6:.2f} million instructions per article", "", ""))
    imp = res.get("import")
    if imp:
        for name in ("this code", "baseline"):
            if name in imp:
                ms = imp[name]
                out.append((f"import-warc of a {imp['warc_mb']:,.0f} MiB WARC ({imp['responses']:,} responses), {name}"
                            f" ({ms[0]['workers']} parse workers)",
                            each(m["rate"] for m in ms) + " pages/s; " + each((m["cpu_ms"] for m in ms), "{:.1f}") + " ms CPU/page",
                            "≥ 2× the baseline" if name == "this code" else "", ""))
    crawl = res.get("crawl")
    if crawl:
        for name in ("this code", "baseline"):
            if name in crawl:
                ratios = [o["pages_per_s"] / b["pages_per_s"] for o, b in zip(crawl[name], crawl["bare"])]
                out.append((f"first crawl of the {crawl[name][0]['responses']:,}-page site ÷ bare Scrapy spider, {name}",
                            each((o["pages_per_s"] for o in crawl[name])) + " ÷ " + each(b["pages_per_s"] for b in crawl["bare"])
                            + " pages/s = " + each(ratios, "{:.2f}"), "≥ 0.5" if name == "this code" else "", ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with (with its .venv)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--store-articles", type=int, default=1000)
    parser.add_argument("--warc-mb", type=int, default=1024)
    parser.add_argument("--crawl-articles", type=int, default=5000)
    parser.add_argument("--skip", default="")
    parser.add_argument("--big", type=Path, default=BIG, help="the big archive to store into ('none': only an empty one)")
    parser.add_argument("--store-ways", default="", help="only these ways of storing: writer,one (default both)")
    parser.add_argument("--baseline-big", type=Path, help="the baseline's copy of the big archive, made before this"
                        " code migrated it (an archive of a newer schema is refused by older code)")
    parser.add_argument("--instructions", type=int, default=0, metavar="N",
                        help="also count the writer's instructions per article over N articles (needs valgrind)")
    parser.add_argument("--store-child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--dry", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.store_child:
        way, target, count, first = args.store_child
        print(json.dumps(_store_child(args.code, way, target, int(count), int(first), args.dry)))
        return
    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results = run(args.baseline, args.rounds, args.store_articles, args.warc_mb, args.crawl_articles,
                  None if args.big == Path("none") else args.big.resolve(), set(filter(None, args.skip.split(","))),
                  log=log, baseline_big=args.baseline_big and args.baseline_big.resolve(),
                  store_ways=set(filter(None, args.store_ways.split(","))))
    if args.instructions:
        results["instructions"] = store_instructions(args.instructions, args.baseline, log=log)
    (RESULTS / "writer.json").write_text(json.dumps(results, indent=1, default=str))
    for row in rows(results):
        print(" | ".join(row))


def run(baseline: Path | None, rounds: int = 2, store_articles: int = 1000, warc_mb: int = 1024,
        crawl_articles: int = 5000, big: Path | None = BIG, skip: set = frozenset(), log=print,
        baseline_big: Path | None = None, store_ways: set = frozenset()) -> dict:
    """Every measure of this file (bench/run.py's section 12)."""
    sys.path.insert(0, str(BENCH))
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict = {"load_before": os.getloadavg()}
    if "store" not in skip:
        results["store"] = store_rates(store_articles, rounds, baseline, big, log, baseline_big, store_ways)
    if "import" not in skip:
        results["import"] = import_rates(warc_mb, rounds, baseline, log)
    if "crawl" not in skip:
        results["crawl"] = crawl_ratios(crawl_articles, rounds, baseline, log)
    results["load_after"] = os.getloadavg()
    return results


if __name__ == "__main__":
    main()
