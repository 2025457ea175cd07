"""`make bench`: every benchmark of bench/README.md in one run, printed as one table.

    python bench/run.py [--quick] [--skip SECTION,...] [--rounds 3]
                        [--crawl-articles 5000] [--rss-sizes 1000,2500]
                        [--archive-articles 100000] [--store-articles 2000] [--reparse-pages 5000]
                        [--warc-articles 1000] [--warc-mb 1024]
                        [--million-articles 1000000] [--million-minutes M] [--cc-mb 1024]
                        [--no-real-corpus] [-s NAME=VALUE ...]

Sections (each in the module named):
1. extraction (extraction_bench.py, parse_speed.py): the goals of issue 11 with their anchors,
   same run: speed on the fixtures against trafilatura and newspaper4k (one core, rounds
   interleaved) and tests/test_fixtures.py passing; when ../shared/benchmarks is present, body
   F1 on its article-extraction pages (parse_article, trafilatura, newspaper4k), publication
   date on its news-dates pages (parse_article, htmldate, trafilatura, newspaper4k), speed on
   the real pages and the pages on which parse_article returns None or raises.
2-3. crawl (crawl_bench.py, big_site.py, bare_spider.py): the project's crawl of a generated
   5,000-article site against a bare Scrapy spider downloading the same pages with the same
   settings; peak RSS at each size; the re-crawl of the unchanged site.
3-5. archive (archive_bench.py): store_article rate, full-text query latency, bytes per
   article and reparse on a 100,000-article archive (built once, kept in bench/results/).
6. warc (warc_bench.py): the raw store both ways, crawls of a generated site without and with
   --warc: bytes per article of pages-only and of WARC-indexed pages (chosen when recording),
   body reads/s and `reparse` pages/s of each.
7. distributed (distributed_bench.py): pages/s with 1, 2 and 4 workers on one Redis, the
   writer's items/s, Redis memory per 1,000 URLs (skipped without redis-server).
8. import (warc_import_bench.py): import-warc pages/s and peak RSS on a generated WARC of
   --warc-mb MiB (default 1024; --quick: 20).
9. stories (stories_bench.py): story-clustering precision and recall on the labelled
   sister-site set, and the sweep of its settings.
10. million (million_bench.py): search, Datasette pages, the reading room (front page, story page,
   filtered search: < 1 s each), search by date (the date walk against sorting every hit),
   export, stats, verify (and --quick),
   bytes per article and the store rate on a synthetic 1,000,000-article archive with a Zipf
   vocabulary (built once, kept in bench/results/; --million-minutes bounds the build, which
   the next run continues).
11. commoncrawl (commoncrawl_bench.py): import-commoncrawl's records/s and MB/s with a host
   filter keeping 1% of the records of a --cc-mb MiB CC-NEWS-like WARC served from 127.0.0.1,
   against downloading and decompressing the same file (same run).
12. writer (writer_bench.py, issue 26): store rate the writer's way and one by one into an empty
   and the big archive, import-warc pages/s and CPU ms per page, first crawl ÷ bare spider,
   each beside `--baseline DIR`'s code (a checkout with its .venv) in the same run.

Prints the machine, the command and the table; writes bench/results/latest.json and latest.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

RSS_LIMIT_MB = 300
RSS_FLAT = 1.25  # "flat": the largest site's peak RSS within 25% of the smallest's


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict:
    from parse_speed import cpu_model

    model = cpu_model()
    memory = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    versions = {}
    for name in ("scrapy", "twisted", "lxml", "sqlite-utils", "trafilatura", "newspaper4k", "htmldate"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    from lxml import etree

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    return {
        "cpu": f"{model}, {os.cpu_count()} logical CPUs", "memory": memory,
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "libxml2": ".".join(map(str, etree.LIBXML_VERSION)), **versions,
        "commit": git("rev-parse", "--short", "HEAD") + ("+changes" if git("status", "--porcelain", "--", ".", ":!bench") else ""),
        "date": datetime.now(timezone.utc).isoformat(timespec="minutes"),
    }


# ----------------------------------------------------------------------------- sections

def extraction_section(rounds: int, real_corpus: bool) -> dict:
    import extraction_bench

    result = extraction_bench.run(rounds, extraction_bench.DATA if real_corpus else None, log=log)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fixtures.py"],
                           cwd=ROOT, capture_output=True, text=True)
    summary = tests.stdout.strip().splitlines()[-1] if tests.stdout.strip() else tests.stderr[-200:]
    result["fixture_tests"] = {"ok": tests.returncode == 0, "summary": re.sub(r"=+", "", summary).strip()}
    log(f"  fixture tests: {result['fixture_tests']['summary']}")
    return result


def crawl_section(articles: int, rounds: int, rss_sizes: tuple[int, ...], extra: list[str]) -> dict:
    import crawl_bench

    return crawl_bench.run(articles, rounds, rss_sizes, extra, log=log)


def distributed_section(articles: int) -> dict | None:
    import distributed_bench

    if not Path(distributed_bench.REDIS_SERVER).exists():
        log("  redis-server is not installed: skipped")
        return None
    return distributed_bench.run(articles, log=log)


def import_section(size_mb: int) -> dict:
    import warc_import_bench

    return warc_import_bench.run(size_mb, log=log)


def archive_section(articles: int, store_articles: int, rounds: int, reparse_pages: int) -> dict:
    import archive_bench

    return archive_bench.run(articles, store_articles, rounds, reparse_pages, log=log)


def warc_section(articles: int) -> dict:
    import warc_bench

    return warc_bench.run(articles, log=log)
def million_section(articles: int, minutes: float | None) -> dict:
    import million_bench

    return million_bench.run(articles, minutes=minutes, log=log)


# ----------------------------------------------------------------------------- the table

def _ok(passed: bool | None) -> str:
    return "—" if passed is None else ("✓" if passed else "✗")


def table(results: dict) -> list[tuple[str, str, str, str]]:
    """(measure, result, goal, met) rows."""
    rows: list[tuple[str, str, str, str]] = []
    p = results.get("extraction")
    if p:
        import extraction_bench

        rows += extraction_bench.rows(p, p.get("fixture_tests"))
    c = results.get("crawl")
    if c:
        ours, bare = c["ours"], c["bare"]
        n = c["articles"]
        rows.append((f"2. crawl {n:,}-article site: `bbn-archive crawl --local`, all pipelines",
                     f"{ours['pages_per_s']:,.0f} pages/s ({ours['responses']:,.0f} pages in {ours['elapsed']:.0f} s, "
                     f"{ours['cpu_ms_per_page']:.1f} ms CPU/page, {ours.get('parse_processes', 0):.0f} parse workers"
                     f" using {1000 * ours.get('worker_cpu', 0) / max(ours['responses'], 1):.1f} of them)", "", ""))
        rows.append(("   bare Scrapy spider, same pages and settings (ceiling)",
                     f"{bare['pages_per_s']:,.0f} pages/s ({bare['cpu_ms_per_page']:.1f} ms CPU/page)", "", ""))
        rows.append(("   crawl ÷ ceiling", f"{c['ratio']:.2f}", "≥ 0.80", _ok(c["ratio"] >= 0.8)))
        rss = c["rss_mb"]
        sizes = sorted(int(k) for k in rss)
        values = [rss[k] if k in rss else rss[str(k)] for k in sizes]
        flat = max(values) <= RSS_LIMIT_MB and values[-1] <= RSS_FLAT * values[0]
        rows.append(("   peak RSS of the crawl (its process + parse worker) at " + " / ".join(f"{s:,}" for s in sizes) + " articles",
                     " / ".join(f"{v:.0f}" for v in values) + " MiB", f"flat, < {RSS_LIMIT_MB} MiB", _ok(flat)))
        rows.append(("   archive after the crawl (pages of every fetched page included)",
                     f"{ours['bytes_per_article']:,.0f} bytes per article ({ours['db_bytes'] / 1e6:,.0f} MB)", "", ""))
        r = c["recrawl"]
        rows.append((f"3. re-crawl of the unchanged {n:,}-article site",
                     f"{r['requests']:,.0f} requests, {r['article_pages']:,.0f} articles downloaded, {r['elapsed']:.1f} s",
                     "no article downloaded", _ok(r["article_pages"] == 0)))
        if c.get("recrawl_full"):
            rows.append(("   the same with `--full` (every listing walked, as before pagination stopped early)",
                         f"{c['recrawl_full']['requests']:,.0f} requests", "", ""))
        d = c.get("day2")
        if d:
            r2, f2, new = d["recrawl"], d["full"], d["new_published"]
            changed = d.get("changed", {})
            due = changed.get("lastmod", 0) + changed.get("due", 0)

            def day2_figures(run_: dict) -> str:
                found = run_.get("changed_found", {})
                return (f"{run_['requests']:,.0f} requests ({run_['listing_pages']:,.0f} listing pages, "
                        f"{run_.get('revisits_due', 0):,.0f} revisits due, {run_.get('not_modified', 0):,.0f} answered 304), "
                        f"{run_['new_found']}/{new} new found, changed found {found.get('lastmod', 0) + found.get('due', 0)}/{due}"
                        f" due ({found.get('missed', 0)}/{changed.get('missed', 0)} not due), {run_['elapsed']:.1f} s")

            found = r2.get("changed_found", {})
            rows.append((f"   day 2: {new} new articles on the first listing pages and {sum(changed.values())} changed,"
                         " nightly re-crawl", day2_figures(r2),
                         "≤ 60 + 5 per new article, all new and all due changed found",
                         _ok(r2["requests"] <= 60 + 5 * new and r2["new_found"] == new
                             and found.get("lastmod", 0) + found.get("due", 0) == due)))
            rows.append(("   day 2 with `--full`", day2_figures(f2), "", ""))
        rows.append(("   archive growth per re-crawl (byte-identical pages are not stored again)",
                     f"{r['bytes_added'] / 1e6:,.1f} MB", "", ""))
        scaling = c["recrawl_scaling"]
        per_page = []
        for size in sorted(scaling, key=int):
            s = scaling[size]
            per_page.append(f"{int(size):,}: {s['listing_pages']:,} listings, {s['recrawl_s']:.1f} s")
        ms = [1000 * s["recrawl_s"] / max(s["listing_pages"], 1) for s in scaling.values()]
        rows.append(("   re-crawl time against listing pages", "; ".join(per_page) +
                     f" ({min(ms):.0f}–{max(ms):.0f} ms per listing page)", "proportional", ""))
    a = results.get("archive")
    if a:
        st = a["store"]
        rows.append((f"4. Archive.store_article + record_page, {st['articles']:,} articles",
                     f"{st['per_call_rate']:,.0f}/s one transaction each; {st['batched_rate']:,.0f}/s in batches of 1,000",
                     "", ""))
        b = a["build"]
        n = a["disk"]["articles"]
        rows.append((f"   building the {n:,}-article archive (batches of 1,000)",
                     f"{b['rate']:,.0f} articles/s{' (cached build of ' + b['built'][:10] + ')' if b.get('cached') else ''}", "", ""))
        f = a["fts"]
        rows.append((f"   full-text query, 20 queries, {n:,} articles", f"median {f['median_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms "
                     f"(slowest: {f['slowest_query']} {f['max_ms']:.0f} ms)", "p95 < 20 ms", _ok(f["p95_ms"] < 20)))
        if a.get("search"):
            f = a["search"]
            rows.append(("   `Archive.search(q, limit=20)`, same queries (articles + FAQ pairs, best hit, snippet)",
                         f"median {f['median_ms']:.0f} ms, p95 {f['p95_ms']:.0f} ms (slowest: {f['slowest_query']} "
                         f"{f['max_ms']:.0f} ms)", "", ""))
        d = a["disk"]
        per = d["per_article"]
        rows.append(("   bytes per article on disk", f"{d['bytes_per_article']:,.0f} (raw page {d['compressed_page_bytes']:,.0f} "
                     f"zlib of {d['raw_page_bytes']:,.0f}; pages table {per['pages']:,.0f}, FTS {per['fts']:,.0f}, "
                     f"articles {per['articles']:,.0f}, rest {per['other']:,.0f})", "", ""))
        if "reparse_cli" in a:
            rc = a["reparse_cli"]
            counts = rc.get("counts", {})
            rows.append((f"5. `{rc['command']}`", f"{rc['rate']:,.0f} pages/s ({rc['pages']:,} pages in {rc['seconds']:.0f} s; "
                         f"{counts.get('unchanged', 0):,} unchanged, {counts.get('changed', 0):,} changed, "
                         f"{counts.get('failed', 0):,} failed)", "", ""))
        rp = a["reparse"]
        rows.append((f"{'   ' if 'reparse_cli' in a else '5. '}parse_article over stored pages (decompress + parse)",
                     f"{rp['rate']:,.0f} pages/s ({rp['pages']:,} pages)", "", ""))
    if results.get("warc"):
        import warc_bench

        rows += warc_bench.rows(results["warc"])
    d = results.get("distributed")
    if d:
        import distributed_bench

        rows += distributed_bench.rows(d)
    if results.get("import"):
        import warc_import_bench

        rows += warc_import_bench.rows(results["import"])
    if results.get("stories"):
        import stories_bench

        rows += stories_bench.rows(results["stories"])
    if results.get("million"):
        import million_bench

        rows += million_bench.rows(results["million"])
    if results.get("commoncrawl"):
        import commoncrawl_bench

        rows += commoncrawl_bench.rows(results["commoncrawl"])
    if results.get("writer"):
        import writer_bench

        rows += [(f"12. {a}" if i == 0 else a, b, c, d) for i, (a, b, c, d) in enumerate(writer_bench.rows(results["writer"]))]
    return rows


def render(results: dict, command: str) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['memory']}, {m['os']}; Python {m['python']}, SQLite {m['sqlite']}, "
        f"libxml2 {m['libxml2']}, Scrapy {m['scrapy']}, Twisted {m['twisted']}, lxml {m['lxml']}, "
        f"trafilatura {m['trafilatura']}, newspaper4k {m['newspaper4k']}, htmldate {m.get('htmldate', '-')}.",
        f"Run: {m['date']}, commit {m['commit']}, {results['seconds'] / 60:.1f} min, load average "
        f"{results['load'][0]:.2f} before / {results['load'][1]:.2f} after.",
        f"Command: `{command}`",
        "",
        "| measure | result | goal | met |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in table(results)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round: checks that everything runs")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out: extraction (or parser), crawl, archive, warc, distributed, import, stories, million, commoncrawl, writer")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each timing (parser: twice as many)")
    parser.add_argument("--baseline", type=Path, help="section 11: a checkout of the code to compare with, with its"
                                                      " .venv (e.g. ../main)")
    parser.add_argument("--crawl-articles", type=int, default=5000)
    parser.add_argument("--rss-sizes", default="1000,2500", help="smaller sites whose crawl's peak RSS is measured too")
    parser.add_argument("--archive-articles", type=int, default=100_000)
    parser.add_argument("--store-articles", type=int, default=2000)
    parser.add_argument("--reparse-pages", type=int, default=5000, help="reparse the newest N pages (0: all)")
    parser.add_argument("--warc-articles", type=int, default=1000, help="size of the site crawled with --warc (section 6)")
    parser.add_argument("--warc-mb", type=int, default=1024, help="size of the WARC that import-warc is measured on")
    parser.add_argument("--cc-mb", type=int, default=1024, help="size of the WARC import-commoncrawl filters (section 11)")
    parser.add_argument("--million-articles", type=int, default=1_000_000, help="size of section 10's archive")
    parser.add_argument("--million-minutes", type=float, help="build section 10's archive for at most this long this run")
    parser.add_argument("--no-real-corpus", dest="real_corpus", action="store_false",
                        help="leave out section 1's measures on the real pages of ../shared/benchmarks (when present)")
    parser.add_argument("-s", "--set", dest="extra", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for both crawlers of section 2")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.crawl_articles, args.rss_sizes = 1, 300, "100"
        args.archive_articles, args.store_articles, args.reparse_pages = 2000, 500, 500
        args.warc_articles = 200
        args.million_articles = 5000
        args.real_corpus = False
        args.warc_mb = 20
        args.cc_mb = 20
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    command = "python bench/run.py" + "".join(f" {shlex.quote(a)}" for a in sys.argv[1:])
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    results: dict = {"machine": machine(), "args": vars(args)}
    if not skip & {"extraction", "parser"}:
        log("1. extraction ...")
        started_section = time.perf_counter()
        results["extraction"] = extraction_section(2 * args.rounds - 1, args.real_corpus)
        results["extraction"]["seconds"] = time.perf_counter() - started_section
    if "crawl" not in skip:
        log(f"2-3. crawl of a {args.crawl_articles:,}-article site ...")
        sizes = tuple(int(x) for x in args.rss_sizes.split(",") if x)
        results["crawl"] = crawl_section(args.crawl_articles, args.rounds, sizes, args.extra)
    if "archive" not in skip:
        log(f"4-5. archive of {args.archive_articles:,} articles ...")
        results["archive"] = archive_section(args.archive_articles, args.store_articles, args.rounds, args.reparse_pages)
    if "warc" not in skip:
        log(f"6. raw store: a {args.warc_articles:,}-article site crawled with --warc ...")
        results["warc"] = warc_section(args.warc_articles)
    if "distributed" not in skip:
        log(f"7. distributed crawl of a {args.crawl_articles:,}-article site with 1, 2, 4 workers ...")
        results["distributed"] = distributed_section(args.crawl_articles)
    if "import" not in skip:
        log(f"8. import-warc of a {args.warc_mb:,} MiB WARC ...")
        results["import"] = import_section(args.warc_mb)
    if "stories" not in skip:
        import stories_bench

        log("9. story clusters on the sister-site set ...")
        results["stories"] = stories_bench.run(log=log, synthesised=500 if args.quick else 5000)
    if "million" not in skip:
        log(f"10. a {args.million_articles:,}-article archive ...")
        results["million"] = million_section(args.million_articles, args.million_minutes)
    if "commoncrawl" not in skip:
        import commoncrawl_bench

        log(f"11. import-commoncrawl's host filter on a {args.cc_mb:,} MiB WARC served from 127.0.0.1 ...")
        results["commoncrawl"] = commoncrawl_bench.run(args.cc_mb, log=log)
    if "writer" not in skip:
        import writer_bench

        log("12. the writer and parsing on every core (issue 26), beside "
            f"{args.baseline or 'no baseline (--baseline DIR: a checkout with its .venv)'} ...")
        results["writer"] = writer_bench.run(args.baseline, args.rounds, args.store_articles // 2, args.warc_mb,
                                             args.crawl_articles, log=log)
    results["seconds"] = time.perf_counter() - started
    results["load"] = (load_before, os.getloadavg()[0])
    text = render(results, command)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1, default=str))
    (RESULTS / "latest.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
