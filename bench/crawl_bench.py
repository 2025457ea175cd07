"""Crawl benchmarks against bench/big_site.py on 127.0.0.1: the project's crawl against the bare
Scrapy ceiling, peak RSS by site size, the re-crawl of an unchanged site, and day 2: the
re-crawl once NEW_ARTICLES newer articles are published and CHANGES articles changed, next to
the same with `--full` (every listing walked again, as every re-crawl did before pagination
stopped early).

Day 2 under the default revisit policy (every crawl up to 2 days old, weekly up to 30): the
site's newest article is dated an hour before the benchmark starts, and before day 2 the
archive's fetch times are moved back as a nightly schedule leaves them: a day (day 1 was
yesterday), and a week for every seventh article of the 2-30-day band (revisited a week ago,
due tonight). Of the changed articles, CHANGES["lastmod"] have a newer sitemap lastmod (due),
CHANGES["due"] are in that band and due, CHANGES["missed"] are older than 30 days with no newer
lastmod: not due, so not found.

    python bench/crawl_bench.py [--articles 5000] [--rounds 3] [--rss-sizes 1000,2500] [-s NAME=VALUE ...]

Every crawl is its own process, as users run it: `python -m bbn_scraper crawl URL --db DB --local
-s ...` (every pipeline storing into SQLite) and `python bench/bare_spider.py URLS -s ...`
(downloads only, same settings). The site runs in a third process, every page rendered up front.
Rounds alternate which of the two goes first. Per crawl: pages/s = Scrapy's
downloader/response_count over its elapsed_time_seconds (from the crawls.stats column for the
project's crawl); CPU seconds from the kernel's rusage of that process (wait4, which includes
the parse workers it waited for), peak RSS from its /proc/PID/status VmHWM plus the largest
parse worker's own peak (reported in the crawl's stats).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from archive import copy_archive

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/$")
NEW_ARTICLES = 20  # published on day 2, on the first listing pages
# Day 2's changed articles by post index (0: the newest; day 1's run from NEW_ARTICLES; 3 h 17 min apart).
CHANGES = {"lastmod": (1000, 2000, 3000), "due": (28, 35, 42, 49), "missed": (1500, 2500, 3500)}
LISTING_PATH = re.compile(r"^/(?:(?:category|tag|author)/[^/]+/)?(?:page/\d+/)?$")


@dataclass
class Site:
    process: subprocess.Popen
    base_url: str
    info: dict

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # big_site.py exits at EOF on stdin
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Site":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_site(articles: int, new: int = 0, newest: datetime | None = None) -> Site:
    """bench/big_site.py with `articles` articles in its own process, once it is serving
    (`new`: `publish_day2` adds that many newer ones and makes the CHANGES; `newest`: the newest
    article's date)."""
    change = ",".join(f"{i}:lastmod" if kind == "lastmod" else str(i) for kind, ids in CHANGES.items() for i in ids)
    dated = ["--newest", newest.isoformat()] if newest else []
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "big_site.py"), "--articles", str(articles), "--new", str(new),
         "--change", change, *dated],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    line = process.stdout.readline().split()
    if not line or line[0] != "ready":
        process.kill()
        raise RuntimeError(f"big_site.py did not start: {line}")
    info = dict(part.split("=", 1) for part in line[2:])
    return Site(process, line[1], info)


def publish_day2(site: Site) -> None:
    """The site's day 2: its newer articles published (big_site.py --new)."""
    site.process.stdin.write("day2\n")
    site.process.stdin.flush()
    line = site.process.stdout.readline()
    if not line.startswith("day2"):
        raise RuntimeError(f"big_site.py did not publish day 2: {line!r}")


def site_urls(site: Site, articles: int, first: int = 0) -> list[str]:
    sys.path.insert(0, str(BENCH))
    import big_site

    content = big_site.BigContent(articles, first)
    return [site.base_url + p.lstrip("/") for p in big_site.site_paths(content) if p != "/robots.txt"]


def _peak_rss(pid: int, done: threading.Event, peak: list[int]) -> None:
    """Follow /proc/PID/status VmHWM (the process's own high-water mark, in kB) until it exits.
    Not rusage's ru_maxrss: Linux carries the forking parent's RSS over exec into it, so a
    crawl started from a runner of 250 MB would report at least 250 MB."""
    status = Path(f"/proc/{pid}/status")
    while not done.is_set():
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
                    break
        except (OSError, ValueError):
            pass
        done.wait(0.05)


