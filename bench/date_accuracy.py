"""Publication-date accuracy on the public news-dates benchmark (../shared/benchmarks/news-dates
when present), from extraction_bench.py's contenders and scoring: a page is correct when its
date, YYYY-MM-DD in the page's own time, equals the truth; missing and wrong are counted apart.

    python bench/date_accuracy.py [--data DIR] [--anchors] [--show]

--anchors adds htmldate (extensive and fast), trafilatura and newspaper4k on the same pages;
--show lists every page parse_article does not get right, for debugging the date rules.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extraction_bench import DATA, DATE_SET, _quiet, date_contenders, date_scores, day, load, run_pass  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA / DATE_SET)
    parser.add_argument("--anchors", action="store_true", help="also htmldate, trafilatura, newspaper4k")
    parser.add_argument("--show", action="store_true", help="list every page parse_article gets wrong")
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").exists():
        sys.exit(f"benchmark data not found at {args.data}")
    _quiet()
    pages = load(args.data)
    truths = [entry["date"] for *_, entry in pages]
    contenders = date_contenders(newspaper=args.anchors)
    for name, extract in contenders.items():
        if name != "parse_article" and not args.anchors:
            continue
        outputs, ms, raised = run_pass(extract, pages)
        s = date_scores(outputs, truths)
        print(f"{name:20} accuracy={s['share']:.3f} correct={s['correct']} missing={s['missing']} wrong={s['wrong']} "
              f"pages={s['pages']} raised={raised} ms/page={ms:.1f}")
        if args.show and name == "parse_article":
            for (page_id, url, _, _), value, truth in zip(pages, outputs, truths):
                if day(value) != truth:
                    print(f"  {'missing' if day(value) is None else 'wrong':7} {page_id} truth={truth} got={day(value)} {url}")


if __name__ == "__main__":
    main()
