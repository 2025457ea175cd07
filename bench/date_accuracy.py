"""Publication-date accuracy of parse_article on the public news-dates benchmark
(../shared/benchmarks/news-dates when present): a page is correct when its predicted date,
YYYY-MM-DD in the page's own time, equals the truth; missing and wrong are counted apart.

    python bench/date_accuracy.py [--data DIR] [--anchors] [--show]

--anchors adds, on the same pages in the same run: htmldate extensive
(extensive_search=True, original_date=True), htmldate fast (extensive_search=False,
original_date=True), trafilatura bare_extraction's date and newspaper4k's publish_date.
ms/page is CPU time (time.process_time) of the date step of each contender.
"""
from __future__ import annotations

import argparse
import gzip
import logging
import warnings
import json
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers import parse_article  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "news-dates"
DateFunction = Callable[[bytes, str], "str | None"]  # (html, url) -> "YYYY-MM-DD" or None


def load(data: Path) -> list[tuple[str, str, bytes, str]]:
    """(id, url, html bytes, true date) of every page."""
    truth = json.loads((data / "ground-truth.json").read_text())
    return [(page_id, entry["url"], gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes()), entry["date"])
            for page_id, entry in truth.items()]


def day(value) -> str | None:
    """YYYY-MM-DD of a date, a datetime (in its own zone) or an ISO string; None otherwise."""
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]
    return None


def bbn_date(html: bytes, url: str) -> str | None:
    article = parse_article(html, url)
    return day(article.published) if article else None


def htmldate_extensive(html: bytes, url: str) -> str | None:
    from htmldate import find_date
    return find_date(html.decode("utf-8", "replace"), url=url, extensive_search=True, original_date=True)


def htmldate_fast(html: bytes, url: str) -> str | None:
    from htmldate import find_date
    return find_date(html.decode("utf-8", "replace"), url=url, extensive_search=False, original_date=True)


def trafilatura_date(html: bytes, url: str) -> str | None:
    from trafilatura import bare_extraction
    doc = bare_extraction(html.decode("utf-8", "replace"), url=url, with_metadata=True)
    if doc is None:
        return None
    return day(doc.get("date") if isinstance(doc, dict) else getattr(doc, "date", None))


def newspaper_date(html: bytes, url: str) -> str | None:
    from newspaper import Article, Config
    config = Config()  # no downloads (images), no caches: as in bench/parse_speed.py
    config.fetch_images = False
    config.memorize_articles = False
    config.disable_category_cache = True
    article = Article(url, config=config)
    article.download(input_html=html.decode("utf-8", "replace"))
    article.parse()
    return day(article.publish_date)


ANCHORS: dict[str, DateFunction] = {
    "htmldate extensive": htmldate_extensive,
    "htmldate fast": htmldate_fast,
    "trafilatura": trafilatura_date,
    "newspaper4k": newspaper_date,
}


def score(data: Path, fn: DateFunction = bbn_date, show: bool = False) -> dict:
    """correct / missing / wrong / pages, accuracy and ms/page (CPU) of `fn` on the benchmark."""
    pages = load(data)
    counts = {"correct": 0, "missing": 0, "wrong": 0}
    spent = 0.0
    for page_id, url, html, truth in pages:
        start = time.process_time()
        try:
            predicted = fn(html, url)
        except Exception as exc:  # noqa: BLE001 - an anchor that raises has no date for that page
            predicted = None
            if show:
                print(f"  {page_id} raised {type(exc).__name__}: {exc}")
        spent += time.process_time() - start
        outcome = "missing" if predicted is None else "correct" if predicted == truth else "wrong"
        counts[outcome] += 1
        if show and outcome != "correct":
            print(f"  {outcome:7} {page_id} truth={truth} got={predicted} {url}")
    return {**counts, "pages": len(pages), "accuracy": counts["correct"] / len(pages),
            "ms_per_page": 1000 * spent / len(pages)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--anchors", action="store_true", help="also htmldate, trafilatura, newspaper4k")
    parser.add_argument("--show", action="store_true", help="list every page not correct")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("newspaper").setLevel(logging.ERROR)
    if not (args.data / "ground-truth.json").exists():
        sys.exit(f"benchmark data not found at {args.data}")
    contenders = {"parse_article": bbn_date, **(ANCHORS if args.anchors else {})}
    for name, fn in contenders.items():
        result = score(args.data, fn, show=args.show and name == "parse_article")
        print(f"{name:20} accuracy={result['accuracy']:.3f} correct={result['correct']} missing={result['missing']} "
              f"wrong={result['wrong']} pages={result['pages']} ms/page={result['ms_per_page']:.1f}")


if __name__ == "__main__":
    main()
