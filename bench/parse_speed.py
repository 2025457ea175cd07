"""Pages per second of parse_article against trafilatura.extract(with_metadata=True), on the
same pages, one core, in one run.

    python bench/parse_speed.py [--rounds 5] [--corpus DIR]

DIR defaults to tests/fixtures (every */input.html); a folder of *.html.gz pages works too
(e.g. ../shared/benchmarks/article-extraction/html). Each figure is the median of the rounds.
"""
from __future__ import annotations

import argparse
import gzip
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bbn_scraper.parsers import parse_article  # noqa: E402


def load_pages(corpus: Path) -> list[tuple[str, bytes]]:
    """(url, html bytes) of every page of the corpus."""
    pages = []
    for path in sorted(corpus.glob("*/input.html")) + sorted(corpus.glob("*.html.gz")) + sorted(corpus.glob("*.html")):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        pages.append((f"https://example.com/{path.parent.name if path.name == 'input.html' else path.stem}/", data))
    return pages


def pages_per_second(fn, pages) -> float:
    """Pages/s of `fn(url, html)` over the pages, once."""
    start = time.perf_counter()
    for url, html in pages:
        fn(url, html)
    return len(pages) / (time.perf_counter() - start)


def compare(contenders: dict, rounds: int) -> dict[str, float]:
    """Median pages/s of each contender, rounds interleaved so that both see the same machine."""
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (fn, pages) in contenders.items():
            rates[name].append(pages_per_second(fn, pages))
    return {name: statistics.median(values) for name, values in rates.items()}


def machine() -> str:
    """CPU model, logical CPUs and architecture, for the report."""
    model = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.machine()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "fixtures")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    import trafilatura

    pages = load_pages(args.corpus)
    if not pages:
        sys.exit(f"no pages under {args.corpus}")
    texts = [(url, html.decode("utf-8", "replace")) for url, html in pages]
    contenders = {
        "ours": (lambda u, h: parse_article(h, u), pages),
        "trafilatura": (lambda u, h: trafilatura.extract(h, url=u, with_metadata=True), texts),
    }
    compare(contenders, 1)  # warm-up: imports, compiled selectors, caches
    result = compare(contenders, args.rounds)
    ours, theirs = result["ours"], result["trafilatura"]
    print(f"machine: {machine()}, Python {platform.python_version()}, one core")
    print(f"corpus: {args.corpus} ({len(pages)} pages), median of {args.rounds} rounds")
    print(f"{'extractor':<40} {'pages/s':>10}")
    print(f"{'bbn_scraper.parse_article':<40} {ours:>10.1f}")
    print(f"{'trafilatura.extract(with_metadata=True)':<40} {theirs:>10.1f}")
    print(f"ratio: {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
