"""Body-text accuracy of parse_article on the public article-extraction benchmark
(../shared/benchmarks/article-extraction when present): shingle precision, recall and F1
as defined in that folder's README.

    python bench/body_accuracy.py [--data DIR]
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers import parse_article  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "article-extraction"
_TOKEN = re.compile(r"\w+")


def shingles(text: str) -> Counter:
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3))


def score(data: Path) -> dict:
    truth = json.loads((data / "ground-truth.json").read_text())
    precisions, recalls, exact = [], [], 0
    for page_id, entry in truth.items():
        html = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        article = parse_article(html, entry["url"])
        predicted = article.body if article else ""
        pred, true = shingles(predicted), shingles(entry["articleBody"])
        tp = sum((pred & true).values())
        if pred:
            precisions.append(tp / sum(pred.values()))
        recalls.append(tp / sum(true.values()) if true else 0.0)
        exact += _TOKEN.findall(predicted) == _TOKEN.findall(entry["articleBody"])
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls)
    return {"pages": len(truth), "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "accuracy": exact / len(truth)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").exists():
        sys.exit(f"benchmark data not found at {args.data}")
    result = score(args.data)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
