"""Story clustering on the labelled sister-site set: pairwise precision and recall, and the
sweep of settings that justifies archive.stories.StorySettings' defaults.

Both sites are served on loopback; every article page of each is fetched, parsed with
parse_article and stored (the store path clusters incrementally). The truth: a sister copy and
the original it rewrites are one story; every other pair of articles is two. Each other setting
is measured by reclustering the same archive.

    python bench/stories_bench.py
"""
from __future__ import annotations

import itertools
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import Archive  # noqa: E402
from archive.stories import StorySettings, clusters  # noqa: E402
from bbn_scraper.parsers import parse_article  # noqa: E402
from bbn_scraper.sample_site import SampleSite  # noqa: E402
from bbn_scraper.sample_site.sister import SisterSite  # noqa: E402

GOAL = 0.95
THRESHOLDS = (0.2, 0.3, 0.33, 0.36, 0.4, 0.43, 0.46, 0.5, 0.6)
SHINGLES = (2, 3, 4, 5, 6)
NUM_PERMS = (64, 128, 256)


def labelled_articles() -> tuple[list, set[frozenset[str]]]:
    """The parsed articles of both sites, and the true same-story pairs of canonical URLs."""
    with SampleSite(port=0) as bbn, SisterSite(port=0) as sister:
        originals = bbn.manifest()["articles"]
        copies = sister.manifest()["articles"]
        articles = []
        for entry in originals + copies:
            html = fetch(entry["url"])
            articles.append((entry["url"], parse_article(html, entry["url"])))
    original_url = {a["path"]: a["url"] for a in originals}
    truth = {frozenset((c["url"], original_url[c["copy_of"]])) for c in copies if c["copy_of"]}
    return articles, truth


def fetch(url: str, attempts: int = 3) -> bytes:
    """The page at `url`; a 503 is tried again (the sample site's flaky article answers two)."""
    for attempt in range(attempts):
        try:
            return urllib.request.urlopen(url, timeout=10).read()
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def score(groups: set[frozenset[str]], truth: set[frozenset[str]]) -> dict:
    """Pairwise precision and recall of the clusters `groups` against the true pairs."""
    predicted = {frozenset(pair) for g in groups for pair in itertools.combinations(sorted(g), 2)}
    hits = len(predicted & truth)
    return {"precision": hits / len(predicted) if predicted else 1.0, "recall": hits / len(truth),
            "predicted_pairs": len(predicted), "true_pairs": len(truth)}


def store_all(articles: list) -> Archive:
    """A new in-memory archive holding `articles`, stored one by one (clustered as they come)."""
    archive = Archive(":memory:")
    crawl = archive.start_crawl(["stories-bench"])
    for url, article in articles:
        archive.store_article(article, crawl_id=crawl, fetched_url=url)
    return archive


def store_cost(count: int) -> dict:
    """What clustering adds to the store path: archive_bench's synthesised articles stored in
    batches of 1,000 into a file archive, with clustering and with it off; and the bytes per
    article of the clustering tables (dbstat)."""
    import archive_bench

    items = archive_bench.synthesise(archive_bench.Synth(), 0, count)
    seconds, tables = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for clustering in (True, False):
            with Archive(Path(tmp) / f"{clustering}.db", create=True) as archive:
                if not clustering:
                    archive.stories.assign = lambda article_id: None
                seconds[clustering] = archive_bench.store(archive, archive.start_crawl(["stories-bench"]), items, 1000)
                if clustering:
                    tables = dict(archive.db.execute(
                        "SELECT CASE WHEN name LIKE '%lsh_bands%' THEN 'lsh_bands' WHEN name LIKE '%minhashes%'"
                        " THEN 'minhashes' ELSE 'stories' END, sum(pgsize) FROM dbstat WHERE name IN"
                        " (SELECT name FROM sqlite_master WHERE tbl_name IN ('lsh_bands', 'minhashes', 'stories', 'article_story'))"
                        " GROUP BY 1").fetchall())
    return {"articles": count, "with_s": seconds[True], "without_s": seconds[False],
            "bytes_per_article": {k: v / count for k, v in tables.items()}}


def run(log=print, synthesised: int = 2000) -> dict:
    articles, truth = labelled_articles()
    defaults = StorySettings()
    log(f"  {len(articles)} articles, {len(truth)} true pairs; storing with {defaults} ...")
    archive = store_all(articles)
    result = {"articles": len(articles), "true_pairs": len(truth), "settings": asdict(defaults),
              "default": score(clusters(archive.db.conn), truth)}
    reverse = store_all(articles[::-1])
    result["order_independent"] = clusters(reverse.db.conn) == clusters(archive.db.conn)
    result["cost"] = store_cost(synthesised)
    sweep = []
    for field, values in (("threshold", THRESHOLDS), ("shingle", SHINGLES), ("num_perm", NUM_PERMS)):
        for value in values:
            settings = replace(defaults, **{field: value})
            with archive.transaction():
                archive.stories.recluster(settings)
            sweep.append({**asdict(settings), "varied": field, **score(clusters(archive.db.conn), truth)})
            log(f"  {field}={value}: P {sweep[-1]['precision']:.3f} R {sweep[-1]['recall']:.3f}")
    result["sweep"] = sweep
    d = result["default"]
    log(f"  default: precision {d['precision']:.3f}, recall {d['recall']:.3f}; order-independent: {result['order_independent']}")
    return result


def rows(r: dict) -> list[tuple[str, str, str, str]]:
    d, s, c = r["default"], r["settings"], r["cost"]
    ok = d["precision"] >= GOAL and d["recall"] >= GOAL
    out = [(f"9. story clusters, labelled sister-site set ({r['articles']} articles, {r['true_pairs']} copy pairs), "
            f"threshold {s['threshold']}, {s['num_perm']} permutations, {s['shingle']}-word shingles",
            f"pairwise precision {d['precision']:.3f}, recall {d['recall']:.3f}",
            f"≥ {GOAL} each", "✓" if ok else "✗"),
           ("   the same stored in reverse order", "same clusters" if r["order_independent"] else "different clusters",
            "same clusters", "✓" if r["order_independent"] else "✗"),
           (f"   store_article + record_page of {c['articles']:,} synthesised articles (bench/archive_bench.py), "
            "with clustering / without",
            f"{1000 * c['with_s'] / c['articles']:.2f} / {1000 * c['without_s'] / c['articles']:.2f} ms per article", "", ""),
           ("   bytes per article on disk: LSH bands / signatures / stories and membership",
            " / ".join(f"{c['bytes_per_article'].get(k, 0):,.0f}" for k in ("lsh_bands", "minhashes", "stories")), "", "")]
    for field in ("threshold", "shingle", "num_perm"):
        points = [p for p in r["sweep"] if p["varied"] == field]
        out.append((f"   sweep of {field} (others default): P / R",
                    "; ".join(f"{p[field]}: {p['precision']:.2f} / {p['recall']:.2f}" for p in points), "", ""))
    return out


if __name__ == "__main__":
    result = run()
    for row in rows(result):
        print(" | ".join(row))
