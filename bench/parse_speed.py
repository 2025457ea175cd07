"""Pages per second of parse_article against trafilatura.extract(with_metadata=True) and
newspaper4k (Article.download(input_html=...) + parse(), no network), on the same pages, one
core, in one run.

    python bench/parse_speed.py [--rounds 5] [--corpus DIR] [--no-newspaper] [--baseline TREE]

DIR defaults to tests/fixtures (every */input.html); a folder of *.html.gz pages works too
(e.g. ../shared/benchmarks/article-extraction/html). Each figure is the median of the rounds;
rounds are interleaved, and each contender's round repeats the corpus for at least 0.5 s of
CPU time; pages/s are pages per CPU second of the process (pinned to one core). --baseline
TREE adds the parse_article of another checkout (e.g. `git worktree add /tmp/base COMMIT`),
timed in the same rounds: before/after figures of one run. --json prints the result as JSON.

Time it in a process of its own (`measure_apart`, as section 1 does): in the process that had
just run section 1's accuracy measures, parse_article's CPU time per page was 15.8 ms against
10.7 in a fresh one, trafilatura's 41.9 against 38.8 (same code, same pages, 2026-12-07);
gc.freeze() after the accuracy measures gave 12.2 ms. What the benchmark's own leftover heap
costs is not the parser's speed, and a parse worker holds no such heap.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
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


def pages_per_second(fn, pages, min_seconds: float = 0.5) -> float:
    """Pages per CPU second of `fn(url, html)` over the pages, the whole corpus repeated for
    at least `min_seconds`. CPU time of this process (one thread, pinned to one core), not wall
    time: on a shared machine wall time also counts whatever else ran on the core."""
    done = 0
    start = time.process_time()
    while True:
        for url, html in pages:
            fn(url, html)
        done += len(pages)
        elapsed = time.process_time() - start
        if elapsed >= min_seconds:
            return done / elapsed


def compare(contenders: dict, rounds: int) -> dict[str, float]:
    """Median pages/s of each contender, rounds interleaved so that all see the same machine,
    in the opposite order every other round (no contender always runs first)."""
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for n in range(rounds):
        for name, (fn, pages) in (reversed if n % 2 else iter)(list(contenders.items())):
            rates[name].append(pages_per_second(fn, pages))
    return {name: statistics.median(values) for name, values in rates.items()}


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def machine() -> str:
    """CPU model, logical CPUs and architecture, for the report."""
    return f"{cpu_model()}, {os.cpu_count()} logical CPUs, {platform.machine()}"


def newspaper_extract():
    """newspaper4k on given HTML: no download, no images, no caches."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", module="newspaper")
    logging.getLogger("newspaper").setLevel(logging.ERROR)
    from newspaper import Article as NewspaperArticle
    from newspaper import Config

    config = Config()
    config.fetch_images = False
    config.memorize_articles = False
    config.disable_category_cache = True

    def extract(url: str, html: str):
        article = NewspaperArticle(url, config=config)
        article.download(input_html=html)
        article.parse()
        return article

    return extract


_PACKAGES = ("bbn_scraper", "archive")  # what parse_article imports of the project


def baseline_parser(tree: Path):
    """parse_article of the checkout at `tree`: its `bbn_scraper` and `archive` are imported,
    kept by reference, then taken out of sys.modules so that this tree's import them afresh."""
    ours = [name for name in sys.modules if name.split(".")[0] in _PACKAGES]
    saved = {name: sys.modules.pop(name) for name in ours}
    sys.path.insert(0, str(tree))
    try:
        from bbn_scraper.parsers import parse_article as theirs
    finally:
        sys.path.remove(str(tree))
        for name in [n for n in sys.modules if n.split(".")[0] in _PACKAGES]:
            del sys.modules[name]
        sys.modules.update(saved)
    return theirs


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def measure(corpus: Path, rounds: int, newspaper: bool = True, baseline: Path | None = None) -> dict:
    """Median pages/s of each extractor on the corpus; the caller pins the process to one core."""
    import trafilatura

    pages = load_pages(corpus)
    if not pages:
        raise SystemExit(f"no pages under {corpus}")
    texts = [(url, html.decode("utf-8", "replace")) for url, html in pages]
    contenders = {
        "ours": (lambda u, h: parse_article(h, u), pages),
        "trafilatura": (lambda u, h: trafilatura.extract(h, url=u, with_metadata=True), texts),
    }
    if baseline is not None:
        theirs = baseline_parser(baseline)
        contenders["baseline"] = (lambda u, h: theirs(h, u), pages)
    if newspaper:
        extract = newspaper_extract()

        def newspaper_or_none(url: str, html: str):
            """newspaper4k, None where it raises (0.9.6 without its zh/ja/ko extras raises
            ImportError on Chinese, Japanese and Korean pages; that page's time still counts)."""
            try:
                return extract(url, html)
            except ImportError:
                return None

        contenders["newspaper4k"] = (newspaper_or_none, texts)
    compare(contenders, 1)  # warm-up: imports, compiled selectors, caches
    result = compare(contenders, rounds)
    return {"corpus": str(corpus), "pages": len(pages), "rounds": rounds, "rates": result}


def apart(script: Path, args: list[str]) -> dict:
    """What `script ARGS --json` prints, run in a fresh process (this one's core affinity)."""
    done = subprocess.run([sys.executable, str(script), *args, "--json"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def measure_apart(corpus: Path, rounds: int, newspaper: bool = True) -> dict:
    """`measure`, in a process of its own (see the module's docstring)."""
    return apart(Path(__file__), ["--corpus", str(corpus), "--rounds", str(rounds), *([] if newspaper else ["--no-newspaper"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "fixtures")
    parser.add_argument("--no-newspaper", action="store_true", help="leave newspaper4k out")
    parser.add_argument("--baseline", type=Path, metavar="TREE", help="also time the parser of this checkout")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    pin_one_core()
    result = measure(args.corpus, args.rounds, newspaper=not args.no_newspaper, baseline=args.baseline)
    if args.json:
        print(json.dumps(result))
        return
    rates = result["rates"]
    names = {"ours": "bbn_scraper.parsers.parse_article", "trafilatura": "trafilatura.extract(with_metadata=True)",
             "newspaper4k": "newspaper4k Article.parse()", "baseline": f"parse_article of {args.baseline}"}
    print(f"machine: {machine()}, Python {platform.python_version()}, one core")
    print(f"corpus: {args.corpus} ({result['pages']} pages), median of {args.rounds} rounds")
    print(f"{'extractor':<40} {'pages/s':>10} {'ours is':>10}")
    for name, rate in rates.items():
        print(f"{names[name]:<40} {rate:>10.1f} {rates['ours'] / rate:>9.2f}x")


if __name__ == "__main__":
    main()
