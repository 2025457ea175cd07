"""The private names of Scrapy, Twisted and scrapy-redis the crawler relies on (all of them in
bbn_scraper/crawler/compat.py) exist in the installed versions; and nowhere else in the project
is such a name touched."""
from __future__ import annotations

import re
from pathlib import Path

from bbn_scraper.crawler import compat

ROOT = Path(__file__).resolve().parents[1]
# `from scrapy... import _x`, `twisted.x._y`, `obj._slot`-style reaches into these libraries.
PRIVATE_IMPORT = re.compile(r"^\s*from (?:scrapy|twisted|scrapy_redis)[\w.]* import .*\b_[a-zA-Z]"
                            r"|\b(?:scrapy|twisted|scrapy_redis)(?:\.\w+)*\._[a-zA-Z]", re.M)
PRIVATE_ATTRIBUTES = re.compile(r"\.(?:_slot|_parser|_pool|_factory|_quiescentCallback|_split_domain|_signal_shutdown"
                                r"|_encode_request|_decode_request|_parsers)\b")


def test_every_private_name_exists_in_the_installed_versions():
    assert compat.missing_names() == []


def test_a_renamed_name_is_named(monkeypatch):
    monkeypatch.setattr(compat, "PRIVATE_NAMES", (*compat.PRIVATE_NAMES,
                                                  ("scrapy.core.engine", "ExecutionEngine.__init__:_renamed_slot"),
                                                  ("twisted.web._newclient", "NO_SUCH_STATE")))
    assert compat.missing_names() == ["scrapy.core.engine:ExecutionEngine.__init__:_renamed_slot",
                                      "twisted.web._newclient:NO_SUCH_STATE"]


def test_no_module_but_compat_touches_a_private_name():
    offenders = []
    for path in [*ROOT.glob("bbn_scraper/**/*.py"), *ROOT.glob("archive/**/*.py")]:
        if path.name == "compat.py":
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}"
                      for pattern in (PRIVATE_IMPORT, PRIVATE_ATTRIBUTES) for m in pattern.finditer(text)]
    assert offenders == []
