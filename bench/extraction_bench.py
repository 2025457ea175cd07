"""The extraction goals of issue 11, measured on the real pages of ../shared/benchmarks with
the anchors beside parse_article, in one run, on one core:

- body text on article-extraction (181 pages): shingle precision, recall, F1 and exact-match
  accuracy, scored as the benchmark's evaluate.py does, for parse_article, trafilatura
  (`extract(html, include_comments=False)`, the benchmark's own run_trafilatura.py) and
  newspaper4k (`Article(url).download(input_html=html)` + `parse()`, as its run_newspaper.py, images not fetched);
- publication date on news-dates (200 pages): correct / missing / wrong, the date as
  YYYY-MM-DD in the page's own time, for parse_article, htmldate (extensive and fast),
  trafilatura's bare_extraction and newspaper4k;
- speed on the 181 pages: parse_article against `trafilatura.extract(with_metadata=True)`,
  CPU time, rounds interleaved, median (parse_speed.py); what each step of parse_article costs
  there (step_costs.py); each speed measure in a fresh process of its own, not in the one that
  ran the accuracy measures (whose leftover heap slowed parse_article by half: parse_speed.py);
- robustness: pages of either set on which parse_article returns None or raises;
- title, authors, date, body and topics on news-metadata (128 pages), scored by its eval.py,
  for parse_article, trafilatura and newspaper4k, overall and per language (news_metadata.py).

    python bench/extraction_bench.py [--rounds 5] [--data DIR] [--no-newspaper]

Each contender's accuracy pass is timed once with `time.process_time()` (ms per page, shown
for information; the speed goal comes from the interleaved rounds).
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import news_metadata  # noqa: E402
import parse_speed  # noqa: E402
import step_costs  # noqa: E402

from bbn_scraper.parsers import parse_article  # noqa: E402

DATA = ROOT.parent / "shared" / "benchmarks"
BODY_SET, DATE_SET = "article-extraction", "news-dates"
GOALS = {"body_f1": 0.965, "date_correct": 0.90, "speed_real": 3.0, "speed_fixtures": 10.0, "failures": 0}

Extractor = Callable[[str, bytes], object]


def load(folder: Path) -> list[tuple[str, str, bytes, dict]]:
    """(id, url, html bytes, truth entry) of every page of one benchmark set."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [(page_id, entry["url"], gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()), entry)
            for page_id, entry in truth.items()]


def run_pass(extract: Extractor, pages: list) -> tuple[list, float, int]:
    """extract(url, html) of every page, in order: (outputs, CPU ms per page, exceptions);
    a page that raises gives None."""
    outputs, raised = [], 0
    start = time.process_time()
    for _, url, html, _ in pages:
        try:
            outputs.append(extract(url, html))
        except Exception:  # noqa: BLE001 - an anchor's failure costs that page only
            outputs.append(None)
            raised += 1
    return outputs, 1000 * (time.process_time() - start) / max(len(pages), 1), raised


# ----------------------------------------------------------------------------- scoring

_TOKEN = re.compile(r"\w+")


def shingles(text: str) -> Counter:
    """The benchmark's shingles: runs of 4 consecutive \\w+ tokens, as a multiset (a text of
    1-3 tokens is one shorter shingle)."""
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3))


def body_scores(predicted: list[str | None], truths: list[str]) -> dict:
    """The benchmark's evaluate.py: per page, shingle precision (pages with a prediction) and
    recall (pages with a truth), each averaged over pages; F1 of the two averages; accuracy =
    share of pages whose token list equals the truth's."""
    precisions, recalls, exact = [], [], 0
    for text, truth in zip(predicted, truths):
        pred, true = shingles(text or ""), shingles(truth)
        tp = sum((pred & true).values())
        if pred:
            precisions.append(tp / sum(pred.values()))
        if true:
            recalls.append(tp / sum(true.values()))
        exact += _TOKEN.findall(text or "") == _TOKEN.findall(truth)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    return {"pages": len(truths), "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "accuracy": exact / len(truths) if truths else 0.0, "empty": len(truths) - len(precisions)}


def day(value) -> str | None:
    """YYYY-MM-DD of a date, datetime (its own zone, not converted) or ISO string; else None."""
    if isinstance(value, date):  # datetime too
        return value.strftime("%Y-%m-%d")
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]
    return None


def date_scores(predicted: list, truths: list[str]) -> dict:
    """Correct / missing / wrong: a prediction counts when its YYYY-MM-DD equals the truth."""
    days = [day(value) for value in predicted]
    correct = sum(d == t for d, t in zip(days, truths))
    missing = sum(d is None for d in days)
    return {"pages": len(truths), "correct": correct, "missing": missing, "wrong": len(truths) - correct - missing,
            "share": correct / len(truths) if truths else 0.0}


# ----------------------------------------------------------------------------- contenders

