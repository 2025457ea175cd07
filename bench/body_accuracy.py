"""Body-text accuracy of parse_article on the public article-extraction benchmark
(../shared/benchmarks/article-extraction when present): shingle precision, recall, F1 and
exact-match accuracy, scored by extraction_bench.py as that folder's README defines them.

    python bench/body_accuracy.py [--data DIR]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extraction_bench import BODY_SET, DATA, _quiet, body_contenders, body_scores, load, run_pass  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA / BODY_SET)
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").exists():
        sys.exit(f"benchmark data not found at {args.data}")
    _quiet()
    pages = load(args.data)
    outputs, _, _ = run_pass(body_contenders(newspaper=False)["parse_article"], pages)
    result = body_scores(outputs, [entry["articleBody"] for *_, entry in pages])
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
