"""Topic values (tags, keywords) cleaned by rules that hold on any site: what a CMS writes into
its keyword fields for its analytics or its templates is not a topic."""
from __future__ import annotations

import re

from bbn_scraper.parsers.text import clean

# "Day: Friday", "WC: 1000-1999", "Page Type: Article": an analytics key and its value.
_KEY_VALUE = re.compile(r"^[^\W\d_][\w .&/-]{0,24}:\s*\S")
# A UUID, a long hex or numeric id.
_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d+)$", re.I)
# "sections/world", "tags/brexit": a path where a name belongs.
_PATH_PREFIX = re.compile(r"^(?:[\w-]+/)+(?=[^/\s]+$)")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def topic_values(values: list[str]) -> list[str]:
    """Each value cleaned, each once, in order: a string of several comma-joined topics split,
    a Chinese or Japanese list written with spaces split at them, a path prefix dropped;
    analytics key-value pairs, ids and template flags ("_commerce") left out."""
    out: dict[str, None] = {}
    for value in values:
        value = clean(value)
        parts = [value]
        if value.count(",") >= 2:
            parts = value.split(",")
        elif " " in value and _UNSPACED.search(value) and not re.search(r"[A-Za-z]", value):
            parts = value.split(" ")
        for part in parts:
            part = _PATH_PREFIX.sub("", clean(part)).strip(" ,;")
            if not part or part.startswith("_") or _KEY_VALUE.match(part) or _ID.match(part):
                continue
            out.setdefault(part, None)
    return list(out)