def measured(cmd: list[str], cwd: Path = ROOT) -> dict:
    """Run a command in `cwd`; its exit status, output, wall seconds, CPU seconds (its own and its
    children's, from wait4) and peak RSS in MiB (VmHWM, sampled every 50 ms)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, text=True)
        done, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_peak_rss, args=(process.pid, done, peak), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        done.set()
        sampler.join()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"returncode": process.returncode, "stdout": out.read(), "stderr": err.read()[-4000:],
                "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": peak[0] / 1024}


def settings_args(extra: list[str]) -> list[str]:
    return [arg for pair in extra for arg in ("-s", pair)]


def crawl_ours(base_url: str, db: Path, extra: list[str], args: tuple[str, ...] = (),
               python: str = sys.executable, cwd: Path = ROOT) -> dict:
    """One `bbn-archive crawl --local [ARGS]` into `db`, with what its crawls row recorded
    (`python` in `cwd`: another checkout's code, for a comparison in the same run)."""
    run = measured([python, "-m", "bbn_scraper", "crawl", base_url, "--db", str(db), "--local", *args,
                    *settings_args(extra)], cwd)
    if run["returncode"] != 0:
        raise RuntimeError(f"crawl failed ({run['returncode']}): {run['stderr']}")
    conn = sqlite3.connect(db)
    try:
        crawl_id, pages, new, errors, stats = conn.execute(
            "SELECT id, pages, articles_new, errors, stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
        urls = [u for (u,) in conn.execute("SELECT url FROM pages WHERE crawl_id = ?", [crawl_id])]
        articles_total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        conn.close()
    db_bytes = sum(f.stat().st_size for f in db.parent.glob(db.name + "*") if not f.name.endswith(".lock"))
    stats = json.loads(stats)
    if not stats.get("downloader/response_count"):
        raise RuntimeError(f"crawl fetched nothing: {json.dumps(stats)[:2000]} {run['stderr']}")
    paths = [re.sub(r"^https?://[^/]+", "", u).split("?")[0] for u in urls]
    responses = stats.get("downloader/response_count", 0)
    elapsed = stats.get("elapsed_time_seconds") or stats.get("seconds")
    worker_rss = stats.get("bbn/parse_peak_rss_mib", 0.0)  # the parse workers report their own
    return {
        "wall": run["wall"], "cpu": run["cpu"], "rss_mb": run["rss_mb"] + worker_rss, "elapsed": elapsed,
        "crawl_rss_mb": run["rss_mb"], "worker_rss_mb": worker_rss,
        "parse_processes": stats.get("bbn/parse_processes_started", 0),
        "worker_cpu": stats.get("bbn/parse_cpu_seconds", 0.0),
        "requests": stats.get("downloader/request_count", 0), "responses": responses,
        "pages_per_s": responses / elapsed, "cpu_ms_per_page": 1000 * run["cpu"] / max(responses, 1),
        "pages": pages, "articles_new": new, "errors": errors, "articles_total": articles_total,
        "article_pages": sum(1 for p in paths if ARTICLE_PATH.match(p)),
        "listing_pages": sum(1 for p in paths if LISTING_PATH.match(p)),
        "skipped_known": stats.get("bbn/known_article_skipped", 0),
        "pagination_stopped": stats.get("bbn/pagination_stopped", 0),
        "revisits_due": stats.get("bbn/revisit/due", 0), "revisits_lastmod": stats.get("bbn/revisit/lastmod", 0),
        "not_modified": stats.get("bbn/not_modified", 0), "pages_unchanged": stats.get("bbn/page_unchanged", 0),
        "article_paths": sorted(p for p in paths if ARTICLE_PATH.match(p)),
        "db_bytes": db_bytes, "bytes_per_article": db_bytes / max(articles_total, 1),
    }


def crawl_bare(urls_file: Path, extra: list[str]) -> dict:
    run = measured([sys.executable, str(BENCH / "bare_spider.py"), str(urls_file), *settings_args(extra)])
    if run["returncode"] != 0:
        raise RuntimeError(f"bare spider failed ({run['returncode']}): {run['stderr']}")
    stats = json.loads(run["stdout"].strip().splitlines()[-1])
    responses = stats.get("downloader/response_count", 0)
    if not responses:
        raise RuntimeError(f"bare spider fetched nothing: {json.dumps(stats)[:2000]} {run['stderr']}")
    elapsed = stats["elapsed_time_seconds"]
    return {"wall": run["wall"], "cpu": run["cpu"], "rss_mb": run["rss_mb"], "elapsed": elapsed,
            "requests": stats.get("downloader/request_count", 0), "responses": responses,
            "pages_per_s": responses / elapsed, "cpu_ms_per_page": 1000 * run["cpu"] / max(responses, 1)}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def run(articles: int = 5000, rounds: int = 3, rss_sizes: tuple[int, ...] = (1000, 2500),
        extra: list[str] | None = None, log=print) -> dict:
    extra = list(extra or [])
    RESULTS.mkdir(parents=True, exist_ok=True)
    result: dict = {"articles": articles, "rounds": rounds, "settings": extra}
    newest = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
        tmp = Path(tmp)
        with start_site(articles, NEW_ARTICLES, newest) as site:
            result["site"] = site.info
            urls_file = tmp / "urls.txt"
            urls_file.write_text("\n".join(site_urls(site, articles, NEW_ARTICLES)) + "\n")
            ours, bare = [], []
            for r in range(rounds):
                db = tmp / f"crawl-{r}.db"
                for who in (("ours", "bare") if r % 2 == 0 else ("bare", "ours")):
                    if who == "ours":
                        ours.append(crawl_ours(site.base_url, db, extra))
                    else:
                        bare.append(crawl_bare(urls_file, extra))
                    last = (ours if who == "ours" else bare)[-1]
                    log(f"  crawl round {r + 1}/{rounds} {who}: {last['responses']} pages in {last['elapsed']:.1f} s "
                        f"= {last['pages_per_s']:.0f} pages/s, {last['cpu_ms_per_page']:.1f} ms CPU/page, "
                        f"peak RSS {last['rss_mb']:.0f} MiB")
            recrawls = []
            for r in range(rounds):  # the unchanged site again, into the last round's archive
                recrawls.append(crawl_ours(site.base_url, db, extra))
                last = recrawls[-1]
                log(f"  re-crawl {r + 1}/{rounds}: {last['requests']} requests, {last['article_pages']} article pages, "
                    f"{last['elapsed']:.1f} s")
            result["recrawl_full"] = _without_paths(crawl_ours(site.base_url, copy_archive(db, tmp / "full.db"), extra, ("--full",)))
            log(f"  re-crawl --full: {result['recrawl_full']['requests']} requests")
            result["day2"] = day2(site, articles, db, tmp, extra, newest, log)
        ours, recrawls = [_without_paths(r) for r in ours], [_without_paths(r) for r in recrawls]
        result["ours"] = {k: _median(ours, k) for k in ours[0]}
        result["bare"] = {k: _median(bare, k) for k in bare[0]}
        result["ours_runs"], result["bare_runs"] = ours, bare
        result["ratio"] = result["ours"]["pages_per_s"] / result["bare"]["pages_per_s"]
        result["recrawl"] = {k: _median(recrawls, k) for k in recrawls[0]}
        result["recrawl_runs"] = recrawls
        first = result["ours"]
        result["recrawl"]["listing_share_of_first"] = result["recrawl"]["listing_pages"] / max(first["listing_pages"], 1)
        result["recrawl"]["bytes_added"] = statistics.median(
            b["db_bytes"] - a["db_bytes"] for a, b in zip([ours[-1]] + recrawls, recrawls))
        result["recrawl"]["seconds_per_listing_page_ms"] = 1000 * result["recrawl"]["elapsed"] / max(result["recrawl"]["listing_pages"], 1)
        rss = {articles: result["ours"]["rss_mb"]}
        scaling = {articles: {"listing_pages": result["recrawl"]["listing_pages"], "recrawl_s": result["recrawl"]["elapsed"],
                              "recrawl_requests": result["recrawl"]["requests"]}}
        for size in rss_sizes:
            with start_site(size) as site:
                db = tmp / f"rss-{size}.db"
                run_ = _without_paths(crawl_ours(site.base_url, db, extra))
                again = _without_paths(crawl_ours(site.base_url, db, extra))
            rss[size] = run_["rss_mb"]
            scaling[size] = {"listing_pages": again["listing_pages"], "recrawl_s": again["elapsed"],
                             "recrawl_requests": again["requests"], "article_pages": again["article_pages"],
                             "pages_per_s": run_["pages_per_s"]}
            log(f"  {size} articles: peak RSS {run_['rss_mb']:.0f} MiB, {run_['pages_per_s']:.0f} pages/s; "
                f"re-crawl {again['requests']} requests, {again['elapsed']:.1f} s")
        result["rss_mb"] = dict(sorted(rss.items()))
        result["recrawl_scaling"] = dict(sorted(scaling.items()))
    return result


def _without_paths(run_: dict) -> dict:
    return {k: v for k, v in run_.items() if k != "article_paths"}


def day2(site: Site, articles: int, db: Path, tmp: Path, extra: list[str], newest: datetime, log=print) -> dict:
    """Day 2 of the site whose day 1 `db` archived: NEW_ARTICLES published and CHANGES made,
    the archive's fetch times moved back as a nightly schedule leaves them (see the module's
    docstring), then one re-crawl as a nightly run makes it and one with `--full`, each into
    its own copy."""
    sys.path.insert(0, str(BENCH))
    import big_site

    publish_day2(site)
    content = big_site.BigContent(articles + NEW_ARTICLES, newest=newest)
    new = set(big_site.article_paths(content)[:NEW_ARTICLES])
    paths = {p.index: p.path for p in content.posts}
    changed = {kind: {paths[i] for i in ids if i in paths} for kind, ids in CHANGES.items()}
    day1 = as_nightly(copy_archive(db, tmp / "day1.db"), site.base_url, content, newest)
    result = {"new_published": len(new), "changed": {kind: len(p) for kind, p in changed.items()}}
    for name, args in (("recrawl", ()), ("full", ("--full",))):
        copy = copy_archive(day1, tmp / f"day2-{name}.db")
        run_ = crawl_ours(site.base_url, copy, extra, args)
        run_["new_found"] = len(new & set(run_.pop("article_paths")))
        updated = _updated_paths(copy, site.base_url)
        run_["changed_found"] = {kind: len(p & updated) for kind, p in changed.items()}
        result[name] = run_
        found, due = run_["changed_found"], len(changed["lastmod"]) + len(changed["due"])
        log(f"  day 2 {name}: {run_['requests']} requests ({run_['listing_pages']} listing pages, "
            f"{run_['revisits_due']} revisits due, {run_['not_modified']} answered 304), "
            f"{run_['new_found']}/{len(new)} new articles, {run_['articles_new']} archived new, "
            f"changed found {found['lastmod'] + found['due']}/{due} due ({found['missed']}/{len(changed['missed'])} not due), "
            f"{run_['elapsed']:.1f} s")
    return result


def as_nightly(db: Path, base_url: str, content, newest: datetime) -> Path:
    """The archive `db` as a nightly schedule would leave it on day 2: every fetch a day
    earlier, and the articles of the 2-30-day band whose index is a multiple of 7 fetched a
    week earlier (due tonight under the default policy)."""
    band = {base_url.rstrip("/") + p.path for p in content.posts
            if p.index % 7 == 0 and timedelta(days=2) < newest - p.published <= timedelta(days=30)}
    shift = "strftime('%Y-%m-%dT%H:%M:%S+00:00', fetched_at, ?)"
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute(f"UPDATE validators SET fetched_at = {shift}", ["-1 day"])
            conn.executemany(f"UPDATE validators SET fetched_at = {shift} WHERE url = ?", [("-6 days", url) for url in band])
    finally:
        conn.close()
    return db


def _updated_paths(db: Path, base_url: str) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        urls = [u for (u,) in conn.execute("SELECT url FROM articles WHERE version > 1")]
    finally:
        conn.close()
    return {u.removeprefix(base_url.rstrip("/")) for u in urls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rss-sizes", default="1000,2500")
    parser.add_argument("-s", "--set", dest="extra", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    sizes = tuple(int(x) for x in args.rss_sizes.split(",") if x)
    result = run(args.articles, args.rounds, sizes, args.extra)
    print(json.dumps({k: v for k, v in result.items() if not k.endswith("_runs")}, indent=1))


if __name__ == "__main__":
    main()
