"""Write parse_article's output into tests/fixtures/<case>/expected.json, for review.

    python tests/regenerate_expected.py [case ...]              fill, and report disagreements
    python tests/regenerate_expected.py --overwrite [case ...]  write the parser's full output

expected.json is hand-written ground truth. By default only the keys the parser derives on its own
(body_html, word_count, warnings) are written, and only where they are null or missing; other keys
left out stay out (unchecked); wherever the parser disagrees with a hand-written value, the difference
is printed and nothing is written,
so that a human decides whether the page, the expected value or the parser is wrong. The exit status
is 1 when there was a disagreement. --overwrite replaces the whole file with the parser's output
(check `git diff tests/fixtures` afterwards).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from bbn_scraper.parsers import parse_article  # noqa: E402
from tests.fixture_pages import fixture_page, fixture_pages  # noqa: E402
from tests.test_fixtures import describe, same  # noqa: E402

FILLED = ("body_html", "word_count", "warnings")


def dump(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def regenerate(case: str, overwrite: bool) -> int:
    """Update one case's expected.json; returns the number of disagreements printed."""
    page = fixture_page(case)
    path, expected = page.folder / "expected.json", page.expected
    item = parse_article(page.html, page.url)
    actual = item.to_dict() if item else {"url": expected["url"], "article": False}

    if overwrite:
        new, problems = actual, []
    elif item is None or expected.get("article") is False:
        new = expected
        problems = [] if (item is None) == (expected.get("article") is False) else [
            f"article: expected {'none' if item else 'an article'}, "
            f"the parser made {'one: ' + repr(item.headline) if item else 'none'}"]
    else:
        new, problems = {}, []
        for key, value in actual.items():
            if key in FILLED and expected.get(key) is None:
                new[key] = value
            elif key in expected:
                new[key] = expected[key]
                if not same(key, expected[key], value):
                    problems.append(describe(key, expected[key], value))
        new.update((k, v) for k, v in expected.items() if k not in new)

    for problem in problems:
        print(f"{case}: {problem}")
    if dump(new) != path.read_text(encoding="utf-8"):
        path.write_text(dump(new), encoding="utf-8")
        print(f"{case}: wrote {path.relative_to(ROOT)}")
    return len(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help="case folder names (default: all)")
    parser.add_argument("--overwrite", action="store_true", help="write the parser's full output")
    args = parser.parse_args(argv)
    cases = args.cases or [page.name for page in fixture_pages()]
    disagreements = sum(regenerate(case, args.overwrite) for case in cases)
    print(f"{len(cases)} case(s), {disagreements} disagreement(s)")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
