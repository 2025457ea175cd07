"""news-metadata (../shared/benchmarks/news-metadata): title, authors, date, body and topics of
128 real news pages, scored by the benchmark's own eval.py (imported from there, not copied),
for parse_article, trafilatura and newspaper4k in one run, overall and per language.

    python bench/news_metadata.py [--data DIR] [--no-newspaper] [--failures N]

`extract(html, url)` is parse_article as the benchmark wants it (authors, topics = tags + keywords + [section], date = the day of published), so the
benchmark's script can run it too:
    python ../shared/benchmarks/news-metadata/eval.py --python .venv/bin/python \
        --extract bench/news_metadata.py:extract --anchor trafilatura
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bbn_scraper.parsers import parse_article  # noqa: E402

DATA = ROOT.parent / "shared" / "benchmarks"
SET = "news-metadata"
FIELDS = ("title", "authors_exact", "authors_f1", "date", "body_f1", "topics_f1")
LABELS = {"title": "title", "authors_exact": "authors exact", "authors_f1": "authors F1", "date": "date",
          "body_f1": "body F1", "topics_f1": "topics F1"}
PER_LANGUAGE_MIN = 3  # languages with fewer pages are reported together as "other"


def extract(html: bytes, url: str) -> dict | None:
    """parse_article's fields as the benchmark scores them."""
    article = parse_article(html.decode("utf-8", "replace"), url)  # as eval.py asks: 3 pages declare another charset
    if article is None:
        return None
    topics = list(dict.fromkeys([*article.tags, *article.keywords, *([article.section] if article.section else [])]))
    return {"title": article.headline, "authors": article.authors,
            "date": article.published.strftime("%Y-%m-%d") if article.published else None,
            "body": article.body, "topics": topics}


def newspaper_extract():
    """newspaper4k as section 1 calls it (no download, no images), its fields for the benchmark."""
    import parse_speed

    article_of = parse_speed.newspaper_extract()

    def run(html: bytes, url: str) -> dict:
        a = article_of(url, html.decode("utf-8", "replace"))
        return {"title": a.title, "authors": list(a.authors),
                "date": a.publish_date.strftime("%Y-%m-%d") if a.publish_date else None, "body": a.text,
                "topics": list(dict.fromkeys([*sorted(a.tags or ()), *(a.meta_keywords or ())]))}

    return run


def scorer(data: Path):
    """The benchmark's eval.py as a module."""
    spec = importlib.util.spec_from_file_location("news_metadata_eval", data / SET / "eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def contenders(ev, newspaper: bool) -> dict:
    out = {"parse_article": extract, "trafilatura": ev.trafilatura_extract}
    if newspaper:
        sys.path.insert(0, str(BENCH))
        out["newspaper4k"] = newspaper_extract()
    return out


def run(data: Path = DATA, newspaper: bool = True, log=print) -> dict:
    """{"pages", "languages", "results": {name: {"all": agg, "by_language": {lang: agg}, "none_ids"}}}."""
    ev = scorer(data)
    truth = ev.load_truth()
    ids = sorted(truth)
    pages = {i: ev.page_bytes(i) for i in ids}
    langs = Counter(truth[i]["language"] for i in ids)
    group = {i: truth[i]["language"] if langs[truth[i]["language"]] >= PER_LANGUAGE_MIN else "other" for i in ids}
    out: dict = {"pages": len(ids), "languages": len(langs), "results": {}}
    for name, fn in contenders(ev, newspaper).items():
        started = time.perf_counter()
        try:
            fn(*ev.WARM_UP)
        except Exception:  # noqa: BLE001
            pass
        scores, none_ids = {}, []
        for i in ids:
            rec = {"error": None}
            c0 = time.process_time()
            try:
                pred = ev.to_record(fn(pages[i], truth[i]["url"]))
            except Exception as exc:  # noqa: BLE001 - a crash is a measured outcome
                pred, rec["error"] = None, f"{type(exc).__name__}: {exc}"[:200]
            rec["cpu_ms"] = 1000 * (time.process_time() - c0)
            rec["none"] = pred is None
            if pred:
                rec.update(pred)
            else:
                none_ids.append(i)
            scores[i] = ev.score_case(truth[i], rec)
        by_lang = {g: ev.aggregate([scores[i] for i in ids if group[i] == g])
                   for g in sorted(set(group.values()), key=lambda g: (g == "other", -sum(v == g for v in group.values()), g))}
        out["results"][name] = {"all": ev.aggregate(list(scores.values())), "by_language": by_lang, "none_ids": none_ids,
                                "raised": sum(1 for i in ids if scores[i].get("error"))}
        a = out["results"][name]["all"]
        log(f"  news-metadata {name}: " + ", ".join(f"{LABELS[f]} {a[f]:.3f}" for f in FIELDS)
            + f", none {a['none']}, {a['cpu_ms_mean']:.1f} ms/page ({time.perf_counter() - started:.0f} s)")
    return out


def _f(v) -> str:
    return "—" if v is None else f"{v:.3f}"


def rows(result: dict) -> list[tuple[str, str, str, str]]:
    """Section 1's rows: each field, overall, each contender beside parse_article; then per language."""
    res = result["results"]
    ours = res["parse_article"]["all"]
    traf = res["trafilatura"]["all"]
    n = result["pages"]
    out = []
    for f in FIELDS:
        beside = "; ".join(f"{name} {_f(r['all'][f])}" for name, r in res.items() if name != "parse_article")
        met = ours[f] is not None and traf[f] is not None and ours[f] >= traf[f]
        out.append((f"   {LABELS[f]}, {ours['n_' + f]} of {n} real pages (news-metadata): parse_article",
                    f"{_f(ours[f])} ({beside})", "≥ trafilatura", "✓" if met else "✗"))
    out.append(("   news-metadata: pages None / raised; CPU ms per page",
                "; ".join(f"{name} {r['all']['none'] - r['raised']} / {r['raised']}, {r['all']['cpu_ms_mean']:.1f} ms"
                          for name, r in res.items()), "", ""))
    for lang, a in res["parse_article"]["by_language"].items():
        cells = []
        for name, r in res.items():
            b = r["by_language"][lang]
            cells.append(f"{name} " + " / ".join(_f(b[f]) for f in FIELDS))
        out.append((f"   news-metadata, {lang} ({a['n']} pages): title / authors exact / F1 / date / body F1 / topics F1",
                    "; ".join(cells), "", ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--no-newspaper", action="store_true")
    args = parser.parse_args()
    result = run(args.data, newspaper=not args.no_newspaper, log=lambda m: print(m, file=sys.stderr))
    for measure, value, goal, met in rows(result):
        print(f"| {measure} | {value} | {goal} | {met} |")


if __name__ == "__main__":
    main()