def _quiet() -> None:
    warnings.filterwarnings("ignore")
    for name in ("trafilatura", "htmldate", "newspaper", "charset_normalizer", "courlan", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _newspaper() -> Extractor:
    """newspaper4k as parse_speed.py calls it (the benchmark's run_newspaper.py, without fetching
    the page's images over the network: its default, which does not change the text)."""
    extract = parse_speed.newspaper_extract()
    return lambda url, html: extract(url, html.decode("utf-8", "replace"))


def body_contenders(newspaper: bool) -> dict[str, Extractor]:
    """name -> extract(url, html bytes) -> body text."""
    import trafilatura

    def ours(url: str, html: bytes):
        article = parse_article(html, url)
        return article.body if article else None

    contenders = {
        "parse_article": ours,
        # run_trafilatura.py of the benchmark: decoded UTF-8 text, comments left out, no url
        "trafilatura": lambda url, html: trafilatura.extract(html.decode("utf-8"), include_comments=False),
    }
    if newspaper:
        newspaper_article = _newspaper()
        contenders["newspaper4k"] = lambda url, html: newspaper_article(url, html).text
    return contenders


def date_contenders(newspaper: bool) -> dict[str, Extractor]:
    """name -> extract(url, html bytes) -> the publication date (date, datetime or ISO string)."""
    import trafilatura
    from htmldate import find_date

    def ours(url: str, html: bytes):
        article = parse_article(html, url)
        return article.published if article else None

    contenders = {
        "parse_article": ours,
        "htmldate extensive": lambda url, html: find_date(html, url=url, extensive_search=True, original_date=True),
        "htmldate fast": lambda url, html: find_date(html, url=url, extensive_search=False, original_date=True),
        "trafilatura": lambda url, html: getattr(trafilatura.bare_extraction(html, url=url, with_metadata=True), "date", None),
    }
    if newspaper:
        newspaper_article = _newspaper()
        contenders["newspaper4k"] = lambda url, html: newspaper_article(url, html).publish_date
    return contenders


# ----------------------------------------------------------------------------- the section

def failures(pages: list) -> dict:
    """Pages on which parse_article returns None or raises (ids of each, for the report), and
    those of the None pages that declare themselves one article (og:type article, a JSON-LD
    article, a single-post body class): issue 23's "declared articles never None"."""
    from bbn_scraper.parsers.document import load_tree
    from bbn_scraper.parsers.listing import page_kind
    from bbn_scraper.parsers.metadata import read_metadata

    none, raised, declared = [], [], []
    for page_id, url, html, _ in pages:
        try:
            if parse_article(html, url) is None:
                none.append(page_id)
                root, _ = load_tree(html)
                if root is not None and page_kind(root, read_metadata(root), url).declared:
                    declared.append(page_id)
        except Exception:  # noqa: BLE001 - counted, that is the point
            raised.append(page_id)
    return {"pages": len(pages), "none": none, "raised": raised, "declared_none": declared}


def run(rounds: int, data: Path | None = DATA, newspaper: bool = True, log=print) -> dict:
    """Every measure of the section; the real-page ones only when `data` (None: left out)
    holds both sets. Pinned to one core throughout (the caller's affinity is restored)."""
    _quiet()
    result: dict = {"goals": GOALS}
    pinned = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    parse_speed.pin_one_core()
    try:
        result["fixtures"] = parse_speed.measure_apart(ROOT / "tests" / "fixtures", rounds, newspaper=newspaper)
        log("  fixtures: " + ", ".join(f"{k} {v:,.0f} pages/s" for k, v in result["fixtures"]["rates"].items()))
        if data is None or not all((data / name / "ground-truth.json").exists() for name in (BODY_SET, DATE_SET)):
            result["skipped"] = ("left out (--no-real-corpus)" if data is None
                                 else f"skipped: {data} not found")
            log(f"  {result['skipped']}")
            return result
        result["body"] = _accuracy(load(data / BODY_SET), body_contenders(newspaper), "articleBody", body_scores, log)
        result["dates"] = _accuracy(load(data / DATE_SET), date_contenders(newspaper), "date", date_scores, log)
        started = time.perf_counter()
        result["real"] = parse_speed.measure_apart(data / BODY_SET / "html", rounds, newspaper=False)
        rates = result["real"]["rates"]
        log(f"  speed, real pages: parse_article {1000 / rates['ours']:.1f} ms, trafilatura "
            f"{1000 / rates['trafilatura']:.1f} ms per page ({time.perf_counter() - started:.0f} s)")
        result["steps"] = step_costs.run_apart(data / BODY_SET / "html", rounds)
        log(f"  parse_article by step: {step_costs.summary(result['steps'])}")
        result["failures"] = {name: failures(load(data / name)) for name in (BODY_SET, DATE_SET)}
        if (data / news_metadata.SET / "eval.py").exists():
            result["metadata"] = news_metadata.run(data, newspaper=newspaper, log=log)
    finally:
        if pinned:
            os.sched_setaffinity(0, pinned)
    return result


def _accuracy(pages: list, contenders: dict[str, Extractor], key: str, score, log) -> dict:
    truths = [entry[key] for *_, entry in pages]
    out = {}
    for name, extract in contenders.items():
        started = time.perf_counter()
        predicted, ms, raised = run_pass(extract, pages)
        out[name] = {**score(predicted, truths), "ms_per_page": ms, "raised": raised}
        log(f"  {key} {name}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                          for k, v in out[name].items()) + f" ({time.perf_counter() - started:.0f} s)")
    return out


# ----------------------------------------------------------------------------- the table

def _ok(passed: bool) -> str:
    return "✓" if passed else "✗"


def _raised(scores: dict) -> str:
    return f"; raised on {scores['raised']}, counted empty" if scores["raised"] else ""


def rows(result: dict, tests: dict | None = None) -> list[tuple[str, str, str, str]]:
    """(measure, result, goal, met) rows of the section, for bench/run.py's table."""
    out: list[tuple[str, str, str, str]] = []
    fx = result["fixtures"]
    rates = fx["rates"]
    ratio = rates["ours"] / rates["trafilatura"]
    out.append((f"1. speed, {fx['pages']} fixture pages, one core: parse_article ÷ trafilatura.extract(with_metadata=True)",
                f"{rates['ours']:,.0f} ÷ {rates['trafilatura']:,.1f} pages/s = {ratio:.1f}×",
                f"≥ {GOALS['speed_fixtures']:.0f}×", _ok(ratio >= GOALS["speed_fixtures"])))
    if "newspaper4k" in rates:
        out.append(("   parse_article ÷ newspaper4k, same pages",
                    f"{rates['ours']:,.0f} ÷ {rates['newspaper4k']:,.1f} pages/s = {rates['ours'] / rates['newspaper4k']:.1f}×", "", ""))
    if tests is not None:
        out.append(("   fixtures: tests/test_fixtures.py", tests["summary"], "all pass", _ok(tests["ok"])))
    if "skipped" in result:
        out.append(("   body, dates, speed and failures on the real pages", result["skipped"], "", ""))
        return out
    body = result["body"]
    for name, s in body.items():
        goal = name == "parse_article"
        out.append((f"   body, {s['pages']} real pages ({BODY_SET}): {name}",
                    f"F1 {s['f1']:.3f} (P {s['precision']:.3f}, R {s['recall']:.3f}, exact {s['accuracy']:.3f}; "
                    f"{s['ms_per_page']:.1f} ms/page{_raised(s)})",
                    f"≥ {GOALS['body_f1']}" if goal else "", _ok(s["f1"] >= GOALS["body_f1"]) if goal else ""))
    for name, s in result["dates"].items():
        goal = name == "parse_article"
        out.append((f"   publication date, {s['pages']} real pages ({DATE_SET}): {name}",
                    f"{s['share']:.3f} correct ({s['correct']} / {s['missing']} missing / {s['wrong']} wrong; "
                    f"{s['ms_per_page']:.1f} ms/page{_raised(s)})",
                    f"≥ {GOALS['date_correct']:.2f}" if goal else "", _ok(s["share"] >= GOALS["date_correct"]) if goal else ""))
    real = result["real"]
    r = real["rates"]
    ratio = r["ours"] / r["trafilatura"]
    out.append((f"   speed, {real['pages']} real pages, one core: parse_article ÷ trafilatura.extract(with_metadata=True)",
                f"{1000 / r['ours']:.1f} vs {1000 / r['trafilatura']:.1f} ms/page = {ratio:.1f}×",
                f"≥ {GOALS['speed_real']:.0f}×", _ok(ratio >= GOALS["speed_real"])))
    if "steps" in result:
        out.append((f"   parse_article's CPU time by step, same pages, median pass (step_costs.py)",
                    step_costs.summary(result["steps"]), "", ""))
    for name, f in result["failures"].items():
        bad = len(f["none"]) + len(f["raised"])
        out.append((f"   parse_article on the {f['pages']} pages of {name}: None / raised",
                    f"{len(f['none'])} / {len(f['raised'])}", "0 / 0", _ok(bad == GOALS["failures"])))
        if "declared_none" in f:
            out.append((f"   … of which declared articles (og:type article, JSON-LD article, body class) returned None",
                        f"{len(f['declared_none'])}" + (f" ({', '.join(i[:8] for i in f['declared_none'])})" if f["declared_none"] else ""),
                        "0", _ok(not f["declared_none"])))
    if "metadata" in result:
        out += news_metadata.rows(result["metadata"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each speed timing")
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding article-extraction/ and news-dates/")
    parser.add_argument("--no-newspaper", action="store_true", help="leave newspaper4k out (its passes are the slowest)")
    args = parser.parse_args()
    result = run(args.rounds, args.data, newspaper=not args.no_newspaper, log=lambda m: print(m, file=sys.stderr))
    print(f"machine: {parse_speed.machine()}")
    for measure, value, goal, met in rows(result):
        print(f"| {measure} | {value} | {goal} | {met} |")


if __name__ == "__main__":
    main()
