"""The fixture pages: each folder tests/fixtures/<case>/ holding input.html (a page as served)
and expected.json (what a correct parser makes of it, written by hand; its "url" is the page's)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class FixturePage:
    name: str  # the case folder's name
    html: bytes
    url: str
    expected: dict

    @property
    def folder(self) -> Path:
        return FIXTURES / self.name


def fixture_page(name: str) -> FixturePage:
    """One case, read from disk."""
    folder = FIXTURES / name
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return FixturePage(name, (folder / "input.html").read_bytes(), expected["url"], expected)


def fixture_pages() -> list[FixturePage]:
    """Every case, by name."""
    return [fixture_page(d.name) for d in sorted(FIXTURES.iterdir()) if (d / "input.html").is_file()]
