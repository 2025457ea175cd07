"""The parser's whole output (article and link list) on every fixture page and every page of
../shared/benchmarks, one JSON line per page: taken before and after a change of the parser,
two snapshots show exactly which pages it changed.

    python bench/parser_snapshot.py -o before.jsonl
    python bench/parser_snapshot.py --compare before.jsonl after.jsonl
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCHMARKS = ROOT.parent / "shared" / "benchmarks"


def pages():
    """(name, html bytes, url) of every fixture page, then of every benchmark page present."""
    for case in sorted((ROOT / "tests" / "fixtures").iterdir()):
        if (case / "input.html").exists():
            meta = json.loads((case / "expected.json").read_text())
            yield f"fixture/{case.name}", (case / "input.html").read_bytes(), meta["url"]
    for corpus in ("article-extraction", "news-dates", "news-metadata"):
        truth_file = BENCHMARKS / corpus / "ground-truth.json"
        if truth_file.exists():
            for page_id, entry in sorted(json.loads(truth_file.read_text()).items()):
                html = gzip.decompress((BENCHMARKS / corpus / "html" / f"{page_id}.html.gz").read_bytes())
                yield f"{corpus}/{page_id}", html, entry["url"]


def snapshot(out) -> int:
    from bbn_scraper.parsers import parse_page

    count = 0
    for name, html, url in pages():
        article, links = parse_page(html, url)
        record = {"page": name, "article": article.to_dict() if article else None, "links": links}
        out.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
        count += 1
    return count


def compare(before: Path, after: Path) -> int:
    # split("\n"), not splitlines(): the JSON holds U+2028 and other line breaks unescaped
    old = {json.loads(line)["page"]: line for line in before.read_text().split("\n") if line}
    new = {json.loads(line)["page"]: line for line in after.read_text().split("\n") if line}
    changed = 0
    for page in sorted(old.keys() | new.keys()):
        if old.get(page) != new.get(page):
            changed += 1
            a = json.loads(old[page]) if page in old else {}
            b = json.loads(new[page]) if page in new else {}
            keys = set((a.get("article") or {}).keys()) | set((b.get("article") or {}).keys())
            diff = sorted(k for k in keys if (a.get("article") or {}).get(k) != (b.get("article") or {}).get(k))
            if (a.get("article") is None) != (b.get("article") is None):
                diff = ["article/None"]
            if a.get("links") != b.get("links"):
                diff.append("links")
            print(f"{page}: {', '.join(diff)}")
    print(f"{changed} of {len(old.keys() | new.keys())} pages differ")
    return 1 if changed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    with (args.output.open("w") if args.output else sys.stdout) as out:
        count = snapshot(out)
    print(f"{count} pages", file=sys.stderr)


if __name__ == "__main__":
    main()
