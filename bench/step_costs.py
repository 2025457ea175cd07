"""What each step of parse_article costs on a corpus, in CPU ms per page: each field function,
trafilatura's second opinion on the body (and on how many pages it runs), and the rest
(decoding, parsing, indexing, the page's kind, the body's blocks and their agreement).

    python bench/step_costs.py [--rounds 3] [CORPUS]

Each step is timed by wrapping it for the measure (the parser is restored after): the sum
of the steps is the total of the same passes; the median pass of `rounds` is reported. For
one core, as section 1 runs it (the caller pins the process).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import parse_speed  # noqa: E402

from bbn_scraper.parsers import article as article_module  # noqa: E402
from bbn_scraper.parsers import parse_article  # noqa: E402
from bbn_scraper.parsers.fields import FIELD_FUNCTIONS  # noqa: E402

SECOND_OPINION = "second opinion (trafilatura)"


def run_apart(corpus: Path, rounds: int = 3) -> dict:
    """`run`, in a process of its own (parse_speed.py's docstring says why)."""
    return parse_speed.apart(Path(__file__), [str(corpus), "--rounds", str(rounds)])


def run(corpus: Path, rounds: int = 3) -> dict:
    """{"pages", "total_ms", "steps": {step: ms per page}, "second_opinion_pages"}: the median
    pass of `rounds` (by total)."""
    pages = parse_speed.load_pages(corpus)
    passes = sorted([_one_pass(pages) for _ in range(rounds + 1)][1:], key=lambda p: p["total_ms"])  # the first warms up
    return passes[(len(passes) - 1) // 2] if passes else {}


def _one_pass(pages: list[tuple[str, bytes]]) -> dict:
    spent: dict[str, float] = {}
    calls = {"n": 0}
    originals = dict(FIELD_FUNCTIONS)
    second = article_module._second_opinion

    def timed(name, fn):
        def wrapper(*args):
            start = time.process_time()
            try:
                return fn(*args)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - start
        return wrapper

    def counted(*args):
        calls["n"] += 1
        return timed(SECOND_OPINION, second)(*args)

    FIELD_FUNCTIONS.update({name: timed(name, fn) for name, fn in originals.items()})
    article_module._second_opinion = counted
    try:
        start = time.process_time()
        for url, html in pages:
            parse_article(html, url)
        total = time.process_time() - start
    finally:
        FIELD_FUNCTIONS.update(originals)
        article_module._second_opinion = second
    n = max(len(pages), 1)
    steps = {name: 1000 * s / n for name, s in spent.items()}
    steps["the rest"] = 1000 * total / n - sum(steps.values())
    return {"pages": len(pages), "total_ms": 1000 * total / n, "steps": steps, "second_opinion_pages": calls["n"]}


def summary(result: dict, fields_shown: int = 4) -> str:
    """"12.0 ms: second opinion 6.5 (148 of 181 pages), fields 1.9 (byline 0.6, ...), the rest 3.6"."""
    steps = dict(result["steps"])
    second = steps.pop(SECOND_OPINION, 0.0)
    rest = steps.pop("the rest")
    fields = sorted(steps.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{name} {ms:.2f}" for name, ms in fields[:fields_shown])
    return (f"{result['total_ms']:.1f} ms: second opinion {second:.1f} ({result['second_opinion_pages']} of "
            f"{result['pages']} pages), fields {sum(ms for _, ms in fields):.1f} ({shown}, the other "
            f"{len(fields) - fields_shown} {sum(ms for _, ms in fields[fields_shown:]):.2f}), the rest {rest:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path,
                        default=BENCH.parent.parent / "shared" / "benchmarks" / "article-extraction" / "html")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    parse_speed.pin_one_core()
    result = run(args.corpus, args.rounds)
    if args.json:
        print(json.dumps(result))
        return
    print(summary(result))
    for name, ms in sorted(result["steps"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:32s} {ms:6.2f} ms/page")


if __name__ == "__main__":
    main()
